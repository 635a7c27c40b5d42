//! `diff --targets`: which outputs of one revision a target selects, and the data key it
//! compares (DVC's `targets_view` through `collect_granular`), resolved against that
//! revision's own stages. In DVC's order of preference a target is a stage of the current
//! directory's `dvc.yaml` (or a `foreach`/`matrix` group), a stage file (`x.dvc`,
//! `path/dvc.yaml[:name]`), or a path that is an output or inside one (the data key is then
//! that path). A target that selects nothing is missing from the revision.

use std::path::Path;

use dv_pipeline::resolve::DVC_YAML;
use dv_schema::repo_path::RepoPath;

use super::sides::Out;
use super::tree::is_below;
use crate::index::{Index, parse_target};
use crate::workspace::{Workspace, repo_path_of};

/// What a revision's targets select.
#[derive(Debug, Default)]
pub(super) struct Selection {
    /// Data keys: the output (by position) each is in, and the key.
    pub(super) keys: Vec<(usize, RepoPath)>,
    /// The targets the revision has nothing for.
    pub(super) missing: Vec<String>,
}

/// The data keys `targets` select among `outs` (every output's own path without targets).
pub(super) fn select(
    workspace: &Workspace,
    index: &Index,
    outs: &[Out],
    targets: &[String],
) -> Selection {
    let mut selection = Selection::default();
    if targets.is_empty() {
        selection.keys = outs
            .iter()
            .enumerate()
            .map(|(position, out)| (position, out.key.clone()))
            .collect();
        return selection;
    }
    for target in targets {
        match select_one(workspace, index, outs, target) {
            Some(keys) => selection.keys.extend(keys),
            None => selection.missing.push(target.clone()),
        }
    }
    selection
}

fn select_one(
    workspace: &Workspace,
    index: &Index,
    outs: &[Out],
    target: &str,
) -> Option<Vec<(usize, RepoPath)>> {
    let (file, name) = parse_target(target).ok()?;
    let outs_of = |stages: &[usize]| -> Vec<(usize, RepoPath)> {
        outs.iter()
            .enumerate()
            .filter(|(_, out)| stages.contains(&out.stage))
            .map(|(position, out)| (position, out.key.clone()))
            .collect()
    };
    match &file {
        None => {
            let dvc_yaml = repo_path(workspace, DVC_YAML)?;
            let name = name.as_deref().unwrap_or(target);
            let stages = stages_named(index, &dvc_yaml, Some(name));
            if !stages.is_empty() {
                return Some(outs_of(&stages));
            }
        }
        Some(file) if is_stage_file(file) => {
            let path = repo_path(workspace, file)?;
            let stages = stages_named(index, &path, name.as_deref());
            // A stage file the revision lacks, or a stage it does not define, is missing.
            return (!stages.is_empty()).then(|| outs_of(&stages));
        }
        Some(_) => {}
    }
    let path = repo_path(workspace, target)?;
    let (position, _) = outs
        .iter()
        .enumerate()
        .find(|(_, out)| path == out.key || is_below(path.as_str(), out.key.as_str()))?;
    Some(vec![(position, path)])
}

/// The stages of stage file `file` (all of them, or the one named `name`, or the stages of
/// the group `name`), by position in the index.
fn stages_named(index: &Index, file: &RepoPath, name: Option<&str>) -> Vec<usize> {
    let in_file = || {
        index
            .stages
            .iter()
            .enumerate()
            .filter(|(_, stage)| stage.file() == file)
    };
    let Some(name) = name.filter(|name| !name.is_empty()) else {
        return in_file().map(|(position, _)| position).collect();
    };
    let exact: Vec<usize> = in_file()
        .filter(|(_, stage)| stage.name().is_none_or(|stage| stage == name))
        .map(|(position, _)| position)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let group = format!("{name}@");
    in_file()
        .filter(|(_, stage)| stage.name().is_some_and(|stage| stage.starts_with(&group)))
        .map(|(position, _)| position)
        .collect()
}

/// Whether `path` names a stage file (`*.dvc`, `dvc.yaml`).
fn is_stage_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".dvc") || name == DVC_YAML
}

/// A path given relative to the working directory, as a repository path.
fn repo_path(workspace: &Workspace, path: &str) -> Option<RepoPath> {
    repo_path_of(workspace, &workspace.absolute(Path::new(path)))
}
