//! `.dvc` files: the single-stage files `dvc add` and `dvc import-url` write (spec §4).
//!
//! [`DvcFile::from_yaml`] reads a file leniently (unknown keys are kept in `extra` maps and
//! written back), reporting errors with line and column. [`DvcFile::to_yaml`] writes a new file
//! exactly as DVC does (key order of §4.1/§4.2, ruamel.yaml style). [`DvcFile::update_yaml`]
//! rewrites an existing file as DVC does: the previous text is re-parsed and the new content
//! merged into it, so existing keys keep their order and new keys are appended (§4.4).
//!
//! A file whose text is in DVC's canonical form is rewritten byte-identically to DVC; a file with
//! comments or hand formatting is edited in place, keeping them, as DVC does.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::hash::{HashName, Md5, ObjectId};
use crate::yaml::{self, Mapping, Value};

/// One `.dvc` file (top-level keys of spec §4.1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DvcFile {
    /// `desc`: a description.
    pub desc: Option<String>,
    /// `md5`: the stage checksum, only written for imports (spec §4.3).
    pub md5: Option<Md5>,
    /// `cmd`: legacy single-stage command (string or list), kept as written.
    pub cmd: Option<Value>,
    /// `wdir`: working directory relative to the file, written only when not `.`.
    pub wdir: Option<String>,
    /// `frozen` (or its 2.x alias `locked`).
    pub frozen: bool,
    /// `deps`: dependencies (imports only).
    pub deps: Vec<Output>,
    /// `outs`: outputs.
    pub outs: Vec<Output>,
    /// `always_changed`.
    pub always_changed: bool,
    /// `meta`: user data, kept as written.
    pub meta: Option<Value>,
    /// Keys DVC's schema does not know, kept in their order and written after the known ones.
    pub extra: Mapping,
}

/// An entry of `outs` (or `deps`) in a `.dvc` file (spec §4.2).
///
/// The hash value is stored under `md5`, `etag` or `checksum`: local outputs and dependencies use
/// `md5` (also for legacy `md5-dos2unix` hashes); S3 dependencies use `etag`, HTTP ones
/// `checksum`. Whichever is present first in that order is written first.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// `md5`: the object id (`<hex>` or `<hex>.dir`).
    pub md5: Option<ObjectId>,
    /// `etag`: the storage ETag (case-sensitive).
    pub etag: Option<String>,
    /// `checksum`: an opaque checksum (lower-cased on read, as DVC does).
    pub checksum: Option<String>,
    /// `size`: bytes; for directories the sum of the file sizes.
    pub size: Option<u64>,
    /// `nfiles`: number of files of a directory.
    pub nfiles: Option<u64>,
    /// `isexec`: the file had an executable bit when added (written only when true).
    pub isexec: bool,
    /// `version_id`: cloud object version.
    pub version_id: Option<String>,
    /// `cloud`: per-remote metadata of version-aware remotes, kept as written.
    pub cloud: Option<Value>,
    /// The hash algorithm: `hash: md5` present means [`HashName::Md5`]; absent means a legacy
    /// DVC 2.x output hashed with [`HashName::Md5Dos2Unix`] (spec §3.3).
    pub hash_name: HashName,
    /// `path`: relative to the `.dvc` file's directory (POSIX), or a URL for import deps.
    pub path: String,
    /// `repo`: the source repository of a `dvc import` dependency (`url`, `rev`, `rev_lock`,
    /// `config`, `remote`), kept as written; see [`Output::repo_problem`].
    pub repo: Option<Value>,
    /// `fs_config`: filesystem options of import deps, kept as written.
    pub fs_config: Option<Value>,
    /// `desc` annotation.
    pub desc: Option<String>,
    /// `type` annotation.
    pub type_: Option<String>,
    /// `labels` annotation.
    pub labels: Option<Vec<String>>,
    /// `meta` annotation, kept as written.
    pub meta: Option<Value>,
    /// `cache` (written only when false).
    pub cache: bool,
    /// `metric` (legacy single-stage files), kept as written.
    pub metric: Option<Value>,
    /// `plot` (legacy single-stage files), kept as written.
    pub plot: Option<Value>,
    /// `persist` (written only when true).
    pub persist: bool,
    /// `remote`: the remote this output is pushed to.
    pub remote: Option<String>,
    /// `push` (written only when false).
    pub push: bool,
    /// `files`: per-file entries of version-aware directories, kept as written.
    pub files: Option<Value>,
    /// Keys DVC's schema does not know, kept in order and written after the known ones.
    pub extra: Mapping,
}

impl Default for Output {
    /// An entry with every optional key absent (`cache` and `push` default to true).
    fn default() -> Self {
        Output {
            md5: None,
            etag: None,
            checksum: None,
            size: None,
            nfiles: None,
            isexec: false,
            version_id: None,
            cloud: None,
            hash_name: HashName::Md5,
            path: String::new(),
            repo: None,
            fs_config: None,
            desc: None,
            type_: None,
            labels: None,
            meta: None,
            cache: true,
            metric: None,
            plot: None,
            persist: false,
            remote: None,
            push: true,
            files: None,
            extra: Mapping::new(),
        }
    }
}

/// A dependency entry has the same shape as an output entry.
pub type Dependency = Output;

impl Output {
    /// A new DVC 3 output for `path` with the given object id (what `dvc add` records).
    pub fn new(path: impl Into<String>, md5: ObjectId) -> Output {
        Output {
            md5: Some(md5),
            path: path.into(),
            ..Output::default()
        }
    }

    /// Whether this output was written by DVC 2.x (no `hash: md5`): its hashes are md5-dos2unix
    /// and its objects live in the legacy cache layout.
    pub fn is_legacy(&self) -> bool {
        self.hash_name == HashName::Md5Dos2Unix
    }

    /// Whether the entry names a directory (its `md5` ends in `.dir`).
    pub fn is_dir(&self) -> bool {
        self.md5.is_some_and(|id| id.is_tree())
    }

    /// The entry as DVC dumps it (`Output.dumpd`): known keys in DVC's order, then `extra`.
    pub fn to_value(&self) -> Value {
        let mut map = Mapping::new();
        let primary = if self.md5.is_some() {
            "md5"
        } else if self.etag.is_some() {
            "etag"
        } else {
            "checksum"
        };
        match primary {
            "md5" => put(&mut map, "md5", self.md5.map(|id| string(id.to_string()))),
            "etag" => put(&mut map, "etag", self.etag.clone().map(string)),
            _ => put(&mut map, "checksum", self.checksum.clone().map(string)),
        }
        put(&mut map, "size", self.size.map(|n| Value::Number(n.into())));
        put(
            &mut map,
            "nfiles",
            self.nfiles.map(|n| Value::Number(n.into())),
        );
        put(&mut map, "isexec", self.isexec.then_some(Value::Bool(true)));
        put(&mut map, "version_id", self.version_id.clone().map(string));
        if primary != "etag" {
            put(&mut map, "etag", self.etag.clone().map(string));
        }
        if primary != "checksum" {
            put(&mut map, "checksum", self.checksum.clone().map(string));
        }
        put(&mut map, "cloud", self.cloud.clone().filter(is_truthy));
        if self.hash_name == HashName::Md5 {
            put(&mut map, "hash", Some(string("md5".to_owned())));
        }
        put(&mut map, "path", Some(string(self.path.clone())));
        put(&mut map, "repo", self.repo.clone());
        put(
            &mut map,
            "fs_config",
            self.fs_config.clone().filter(is_truthy),
        );
        put(
            &mut map,
            "desc",
            self.desc.clone().filter(|s| !s.is_empty()).map(string),
        );
        put(
            &mut map,
            "type",
            self.type_.clone().filter(|s| !s.is_empty()).map(string),
        );
        put(
            &mut map,
            "labels",
            self.labels
                .as_ref()
                .filter(|labels| !labels.is_empty())
                .map(|labels| Value::Sequence(labels.iter().cloned().map(string).collect())),
        );
        put(&mut map, "meta", self.meta.clone().filter(is_truthy));
        put(
            &mut map,
            "cache",
            (!self.cache).then_some(Value::Bool(false)),
        );
        put(&mut map, "metric", self.metric.clone().filter(is_truthy));
        put(&mut map, "plot", self.plot.clone().filter(is_truthy));
        put(
            &mut map,
            "persist",
            self.persist.then_some(Value::Bool(true)),
        );
        put(&mut map, "remote", self.remote.clone().map(string));
        put(&mut map, "push", (!self.push).then_some(Value::Bool(false)));
        put(&mut map, "files", self.files.clone());
        append_extra(&mut map, &self.extra);
        Value::Mapping(map)
    }
}

impl DvcFile {
    /// A `.dvc` file with a single output, as `dvc add` writes it.
    pub fn with_output(output: Output) -> DvcFile {
        DvcFile {
            outs: vec![output],
            ..DvcFile::default()
        }
    }

    /// Parses the text of a `.dvc` file.
    pub fn from_yaml(text: &str) -> Result<DvcFile, DvcFileError> {
        if text.trim().is_empty() {
            return Err(DvcFileError {
                message: "the file is empty".to_owned(),
                line: None,
                column: None,
            });
        }
        crate::yaml_nesting::check_flow_nesting(text).map_err(|error| DvcFileError {
            message: error.message(),
            line: Some(error.line),
            column: Some(error.column),
        })?;
        yaml_serde::from_str(text).map_err(|error| DvcFileError::from_yaml(&error))
    }

    /// The file's content as DVC dumps it (`get_dump`): known keys in DVC's order with falsy
    /// values left out, then `extra`.
    pub fn to_value(&self) -> Value {
        let mut map = Mapping::new();
        put(
            &mut map,
            "desc",
            self.desc.clone().filter(|s| !s.is_empty()).map(string),
        );
        put(&mut map, "md5", self.md5.map(|md5| string(md5.to_string())));
        put(&mut map, "cmd", self.cmd.clone().filter(is_truthy));
        put(
            &mut map,
            "wdir",
            self.wdir
                .clone()
                .filter(|wdir| !wdir.is_empty() && wdir != ".")
                .map(string),
        );
        put(&mut map, "frozen", self.frozen.then_some(Value::Bool(true)));
        if !self.deps.is_empty() {
            put(
                &mut map,
                "deps",
                Some(Value::Sequence(
                    self.deps.iter().map(Output::to_value).collect(),
                )),
            );
        }
        if !self.outs.is_empty() {
            put(
                &mut map,
                "outs",
                Some(Value::Sequence(
                    self.outs.iter().map(Output::to_value).collect(),
                )),
            );
        }
        put(
            &mut map,
            "always_changed",
            self.always_changed.then_some(Value::Bool(true)),
        );
        put(&mut map, "meta", self.meta.clone().filter(is_truthy));
        append_extra(&mut map, &self.extra);
        Value::Mapping(map)
    }

    /// The text of a new `.dvc` file, byte-identical to what DVC writes.
    pub fn to_yaml(&self) -> String {
        yaml::to_string(&self.to_value())
    }

    /// The text DVC writes when it saves this content over an existing file whose text is
    /// `previous`: keys already in `previous` keep their position, new keys are appended to their
    /// mapping, keys no longer present are removed, lists whose length changed are replaced.
    ///
    /// An unchanged legacy entry therefore stays byte-identical, and a legacy entry upgraded to
    /// DVC 3 gets `hash: md5` after `path` (spec §3.3). Comments and the formatting of unchanged
    /// values are kept (see [`yaml::update_text`] for the rare case where they cannot be).
    pub fn update_yaml(&self, previous: &str) -> Result<String, DvcFileError> {
        yaml::update_text(previous, &self.to_value())
            .map(|updated| updated.text)
            .map_err(|error| DvcFileError {
                message: error.message,
                line: error.line,
                column: error.column,
            })
    }
}

impl DvcFile {
    /// Whether this is an import stage (`import-url`/`import`): dependencies and a single
    /// output, no command.
    pub fn is_import(&self) -> bool {
        !self.deps.is_empty() && self.outs.len() == 1 && self.cmd.is_none()
    }

    /// The stage checksum DVC records in `md5:` for import stages (spec §4.3): the MD5 of
    /// `json.dumps(d, sort_keys=True)` where `d` is the dumped stage without `md5`, `desc`,
    /// `meta` (and `wdir` when it is `.`), with the keys DVC excludes from checksums removed
    /// at every depth.
    pub fn stage_md5(&self) -> Md5 {
        let mut value = self.to_value();
        if let Value::Mapping(map) = &mut value {
            for key in ["md5", "desc", "meta"] {
                map.remove(key);
            }
            if map.get("wdir").and_then(Value::as_str) == Some(".") {
                map.remove("wdir");
            }
        }
        strip_checksum_excluded(&mut value);
        Md5::digest(crate::python_json::dumps_sorted(&value).as_bytes())
    }
}

impl DvcFile {
    /// The first thing DVC's `.dvc` schema rejects that the lenient reader kept, in DVC's words
    /// (`extra keys not allowed, in deps -> 0 -> repo -> bogus`), or `None` for a valid file.
    pub fn schema_problem(&self) -> Option<String> {
        if let Some((key, _)) = self.extra.iter().next() {
            return Some(format!("extra keys not allowed, in {}", key_name(key)));
        }
        for (list, items) in [("deps", &self.deps), ("outs", &self.outs)] {
            for (i, item) in items.iter().enumerate() {
                let at = format!("{list} -> {i}");
                if let Some((key, _)) = item.extra.iter().next() {
                    return Some(format!(
                        "extra keys not allowed, in {at} -> {}",
                        key_name(key)
                    ));
                }
                match &item.repo {
                    Some(_) if list == "outs" => {
                        return Some(format!("extra keys not allowed, in {at} -> repo"));
                    }
                    Some(repo) => {
                        if let Some((message, key)) = repo_problem(repo) {
                            let key = key.map(|key| format!(" -> {key}")).unwrap_or_default();
                            return Some(format!("{message}, in {at} -> repo{key}"));
                        }
                    }
                    None => {}
                }
            }
        }
        None
    }

    /// Whether this is a `dvc import` stage: an import whose dependency names a source
    /// repository (`repo:`).
    pub fn is_repo_import(&self) -> bool {
        self.is_import() && self.deps.first().is_some_and(|dep| dep.repo.is_some())
    }
}

impl Output {
    /// `repo: url` of a `dvc import` dependency.
    pub fn repo_url(&self) -> Option<&str> {
        self.repo_field("url")
    }

    /// A string field of `repo:` (`url`, `rev`, `rev_lock`).
    pub fn repo_field(&self, key: &str) -> Option<&str> {
        match &self.repo {
            Some(Value::Mapping(map)) => map.get(key).and_then(Value::as_str),
            _ => None,
        }
    }
}

/// What DVC's schema rejects in a `repo:` mapping: the message and the key it is about (none
/// when the value itself is wrong).
fn repo_problem(repo: &Value) -> Option<(&'static str, Option<String>)> {
    let Value::Mapping(map) = repo else {
        return Some(("expected a dictionary", None));
    };
    for (key, _) in map {
        let known = key
            .as_str()
            .is_some_and(|key| ["url", "rev", "rev_lock", "config", "remote"].contains(&key));
        if !known {
            return Some(("extra keys not allowed", Some(key_name(key))));
        }
    }
    if !map.contains_key("url") {
        return Some(("required key not provided", Some("url".to_owned())));
    }
    ["url", "rev", "rev_lock", "config", "remote"]
        .into_iter()
        .find(|key| {
            // `config` and `remote` may also be mappings.
            let mapping_allowed = matches!(*key, "config" | "remote");
            map.get(*key).is_some_and(|value| {
                !(value.is_string() || (mapping_allowed && value.is_mapping()))
            })
        })
        .map(|key| ("expected str", Some(key.to_owned())))
}

fn key_name(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => if *flag { "True" } else { "False" }.to_owned(),
        Value::Null => "None".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Keys DVC leaves out of stage checksums wherever they appear.
const CHECKSUM_EXCLUDED: [&str; 11] = [
    "desc", "type", "labels", "meta", "locked", "frozen", "metric", "persist", "isexec", "size",
    "nfiles",
];

fn strip_checksum_excluded(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            for key in CHECKSUM_EXCLUDED {
                map.remove(key);
            }
            for (_, item) in map.iter_mut() {
                strip_checksum_excluded(item);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(strip_checksum_excluded),
        _ => {}
    }
}

fn string(text: String) -> Value {
    Value::String(text)
}

fn put(map: &mut Mapping, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(Value::String(key.to_owned()), value);
    }
}

fn append_extra(map: &mut Mapping, extra: &Mapping) {
    for (key, value) in extra {
        if !map.contains_key(key) {
            map.insert(key.clone(), value.clone());
        }
    }
}

/// Python truthiness of a loaded value (DVC drops falsy values when dumping).
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Sequence(items) => !items.is_empty(),
        Value::Mapping(map) => !map.is_empty(),
        Value::Tagged(tagged) => is_truthy(&tagged.value),
    }
}

/// A `.dvc` file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DvcFileError {
    /// What is wrong; includes the position when known.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl DvcFileError {
    fn from_yaml(error: &yaml_serde::Error) -> DvcFileError {
        let location = error.location();
        let line = location.as_ref().map(yaml_serde::Location::line);
        let column = location.as_ref().map(yaml_serde::Location::column);
        DvcFileError {
            message: crate::yaml_nesting::serde_message(error, line, column),
            line,
            column,
        }
    }
}

/// A hash value as DVC's schema accepts it: a string or an integer; empty means absent. `T`
/// parses the text inside the scalar's deserializer, so errors carry the value's position.
struct HashText<T>(Option<T>);

/// How the text of a hash value becomes a typed value.
trait FromHashText: Sized {
    fn from_hash_text(text: &str) -> Result<Self, String>;
}

impl FromHashText for String {
    fn from_hash_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

impl FromHashText for ObjectId {
    fn from_hash_text(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|error: crate::hash::ParseHashError| error.to_string())
    }
}

impl FromHashText for Md5 {
    fn from_hash_text(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|error: crate::hash::ParseHashError| error.to_string())
    }
}

impl<'de, T: FromHashText> serde::Deserialize<'de> for HashText<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HashTextVisitor<T>(std::marker::PhantomData<T>);
        impl<T: FromHashText> HashTextVisitor<T> {
            fn parse<E: de::Error>(text: &str) -> Result<HashText<T>, E> {
                if text.is_empty() {
                    return Ok(HashText(None));
                }
                T::from_hash_text(text)
                    .map(|value| HashText(Some(value)))
                    .map_err(E::custom)
            }
        }
        impl<T: FromHashText> Visitor<'_> for HashTextVisitor<T> {
            type Value = HashText<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a hash string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HashText<T>, E> {
                Self::parse(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HashText<T>, E> {
                Self::parse(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HashText<T>, E> {
                Self::parse(&v.to_string())
            }
            fn visit_unit<E: de::Error>(self) -> Result<HashText<T>, E> {
                Ok(HashText(None))
            }
        }
        deserializer.deserialize_any(HashTextVisitor(std::marker::PhantomData))
    }
}

fn duplicate<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("duplicate key `{key}`"))
}

/// Stores a key not in DVC's schema, rejecting duplicates.
fn keep_extra<'de, A: MapAccess<'de>>(
    map: &mut A,
    extra: &mut Mapping,
    key: String,
) -> Result<(), A::Error> {
    let value: Value = map.next_value()?;
    let key = Value::String(key);
    if extra.contains_key(&key) {
        let name = key.as_str().unwrap_or_default().to_owned();
        return Err(duplicate(&name));
    }
    extra.insert(key, value);
    Ok(())
}

/// Reads `next_value` into `slot`, failing if the key was already seen.
fn set_once<'de, A: MapAccess<'de>, T: serde::Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(duplicate(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> serde::Deserialize<'de> for Output {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OutputVisitor;
        impl<'de> Visitor<'de> for OutputVisitor {
            type Value = Output;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an output entry (a mapping with `path`)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Output, A::Error> {
                let mut md5: Option<HashText<ObjectId>> = None;
                let mut etag: Option<HashText<String>> = None;
                let mut checksum: Option<HashText<String>> = None;
                let mut size: Option<Option<u64>> = None;
                let mut nfiles: Option<Option<u64>> = None;
                let mut isexec: Option<Option<bool>> = None;
                let mut version_id: Option<Option<String>> = None;
                let mut cloud: Option<Value> = None;
                let mut hash: Option<Value> = None;
                let mut path: Option<String> = None;
                let mut repo: Option<Value> = None;
                let mut fs_config: Option<Value> = None;
                let mut desc: Option<Option<String>> = None;
                let mut type_: Option<Option<String>> = None;
                let mut labels: Option<Option<Vec<String>>> = None;
                let mut meta: Option<Value> = None;
                let mut cache: Option<Option<bool>> = None;
                let mut metric: Option<Value> = None;
                let mut plot: Option<Value> = None;
                let mut persist: Option<Option<bool>> = None;
                let mut remote: Option<Option<String>> = None;
                let mut push: Option<Option<bool>> = None;
                let mut files: Option<Value> = None;
                let mut extra = Mapping::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "md5" => set_once(&mut map, &mut md5, &key)?,
                        "etag" => set_once(&mut map, &mut etag, &key)?,
                        "checksum" => set_once(&mut map, &mut checksum, &key)?,
                        "size" => set_once(&mut map, &mut size, &key)?,
                        "nfiles" => set_once(&mut map, &mut nfiles, &key)?,
                        "isexec" => set_once(&mut map, &mut isexec, &key)?,
                        "version_id" => set_once(&mut map, &mut version_id, &key)?,
                        "cloud" => set_once(&mut map, &mut cloud, &key)?,
                        "hash" => set_once(&mut map, &mut hash, &key)?,
                        "path" => set_once(&mut map, &mut path, &key)?,
                        "repo" => set_once(&mut map, &mut repo, &key)?,
                        "fs_config" => set_once(&mut map, &mut fs_config, &key)?,
                        "desc" => set_once(&mut map, &mut desc, &key)?,
                        "type" => set_once(&mut map, &mut type_, &key)?,
                        "labels" => set_once(&mut map, &mut labels, &key)?,
                        "meta" => set_once(&mut map, &mut meta, &key)?,
                        "cache" => set_once(&mut map, &mut cache, &key)?,
                        "metric" => set_once(&mut map, &mut metric, &key)?,
                        "plot" => set_once(&mut map, &mut plot, &key)?,
                        "persist" => set_once(&mut map, &mut persist, &key)?,
                        "remote" => set_once(&mut map, &mut remote, &key)?,
                        "push" => set_once(&mut map, &mut push, &key)?,
                        "files" => set_once(&mut map, &mut files, &key)?,
                        _ => keep_extra(&mut map, &mut extra, key)?,
                    }
                }
                let path = path.ok_or_else(|| de::Error::missing_field("path"))?;
                let hash_name = match hash {
                    None | Some(Value::Null) => HashName::Md5Dos2Unix,
                    Some(_) => HashName::Md5,
                };
                Ok(Output {
                    md5: md5.and_then(|m| m.0),
                    etag: etag.and_then(|e| e.0),
                    checksum: checksum.and_then(|c| c.0).map(|c| c.to_lowercase()),
                    size: size.flatten(),
                    nfiles: nfiles.flatten(),
                    isexec: isexec.flatten().unwrap_or(false),
                    version_id: version_id.flatten(),
                    cloud,
                    hash_name,
                    path,
                    repo,
                    fs_config,
                    desc: desc.flatten(),
                    type_: type_.flatten(),
                    labels: labels.flatten(),
                    meta,
                    cache: cache.flatten().unwrap_or(true),
                    metric,
                    plot,
                    persist: persist.flatten().unwrap_or(false),
                    remote: remote.flatten(),
                    push: push.flatten().unwrap_or(true),
                    files,
                    extra,
                })
            }
        }
        deserializer.deserialize_map(OutputVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for DvcFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DvcFileVisitor;
        impl<'de> Visitor<'de> for DvcFileVisitor {
            type Value = DvcFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a .dvc file (a mapping with `outs`)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DvcFile, A::Error> {
                let mut desc: Option<Option<String>> = None;
                let mut md5: Option<HashText<Md5>> = None;
                let mut cmd: Option<Value> = None;
                let mut wdir: Option<Option<String>> = None;
                let mut frozen: Option<Option<bool>> = None;
                let mut locked: Option<Option<bool>> = None;
                let mut deps: Option<Option<Vec<Output>>> = None;
                let mut outs: Option<Option<Vec<Output>>> = None;
                let mut always_changed: Option<Option<bool>> = None;
                let mut meta: Option<Value> = None;
                let mut extra = Mapping::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "desc" => set_once(&mut map, &mut desc, &key)?,
                        "md5" => set_once(&mut map, &mut md5, &key)?,
                        "cmd" => set_once(&mut map, &mut cmd, &key)?,
                        "wdir" => set_once(&mut map, &mut wdir, &key)?,
                        "frozen" => set_once(&mut map, &mut frozen, &key)?,
                        "locked" => set_once(&mut map, &mut locked, &key)?,
                        "deps" => set_once(&mut map, &mut deps, &key)?,
                        "outs" => set_once(&mut map, &mut outs, &key)?,
                        "always_changed" => set_once(&mut map, &mut always_changed, &key)?,
                        "meta" => set_once(&mut map, &mut meta, &key)?,
                        _ => keep_extra(&mut map, &mut extra, key)?,
                    }
                }
                Ok(DvcFile {
                    desc: desc.flatten(),
                    md5: md5.and_then(|m| m.0),
                    cmd,
                    wdir: wdir.flatten(),
                    frozen: frozen.flatten().unwrap_or(false) || locked.flatten().unwrap_or(false),
                    deps: deps.flatten().unwrap_or_default(),
                    outs: outs.flatten().unwrap_or_default(),
                    always_changed: always_changed.flatten().unwrap_or(false),
                    meta,
                    extra,
                })
            }
        }
        deserializer.deserialize_map(DvcFileVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_new_file_in_dvc_order() {
        let mut output = Output::new(
            "exe.sh",
            "401b30e3b8b5d629635a5c613cdb7919"
                .parse()
                .expect("valid id"),
        );
        output.size = Some(2);
        output.isexec = true;
        output.remote = Some("backup".to_owned());
        output.push = false;
        output.extra.insert(
            Value::String("zz_custom".to_owned()),
            Value::String("kept".to_owned()),
        );
        assert_eq!(
            DvcFile::with_output(output).to_yaml(),
            "outs:\n- md5: 401b30e3b8b5d629635a5c613cdb7919\n  size: 2\n  isexec: true\n  hash: md5\n  path: exe.sh\n  remote: backup\n  push: false\n  zz_custom: kept\n"
        );
    }

    #[test]
    fn missing_path_is_an_error_with_a_position() {
        let error =
            DvcFile::from_yaml("outs:\n- md5: 401b30e3b8b5d629635a5c613cdb7919\n  size: 2\n")
                .expect_err("path is required");
        assert!(error.message.contains("path"), "{error}");
        assert_eq!(error.line, Some(2));
    }

    #[test]
    fn bad_values_point_at_their_position() {
        let error = DvcFile::from_yaml(
            "outs:\n- md5: 401b30e3b8b5d629635a5c613cdb7919\n  size: lots\n  path: a\n",
        )
        .expect_err("size must be an integer");
        assert_eq!((error.line, error.column), (Some(3), Some(9)), "{error}");
        let error = DvcFile::from_yaml("outs:\n- md5: nothex\n  path: a\n").expect_err("bad md5");
        assert_eq!((error.line, error.column), (Some(2), Some(8)), "{error}");
        let error = DvcFile::from_yaml("outs:\n- path: a\n  path: b\n").expect_err("duplicate");
        assert!(error.message.contains("duplicate"), "{error}");
    }

    #[test]
    fn hash_values_are_normalised_like_dvc() {
        let file = DvcFile::from_yaml(
            "outs:\n- md5: ''\n  hash: md5\n  path: a\n- checksum: '\"ABC\"'\n  path: b\n",
        )
        .expect("valid file");
        assert_eq!(file.outs[0].md5, None);
        assert_eq!(file.outs[0].hash_name, HashName::Md5);
        assert_eq!(file.outs[1].checksum.as_deref(), Some("\"abc\""));
        assert!(file.outs[1].is_legacy());
    }

    #[test]
    fn locked_is_read_as_frozen() {
        let file = DvcFile::from_yaml("locked: true\nouts:\n- path: a\n").expect("valid file");
        assert!(file.frozen);
        let updated = file
            .update_yaml("locked: true\nouts:\n- path: a\n")
            .expect("valid previous text");
        assert_eq!(updated, "outs:\n- path: a\nfrozen: true\n");
    }
}
