//! `dv repro --executor slurm` (dv's own; see [`crate::cluster`]): the plan and the stages
//! that must run are worked out exactly as a local `repro` does; each such stage becomes one
//! SLURM job (`foreach`/`matrix` members with the same upstream jobs become one array job),
//! chained with `afterok` and `--kill-on-invalid-dep=yes`, plus a final `afterany` job that
//! merges the stages' records into `dvc.lock`. Each job runs the stage through dv
//! (`job.rs`), on the shared filesystem; nothing waits on the login node unless asked to.

mod job;
mod merge;
mod submit;

pub use job::{JobArgs, run_job};
pub use merge::{MergeReport, merge, merge_finished};
pub use submit::{ClusterOptions, cancel, submit, wait};

use crate::cluster::ClusterRun;
use crate::cluster::state::run_state;
use crate::error::DvcError;
use crate::workspace::Workspace;

/// Refuses to start a `repro` while a cluster run of the repository is in flight (its jobs
/// would find their inputs changing under them, and the merge would overwrite the lock file);
/// a run whose jobs all ended is merged first.
pub fn refuse_in_flight(workspace: &Workspace) -> anyhow::Result<()> {
    let Some(run) = ClusterRun::latest(workspace)? else {
        return Ok(());
    };
    if run.merged.is_some() {
        return Ok(());
    }
    let state = run_state(workspace, &run);
    if state.is_active() {
        let active = state
            .stages
            .iter()
            .filter(|(_, stage_state, _)| stage_state.is_active())
            .count();
        let why = match &state.unreachable {
            Some(error) => format!(" (SLURM cannot be asked: {error})"),
            None => String::new(),
        };
        return Err(DvcError(format!(
            "cluster run {} is still in flight: {active} of its {} stage jobs have not ended{why}; \
             `dv status` shows it; wait for it to end, or cancel it with \
             `dv repro --executor slurm --cancel`",
            run.id,
            run.stages.len()
        ))
        .into());
    }
    merge(workspace, &run, &mut |_| {})?;
    Ok(())
}
