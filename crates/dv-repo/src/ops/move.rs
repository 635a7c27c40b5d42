//! `dvc move`: rename or move a tracked output, its `.gitignore` entries and its `.dvc` file.
//!
//! As in DVC, when the `.dvc` file is named after the output (`data` → `data.dvc`) a new
//! `.dvc` file named after the destination is written (a fresh file: comments are not carried
//! over, the stage's `desc`, `meta`, `frozen` and `always_changed` are) and the old one is
//! deleted; otherwise the existing `.dvc` file is updated in place. The entry keeps its
//! recorded hash; the moved content is stored in the cache again. An import stage keeps its
//! dependency (a relative local path re-based on the new `.dvc` file's directory) and gets
//! its stage checksum recomputed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_data::build;
use dv_fs::link::LinkType;
use dv_schema::dvc_file::DvcFile;

use crate::error::{CommandError, DvcError};
use crate::index::{self, DvcFileEntry};
use crate::outputs::build_for_save;
use crate::outputs::link_from_cache;
use crate::tracking::ignore_output;
use crate::workspace::Workspace;

/// What `move` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct MoveOptions {
    /// The tracked output to move (relative to the working directory).
    pub src: PathBuf,
    /// Where to (an existing directory means "into it").
    pub dst: PathBuf,
    /// Threads for hashing.
    pub jobs: Option<usize>,
}

/// What `move` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MoveReport {
    /// Files git should track (`.dvc` files, the deleted one included, and `.gitignore` files),
    /// absolute.
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
    /// The source did not exist (DVC warns and moves only the metadata), absolute.
    pub missing: Option<PathBuf>,
    /// The moved output is empty (DVC warns), as shown.
    pub empty: Option<String>,
}

/// Moves `options.src` to `options.dst`.
pub fn move_output(workspace: &Workspace, options: &MoveOptions) -> anyhow::Result<MoveReport> {
    let from = workspace.absolute(&options.src);
    let src_shown = options.src.display().to_string();
    if src_shown.ends_with(".dvc") {
        return Err(CommandError(format!("DVC file '{src_shown}' cannot be an output.")).into());
    }
    let (entry, index) = find_output(workspace, &from)?;
    if entry.file.cmd.is_some() {
        // DVC's `MoveNotDataSourceError` (exit 255).
        let addressing = workspace.display_path(&entry.path);
        return Err(DvcError(format!(
            "move is not permitted for stages that are not data sources. You need to either \
             move '{addressing}' to a new location and edit it by hand, or remove \
             '{addressing}' and create a new one at the desired location."
        ))
        .into());
    }

    // `dvc move a dir/` moves into an existing directory.
    let (to, dst_shown) = if workspace.absolute(&options.dst).is_dir() {
        let name = from.file_name().unwrap_or_default();
        (
            workspace.absolute(&options.dst).join(name),
            options.dst.join(name).display().to_string(),
        )
    } else {
        (
            workspace.absolute(&options.dst),
            options.dst.display().to_string(),
        )
    };
    let to_dir = to.parent().unwrap_or(workspace.root()).to_path_buf();
    check_stage_dir(workspace, &to_dir)?;

    let stage_name = entry
        .path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".dvc").to_string());
    let from_name = from.file_name().map(|n| n.to_string_lossy().into_owned());
    let renames_file = stage_name == from_name;
    let new_dvc_path = if renames_file {
        let mut name = to.file_name().unwrap_or_default().to_os_string();
        name.push(".dvc");
        let new_path = to_dir.join(&name);
        if new_path.exists() {
            let shown = Path::new(&dst_shown)
                .parent()
                .unwrap_or(Path::new(""))
                .join(&name);
            return Err(CommandError(format!("'{}' already exists", shown.display())).into());
        }
        new_path
    } else {
        entry.path.clone()
    };

    let mut report = MoveReport::default();
    let old_output = entry.file.outs[index].clone();
    if std::fs::symlink_metadata(&from).is_ok() {
        std::fs::rename(&from, &to).with_context(|| {
            format!(
                "failed to move '{}' to '{}'",
                workspace.display_path(&from),
                workspace.display_path(&to)
            )
        })?;
    } else {
        report.missing = Some(from.clone());
    }
    let tracks_gitignore = old_output.cache && workspace.git().is_some();
    if let Some(git) = workspace.git().filter(|_| tracks_gitignore)
        && let Some(gitignore) = dv_scm::ignore_entry_remove(git.root(), &from)?
    {
        report.to_track.push(gitignore);
    }

    // The output at its new place: `.gitignore` entry, cache, links.
    let mut output = old_output.clone();
    if std::fs::symlink_metadata(&to).is_ok() {
        let jobs = workspace.jobs(options.jobs);
        let mut state = workspace.load_state();
        // Moving is not long enough to be worth a progress bar.
        let progress = dv_data::progress::Progress::default();
        let saved = (|| -> anyhow::Result<()> {
            let (hash_name, built) =
                build_for_save(workspace, &to, &old_output, jobs, &mut state, &progress)?;
            if matches!(
                built,
                build::Built::File { size: 0, .. } | build::Built::Tree { nfiles: 0, .. }
            ) {
                report.empty = Some(workspace.display_path(&to));
            }
            if tracks_gitignore && let Some(gitignore) = ignore_output(workspace, &to)? {
                report.to_track.push(gitignore);
            }
            if old_output.cache {
                let odb = workspace.odb(hash_name);
                build::commit(&odb, &to, &built, jobs, &progress).with_context(|| {
                    format!(
                        "failed to save '{}' to the cache",
                        workspace.display_path(&to)
                    )
                })?;
                let links = workspace.link_types()?;
                if matches!(links.first(), Some(LinkType::Hardlink | LinkType::Symlink)) {
                    link_from_cache(workspace, &odb, &built, &to, &links, jobs, &progress)?;
                }
            }
            Ok(())
        })();
        workspace.save_state(&mut state);
        saved?;
    } else if tracks_gitignore && let Some(gitignore) = ignore_output(workspace, &to)? {
        report.to_track.push(gitignore);
    }

    let text = if renames_file {
        output.path = relative_posix(&to, &to_dir);
        let mut file = DvcFile {
            desc: entry.file.desc.clone(),
            meta: entry.file.meta.clone(),
            frozen: entry.file.frozen,
            always_changed: entry.file.always_changed,
            deps: moved_dependencies(&entry, &to_dir),
            outs: vec![output],
            ..DvcFile::default()
        };
        file.md5 = file.is_import().then(|| file.stage_md5());
        file.to_yaml()
    } else {
        output.path = relative_posix(&to, &entry.base_dir());
        let mut file = entry.file.clone();
        file.outs[index] = output;
        // DVC recomputes the stage checksum: an import's changes with its output's path,
        // a `dvc add` stage has none.
        file.md5 = file.is_import().then(|| file.stage_md5());
        file.update_yaml(&entry.text).map_err(|e| {
            CommandError(format!(
                "failed to update '{}': {}",
                workspace.display_path(&entry.path),
                e.message
            ))
        })?
    };
    crate::confine::write_metafile(workspace, &new_dvc_path, text.as_bytes()).with_context(
        || {
            format!(
                "failed to write '{}'",
                workspace.display_path(&new_dvc_path)
            )
        },
    )?;
    report.to_track.push(new_dvc_path.clone());
    if renames_file {
        std::fs::remove_file(&entry.path).with_context(|| {
            format!("failed to remove '{}'", workspace.display_path(&entry.path))
        })?;
        report.to_track.push(entry.path.clone());
    }
    report.to_track.sort();
    report.to_track.dedup();
    report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    Ok(report)
}

/// The `.dvc` file tracking the output at `path`, and the output's index in it.
fn find_output(workspace: &Workspace, path: &Path) -> anyhow::Result<(DvcFileEntry, usize)> {
    // Like DVC, every `.dvc` file is loaded (a malformed one fails the move).
    for entry in index::load_targets(workspace, &[])? {
        if let Some(position) = entry
            .file
            .outs
            .iter()
            .position(|o| entry.resolve(o) == path)
        {
            return Ok((entry, position));
        }
    }
    Err(CommandError(format!(
        "Unable to find DVC file with output '{}'",
        workspace.display_path(path)
    ))
    .into())
}

/// The dependencies of an import stage moved to a `.dvc` file in `new_dir`: relative local
/// paths are re-based on it (absolute paths and URLs stay as written).
fn moved_dependencies(entry: &DvcFileEntry, new_dir: &Path) -> Vec<dv_schema::dvc_file::Output> {
    entry
        .file
        .deps
        .iter()
        .map(|dep| {
            let mut moved = dep.clone();
            let local = crate::imports::url::split_scheme(&dep.path).is_none()
                && dep.repo.is_none()
                && !dep.extra.contains_key("db");
            if local && !Path::new(&dep.path).is_absolute() {
                moved.path = relative_posix(&entry.resolve(dep), new_dir);
            }
            moved
        })
        .collect()
}

/// DVC's checks of a new stage's working directory.
fn check_stage_dir(workspace: &Workspace, dir: &Path) -> anyhow::Result<()> {
    let problem = if !dir.exists() {
        "does not exist"
    } else if !dir.is_dir() {
        "is not directory"
    } else if !dir.starts_with(workspace.root()) {
        "is outside of DVC repo"
    } else {
        return Ok(());
    };
    Err(CommandError(format!("stage working dir '{}' {problem}", dir.display())).into())
}

/// `path` relative to `base`, `/`-separated (both absolute).
fn relative_posix(path: &Path, base: &Path) -> String {
    crate::path::relative(path, base)
}
