//! Errors that decide DVC's exit codes; anything else is an unexpected error (255).

use std::path::PathBuf;

/// A configuration problem: exit code 251, printed as
/// `configuration error - config file error: ...` like DVC.
#[derive(Debug, thiserror::Error)]
#[error("config file error: {0}")]
pub struct ConfigError(pub String);

/// Not inside a DVC repository: exit code 253.
#[derive(Debug, thiserror::Error)]
#[error("you are not inside of a DVC repository (checked up to mount point '{}')", .0.display())]
pub struct NotDvcRepoError(pub PathBuf);

/// A command that failed in an expected way (DVC's commands return 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CommandError(pub String);

/// Arguments DVC's parser would reject: exit code 254.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ArgumentError(pub String);

/// A failure DVC reports with exit code 255 and its own message (no "unexpected error").
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DvcError(pub String);
