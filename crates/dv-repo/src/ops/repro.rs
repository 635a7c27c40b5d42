//! `dvc repro` (spec §9.2): the stages of the targets' pipelines in DVC's order; each one
//! whose command, dependencies or outputs changed since its `dvc.lock` entry is run — its
//! outputs removed, its commands run through the shell in its working directory — then its
//! outputs are saved to the cache and its new lock entry is written.

use std::path::PathBuf;

use anyhow::Context;
use dv_pipeline::execution;
use dv_pipeline::graph::Selection;
use dv_pipeline::lock;
use dv_pipeline::stage::Stage;
use dv_pipeline::status::{CheckMode, CheckOptions, check};
use dv_schema::lock_file::update_stages;

use crate::error::DvcError;
use crate::ops::commit::ignore_output;
use crate::ops::pipeline::{Pipelines, RepoWorkspace, absolute, lock_path, read_lock};
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
    /// `Running stage 'x':`.
    Running(String),
    /// `> cmd`, before the command runs.
    Command(String),
    /// `Generating lock file 'dvc.lock'`.
    LockGenerated(String),
    /// `Updating lock file 'dvc.lock'`.
    LockUpdated(String),
}

/// What `repro` did.
#[derive(Debug, Clone, Default)]
pub struct ReproReport {
    /// The stages that ran (or would have, with `--dry`).
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
    if stage.is_frozen() {
        return Err(failed("reproducing frozen stages is not supported by dv yet".into()).into());
    }
    if !options.dry {
        remove_outputs(workspace, stage).map_err(|error| failed(error.to_string()))?;
    }
    events(ReproEvent::Running(addressing.to_owned()));
    let shell = execution::shell(workspace.environment().var("SHELL"));
    let wdir = absolute(workspace, &stage.wdir);
    for command in stage.cmd().commands() {
        events(ReproEvent::Command(command.to_owned()));
        if options.dry {
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
