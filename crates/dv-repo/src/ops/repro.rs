//! `dvc repro` (spec §9.2): the stages of the targets' pipelines in DVC's order; each one
//! whose command, dependencies or outputs changed since its `dvc.lock` entry is run — its
//! outputs removed, its commands run through the shell in its working directory — then its
//! outputs are saved to the cache, its new lock entry is written and the run is saved to the
//! run-cache.
//!
//! Before running a changed stage (unless forced), DVC's `StageCache.restore` is followed
//! (spec §9.4): when only its outputs changed, its `dvc.lock` entry is the run to restore;
//! otherwise the newest run-cache entry for its current command, dependencies and params (not
//! with `--no-run-cache`). If the cache has every output of that run, the outputs are checked
//! out instead of running the command.

use std::path::PathBuf;

use anyhow::Context;
use dv_data::checkout::CheckoutOptions as LinkOptions;
use dv_fs::link::LinkType;
use dv_pipeline::execution;
use dv_pipeline::graph::Selection;
use dv_pipeline::lock::{self, RunInputs};
use dv_pipeline::run_cache;
use dv_pipeline::stage::Stage;
use dv_pipeline::status::{CheckMode, CheckOptions, HashValue, Workspace as _, check};
use dv_schema::lock_file::{LockStage, python_equal, update_stages};
use dv_schema::yaml::Value;

use crate::error::DvcError;
use crate::ops::commit::ignore_output;
use crate::ops::pipeline::{Pipelines, RepoWorkspace, absolute, lock_path, read_lock};
use crate::run_cache::{Lookup, RunCache};
use crate::workspace::Workspace;

/// What `repro` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ReproOptions {
    /// Stage addressings or `dvc.yaml` files (every pipeline when empty).
    pub targets: Vec<String>,
    /// `-f`: run stages even when nothing changed.
    pub force: bool,
    /// `-s`: only the targets, not their upstream stages.
    pub single_item: bool,
    /// `--dry`: print the commands without running them.
    pub dry: bool,
    /// `--no-run-cache`: never restore a stage from the run-cache (runs are still saved).
    pub no_run_cache: bool,
    /// Threads for hashing.
    pub jobs: Option<usize>,
}

/// Progress of `repro`, reported as it happens (DVC logs each as it goes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReproEvent {
    /// A blank line between a stage that ran and the next one.
    Separator,
    /// `Stage 'x' didn't change, skipping`.
    Skipped(String),
    /// `Stage 'x' is cached - skipping run, checking out outputs`: its outputs come from the
    /// cache instead of its command (with `--dry`, followed by `Running` anyway, as in DVC).
    Restored(String),
    /// `Running stage 'x':`.
    Running(String),
    /// `> cmd`, before the command runs.
    Command(String),
    /// `Generating lock file 'dvc.lock'`.
    LockGenerated(String),
    /// `Updating lock file 'dvc.lock'`.
    LockUpdated(String),
    /// A run-cache entry that could not be read was removed: `corrupted cache file '<path>'.`
    CorruptedRun(String),
    /// `stage: 'x' is frozen. Its dependencies are not going to be reproduced.` (a warning,
    /// for every frozen stage of the plan).
    Frozen(String),
    /// `Verifying outputs in frozen stage: 'x'`: a changed frozen stage is not run; its
    /// outputs are checked and recorded.
    VerifyingFrozen(String),
}

/// What `repro` did.
#[derive(Debug, Clone, Default)]
pub struct ReproReport {
    /// The stages that ran or were restored from the cache (or would have, with `--dry`).
    pub ran: Vec<String>,
    /// Files to track with git (lock files, changed `.gitignore` files), absolute.
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
}

/// Reproduces the targets' pipelines.
pub fn repro(
    workspace: &Workspace,
    options: &ReproOptions,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<ReproReport> {
    let pipelines = Pipelines::load(workspace, None)?;
    let mut targets = Vec::new();
    for target in &options.targets {
        match pipelines.resolve_target(workspace, target) {
            Some(found) => targets.extend(found),
            None => {
                return Err(DvcError(format!(
                    "'{target}' does not exist as an output or a stage name in 'dvc.yaml'"
                ))
                .into());
            }
        }
    }
    if pipelines.stages.is_empty() && options.targets.is_empty() {
        return Err(DvcError(format!(
            "'{}' does not exist",
            dv_pipeline::resolve::DVC_YAML
        ))
        .into());
    }
    let plan = pipelines.graph.plan(
        &targets,
        Selection {
            single_item: options.single_item,
            ..Selection::default()
        },
    );
    let jobs = workspace.jobs(options.jobs);
    let mut state = workspace.load_state();
    let mut report = ReproReport::default();
    let result = (|| -> anyhow::Result<()> {
        let mut previous_ran = false;
        for index in plan {
            let stage = &pipelines.stages[index];
            if previous_ran {
                events(ReproEvent::Separator);
            }
            let addressing = stage.addressing(&pipelines.cwd);
            previous_ran = reproduce_stage(
                workspace,
                stage,
                &addressing,
                options,
                &mut RepoWorkspace::new(workspace, &mut state, jobs),
                &mut report,
                events,
            )?;
            if previous_ran {
                report.ran.push(addressing);
            }
        }
        Ok(())
    })();
    workspace.save_state(&mut state);
    result?;
    if !report.to_track.is_empty()
        && workspace.autostage()
        && let Some(git) = workspace.git()
    {
        git.add(&report.to_track)?;
        report.staged = true;
    }
    Ok(report)
}

/// Checks one stage and runs it when it changed; whether it ran.
fn reproduce_stage(
    workspace: &Workspace,
    stage: &Stage,
    addressing: &str,
    options: &ReproOptions,
    repo_workspace: &mut RepoWorkspace<'_>,
    report: &mut ReproReport,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<bool> {
    let failed =
        |message: String| DvcError(format!("failed to reproduce '{addressing}': {message}"));
    let (_, lock_file) = read_lock(workspace, &stage.file)?;
    let previous = lock_file.stage(&stage.name).cloned();
    let frozen = stage.is_frozen();
    if frozen {
        events(ReproEvent::Frozen(addressing.to_owned()));
    }
    if !options.force {
        let changes = check(
            stage,
            previous.as_ref(),
            repo_workspace,
            CheckOptions {
                mode: CheckMode::FirstChange,
                allow_missing: false,
            },
            &[],
        )
        .map_err(|error| failed(error.to_string()))?;
        if !changes.changed {
            events(ReproEvent::Skipped(addressing.to_owned()));
            return Ok(false);
        }
    }
    if frozen {
        // DVC does not run a frozen stage: it checks that its outputs exist and records them.
        if options.dry {
            return Ok(true);
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
            let noun = if missing.len() == 1 {
                "source"
            } else {
                "sources"
            };
            return Err(failed(format!("missing data '{noun}': {}", missing.join(", "))).into());
        }
    }
    let restored = if options.force || frozen {
        None
    } else {
        restorable_run(
            workspace,
            stage,
            previous.as_ref(),
            options,
            repo_workspace,
            events,
        )?
    };
    if restored.is_some() {
        events(ReproEvent::Restored(addressing.to_owned()));
    }
    if !options.dry && !frozen {
        remove_outputs(workspace, stage).map_err(|error| failed(error.to_string()))?;
    }
    match &restored {
        _ if frozen => {}
        Some(run) if !options.dry => {
            restore_outputs(workspace, stage, run).map_err(|error| failed(format!("{error:#}")))?;
        }
        _ => run_commands(workspace, stage, addressing, options.dry, events)?,
    }
    if options.dry {
        return Ok(true);
    }
    let entry = lock::record(stage, previous.as_ref(), repo_workspace)
        .map_err(|error| failed(error.to_string()))?;
    for out in &stage.outs {
        if !out.is_cached() {
            continue;
        }
        let Some(path) = out.path.to_path(workspace.root()) else {
            continue;
        };
        let hash_name = entry
            .outs
            .iter()
            .find(|recorded| recorded.path == out.def_path)
            .map_or(dv_schema::hash::HashName::Md5, |recorded| {
                recorded.hash_name
            });
        repo_workspace.commit(&path, hash_name)?;
        if let Some(gitignore) = ignore_output(workspace, &path)?
            && !report.to_track.contains(&gitignore)
        {
            report.to_track.push(gitignore);
        }
    }
    if run_cache::can_save(stage, &entry, true) {
        save_run(workspace, stage, &entry, repo_workspace)?;
    }
    let lock_repo_path = lock_path(&stage.file);
    let lock_full = absolute(workspace, &lock_repo_path);
    let shown = workspace.display_path(&lock_full);
    let (text, _) = read_lock(workspace, &stage.file)?;
    let update = update_stages(text.as_deref(), &[(stage.name.as_str(), &entry)])
        .map_err(|error| DvcError(format!("failed to update '{shown}': {error}")))?;
    if update.created {
        events(ReproEvent::LockGenerated(shown.clone()));
    }
    if update.modified {
        events(ReproEvent::LockUpdated(shown.clone()));
        dv_fs::atomic::write_atomic(&lock_full, update.text.as_bytes())
            .with_context(|| format!("failed to write '{shown}'"))?;
        if !report.to_track.contains(&lock_full) {
            report.to_track.push(lock_full);
        }
    }
    Ok(true)
}

/// Prints and runs the stage's commands (only prints them with `dry`).
fn run_commands(
    workspace: &Workspace,
    stage: &Stage,
    addressing: &str,
    dry: bool,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    let failed =
        |message: String| DvcError(format!("failed to reproduce '{addressing}': {message}"));
    events(ReproEvent::Running(addressing.to_owned()));
    let shell = execution::shell(workspace.environment().var("SHELL"));
    let wdir = absolute(workspace, &stage.wdir);
    for command in stage.cmd().commands() {
        events(ReproEvent::Command(command.to_owned()));
        if dry {
            continue;
        }
        let argv = execution::shell_command(&shell, command);
        let mut process = std::process::Command::new(&argv[0]);
        process.args(&argv[1..]).current_dir(&wdir);
        process.env_clear();
        process.envs(workspace.environment().vars());
        if workspace.environment().var(execution::DVC_ROOT).is_none() {
            process.env(execution::DVC_ROOT, workspace.root());
        }
        process.env(execution::DVC_STAGE, addressing);
        let status = process
            .status()
            .map_err(|error| failed(format!("failed to run: {command}: {error}")))?;
        if !status.success() {
            let code = status.code().unwrap_or_else(|| {
                use std::os::unix::process::ExitStatusExt;
                -status.signal().unwrap_or(0)
            });
            return Err(failed(format!("failed to run: {command}, exited with {code}")).into());
        }
    }
    Ok(())
}

/// The run whose outputs can stand for running `stage` now (DVC's `StageCache.restore`), if
/// any: its `dvc.lock` entry when the command, dependencies and params are unchanged and every
/// output is recorded (only outputs changed); otherwise, unless `--no-run-cache`, the newest
/// run-cache entry for its command, dependencies and params. Either way, only if the cache has
/// every output of the run. With `--dry`, like DVC, the run-cache key is computed from the
/// recorded dependencies, not from fresh hashes.
fn restorable_run(
    workspace: &Workspace,
    stage: &Stage,
    previous: Option<&LockStage>,
    options: &ReproOptions,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<Option<LockStage>> {
    if !run_cache::can_hash(stage) {
        return Ok(None);
    }
    // A dependency that cannot be hashed fails the stage later, as it would without a cache.
    let fresh = lock::record_inputs(stage, previous, repo_workspace).ok();
    let recorded_run = match (previous, &fresh) {
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
                fresh
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
fn same_inputs(stage: &Stage, previous: &LockStage, inputs: &RunInputs) -> bool {
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
fn recorded_outputs(
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
fn recorded_inputs(stage: &Stage, previous: &LockStage) -> Option<RunInputs> {
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
fn restore_outputs(workspace: &Workspace, stage: &Stage, run: &LockStage) -> anyhow::Result<()> {
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
        dv_data::checkout::checkout(&odb, &id, &path, recorded.isexec, &options)
            .with_context(|| format!("failed to check out '{}'", workspace.display_path(&path)))?;
    }
    Ok(())
}

/// Saves a run to the run-cache (DVC's `StageCache.save`), with the objects of its uncached
/// outputs committed to the cache so that the run can be restored.
fn save_run(
    workspace: &Workspace,
    stage: &Stage,
    entry: &LockStage,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<()> {
    for out in stage.outs.iter().filter(|out| !out.is_cached()) {
        let (Some(path), Some(recorded)) = (
            out.path.to_path(workspace.root()),
            entry
                .outs
                .iter()
                .find(|recorded| recorded.path == out.def_path),
        ) else {
            continue;
        };
        repo_workspace.commit(&path, recorded.hash_name)?;
    }
    RunCache::new(workspace.cache_dir()).save(entry)?;
    Ok(())
}

/// Removes the stage's outputs before it runs (DVC's `remove_outs`): persistent outputs stay.
fn remove_outputs(workspace: &Workspace, stage: &Stage) -> std::io::Result<()> {
    for out in &stage.outs {
        if out.definition.persist {
            continue;
        }
        let Some(path) = out.path.to_path(workspace.root()) else {
            continue;
        };
        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(&path)?,
            Ok(_) => std::fs::remove_file(&path)?,
            Err(_) => {}
        }
    }
    Ok(())
}
