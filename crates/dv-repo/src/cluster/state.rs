//! Where each stage of a cluster run stands: from its record file first (the job's own word),
//! then from one `squeue` query for the others. A job SLURM no longer knows that left no
//! record failed: it is never taken for done.

use super::slurm::{self, JobState};
use super::{ClusterRun, JobRecord, RecordStatus, StageJob};
use crate::workspace::Workspace;

/// Where one stage of a run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageState {
    /// Waiting in SLURM's queue (the reason: `Dependency`, `Resources`, `Priority`...).
    Pending(String),
    /// Running.
    Running,
    /// Its job ended and recorded how.
    Finished(RecordStatus, Option<String>),
    /// SLURM cancelled it because a stage it depends on failed.
    Cancelled,
    /// Its job ended without a record (killed, out of time or memory, node failure, purged).
    Lost(String),
}

impl StageState {
    /// Whether the stage may still change state.
    pub fn is_active(&self) -> bool {
        matches!(self, StageState::Pending(_) | StageState::Running)
    }

    /// Whether the stage failed (or can no longer succeed).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            StageState::Finished(RecordStatus::Failed, _)
                | StageState::Cancelled
                | StageState::Lost(_)
        )
    }
}

/// A run's stages with where each stands.
#[derive(Debug, Clone)]
pub struct RunState {
    /// Each submitted stage, its state and its record when there is one.
    pub stages: Vec<(StageJob, StageState, Option<JobRecord>)>,
    /// Why SLURM could not be asked (the states of stages without a record are then unknown
    /// and counted as active).
    pub unreachable: Option<String>,
}

impl RunState {
    /// Whether some stage may still run.
    pub fn is_active(&self) -> bool {
        self.stages.iter().any(|(_, state, _)| state.is_active())
    }
}

/// Reads the records of `run` and asks SLURM about the stages without one.
pub fn run_state(workspace: &Workspace, run: &ClusterRun) -> RunState {
    let records: Vec<Option<JobRecord>> = run
        .stages
        .iter()
        .map(|stage| run.record(workspace, stage))
        .collect();
    let unknown: Vec<String> = run
        .stages
        .iter()
        .zip(&records)
        .filter(|(_, record)| record.is_none())
        .map(|(stage, _)| stage.job.clone())
        .collect();
    let (states, unreachable) = if unknown.is_empty() {
        (Default::default(), None)
    } else {
        match slurm::squeue(&unknown) {
            Ok(states) => (states, None),
            Err(error) => (Default::default(), Some(format!("{error:#}"))),
        }
    };
    let stages = run
        .stages
        .iter()
        .zip(records)
        .map(|(stage, record)| {
            let state = match &record {
                Some(record) => StageState::Finished(record.status, record.error.clone()),
                None if unreachable.is_some() => StageState::Pending("unknown".to_owned()),
                None => from_slurm(states.get(&stage.job), workspace, run, stage),
            };
            (stage.clone(), state, record)
        })
        .collect();
    RunState {
        stages,
        unreachable,
    }
}

fn from_slurm(
    state: Option<&JobState>,
    workspace: &Workspace,
    run: &ClusterRun,
    stage: &StageJob,
) -> StageState {
    let Some(state) = state else {
        // SLURM forgot the job; a record may have landed since the first look.
        return match run.record(workspace, stage) {
            Some(record) => StageState::Finished(record.status, record.error),
            None => StageState::Lost("SLURM no longer knows its job and it left no record".into()),
        };
    };
    match state.state.as_str() {
        "PENDING" => StageState::Pending(state.reason.clone()),
        _ if state.is_active() => StageState::Running,
        "CANCELLED" if state.reason.starts_with("Dependency") => StageState::Cancelled,
        "COMPLETED" => match run.record(workspace, stage) {
            Some(record) => StageState::Finished(record.status, record.error),
            None => StageState::Lost("its job completed without leaving a record".into()),
        },
        other => match run.record(workspace, stage) {
            Some(record) => StageState::Finished(record.status, record.error),
            None => StageState::Lost(format!(
                "its job ended {}{}",
                other.to_lowercase(),
                if state.reason.is_empty() || state.reason == "None" {
                    String::new()
                } else {
                    format!(" ({})", state.reason)
                }
            )),
        },
    }
}
