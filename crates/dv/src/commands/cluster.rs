//! `dv repro --executor slurm` (submitting, `--wait`, `--cancel`), the hidden entry points
//! its jobs run (`--dv-cluster-job`, `--dv-cluster-merge`), and the cluster section of
//! `dv status`.

use std::path::Path;

use dv_repo::cluster::state::{RunState, StageState};
use dv_repo::cluster::{ClusterRun, RecordStatus};
use dv_repo::ops::repro::cluster::{self as cluster_ops, ClusterOptions};
use dv_repo::ops::repro::{ReproOptions, join_names};
use dv_repo::{DvcError, Environment, Interrupts, Workspace};

use crate::commands::repro::print_event;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// How long a job waits for the repository lock while other jobs of its run hold it.
const JOB_LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(600);

/// `dv repro --executor slurm [--wait]`.
pub fn submit(
    workspace: &Workspace,
    options: &ReproOptions,
    wait: bool,
    explain: bool,
    printer: &Printer,
    interrupts: &Interrupts,
) -> anyhow::Result<ExitStatus> {
    let dv = std::env::current_exe()
        .map_err(|error| DvcError(format!("cannot find the dv executable: {error}")))?;
    let cluster = ClusterOptions {
        dv,
        array_limit: (options.stage_jobs > 1).then_some(options.stage_jobs),
    };
    let submitted = cluster_ops::submit(workspace, options, &cluster, &mut |event| {
        print_event(printer, event, explain)
    })?;
    let Some(run) = submitted else {
        if !options.dry {
            printer.info("Data and pipelines are up to date.");
        }
        return Ok(ExitStatus::Success);
    };
    let mut jobs: Vec<&str> = Vec::new();
    for stage in &run.stages {
        let base = stage.job.split('_').next().unwrap_or(&stage.job);
        if !jobs.contains(&base) {
            jobs.push(base);
        }
        printer.info(format!(
            "Submitted stage '{}' as SLURM job {} (log '{}')",
            stage.stage, stage.job, stage.log
        ));
    }
    printer.info(format!(
        "Cluster run {}: {} stage{} in {} job{}; job {} merges the results into dvc.lock.",
        run.id,
        run.stages.len(),
        if run.stages.len() == 1 { "" } else { "s" },
        jobs.len(),
        if jobs.len() == 1 { "" } else { "s" },
        run.merge_job.as_deref().unwrap_or("-"),
    ));
    if !wait {
        printer.info("`dv status` shows how it is going; you may log out.");
        return Ok(ExitStatus::Success);
    }
    // The jobs take the lock in turn; this process only watches.
    workspace.release_lock();
    let waited = cluster_ops::wait(workspace, &run, interrupts, &mut |state| {
        for (stage, stage_state, _) in &state.stages {
            printer.debug(format!("{}: {}", stage.stage, describe(stage_state)));
        }
    })?;
    if waited.is_none() {
        printer.error(format!(
            "interrupted by the user: the jobs of cluster run {} were cancelled",
            run.id
        ));
        return Ok(ExitStatus::Interrupted);
    }
    // The run's merge job may hold the lock for a moment now.
    dv_repo::lock::set_patience(JOB_LOCK_PATIENCE);
    workspace.reacquire_lock()?;
    let (state, report) = cluster_ops::merge_finished(workspace, &run, &mut |event| {
        print_event(printer, event, explain)
    })?;
    if !report.staged && !report.to_track.is_empty() {
        crate::git_hint::print_git_add_hint(workspace, &report.to_track, printer);
    }
    finish(&state, printer)
}

/// The exit of a finished run, as a local `repro -k` words it: each failure, the stages
/// cancelled because of them, then `failed to reproduce ...`.
fn finish(state: &RunState, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let mut failures: Vec<String> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let mut cancelled: Vec<String> = Vec::new();
    for (stage, stage_state, _) in &state.stages {
        match stage_state {
            StageState::Cancelled => cancelled.push(stage.stage.clone()),
            StageState::Finished(RecordStatus::Failed, error) => {
                failed.push(stage.stage.clone());
                let error = error.clone().unwrap_or_else(|| "unknown error".to_owned());
                failures.push(format!("{error} (log '{}')", stage.log));
            }
            StageState::Lost(why) => {
                failed.push(stage.stage.clone());
                failures.push(format!(
                    "failed to reproduce '{}': {why} (log '{}')",
                    stage.stage, stage.log
                ));
            }
            _ => {}
        }
    }
    if failed.is_empty() && cancelled.is_empty() {
        let ran = state.stages.iter().any(|(_, s, _)| {
            matches!(
                s,
                StageState::Finished(RecordStatus::Ran | RecordStatus::Restored, _)
            )
        });
        if ran {
            printer.info("Use `dvc push` to send your updates to remote storage.");
        } else {
            printer.info("Data and pipelines are up to date.");
        }
        return Ok(ExitStatus::Success);
    }
    if !cancelled.is_empty() {
        let noun = if cancelled.len() > 1 {
            "Stages"
        } else {
            "Stage"
        };
        printer.warn(format!(
            "{noun} {} cancelled: a stage {} on failed",
            join_names(&cancelled),
            if cancelled.len() > 1 {
                "they depend"
            } else {
                "it depends"
            }
        ));
    }
    if let [only] = &failures[..] {
        return Err(DvcError(only.clone()).into());
    }
    for failure in &failures {
        printer.error(failure);
    }
    let segment = if failed.len() > 1 { " stages:" } else { "" };
    Err(DvcError(format!(
        "failed to reproduce{segment} {}",
        join_names(&failed)
    ))
    .into())
}

/// `dv repro --executor slurm --cancel`.
pub fn cancel(workspace: &Workspace, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match cluster_ops::cancel(workspace)? {
        Some(run) => printer.info(format!(
            "Cancelled the jobs of cluster run {} that had not ended.",
            run.id
        )),
        None => printer.info("There is no cluster run to cancel."),
    }
    Ok(ExitStatus::Success)
}

/// The hidden `dv repro --dv-cluster-job TASKS_FILE`: one stage of a cluster run.
pub fn job(
    tasks_file: &Path,
    environment: &Environment,
    printer: &Printer,
    interrupts: &Interrupts,
) -> anyhow::Result<ExitStatus> {
    dv_repo::lock::set_patience(JOB_LOCK_PATIENCE);
    let workspace = Workspace::open(environment)?;
    let task = environment
        .var("SLURM_ARRAY_TASK_ID")
        .and_then(|id| id.parse().ok())
        .unwrap_or(0);
    let succeeded = cluster_ops::run_job(&workspace, tasks_file, task, interrupts, &mut |event| {
        print_event(printer, event, true)
    })?;
    Ok(ExitStatus::failure_if(!succeeded))
}

/// The hidden `dv repro --dv-cluster-merge RUN`: the run's final job.
pub fn merge(
    run_id: &str,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    dv_repo::lock::set_patience(JOB_LOCK_PATIENCE);
    let workspace = Workspace::open(environment)?;
    let run = ClusterRun::load(&workspace, run_id)?;
    let (state, report) = cluster_ops::merge_finished(&workspace, &run, &mut |event| {
        print_event(printer, event, false)
    })?;
    if state.is_active() {
        printer.info("Some stage jobs have not ended; the next `dv status` merges the run.");
    } else if report.merged {
        printer.info(format!("Merged {} stage records.", report.recorded.len()));
    }
    Ok(ExitStatus::Success)
}

/// The cluster section of `dv status`: the latest run, merged first when its jobs all ended.
pub fn print_status(workspace: &Workspace, printer: &Printer) -> anyhow::Result<()> {
    let Some(run) = ClusterRun::latest(workspace)? else {
        return Ok(());
    };
    let (state, report) = cluster_ops::merge_finished(workspace, &run, &mut |_| {})?;
    let merged = run.merged.is_some() || report.merged;
    let heading = if state.is_active() {
        "in flight"
    } else if state.stages.iter().any(|(_, s, _)| s.is_failure()) {
        "ended with failures"
    } else {
        "finished"
    };
    let mut lines = vec![format!(
        "Cluster run {} (SLURM, submitted {}): {heading}{}",
        run.id,
        run.submitted,
        if merged { ", merged into dvc.lock" } else { "" }
    )];
    if let Some(why) = &state.unreachable {
        lines.push(format!("\tSLURM cannot be asked: {why}"));
    }
    let width = state
        .stages
        .iter()
        .map(|(stage, _, _)| stage.stage.chars().count())
        .max()
        .unwrap_or(0);
    for (stage, stage_state, _) in &state.stages {
        let mut line = format!(
            "\t{:width$}  job {:<10} {}",
            dv_schema::shown::escape_name(&stage.stage),
            stage.job,
            describe(stage_state)
        );
        if !merged
            && matches!(
                stage_state,
                StageState::Finished(RecordStatus::Ran | RecordStatus::Restored, _)
            )
        {
            line.push_str(" (not merged into dvc.lock yet)");
        }
        if stage_state.is_failure() && !matches!(stage_state, StageState::Cancelled) {
            line.push_str(&format!("  (log '{}')", stage.log));
        }
        lines.push(line);
    }
    printer.data(lines.join("\n"));
    printer.data("");
    Ok(())
}

/// A stage's state in words.
fn describe(state: &StageState) -> String {
    match state {
        StageState::Pending(reason) if reason == "Dependency" => {
            "pending (waiting for upstream stages)".to_owned()
        }
        StageState::Pending(reason) if reason.is_empty() || reason == "None" => {
            "pending".to_owned()
        }
        StageState::Pending(reason) => format!("pending ({reason})"),
        StageState::Running => "running".to_owned(),
        StageState::Finished(RecordStatus::Ran, _) => "ran".to_owned(),
        StageState::Finished(RecordStatus::Restored, _) => "restored from the run-cache".to_owned(),
        StageState::Finished(RecordStatus::Unchanged, _) => "didn't change".to_owned(),
        StageState::Finished(RecordStatus::Failed, error) => {
            format!("failed: {}", error.as_deref().unwrap_or("unknown error"))
        }
        StageState::Cancelled => "cancelled: a stage it depends on failed".to_owned(),
        StageState::Lost(why) => format!("failed: {why}"),
    }
}
