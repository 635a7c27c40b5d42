//! Deciding what a planned stage needs before its command could run (DVC's `Stage.reproduce` up to
//! `run`): skipped when unchanged, pulled (`--pull`), confirmed (`-i`), restored from the run-cache
//! or its `dvc.lock` entry, a frozen stage verified, or its command prepared.

use std::path::PathBuf;

use anyhow::Context;
use dv_data::checkout::CheckoutOptions as LinkOptions;
use dv_fs::link::LinkType;
use dv_pipeline::explain;
use dv_pipeline::graph::StageGraph;
use dv_pipeline::lock::{self, RunInputs};
use dv_pipeline::run_cache;
use dv_pipeline::stage::{EntryPath, Stage};
use dv_pipeline::status::{CheckMode, CheckOptions, HashValue, Workspace as _, check};
use dv_schema::lock_file::{LockStage, python_equal};
use dv_schema::yaml::Value;

use crate::error::DvcError;
use crate::index::RepoStage;
use crate::pipelines::{RepoWorkspace, read_lock};
use crate::run_cache::{Lookup, RunCache};
use crate::workspace::Workspace;

use super::command::{CommandRun, command_run};
use super::run::*;
use super::trash::remove_outputs;
use super::{data_source, pull};

/// The outputs of the stages a stage depends on, with their recorded hashes.
pub(super) type Upstream = Vec<(EntryPath, Option<HashValue>)>;

/// What [`Run::prepare`] decided for a stage.
pub(super) enum Prepared {
    /// Nothing more to do; whether the stage ran (or would have, with `--dry`).
    Done(bool),
    /// Its outputs were restored or verified without running its command: record it.
    Record(Recording),
    /// Run its commands, then record it.
    Execute(Recording, CommandRun),
}

/// What recording a stage after its run needs from before it.
pub(super) struct Recording {
    /// The stage's lock entry before the run.
    pub(super) previous: Option<LockStage>,
    /// Its dependencies and params as hashed before the command started (`None` when not
    /// hashed, e.g. for frozen stages): what the lock records, with a warning when they
    /// changed while the command ran.
    pub(super) inputs: Option<RunInputs>,
}

/// The run whose outputs can stand for running `stage` now (DVC's `StageCache.restore`), if
/// any: its `dvc.lock` entry when the command, dependencies and params are unchanged and every
/// output is recorded (only outputs changed); otherwise, unless `--no-run-cache`, the newest
/// run-cache entry for its command, dependencies and params. Either way, only if the cache has
/// every output of the run (pulled from the remote first with `--pull`). With `--dry`, like
/// DVC, the run-cache key is computed from the recorded dependencies, not from fresh hashes.
pub(super) fn restorable_run(
    workspace: &Workspace,
    stage: &Stage,
    previous: Option<&LockStage>,
    fresh: Option<&RunInputs>,
    options: &ReproOptions,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<Option<LockStage>> {
    if !run_cache::can_hash(stage) {
        return Ok(None);
    }
    // A dependency that cannot be hashed (`fresh` is `None`) fails the stage later, as it
    // would without a cache.
    let recorded_run = match (previous, fresh) {
        (Some(previous), Some(inputs)) if same_inputs(stage, previous, inputs) => {
            recorded_outputs(stage, previous).map(|outs| {
                lock::lock_stage(stage, inputs.deps.clone(), inputs.params.clone(), outs)
            })
        }
        _ => None,
    };
    let run = match recorded_run {
        Some(run) => run,
        None if options.no_run_cache => return Ok(None),
        None => {
            let inputs = if options.dry {
                previous.and_then(|previous| recorded_inputs(stage, previous))
            } else {
                fresh.cloned()
            };
            let Some(inputs) = inputs else {
                return Ok(None);
            };
            let key = run_cache::inputs_key(stage, inputs);
            match RunCache::new(workspace.cache_dir()).lookup(&key)? {
                Lookup::Found(run) => run,
                Lookup::Missing => return Ok(None),
                Lookup::Corrupted(path) => {
                    events(ReproEvent::CorruptedRun(workspace.display_path(&path)));
                    return Ok(None);
                }
            }
        }
    };
    if options.pull && !options.dry {
        pull::pull_run_outputs(workspace, stage, &run, events)?;
    }
    for out in &run.outs {
        if !stage.outs.iter().any(|own| own.def_path == out.path) {
            return Ok(None);
        }
        let Some(id) = out.md5 else {
            return Ok(None);
        };
        let in_cache = repo_workspace
            .in_cache(&id, out.hash_name)
            .map_err(|error| anyhow::anyhow!("failed to look up '{id}' in the cache: {error}"))?;
        if !in_cache {
            return Ok(None);
        }
    }
    Ok(Some(run))
}

/// Whether `stage`'s command and the current `deps` and `params` are those `previous` recorded.
pub(super) fn same_inputs(stage: &Stage, previous: &LockStage, inputs: &RunInputs) -> bool {
    python_equal(&previous.cmd.to_value(), &stage.cmd().to_value())
        && inputs.deps.iter().all(|dep| {
            previous.deps.iter().any(|old| {
                old.path == dep.path
                    && HashValue::of(old).is_some()
                    && HashValue::of(old) == HashValue::of(dep)
            })
        })
        && inputs.params.iter().all(|(file, values)| {
            previous.params.file(file).is_some_and(|old| {
                python_equal(
                    &Value::Mapping(old.clone()),
                    &Value::Mapping(values.clone()),
                )
            })
        })
}

/// The recorded entry of every output of `stage`, if each has a hash.
pub(super) fn recorded_outputs(
    stage: &Stage,
    previous: &LockStage,
) -> Option<Vec<dv_schema::dvc_file::Output>> {
    stage
        .outs
        .iter()
        .map(|out| {
            previous
                .outs
                .iter()
                .find(|old| old.path == out.def_path && old.md5.is_some())
                .cloned()
        })
        .collect()
}

/// The recorded dependencies and params values of `stage`, if every one is recorded.
pub(super) fn recorded_inputs(stage: &Stage, previous: &LockStage) -> Option<RunInputs> {
    let deps = stage
        .deps
        .iter()
        .map(|dep| {
            previous
                .deps
                .iter()
                .find(|old| old.path == dep.def_path && HashValue::of(old).is_some())
                .cloned()
        })
        .collect::<Option<Vec<_>>>()?;
    let params = stage
        .params
        .iter()
        .map(|params| {
            previous
                .params
                .file(&params.def_path)
                .map(|values| (params.def_path.clone(), values.clone()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(RunInputs { deps, params })
}

/// Checks the outputs of `run` out of the cache in place of running the stage; uncached
/// outputs (metrics, plots with `cache: false`) as copies.
pub(super) fn restore_outputs(
    workspace: &Workspace,
    stage: &Stage,
    run: &LockStage,
) -> anyhow::Result<()> {
    let links = workspace.link_types()?;
    let jobs = workspace.jobs(None);
    for recorded in &run.outs {
        let Some(out) = stage.outs.iter().find(|out| out.def_path == recorded.path) else {
            continue;
        };
        let (Some(path), Some(id)) = (out.path.to_path(workspace.root()), recorded.md5) else {
            continue;
        };
        let options = LinkOptions {
            links: if out.is_cached() {
                links.clone()
            } else {
                vec![LinkType::Copy]
            },
            jobs,
        };
        let odb = workspace.odb(recorded.hash_name);
        crate::confine::guard_write_error(workspace, &path)?;
        dv_data::checkout::checkout(&odb, &id, &path, recorded.isexec, &options)
            .with_context(|| format!("failed to check out '{}'", workspace.display_path(&path)))?;
    }
    Ok(())
}

/// The local file and directory dependencies of `stage` that do not exist, absolute, in
/// `dvc.yaml` order.
pub(super) fn missing_dependencies(workspace: &Workspace, stage: &Stage) -> Vec<PathBuf> {
    stage
        .deps
        .iter()
        .filter_map(|dep| dep.path.to_path(workspace.root()))
        .filter(|path| std::fs::symlink_metadata(path).is_err())
        .collect()
}

/// Whether DVC can hash the dependencies of a stage for a run-cache lookup (`_can_hash`).
pub(super) enum Hashing {
    /// Every dependency hashes.
    Hashable,
    /// A params file tracked as a whole is missing or empty: an empty hash, so no lookup.
    Empty,
    /// A dependency cannot be hashed, with DVC's (or Python's) error: a missing file
    /// (`[Errno 2] No such file or directory: '<absolute path>'`) or params keys missing from
    /// their file (`Parameters 'lr' are missing from 'params.yaml'.`).
    Failed(anyhow::Error),
}

/// Hashes the dependencies of `stage` as DVC does to look its run up, in DVC's order (files,
/// then params).
pub(super) fn hash_dependencies(
    workspace: &Workspace,
    stage: &Stage,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<Hashing> {
    if let Some(missing) = missing_dependencies(workspace, stage).first() {
        return Ok(Hashing::Failed(
            DvcError(format!(
                "[Errno 2] No such file or directory: '{}'",
                missing.display()
            ))
            .into(),
        ));
    }
    for params in &stage.params {
        let values = dv_pipeline::status::read_params(repo_workspace, params)
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .unwrap_or_default();
        if params.keys.is_empty() {
            if values.is_empty() {
                return Ok(Hashing::Empty);
            }
            continue;
        }
        let missing: Vec<&str> = params
            .keys
            .iter()
            .filter(|key| !values.contains_key(key.as_str()))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            let shown = match params.path.to_path(workspace.root()) {
                Some(path) => workspace.display_path(&path),
                None => params.def_path.clone(),
            };
            return Ok(Hashing::Failed(
                DvcError(format!(
                    "Parameters '{}' are missing from '{shown}'.",
                    missing.join(", ")
                ))
                .into(),
            ));
        }
    }
    Ok(Hashing::Hashable)
}

impl Run<'_> {
    /// The recorded outputs of `stages` (what DVC's `upstream` stage objects hold: their lock
    /// entries or `.dvc` files as last written).
    pub(super) fn upstream(&self, stages: &[usize]) -> anyhow::Result<Upstream> {
        let mut outputs = Vec::new();
        for &position in stages {
            match &self.index.stages[position] {
                RepoStage::Pipeline { stage, .. } => {
                    let (_, lock_file) = read_lock(self.workspace, &stage.file)?;
                    let recorded = lock_file.stage(&stage.name);
                    for out in &stage.outs {
                        let hash = recorded
                            .and_then(|entry| entry.outs.iter().find(|o| o.path == out.def_path))
                            .and_then(HashValue::of);
                        outputs.push((out.path.clone(), hash));
                    }
                }
                RepoStage::File { entry, .. } => {
                    let current = crate::index::DvcFileEntry::load(self.workspace, &entry.path)
                        .map(|loaded| loaded.file)
                        .unwrap_or_else(|_| entry.file.clone());
                    let node =
                        self.index.stages[position].graph_node(self.workspace, &self.index.cwd);
                    for (out, placed) in current.outs.iter().zip(&node.outs) {
                        outputs.push((placed.path.clone(), HashValue::of(out)));
                    }
                }
            }
        }
        Ok(outputs)
    }

    /// Whether a planned stage changed now (what decides, before anything runs, that a
    /// cluster run submits it).
    pub(super) fn changed_now(
        &mut self,
        graph: Option<&StageGraph>,
        step: usize,
        repo_workspace: &mut RepoWorkspace<'_>,
    ) -> anyhow::Result<bool> {
        let upstream = match graph {
            Some(graph) if self.options.allow_missing => self.upstream(graph.dependencies(step))?,
            _ => Vec::new(),
        };
        let index = self.index;
        match &index.stages[step] {
            RepoStage::Pipeline { stage, .. } => {
                let previous = self.lock(&stage.file)?.file.stage(&stage.name).cloned();
                check(
                    stage,
                    previous.as_ref(),
                    repo_workspace,
                    CheckOptions {
                        mode: CheckMode::FirstChange,
                        allow_missing: self.options.allow_missing,
                    },
                    &upstream,
                )
                .map(|changes| changes.changed)
                .map_err(|error| anyhow::anyhow!("{error}"))
            }
            RepoStage::File { entry, .. } => {
                data_source::changed(self, entry, self.options.allow_missing, repo_workspace)
            }
        }
    }

    /// Checks one planned stage and does what does not need its command: skips it, pulls it,
    /// restores it from the run-cache, verifies a frozen one, or prepares its command.
    pub(super) fn prepare(
        &mut self,
        graph: Option<&StageGraph>,
        step: usize,
        forced: bool,
        repo_workspace: &mut RepoWorkspace<'_>,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<Prepared> {
        self.current = step;
        let addressing = self.index.stages[step].addressing(&self.index.cwd);
        // Only `--allow-missing` looks at what the upstream stages recorded.
        let upstream = match graph {
            Some(graph) if self.options.allow_missing => self.upstream(graph.dependencies(step))?,
            _ => Vec::new(),
        };
        let index = self.index;
        match &index.stages[step] {
            RepoStage::Pipeline { stage, .. } => self.prepare_stage(
                stage,
                &addressing,
                forced,
                &upstream,
                repo_workspace,
                events,
            ),
            RepoStage::File { entry, .. } => {
                data_source::reproduce(self, entry, &addressing, forced, repo_workspace, events)
                    .map(Prepared::Done)
            }
        }
    }

    /// Checks one pipeline stage (DVC's `Stage.reproduce` up to running the command): skips
    /// it when nothing changed (and it is not `forced`), pulls it with `--pull`, asks with
    /// `-i`, removes its outputs, restores it from the run-cache when it can, or prepares its
    /// command. Errors are the stage's failure, without DVC's `failed to reproduce` prefix.
    pub(super) fn prepare_stage(
        &mut self,
        stage: &Stage,
        addressing: &str,
        forced: bool,
        upstream: &Upstream,
        repo_workspace: &mut RepoWorkspace<'_>,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<Prepared> {
        let workspace = self.workspace;
        let options = self.options;
        let previous = self.lock(&stage.file)?.file.stage(&stage.name).cloned();
        let frozen = stage.is_frozen();
        if frozen {
            events(ReproEvent::Frozen(addressing.to_owned()));
        }
        let check_with =
            |mode: CheckMode, allow_missing: bool, repo_workspace: &mut RepoWorkspace<'_>| {
                check(
                    stage,
                    previous.as_ref(),
                    repo_workspace,
                    CheckOptions {
                        mode,
                        allow_missing,
                    },
                    upstream,
                )
                .map_err(|error| anyhow::anyhow!("{error}"))
            };
        if !forced {
            let changed = |allow_missing: bool, repo_workspace: &mut RepoWorkspace<'_>| {
                check_with(CheckMode::FirstChange, allow_missing, repo_workspace)
                    .map(|changes| changes.changed)
            };
            if !changed(options.allow_missing, repo_workspace)? {
                events(ReproEvent::Skipped(addressing.to_owned()));
                return Ok(Prepared::Done(false));
            }
            if options.pull && !changed(true, repo_workspace)? {
                events(ReproEvent::Pulling(addressing.to_owned()));
                if pull::pull_stage(self, stage, previous.as_ref(), repo_workspace, events)? {
                    return Ok(Prepared::Done(false));
                }
                events(ReproEvent::PullFailed(addressing.to_owned()));
            }
        }
        if options.explain {
            let reasons = if forced && options.force {
                vec!["forced (--force)".to_owned()]
            } else if forced {
                vec!["forced: an upstream stage ran (--force-downstream)".to_owned()]
            } else {
                let changes = check_with(CheckMode::All, options.allow_missing, repo_workspace)?;
                explain::reasons(&changes, previous.is_some(), &self.index.cwd)
            };
            if let Some(started) = self.log.started.get_mut(&self.current) {
                started.reasons = reasons.clone();
            }
            events(ReproEvent::Explained {
                stage: addressing.to_owned(),
                reasons,
            });
        }
        if options.interactive
            && !(self.confirm)(&format!(
                "Going to reproduce stage: '{addressing}'. Are you sure you want to continue?"
            ))
        {
            return Err(DvcError("reproduction aborted by the user".to_owned()).into());
        }
        if frozen {
            // DVC does not run a frozen stage: it checks that its outputs exist and records them.
            if options.dry {
                return Ok(Prepared::Done(true));
            }
            events(ReproEvent::VerifyingFrozen(addressing.to_owned()));
            let missing: Vec<String> = stage
                .outs
                .iter()
                .filter_map(|out| out.path.to_path(workspace.root()))
                .filter(|path| std::fs::symlink_metadata(path).is_err())
                .map(|path| workspace.display_path(&path))
                .collect();
            if !missing.is_empty() {
                return Err(data_source::missing_data(&missing));
            }
            return Ok(Prepared::Record(Recording {
                previous,
                inputs: None,
            }));
        }
        // DVC's `Stage.run`: the outputs go first, whatever happens next.
        if !options.dry {
            remove_outputs(
                workspace,
                stage,
                addressing,
                previous.as_ref(),
                repo_workspace,
                events,
            )?;
        }
        if options.pull && !forced && !options.dry {
            pull::pull_missing_dependencies(self, stage, repo_workspace, events)?;
        }
        let mut hashable = run_cache::can_hash(stage);
        if !forced && hashable {
            // DVC hashes every dependency to look the run up (`_can_hash`): a missing one
            // fails the stage with DVC's (or Python's) error.
            match hash_dependencies(workspace, stage, repo_workspace)? {
                Hashing::Hashable => {}
                Hashing::Empty => hashable = false,
                Hashing::Failed(error) => return Err(error),
            }
        }
        // The dependencies as the command will find them (a missing one fails the stage
        // below, or when it is recorded).
        let fresh = lock::record_inputs(stage, previous.as_ref(), repo_workspace).ok();
        let restored = if forced || !hashable {
            None
        } else {
            restorable_run(
                workspace,
                stage,
                previous.as_ref(),
                fresh.as_ref(),
                options,
                repo_workspace,
                events,
            )?
        };
        if !forced && !options.dry && restored.is_none() {
            // DVC saves the dependencies before running the command (`save_deps`).
            let params_files = stage
                .params
                .iter()
                .filter_map(|params| params.path.to_path(workspace.root()))
                .filter(|path| std::fs::symlink_metadata(path).is_err());
            if let Some(missing) = missing_dependencies(workspace, stage)
                .into_iter()
                .chain(params_files)
                .next()
            {
                return Err(DvcError(format!(
                    "dependency '{}' does not exist",
                    workspace.display_path(&missing)
                ))
                .into());
            }
        }
        if restored.is_some() {
            if let Some(started) = self.log.started.get_mut(&self.current) {
                started.restored = true;
            }
            events(ReproEvent::Restored(addressing.to_owned()));
        }
        let recording = Recording {
            previous,
            inputs: fresh,
        };
        match restored {
            Some(run) if !options.dry => {
                restore_outputs(workspace, stage, &run)?;
                Ok(Prepared::Record(recording))
            }
            _ if options.dry => {
                events(ReproEvent::Running(addressing.to_owned()));
                for command in stage.cmd().commands() {
                    events(ReproEvent::Command(command.to_owned()));
                }
                Ok(Prepared::Done(true))
            }
            _ => Ok(Prepared::Execute(
                recording,
                command_run(workspace, stage, addressing),
            )),
        }
    }
}
