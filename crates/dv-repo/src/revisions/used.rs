//! The outputs the commits of a revision scope record (what `gc`, `push`, `fetch`, `pull` and
//! `status -c` keep or transfer beyond the workspace). Commits with the same tree are read
//! once.

use std::collections::HashSet;

use dv_schema::hash::{HashName, ObjectId};

use super::snapshot::{RecordedOutput, Snapshot};
use super::{At, Revisions, Scope, select};
use crate::error::DvcError;
use crate::workspace::Workspace;

/// The cached outputs recorded in the commits `scope` selects (not the workspace), each
/// (hash name, object) once. A commit that cannot be read fails with DVC's
/// `Failed to collect '<rev>'`, or with `skip_failed` is reported to `skipped` and left out.
pub(crate) fn outputs_in_history(
    workspace: &Workspace,
    scope: &Scope,
    skip_failed: bool,
    skipped: &mut dyn FnMut(String),
) -> anyhow::Result<Vec<RecordedOutput>> {
    if !scope.is_set() {
        return Ok(Vec::new());
    }
    let revisions = Revisions::open(workspace)?;
    let mut trees = HashSet::new();
    let mut seen: HashSet<(HashName, ObjectId)> = HashSet::new();
    let mut found = Vec::new();
    for revision in select(&revisions, scope, false)? {
        let At::Commit(commit) = revision.at else {
            continue;
        };
        let tree = revisions
            .history()
            .map(|history| history.tree_of(commit))
            .transpose()
            .map_err(super::to_anyhow)?;
        if !trees.insert(tree) {
            continue;
        }
        let snapshot = match Snapshot::open(workspace, &revisions, revision.at) {
            Ok(snapshot) => snapshot,
            Err(_) if skip_failed => {
                skipped(format!("Failed to collect '{}', skipping", revision.name));
                continue;
            }
            Err(error) => {
                return Err(
                    DvcError(format!("Failed to collect '{}': {error:#}", revision.name)).into(),
                );
            }
        };
        for recorded in snapshot.outputs() {
            let Some(id) = recorded.output.md5 else {
                continue;
            };
            if recorded.output.cache && seen.insert((recorded.output.hash_name, id)) {
                found.push(recorded.clone());
            }
        }
    }
    Ok(found)
}
