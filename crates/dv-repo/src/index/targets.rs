//! DVC's ways of naming stages on the command line (spec §7.1), ported from `parse_target` and
//! `StageLoad`'s `load_one`, `load_all`, `collect` and `collect_granular`, with DVC's messages:
//! `name`, `group` (a `foreach`/`matrix` group), `path/dvc.yaml:name`, `file.dvc`, a directory with
//! `-R`, or an output.

use std::path::{Path, PathBuf};

use dv_pipeline::files::WorkingTree;
use dv_pipeline::resolve::{self, DVC_YAML, LoadOptions};
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value};

use crate::error::DvcError;
use crate::workspace::{Workspace, repo_cwd, repo_path_of};

use super::collect::*;
use super::stage::RepoStage;
use super::walk::DVC_FILE_SUFFIX;

/// Whether `path` names a stage file (`*.dvc`, `dvc.yaml`).
fn is_valid_filename(path: &str) -> bool {
    super::walk::is_stage_file_name(basename(path))
}

pub(super) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// DVC's `parse_target`: the stage file a target names (if it names one) and the stage name.
pub(crate) fn parse_target(target: &str) -> Result<(Option<String>, Option<String>), TargetError> {
    if target.is_empty() {
        return Ok((None, None));
    }
    let (group, key) = match target.split_once(JOIN) {
        Some((group, key)) => (group, Some(key)),
        None => (target, None),
    };
    // `(?P<path>.*?)(:(?P<name>[^\\/:]*))??$`
    let (path, name) = match group.rfind(':') {
        Some(at) if !group[at + 1..].contains(['/', '\\']) => {
            (&group[..at], Some(group[at + 1..].to_owned()))
        }
        _ => (group, None),
    };
    let mut name = name;
    if let (Some(stage), Some(key)) = (name.as_mut(), key)
        && !stage.is_empty()
    {
        stage.push(JOIN);
        stage.push_str(key);
    }
    if !path.is_empty() {
        if basename(path) == DVC_LOCK {
            return Err(TargetError::Other(format!(
                "Did you mean: `{}`?",
                target.replacen(".lock", ".yaml", 1)
            )));
        }
        if name.as_deref().is_none_or(str::is_empty) {
            return Ok(if is_valid_filename(target) {
                (Some(target.to_owned()), None)
            } else {
                (None, Some(target.to_owned()))
            });
        }
    }
    let path = if path.is_empty() { DVC_YAML } else { path };
    Ok((Some(path.to_owned()), name))
}

/// A stage file opened by name.
pub(super) enum StageFile {
    /// A `dvc.yaml` (any `.yaml`/`.yml` name).
    Pipeline {
        /// Relative to the working directory.
        shown: String,
        /// Written stage definitions, for group lookups.
        written: Mapping,
        stages: Vec<RepoStage>,
    },
    /// A `.dvc` file.
    Single {
        /// Relative to the working directory.
        shown: String,
        stage: Box<RepoStage>,
    },
}

/// Opens the stage file `given` (relative to the working directory; `dvc.yaml` of the working
/// directory when `None`) with DVC's checks in DVC's order: it exists, its name is valid, it
/// is a file.
pub(super) fn open(workspace: &Workspace, given: Option<&str>) -> Result<StageFile, TargetError> {
    let absolute = workspace.absolute(Path::new(given.unwrap_or(DVC_YAML)));
    let named = match given {
        Some(_) => absolute.to_string_lossy().into_owned(),
        None => DVC_YAML.to_owned(),
    };
    let shown = workspace.display_path(&absolute);
    let repo_path = repo_path_of(workspace, &absolute).filter(|path| !path.is_root());
    let Some(repo_path) = repo_path.filter(|_| absolute.exists()) else {
        return Err(TargetError::FileMissing(named));
    };
    if is_dvc_ignored(workspace, &absolute) {
        return Err(TargetError::FileIgnored(named));
    }
    let file_name = absolute.to_string_lossy();
    if !is_valid_filename(&file_name) {
        return Err(TargetError::BadName(format!(
            "bad DVC file name '{shown}'. DVC files should be named '{DVC_YAML}' or have a \
             '.dvc' suffix (e.g. '{}.dvc').",
            basename(&file_name)
        )));
    }
    if !absolute.is_file() {
        let mut message = format!("'{named}' is not a .dvc file");
        let candidate = format!("{named}{DVC_FILE_SUFFIX}");
        if Path::new(&candidate).is_file() {
            message.push_str(&format!(". Do you mean '{candidate}'?"));
        }
        return Err(TargetError::Other(message));
    }
    let cwd = repo_cwd(workspace);
    let is_pipeline = matches!(
        Path::new(&*file_name)
            .extension()
            .and_then(|ext| ext.to_str()),
        Some("yaml" | "yml")
    );
    if !is_pipeline {
        let mut stages = load_stages(
            workspace,
            &WorkingTree::new(workspace.root()),
            &cwd,
            &repo_path,
        )?;
        let stage = stages
            .pop()
            .ok_or_else(|| TargetError::Other(format!("'{shown}' has no stage")))?;
        return Ok(StageFile::Single {
            shown,
            stage: Box::new(stage),
        });
    }
    let source = WorkingTree::new(workspace.root());
    let options = LoadOptions {
        cwd,
        ..LoadOptions::default()
    };
    let file = resolve::load(&source, &repo_path, &options)
        .map_err(|error| TargetError::Other(error.to_string()))?;
    let written = match &file.document {
        Value::Mapping(root) => match root.get("stages") {
            Some(Value::Mapping(stages)) => stages.clone(),
            _ => Mapping::new(),
        },
        _ => Mapping::new(),
    };
    Ok(StageFile::Pipeline {
        shown,
        written,
        stages: pipeline_stages(&file)?,
    })
}

/// The warning DVC logs for a stage name given with a `.dvc` file.
pub(super) fn ignoring_name(name: &str, shown: &str) -> String {
    format!("Ignoring name '{name}' for single stage in 'SingleStageFile: {shown}'.")
}

/// Stages found for a target, with the warnings DVC logged on the way.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    /// The stages.
    pub(crate) stages: Vec<RepoStage>,
    /// `WARNING:` lines.
    pub(crate) warnings: Vec<String>,
}

/// DVC's `StageLoad.load_one`: the single stage `target` names (`dvc freeze`).
pub(crate) fn load_one(workspace: &Workspace, target: &str) -> Result<Found, TargetError> {
    let (file, name) = parse_target(target)?;
    match open(workspace, file.as_deref())? {
        StageFile::Single { shown, stage } => Ok(Found {
            stages: vec![*stage],
            warnings: name
                .filter(|name| !name.is_empty())
                .map(|name| ignoring_name(&name, &shown))
                .into_iter()
                .collect(),
        }),
        StageFile::Pipeline { shown, stages, .. } => {
            let Some(name) = name.filter(|name| !name.is_empty()) else {
                return Err(TargetError::NameUnspecified(shown));
            };
            let stage = stages
                .into_iter()
                .find(|stage| stage.name() == Some(name.as_str()))
                .ok_or(TargetError::StageNotFound { name, file: shown })?;
            Ok(Found {
                stages: vec![stage],
                warnings: Vec::new(),
            })
        }
    }
}

/// DVC's `StageLoad.load_all(file, name)` with groups accepted: every stage of the file, the
/// stages of a `foreach`/`matrix` group, or the named stage.
pub(crate) fn load_all(
    workspace: &Workspace,
    file: Option<&str>,
    name: Option<&str>,
) -> Result<Found, TargetError> {
    match open(workspace, file)? {
        StageFile::Single { shown, stage } => Ok(Found {
            stages: vec![*stage],
            warnings: name
                .filter(|name| !name.is_empty())
                .map(|name| ignoring_name(name, &shown))
                .into_iter()
                .collect(),
        }),
        StageFile::Pipeline {
            shown,
            written,
            stages,
        } => {
            let Some(name) = name.filter(|name| !name.is_empty()) else {
                return Ok(Found {
                    stages,
                    warnings: Vec::new(),
                });
            };
            let is_group = matches!(written.get(name), Some(Value::Mapping(definition))
                if definition.contains_key("foreach") || definition.contains_key("matrix"));
            let prefix = format!("{name}{JOIN}");
            let selected: Vec<RepoStage> = if is_group {
                stages
                    .into_iter()
                    .filter(|stage| stage.name().is_some_and(|other| other.starts_with(&prefix)))
                    .collect()
            } else {
                let stage = stages
                    .into_iter()
                    .find(|stage| stage.name() == Some(name))
                    .ok_or_else(|| TargetError::StageNotFound {
                        name: name.to_owned(),
                        file: shown,
                    })?;
                vec![stage]
            };
            Ok(Found {
                stages: selected,
                warnings: Vec::new(),
            })
        }
    }
}

/// How [`collect`] reads a target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Collect {
    /// `-R`: a directory stands for the stages defined under it.
    pub(crate) recursive: bool,
    /// `--glob`: `[path:]pattern`, the pattern matched against stage names (`fnmatch`).
    pub(crate) glob: bool,
}

/// DVC's `StageLoad.collect(target, recursive, glob)`: with `recursive` and a directory, the
/// stages whose files are inside it in the graph's order; else the stages `target` names (or
/// matches, with `glob`).
pub(crate) fn collect(
    workspace: &Workspace,
    index: &Index,
    target: &str,
    how: Collect,
) -> anyhow::Result<Found> {
    let recursive = how.recursive;
    let absolute = workspace.absolute(Path::new(target));
    if recursive && absolute.is_dir() {
        let graph = index.graph(workspace)?;
        let inside = repo_path_of(workspace, &absolute);
        let stages = graph
            .order()
            .into_iter()
            .map(|position| &index.stages[position])
            .filter(|stage| {
                inside.as_ref().is_some_and(|dir| {
                    dir.is_root() || stage.file().as_str().starts_with(&format!("{dir}/"))
                })
            })
            .cloned()
            .collect();
        return Ok(Found {
            stages,
            warnings: Vec::new(),
        });
    }
    if how.glob {
        // DVC's `parse_target(isa_glob=True)`: the part after the last `:` is the pattern.
        let (file, pattern) = match target.rsplit_once(':') {
            Some((file, pattern)) => (file, pattern),
            None => ("", target),
        };
        let file = if file.is_empty() { DVC_YAML } else { file };
        let pattern = (!pattern.is_empty()).then_some(pattern);
        return Ok(load_glob(workspace, file, pattern).map_err(DvcError::from)?);
    }
    let (file, name) = parse_target(target).map_err(DvcError::from)?;
    Ok(load_all(workspace, file.as_deref(), name.as_deref()).map_err(DvcError::from)?)
}

/// DVC's `StageLoad.load_all(file, pattern, glob=True)`: the stages of `file` whose names
/// match `pattern` (all without one; a `foreach`/`matrix` group's stages when it names one).
pub(super) fn load_glob(
    workspace: &Workspace,
    file: &str,
    pattern: Option<&str>,
) -> Result<Found, TargetError> {
    let Some(pattern) = pattern else {
        return load_all(workspace, Some(file), None);
    };
    let StageFile::Pipeline {
        written, stages, ..
    } = open(workspace, Some(file))?
    else {
        return load_all(workspace, Some(file), Some(pattern));
    };
    let is_group = matches!(written.get(pattern), Some(Value::Mapping(definition))
        if definition.contains_key("foreach") || definition.contains_key("matrix"));
    if is_group {
        return load_all(workspace, Some(file), Some(pattern));
    }
    let matcher = glob::Pattern::new(pattern).ok();
    let matches = |name: &str| match &matcher {
        Some(matcher) => matcher.matches(name),
        None => name == pattern,
    };
    Ok(Found {
        stages: stages
            .into_iter()
            .filter(|stage| stage.name().is_some_and(matches))
            .collect(),
        warnings: Vec::new(),
    })
}

/// A stage `collect_granular` found, and the output path the target named inside it.
#[derive(Debug, Clone)]
pub(crate) struct Granular {
    /// The stage's position in the index.
    pub(crate) position: usize,
    /// The output path the target named (absolute), when it named an output.
    pub(crate) path: Option<PathBuf>,
}

/// A stage a target selected, and the path inside its outputs the target named (absolute;
/// `None` for the whole stage): DVC's `StageInfo`.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// The stage.
    pub(crate) stage: RepoStage,
    /// The output path the target named, when it named an output or a path inside one.
    pub(crate) path: Option<PathBuf>,
}

/// Why a target selected nothing.
#[derive(Debug)]
pub(crate) enum GranularError {
    /// The target names no stage file, stage or output: DVC's `StageFileDoesNotExistError`,
    /// `StageFileBadNameError` and `NoOutputOrStageError`, which `dvc checkout` turns into
    /// its `Did you mean `git checkout ...`?` error. DVC's message.
    NotFound(String),
    /// Anything else (an invalid stage file, a stage missing from a named file, ...).
    Other(anyhow::Error),
}

impl From<GranularError> for anyhow::Error {
    fn from(error: GranularError) -> anyhow::Error {
        match error {
            GranularError::NotFound(message) => DvcError(message).into(),
            GranularError::Other(error) => error,
        }
    }
}

impl From<TargetError> for GranularError {
    fn from(error: TargetError) -> GranularError {
        match error {
            TargetError::FileMissing(_) | TargetError::FileIgnored(_) | TargetError::BadName(_) => {
                GranularError::NotFound(error.to_string())
            }
            other => GranularError::Other(DvcError::from(other).into()),
        }
    }
}

/// DVC's `StageLoad.collect_granular(target)` (`dvc dag TARGET`): a stage file or stage name
/// first, else an output (or a path inside one), else DVC's `does not exist as an output or a
/// stage name` error.
pub(crate) fn collect_granular(
    workspace: &Workspace,
    index: &Index,
    target: &str,
) -> anyhow::Result<(Vec<Granular>, Vec<String>)> {
    let (selected, warnings) = select_granular(workspace, index, target, false)?;
    let found = selected
        .into_iter()
        .filter_map(|selected| {
            index.position(&selected.stage).map(|position| Granular {
                position,
                path: selected.path,
            })
        })
        .collect();
    Ok((found, warnings))
}

/// DVC's `StageLoad.collect_granular(target, recursive=...)`, in DVC's order of preference: a
/// stage file (`file.dvc`, `path/dvc.yaml[:name]`); with `recursive`, an existing directory
/// (the stages defined under it); a stage name of `dvc.yaml`; an output or a path inside one;
/// a stage name again, for DVC's error.
pub(crate) fn select_granular(
    workspace: &Workspace,
    index: &Index,
    target: &str,
    recursive: bool,
) -> Result<(Vec<Selected>, Vec<String>), GranularError> {
    let whole = |found: Found| -> (Vec<Selected>, Vec<String>) {
        let selected = found
            .stages
            .into_iter()
            .map(|stage| Selected { stage, path: None })
            .collect();
        (selected, found.warnings)
    };
    let (file, name) =
        parse_target(target).map_err(|error| GranularError::Other(DvcError::from(error).into()))?;
    let absolute = workspace.absolute(Path::new(target));
    let directory = recursive && absolute.is_dir();
    match &file {
        None if !directory && workspace.absolute(Path::new(DVC_YAML)).exists() => {
            match load_all(workspace, Some(DVC_YAML), Some(target)) {
                Ok(found) if !found.stages.is_empty() => return Ok(whole(found)),
                Ok(_) | Err(TargetError::StageNotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Some(file) if is_valid_filename(file) => {
            let found = load_all(workspace, Some(file), name.as_deref()).map_err(|error| {
                match error {
                    // Raised by DVC before its output lookup, so never a missing target.
                    TargetError::StageNotFound { .. } => {
                        GranularError::Other(DvcError::from(error).into())
                    }
                    other => other.into(),
                }
            })?;
            if !found.stages.is_empty() {
                return Ok(whole(found));
            }
        }
        _ => {}
    }
    if directory {
        let found = collect(
            workspace,
            index,
            target,
            Collect {
                recursive: true,
                glob: false,
            },
        )
        .map_err(GranularError::Other)?;
        return Ok(whole(found));
    }
    for stage in &index.stages {
        let owns = stage
            .output_paths(workspace.root())
            .iter()
            .any(|out| absolute == *out || absolute.starts_with(out));
        if owns {
            let selected = Selected {
                stage: stage.clone(),
                path: Some(absolute),
            };
            return Ok((vec![selected], Vec::new()));
        }
    }
    match load_all(workspace, file.as_deref(), name.as_deref()) {
        Ok(found) => Ok(whole(found)),
        Err(TargetError::FileMissing(missing)) => {
            if file.as_deref().is_some_and(is_valid_filename) {
                return Err(TargetError::FileMissing(missing).into());
            }
            Err(GranularError::NotFound(format!(
                "'{target}' does not exist as an output or a stage name in '{missing}': '{missing}' \
                 does not exist"
            )))
        }
        Err(TargetError::StageNotFound { name, file: shown }) => {
            let cause = TargetError::StageNotFound {
                name,
                file: shown.clone(),
            };
            Err(GranularError::NotFound(format!(
                "'{target}' does not exist as an output or a stage name in '{shown}': {cause}"
            )))
        }
        Err(error) => Err(error.into()),
    }
}

/// DVC's `index_from_targets(targets, recursive)` (`dvc checkout TARGETS`): without
/// `recursive`, each target read as a stage file or stage name directly (without loading the
/// other stage files); if one of them names no stage file or stage, or with `recursive`,
/// each target through [`select_granular`] on the whole index. An error names the target
/// that failed.
pub(crate) fn select_targets(
    workspace: &Workspace,
    targets: &[String],
    recursive: bool,
) -> Result<(Vec<Selected>, Vec<String>), (String, GranularError)> {
    if !recursive && let Some(selected) = select_directly(workspace, targets)? {
        return Ok(selected);
    }
    let index = Index::collect(workspace, OnError::Fail)
        .map_err(|error| (String::new(), GranularError::Other(error)))?;
    let mut selected = Vec::new();
    let mut warnings = Vec::new();
    for target in targets {
        let (found, logged) = select_granular(workspace, &index, target, recursive)
            .map_err(|error| (target.clone(), error))?;
        selected.extend(found);
        warnings.extend(logged);
    }
    Ok((selected, warnings))
}

/// The fast path of [`select_targets`]: `None` when a target names no stage file or stage.
#[allow(clippy::type_complexity)]
pub(super) fn select_directly(
    workspace: &Workspace,
    targets: &[String],
) -> Result<Option<(Vec<Selected>, Vec<String>)>, (String, GranularError)> {
    let mut selected = Vec::new();
    let mut warnings = Vec::new();
    for target in targets {
        let other = |error: TargetError| {
            (
                target.clone(),
                GranularError::Other(DvcError::from(error).into()),
            )
        };
        let (file, name) = parse_target(target).map_err(other)?;
        match load_all(workspace, file.as_deref(), name.as_deref()) {
            Ok(found) => {
                selected.extend(
                    found
                        .stages
                        .into_iter()
                        .map(|stage| Selected { stage, path: None }),
                );
                warnings.extend(found.warnings);
            }
            Err(
                TargetError::FileMissing(_)
                | TargetError::FileIgnored(_)
                | TargetError::StageNotFound { .. },
            ) => return Ok(None),
            Err(error) => return Err(other(error)),
        }
    }
    Ok(Some((selected, warnings)))
}

/// Whether `.dvcignore` files exclude `path` (absolute, inside the repository) or a directory
/// holding it, as DVC's walk sees it.
pub(super) fn is_dvc_ignored(workspace: &Workspace, path: &Path) -> bool {
    let Some(repo_path) = repo_path_of(workspace, path) else {
        return false;
    };
    let source = WorkingTree::new(workspace.root());
    let mut ignore = super::dvcignore::DvcIgnore::new(workspace.root());
    let parts: Vec<&str> = repo_path.components().collect();
    let mut dir = RepoPath::root();
    for (position, part) in parts.iter().enumerate() {
        // An unreadable `.dvcignore` ignores nothing here, as in DVC's check.
        let _ = ignore.enter(&source, &dir);
        let Some(next) = super::dvcignore::child(&dir, part) else {
            return false;
        };
        if ignore.is_ignored(&next, position + 1 < parts.len()) {
            return true;
        }
        dir = next;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(target: &str) -> (Option<String>, Option<String>) {
        parse_target(target).expect("parses")
    }

    #[test]
    fn targets_parse_like_dvc() {
        let some = |text: &str| Some(text.to_owned());
        assert_eq!(parsed("train"), (None, some("train")));
        assert_eq!(parsed("dvc.yaml"), (some("dvc.yaml"), None));
        assert_eq!(parsed("data.dvc"), (some("data.dvc"), None));
        assert_eq!(parsed("sub/dvc.yaml"), (some("sub/dvc.yaml"), None));
        assert_eq!(parsed("dvc.yaml:train"), (some("dvc.yaml"), some("train")));
        assert_eq!(parsed(":train"), (some("dvc.yaml"), some("train")));
        assert_eq!(
            parsed("sub/dvc.yaml:fe@x"),
            (some("sub/dvc.yaml"), some("fe@x"))
        );
        assert_eq!(parsed("fe@x"), (None, some("fe@x")));
        assert_eq!(parsed("fe@a:b"), (None, some("fe@a:b")));
        assert_eq!(parsed("../x"), (None, some("../x")));
        assert_eq!(parsed("a:b:c"), (some("a:b"), some("c")));
        assert_eq!(parsed("sub:s"), (some("sub"), some("s")));
        assert_eq!(parsed("data/x:y/z"), (None, some("data/x:y/z")));
        assert_eq!(
            parse_target("dvc.lock:x").expect_err("lock").to_string(),
            "Did you mean: `dvc.yaml:x`?"
        );
        assert_eq!(
            parse_target("sub/dvc.lock").expect_err("lock").to_string(),
            "Did you mean: `sub/dvc.yaml`?"
        );
    }
}
