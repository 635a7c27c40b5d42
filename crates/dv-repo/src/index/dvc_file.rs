//! The `.dvc` files of a repository: finding them (through the index's one walk), loading them
//! with DVC's validation, and resolving command targets (a `.dvc` file or an output path) to
//! them. A directory `x` next to an `x.dvc` is a tracked output and is not walked into: a
//! `.dvc` file inside an output would overlap it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_pipeline::files::{EntryKind, FileSource};
use dv_schema::dvc_file::{DvcFile, Output};
use dv_schema::repo_path::RepoPath;

use crate::error::CommandError;

/// One loaded `.dvc` file.
#[derive(Debug, Clone)]
pub struct DvcFileEntry {
    /// Absolute path of the `.dvc` file.
    pub path: PathBuf,
    /// Its text, for in-place updates.
    pub text: String,
    /// Its content.
    pub file: DvcFile,
}

impl DvcFileEntry {
    /// Reads and validates a `.dvc` file of `workspace`, refusing outputs dv must never write
    /// (see [`crate::confine`]).
    pub fn load(workspace: &crate::Workspace, path: &Path) -> anyhow::Result<DvcFileEntry> {
        let shown = &workspace.display_path(path);
        let text =
            std::fs::read_to_string(path).with_context(|| format!("failed to read '{shown}'"))?;
        DvcFileEntry::parse(workspace, path, text)
    }

    /// [`DvcFileEntry::load`] of the `.dvc` file at `repo_path` of `source`.
    pub(crate) fn read(
        workspace: &crate::Workspace,
        source: &dyn FileSource,
        repo_path: &RepoPath,
    ) -> anyhow::Result<DvcFileEntry> {
        let path = crate::workspace::absolute(workspace, repo_path);
        let shown = workspace.display_path(&path);
        let text = source
            .read_text(repo_path)
            .and_then(|text| text.ok_or_else(|| std::io::Error::from_raw_os_error(2)))
            .map_err(|error| anyhow::anyhow!("failed to read '{shown}': {error}"))?;
        DvcFileEntry::parse(workspace, &path, text)
    }

    /// Parses and validates the text of the `.dvc` file at `path`.
    fn parse(
        workspace: &crate::Workspace,
        path: &Path,
        text: String,
    ) -> anyhow::Result<DvcFileEntry> {
        let shown = &workspace.display_path(path);
        let file = DvcFile::from_yaml(&text).map_err(|e| {
            let location = match (e.line, e.column) {
                (Some(line), Some(column)) if !e.message.contains(" line ") => {
                    format!(", line {line}, column {column}")
                }
                _ => String::new(),
            };
            CommandError(format!("'{shown}' is invalid: {}{location}", e.message))
        })?;
        if let Some(problem) = file.schema_problem() {
            return Err(CommandError(format!("'{shown}' validation failed: {problem}")).into());
        }
        let entry = DvcFileEntry {
            path: path.to_path_buf(),
            text,
            file,
        };
        for output in &entry.file.outs {
            if dv_pipeline::stage::is_url(&output.path) {
                continue;
            }
            let resolved = entry.resolve(output);
            crate::confine::check_output(workspace, &resolved, output.cache).map_err(
                |refusal| {
                    CommandError(format!(
                        "'{}': output '{}' {refusal}",
                        dv_schema::shown::escape_name(shown),
                        dv_schema::shown::escape_name(&output.path)
                    ))
                },
            )?;
        }
        Ok(entry)
    }

    /// The directory the `.dvc` file's paths are relative to (its directory, plus `wdir`).
    pub fn base_dir(&self) -> PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new("/"));
        match &self.file.wdir {
            Some(wdir) if !wdir.is_empty() && wdir != "." => {
                crate::path::normalize(&dir.join(wdir))
            }
            _ => dir.to_path_buf(),
        }
    }

    /// Absolute workspace path of an output or local dependency.
    pub fn resolve(&self, output: &Output) -> PathBuf {
        crate::path::normalize(&self.base_dir().join(&output.path))
    }
}

/// Every `.dvc` file under directory `dir` of the working tree, in walk order.
pub fn dvc_files(workspace: &crate::Workspace, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let Some(start) = crate::workspace::repo_path_of(workspace, dir) else {
        return Ok(Vec::new());
    };
    Ok(super::walk::listing(workspace, &start)?
        .files
        .into_iter()
        .filter(|(path, kind)| {
            *kind == EntryKind::File && path.as_str().ends_with(super::walk::DVC_FILE_SUFFIX)
        })
        .map(|(path, _)| crate::workspace::absolute(workspace, &path))
        .collect())
}

/// Loads the `.dvc` files named by `targets` (a `.dvc` file, or an output tracked by one),
/// or all of them when `targets` is empty.
pub fn load_targets(
    workspace: &crate::Workspace,
    targets: &[PathBuf],
) -> anyhow::Result<Vec<DvcFileEntry>> {
    let paths = if targets.is_empty() {
        dvc_files(workspace, workspace.root())?
    } else {
        let mut paths = Vec::new();
        for target in targets {
            let absolute = workspace.absolute(target);
            let shown = target.display().to_string();
            let candidate = if absolute.to_string_lossy().ends_with(".dvc") && absolute.is_file() {
                absolute
            } else {
                let mut with_suffix = absolute.clone().into_os_string();
                with_suffix.push(".dvc");
                let with_suffix = PathBuf::from(with_suffix);
                if with_suffix.is_file() {
                    with_suffix
                } else {
                    return Err(CommandError(format!(
                        "'{shown}' does not exist as an output or a stage name in 'dvc.yaml': 'dvc.yaml' does not exist"
                    ))
                    .into());
                }
            };
            if !paths.contains(&candidate) {
                paths.push(candidate);
            }
        }
        paths
    };
    paths
        .iter()
        .map(|path| DvcFileEntry::load(workspace, path))
        .collect()
}
