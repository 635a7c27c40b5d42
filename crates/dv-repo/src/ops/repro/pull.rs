//! `dvc repro --pull` (spec §9.2): data missing locally comes from the remote. The run-cache
//! is fetched first; a stage whose only changes are missing data gets its recorded outputs
//! pulled instead of being reproduced (`Pulling data for stage: 'x'`, or `Unable to pull
//! data for stage: 'x'` and it runs after all); a stage about to run first pulls its missing
//! dependencies, and the outputs of a run found in the run-cache are pulled before they are
//! checked out.

use std::path::PathBuf;

use dv_data::checkout::CheckoutOptions as LinkOptions;
use dv_data::progress::Progress;
use dv_pipeline::stage::Stage;
use dv_schema::dvc_file::Output;
use dv_schema::hash::ObjectId;
use dv_schema::lock_file::LockStage;

use super::run::{Failure, ReproEvent, Run};
use crate::error::DvcError;
use crate::index::DvcFileEntry;
use crate::index::{self as stages, RepoStage};
use crate::outputs::missing_error;
use crate::outputs::{OutputState, in_cache, output_state};
use crate::pipelines::RepoWorkspace;
use crate::remotes::{self, UnknownRemote};
use crate::run_cache::RunCache;
use crate::transfer::{self, ObjectSet, UsedOutput};
use crate::workspace::Workspace;

/// Fetches every run-cache entry of the default remote (DVC's `stage_cache.pull(None)`);
/// without a usable remote configuration this is only a warning.
pub(super) fn pull_run_cache(
    workspace: &Workspace,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    let Some(name) = remotes::default_remote(workspace, None) else {
        let error = remotes::no_remote_error(workspace, "fetch --run-cache");
        events(ReproEvent::RunCachePullFailed(error.to_string()));
        return Ok(());
    };
    let remote = match remotes::open_remote(workspace, &name, false) {
        Ok(remote) => remote,
        Err(error) if error.is::<UnknownRemote>() => {
            events(ReproEvent::RunCachePullFailed(error.to_string()));
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    RunCache::new(workspace.cache_dir()).fetch_from(&remote, None)?;
    Ok(())
}

/// An output recorded for a stage: where it goes and what it holds.
struct Recorded {
    path: PathBuf,
    output: Output,
}

/// Pulls the outputs a `.dvc` file records (DVC's `repo.pull(stage)` and `stage.checkout()`):
/// whether every one of them could be checked out.
pub(super) fn pull_data_source(
    run: &mut Run<'_>,
    entry: &DvcFileEntry,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<bool> {
    let recorded = entry
        .file
        .outs
        .iter()
        .filter(|out| !dv_pipeline::stage::is_url(&out.path))
        .map(|out| Recorded {
            path: entry.resolve(out),
            output: out.clone(),
        })
        .collect::<Vec<_>>();
    pull_outputs(run, &recorded, repo_workspace, events)
}

/// Pulls the outputs a pipeline stage's lock entry records: whether every one of them could be
/// checked out.
pub(super) fn pull_stage(
    run: &mut Run<'_>,
    stage: &Stage,
    previous: Option<&LockStage>,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<bool> {
    let recorded = stage_outputs(run.workspace, stage, previous);
    let unrecorded: Vec<String> = recorded
        .iter()
        .filter(|out| out.output.md5.is_none())
        .map(|out| out.path.display().to_string())
        .collect();
    if !unrecorded.is_empty() {
        events(ReproEvent::UnrecordedOutputs(unrecorded));
    }
    pull_outputs(run, &recorded, repo_workspace, events)
}

/// The outputs of `stage` as `lock` records them (without a hash when it records nothing),
/// with their `dvc.yaml` flags.
fn stage_outputs(workspace: &Workspace, stage: &Stage, lock: Option<&LockStage>) -> Vec<Recorded> {
    stage
        .outs
        .iter()
        .filter_map(|out| {
            let path = out.path.to_path(workspace.root())?;
            let mut output = lock
                .and_then(|lock| lock.outs.iter().find(|o| o.path == out.def_path))
                .cloned()
                .unwrap_or_else(|| Output {
                    path: out.def_path.clone(),
                    ..Output::default()
                });
            output.cache = out.definition.cache;
            output.push = out.definition.push;
            output.remote = out.definition.remote.clone();
            Some(Recorded { path, output })
        })
        .collect()
}

/// Pulls the dependencies of `stage` that do not exist (DVC's `_pull_missing_deps`): each is
/// looked up among the recorded outputs of the repository's stages; one that cannot be
/// checked out fails the stage with DVC's `CheckoutError`.
pub(super) fn pull_missing_dependencies(
    run: &mut Run<'_>,
    stage: &Stage,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    let workspace = run.workspace;
    for dep in &stage.deps {
        let Some(path) = dep.path.to_path(workspace.root()) else {
            continue;
        };
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        let mut wanted = Vec::new();
        for other in &run.index.stages {
            let recorded = match other {
                RepoStage::Pipeline { stage: other, .. } => {
                    let (_, lock_file) = crate::pipelines::read_lock(workspace, &other.file)?;
                    stage_outputs(workspace, other, lock_file.stage(&other.name))
                }
                RepoStage::File { entry, .. } => entry
                    .file
                    .outs
                    .iter()
                    .filter(|out| !dv_pipeline::stage::is_url(&out.path))
                    .map(|out| Recorded {
                        path: entry.resolve(out),
                        output: out.clone(),
                    })
                    .collect(),
            };
            wanted.extend(
                recorded
                    .into_iter()
                    .filter(|out| out.path == path || path.starts_with(&out.path)),
            );
        }
        if wanted.is_empty() {
            // DVC pulls the dependency as a target: one that names nothing fails to collect.
            if let Err(error) = stages::collect_granular(workspace, run.index, &dep.def_path) {
                events(ReproEvent::CollectFailed);
                return Err(Failure::with_cause(error.to_string()).into());
            }
        }
        if wanted.is_empty() || !pull_outputs(run, &wanted, repo_workspace, events)? {
            let failed: Vec<String> = if wanted.is_empty() {
                vec![workspace.display_path(&path)]
            } else {
                wanted
                    .iter()
                    .map(|out| workspace.display_path(&out.path))
                    .collect()
            };
            return Err(missing_error(&failed).into());
        }
    }
    Ok(())
}

/// Fetches the cached objects of `outputs` that the cache lacks from their remotes (outputs
/// without a remote are left missing), then checks out every output whose data is complete;
/// whether all could be checked out. Like DVC's checkout, workspace content that exists
/// nowhere else is never replaced or removed: the stage fails instead.
fn pull_outputs(
    run: &mut Run<'_>,
    outputs: &[Recorded],
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<bool> {
    let workspace = run.workspace;
    let used: Vec<UsedOutput> = outputs
        .iter()
        .filter(|out| out.output.cache)
        .filter_map(|out| {
            Some(UsedOutput {
                name: workspace.display_path(&out.path),
                id: out.output.md5?,
                hash_name: out.output.hash_name,
                remote: out.output.remote.clone(),
                size: out.output.size,
                source: None,
                import_file: None,
            })
        })
        .collect();
    let missing = fetch(workspace, used, Remotes::SkipMissing)?;
    if !missing.is_empty() {
        events(ReproEvent::MissingObjects(
            missing
                .iter()
                .map(|(hash_name, id, _)| format!("{hash_name}: {id}"))
                .collect(),
        ));
    }
    let links = workspace.link_types()?;
    let jobs = repo_workspace.jobs();
    let mut complete = true;
    for out in outputs.iter().filter(|out| out.output.cache) {
        let Some(recorded) = out.output.md5 else {
            // Nothing recorded: nothing to pull (DVC: `No file hash info found`).
            complete = false;
            continue;
        };
        let odb = workspace.odb(out.output.hash_name);
        let available = Some(recorded).filter(|id| in_cache(&odb, id));
        let current = output_state(
            workspace,
            &out.path,
            &out.output,
            jobs,
            repo_workspace.state(),
        )?;
        let shown = out.path.display();
        match &current {
            OutputState::Changed(built) if !in_cache(&odb, &built.object_id()) => {
                return Err(DvcError(format!(
                    "Can't remove the following unsaved files without confirmation. Use \
                     `--force` to force.\n{shown}"
                ))
                .into());
            }
            OutputState::Unchanged if available.is_none() => {
                return Err(DvcError(format!(
                    "unable to remove '{shown}' without a confirmation. Use `-f` to force."
                ))
                .into());
            }
            _ => {}
        }
        let Some(id) = available else {
            complete = false;
            continue;
        };
        if matches!(current, OutputState::Unchanged) {
            continue;
        }
        let options = LinkOptions {
            links: links.clone(),
            jobs,
        };
        crate::confine::guard_write_error(workspace, &out.path)?;
        dv_data::checkout::checkout(&odb, &id, &out.path, out.output.isexec, &options).map_err(
            |error| {
                anyhow::anyhow!(
                    "failed to check out '{}': {error}",
                    workspace.display_path(&out.path)
                )
            },
        )?;
    }
    Ok(complete)
}

/// Pulls the outputs of a run found in the run-cache before they are checked out (DVC's
/// `StageCache.restore` with `pull`); objects nobody has are reported with their names.
pub(super) fn pull_run_outputs(
    workspace: &Workspace,
    stage: &Stage,
    found: &LockStage,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    let used: Vec<UsedOutput> = stage_outputs(workspace, stage, Some(found))
        .into_iter()
        .filter(|out| out.output.cache)
        .filter_map(|out| {
            Some(UsedOutput {
                name: out.output.path.clone(),
                id: out.output.md5?,
                hash_name: out.output.hash_name,
                remote: out.output.remote.clone(),
                size: out.output.size,
                source: None,
                import_file: None,
            })
        })
        .collect();
    let missing = fetch(workspace, used, Remotes::Required)?;
    if !missing.is_empty() {
        events(ReproEvent::MissingObjects(
            missing
                .iter()
                .map(|(hash_name, id, name)| format!("name: {name}, {hash_name}: {id}"))
                .collect(),
        ));
    }
    Ok(())
}

/// Whether objects without a remote to come from are an error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Remotes {
    /// DVC's `no remote specified` configuration error (pulling objects by hash).
    Required,
    /// Left missing (pulling outputs by target, as `dvc pull` skips them).
    SkipMissing,
}

/// Downloads what the cache lacks of `outputs` (DVC's `fetch` of their objects); the objects
/// neither the cache nor the remote has, with the name of the output they belong to.
fn fetch(
    workspace: &Workspace,
    outputs: Vec<UsedOutput>,
    remotes: Remotes,
) -> anyhow::Result<Vec<(dv_schema::hash::HashName, ObjectId, String)>> {
    let wanted: Vec<UsedOutput> = outputs
        .into_iter()
        .filter(|out| !in_cache(&workspace.odb(out.hash_name), &out.id))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let default = remotes::default_remote(workspace, None);
    let progress = Progress::default();
    let mut missing = Vec::new();
    for (name, outputs) in transfer::group_by_remote(wanted, default.as_deref()) {
        let Some(name) = name else {
            match remotes {
                Remotes::Required => {
                    return Err(remotes::no_remote_error(workspace, "pull").into());
                }
                Remotes::SkipMissing => continue,
            }
        };
        let remote = remotes::open_remote(workspace, &name, false)?;
        for (hash_name, part) in transfer::split_by_layout(&outputs) {
            let trees = transfer::download_missing_trees(
                workspace, &remote, hash_name, &part, None, &progress,
            )?;
            let set = ObjectSet::collect(workspace, hash_name, &part)?;
            let name_of = |id: &ObjectId| {
                set.names
                    .iter()
                    .find(|(other, _)| other == id)
                    .map(|(_, name)| name.clone())
                    .unwrap_or_default()
            };
            missing.extend(trees.missing.iter().map(|id| (hash_name, *id, name_of(id))));
            let files: Vec<ObjectId> = set
                .names
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| !id.is_tree() && !set.odb.contains(id))
                .collect();
            let downloaded = transfer::download_into_cache(
                &set.odb,
                &remote,
                set.layout,
                &set.sized(&files),
                None,
                &progress,
            )?;
            missing.extend(
                downloaded
                    .missing
                    .iter()
                    .map(|id| (hash_name, *id, name_of(id))),
            );
        }
    }
    Ok(missing)
}
