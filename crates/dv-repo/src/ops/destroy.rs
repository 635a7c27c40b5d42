//! `dvc destroy`: stop using DVC in this repository. Every stage of the index is undone in
//! turn: its cached outputs are unprotected (the data stays in the workspace as plain files),
//! then its stage file is deleted: a `.dvc` file, or a `dvc.yaml` together with its
//! `dvc.lock`. Then the root `.dvcignore` and the whole `.dvc/` directory, cache included,
//! go. `.gitignore` entries stay, and so does a `dvc.yaml` without stages, as in DVC.

use std::path::Path;

use anyhow::Context;

use crate::index::{Index, OnError, RepoStage};
use crate::outputs::unprotect_path;
use crate::pipelines::DVC_LOCK;
use crate::workspace::Workspace;

/// What `destroy` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DestroyReport {
    /// Stage files (`.dvc` files and `dvc.yaml` files) deleted.
    pub removed: usize,
}

/// Destroys the DVC repository of `workspace` (the caller asked for confirmation).
pub fn destroy(workspace: Workspace) -> anyhow::Result<DestroyReport> {
    let index = Index::collect(&workspace, OnError::Fail)?;
    let mut report = DestroyReport::default();
    for stage in &index.stages {
        for path in stage.cached_output_paths(workspace.root()) {
            if path.starts_with(workspace.root()) && std::fs::symlink_metadata(&path).is_ok() {
                unprotect_path(&path)?;
            }
        }
        let file = crate::workspace::absolute(&workspace, stage.file());
        if remove_if_present(&workspace, &file)? {
            report.removed += 1;
        }
        if let RepoStage::Pipeline { .. } = stage {
            remove_if_present(&workspace, &file.with_file_name(DVC_LOCK))?;
        }
    }
    let root = workspace.root().to_path_buf();
    let dvc_dir = workspace.repo().dvc_dir();
    // Release the repository lock (it lives in `.dvc/tmp`) before deleting `.dvc/`.
    drop(workspace);
    crate::outputs::remove_path(&root.join(".dvcignore"))
        .context("failed to remove '.dvcignore'")?;
    crate::outputs::remove_path(&dvc_dir)
        .with_context(|| format!("failed to remove '{}'", dvc_dir.display()))?;
    Ok(report)
}

/// Deletes the file at `path` unless it is already gone (several stages share a `dvc.yaml`);
/// returns whether it was there.
fn remove_if_present(workspace: &Workspace, path: &Path) -> anyhow::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error)
            .with_context(|| format!("failed to remove '{}'", workspace.display_path(path))),
    }
}
