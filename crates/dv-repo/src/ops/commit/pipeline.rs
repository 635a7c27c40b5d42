//! `dvc commit` of pipeline stages: each selected stage's dependencies, params and outputs are
//! hashed as they are now, its cached outputs stored in the cache, the run saved to the
//! run-cache and its `dvc.lock` entry written, without running its command (DVC's
//! `stage.save()`, `stage.commit()` and `dump`).
//!
//! As for `.dvc` files, a stage whose entries changed since its lock entry is saved only after
//! confirmation or with `force`; an unchanged one is committed as recorded (its outputs are
//! stored, `dvc.lock` is left alone).

use std::collections::HashMap;

use dv_pipeline::lock;
use dv_pipeline::stage::Stage;
use dv_pipeline::status::{CheckMode, CheckOptions, StageChanges, check};
use dv_schema::lock_file::LockDocument;
use dv_schema::repo_path::RepoPath;

use super::report::{CommitReport, question};
use crate::error::{CommandError, DvcError};
use crate::pipelines::{Pipelines, RepoWorkspace, lock_path, read_lock};
use crate::workspace::Workspace;

/// Commits `selected` stages of `pipelines` (indices, in order).
pub(super) fn commit_stages(
    workspace: &Workspace,
    pipelines: &Pipelines,
    selected: &[usize],
    force: bool,
    confirm: &dyn Fn(&str) -> bool,
    repo_workspace: &mut RepoWorkspace<'_>,
    report: &mut CommitReport,
) -> anyhow::Result<()> {
    let mut locks: HashMap<RepoPath, LockDocument> = HashMap::new();
    for &index in selected {
        let stage = &pipelines.stages[index];
        if !locks.contains_key(&stage.file) {
            let (text, file) = read_lock(workspace, &stage.file)?;
            locks.insert(stage.file.clone(), LockDocument::new(text, file));
        }
        let document = locks
            .get_mut(&stage.file)
            .ok_or_else(|| anyhow::anyhow!("lock file of '{}' not loaded", stage.file))?;
        let addressing = stage.addressing(&pipelines.cwd);
        let previous = document.file.stage(&stage.name).cloned();
        let changes = check(
            stage,
            previous.as_ref(),
            repo_workspace,
            CheckOptions {
                mode: CheckMode::All,
                allow_missing: false,
            },
            &[],
        )
        .map_err(|error| DvcError(error.to_string()))?;
        let changed = previous.is_none() || is_changed(&changes);
        if !force && changed {
            let (deps, outs) = changed_names(&changes, &pipelines.cwd);
            if !confirm(&question(&addressing, &deps, &outs)) {
                return Err(CommandError(format!(
                    "unable to commit changed stage: '{addressing}'. Use `-f|--force` to force."
                ))
                .into());
            }
        }
        let save = force || changed;
        let entry = match (&previous, save) {
            (Some(previous), false) => previous.clone(),
            _ => lock::record(stage, previous.as_ref(), repo_workspace)
                .map_err(|error| CommandError(error.to_string()))?,
        };
        store_outputs(workspace, stage, &entry, repo_workspace)?;
        if !save {
            continue;
        }
        if dv_pipeline::run_cache::can_save(stage, &entry, true) {
            crate::run_cache::save_run(workspace, stage, &entry, repo_workspace)?;
        }
        let lock_full = workspace.root().join(lock_path(&stage.file).as_str());
        let shown = workspace.display_path(&lock_full);
        let update = document
            .set_stage(stage.name.as_str(), &entry, &[])
            .map_err(|error| DvcError(format!("failed to update '{shown}': {error}")))?;
        if update.modified {
            crate::confine::write_metafile(workspace, &lock_full, update.text.as_bytes())?;
            report.locks_updated.push(shown);
            report.rewritten.push(lock_full);
        }
    }
    Ok(())
}

/// DVC's `changed_entries`: any dependency, output or the command differs from the lock entry.
fn is_changed(changes: &StageChanges) -> bool {
    !changes.deps.is_empty() || !changes.outs.is_empty() || changes.command.is_some()
}

/// The changed dependencies and outputs, as DVC names them in its question.
fn changed_names(changes: &StageChanges, cwd: &RepoPath) -> (Vec<String>, Vec<String>) {
    let names = |entries: &[dv_pipeline::status::EntryChange]| {
        let mut names: Vec<String> = Vec::new();
        for entry in entries {
            let name = entry.path.shown(cwd);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    };
    (names(&changes.deps), names(&changes.outs))
}

/// Stores the cached outputs of `stage` in the cache and adds their `.gitignore` entries.
fn store_outputs(
    workspace: &Workspace,
    stage: &Stage,
    entry: &dv_schema::lock_file::LockStage,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<()> {
    for out in &stage.outs {
        if !out.is_cached() {
            continue;
        }
        let Some(path) = out.path.to_path(workspace.root()) else {
            continue;
        };
        if std::fs::symlink_metadata(&path).is_err() {
            return Err(CommandError(format!(
                "output '{}' does not exist",
                out.path.shown(&RepoPath::root())
            ))
            .into());
        }
        let hash_name = entry.out_hash_name(&out.def_path);
        crate::tracking::ignore_output(workspace, &path)?;
        repo_workspace.commit(&path, hash_name)?;
    }
    Ok(())
}
