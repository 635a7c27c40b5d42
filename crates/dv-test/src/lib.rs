//! Test harness for `dv`: isolated repositories, the pinned real `dvc` as oracle and a loopback
//! S3 server.
//!
//! Integration tests in `crates/dv/tests/` build a [`TestRepo`] (a temporary directory with its
//! own `HOME`, git and DVC config locations), run `dv` and the oracle `dvc` in it with
//! [`TestRepo::dv`] and [`TestRepo::dvc`], capture the result with [`run`] and snapshot the
//! [`Outcome`] (exit code, stdout and stderr) after [`redact`]ing temporary paths.
//!
//! The oracle `dvc` and `moto_server` come from the pinned virtual environments that
//! `scripts/test` creates under `$DV_VENV_DIR` (default `<workspace>/.venv`); see [`venv`].
//!
//! This crate is test code: it panics, with a message saying what failed, instead of returning
//! errors.

mod environment;
mod http;
mod outcome;
mod redaction;
mod s3_server;
mod test_repo;
pub mod venv;

pub use outcome::{Outcome, run};
pub use redaction::redact;
pub use s3_server::S3Server;
pub use test_repo::TestRepo;
