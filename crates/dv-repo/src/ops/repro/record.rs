//! Recording a stage that ran, was restored or was verified: its outputs hashed and saved to the
//! cache, the run saved to the run-cache, its `dvc.lock` entry written (read once per run, placed
//! as a run in order places it).

use anyhow::Context;
use dv_data::state::State;
use dv_pipeline::lock::{self, RunInputs};
use dv_pipeline::run_cache;
use dv_pipeline::status::HashValue;
use dv_schema::lock_file::{LockDocument, LockStage, python_equal};
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::Value;

use crate::error::DvcError;
use crate::index::RepoStage;
use crate::pipelines::{RepoWorkspace, lock_path, read_lock};
use crate::run_cache::save_run;
use crate::workspace::absolute;

use super::prepare::Recording;
use super::run::*;

/// The dependencies and params files of `before` whose values differ in `after`, as written
/// in `dvc.yaml`.
pub(super) fn changed_inputs(before: &RunInputs, after: &LockStage) -> Vec<String> {
    let mut changed = Vec::new();
    for dep in &before.deps {
        let now = after.deps.iter().find(|entry| entry.path == dep.path);
        if now.and_then(HashValue::of) != HashValue::of(dep) {
            changed.push(dep.path.clone());
        }
    }
    for (file, values) in &before.params {
        let same = after.params.file(file).is_some_and(|now| {
            python_equal(
                &Value::Mapping(now.clone()),
                &Value::Mapping(values.clone()),
            )
        });
        if !same {
            changed.push(file.clone());
        }
    }
    changed
}

impl Run<'_> {
    /// The text and content of the `dvc.lock` of `dvc_yaml`, read once per run and again
    /// only after this run wrote it.
    ///
    /// After a stage's command ran (it may have run `dvc` on the repository), the file is read
    /// again, and parsed again only if its text is not what this run last saw.
    pub(super) fn lock(&mut self, dvc_yaml: &RepoPath) -> anyhow::Result<&mut LockDocument> {
        if !self.locks_checked.contains(dvc_yaml) {
            let current = self.locks.get(dvc_yaml);
            let unchanged = match current {
                Some(document) => {
                    let path = absolute(self.workspace, &lock_path(dvc_yaml));
                    std::fs::read_to_string(&path).ok() == document.text
                }
                None => false,
            };
            if !unchanged {
                let (text, file) = read_lock(self.workspace, dvc_yaml)?;
                self.locks
                    .insert(dvc_yaml.clone(), LockDocument::new(text, file));
            }
            self.locks_checked.insert(dvc_yaml.clone());
        }
        self.locks
            .get_mut(dvc_yaml)
            .ok_or_else(|| anyhow::anyhow!("lock file of '{dvc_yaml}' not loaded"))
    }

    /// [`record`](Self::record) with the workspace's hash state, for a stage that ran: `true`.
    pub(super) fn record_ran(
        &mut self,
        step: usize,
        recording: Recording,
        state: &mut State,
        jobs: std::num::NonZeroUsize,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<bool> {
        let mut repo_workspace = RepoWorkspace::new(self.workspace, state, jobs);
        self.record(step, recording, &mut repo_workspace, events)
            .map(|()| true)
    }

    /// Records a stage that ran (or was restored, or verified): hashes its outputs, saves them
    /// to the cache, saves the run to the run-cache and writes its lock entry. Dependencies
    /// are recorded as they were before the command started; if one changed while it ran,
    /// a warning says which.
    pub(super) fn record(
        &mut self,
        step: usize,
        recording: Recording,
        repo_workspace: &mut RepoWorkspace<'_>,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<()> {
        self.current = step;
        let index = self.index;
        let RepoStage::Pipeline { stage, .. } = &index.stages[step] else {
            return Ok(());
        };
        let workspace = self.workspace;
        let options = self.options;
        let Recording { previous, inputs } = recording;
        let mut entry = lock::record(stage, previous.as_ref(), repo_workspace)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        if let Some(inputs) = inputs {
            let changed = changed_inputs(&inputs, &entry);
            if !changed.is_empty() {
                events(ReproEvent::DependenciesChanged {
                    stage: stage.addressing(&index.cwd),
                    paths: changed,
                });
                entry = lock::lock_stage(stage, inputs.deps, inputs.params, entry.outs);
            }
        }
        for out in &stage.outs {
            if !out.is_cached() {
                continue;
            }
            let Some(path) = out.path.to_path(workspace.root()) else {
                continue;
            };
            let hash_name = entry.out_hash_name(&out.def_path);
            self.ignore(&path)?;
            if !options.no_commit {
                repo_workspace.commit(&path, hash_name)?;
            }
        }
        if run_cache::can_save(stage, &entry, !options.no_commit) {
            save_run(workspace, stage, &entry, repo_workspace)?;
        }
        let lock_repo_path = lock_path(&stage.file);
        let lock_full = absolute(workspace, &lock_repo_path);
        let shown = workspace.display_path(&lock_full);
        let position = self.plan_position.get(&step).copied();
        // Only with `-j` can a stage later in the plan have been recorded already.
        let later: Vec<String> = if self.options.stage_jobs > 1 {
            self.created
                .get(&stage.file)
                .into_iter()
                .flatten()
                .filter(|(_, other)| *other > position)
                .map(|(name, _)| name.clone())
                .collect()
        } else {
            Vec::new()
        };
        let later: Vec<&str> = later.iter().map(String::as_str).collect();
        let update = self
            .lock(&stage.file)?
            .set_stage(stage.name.as_str(), &entry, &later)
            .map_err(|error| DvcError(format!("failed to update '{shown}': {error}")))?;
        if previous.is_none() {
            self.created
                .entry(stage.file.clone())
                .or_default()
                .push((stage.name.clone(), position));
        }
        if self.options.cluster_job {
            // A cluster job: the entry goes to the job's record, one writer merges it.
            self.report.recorded.push((
                stage.file.as_str().to_owned(),
                stage.name.clone(),
                entry.to_yaml(),
            ));
            return Ok(());
        }
        if update.created {
            events(ReproEvent::LockGenerated(shown.clone()));
        }
        if update.modified {
            events(ReproEvent::LockUpdated(shown.clone()));
            crate::confine::write_metafile(self.workspace, &lock_full, update.text.as_bytes())
                .with_context(|| format!("failed to write '{shown}'"))?;
            self.report.track(lock_full);
        }
        Ok(())
    }
}
