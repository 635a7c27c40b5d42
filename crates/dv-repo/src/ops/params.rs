//! `dv params diff`: the params of two revisions (every stage's `params`, top-level `params`
//! entries and `params.yaml`) and what changed between them (DVC's `repo/params/`).

use std::path::PathBuf;

use crate::compare::{DiffResult, compare_pair, gather_pair, repo_targets, shown};
use crate::revisions::Revisions;
use crate::revisions::values::{params_files, read_params};
use crate::workspace::Workspace;

/// What `params diff` compares.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The old revision (`HEAD`).
    pub a_rev: String,
    /// The new revision (`workspace`).
    pub b_rev: String,
    /// Params files; all when empty.
    pub targets: Vec<PathBuf>,
    /// `--all`: unchanged params too.
    pub all: bool,
    /// `--deps`: only params stages depend on.
    pub deps_only: bool,
}

/// The changed params between `a_rev` and `b_rev` (nothing in a repository without commits).
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
            params_files(snapshot, &targets, options.deps_only)
                .into_iter()
                .map(|(path, keys)| {
                    let data = read_params(snapshot, &path, &keys);
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
