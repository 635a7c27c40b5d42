//! Comparing params and metrics between two revisions, as DVC's `params diff` and
//! `metrics diff` do: nested mappings flattened to dotted keys, values compared with Python's
//! `==`, and the numeric difference of changed numbers (booleans count as integers).
//!
//! DVC builds its file and key sets from Python sets, so its order changes between runs; dv
//! sorts files and keys.

use std::collections::BTreeMap;

use std::path::PathBuf;

use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Number, Value, python_eq};

use crate::revisions::{Revisions, Scope, Snapshot, select};
use crate::workspace::{Workspace, repo_path_of};

/// Why a file (or a whole revision) could not be read, as DVC reports it in `--json`
/// (`{"type": ..., "msg": ...}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The Python exception type DVC names (`FileNotFoundError`, `YAMLFileCorruptedError`).
    pub kind: String,
    /// Its message.
    pub message: String,
}

/// What one file of a revision holds.
#[derive(Debug, Clone)]
pub enum FileData {
    /// The parsed content (for metrics: numbers and strings only).
    Data(Value),
    /// Why it could not be read.
    Error(ReadError),
}

/// The files of one revision, in DVC's collection order, or why the revision failed.
#[derive(Debug, Clone)]
pub struct RevisionData {
    /// DVC's name for the revision.
    pub name: String,
    /// The files, or the revision's error.
    pub files: Result<Vec<(String, FileData)>, ReadError>,
}

impl RevisionData {
    /// Whether anything in it failed (DVC's `errored_revisions`).
    pub fn has_errors(&self) -> bool {
        match &self.files {
            Err(_) => true,
            Ok(files) => files
                .iter()
                .any(|(_, data)| matches!(data, FileData::Error(_))),
        }
    }
}

/// One changed (or, with `--all`, unchanged) key.
#[derive(Debug, Clone)]
pub struct Change {
    /// The value at the old revision (`None`: absent).
    pub old: Option<Value>,
    /// The value at the new revision.
    pub new: Option<Value>,
    /// `new - old` when both are numbers.
    pub diff: Option<Value>,
}

/// Changes per file, then per key, both sorted.
pub type Diff = BTreeMap<String, BTreeMap<String, Change>>;

/// `value` flattened to dotted keys (nested mappings only; lists stay values; empty
/// mappings vanish), in document order.
pub fn flatten(value: &Value) -> Vec<(String, Value)> {
    let mut flat = Vec::new();
    if let Value::Mapping(map) = value {
        flatten_into(map, "", &mut flat);
    }
    flat
}

fn flatten_into(map: &Mapping, prefix: &str, flat: &mut Vec<(String, Value)>) {
    for (key, value) in map {
        let key = key_text(key);
        let full = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Mapping(inner) => flatten_into(inner, &full, flat),
            other => flat.push((full, other.clone())),
        }
    }
}

/// A mapping key as Python's `str` shows it.
pub fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        Value::Number(number) => number.to_string(),
        other => format!("{other:?}"),
    }
}

/// The data of each file of a revision (errored files hold nothing), by path.
fn data_of(revision: Option<&RevisionData>) -> BTreeMap<String, Value> {
    let mut data = BTreeMap::new();
    if let Some(RevisionData {
        files: Ok(files), ..
    }) = revision
    {
        for (path, file) in files {
            if let FileData::Data(value) = file {
                data.insert(path.clone(), value.clone());
            }
        }
    }
    data
}

/// The difference between the files of `old` and `new` (DVC's `utils.diff.diff`); with
/// `with_unchanged`, unchanged keys too.
pub fn diff(old: Option<&RevisionData>, new: Option<&RevisionData>, with_unchanged: bool) -> Diff {
    let (old, new) = (data_of(old), data_of(new));
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut result = Diff::new();
    for path in paths {
        let changes = diff_file(old.get(path), new.get(path), with_unchanged);
        if !changes.is_empty() {
            result.insert(path.clone(), changes);
        }
    }
    result
}

/// The value at each flattened key; `Err` for a document that is not a mapping (DVC's
/// `unable to parse` for every key).
fn flat_keys(value: Option<&Value>) -> Result<BTreeMap<String, Value>, ()> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Mapping(map)) if map.is_empty() => Ok(BTreeMap::new()),
        Some(value @ Value::Mapping(_)) => Ok(flatten(value).into_iter().collect()),
        Some(_) => Err(()),
    }
}

fn diff_file(
    old: Option<&Value>,
    new: Option<&Value>,
    with_unchanged: bool,
) -> BTreeMap<String, Change> {
    let mut changes = BTreeMap::new();
    let is_map = |value: Option<&Value>| matches!(value, Some(Value::Mapping(_)));
    if !is_map(old) && !is_map(new) {
        if let Some(change) = diff_values(old.cloned(), new.cloned(), with_unchanged) {
            changes.insert(String::new(), change);
        }
        return changes;
    }
    let unparsable = Value::String("unable to parse".to_owned());
    let (old_keys, new_keys) = (flat_keys(old), flat_keys(new));
    let keys: Vec<String> = {
        let mut keys: Vec<String> = [&old_keys, &new_keys]
            .into_iter()
            .flat_map(|side| side.iter().flat_map(|map| map.keys().cloned()))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let value_at = |side: &Result<BTreeMap<String, Value>, ()>, key: &str| match side {
        Ok(map) => map.get(key).cloned(),
        Err(()) => Some(unparsable.clone()),
    };
    for key in keys {
        let change = diff_values(
            value_at(&old_keys, &key),
            value_at(&new_keys, &key),
            with_unchanged,
        );
        if let Some(change) = change {
            changes.insert(key, change);
        }
    }
    changes
}

fn diff_values(old: Option<Value>, new: Option<Value>, with_unchanged: bool) -> Option<Change> {
    let same = match (&old, &new) {
        (None, None) => true,
        (Some(a), Some(b)) => python_eq(a, b),
        _ => false,
    };
    if same && !with_unchanged {
        return None;
    }
    let diff = match (&old, &new) {
        (Some(a), Some(b)) => subtract(b, a),
        _ => None,
    };
    Some(Change { old, new, diff })
}

/// `a - b` as Python computes it for ints, floats and booleans.
fn subtract(a: &Value, b: &Value) -> Option<Value> {
    enum Num {
        Int(i128),
        Float(f64),
    }
    let num = |value: &Value| match value {
        Value::Bool(flag) => Some(Num::Int(i128::from(*flag))),
        Value::Number(number) => match (number.as_i64(), number.as_u64()) {
            (Some(int), _) => Some(Num::Int(i128::from(int))),
            (None, Some(int)) => Some(Num::Int(i128::from(int))),
            _ => number.as_f64().map(Num::Float),
        },
        _ => None,
    };
    let as_float = |n: &Num| match n {
        Num::Int(int) => *int as f64,
        Num::Float(float) => *float,
    };
    let (x, y) = (num(a)?, num(b)?);
    Some(match (&x, &y) {
        (Num::Int(x), Num::Int(y)) => {
            let difference = x - y;
            match i64::try_from(difference) {
                Ok(small) => Value::Number(Number::from(small)),
                Err(_) => Value::Number(Number::from(difference as f64)),
            }
        }
        _ => Value::Number(Number::from(as_float(&x) - as_float(&y))),
    })
}

/// A comparison of two revisions.
#[derive(Debug, Clone, Default)]
pub struct DiffResult {
    /// The revisions (as named on the command line) that failed to load, old first.
    pub errored: Vec<String>,
    /// The revisions that could not be read at all, in the order they were read (the
    /// workspace first), with why: DVC warns `failed to load ... in revision 'x', why`.
    pub failed: Vec<(String, String)>,
    /// The changes.
    pub diff: Diff,
}

/// The revisions `a_rev` and `b_rev` (and the workspace), each gathered with `gather`.
pub(crate) fn gather_pair(
    workspace: &Workspace,
    revisions: &Revisions,
    a_rev: &str,
    b_rev: &str,
    gather: impl Fn(&Snapshot<'_>) -> Vec<(String, FileData)>,
) -> anyhow::Result<Vec<RevisionData>> {
    let scope = Scope {
        revs: vec![a_rev.to_owned(), b_rev.to_owned()],
        num: 1,
        ..Scope::default()
    };
    let mut results = Vec::new();
    for revision in select(revisions, &scope, true)? {
        let files = Snapshot::open(workspace, revisions, revision.at)
            .map(|snapshot| gather(&snapshot))
            .map_err(revision_error);
        results.push(RevisionData {
            name: revision.name,
            files,
        });
    }
    Ok(results)
}

/// DVC's `_diff` over two gathered revisions looked up by the names given.
pub(crate) fn compare_pair(
    results: &[RevisionData],
    a_rev: &str,
    b_rev: &str,
    all: bool,
) -> DiffResult {
    let find = |name: &str| results.iter().find(|result| result.name == name);
    let (old, new) = (find(a_rev), find(b_rev));
    let errored = [(a_rev, old), (b_rev, new)]
        .into_iter()
        .filter(|(_, result)| result.is_some_and(RevisionData::has_errors))
        .map(|(name, _)| name.to_owned())
        .collect();
    DiffResult {
        errored,
        failed: failed_revisions(results),
        diff: diff(old, new, all),
    }
}

/// The revisions of `results` that could not be read at all, with the reason.
pub fn failed_revisions(results: &[RevisionData]) -> Vec<(String, String)> {
    results
        .iter()
        .filter_map(|result| match &result.files {
            Err(error) => Some((result.name.clone(), error.message.clone())),
            Ok(_) => None,
        })
        .collect()
}

/// A revision that could not be loaded, as DVC encodes the exception.
pub(crate) fn revision_error(error: anyhow::Error) -> ReadError {
    ReadError {
        kind: "DvcException".to_owned(),
        message: error.to_string(),
    }
}

/// Targets as repository paths (those outside the repository left out).
pub(crate) fn repo_targets(workspace: &Workspace, targets: &[PathBuf]) -> Vec<RepoPath> {
    targets
        .iter()
        .filter_map(|target| repo_path_of(workspace, &workspace.absolute(target)))
        .collect()
}

/// A repository path as shown: relative to the current directory.
pub(crate) fn shown(workspace: &Workspace, path: &RepoPath) -> String {
    workspace.display_path(&crate::workspace::absolute(workspace, path))
}

/// DVC's `_hide_workspace`: the `workspace` entry goes when it equals the entry named by the
/// checked-out branch (entries with errors never compare equal, as exceptions do not).
pub(crate) fn hide_workspace(
    revisions: &Revisions,
    mut results: Vec<RevisionData>,
) -> Vec<RevisionData> {
    let Some(branch) = revisions
        .history()
        .and_then(|history| history.active_branch())
    else {
        return results;
    };
    let find = |name: &str| results.iter().position(|result| result.name == name);
    if let (Some(workspace), Some(active)) = (find("workspace"), find(&branch))
        && same(&results[workspace], &results[active])
    {
        results.remove(workspace);
    }
    results
}

fn same(a: &RevisionData, b: &RevisionData) -> bool {
    let (Ok(a), Ok(b)) = (&a.files, &b.files) else {
        return false;
    };
    a.len() == b.len()
        && a.iter().all(|(path, data)| {
            b.iter().any(|(other_path, other)| {
                other_path == path
                    && match (data, other) {
                        (FileData::Data(x), FileData::Data(y)) => dv_schema::yaml::python_eq(x, y),
                        _ => false,
                    }
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(name: &str, files: &[(&str, &str)]) -> RevisionData {
        RevisionData {
            name: name.to_owned(),
            files: Ok(files
                .iter()
                .map(|(path, text)| {
                    let value = dv_pipeline::params::parse(path, text).expect("yaml");
                    ((*path).to_owned(), FileData::Data(value))
                })
                .collect()),
        }
    }

    #[test]
    fn diffs_flattened_keys_with_python_arithmetic() {
        let old = revision(
            "HEAD",
            &[("p.yaml", "a: {b: 1, c: 0.1}\nflag: true\nsame: x\n")],
        );
        let new = revision(
            "workspace",
            &[(
                "p.yaml",
                "a: {b: 3, c: 0.3}\nflag: false\nsame: x\nnew: 1\n",
            )],
        );
        let diff = diff(Some(&old), Some(&new), false);
        let file = &diff["p.yaml"];
        let keys: Vec<&str> = file.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a.b", "a.c", "flag", "new"]);
        assert_eq!(file["a.b"].diff, Some(Value::Number(Number::from(2))));
        let Some(Value::Number(c)) = &file["a.c"].diff else {
            panic!("a float difference");
        };
        assert_eq!(c.as_f64(), Some(0.3 - 0.1));
        assert_eq!(file["flag"].diff, Some(Value::Number(Number::from(-1))));
        assert!(file["new"].old.is_none() && file["new"].diff.is_none());
        let all = super::diff(Some(&old), Some(&new), true);
        assert_eq!(all["p.yaml"]["same"].diff, None);
        assert_eq!(all["p.yaml"].len(), 5);
    }

    #[test]
    fn integers_equal_floats_and_missing_files_are_empty() {
        let old = revision("a", &[("m.yaml", "{x: 1}")]);
        let new = revision("b", &[("m.yaml", "{x: 1.0}"), ("n.yaml", "{y: 2}")]);
        let diff = diff(Some(&old), Some(&new), false);
        assert!(!diff.contains_key("m.yaml"));
        assert!(diff["n.yaml"]["y"].old.is_none());
        assert!(super::diff(None, None, true).is_empty());
    }
}
