//! What git is told about the files dv writes: `.gitignore` entries for outputs (DVC's
//! `Output.ignore`) and the metafiles to `git add` with `core.autostage`.

use std::path::{Path, PathBuf};

use crate::workspace::Workspace;

/// Adds the output's `.gitignore` entry unless git already ignores it; returns the changed
/// `.gitignore`.
pub(crate) fn ignore_output(workspace: &Workspace, path: &Path) -> anyhow::Result<Option<PathBuf>> {
    if let Some(git) = workspace.git()
        && !git.ignored(&[path.to_path_buf()])?[0]
    {
        return Ok(dv_scm::ignore_entry_add(git.root(), path)?);
    }
    Ok(None)
}
