//! The data files of a revision's plots (DVC's `_collect_data_sources` and `parse`): which
//! files the definitions read, and each one read from the revision (git, the working tree or
//! the cache) and parsed: CSV/TSV rows of strings, JSON, YAML, TOML and Python documents, the
//! bytes of images; or the error DVC records for it.

use dv_pipeline::files::FileContent;
use dv_pipeline::params::{self, ParamsFormat};
use dv_schema::dvc_yaml::OutputKind;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value};

use super::csv;
use super::paths::{extension, resolve};
use super::value::{get, is_truthy};
use crate::compare::ReadError;
use crate::index::RepoStage;
use crate::revisions::Snapshot;

/// The file extensions DVC shows as images (dvc-render's `ImageRenderer.EXTENSIONS`).
pub(crate) const IMAGE_EXTENSIONS: [&str; 5] = [".jpg", ".jpeg", ".gif", ".png", ".svg"];

/// The extensions DVC parses as data: its serializers' and `.yml`, `.yaml`, `.csv`, `.tsv`.
const DATA_EXTENSIONS: [&str; 7] = [".toml", ".json", ".py", ".yml", ".yaml", ".csv", ".tsv"];

/// What a plot data file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Parsed data: rows of a CSV/TSV file, or a JSON/YAML/TOML/Python document.
    Data(Value),
    /// The bytes of an image.
    Image(Vec<u8>),
}

/// A data file: its content (`None` when it holds nothing DVC keeps: an empty file, an empty
/// list or mapping), or why it could not be read.
pub type Source = Result<Option<Content>, ReadError>;

/// The data files the definitions of a revision read (DVC's `_get_data_targets` and
/// `infer_data_sources`): each plot's `y` files (or its id) and the first `x` file, each once.
pub(crate) fn data_targets(definitions: &Mapping) -> Vec<String> {
    let mut targets: Vec<String> = Vec::new();
    for config in definitions.values() {
        let Some(Value::Mapping(plots)) = get_mapping_item(config, "data") else {
            continue;
        };
        for (id, props) in plots {
            let Value::String(id) = id else { continue };
            for source in infer_sources(id, props) {
                if !targets.contains(&source) {
                    targets.push(source);
                }
            }
        }
    }
    targets
}

fn get_mapping_item<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    match value {
        Value::Mapping(map) => get(map, name),
        _ => None,
    }
}

/// The files a plot reads: the keys of its `y` mapping (else its id), then the first key of
/// its `x` mapping, each once.
pub(crate) fn infer_sources(id: &str, props: &Value) -> Vec<String> {
    let props = match props {
        Value::Mapping(map) => Some(map),
        _ => None,
    };
    let mut sources: Vec<String> = match props.and_then(|map| get(map, "y")) {
        Some(Value::Mapping(files)) => files.keys().map(key_text).collect(),
        _ => vec![id.to_owned()],
    };
    if let Some(Value::Mapping(files)) = props.and_then(|map| get(map, "x"))
        && let Some(first) = files.keys().next()
    {
        sources.push(key_text(first));
    }
    let mut distinct: Vec<String> = Vec::new();
    for source in sources {
        if !distinct.contains(&source) {
            distinct.push(source);
        }
    }
    distinct
}

fn key_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => crate::compare::key_text(other),
    }
}

/// Reads the data files of a revision: `targets` (paths relative to `cwd`), or every plot
/// output when there are none; a file that is a plot output is parsed with its `header`
/// setting, overridden by `props` (the command line's).
pub(crate) fn collect(
    snapshot: &Snapshot<'_>,
    cwd: &RepoPath,
    targets: &[String],
    props: &Mapping,
) -> Vec<(String, Source)> {
    let mut plots: Vec<(String, Mapping)> = Vec::new();
    let mut remaining: Vec<String> = targets.to_vec();
    for stage in &snapshot.index.stages {
        let RepoStage::Pipeline { stage, .. } = stage else {
            continue;
        };
        for output in &stage.outs {
            if output.definition.kind != OutputKind::Plot {
                continue;
            }
            let Some(path) = output.path.repo_path() else {
                continue;
            };
            let path = path.as_str().to_owned();
            if targets.is_empty() {
                plots.push((path, output.definition.plot_props.clone()));
            } else if let Some(position) = remaining.iter().position(|target| *target == path) {
                remaining.remove(position);
                plots.push((path, output.definition.plot_props.clone()));
            }
        }
    }
    plots.extend(remaining.into_iter().map(|target| (target, Mapping::new())));
    let mut sources: Vec<(String, Source)> = Vec::new();
    for (path, mut joined) in plots {
        for (name, value) in props {
            joined.insert(name.clone(), value.clone());
        }
        let header = get(&joined, "header").is_none_or(is_truthy);
        let source = read(snapshot, cwd, &path, header);
        match sources.iter_mut().find(|(known, _)| *known == path) {
            Some((_, known)) => *known = source,
            None => sources.push((path, source)),
        }
    }
    sources
}

/// Reads and parses the data file at `path` (relative to `cwd`) of the revision, as DVC's
/// `parse` does.
pub(crate) fn read(snapshot: &Snapshot<'_>, cwd: &RepoPath, path: &str, header: bool) -> Source {
    let extension = extension(path);
    let is_image = IMAGE_EXTENSIONS.contains(&extension);
    if !is_image && !DATA_EXTENSIONS.contains(&extension) {
        return Err(ReadError {
            kind: "PlotMetricTypeError".to_owned(),
            message: format!(
                "'{path}' - file type error\nOnly JSON, YAML, CSV and TSV formats are supported."
            ),
        });
    }
    let bytes = read_bytes(snapshot, cwd, path)?;
    if is_image {
        return Ok((!bytes.is_empty()).then_some(Content::Image(bytes)));
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(ReadError {
            kind: "EncodingError".to_owned(),
            message: format!("unable to read: '{path}', is not valid utf8"),
        });
    };
    let text = universal_newlines(&text);
    let value = match extension {
        ".csv" | ".tsv" => {
            let delimiter = if extension == ".tsv" { '\t' } else { ',' };
            let rows = csv::dict_rows(&text, delimiter, header).map_err(|error| ReadError {
                kind: error.kind.to_owned(),
                message: error.message,
            })?;
            Value::Sequence(rows)
        }
        _ => params::parse(path, &text).map_err(|error| ReadError {
            kind: format!(
                "{}FileCorruptedError",
                format_name(ParamsFormat::for_path(path))
            ),
            message: error.to_string(),
        })?,
    };
    Ok(is_truthy(&value).then_some(Content::Data(value)))
}

fn read_bytes(snapshot: &Snapshot<'_>, cwd: &RepoPath, path: &str) -> Result<Vec<u8>, ReadError> {
    let not_found = || ReadError {
        kind: "FileNotFoundError".to_owned(),
        message: format!("[Errno 2] No such file or directory: '{path}'"),
    };
    let Some(repo_path) = resolve(cwd, path) else {
        return Err(not_found());
    };
    if matches!(snapshot.files.read(&repo_path), Ok(FileContent::Directory)) {
        return Err(ReadError {
            kind: "IsADirectoryError".to_owned(),
            message: format!("[Errno 21] Is a directory: '{path}'"),
        });
    }
    match snapshot.read(&repo_path) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(not_found()),
        Err(error) => Err(ReadError {
            kind: "OSError".to_owned(),
            message: error.to_string(),
        }),
    }
}

/// Python's universal newlines: `\r\n` and lone `\r` read as `\n`.
fn universal_newlines(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn format_name(format: ParamsFormat) -> &'static str {
    match format {
        ParamsFormat::Yaml => "YAML",
        ParamsFormat::Json => "JSON",
        ParamsFormat::Toml => "TOML",
        ParamsFormat::Python => "Python",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_y_files_then_the_first_x_file() {
        let props: Value = dv_schema::yaml::parse(
            "x: {a.csv: step, c.csv: s}\ny: {a.csv: loss, b.csv: [acc, f1]}\n",
        )
        .expect("yaml");
        assert_eq!(infer_sources("id", &props), vec!["a.csv", "b.csv"]);
        assert_eq!(infer_sources("id", &Value::Null), vec!["id"]);
    }

    #[test]
    fn universal_newlines_translate_carriage_returns() {
        assert_eq!(universal_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
    }
}
