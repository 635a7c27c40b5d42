//! The variables `${...}` expressions read (spec §7.2): `params.yaml` next to `dvc.yaml`, the
//! top-level and stage `vars` (files, `file:key1,key2`, inline mappings) and the `item`/`key`
//! of `foreach`/`matrix` stages, with DVC's merge rules and error messages.

use dv_schema::repo_path::{Joined, RepoPath};
use dv_schema::yaml::{Mapping, Value};

use crate::files::{FileContent, FileSource};
use crate::params;

/// A directory paths in `vars` are relative to: its repository path and how DVC names it in
/// messages (relative to the current directory, `""` for the current directory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dir {
    pub repo: RepoPath,
    pub shown: String,
}

impl Dir {
    /// `path` relative to this directory: where to read it and how DVC names it.
    pub fn join(&self, path: &str) -> (Option<RepoPath>, String) {
        let repo = match self.repo.join(path) {
            Joined::Inside(inside) => Some(inside),
            Joined::Outside { .. } => None,
        };
        let shown = normalize_shown(&if self.shown.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.shown)
        });
        (repo, shown)
    }
}

/// `os.path.normpath` of a relative `/`-separated path (leading `..` kept).
pub(crate) fn normalize_shown(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Why variables could not be loaded or merged (DVC's `ContextError`s).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// A `vars` file is missing, a directory, not a mapping, or lacks a selected key.
    #[error("{0}")]
    ParamsLoad(String),
    /// Two sources define the same key.
    #[error("{0}")]
    Merge(String),
    /// `vars` tried to define `item` or `key` of a `foreach`/`matrix` stage.
    #[error("{0}")]
    ReservedKey(String),
    /// A file was loaded twice in incompatible ways.
    #[error("{0}")]
    VarsAlreadyLoaded(String),
    /// A `vars` file could not be parsed.
    #[error("{0}")]
    Parse(#[from] params::ParamsError),
    /// A `vars` file could not be read.
    #[error("unable to read '{path}': {message}")]
    Io {
        /// The file, as DVC names it.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

impl ContextError {
    /// Whether DVC puts this error on a new line after `failed to parse ... in 'dvc.yaml':`.
    pub(crate) fn on_new_line(&self) -> bool {
        matches!(
            self,
            ContextError::Merge(_) | ContextError::VarsAlreadyLoaded(_)
        )
    }
}

/// The variables visible to an expression.
#[derive(Clone, Debug, Default)]
pub(crate) struct Context {
    /// The merged values; only string keys, as DVC keeps only those.
    data: Mapping,
    /// Where each merged subtree came from: dotted path → source name.
    sources: Vec<(String, String)>,
    /// Files loaded so far: shown path → selected keys (`None`: the whole file).
    imports: Vec<(String, Option<Vec<String>>)>,
    /// Keys `vars` may not define (`item`, `key` while a stage is generated).
    reserved: Vec<String>,
    /// The text resolved with these variables so far (shared by clones).
    budget: crate::expansion::Budget,
    /// Files loaded from `vars` (and `params.yaml`): shown name → repository path.
    file_sources: Vec<(String, String)>,
    /// While a stage resolves: the variables from files it used (DVC's `Context.track`).
    tracked: std::cell::RefCell<Option<Vec<TrackedVar>>>,
}

/// A variable loaded from a file that a stage's definition interpolates: DVC shows it with
/// the stage's params (`params diff`, `params show`) when the file is not a params file.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackedVar {
    /// The file, relative to the repository root.
    pub file: String,
    /// The dotted key (`train.lr`).
    pub key: String,
    /// The value the stage used.
    pub value: Value,
}

/// Values replaced by [`Context::set_temporarily`], to put back with [`Context::restore`].
pub(crate) struct Saved {
    previous: Vec<(String, Option<Value>)>,
    reserved: usize,
}

impl Context {
    /// The bound on the text resolving with these variables may produce.
    pub(crate) fn budget(&self) -> &crate::expansion::Budget {
        &self.budget
    }

    /// Loads `params.yaml` from `wdir` if it exists (`default`), then every `vars` entry:
    /// `file`, `file:key1,key2` or an inline mapping (DVC's `load_from_vars`).
    pub fn load_from_vars(
        &mut self,
        files: &dyn FileSource,
        vars: &[Value],
        wdir: &Dir,
        stage_name: Option<&str>,
        default: Option<&str>,
    ) -> Result<(), ContextError> {
        if let Some(default) = default {
            let (repo, _) = wdir.join(default);
            let exists = match repo {
                Some(path) => !matches!(
                    files.read(&path).map_err(|error| ContextError::Io {
                        path: path.to_string(),
                        message: error.to_string(),
                    })?,
                    FileContent::Missing
                ),
                None => false,
            };
            if exists {
                self.merge_from(files, default, wdir)?;
            }
        }
        for (index, item) in vars.iter().enumerate() {
            match item {
                Value::String(item) => self.merge_from(files, item, wdir)?,
                Value::Mapping(map) => {
                    let source = match stage_name {
                        Some(name) => format!("{name}.vars[{index}]"),
                        None => format!("vars[{index}]"),
                    };
                    self.merge_update(string_keys(map), &source, None)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Loads one `vars` file entry (`path` or `path:key1,key2`).
    fn merge_from(
        &mut self,
        files: &dyn FileSource,
        item: &str,
        wdir: &Dir,
    ) -> Result<(), ContextError> {
        let (path, keys) = match item.split_once(':') {
            Some((path, keys)) => (path, Some(keys)),
            None => (item, None),
        };
        let (repo, shown) = wdir.join(path);
        let select: Option<Vec<String>> = keys
            .map(|keys| {
                keys.split(',')
                    .filter(|key| !key.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|keys| !keys.is_empty());
        if let Some(imported) = self.import(&shown) {
            if select.is_none() && imported.is_none() {
                return Ok(()); // a whole file may be listed more than once
            }
            check_loaded(imported, item, select.as_deref())?;
        }
        let data = load_file(files, repo.as_ref(), &shown, select.as_deref())?;
        self.merge_update(data, &shown, Some(item))?;
        if let Some(repo) = &repo
            && !self.file_sources.iter().any(|(known, _)| *known == shown)
        {
            self.file_sources.push((shown.clone(), repo.to_string()));
        }
        match self.imports.iter_mut().find(|(path, _)| *path == shown) {
            None => self.imports.push((shown, select)),
            Some((_, existing)) => {
                if let (Some(existing), Some(select)) = (existing.as_mut(), select) {
                    existing.extend(select);
                }
            }
        }
        Ok(())
    }

    fn import(&self, shown: &str) -> Option<&Option<Vec<String>>> {
        self.imports
            .iter()
            .find(|(path, _)| path == shown)
            .map(|(_, keys)| keys)
    }

    /// Merges `other` (from `source`) into the variables: mappings merge recursively, any other
    /// key defined twice is an error; reserved keys may not be defined.
    fn merge_update(
        &mut self,
        other: Mapping,
        source: &str,
        item: Option<&str>,
    ) -> Result<(), ContextError> {
        let reserved: Vec<&String> = self
            .reserved
            .iter()
            .filter(|key| other.contains_key(key.as_str()))
            .collect();
        if !reserved.is_empty() {
            let names: Vec<String> = reserved.iter().map(|key| (*key).clone()).collect();
            let noun = if names.len() > 1 { "keys" } else { "key" };
            let mut message = format!("attempted to modify reserved {noun} {}", join_names(&names));
            if let Some(item) = item {
                message.push_str(&format!(" in '{item}'"));
            }
            return Err(ContextError::ReservedKey(message));
        }
        let mut data = std::mem::take(&mut self.data);
        let result = self.merge_into(&mut data, other, source, "");
        self.data = data;
        result
    }

    fn merge_into(
        &mut self,
        into: &mut Mapping,
        update: Mapping,
        source: &str,
        prefix: &str,
    ) -> Result<(), ContextError> {
        for (key, value) in update {
            let Some(name) = key.as_str().map(str::to_owned) else {
                continue;
            };
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match (into.get_mut(name.as_str()), value) {
                (Some(Value::Mapping(existing)), Value::Mapping(nested)) => {
                    self.merge_into(existing, string_keys(&nested), source, &path)?;
                }
                (Some(_), _) => {
                    let existing = self.source_of(&path).unwrap_or("<local>").to_owned();
                    return Err(ContextError::Merge(format!(
                        "cannot redefine '{path}' from '{source}' as it already exists in '{existing}'"
                    )));
                }
                (None, value) => {
                    into.insert(Value::String(name), strip_non_string_keys(value));
                    self.sources.push((path, source.to_owned()));
                }
            }
        }
        Ok(())
    }

    fn source_of(&self, path: &str) -> Option<&str> {
        self.sources
            .iter()
            .filter(|(prefix, _)| {
                path == prefix
                    || (path.starts_with(prefix.as_str())
                        && path.as_bytes().get(prefix.len()) == Some(&b'.'))
            })
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, source)| source.as_str())
    }

    /// Starts recording the variables from files that expressions select.
    pub(crate) fn start_tracking(&self) {
        *self.tracked.borrow_mut() = Some(Vec::new());
    }

    /// Stops recording; what was selected, each file and key once (the last value wins).
    pub(crate) fn finish_tracking(&self) -> Vec<TrackedVar> {
        self.tracked.borrow_mut().take().unwrap_or_default()
    }

    /// Records that an expression selected `value` at `key`, when tracking and the value is a
    /// scalar or a list that came from a file (DVC tracks no mappings and no inline `vars`).
    pub(crate) fn track(&self, key: &str, value: &Value) {
        let mut tracked = self.tracked.borrow_mut();
        let Some(tracked) = tracked.as_mut() else {
            return;
        };
        if matches!(value, Value::Mapping(_)) {
            return;
        }
        let path: Vec<&str> = key
            .split(['.', '[', ']'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        let path = path.join(".");
        let Some(source) = self.source_of(&path) else {
            return;
        };
        let Some((_, file)) = self.file_sources.iter().find(|(shown, _)| shown == source) else {
            return;
        };
        match tracked
            .iter_mut()
            .find(|known| known.file == *file && known.key == path)
        {
            Some(known) => known.value = value.clone(),
            None => tracked.push(TrackedVar {
                file: file.clone(),
                key: path,
                value: value.clone(),
            }),
        }
    }

    /// Whether a top-level variable `key` exists.
    pub fn contains(&self, key: &str) -> bool {
        self.data.contains_key(key)
    }

    /// Sets top-level variables (`item`, `key`) while a generated stage is resolved, reserving
    /// them so that stage `vars` cannot redefine them.
    pub fn set_temporarily(&mut self, values: Vec<(String, Value)>) -> Saved {
        let mut previous = Vec::new();
        let reserved = self.reserved.len();
        for (key, value) in values {
            let old = self.data.insert(Value::String(key.clone()), value);
            if !self.reserved.contains(&key) {
                self.reserved.push(key.clone());
            }
            previous.push((key, old));
        }
        Saved { previous, reserved }
    }

    /// Undoes [`Context::set_temporarily`].
    pub fn restore(&mut self, saved: Saved) {
        for (key, old) in saved.previous.into_iter().rev() {
            match old {
                Some(value) => {
                    self.data.insert(Value::String(key), value);
                }
                None => {
                    self.data.shift_remove(key.as_str());
                }
            }
        }
        self.reserved.truncate(saved.reserved);
    }

    /// The value at the dotted key `key` (each part trimmed; list parts are indices, negative
    /// ones counting from the end), as DVC's `Context.select`.
    pub fn select(&self, key: &str) -> Option<&Value> {
        let normalized = key.replace('[', ".").replace(']', "");
        let mut current: Option<&Value> = None;
        for part in normalized.split('.') {
            let part = part.trim();
            current = Some(match current {
                None => self.data.get(part)?,
                Some(Value::Mapping(map)) => map.get(part)?,
                Some(Value::Sequence(items)) => {
                    let index = python_int(part)?;
                    let length = i64::try_from(items.len()).ok()?;
                    let index = if index < 0 { index + length } else { index };
                    items.get(usize::try_from(index).ok()?)?
                }
                Some(_) => return None,
            });
        }
        current
    }
}

/// `int(text)` for the index of a list element.
fn python_int(text: &str) -> Option<i64> {
    let clean = text.replace('_', "");
    if clean.starts_with('_') || text.contains("__") || text.ends_with('_') {
        return None;
    }
    clean.parse::<i64>().ok()
}

fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// DVC keeps only string keys in the variables.
fn string_keys(map: &Mapping) -> Mapping {
    map.iter()
        .filter(|(key, _)| key.is_string())
        .map(|(key, value)| (key.clone(), strip_non_string_keys(value.clone())))
        .collect()
}

fn strip_non_string_keys(value: Value) -> Value {
    match value {
        Value::Mapping(map) => Value::Mapping(string_keys(&map)),
        Value::Sequence(items) => {
            Value::Sequence(items.into_iter().map(strip_non_string_keys).collect())
        }
        other => other,
    }
}

/// `Context.check_loaded`.
fn check_loaded(
    imported: &Option<Vec<String>>,
    item: &str,
    keys: Option<&[String]>,
) -> Result<(), ContextError> {
    match (imported, keys) {
        (Some(_), None) => Err(ContextError::VarsAlreadyLoaded(format!(
            "cannot load '{item}' as it's partially loaded already"
        ))),
        (None, Some(_)) => Err(ContextError::VarsAlreadyLoaded(format!(
            "cannot partially load '{item}' as it's already loaded."
        ))),
        (Some(imported), Some(keys)) if keys.iter().any(|key| imported.contains(key)) => {
            Err(ContextError::VarsAlreadyLoaded(format!(
                "cannot load '{item}' as it's partially loaded already"
            )))
        }
        _ => Ok(()),
    }
}

/// `Context.load_from`: reads a vars file, keeping only `select` top-level keys if given.
fn load_file(
    files: &dyn FileSource,
    repo: Option<&RepoPath>,
    shown: &str,
    select: Option<&[String]>,
) -> Result<Mapping, ContextError> {
    let missing = || ContextError::ParamsLoad(format!("'{shown}' does not exist"));
    let path = repo.ok_or_else(missing)?;
    let text = match files.read(path).map_err(|error| ContextError::Io {
        path: shown.to_owned(),
        message: error.to_string(),
    })? {
        FileContent::Missing => return Err(missing()),
        FileContent::Directory => {
            return Err(ContextError::ParamsLoad(format!(
                "'{shown}' is a directory"
            )));
        }
        FileContent::File(bytes) => String::from_utf8(bytes).map_err(|_| {
            ContextError::Parse(params::ParamsError {
                path: shown.to_owned(),
                message: "is not valid utf-8".to_owned(),
                detail: String::new(),
                line: None,
            })
        })?,
    };
    let data = match params::parse(shown, &text)? {
        Value::Mapping(map) => map,
        other => {
            return Err(ContextError::ParamsLoad(format!(
                "expected a dictionary, got '{}' in file '{shown}'",
                python_type(&other)
            )));
        }
    };
    let Some(select) = select else {
        return Ok(data);
    };
    let mut selected = Mapping::new();
    for key in select {
        let value = data.get(key.as_str()).ok_or_else(|| {
            ContextError::ParamsLoad(format!("could not find '{key}' in '{shown}'"))
        })?;
        selected.insert(Value::String(key.clone()), value.clone());
    }
    Ok(selected)
}

/// Python's name for the type of a loaded value.
pub(crate) fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Sequence(_) => "list",
        Value::Mapping(_) => "dict",
        Value::Tagged(tagged) => python_type(&tagged.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::MemoryFiles;
    use dv_schema::yaml::parse;

    fn root() -> Dir {
        Dir {
            repo: RepoPath::root(),
            shown: String::new(),
        }
    }

    fn vars(text: &str) -> Vec<Value> {
        match parse(text).expect("yaml") {
            Value::Sequence(items) => items,
            _ => panic!("list"),
        }
    }

    #[test]
    fn loads_default_and_vars() {
        let files = MemoryFiles::new(&[
            ("params.yaml", "models: [a, b]\ntrain: {lr: 0.1}\n"),
            ("v.yaml", "a: 1\nb: 2\ntrain: {epochs: 3}\n"),
        ]);
        let mut context = Context::default();
        context
            .load_from_vars(
                &files,
                &vars("[{myvar: hello}, 'v.yaml:a,train']"),
                &root(),
                None,
                Some("params.yaml"),
            )
            .expect("loads");
        assert_eq!(
            context.select("myvar"),
            Some(&Value::String("hello".to_owned()))
        );
        assert_eq!(
            context.select("models[1]"),
            Some(&Value::String("b".to_owned()))
        );
        assert_eq!(
            context.select("models.-1"),
            Some(&Value::String("b".to_owned()))
        );
        assert_eq!(
            context.select(" train . epochs "),
            Some(&Value::Number(3.into()))
        );
        assert_eq!(
            context.select("train.lr"),
            Some(&parse("0.1").expect("yaml"))
        );
        assert_eq!(context.select("b"), None);
        assert_eq!(context.select("models.x"), None);
        assert_eq!(context.select("myvar.x"), None);
    }

    #[test]
    fn dvc_error_messages() {
        let files = MemoryFiles::new(&[
            ("params.yaml", "a: {b: 1}\n"),
            ("v.yaml", "a: {b: 2}\n"),
            ("list.yaml", "[1]\n"),
        ]);
        let load = |text: &str| {
            let mut context = Context::default();
            context
                .load_from_vars(&files, &vars(text), &root(), None, Some("params.yaml"))
                .expect_err("fails")
                .to_string()
        };
        assert_eq!(
            load("[v.yaml]"),
            "cannot redefine 'a.b' from 'v.yaml' as it already exists in 'params.yaml'"
        );
        assert_eq!(
            load("[{a: {b: 3}}]"),
            "cannot redefine 'a.b' from 'vars[0]' as it already exists in 'params.yaml'"
        );
        assert_eq!(load("[missing.yaml]"), "'missing.yaml' does not exist");
        assert_eq!(
            load("[list.yaml]"),
            "expected a dictionary, got 'list' in file 'list.yaml'"
        );
        assert_eq!(load("['v.yaml:x']"), "could not find 'x' in 'v.yaml'");
        assert_eq!(
            load("['params.yaml:a']"),
            "cannot partially load 'params.yaml:a' as it's already loaded."
        );
        let mut context = Context::default();
        context
            .load_from_vars(
                &files,
                &vars("[params.yaml]"),
                &root(),
                None,
                Some("params.yaml"),
            )
            .expect("a whole file may be listed twice");
    }

    #[test]
    fn reserved_and_temporary_keys() {
        let files = MemoryFiles::new(&[]);
        let mut context = Context::default();
        context
            .load_from_vars(&files, &vars("[{item: 0}]"), &root(), None, None)
            .expect("loads");
        let saved = context.set_temporarily(vec![("item".to_owned(), Value::Number(1.into()))]);
        assert_eq!(context.select("item"), Some(&Value::Number(1.into())));
        let mut clone = context.clone();
        let error = clone
            .load_from_vars(&files, &vars("[{item: 2}]"), &root(), Some("s"), None)
            .expect_err("reserved");
        assert_eq!(error.to_string(), "attempted to modify reserved key item");
        context.restore(saved);
        assert_eq!(context.select("item"), Some(&Value::Number(0.into())));
    }
}
