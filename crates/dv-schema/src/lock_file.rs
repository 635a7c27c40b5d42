//! `dvc.lock` files, schema 2.0 (spec §8): what each pipeline stage last ran with.
//!
//! [`LockFile::from_yaml`] reads a lock file with DVC's schema checks. [`LockStage::to_value`]
//! is a stage entry exactly as DVC dumps it (`cmd`, `deps`, `params`, `outs`; entries
//! `path, hash, md5, size, nfiles, ...`), which is also the content of a run-cache entry
//! (spec §9.4). [`update_stages`] and [`remove_stage`] produce the new text of a lock file the
//! way DVC edits it: stages replaced in place, new ones appended, the rest untouched.

use std::fmt;

use crate::dvc_file::Output;
use crate::dvc_yaml::Command;
use crate::hash::HashName;
use crate::yaml::{self, Mapping, Value};
use crate::yaml_location::{PathSegment, YamlLocations};

/// The only lock file schema DVC 3 reads and writes.
pub const SCHEMA_VERSION: &str = "2.0";

/// A whole `dvc.lock`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LockFile {
    /// The stages by name, in file order.
    pub stages: Vec<(String, LockStage)>,
    /// `datasets`, kept as written.
    pub datasets: Option<Value>,
}

/// The lock entry of one stage.
#[derive(Clone, Debug, PartialEq)]
pub struct LockStage {
    /// `cmd`: the resolved command it ran.
    pub cmd: Command,
    /// `deps`: dependencies with their hashes, sorted by path when DVC writes them.
    pub deps: Vec<Output>,
    /// `params`: per params file, the tracked keys and their values.
    pub params: ParamsValues,
    /// `outs`: outputs (metrics and plots included) with their hashes, sorted by path.
    pub outs: Vec<Output>,
}

/// The `params` of a lock entry: params file path → (key → value), in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamsValues(pub Vec<(String, Mapping)>);

impl ParamsValues {
    /// The values recorded for the params file `path`.
    pub fn file(&self, path: &str) -> Option<&Mapping> {
        self.0
            .iter()
            .find(|(file, _)| file == path)
            .map(|(_, values)| values)
    }

    /// Whether no params file is recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values in DVC's lock order (`_serialize_params_values`): the default params file
    /// first, then the other files sorted by path; keys sorted within each file (nested values
    /// keep their order).
    pub fn sorted(files: Vec<(String, Mapping)>, default_file: &str) -> ParamsValues {
        let mut files = files;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(index) = files.iter().position(|(path, _)| path == default_file) {
            let default = files.remove(index);
            files.insert(0, default);
        }
        let files = files
            .into_iter()
            .map(|(path, values)| {
                let mut entries: Vec<(Value, Value)> = values.into_iter().collect();
                entries.sort_by_key(|a| key_text(&a.0));
                (path, entries.into_iter().collect())
            })
            .collect();
        ParamsValues(files)
    }

    fn to_value(&self) -> Value {
        let mut map = Mapping::new();
        for (path, values) in &self.0 {
            map.insert(Value::String(path.clone()), Value::Mapping(values.clone()));
        }
        Value::Mapping(map)
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        other => yaml::to_string(other).trim_end().to_owned(),
    }
}

/// A lock file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LockFileError {
    /// What is wrong (DVC's wording where it has one).
    pub message: String,
    /// Where, as DVC names it (`stages -> s1 -> cmd`), when the error is about a key.
    pub key_path: Option<String>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl fmt::Display for LockFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(path) = &self.key_path {
            write!(f, ", in {path}")?;
        }
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ", line {line}, column {column}")?;
        }
        Ok(())
    }
}

impl LockFileError {
    fn invalid(message: &str, path: &[&str]) -> LockFileError {
        LockFileError {
            message: message.to_owned(),
            key_path: (!path.is_empty()).then(|| path.join(" -> ")),
            line: None,
            column: None,
        }
    }
}

impl LockFile {
    /// Parses and validates the text of a `dvc.lock` (DVC's `LOCKFILE_SCHEMA`).
    pub fn from_yaml(text: &str) -> Result<LockFile, LockFileError> {
        let value = yaml::parse(text).map_err(|error| LockFileError {
            message: error.message,
            key_path: None,
            line: error.line,
            column: error.column,
        })?;
        LockFile::from_value(&value).map_err(|mut error| {
            // DVC places schema errors at the collection holding the offending key
            if let Some(path) = &error.key_path {
                let segments: Vec<PathSegment> = path
                    .split(" -> ")
                    .map(|part| match part.parse::<usize>() {
                        Ok(index) => PathSegment::Index(index),
                        Err(_) => PathSegment::Key(part.to_owned()),
                    })
                    .collect();
                if let Some(position) = YamlLocations::new(text).collection(&segments) {
                    error.line = Some(position.line);
                    error.column = Some(position.column);
                }
            }
            error
        })
    }

    /// Reads an already parsed lock file.
    pub fn from_value(value: &Value) -> Result<LockFile, LockFileError> {
        let empty = Mapping::new();
        let map = match value {
            Value::Mapping(map) => map,
            Value::Null => &empty,
            _ => return Err(LockFileError::invalid("expected a dictionary", &[])),
        };
        for key in map.keys() {
            let known = matches!(key.as_str(), Some("schema" | "stages" | "datasets"));
            if !known {
                let name = key_text(key);
                return Err(LockFileError::invalid("extra keys not allowed", &[&name]));
            }
        }
        match map.get("schema") {
            None => {
                return Err(LockFileError::invalid(
                    "required key not provided",
                    &["schema"],
                ));
            }
            Some(Value::String(version)) if version == SCHEMA_VERSION => {}
            Some(_) => {
                return Err(LockFileError::invalid(
                    "invalid schema version",
                    &["schema"],
                ));
            }
        }
        let mut stages = Vec::new();
        match map.get("stages") {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(entries)) => {
                for (name, entry) in entries {
                    let Some(name) = name.as_str() else {
                        return Err(LockFileError::invalid("expected str", &["stages"]));
                    };
                    let stage = LockStage::from_value(entry).map_err(|(message, path)| {
                        let mut full = vec!["stages", name];
                        full.extend(path.iter().map(String::as_str));
                        LockFileError::invalid(&message, &full)
                    })?;
                    stages.push((name.to_owned(), stage));
                }
            }
            Some(_) => return Err(LockFileError::invalid("expected a dictionary", &["stages"])),
        }
        Ok(LockFile {
            stages,
            datasets: map.get("datasets").cloned(),
        })
    }

    /// The entry of the stage `name`.
    pub fn stage(&self, name: &str) -> Option<&LockStage> {
        self.stages
            .iter()
            .find(|(stage, _)| stage == name)
            .map(|(_, stage)| stage)
    }

    /// The file's content as DVC writes it: `schema`, `datasets` if any, `stages`.
    pub fn to_value(&self) -> Value {
        let mut map = Mapping::new();
        map.insert(string("schema"), string(SCHEMA_VERSION));
        if let Some(datasets) = &self.datasets {
            map.insert(string("datasets"), datasets.clone());
        }
        let mut stages = Mapping::new();
        for (name, stage) in &self.stages {
            stages.insert(Value::String(name.clone()), stage.to_value());
        }
        map.insert(string("stages"), Value::Mapping(stages));
        Value::Mapping(map)
    }

    /// The text of a new lock file, byte-identical to what DVC writes.
    pub fn to_yaml(&self) -> String {
        yaml::to_string(&self.to_value())
    }
}

impl LockStage {
    /// The hash algorithm the entry records for the output written `def_path` (MD5 when it
    /// records none): what saving that output to the cache hashes with.
    pub fn out_hash_name(&self, def_path: &str) -> HashName {
        self.outs
            .iter()
            .find(|recorded| recorded.path == def_path)
            .map_or(HashName::Md5, |recorded| recorded.hash_name)
    }

    /// Reads one stage entry; errors carry DVC's message and the path inside the entry.
    pub fn from_value(value: &Value) -> Result<LockStage, (String, Vec<String>)> {
        let invalid = |message: &str, path: &[&str]| {
            (
                message.to_owned(),
                path.iter()
                    .map(|part| (*part).to_owned())
                    .collect::<Vec<_>>(),
            )
        };
        let Value::Mapping(map) = value else {
            return Err(invalid("expected a dictionary", &[]));
        };
        for key in map.keys() {
            if !matches!(key.as_str(), Some("cmd" | "deps" | "params" | "outs")) {
                return Err(invalid("extra keys not allowed", &[&key_text(key)]));
            }
        }
        let cmd = match map.get("cmd") {
            None => return Err(invalid("required key not provided", &["cmd"])),
            Some(value) => {
                Command::from_value(value).ok_or_else(|| invalid("expected str", &["cmd"]))?
            }
        };
        let entries = |key: &str| -> Result<Vec<Output>, (String, Vec<String>)> {
            match map.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Sequence(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        yaml_serde::from_value::<Output>(item.clone()).map_err(|error| {
                            (error.to_string(), vec![key.to_owned(), index.to_string()])
                        })
                    })
                    .collect(),
                Some(_) => Err(invalid("expected a list", &[key])),
            }
        };
        let deps = entries("deps")?;
        let outs = entries("outs")?;
        let params = match map.get("params") {
            None => ParamsValues::default(),
            Some(Value::Mapping(files)) => {
                let mut values = Vec::new();
                for (file, keys) in files {
                    let Some(file) = file.as_str() else {
                        return Err(invalid("expected str", &["params"]));
                    };
                    let keys = match keys {
                        Value::Mapping(keys) => keys.clone(),
                        _ => return Err(invalid("expected a dictionary", &["params", file])),
                    };
                    values.push((file.to_owned(), keys));
                }
                ParamsValues(values)
            }
            Some(_) => return Err(invalid("expected a dictionary", &["params"])),
        };
        Ok(LockStage {
            cmd,
            deps,
            params,
            outs,
        })
    }

    /// The entry as DVC dumps it (`to_single_stage_lockfile`): `cmd`, then `deps`, `params` and
    /// `outs` when not empty. This is also the content of a run-cache entry.
    pub fn to_value(&self) -> Value {
        let mut map = Mapping::new();
        map.insert(string("cmd"), self.cmd.to_value());
        if !self.deps.is_empty() {
            map.insert(
                string("deps"),
                Value::Sequence(self.deps.iter().map(lock_entry_value).collect()),
            );
        }
        if !self.params.is_empty() {
            map.insert(string("params"), self.params.to_value());
        }
        if !self.outs.is_empty() {
            map.insert(
                string("outs"),
                Value::Sequence(self.outs.iter().map(lock_entry_value).collect()),
            );
        }
        Value::Mapping(map)
    }

    /// Reads a run-cache entry file: one stage entry without its name (DVC's
    /// `COMPILED_LOCK_FILE_STAGE_SCHEMA`).
    pub fn from_yaml(text: &str) -> Result<LockStage, LockFileError> {
        let value = yaml::parse(text).map_err(|error| LockFileError {
            message: error.message,
            key_path: None,
            line: error.line,
            column: error.column,
        })?;
        LockStage::from_value(&value).map_err(|(message, path)| {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            LockFileError::invalid(&message, &path)
        })
    }

    /// The YAML text of [`LockStage::to_value`], as a run-cache entry file holds it.
    pub fn to_yaml(&self) -> String {
        yaml::to_string(&self.to_value())
    }
}

/// A dependency or output as a `dvc.lock` entry (spec §8.1, §13.4): `path`, `hash: md5`
/// (absent for legacy 2.x hashes), the hash value (`md5`, else `etag`, else `checksum`), then
/// `size`, `nfiles`, `isexec`, `version_id`, the other hash keys, `cloud` and `files`.
pub fn lock_entry_value(entry: &Output) -> Value {
    let mut map = Mapping::new();
    map.insert(string("path"), Value::String(entry.path.clone()));
    if entry.hash_name == HashName::Md5 {
        map.insert(string("hash"), string("md5"));
    }
    let primary = if entry.md5.is_some() {
        "md5"
    } else if entry.etag.is_some() {
        "etag"
    } else {
        "checksum"
    };
    let hash_text = |key: &str| match key {
        "md5" => entry.md5.map(|id| Value::String(id.to_string())),
        "etag" => entry.etag.clone().map(Value::String),
        _ => entry.checksum.clone().map(Value::String),
    };
    if let Some(value) = hash_text(primary) {
        map.insert(string(primary), value);
    }
    if let Some(size) = entry.size {
        map.insert(string("size"), Value::Number(size.into()));
    }
    if let Some(nfiles) = entry.nfiles {
        map.insert(string("nfiles"), Value::Number(nfiles.into()));
    }
    if entry.isexec {
        map.insert(string("isexec"), Value::Bool(true));
    }
    if let Some(version_id) = &entry.version_id {
        map.insert(string("version_id"), Value::String(version_id.clone()));
    }
    for key in ["etag", "checksum"] {
        if key != primary
            && let Some(value) = hash_text(key)
        {
            map.insert(string(key), value);
        }
    }
    if let Some(cloud) = &entry.cloud {
        map.insert(string("cloud"), cloud.clone());
    }
    if let Some(files) = &entry.files {
        map.insert(string("files"), files.clone());
    }
    for (key, value) in &entry.extra {
        if !map.contains_key(key) {
            map.insert(key.clone(), value.clone());
        }
    }
    Value::Mapping(map)
}

/// The outcome of [`update_stages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockUpdate {
    /// The new text of the lock file.
    pub text: String,
    /// The file did not exist or was empty: DVC logs `Generating lock file 'dvc.lock'`.
    pub created: bool,
    /// Some stage entry changed: DVC logs `Updating lock file 'dvc.lock'` (and adds the file to
    /// git with autostage).
    pub modified: bool,
}

/// The text of the lock file after DVC's `Lockfile.dump_stages`: every stage in `stages`
/// replaces the entry of the same name (keeping its position) or is appended; other stages,
/// including stale ones no longer in `dvc.yaml`, are kept. `previous` is the current text, if
/// the file exists.
///
/// A canonical `previous` (what DVC itself wrote) gives byte-identical output; a hand-edited one
/// keeps its comments where the edit allows.
pub fn update_stages(
    previous: Option<&str>,
    stages: &[(&str, &LockStage)],
) -> Result<LockUpdate, LockFileError> {
    update_stages_before(previous, stages, &[])
}

/// [`update_stages`], except that a stage without an entry yet goes before the first entry
/// named in `before` instead of at the end: `dv repro -j` records stages as they finish, and
/// places each where a run one stage at a time would have written it (before the stages that
/// come later in the plan but happened to finish first).
pub fn update_stages_before(
    previous: Option<&str>,
    stages: &[(&str, &LockStage)],
    before: &[&str],
) -> Result<LockUpdate, LockFileError> {
    let old = match previous {
        Some(text) => yaml::parse(text).map_err(|error| LockFileError {
            message: error.message,
            key_path: None,
            line: error.line,
            column: error.column,
        })?,
        None => Value::Null,
    };
    let created = match &old {
        Value::Null => true,
        Value::Mapping(map) => map.is_empty(),
        _ => false,
    };
    let mut root = match &old {
        Value::Mapping(map) if !map.is_empty() => map.clone(),
        _ => {
            let mut map = Mapping::new();
            map.insert(string("schema"), string(SCHEMA_VERSION));
            map
        }
    };
    let mut entries = match root.get("stages") {
        Some(Value::Mapping(entries)) => entries.clone(),
        _ => Mapping::new(),
    };
    let mut modified = false;
    for (name, stage) in stages {
        let value = stage.to_value();
        let key = Value::String((*name).to_owned());
        let changed = entries
            .get(&key)
            .is_none_or(|existing| !python_equal(existing, &value));
        modified |= changed;
        let at = if entries.contains_key(&key) {
            None
        } else {
            entries.keys().position(|existing| {
                existing
                    .as_str()
                    .is_some_and(|existing| before.contains(&existing))
            })
        };
        match at {
            Some(at) => {
                let mut placed = Mapping::new();
                for (index, (existing, entry)) in
                    std::mem::take(&mut entries).into_iter().enumerate()
                {
                    if index == at {
                        placed.insert(key.clone(), value.clone());
                    }
                    placed.insert(existing, entry);
                }
                entries = placed;
            }
            None => {
                entries.insert(key, value);
            }
        }
    }
    root.insert(string("stages"), Value::Mapping(entries));
    let new = Value::Mapping(root);
    let text = merged_text(previous, &old, &new);
    Ok(LockUpdate {
        text,
        created,
        modified,
    })
}

/// A lock file's text and content kept together, so that recording one stage after another
/// (`repro` of a long pipeline) edits the text in place: when the text is exactly what DVC
/// writes for its content, a stage's entry is emitted alone and spliced into the text instead
/// of parsing and emitting the whole file each time. Other texts (hand-edited, with comments)
/// go through [`update_stages_before`].
#[derive(Debug, Clone)]
pub struct LockDocument {
    /// The text on disk (`None`: no file yet).
    pub text: Option<String>,
    /// Its content.
    pub file: LockFile,
    /// Whether `text` is what [`LockFile::to_yaml`] gives for `file`.
    canonical: bool,
}

impl LockDocument {
    /// A document from the text read from disk and its parsed content.
    pub fn new(text: Option<String>, file: LockFile) -> LockDocument {
        let canonical = text
            .as_deref()
            .is_some_and(|text| !file.stages.is_empty() && file.to_yaml() == text);
        LockDocument {
            text,
            file,
            canonical,
        }
    }

    /// Sets the entry of stage `name` as [`update_stages_before`] does (a new entry goes
    /// before the first of `before`, else at the end), keeping the document in step with the
    /// new text.
    pub fn set_stage(
        &mut self,
        name: &str,
        stage: &LockStage,
        before: &[&str],
    ) -> Result<LockUpdate, LockFileError> {
        let Some(text) = self.text.as_ref().filter(|_| self.canonical) else {
            let update = update_stages_before(self.text.as_deref(), &[(name, stage)], before)?;
            let file = LockFile::from_yaml(&update.text)?;
            *self = LockDocument::new(Some(update.text.clone()), file);
            return Ok(update);
        };
        let existing = self.file.stages.iter().position(|(n, _)| n == name);
        let modified = existing
            .is_none_or(|at| !python_equal(&self.file.stages[at].1.to_value(), &stage.to_value()));
        if !modified {
            return Ok(LockUpdate {
                text: text.clone(),
                created: false,
                modified: false,
            });
        }
        let blocks = stage_blocks(text);
        if blocks.len() != self.file.stages.len() {
            // Not laid out as expected after all: the slow way.
            self.canonical = false;
            return self.set_stage(name, stage, before);
        }
        let block = stage_block(name, stage);
        let mut new_text = String::with_capacity(text.len() + block.len());
        match existing {
            Some(at) => {
                let (start, end) = blocks[at];
                new_text.push_str(&text[..start]);
                new_text.push_str(&block);
                new_text.push_str(&text[end..]);
                self.file.stages[at].1 = stage.clone();
            }
            None => {
                let at = self
                    .file
                    .stages
                    .iter()
                    .position(|(n, _)| before.contains(&n.as_str()));
                let start = at.map_or(text.len(), |at| blocks[at].0);
                new_text.push_str(&text[..start]);
                new_text.push_str(&block);
                new_text.push_str(&text[start..]);
                let at = at.unwrap_or(self.file.stages.len());
                self.file
                    .stages
                    .insert(at, (name.to_owned(), stage.clone()));
            }
        }
        self.text = Some(new_text.clone());
        Ok(LockUpdate {
            text: new_text,
            created: false,
            modified: true,
        })
    }
}

/// The text of one stage's entry as it appears under `stages:` in a file DVC writes.
fn stage_block(name: &str, stage: &LockStage) -> String {
    let mut stages = Mapping::new();
    stages.insert(Value::String(name.to_owned()), stage.to_value());
    let mut root = Mapping::new();
    root.insert(string("stages"), Value::Mapping(stages));
    let text = yaml::to_string(&Value::Mapping(root));
    text.strip_prefix("stages:\n")
        .map_or(text.clone(), str::to_owned)
}

/// The byte ranges of the stage entries of a lock file DVC wrote: under the top-level
/// `stages:` line, each entry starts at a line indented by exactly two spaces.
fn stage_blocks(text: &str) -> Vec<(usize, usize)> {
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut in_stages = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if line == "\n" {
            // an empty line inside a block scalar
            if let Some(last) = blocks.last_mut().filter(|_| in_stages) {
                last.1 = offset;
            }
            continue;
        }
        if !line.starts_with(' ') {
            if let Some(last) = blocks.last_mut().filter(|_| in_stages) {
                last.1 = start;
            }
            in_stages = line == "stages:\n";
            continue;
        }
        if in_stages && line.starts_with("  ") && !line[2..].starts_with(' ') {
            if let Some(last) = blocks.last_mut() {
                last.1 = start;
            }
            blocks.push((start, offset));
        } else if let Some(last) = blocks.last_mut().filter(|_| in_stages) {
            last.1 = offset;
        }
    }
    blocks
}

/// The outcome of [`remove_stage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockRemoval {
    /// The stage has no entry: nothing to write.
    NotFound,
    /// The new text of the lock file.
    Text(String),
    /// It was the last stage: DVC deletes the lock file.
    DeleteFile,
}

/// The lock file after DVC's `Lockfile.remove_stage(name)` (`dvc remove`).
pub fn remove_stage(previous: &str, name: &str) -> Result<LockRemoval, LockFileError> {
    let old = yaml::parse(previous).map_err(|error| LockFileError {
        message: error.message,
        key_path: None,
        line: error.line,
        column: error.column,
    })?;
    let Value::Mapping(mut root) = old.clone() else {
        return Ok(LockRemoval::NotFound);
    };
    let Some(Value::Mapping(mut entries)) = root.get("stages").cloned() else {
        return Ok(LockRemoval::NotFound);
    };
    if entries.shift_remove(name).is_none() {
        return Ok(LockRemoval::NotFound);
    }
    if entries.is_empty() {
        return Ok(LockRemoval::DeleteFile);
    }
    root.insert(string("stages"), Value::Mapping(entries));
    Ok(LockRemoval::Text(merged_text(
        Some(previous),
        &old,
        &Value::Mapping(root),
    )))
}

/// The text of `new` written over `previous`: canonical when `previous` was canonical (or
/// absent), else an in-place edit keeping comments when that reads back as exactly `new`.
fn merged_text(previous: Option<&str>, old: &Value, new: &Value) -> String {
    let canonical = yaml::to_string(new);
    let Some(previous) = previous else {
        return canonical;
    };
    if yaml::to_string(old) == previous {
        return canonical;
    }
    match yaml::update_text(previous, new) {
        Ok(updated)
            if updated.kept_formatting
                && yaml::parse(&updated.text)
                    .is_ok_and(|reparsed| yaml::to_string(&reparsed) == canonical) =>
        {
            updated.text
        }
        _ => canonical,
    }
}

/// Python `==` between loaded values: numbers compare by value (`1 == 1.0`, `True == 1`),
/// mappings regardless of order.
pub fn python_equal(a: &Value, b: &Value) -> bool {
    crate::yaml::python_eq(a, b)
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const PIPELINE: &str = include_str!("../tests/fixtures/pipeline/dvc.lock");
    const TEMPLATING: &str = include_str!("../tests/fixtures/templating/dvc.lock");
    const OUTPUTS: &str = include_str!("../tests/fixtures/outputs/dvc.lock");
    const RUN_CACHE: &str = include_str!(
        "../tests/fixtures/pipeline/.dvc/cache/runs/30/30ff758f86af08d0d010092a69ace091ea0aa259069c52fc7116bcb174e1dd99/740e3906841fd9788341771511a0803a369170b3c1ef4f41a90e657fa3fa7ef5"
    );

    #[test]
    fn fixtures_round_trip_byte_identical() {
        for text in [PIPELINE, TEMPLATING, OUTPUTS] {
            let lock = LockFile::from_yaml(text).expect("valid lock file");
            assert_eq!(lock.to_yaml(), text);
        }
    }

    #[test]
    fn stage_entry_is_the_run_cache_entry() {
        let lock = LockFile::from_yaml(PIPELINE).expect("valid lock file");
        let s1 = lock.stage("s1").expect("stage s1");
        assert_eq!(s1.to_yaml(), RUN_CACHE);
        assert_eq!(s1.params.file("p2.json").map(Mapping::len), Some(1));
        let out2 = &lock.stage("s2").expect("stage s2").outs[1];
        assert!(out2.is_dir());
        assert_eq!(out2.nfiles, Some(1));
    }

    #[test]
    fn updates_in_place_and_appends() {
        let lock = LockFile::from_yaml(OUTPUTS).expect("valid lock file");
        let a = lock.stage("a").expect("a").clone();
        let b = lock.stage("b").expect("b").clone();

        let unchanged = update_stages(Some(OUTPUTS), &[("a", &a)]).expect("update");
        assert_eq!(unchanged.text, OUTPUTS);
        assert!(!unchanged.modified && !unchanged.created);

        let mut changed = a.clone();
        changed.cmd = Command::Text("cp  in mid".to_owned());
        let update = update_stages(Some(OUTPUTS), &[("a", &changed)]).expect("update");
        assert!(update.modified);
        assert_eq!(
            update.text,
            OUTPUTS.replacen("cmd: cp in mid", "cmd: cp  in mid", 1)
        );

        let first = update_stages(None, &[("b", &b)]).expect("create");
        assert!(first.created && first.modified);
        let second = update_stages(Some(&first.text), &[("a", &a)]).expect("append");
        let reordered = LockFile::from_yaml(&second.text).expect("valid");
        let names: Vec<&str> = reordered.stages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
    }

    #[test]
    fn removes_stages() {
        let removed = remove_stage(OUTPUTS, "a").expect("valid");
        let LockRemoval::Text(text) = removed else {
            panic!("expected text");
        };
        assert!(!text.contains("  a:\n"));
        assert_eq!(remove_stage(&text, "a"), Ok(LockRemoval::NotFound));
        assert_eq!(remove_stage(&text, "b"), Ok(LockRemoval::DeleteFile));
    }

    #[test]
    fn rejects_what_dvc_rejects() {
        let error = LockFile::from_yaml("stages: {}\n").expect_err("no schema");
        assert_eq!(error.to_string(), "required key not provided, in schema");
        let error = LockFile::from_yaml("schema: '1.0'\n").expect_err("bad version");
        assert_eq!(error.to_string(), "invalid schema version, in schema");
        let error = LockFile::from_yaml("schema: '2.0'\nstages:\n  a:\n    cmd: x\n    foo: 1\n")
            .expect_err("extra key");
        assert_eq!(
            error.to_string(),
            "extra keys not allowed, in stages -> a -> foo, line 4, column 5"
        );
    }

    #[test]
    fn params_are_sorted_like_dvc() {
        let values = |text: &str| match yaml::parse(text).expect("yaml") {
            Value::Mapping(map) => map,
            _ => panic!("mapping"),
        };
        let sorted = ParamsValues::sorted(
            vec![
                ("z.json".to_owned(), values("b: 1\na: 2\n")),
                (
                    "params.yaml".to_owned(),
                    values("train: {z: 1, a: 2}\nlr: 0.1\n"),
                ),
                ("a.toml".to_owned(), values("k: 1\n")),
            ],
            "params.yaml",
        );
        let files: Vec<&str> = sorted.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(files, ["params.yaml", "a.toml", "z.json"]);
        assert_eq!(
            yaml::to_string(&sorted.to_value()),
            "params.yaml:\n  lr: 0.1\n  train:\n    z: 1\n    a: 2\na.toml:\n  k: 1\nz.json:\n  a: 2\n  b: 1\n"
        );
    }

    #[test]
    fn a_document_edited_in_place_matches_a_full_update() {
        let entry = |cmd: &str, md5: &str| {
            LockStage::from_value(
                &yaml::parse(&format!(
                    "cmd: {cmd}\nparams:\n  params.yaml:\n    lr: 0.1\nouts:\n- path: out\n  \
                     hash: md5\n  md5: {md5}\n  size: 2\n"
                ))
                .unwrap(),
            )
            .unwrap()
        };
        let multi_line = LockStage::from_value(
            &yaml::parse(
                "cmd: |\n  echo a\n\n  echo b\nouts:\n- path: m\n  hash: md5\n  md5: \
                          d3b07384d113edec49eaa6238ad5ff00\n  size: 4\n",
            )
            .unwrap(),
        )
        .unwrap();
        let steps: Vec<(&str, LockStage, Vec<&str>)> = vec![
            (
                "a",
                entry("echo a > out", "60b725f10c9c85c70d97880dfe8191b3"),
                vec![],
            ),
            ("m", multi_line.clone(), vec![]),
            (
                "c",
                entry("echo c > out", "2cd6ee2c70b0bde53fbe6cac3c8b8bb1"),
                vec![],
            ),
            // a new entry placed before `c`
            (
                "b",
                entry("echo b > out", "3b5d5c3712955042212316173ccf37be"),
                vec!["c"],
            ),
            // replaced in place, and unchanged
            (
                "a",
                entry("echo A > out", "bf072e9119077b4e76437a93986787ef"),
                vec![],
            ),
            ("m", multi_line, vec![]),
            (
                "c",
                entry("echo c > out", "2cd6ee2c70b0bde53fbe6cac3c8b8bb1"),
                vec![],
            ),
        ];
        let mut slow: Option<String> = None;
        let mut document = LockDocument::new(None, LockFile::default());
        for (name, stage, before) in steps {
            let expected =
                update_stages_before(slow.as_deref(), &[(name, &stage)], &before).unwrap();
            let got = document.set_stage(name, &stage, &before).unwrap();
            assert_eq!(got, expected, "{name}");
            assert_eq!(
                document.file,
                LockFile::from_yaml(&got.text).unwrap(),
                "{name}"
            );
            slow = Some(expected.text);
        }
        assert!(document.canonical);
    }
}
