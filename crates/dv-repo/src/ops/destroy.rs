//! `dvc destroy`: stop using DVC in this repository. Every `.dvc` file is deleted after its
//! outputs were unprotected (the data stays in the workspace as plain files), then the root
//! `.dvcignore` and the whole `.dvc/` directory, cache included. `.gitignore` entries stay,
//! as in DVC.

use anyhow::Context;

use crate::index;
use crate::ops::unprotect::unprotect_path;
use crate::workspace::Workspace;

/// What `destroy` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DestroyReport {
    /// `.dvc` files deleted.
    pub removed: usize,
}

/// Destroys the DVC repository of `workspace` (the caller asked for confirmation).
pub fn destroy(workspace: Workspace) -> anyhow::Result<DestroyReport> {
    let entries = index::load_targets(&workspace, &[])?;
    let mut report = DestroyReport::default();
    for entry in &entries {
        for output in &entry.file.outs {
            let path = entry.resolve(output);
            if output.cache
                && path.starts_with(workspace.root())
                && std::fs::symlink_metadata(&path).is_ok()
            {
                unprotect_path(&path)?;
            }
        }
        std::fs::remove_file(&entry.path).with_context(|| {
            format!("failed to remove '{}'", workspace.display_path(&entry.path))
        })?;
        report.removed += 1;
    }
    let root = workspace.root().to_path_buf();
    let dvc_dir = workspace.repo().dvc_dir();
    // Release the repository lock (it lives in `.dvc/tmp`) before deleting `.dvc/`.
    drop(workspace);
    crate::ops::remove::remove_path(&root.join(".dvcignore"))
        .context("failed to remove '.dvcignore'")?;
    crate::ops::remove::remove_path(&dvc_dir)
        .with_context(|| format!("failed to remove '{}'", dvc_dir.display()))?;
    Ok(report)
}
