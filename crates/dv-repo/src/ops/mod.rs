//! One module per operation. Each takes options and returns a report; none prints.

pub mod add;
pub mod check_ignore;
pub mod checkout;
pub mod commit;
pub mod config;
pub mod data_status;
pub mod destroy;
pub mod fetch;
pub mod gc;
pub mod get_url;
pub mod import_url;
pub mod init;
pub mod r#move;
pub mod pipeline;
pub mod pipeline_status;
pub mod pull;
pub mod push;
pub mod remote;
pub mod remote_status;
pub mod remove;
pub mod repro;
pub mod stage;
pub mod status;
pub mod transfer;
pub mod unprotect;
