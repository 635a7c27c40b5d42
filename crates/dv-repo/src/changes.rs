//! What changed in `.dvc`-tracked stages (spec §9.5), in DVC's wording: outputs modified,
//! deleted or missing from the cache, version-aware import sources that moved on, import stages
//! whose checksum no longer matches. `status` shows it; `repro` decides from it whether a
//! `.dvc` file's data sources are saved again.

use dv_data::state::State;

use crate::index::DvcFileEntry;
use crate::outputs::{OutputState, in_cache_with, output_state};
use crate::workspace::Workspace;

/// One changed output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangedOutput {
    /// The output path as shown (relative to the working directory).
    pub path: String,
    /// `modified`, `deleted` or `not in cache`.
    pub status: &'static str,
}

/// The changes of one `.dvc` file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StageStatus {
    /// The `.dvc` file as shown (relative to the working directory).
    pub name: String,
    /// Its changed dependencies (version-aware imports whose source moved on).
    pub changed_deps: Vec<ChangedOutput>,
    /// Its changed outputs.
    pub changed_outs: Vec<ChangedOutput>,
    /// The recorded stage checksum (`md5:` of import stages) does not match the content.
    pub changed_checksum: bool,
}

/// A `dvc import` stage (its dependency names a repository): DVC shows its status although it
/// is frozen, so it gets no frozen warning.
pub(crate) fn is_repo_import(entry: &DvcFileEntry) -> bool {
    entry.file.is_repo_import()
}

/// The changes of each `.dvc` file of `entries` that has any, in DVC's words (DVC's
/// `Output.status`: an output whose object the cache lacks is `not in cache` before anything
/// else).
pub(crate) fn stage_statuses(
    workspace: &Workspace,
    entries: &[DvcFileEntry],
    jobs: std::num::NonZeroUsize,
    state: &mut State,
    check_updates: bool,
) -> anyhow::Result<Vec<StageStatus>> {
    let mut stages = Vec::new();
    for entry in entries {
        let mut changed_deps = Vec::new();
        if crate::imports::is_version_aware_import(entry)
            && let Some(status) = crate::imports::versioned_dependency_change(workspace, entry)?
        {
            changed_deps.push(ChangedOutput {
                path: entry.file.deps[0].path.clone(),
                status,
            });
        }
        if check_updates && entry.file.is_repo_import() {
            // `dvc status` asks the source repository even when the import is frozen.
            let dep = &entry.file.deps[0];
            if crate::repo_import::update_available(dep)? {
                changed_deps.push(ChangedOutput {
                    path: crate::repo_import::shown_dependency(dep),
                    status: "update available",
                });
            }
        }
        let mut changed_outs = Vec::new();
        for output in &entry.file.outs {
            let path = entry.resolve(output);
            let Some(id) = output.md5 else {
                // An import made with `--no-download`: nothing recorded yet.
                let status = if std::fs::symlink_metadata(&path).is_ok() {
                    "modified"
                } else {
                    "deleted"
                };
                changed_outs.push(ChangedOutput {
                    path: workspace.display_path(&path),
                    status,
                });
                continue;
            };
            let odb = workspace.odb(output.hash_name);
            let status = match output_state(workspace, &path, output, jobs, state)? {
                OutputState::Missing
                    if !output.cache || in_cache_with(&odb, &id, Some(&mut *state)) =>
                {
                    Some("deleted")
                }
                OutputState::Missing => Some("not in cache"),
                OutputState::Changed(_)
                    if output.cache && !in_cache_with(&odb, &id, Some(&mut *state)) =>
                {
                    Some("not in cache")
                }
                OutputState::Changed(_) => Some("modified"),
                OutputState::Unchanged => (output.cache
                    && !in_cache_with(&odb, &id, Some(&mut *state)))
                .then_some("not in cache"),
            };
            if let Some(status) = status {
                changed_outs.push(ChangedOutput {
                    path: workspace.display_path(&path),
                    status,
                });
            }
        }
        let changed_checksum = (entry.file.md5.is_some() || entry.file.is_import())
            && entry.file.md5 != Some(entry.file.stage_md5());
        if !changed_deps.is_empty() || !changed_outs.is_empty() || changed_checksum {
            stages.push(StageStatus {
                name: workspace.display_path(&entry.path),
                changed_deps,
                changed_outs,
                changed_checksum,
            });
        }
    }
    Ok(stages)
}
