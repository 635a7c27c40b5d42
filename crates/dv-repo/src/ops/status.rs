//! `dvc status` for `.dvc`-tracked outputs (spec §9.5): which outputs were modified, deleted or
//! are missing from the cache, in DVC's wording.

use std::path::{Path, PathBuf};

use dv_data::build::{self, BuildOptions, Built};
use dv_data::odb::Odb;
use dv_data::state::State;
use dv_schema::dvc_file::Output;
use dv_schema::hash::ObjectId;

use crate::index::{self, DvcFileEntry};
use crate::workspace::Workspace;

/// What `status` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct StatusOptions {
    /// `.dvc` files or outputs to look at (all when empty).
    pub targets: Vec<PathBuf>,
    /// Threads for hashing.
    pub jobs: Option<usize>,
}

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

/// How a workspace output compares with what its `.dvc` file records.
#[derive(Debug)]
pub(crate) enum OutputState {
    /// Nothing at the path.
    Missing,
    /// The workspace content hashes to the recorded object.
    Unchanged,
    /// The workspace content differs.
    Changed(Built),
}

/// Builds the workspace content of `output` (hashed like the recorded entry) and compares it.
pub(crate) fn output_state(
    workspace: &Workspace,
    path: &Path,
    output: &Output,
    jobs: std::num::NonZeroUsize,
    state: &mut State,
) -> anyhow::Result<OutputState> {
    // Nothing there, or a link to nothing (or to itself): the output is deleted, and checkout
    // replaces the link.
    if let Err(error) = std::fs::metadata(path)
        && (error.kind() == std::io::ErrorKind::NotFound
            || error.raw_os_error() == Some(libc::ELOOP))
    {
        return Ok(OutputState::Missing);
    }
    let built = build::build(
        workspace.root(),
        path,
        &BuildOptions {
            hash_name: output.hash_name,
            jobs,
        },
        state,
    )
    .map_err(|error| {
        anyhow::Error::new(error).context(crate::DvcError(format!(
            "failed to hash '{}'",
            dv_schema::shown::escape_name(&workspace.display_path(path))
        )))
    })?;
    if Some(built.object_id()) == output.md5 {
        Ok(OutputState::Unchanged)
    } else {
        Ok(OutputState::Changed(built))
    }
}

/// Whether object `id` (and, for a tree, every file it lists) is in the cache.
pub(crate) fn in_cache(odb: &Odb, id: &ObjectId) -> bool {
    in_cache_with(odb, id, None)
}

/// Whether object `id` is present and can be used: read-only objects are trusted, others are
/// re-hashed, so an object whose content no longer matches its name is never checked out as
/// if it were good (DVC's rule, spec §3.1).
fn is_valid(odb: &Odb, id: &ObjectId) -> bool {
    matches!(odb.check(id, true), Ok(dv_data::odb::ObjectState::Valid))
}

/// Records that tree `id` and every file it lists are in `odb` (right after storing them),
/// so the next status does not check its objects one by one.
pub(crate) fn mark_complete(odb: &Odb, id: &ObjectId, state: &mut State) {
    if id.is_tree() {
        let (key, stamp) = complete_tree_key(odb, id);
        state.insert(&key, stamp, id.md5);
    }
}

fn complete_tree_key(odb: &Odb, id: &ObjectId) -> (String, dv_data::state::FileStamp) {
    let key = format!("\0complete-tree:{}:{}", odb.objects_dir().display(), id);
    let stamp = dv_data::state::FileStamp {
        inode: 0,
        mtime_ns: 0,
        size: odb.fingerprint(),
    };
    (key, stamp)
}

/// [`in_cache`], remembering complete trees in the hash cache: a tree found complete is not
/// re-checked file by file while the cache's fingerprint (shard directory mtimes, which any
/// added or removed object changes) stays the same.
pub(crate) fn in_cache_with(odb: &Odb, id: &ObjectId, state: Option<&mut State>) -> bool {
    if !is_valid(odb, id) {
        return false;
    }
    if !id.is_tree() {
        return true;
    }
    let (key, stamp) = complete_tree_key(odb, id);
    if let Some(state) = &state
        && state.get(&key, &stamp) == Some(id.md5)
    {
        return true;
    }
    let complete = match odb.read_tree(id) {
        Ok(manifest) => manifest.entries().iter().all(|entry| {
            entry
                .hash
                .md5()
                .is_some_and(|md5| is_valid(odb, &ObjectId::file(md5)))
        }),
        Err(_) => false,
    };
    if complete && let Some(state) = state {
        state.insert(&key, stamp, id.md5);
    }
    complete
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
                    && !crate::ops::import_url::is_version_aware_import(entry)
            })
            .map(|entry| workspace.display_path(&entry.path))
            .collect(),
    })
}

/// A `dvc import` stage (its dependency names a repository): DVC shows its status although it
/// is frozen, so it gets no frozen warning.
fn is_repo_import(entry: &DvcFileEntry) -> bool {
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
        if crate::ops::import_url::is_version_aware_import(entry)
            && let Some(status) =
                crate::ops::import_url::versioned_dependency_change(workspace, entry)?
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
