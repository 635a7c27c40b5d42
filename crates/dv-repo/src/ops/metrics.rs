//! `dv metrics show` and `dv metrics diff`: the metrics files of the selected revisions,
//! parsed, and the difference between two revisions (DVC's `repo/metrics/{show,diff}.py`).

use std::path::PathBuf;

use dv_schema::repo_path::RepoPath;

use crate::compare::{
    DiffResult, RevisionData, compare_pair, gather_pair, hide_workspace, repo_targets,
    revision_error, shown,
};
pub use crate::revisions::Scope;
use crate::revisions::values::{metrics_files, read_metrics};
use crate::revisions::{Revision, Revisions, Snapshot, select};
use crate::workspace::Workspace;

/// What `metrics show` reads.
#[derive(Debug, Clone, Default)]
pub struct ShowOptions {
    /// Metrics files (relative to the current directory); all when empty.
    pub targets: Vec<PathBuf>,
    /// The revisions (`-a`, `-T`, `-A`).
    pub scope: Scope,
}

/// What `metrics diff` compares.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The old revision (`HEAD`).
    pub a_rev: String,
    /// The new revision (`workspace`).
    pub b_rev: String,
    /// Metrics files; all when empty.
    pub targets: Vec<PathBuf>,
    /// `--all`: unchanged metrics too.
    pub all: bool,
}

/// The metrics of each selected revision, the workspace first; the workspace is left out when
/// it holds what the checked-out branch holds (`hide_workspace`).
pub fn show(workspace: &Workspace, options: &ShowOptions) -> anyhow::Result<Vec<RevisionData>> {
    let revisions = Revisions::open(workspace)?;
    let targets = repo_targets(workspace, &options.targets);
    let selected = select(&revisions, &options.scope, true)?;
    let mut results = Vec::new();
    for revision in selected {
        results.push(gather(workspace, &revisions, &revision, &targets));
    }
    Ok(hide_workspace(&revisions, results))
}

/// The changed metrics between `a_rev` and `b_rev` (DVC prints nothing for a repository
/// without commits).
pub fn diff(workspace: &Workspace, options: &DiffOptions) -> anyhow::Result<DiffResult> {
    let revisions = Revisions::open(workspace)?;
    if !revisions.has_commits() {
        return Ok(DiffResult::default());
    }
    let targets = repo_targets(workspace, &options.targets);
    let results = gather_pair(
        workspace,
        &revisions,
        &options.a_rev,
        &options.b_rev,
        |snapshot| {
            metrics_files(snapshot, &targets)
                .into_iter()
                .map(|path| {
                    let data = read_metrics(snapshot, &path);
                    (shown(workspace, &path), data)
                })
                .collect()
        },
    )?;
    Ok(compare_pair(
        &results,
        &options.a_rev,
        &options.b_rev,
        options.all,
    ))
}

fn gather(
    workspace: &Workspace,
    revisions: &Revisions,
    revision: &Revision,
    targets: &[RepoPath],
) -> RevisionData {
    let files = Snapshot::open(workspace, revisions, revision.at)
        .map(|snapshot| {
            metrics_files(&snapshot, targets)
                .into_iter()
                .map(|path| {
                    let data = read_metrics(&snapshot, &path);
                    (shown(workspace, &path), data)
                })
                .collect()
        })
        .map_err(revision_error);
    RevisionData {
        name: revision.name.clone(),
        files,
    }
}
