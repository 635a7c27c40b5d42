//! `dv diff [A [B]] [--targets ...]`: the data that changed between two commits, or between a
//! commit and the workspace (DVC's `repo/diff.py` over `dvc_data.index.diff` with renames).
//!
//! Each side is the data index DVC builds for a revision: every cached output its `.dvc`
//! files and `dvc.lock` files record (inside the repository), directory outputs expanded from
//! their `.dir` manifests in the cache; the workspace side is hashed from disk through the
//! hash cache, so edits not yet added show up. Paths are relative to the repository root
//! whatever the working directory, as DVC prints them.
//!
//! Revisions follow DVC's brancher: `A` defaults to `HEAD`, `B` to the workspace (then, and
//! only then, old entries missing from the cache are reported); `workspace` names the working
//! tree as `B` only; two names of one commit compare nothing; a repository without commits
//! has nothing to compare.
//!
//! DVC keeps directory listings it once loaded in a private index outside the repository,
//! so after the cache is removed it may still list the files of a directory whose `.dir`
//! manifest is gone; dv reads the cache only, as DVC does on first use.

mod compare;
mod report;
mod sides;
mod targets;
mod tree;

use dv_data::progress::Progress;
use dv_schema::repo_path::RepoPath;
use dv_scm::history::ObjectId as CommitId;

pub use report::{Change, ChangeHash, ChangePath, DiffReport};
use sides::{Out, Side, recorded_outputs};

use crate::error::DvcError;
use crate::index::{Index, OnError};
use crate::outputs::known_complete;
use crate::revisions::{At, Revisions};
use crate::workspace::Workspace;

/// What `diff` compares.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The old revision (`HEAD` by default).
    pub a_rev: String,
    /// The new revision; `None`: the workspace, with "not in cache" entries.
    pub b_rev: Option<String>,
    /// `--targets`: stages, stage files or paths (relative to the working directory); all
    /// outputs when empty.
    pub targets: Vec<String>,
}

/// A target neither revision has: DVC lets Python's `FileNotFoundError` escape, an
/// unexpected error (exit code 255).
#[derive(Debug, thiserror::Error)]
#[error("[Errno 2] No such file or directory: '{0}'")]
pub struct MissingTarget(pub String);

/// DVC's message for a repository without git (`core.no_scm`).
const NO_SCM: &str = "Only supported for Git repositories. If you're seeing this error in a Git \
                      repo, try updating the DVC configuration with `dvc config core.no_scm \
                      false`.";

/// The name DVC gives the working tree.
const WORKSPACE: &str = "workspace";

/// One revision to compare: where its files are and the names that reached it.
struct Named {
    name: String,
    at: At,
}

/// The changes between `a_rev` and `b_rev` (the workspace by default); the files hashed in the
/// workspace are counted in `progress`.
pub fn diff(
    workspace: &Workspace,
    options: &DiffOptions,
    progress: &Progress,
) -> anyhow::Result<DiffReport> {
    if workspace.git().is_none() {
        return Err(DvcError(NO_SCM.to_owned()).into());
    }
    let revisions = Revisions::open(workspace)?;
    if !revisions.has_commits() {
        return Ok(DiffReport::default());
    }
    let with_missing = options.b_rev.is_none();
    let b_rev = options.b_rev.as_deref().unwrap_or(WORKSPACE);
    let named = select(&revisions, &options.a_rev, b_rev)?;

    // The hash cache is read only when the workspace is hashed.
    let mut state = None;
    let mut sides: Vec<(String, Vec<Out>, targets::Selection, Side)> = Vec::new();
    for revision in &named {
        let files = revisions.files(workspace.root(), revision.at)?;
        let index = Index::collect_from(workspace, files.as_ref(), OnError::Fail)?;
        let outs = recorded_outputs(workspace, &index, files.as_ref())?;
        let selection = targets::select(workspace, &index, &outs, &options.targets);
        sides::check_loadable(workspace, &outs, &selection.keys)?;
        let side = match revision.at {
            At::Workspace => {
                let state = state.get_or_insert_with(|| workspace.load_state());
                Side::workspace(workspace, &outs, &selection.keys, state, progress)?
            }
            At::Commit(_) => Side::recorded(workspace, &outs, &selection.keys),
        };
        sides.push((revision.name.clone(), outs, selection, side));
    }
    if let Some(state) = &mut state {
        workspace.save_state(state);
    }

    let find = |name: &str| sides.iter().find(|(named, ..)| named == name);
    if !options.targets.is_empty() {
        let missing = |name: &str| find(name).map(|(_, _, selection, _)| &selection.missing);
        if let (Some(old), Some(new)) = (missing(&options.a_rev), missing(b_rev))
            && let Some(target) = old.iter().find(|target| new.contains(target))
        {
            return Err(MissingTarget(target.clone()).into());
        }
    }
    let (Some(old), Some(new)) = (find(&options.a_rev), find(b_rev)) else {
        // One revision (both names reach the same commit): nothing to compare.
        return Ok(DiffReport::default());
    };
    if sides.len() == 1 {
        return Ok(DiffReport::default());
    }
    let mut roots: Vec<RepoPath> = [old, new]
        .iter()
        .flat_map(|(_, _, selection, _)| selection.keys.iter().map(|(_, key)| key.clone()))
        .collect();
    roots.sort();
    roots.dedup();
    let complete = |hash: &tree::Digest<'_>| match (hash, &state) {
        (tree::Digest::Id(name, id), Some(state)) => {
            known_complete(&workspace.odb(*name), id, state)
        }
        _ => false,
    };
    Ok(compare::compare(
        workspace,
        &old.3.sources(),
        &new.3.sources(),
        &roots,
        with_missing,
        &complete,
    ))
}

/// The revisions DVC's brancher yields for `[a_rev, b_rev]`: the workspace when `b_rev` names
/// it, then each distinct commit once, named by the names that reached it joined with `,`.
fn select(revisions: &Revisions, a_rev: &str, b_rev: &str) -> anyhow::Result<Vec<Named>> {
    let mut revs = vec![a_rev, b_rev];
    if let Some(position) = revs.iter().position(|rev| *rev == WORKSPACE) {
        revs.remove(position);
    }
    let mut named = Vec::new();
    if b_rev == WORKSPACE {
        named.push(Named {
            name: WORKSPACE.to_owned(),
            at: At::Workspace,
        });
    }
    let mut commits: Vec<(CommitId, Vec<&str>)> = Vec::new();
    for rev in revs {
        let id = revisions.resolve(rev)?;
        match commits.iter_mut().find(|(known, _)| *known == id) {
            Some((_, names)) => {
                if !names.contains(&rev) {
                    names.push(rev);
                }
            }
            None => commits.push((id, vec![rev])),
        }
    }
    for (id, names) in commits {
        if !revisions.holds_repo(id)? {
            continue;
        }
        named.push(Named {
            name: names.join(","),
            at: At::Commit(id),
        });
    }
    Ok(named)
}
