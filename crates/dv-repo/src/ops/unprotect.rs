//! `dvc unprotect`: replace the hard links and symlinks of a workspace path by writable copies
//! (spec §5.3), so tracked data can be edited in place with a `hardlink` or `symlink` cache.

use std::path::PathBuf;

use crate::outputs::unprotect_path;
use crate::workspace::Workspace;

/// What `unprotect` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct UnprotectOptions {
    /// The file or directory to unprotect (relative to the working directory).
    pub target: PathBuf,
}

/// What `unprotect` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UnprotectReport {
    /// Files that were links and are now copies.
    pub copied: usize,
}

/// Unprotects every file under `options.target`. Like DVC this works on any existing path;
/// every file ends with a new file's mode.
pub fn unprotect(
    workspace: &Workspace,
    options: &UnprotectOptions,
) -> anyhow::Result<UnprotectReport> {
    let path = workspace.absolute(&options.target);
    if std::fs::symlink_metadata(&path).is_err() {
        anyhow::bail!(
            "can't unprotect non-existing data '{}'",
            options.target.display()
        );
    }
    Ok(UnprotectReport {
        copied: unprotect_path(&path)?,
    })
}
