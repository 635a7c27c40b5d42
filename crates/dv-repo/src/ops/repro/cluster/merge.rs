//! Merging a cluster run's records into `dvc.lock`: one writer, under the repository lock,
//! once every stage job ended. Entries are set in plan order, the way a local run sets them,
//! so the lock file is the one a local `dv repro` writes; `.gitignore` entries are added for
//! the outputs the jobs recorded, and the files are staged with `core.autostage`.

use std::path::PathBuf;

use dv_schema::lock_file::{LockDocument, LockStage};
use dv_schema::repo_path::RepoPath;

use crate::cluster::state::{RunState, run_state};
use crate::cluster::{ClusterRun, RecordStatus};
use crate::error::DvcError;
use crate::pipelines::{lock_path, read_lock};
use crate::workspace::Workspace;

use super::super::run::ReproEvent;

/// What a merge did.
#[derive(Debug, Clone, Default)]
pub struct MergeReport {
    /// Whether this call merged the run (false: it had been merged before, or is still running).
    pub merged: bool,
    /// Stages whose entries were set.
    pub recorded: Vec<String>,
    /// Files to track with git (absolute).
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
}

/// Merges `run` when none of its stage jobs can change state any more; the state it found.
pub fn merge_finished(
    workspace: &Workspace,
    run: &ClusterRun,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<(RunState, MergeReport)> {
    let state = run_state(workspace, run);
    if state.is_active() || run.merged.is_some() {
        return Ok((state, MergeReport::default()));
    }
    let report = merge(workspace, run, events)?;
    Ok((state, report))
}

/// Sets the lock entries the records of `run` hold (the caller holds the repository lock
/// and knows no job is still running).
pub fn merge(
    workspace: &Workspace,
    run: &ClusterRun,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<MergeReport> {
    // Read again under the lock: another writer may have merged it meanwhile.
    let mut run = ClusterRun::load(workspace, &run.id)?;
    let mut report = MergeReport::default();
    if run.merged.is_some() {
        return Ok(report);
    }
    let mut documents: Vec<(RepoPath, LockDocument, bool)> = Vec::new();
    let mut ignores: Vec<PathBuf> = Vec::new();
    for stage in &run.stages {
        let Some(record) = run.record(workspace, stage) else {
            continue;
        };
        if !matches!(record.status, RecordStatus::Ran | RecordStatus::Restored) {
            continue;
        }
        ignores.extend(
            record
                .ignore
                .iter()
                .filter_map(|path| RepoPath::new(path).ok())
                .map(|path| workspace.root().join(path.as_str())),
        );
        let (Some(dvc_yaml), Some(name), Some(entry)) =
            (&record.dvc_yaml, &record.name, &record.lock_entry)
        else {
            continue;
        };
        let dvc_yaml = RepoPath::new(dvc_yaml)
            .map_err(|_| DvcError(format!("invalid dvc.yaml path '{dvc_yaml}' in a record")))?;
        let entry = LockStage::from_yaml(entry).map_err(|error| {
            DvcError(format!(
                "the record of stage '{}' is invalid: {error}",
                stage.stage
            ))
        })?;
        let at = match documents.iter().position(|(path, _, _)| *path == dvc_yaml) {
            Some(at) => at,
            None => {
                let (text, file) = read_lock(workspace, &dvc_yaml)?;
                documents.push((dvc_yaml.clone(), LockDocument::new(text, file), false));
                documents.len() - 1
            }
        };
        let lock_full = workspace.root().join(lock_path(&dvc_yaml).as_str());
        let shown = workspace.display_path(&lock_full);
        let (_, document, modified) = &mut documents[at];
        let update = document
            .set_stage(name, &entry, &[])
            .map_err(|error| DvcError(format!("failed to update '{shown}': {error}")))?;
        if update.created {
            events(ReproEvent::LockGenerated(shown.clone()));
        }
        if update.modified {
            events(ReproEvent::LockUpdated(shown));
            *modified = true;
        }
        report.recorded.push(stage.stage.clone());
    }
    for (dvc_yaml, document, modified) in &documents {
        if !modified {
            continue;
        }
        let lock_full = workspace.root().join(lock_path(dvc_yaml).as_str());
        let text = document.text.clone().unwrap_or_default();
        crate::confine::write_metafile(workspace, &lock_full, text.as_bytes())?;
        report.to_track.push(lock_full);
    }
    let ignored = crate::tracking::ignore_outputs(workspace, &ignores)?;
    report.to_track.extend(ignored.gitignores);
    if !report.to_track.is_empty() {
        report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    }
    run.merged = Some(crate::run_log::iso8601(std::time::SystemTime::now()));
    run.save(workspace)?;
    report.merged = true;
    Ok(report)
}
