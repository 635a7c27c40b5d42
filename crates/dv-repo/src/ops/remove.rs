//! `dvc remove`: stop tracking outputs. The `.dvc` file and the outputs' `.gitignore` entries
//! are removed (a `.gitignore` left empty is deleted, spec §5.2); the workspace data stays,
//! unprotected, unless `--outs` removes it too.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::CommandError;
use crate::index::DvcFileEntry;
use crate::outputs::remove_path;
use crate::outputs::unprotect_path;
use crate::workspace::Workspace;

/// What `remove` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RemoveOptions {
    /// The `.dvc` file to remove (relative to the working directory).
    pub target: PathBuf,
    /// Remove the outputs from the workspace as well.
    pub outs: bool,
}

/// What `remove` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RemoveReport {
    /// The removed `.dvc` file, absolute.
    pub removed: PathBuf,
    /// `.gitignore` files that were changed or deleted, absolute.
    pub gitignores: Vec<PathBuf>,
}

/// Removes the `.dvc` file or the pipeline stage `options.target`.
pub fn remove(workspace: &Workspace, options: &RemoveOptions) -> anyhow::Result<RemoveReport> {
    if let Some(report) = remove_stages(workspace, options)? {
        return Ok(report);
    }
    let entry = resolve_target(workspace, &options.target)?;
    let mut report = RemoveReport::default();
    for output in &entry.file.outs {
        let path = entry.resolve(output);
        let shown = workspace.display_path(&path);
        let in_repo = path.starts_with(workspace.root()) && path != workspace.root();
        if options.outs {
            if in_repo {
                remove_path(&path).with_context(|| format!("failed to remove '{shown}'"))?;
            }
        } else if output.cache && in_repo && std::fs::symlink_metadata(&path).is_ok() {
            unprotect_path(&path)?;
        }
        if output.cache
            && in_repo
            && let Some(git) = workspace.git()
        {
            let gitignore = path.parent().map(|p| p.join(".gitignore"));
            dv_scm::ignore_entry_remove(git.root(), &path)?;
            report.gitignores.extend(gitignore);
        }
    }
    std::fs::remove_file(&entry.path)
        .with_context(|| format!("failed to remove '{}'", workspace.display_path(&entry.path)))?;
    report.removed = entry.path;
    Ok(report)
}

/// `dvc remove STAGE`: the stages a stage name (or `dvc.yaml:name`) names leave `dvc.yaml` and
/// `dvc.lock` (a file left without stages is deleted, as DVC does), their outputs leave
/// `.gitignore` and stay in the workspace, unprotected, unless `--outs` removes them (a
/// `persist` output is kept). `None` when the target names no stage.
fn remove_stages(
    workspace: &Workspace,
    options: &RemoveOptions,
) -> anyhow::Result<Option<RemoveReport>> {
    let target = options.target.to_string_lossy();
    if target.ends_with(".dvc") {
        return Ok(None);
    }
    let Some(pipelines) = crate::pipelines::Pipelines::load_any(workspace)? else {
        return Ok(None);
    };
    let Some(found) = pipelines.resolve_target(workspace, &target) else {
        return Ok(None);
    };
    let mut report = RemoveReport::default();
    for index in found {
        let stage = &pipelines.stages[index];
        for out in &stage.outs {
            let Some(path) = out
                .path
                .repo_path()
                .map(|p| workspace.root().join(p.as_str()))
            else {
                continue;
            };
            let shown = workspace.display_path(&path);
            if options.outs && !out.definition.persist {
                remove_path(&path).with_context(|| format!("failed to remove '{shown}'"))?;
            } else if out.is_cached() && std::fs::symlink_metadata(&path).is_ok() {
                unprotect_path(&path)?;
            }
            if out.is_cached()
                && let Some(git) = workspace.git()
            {
                dv_scm::ignore_entry_remove(git.root(), &path)?;
                report
                    .gitignores
                    .extend(path.parent().map(|p| p.join(".gitignore")));
            }
        }
        let yaml = workspace.root().join(stage.file.as_str());
        let shown = workspace.display_path(&yaml);
        let text =
            std::fs::read_to_string(&yaml).with_context(|| format!("failed to read '{shown}'"))?;
        match dv_schema::dvc_yaml::remove_stage(&text, &stage.name).map_err(|error| {
            CommandError(format!("failed to update '{shown}': {}", error.message))
        })? {
            dv_schema::dvc_yaml::StageRemoval::NotFound => {}
            dv_schema::dvc_yaml::StageRemoval::Text(text) => {
                crate::confine::write_metafile(workspace, &yaml, text.as_bytes())?;
            }
            dv_schema::dvc_yaml::StageRemoval::DeleteFile => {
                std::fs::remove_file(&yaml)
                    .with_context(|| format!("failed to remove '{shown}'"))?;
            }
        }
        let lock = workspace
            .root()
            .join(crate::pipelines::lock_path(&stage.file).as_str());
        let lock_shown = workspace.display_path(&lock);
        if let Ok(text) = std::fs::read_to_string(&lock) {
            match dv_schema::lock_file::remove_stage(&text, &stage.name).map_err(|error| {
                CommandError(format!("failed to update '{lock_shown}': {error}"))
            })? {
                dv_schema::lock_file::LockRemoval::NotFound => {}
                dv_schema::lock_file::LockRemoval::Text(text) => {
                    crate::confine::write_metafile(workspace, &lock, text.as_bytes())?;
                }
                dv_schema::lock_file::LockRemoval::DeleteFile => {
                    std::fs::remove_file(&lock)
                        .with_context(|| format!("failed to remove '{lock_shown}'"))?;
                }
            }
        }
        report.removed = yaml;
    }
    Ok(Some(report))
}

/// DVC's resolution of a `remove` target: a `.dvc` file, else a stage name in `dvc.yaml`.
fn resolve_target(workspace: &Workspace, target: &Path) -> anyhow::Result<DvcFileEntry> {
    let shown = target.display().to_string();
    let absolute = workspace.absolute(target);
    let root = workspace.root();
    if !absolute.starts_with(root) {
        return Err(CommandError(format!(
            "cannot remove '{shown}': it is outside of the repository"
        ))
        .into());
    }
    let is_dvc_file = absolute
        .file_name()
        .is_some_and(|name| name.to_string_lossy().ends_with(".dvc"));
    if is_dvc_file {
        if !absolute.is_file() {
            return Err(CommandError(format!("'{}' does not exist", absolute.display())).into());
        }
        return DvcFileEntry::load(workspace, &absolute);
    }
    // Not a `.dvc` file: DVC looks for a stage of that name in `dvc.yaml`.
    let mut with_suffix = absolute.into_os_string();
    with_suffix.push(".dvc");
    let missing_pipeline = "'dvc.yaml' does not exist";
    if Path::new(&with_suffix).is_file() {
        return Err(CommandError(format!(
            "'{shown}' is not a .dvc file. Do you mean '{shown}.dvc'?: {missing_pipeline}"
        ))
        .into());
    }
    if root.join("dvc.yaml").exists() {
        return Err(CommandError(format!(
            "removing pipeline stages is not supported by dv yet: '{shown}'"
        ))
        .into());
    }
    Err(CommandError(missing_pipeline.to_string()).into())
}
