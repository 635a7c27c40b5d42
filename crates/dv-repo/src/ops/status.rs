//! `dvc status` for `.dvc`-tracked outputs (spec §9.5): which outputs were modified, deleted or
//! are missing from the cache, in DVC's wording.

use std::path::PathBuf;

pub use crate::changes::{ChangedOutput, StageStatus};
use crate::changes::{is_repo_import, stage_statuses};
use crate::index::{self};
use crate::workspace::Workspace;

/// What `status` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct StatusOptions {
    /// `.dvc` files or outputs to look at (all when empty).
    pub targets: Vec<PathBuf>,
    /// Threads for hashing.
    pub jobs: Option<usize>,
}

/// The result of `status`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StatusReport {
    /// Whether anything is tracked at all.
    pub tracked: bool,
    /// Stages with changes, in collection order.
    pub stages: Vec<StageStatus>,
    /// Frozen stages, whose dependencies are not checked (DVC warns about each, except for
    /// repository and version-aware imports).
    pub frozen: Vec<String>,
}

/// Compares every tracked output with the workspace and the cache; a `dvc import` stage also
/// asks its source repository whether an update is available.
pub fn status(workspace: &Workspace, options: &StatusOptions) -> anyhow::Result<StatusReport> {
    let entries = index::load_targets(workspace, &options.targets)?;
    let jobs = workspace.jobs(options.jobs);
    let mut state = workspace.load_state();
    let result = stage_statuses(workspace, &entries, jobs, &mut state, true);
    workspace.save_state(&mut state);
    Ok(StatusReport {
        tracked: !entries.is_empty(),
        stages: result?,
        frozen: entries
            .iter()
            .filter(|entry| {
                entry.file.frozen
                    && !is_repo_import(entry)
                    && !crate::imports::is_version_aware_import(entry)
            })
            .map(|entry| workspace.display_path(&entry.path))
            .collect(),
    })
}
