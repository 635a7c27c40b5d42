//! `dvc unprotect`: replace the hard links and symlinks of a workspace path by writable copies
//! (spec §5.3), so tracked data can be edited in place with a `hardlink` or `symlink` cache.

use std::path::{Path, PathBuf};

use anyhow::Context;

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

/// Unprotects `path` (a file, or every file under a directory, symlinked directories not
/// entered); returns how many links became copies.
pub(crate) fn unprotect_path(path: &Path) -> anyhow::Result<usize> {
    let metadata = std::fs::symlink_metadata(path)
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    if !metadata.is_dir() {
        let result = dv_fs::protection::unprotect_file(path)
            .with_context(|| format!("failed to unprotect `{}`", path.display()))?;
        return Ok(usize::from(
            result == dv_fs::protection::Unprotected::Copied,
        ));
    }
    let mut copied = 0;
    let entries =
        std::fs::read_dir(path).with_context(|| format!("failed to list `{}`", path.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to list `{}`", path.display()))?;
        copied += unprotect_path(&entry.path())?;
    }
    Ok(copied)
}
