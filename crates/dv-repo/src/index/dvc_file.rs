//! The `.dvc` files of a repository: finding them, loading them with DVC's validation, and
//! resolving command targets (a `.dvc` file or an output path) to them.
//!
//! Files are collected in directory-listing order, like DVC's walk, honouring `.dvcignore`
//! and skipping `.git`, `.dvc` and nested repositories. A directory `x` next to an `x.dvc` is
//! a tracked output and is not descended into: a `.dvc` file inside an output would overlap it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_schema::dvc_file::{DvcFile, Output};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

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

/// Every `.dvc` file under `root`, in directory-listing order.
pub fn dvc_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut matchers: Vec<Gitignore> = Vec::new();
    visit(root, root, &mut matchers, &mut found)?;
    Ok(found)
}

fn visit(
    root: &Path,
    dir: &Path,
    matchers: &mut Vec<Gitignore>,
    found: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let pushed = {
        let ignore_file = dir.join(".dvcignore");
        if ignore_file.is_file() {
            let mut builder = GitignoreBuilder::new(dir);
            if let Some(error) = builder.add(&ignore_file) {
                return Err(error)
                    .with_context(|| format!("failed to read '{}'", ignore_file.display()));
            }
            matchers.push(builder.build()?);
            true
        } else {
            false
        }
    };
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to list '{}'", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    let names: std::collections::HashSet<std::ffi::OsString> =
        entries.iter().map(|e| e.file_name()).collect();
    for entry in &entries {
        let name = entry.file_name();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        let is_dir = file_type.is_dir();
        if dv_data::walk::is_always_ignored(&name, is_dir) {
            continue;
        }
        if is_ignored(matchers, &path, is_dir) {
            continue;
        }
        if is_dir {
            let mut sibling = name.clone();
            sibling.push(".dvc");
            if names.contains(&sibling) || (path != root && dv_data::walk::is_nested_repo(&path)) {
                continue;
            }
            visit(root, &path, matchers, found)?;
        } else if name.to_string_lossy().ends_with(".dvc")
            && (file_type.is_file() || path.is_file())
        {
            found.push(path);
        }
    }
    if pushed {
        matchers.pop();
    }
    Ok(())
}

fn is_ignored(matchers: &[Gitignore], path: &Path, is_dir: bool) -> bool {
    for matcher in matchers.iter().rev() {
        match matcher.matched(path, is_dir) {
            Match::Ignore(_) => return true,
            Match::Whitelist(_) => return false,
            Match::None => {}
        }
    }
    false
}

/// Loads the `.dvc` files named by `targets` (a `.dvc` file, or an output tracked by one),
/// or all of them when `targets` is empty.
pub fn load_targets(
    workspace: &crate::Workspace,
    targets: &[PathBuf],
) -> anyhow::Result<Vec<DvcFileEntry>> {
    let paths = if targets.is_empty() {
        dvc_files(workspace.root())?
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
