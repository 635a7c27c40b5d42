//! Loading a `dvc.yaml`: parsing, the schema check, the file's `vars`, then each stage in order;
//! and the file's top-level lists, resolved on demand.

use dv_schema::dvc_yaml;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{self, Mapping, Value};
use dv_schema::yaml_location::{PathSegment, YamlLocations};

use super::entry::{ResolvedStage, Resolver, Template};
use super::error::LoadError;
use super::interpolate::{
    check_syntax, contains_interpolation, key_string, resolve_value, sequence,
};
use super::names::{GENERATED_NAME_SEPARATOR, shown_path};
use crate::context::{Context, Dir, python_type};
use crate::files::{FileContent, FileSource};
use crate::interpolation::ParsingConfig;

/// How a `dvc.yaml` is loaded.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The `parsing` section of the config (how dicts become command-line flags).
    pub parsing: ParsingConfig,
    /// The current directory, inside the repository: DVC names files relative to it in
    /// messages and stage addressings.
    pub cwd: RepoPath,
}

/// A loaded and resolved `dvc.yaml`.
#[derive(Clone, Debug)]
pub struct PipelineFile {
    /// Its path in the repository.
    pub path: RepoPath,
    /// How DVC names it: relative to the current directory (`dvc.yaml`, `sub/dvc.yaml`).
    pub shown: String,
    /// Its stages, generated ones expanded, in DVC's order.
    pub stages: Vec<ResolvedStage>,
    /// Warnings DVC logs while resolving (`item is already specified, ...`).
    pub warnings: Vec<String>,
    /// The document as written.
    pub document: Value,
    context: Context,
    parsing: ParsingConfig,
    text: String,
}

/// Reads and resolves the `dvc.yaml` at `path`.
pub fn load(
    files: &dyn FileSource,
    path: &RepoPath,
    options: &LoadOptions,
) -> Result<PipelineFile, LoadError> {
    let shown = shown_path(path, &options.cwd);
    let bytes = match files.read(path) {
        Ok(FileContent::File(bytes)) => bytes,
        Ok(FileContent::Missing | FileContent::Directory) => {
            return Err(LoadError::Missing { file: shown });
        }
        Err(error) => {
            return Err(LoadError::Io {
                file: shown,
                message: error.to_string(),
            });
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| LoadError::Io {
        file: shown.clone(),
        message: "is not valid utf-8".to_owned(),
    })?;
    resolve_text(files, path, text, options)
}

/// Resolves the text of the `dvc.yaml` at `path` (other files are read through `files`).
pub fn resolve_text(
    files: &dyn FileSource,
    path: &RepoPath,
    text: String,
    options: &LoadOptions,
) -> Result<PipelineFile, LoadError> {
    let shown = shown_path(path, &options.cwd);
    let mut document = yaml::parse(&text).map_err(|error| LoadError::Syntax {
        file: shown.clone(),
        message: error.message,
        line: error.line,
        column: error.column,
    })?;
    crate::params::resolve_plain_numbers(&mut document, &text);
    let locations = YamlLocations::new(&text);
    let issues = dvc_yaml::validate(&document);
    if !issues.is_empty() {
        let issues = issues
            .into_iter()
            .map(|issue| {
                let position = locations.collection(&issue.path);
                (issue, position)
            })
            .collect();
        return Err(LoadError::Schema {
            file: shown,
            issues,
        });
    }
    let empty = Mapping::new();
    let root = match &document {
        Value::Mapping(map) => map,
        _ => &empty,
    };
    let dir_shown = match path.parent().relative_to(&options.cwd).as_str() {
        "." => String::new(),
        other => other.to_owned(),
    };
    let wdir = Dir {
        repo: path.parent(),
        shown: dir_shown,
    };
    let mut resolver = Resolver {
        files,
        file: shown.clone(),
        locations: &locations,
        parsing: options.parsing,
        warnings: Vec::new(),
    };
    let vars = sequence(root.get("vars"));
    if contains_interpolation(&Value::Sequence(vars.clone())) {
        return Err(resolver.error(
            None,
            format!("failed to parse 'vars' in '{shown}': interpolating is not allowed"),
            &[PathSegment::from("vars")],
        ));
    }
    let mut context = Context::default();
    context
        .load_from_vars(
            files,
            &vars,
            &wdir,
            None,
            Some(dvc_yaml::DEFAULT_PARAMS_FILE),
        )
        .map_err(|error| {
            resolver.context_error(None, "'vars'", &error, &[PathSegment::from("vars")])
        })?;
    let mut stages = Vec::new();
    if let Some(Value::Mapping(definitions)) = root.get("stages") {
        for (name, definition) in definitions {
            let name = key_string(name);
            let Value::Mapping(definition) = definition else {
                continue;
            };
            if definition.contains_key("matrix") {
                resolver.matrix(&mut context, &wdir, &name, definition, &mut stages)?;
            } else if definition.contains_key("foreach") {
                resolver.foreach(&mut context, &wdir, &name, definition, &mut stages)?;
            } else if name.contains(GENERATED_NAME_SEPARATOR) {
                // DVC reads `a@b` as member `b` of a `foreach`/`matrix` group `a`, and finds
                // none: every command that loads the file fails.
                return Err(LoadError::Resolve {
                    file: shown.clone(),
                    stage: Some(name.clone()),
                    message: format!("Stage '{name}' not found inside '{shown}' file"),
                    line: None,
                });
            } else {
                let stage = resolver.entry(
                    &mut context,
                    &wdir,
                    (&name, &name),
                    definition,
                    Template::Plain,
                    false,
                )?;
                stages.push(stage);
            }
        }
    }
    let warnings = resolver.warnings;
    Ok(PipelineFile {
        path: path.clone(),
        shown,
        stages,
        warnings,
        document,
        context,
        parsing: options.parsing,
        text,
    })
}

impl PipelineFile {
    /// The stage called `name`.
    pub fn stage(&self, name: &str) -> Option<&ResolvedStage> {
        self.stages.iter().find(|stage| stage.name == name)
    }

    /// The directory of the file.
    pub fn dir(&self) -> RepoPath {
        self.path.parent()
    }

    /// The text the file was loaded from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The top-level `params` list, resolved.
    pub fn params(&self) -> Result<Vec<Value>, LoadError> {
        self.top_level("params")
    }

    /// The top-level `metrics` list, resolved.
    pub fn metrics(&self) -> Result<Vec<Value>, LoadError> {
        self.top_level("metrics")
    }

    /// The top-level `plots` list, resolved.
    pub fn plots(&self) -> Result<Vec<Value>, LoadError> {
        self.top_level("plots")
    }

    /// The top-level `datasets` list, resolved.
    pub fn datasets(&self) -> Result<Vec<Value>, LoadError> {
        self.top_level("datasets")
    }

    /// The top-level `artifacts`, names and definitions resolved.
    pub fn artifacts(&self) -> Result<Mapping, LoadError> {
        let mut artifacts = Mapping::new();
        let Value::Mapping(root) = &self.document else {
            return Ok(artifacts);
        };
        let Some(Value::Mapping(definitions)) = root.get("artifacts") else {
            return Ok(artifacts);
        };
        let locations = YamlLocations::new(&self.text);
        for (name, definition) in definitions {
            let name_text = key_string(name);
            let path = [
                PathSegment::from("artifacts"),
                PathSegment::from(name_text.as_str()),
            ];
            let what = format!("'artifacts.{name_text}'");
            let fail = |message: String| LoadError::Resolve {
                file: self.shown.clone(),
                stage: None,
                message,
                line: locations.nearest_entry(&path).map(|p| p.line),
            };
            let resolved_name = self.resolve_top(name, &what).map_err(&fail)?;
            let Value::String(resolved_name) = resolved_name else {
                return Err(fail(format!(
                    "failed to resolve {what} in '{}': expected str, got {}",
                    self.shown,
                    python_type(&resolved_name)
                )));
            };
            let resolved = self.resolve_top(definition, &what).map_err(fail)?;
            artifacts.insert(Value::String(resolved_name), resolved);
        }
        Ok(artifacts)
    }

    fn top_level(&self, key: &str) -> Result<Vec<Value>, LoadError> {
        let Value::Mapping(root) = &self.document else {
            return Ok(Vec::new());
        };
        let items = sequence(root.get(key));
        let locations = YamlLocations::new(&self.text);
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                self.resolve_top(item, &format!("'{key}.{index}'"))
                    .map_err(|message| LoadError::Resolve {
                        file: self.shown.clone(),
                        stage: None,
                        message,
                        line: locations
                            .nearest_entry(&[PathSegment::from(key), PathSegment::Index(index)])
                            .map(|p| p.line),
                    })
            })
            .collect()
    }

    fn resolve_top(&self, value: &Value, what: &str) -> Result<Value, String> {
        check_syntax(value).map_err(|error| {
            format!(
                "failed to parse {what} in '{}':\n{}",
                self.shown, error.message
            )
        })?;
        resolve_value(&self.context, value, None, false, self.parsing).map_err(|failure| {
            let separator = if failure.on_new_line() { "\n" } else { " " };
            format!(
                "failed to parse {what} in '{}':{separator}{failure}",
                self.shown
            )
        })
    }
}
