//! One module per operation. Each takes options and returns a report; none prints.
//!
//! Rules that keep operations leaves over the services of the crate root:
//!
//! - nothing outside `ops/` imports `crate::ops` (only the `dv` binary calls operations);
//! - an operation uses another only to run it whole (`pull` runs `fetch` then `checkout`,
//!   `repro` runs `update` on a changed import, `data status --not-in-remote` runs
//!   `status -c`); what two operations share is a service ([`crate::outputs`],
//!   [`crate::pipelines`], [`crate::transfer`], [`crate::imports`], ...);
//! - a new command is a new file here, named after the command, holding its options, its
//!   report and its entry function.

pub mod add;
pub mod artifacts;
pub mod check_ignore;
pub mod checkout;
pub mod commit;
pub mod config;
pub mod dag;
pub mod data_status;
pub mod destroy;
pub mod diff;
pub mod du;
pub mod exp;
pub mod export;
pub mod fetch;
pub mod freeze;
pub mod gc;
pub mod get;
pub mod get_url;
pub mod git_hook;
pub mod import;
pub mod import_url;
pub mod init;
pub mod install;
pub mod ls;
pub mod ls_url;
pub mod metrics;
pub mod r#move;
pub mod params;
pub mod pipeline_status;
pub mod plots;
pub mod pull;
pub mod push;
pub mod remote;
pub mod remote_status;
pub mod remove;
pub mod repro;
pub mod stage;
pub mod stage_list;
pub mod status;
pub mod unprotect;
pub mod update;
