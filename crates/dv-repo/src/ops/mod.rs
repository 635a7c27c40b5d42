//! One module per operation. Each takes options and returns a report; none prints.

pub mod config;
pub mod init;
pub mod remote;
