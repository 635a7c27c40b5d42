//! One module per operation. Each takes options and returns a report; none prints.

pub mod add;
pub mod checkout;
pub mod config;
pub mod init;
pub mod remote;
pub mod status;
