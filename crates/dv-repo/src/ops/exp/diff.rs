//! `exp diff` (DVC's `repo/experiments/diff.py`): the metrics and params of two revisions,
//! each a git revision or an experiment name (the old one `HEAD`, the new one the workspace by
//! default), read as `exp show` reads them and compared as `metrics diff` compares.

use super::show::{Collector, ExpState, require_git, resolve_rev};
use crate::compare::{Diff, FileData, RevisionData, diff as compare};
use crate::revisions::Revisions;
use crate::workspace::Workspace;

/// What `exp diff` compares.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// The old revision or experiment (`HEAD`).
    pub a_rev: Option<String>,
    /// The new revision or experiment (the workspace).
    pub b_rev: Option<String>,
    /// `--all`: unchanged values too.
    pub all: bool,
    /// `--param-deps`: only params stages depend on.
    pub param_deps: bool,
}

/// The changes, per kind.
#[derive(Debug, Clone, Default)]
pub struct ExpDiff {
    /// Metrics changes per file.
    pub metrics: Diff,
    /// Params changes per file.
    pub params: Diff,
}

/// `exp diff`: `None` in a repository without commits (DVC prints `{}` or nothing).
pub fn diff(workspace: &Workspace, options: &DiffOptions) -> anyhow::Result<Option<ExpDiff>> {
    require_git(workspace)?;
    let revisions = Revisions::open(workspace)?;
    if !revisions.has_commits() {
        return Ok(None);
    }
    let mut collector = Collector::new(workspace, &revisions, options.param_deps);
    let mut state_of = |rev: Option<&str>, default_head: bool| -> anyhow::Result<ExpState> {
        match rev {
            None if !default_head => Ok(collector.workspace()),
            rev => {
                let commit = resolve_rev(workspace, &revisions, rev.unwrap_or("HEAD"))?;
                let id = revisions.resolve(&commit)?;
                Ok(collector.commit(id))
            }
        }
    };
    let old = state_of(options.a_rev.as_deref(), true)?;
    let new = state_of(options.b_rev.as_deref(), false)?;
    let files = |state: &ExpState, metrics: bool| RevisionData {
        name: state.rev.clone(),
        files: Ok(state
            .data
            .as_ref()
            .map(|data| {
                if metrics {
                    data.metrics.clone()
                } else {
                    data.params.clone()
                }
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, data)| matches!(data, FileData::Data(_)))
            .collect()),
    };
    Ok(Some(ExpDiff {
        metrics: compare(
            Some(&files(&old, true)),
            Some(&files(&new, true)),
            options.all,
        ),
        params: compare(
            Some(&files(&old, false)),
            Some(&files(&new, false)),
            options.all,
        ),
    }))
}
