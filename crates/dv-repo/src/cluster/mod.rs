//! Cluster runs (dv's own): `dv repro --executor slurm` submits every stage that must run as
//! one SLURM job, chained with `afterok` dependencies, and returns. Nothing of dv stays on the
//! login node. What a run is lives in the repository, under `.dvc/tmp/dv/cluster/<id>/` (dvc
//! ignores `.dvc/tmp`):
//!
//! - `run.json`: the stages submitted, in plan order, with their job ids and log files;
//! - `records/<n>.json`: one file per stage, written by its job when it ends (how it ended,
//!   the `dvc.lock` entry it computed): success comes from these files, not from SLURM, so
//!   runs survive `MinJobAge` purges and clusters without `sacct`;
//! - `logs/`: each job's output.
//!
//! Jobs never write `dvc.lock`: one writer merges the records into it, in plan order, so the
//! file is byte for byte what a local `dv repro` writes (a final `afterany` job, or the next
//! `dv status` / `dv repro`).

pub mod resources;
pub mod slurm;
pub mod state;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::workspace::Workspace;

/// One submitted stage of a cluster run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageJob {
    /// The stage's addressing (`train`, `sub/dvc.yaml:train`, `data.dvc`).
    pub stage: String,
    /// Its SLURM job id (`123`, or `123_4` for a task of an array job).
    pub job: String,
    /// Its log, relative to the repository root.
    pub log: String,
    /// The record file name under `records/`.
    pub record: String,
}

/// One cluster run, as `run.json` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterRun {
    /// The run's id (its directory name).
    pub id: String,
    /// The executor (`slurm`).
    pub executor: String,
    /// When it was submitted (ISO 8601, UTC).
    pub submitted: String,
    /// The submitted stages, in plan order.
    pub stages: Vec<StageJob>,
    /// The job that merges the records into `dvc.lock` when every stage job ended.
    pub merge_job: Option<String>,
    /// When the records were merged into `dvc.lock` (ISO 8601), once they were.
    pub merged: Option<String>,
}

/// How a stage's job ended, as the job itself says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    /// Its command ran (or its outputs were verified) and it was recorded.
    Ran,
    /// Its outputs were restored from the run-cache.
    Restored,
    /// Nothing changed: it did not run.
    Unchanged,
    /// It failed.
    Failed,
}

/// What a stage's job leaves behind (`records/<n>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    /// The stage's addressing.
    pub stage: String,
    /// How it ended.
    pub status: RecordStatus,
    /// Why it failed (dv's `failed to reproduce` reason).
    pub error: Option<String>,
    /// When the job's dv started and ended (ISO 8601).
    pub started: String,
    /// When it ended.
    pub ended: String,
    /// The host it ran on.
    pub host: Option<String>,
    /// The `dvc.yaml` of a pipeline stage that ran (repository path).
    pub dvc_yaml: Option<String>,
    /// Its name in that file.
    pub name: Option<String>,
    /// Its new `dvc.lock` entry (YAML of the entry alone).
    pub lock_entry: Option<String>,
    /// Outputs to list in `.gitignore` (repository paths).
    pub ignore: Vec<String>,
}

/// Where cluster runs are kept.
pub fn runs_dir(workspace: &Workspace) -> PathBuf {
    workspace.repo().tmp_dir().join("dv").join("cluster")
}

/// A run's directory.
pub fn run_dir(workspace: &Workspace, id: &str) -> PathBuf {
    runs_dir(workspace).join(id)
}

impl ClusterRun {
    /// The newest run of the repository, if any (ids sort by submission time).
    pub fn latest(workspace: &Workspace) -> anyhow::Result<Option<ClusterRun>> {
        let Ok(entries) = std::fs::read_dir(runs_dir(workspace)) else {
            return Ok(None);
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().join("run.json").is_file())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .collect();
        ids.sort();
        match ids.pop() {
            Some(id) => ClusterRun::load(workspace, &id).map(Some),
            None => Ok(None),
        }
    }

    /// Reads `run.json` of run `id`.
    pub fn load(workspace: &Workspace, id: &str) -> anyhow::Result<ClusterRun> {
        let path = run_dir(workspace, id).join("run.json");
        let text = std::fs::read(&path).map_err(|error| {
            crate::DvcError(format!(
                "cannot read '{}': {error}",
                workspace.display_path(&path)
            ))
        })?;
        let invalid = |why: String| {
            crate::DvcError(format!(
                "'{}' is not a cluster run file: {why}",
                workspace.display_path(&path)
            ))
        };
        let run: ClusterRun =
            serde_json::from_slice(&text).map_err(|error| invalid(error.to_string()))?;
        // Job ids go to `squeue` and `scancel`: digits only, so none can pass as an option.
        for job in run
            .stages
            .iter()
            .map(|stage| &stage.job)
            .chain(&run.merge_job)
        {
            if !is_job_id(job) {
                return Err(invalid(format!("invalid job id '{job}'")).into());
            }
        }
        Ok(run)
    }

    /// Writes `run.json` atomically.
    pub fn save(&self, workspace: &Workspace) -> anyhow::Result<()> {
        let path = run_dir(workspace, &self.id).join("run.json");
        write_file(workspace, &path, &serde_json::to_vec_pretty(self)?)
    }

    /// The record of `stage`, if its job wrote one.
    pub fn record(&self, workspace: &Workspace, stage: &StageJob) -> Option<JobRecord> {
        let path = run_dir(workspace, &self.id)
            .join("records")
            .join(&stage.record);
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }
}

/// Writes a job's record (atomically: a reader sees all of it or nothing).
pub fn write_record(workspace: &Workspace, path: &Path, record: &JobRecord) -> anyhow::Result<()> {
    write_file(workspace, path, &serde_json::to_vec_pretty(record)?)
}

/// Writes a file of a run, inside the repository and never through a link.
pub(crate) fn write_file(
    workspace: &Workspace,
    path: &Path,
    contents: &[u8],
) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        crate::confine::guard_generated(workspace, parent)?;
        std::fs::create_dir_all(parent)?;
    }
    crate::confine::write_metafile(workspace, path, contents)
}

/// Whether `text` is a SLURM job id as dv records it: `123`, or `123_4` for an array task.
pub fn is_job_id(text: &str) -> bool {
    let mut parts = text.split('_');
    let digits = |part: Option<&str>| {
        part.is_some_and(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    };
    digits(parts.next())
        && parts.next().is_none_or(|task| digits(Some(task)))
        && parts.next().is_none()
}

/// A name made of the safe characters of `text` (for log and record file names).
pub fn file_name_of(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_digits() {
        for good in ["1", "123", "123_4"] {
            assert!(is_job_id(good), "{good}");
        }
        for bad in ["", "-u", "--user=root", "1_", "_1", "1_2_3", "12a", "1 2"] {
            assert!(!is_job_id(bad), "{bad}");
        }
        assert_eq!(file_name_of("a/b c@1"), "a_b_c@1");
    }
}
