//! Removing a stage's outputs before it runs (DVC's `remove_outs`); unlike DVC, content that exists
//! nowhere else is moved to `.dvc/tmp/dv/trash/` instead of deleted.

use std::path::PathBuf;

use anyhow::Context;
use dv_pipeline::stage::Stage;
use dv_pipeline::status::HashValue;
use dv_schema::lock_file::LockStage;

use crate::pipelines::RepoWorkspace;
use crate::workspace::Workspace;

use super::run::*;

/// Removes the stage's outputs before it runs (DVC's `remove_outs`): persistent outputs stay.
/// Unlike DVC, an output whose content is neither in the cache nor what `dvc.lock` records
/// (a file written by hand, a run never committed) is not deleted: it is moved to
/// `.dvc/tmp/dv/trash/<time>-<pid>/<path>`, with a warning saying where.
pub(super) fn remove_outputs(
    workspace: &Workspace,
    stage: &Stage,
    addressing: &str,
    previous: Option<&LockStage>,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    for out in &stage.outs {
        if out.definition.persist {
            continue;
        }
        let Some(path) = out.path.to_path(workspace.root()) else {
            continue;
        };
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let recorded = previous.and_then(|lock| lock.outs.iter().find(|e| e.path == out.def_path));
        if metadata.is_symlink() || kept_elsewhere(&path, out, recorded, repo_workspace) {
            let removed = if metadata.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed
                .with_context(|| format!("failed to remove '{}'", workspace.display_path(&path)))?;
            continue;
        }
        let trash = trash_dir(workspace);
        let relative = path.strip_prefix(workspace.root()).unwrap_or(&path);
        let relative = relative.strip_prefix("/").unwrap_or(relative);
        let target = trash.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create '{}'", parent.display()))?;
        }
        std::fs::rename(&path, &target).with_context(|| {
            format!(
                "failed to move '{}' to '{}' (dv keeps outputs that exist nowhere else instead \
                 of deleting them)",
                workspace.display_path(&path),
                workspace.display_path(&target)
            )
        })?;
        events(ReproEvent::Trashed {
            stage: addressing.to_owned(),
            path: workspace.display_path(&path),
            to: workspace.display_path(&target),
        });
    }
    Ok(())
}

/// Whether the content at `path` (an output about to be replaced) can be had again: it is
/// what the lock entry records, or it is in the cache, or there is nothing in it.
pub(super) fn kept_elsewhere(
    path: &std::path::Path,
    out: &dv_pipeline::stage::Output,
    recorded: Option<&dv_schema::dvc_file::Output>,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> bool {
    use dv_pipeline::status::{EntryRole, Workspace as _};
    if is_empty(path) {
        return true;
    }
    let hash_name = recorded.map_or(dv_schema::hash::HashName::Md5, |entry| entry.hash_name);
    let Ok(Some(current)) = repo_workspace.hash(&out.path, hash_name, EntryRole::Output) else {
        return false;
    };
    if recorded.and_then(HashValue::of).as_ref() == Some(&current.value) {
        return true;
    }
    match &current.value {
        HashValue::Md5(id) => repo_workspace.in_cache(id, hash_name).unwrap_or(false),
        _ => false,
    }
}

/// An empty file, or a directory with no files under it.
pub(super) fn is_empty(path: &std::path::Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::read_dir(path).is_ok_and(|mut entries| {
            entries.all(|entry| entry.is_ok_and(|entry| is_empty(&entry.path())))
        }),
        Ok(metadata) => metadata.len() == 0,
        Err(_) => true,
    }
}

/// A fresh directory under `.dvc/tmp/dv/trash/` for outputs moved aside by this run.
pub(super) fn trash_dir(workspace: &Workspace) -> PathBuf {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    workspace
        .repo()
        .tmp_dir()
        .join("dv")
        .join("trash")
        .join(format!("{seconds}-{}", std::process::id()))
}
