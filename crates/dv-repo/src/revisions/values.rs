//! The params and metrics files of a revision, and reading them as DVC does: which files a
//! revision's stages and `dvc.yaml` top-level entries name, and each file parsed (or the error
//! DVC reports for it, with DVC's exception name and message).

use dv_pipeline::params::{self, ParamsFormat};
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value};

use super::snapshot::{Snapshot, join};
use crate::compare::{FileData, ReadError};
use crate::index::RepoStage;
use dv_schema::dvc_yaml::OutputKind;

/// The default params file, read whole when it exists.
pub(crate) const DEFAULT_PARAMS_FILE: &str = "params.yaml";

/// The metrics files of a revision: `targets` (repository paths) when given, else every
/// stage's `metrics` outputs and every top-level `metrics` entry; directories expanded to
/// their files; each once, in that order.
pub(crate) fn metrics_files(snapshot: &Snapshot<'_>, targets: &[RepoPath]) -> Vec<RepoPath> {
    let mut paths: Vec<RepoPath> = targets.to_vec();
    if targets.is_empty() {
        for stage in &snapshot.index.stages {
            let RepoStage::Pipeline { stage, .. } = stage else {
                continue;
            };
            for output in &stage.outs {
                if output.definition.kind == OutputKind::Metric
                    && let Some(path) = output.path.repo_path()
                {
                    paths.push(path.clone());
                }
            }
        }
        for top in &snapshot.index.top_level {
            for metric in &top.metrics {
                if let Some(path) = join(&top.file.parent(), metric) {
                    paths.push(path);
                }
            }
        }
    }
    expand_distinct(snapshot, paths)
}

/// The params files of a revision with the keys tracked in each (empty: the whole file), as
/// DVC merges them: `targets` when given; else every stage's `params`, and unless `deps_only`
/// the top-level `params` entries and `params.yaml` when it exists.
pub(crate) fn params_files(
    snapshot: &Snapshot<'_>,
    targets: &[RepoPath],
    deps_only: bool,
) -> Vec<(RepoPath, Vec<String>)> {
    let mut listed: Vec<(RepoPath, Vec<String>)> = Vec::new();
    if !targets.is_empty() {
        listed.extend(targets.iter().map(|target| (target.clone(), Vec::new())));
    } else {
        for stage in &snapshot.index.stages {
            let RepoStage::Pipeline { stage, .. } = stage else {
                continue;
            };
            for dependency in &stage.params {
                if let Some(path) = dependency.path.repo_path() {
                    listed.push((path.clone(), dependency.keys.clone()));
                }
            }
        }
        if !deps_only {
            for top in &snapshot.index.top_level {
                for file in &top.params {
                    if let Some(path) = join(&top.file.parent(), file) {
                        listed.push((path, Vec::new()));
                    }
                }
            }
            if let Ok(default) = RepoPath::new(DEFAULT_PARAMS_FILE)
                && exists(snapshot, &default)
            {
                listed.push((default, Vec::new()));
            }
        }
    }
    // DVC's `_merge_params`: a file tracked whole anywhere is tracked whole.
    let mut merged: Vec<(RepoPath, Vec<String>)> = Vec::new();
    let whole: Vec<RepoPath> = listed
        .iter()
        .filter(|(_, keys)| keys.is_empty())
        .map(|(path, _)| path.clone())
        .collect();
    for (path, keys) in listed {
        let keys = if whole.contains(&path) {
            Vec::new()
        } else {
            keys
        };
        match merged.iter_mut().find(|(known, _)| *known == path) {
            Some((_, known)) => {
                for key in keys {
                    if !known.contains(&key) {
                        known.push(key);
                    }
                }
            }
            None => merged.push((path, keys)),
        }
    }
    let mut expanded: Vec<(RepoPath, Vec<String>)> = Vec::new();
    for (path, keys) in merged {
        for file in snapshot.expand(&path) {
            if !expanded.iter().any(|(known, _)| *known == file) {
                expanded.push((file, keys.clone()));
            }
        }
    }
    expanded
}

fn exists(snapshot: &Snapshot<'_>, path: &RepoPath) -> bool {
    matches!(snapshot.read(path), Ok(Some(_)))
        || matches!(
            snapshot.files.read(path),
            Ok(dv_pipeline::files::FileContent::Directory)
        )
}

fn expand_distinct(snapshot: &Snapshot<'_>, paths: Vec<RepoPath>) -> Vec<RepoPath> {
    let mut found: Vec<RepoPath> = Vec::new();
    for path in paths {
        for file in snapshot.expand(&path) {
            if !found.contains(&file) {
                found.push(file);
            }
        }
    }
    found
}

/// Reads and parses `path` of the revision, with DVC's error when that fails.
pub(crate) fn read_file(snapshot: &Snapshot<'_>, path: &RepoPath) -> Result<Value, ReadError> {
    let bytes = match snapshot.read(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(ReadError {
                kind: "FileNotFoundError".to_owned(),
                message: format!("[Errno 2] No such file or directory: '{}'", path.as_str()),
            });
        }
        Err(error) if error.raw_os_error() == Some(21) => {
            return Err(ReadError {
                kind: "IsADirectoryError".to_owned(),
                message: format!("[Errno 21] Is a directory: '{}'", path.as_str()),
            });
        }
        Err(error)
            if error
                .get_ref()
                .is_some_and(|inner| inner.is::<super::snapshot::DirectoryNotLoaded>()) =>
        {
            return Err(ReadError {
                kind: "DataIndexDirError".to_owned(),
                message: error.to_string(),
            });
        }
        Err(error) => {
            return Err(ReadError {
                kind: "OSError".to_owned(),
                message: error.to_string(),
            });
        }
    };
    let format = ParamsFormat::for_path(path.as_str());
    let corrupted = |message: String| ReadError {
        kind: format!("{}FileCorruptedError", format_name(format)),
        message: format!("unable to read: '{}', {message}", shown_in_error(path)),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(corrupted(format!(
            "{} file structure is corrupted",
            format_name(format)
        )));
    };
    params::parse(path.as_str(), &text).map_err(|error| corrupted(error.message))
}

/// How DVC names the file in a parse error: the repository path as seen from the current
/// directory of a file system rooted at `/`, i.e. one `..` per component of the current
/// directory.
fn shown_in_error(path: &RepoPath) -> String {
    let depth = std::env::current_dir()
        .map(|cwd| {
            cwd.components()
                .filter(|part| matches!(part, std::path::Component::Normal(_)))
                .count()
        })
        .unwrap_or(0);
    format!("{}{}", "../".repeat(depth), path.as_str())
}

fn format_name(format: ParamsFormat) -> &'static str {
    match format {
        ParamsFormat::Yaml => "YAML",
        ParamsFormat::Json => "JSON",
        ParamsFormat::Toml => "TOML",
        ParamsFormat::Python => "Python",
    }
}

/// A metrics file's values: numbers, booleans and strings, in nested mappings; anything else
/// (lists, nulls, empty mappings) left out, as DVC leaves it out.
pub(crate) fn read_metrics(snapshot: &Snapshot<'_>, path: &RepoPath) -> FileData {
    match read_file(snapshot, path) {
        Err(error) => FileData::Error(error),
        Ok(value) => FileData::Data(
            extract_metrics(&value)
                .filter(|value| !dv_schema::yaml::is_falsy(value))
                .unwrap_or_else(|| Value::Mapping(Mapping::new())),
        ),
    }
}

/// A params file's tracked values: the whole document, or the tracked keys.
pub(crate) fn read_params(snapshot: &Snapshot<'_>, path: &RepoPath, keys: &[String]) -> FileData {
    match read_file(snapshot, path) {
        Err(error) => FileData::Error(error),
        Ok(document) if keys.is_empty() => FileData::Data(document),
        Ok(document) => FileData::Data(Value::Mapping(params::select(&document, keys))),
    }
}

fn extract_metrics(value: &Value) -> Option<Value> {
    match value {
        Value::Number(_) | Value::String(_) | Value::Bool(_) => Some(value.clone()),
        Value::Mapping(map) => {
            let mut kept = Mapping::new();
            for (key, item) in map {
                match extract_metrics(item) {
                    Some(Value::Mapping(inner)) if inner.is_empty() => {}
                    Some(item) => {
                        kept.insert(key.clone(), item);
                    }
                    None => {}
                }
            }
            Some(Value::Mapping(kept))
        }
        Value::Tagged(tagged) => extract_metrics(&tagged.value),
        _ => None,
    }
}
