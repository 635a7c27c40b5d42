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

/// `.gitignore` entries added for a batch of outputs.
#[derive(Debug, Default)]
pub(crate) struct Ignored {
    /// The `.gitignore` files changed, absolute.
    pub(crate) gitignores: Vec<PathBuf>,
    /// The outputs that got an entry (those git did not ignore already).
    pub(crate) added: Vec<PathBuf>,
}

/// Adds the `.gitignore` entries of `outputs` that git does not ignore already, with one
/// question to git for all of them and each `.gitignore` rewritten once.
pub(crate) fn ignore_outputs(
    workspace: &Workspace,
    outputs: &[PathBuf],
) -> anyhow::Result<Ignored> {
    let Some(git) = workspace.git() else {
        return Ok(Ignored::default());
    };
    let ignored = git.ignored(outputs)?;
    let added: Vec<PathBuf> = outputs
        .iter()
        .zip(ignored)
        .filter(|(_, ignored)| !ignored)
        .map(|(path, _)| path.clone())
        .collect();
    let gitignores = dv_scm::ignore_entries_add(git.root(), &added)?;
    Ok(Ignored { gitignores, added })
}

/// Removes the `.gitignore` entries of `outputs` again (a run that added them failed, as DVC's
/// `scm_context` takes them back); best effort.
pub(crate) fn forget_ignores(workspace: &Workspace, outputs: &[PathBuf]) {
    if let Some(git) = workspace.git() {
        for path in outputs {
            let _ = dv_scm::ignore_entry_remove(git.root(), path);
        }
    }
}

/// `git add`s `to_track` when `core.autostage` is set (and the repository uses git); whether it
/// did.
pub(crate) fn autostage(workspace: &Workspace, to_track: &[PathBuf]) -> anyhow::Result<bool> {
    if workspace.autostage()
        && let Some(git) = workspace.git()
    {
        git.add(to_track)?;
        return Ok(true);
    }
    Ok(false)
}
