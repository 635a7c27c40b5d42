//! One stage job of a cluster run: the stage reproduced alone (`repro -s`) as a local run
//! would, in the job's process on a compute node, except that its `dvc.lock` entry and
//! `.gitignore` entries go to the job's record instead of the files (one writer merges them).
//! The repository lock is taken only for the short parts around the command, as a local run
//! does; jobs of one run wait for each other's turn.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cluster::{self, JobRecord, RecordStatus};
use crate::error::DvcError;
use crate::interrupt::Interrupts;
use crate::workspace::Workspace;

use super::super::repro;
use super::super::run::{ReproEvent, ReproOptions};

/// One stage of a job (an array job has one per task).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    /// The stage's addressing.
    pub stage: String,
    /// Its record file name.
    pub record: String,
}

/// What a job runs (`tasks/<n>.json` of the run).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobArgs {
    /// The run's id.
    pub run: String,
    /// Its stages; task `SLURM_ARRAY_TASK_ID` (0 without an array) is this job's.
    pub tasks: Vec<Task>,
    /// `repro` flags passed on.
    pub force: bool,
    /// `--allow-missing`.
    pub allow_missing: bool,
    /// `--no-commit`.
    pub no_commit: bool,
    /// `--no-run-cache`.
    pub no_run_cache: bool,
    /// `--pull`.
    pub pull: bool,
}

/// Whether `name` (from a tasks file) is a plain file name: safe characters only, not hidden,
/// so nothing it names is outside the run's directory.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && cluster::file_name_of(name) == name
}

/// Runs this job's stage and writes its record; whether it succeeded.
pub fn run_job(
    workspace: &Workspace,
    tasks_file: &Path,
    task_index: usize,
    interrupts: &Interrupts,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<bool> {
    let text = std::fs::read(tasks_file)
        .map_err(|error| DvcError(format!("cannot read '{}': {error}", tasks_file.display())))?;
    let args: JobArgs = serde_json::from_slice(&text).map_err(|error| {
        DvcError(format!(
            "'{}' is not a cluster job file: {error}",
            tasks_file.display()
        ))
    })?;
    if !is_plain_name(&args.run) {
        return Err(DvcError(format!("invalid cluster run id '{}'", args.run)).into());
    }
    let task = args
        .tasks
        .get(task_index)
        .ok_or_else(|| DvcError(format!("cluster job file has no task {task_index}")))?;
    if !is_plain_name(&task.record) {
        return Err(DvcError(format!("invalid record name '{}'", task.record)).into());
    }
    let options = ReproOptions {
        targets: vec![task.stage.clone()],
        single_item: true,
        force: args.force,
        allow_missing: args.allow_missing,
        no_commit: args.no_commit,
        no_run_cache: args.no_run_cache,
        pull: args.pull,
        explain: true,
        stage_jobs: 1,
        cluster_job: true,
        interrupts: interrupts.clone(),
        ..ReproOptions::default()
    };
    let started = crate::run_log::iso8601(std::time::SystemTime::now());
    let mut restored = false;
    let result = repro(workspace, &options, &|_| false, &mut |event| {
        if matches!(event, ReproEvent::Restored(_)) {
            restored = true;
        }
        events(event);
    });
    let ended = crate::run_log::iso8601(std::time::SystemTime::now());
    let mut record = JobRecord {
        stage: task.stage.clone(),
        status: RecordStatus::Unchanged,
        error: None,
        started,
        ended,
        host: crate::run_log::host(),
        dvc_yaml: None,
        name: None,
        lock_entry: None,
        ignore: Vec::new(),
    };
    let succeeded = match &result {
        Ok(report) => {
            if !report.ran.is_empty() {
                record.status = if restored {
                    RecordStatus::Restored
                } else {
                    RecordStatus::Ran
                };
            }
            if let Some((dvc_yaml, name, entry)) = report.recorded.first() {
                record.dvc_yaml = Some(dvc_yaml.clone());
                record.name = Some(name.clone());
                record.lock_entry = Some(entry.clone());
            }
            record.ignore = report
                .unignored
                .iter()
                .filter_map(|path| path.strip_prefix(workspace.root()).ok())
                .map(|path| path.to_string_lossy().into_owned())
                .collect();
            true
        }
        Err(error) => {
            record.status = RecordStatus::Failed;
            record.error = Some(format!("{error:#}"));
            false
        }
    };
    let path = cluster::run_dir(workspace, &args.run)
        .join("records")
        .join(&task.record);
    cluster::write_record(workspace, &path, &record)?;
    result?;
    Ok(succeeded)
}
