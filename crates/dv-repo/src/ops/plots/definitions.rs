//! The plot definitions of one revision (DVC's `_collect_definitions`): the top-level `plots`
//! of each `dvc.yaml`, the `plots` outputs of stages (under the config file `""`) and the
//! targets given on the command line, each plot with its properties and the command line's
//! over them, merged as DVC merges them (`dpath.merge`).
//!
//! The result has DVC's shape: `{config file: {"data": {plot id: properties}}}`, paths
//! relative to the working directory.

use dv_pipeline::files::FileContent;
use dv_schema::dvc_yaml::OutputKind;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value};
use regex::Regex;

use super::paths::{commonpath, dirname, join, normpath, relative_to, resolve};
use super::value::{deep_merge, get, key, union};
use crate::compare::ReadError;
use crate::index::RepoStage;
use crate::revisions::Snapshot;

/// What the collection of one revision needs.
pub(crate) struct Collector<'a> {
    /// The repository at the revision.
    pub(crate) snapshot: &'a Snapshot<'a>,
    /// The working directory inside the repository.
    pub(crate) cwd: &'a RepoPath,
    /// The targets, as paths or patterns.
    pub(crate) targets: &'a [String],
    /// The properties given on the command line.
    pub(crate) props: &'a Mapping,
    /// Whether the revision is the working tree (outputs are then named relative to the
    /// working directory, at a commit as written).
    pub(crate) in_workspace: bool,
}

impl Collector<'_> {
    /// The definitions of the revision; an error for a target DVC cannot use as a pattern.
    pub(crate) fn collect(&self) -> Result<Mapping, ReadError> {
        let mut result = Mapping::new();
        deep_merge(&mut result, &self.pipeline_files()?);
        deep_merge(&mut result, &self.output_plots()?);
        for target in self.targets {
            if result.is_empty() || self.exists(target) {
                let unpacked = self.unpack(target, self.props);
                let entry = result
                    .entry(key(""))
                    .or_insert_with(|| Value::Mapping(Mapping::new()));
                if let Value::Mapping(entry) = entry {
                    deep_merge(entry, &unpacked);
                }
            }
        }
        Ok(result)
    }

    /// The top-level `plots` of each `dvc.yaml` (DVC's `_collect_pipeline_files`).
    fn pipeline_files(&self) -> Result<Mapping, ReadError> {
        let mut result = Mapping::new();
        for top in &self.snapshot.index.top_level {
            if top.plots.is_empty() {
                continue;
            }
            let config_path = relative_to(&top.file, self.cwd);
            let mut definitions = Mapping::new();
            for element in &top.plots {
                match element {
                    Value::String(id) => {
                        definitions.insert(key(id), Value::Null);
                    }
                    Value::Mapping(map) => {
                        if let Some((id, props)) = map.iter().next() {
                            definitions.insert(id.clone(), props.clone());
                        }
                    }
                    _ => {}
                }
            }
            let resolved = self.resolve_definitions(&config_path, &definitions)?;
            let mut entry = Mapping::new();
            entry.insert(key(&config_path), Value::Mapping(resolved));
            deep_merge(&mut result, &entry);
        }
        Ok(result)
    }

    /// One `dvc.yaml`'s top-level plots (DVC's `_resolve_definitions`): a plot whose `y` is not
    /// a mapping of files reads the file (or the files of the directory) its id names; the
    /// others keep their id, with the file names of `x` and `y` made relative to the working
    /// directory.
    fn resolve_definitions(
        &self,
        config_path: &str,
        definitions: &Mapping,
    ) -> Result<Mapping, ReadError> {
        let config_dir = dirname(config_path);
        let parents: Vec<String> = definitions
            .keys()
            .map(|id| normpath(&join(&config_dir, &id_text(id))))
            .collect();
        let mut result = Mapping::new();
        for (id, props) in definitions {
            let id = id_text(id);
            let props = match props {
                Value::Mapping(map) => map.clone(),
                _ => Mapping::new(),
            };
            if !self.matches(config_path, &id)? {
                continue;
            }
            if id_is_path(&props) {
                let data_path = normpath(&join(&config_dir, &id));
                let mut unpacked = self.unpack(&data_path, &union(&props, self.props));
                if let Some(Value::Mapping(data)) = unpacked.get_mut("data") {
                    data.retain(|file, _| closest_parent(&id_text(file), &parents) == data_path);
                }
                deep_merge(&mut result, &unpacked);
            } else {
                let adjusted = adjust_sources(&props, &config_dir);
                let mut plots = Mapping::new();
                plots.insert(key(&id), Value::Mapping(union(&adjusted, self.props)));
                let mut entry = Mapping::new();
                entry.insert(key("data"), Value::Mapping(plots));
                deep_merge(&mut result, &entry);
            }
        }
        Ok(result)
    }

    /// The `plots` outputs of the stages (DVC's `_collect_output_plots`), under `""`.
    fn output_plots(&self) -> Result<Mapping, ReadError> {
        let mut result = Mapping::new();
        for stage in &self.snapshot.index.stages {
            let RepoStage::Pipeline { stage, .. } = stage else {
                continue;
            };
            let config_path = relative_to(&stage.file, self.cwd);
            let wdir = relative_to(&stage.wdir, self.cwd);
            for output in &stage.outs {
                if output.definition.kind != OutputKind::Plot {
                    continue;
                }
                let name = match (self.in_workspace, output.path.repo_path()) {
                    (true, Some(path)) => relative_to(path, self.cwd),
                    _ => output.def_path.clone(),
                };
                if !self.matches(&config_path, &name)? {
                    continue;
                }
                let props = union(&output.definition.plot_props, self.props);
                let unpacked = self.unpack(&normpath(&join(&wdir, &output.def_path)), &props);
                let mut entry = Mapping::new();
                entry.insert(key(""), Value::Mapping(unpacked));
                deep_merge(&mut result, &entry);
            }
        }
        Ok(result)
    }

    /// `{"data": {file: props}}` for the file at `path`, or for each file under it when it is
    /// a directory (DVC's `unpack_if_dir`); nothing for an empty directory.
    fn unpack(&self, path: &str, props: &Mapping) -> Mapping {
        let mut files: Vec<String> = Vec::new();
        match resolve(self.cwd, path) {
            Some(repo_path) if self.is_dir(&repo_path) => {
                for file in self.snapshot.expand(&repo_path) {
                    if file != repo_path {
                        files.push(relative_to(&file, self.cwd));
                    }
                }
                if files.is_empty() {
                    return Mapping::new();
                }
            }
            _ => files.push(path.to_owned()),
        }
        let mut data = Mapping::new();
        for file in files {
            data.insert(key(&file), Value::Mapping(props.clone()));
        }
        let mut unpacked = Mapping::new();
        unpacked.insert(key("data"), Value::Mapping(data));
        unpacked
    }

    fn is_dir(&self, path: &RepoPath) -> bool {
        if matches!(self.snapshot.files.read(path), Ok(FileContent::Directory)) {
            return true;
        }
        let absolute = crate::workspace::absolute(self.snapshot.workspace, path);
        self.snapshot.outputs().iter().any(|recorded| {
            let is_tree = recorded.output.md5.is_some_and(|id| id.is_tree());
            (recorded.path == absolute && is_tree)
                || (recorded.path != absolute && recorded.path.starts_with(&absolute))
        })
    }

    fn exists(&self, target: &str) -> bool {
        let Some(path) = resolve(self.cwd, target) else {
            return false;
        };
        self.is_dir(&path) || matches!(self.snapshot.read(&path), Ok(Some(_)))
    }

    /// Whether a plot is selected (DVC's `_matches`): no targets, or a target matching, as a
    /// regular expression at the start, the plot's id or `config::id`.
    fn matches(&self, config_path: &str, id: &str) -> Result<bool, ReadError> {
        if self.targets.is_empty() {
            return Ok(true);
        }
        let full_id = if config_path.is_empty() {
            id.to_owned()
        } else {
            format!("{config_path}::{id}")
        };
        for target in self.targets {
            let pattern = Regex::new(target).map_err(|error| ReadError {
                kind: "error".to_owned(),
                message: error.to_string(),
            })?;
            let at_start = |text: &str| pattern.find(text).is_some_and(|found| found.start() == 0);
            if at_start(id) || at_start(&full_id) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => crate::compare::key_text(other),
    }
}

/// Whether a plot's id names its data file: no properties, or a `y` that is not a mapping.
fn id_is_path(props: &Mapping) -> bool {
    !matches!(get(props, "y"), Some(Value::Mapping(_)))
}

/// The properties with the files of a mapping `x` and of `y` joined to the directory of the
/// `dvc.yaml` (both moved to the end, as DVC pops and sets them).
fn adjust_sources(props: &Mapping, config_dir: &str) -> Mapping {
    let mut adjusted = props.clone();
    for axis in ["x", "y"] {
        let inferred = axis == "x" && !matches!(get(&adjusted, axis), Some(Value::Mapping(_)));
        if inferred {
            continue;
        }
        let old = adjusted.shift_remove(axis);
        let mut files = Mapping::new();
        if let Some(Value::Mapping(old)) = old {
            for (file, value) in old {
                files.insert(key(&normpath(&join(config_dir, &id_text(&file)))), value);
            }
        }
        adjusted.insert(key(axis), Value::Mapping(files));
    }
    adjusted
}

/// The longest path `path` shares with one of the `parents` (DVC's `_closest_parent`).
fn closest_parent(path: &str, parents: &[String]) -> String {
    let mut best = String::new();
    for parent in parents {
        let common = commonpath([path, parent.as_str()]);
        if common.len() > best.len() {
            best = common;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_of_mapped_axes_are_joined_to_the_config_directory() {
        let props = match dv_schema::yaml::parse("x: step\ny: {a.csv: loss}\ntitle: t\n") {
            Ok(Value::Mapping(map)) => map,
            other => panic!("{other:?}"),
        };
        let adjusted = adjust_sources(&props, "sub");
        let keys: Vec<String> = adjusted.keys().map(id_text).collect();
        assert_eq!(keys, vec!["x", "title", "y"]);
        let Some(Value::Mapping(y)) = adjusted.get("y") else {
            panic!("y is a mapping")
        };
        assert!(y.contains_key("sub/a.csv"));
    }

    #[test]
    fn the_closest_parent_is_the_longest_shared_path() {
        let parents = vec!["plots".to_owned(), "plots/sub".to_owned()];
        assert_eq!(closest_parent("plots/sub/a.csv", &parents), "plots/sub");
        assert_eq!(closest_parent("plots/b.csv", &parents), "plots");
    }
}
