//! What changed in a stage since its `dvc.lock` entry, and why (spec §9.1, §9.3, §9.5).
//!
//! [`check`] compares a stage with its lock entry and the workspace: the command, each
//! dependency (file, directory or params key), each output, `always_changed` and `frozen`,
//! giving structured reasons with old and new values. Hashing is delegated to a [`Workspace`]
//! so that the repository can plug in its hash cache. [`CheckMode::FirstChange`] stops at the
//! first reason, in DVC's order, as `dvc repro` does; [`CheckMode::All`] collects everything,
//! as `dvc status` does. [`StatusReport`] renders results as `dvc status` prints them, in text
//! and JSON.

use dv_schema::dvc_file::Output as LockEntry;
use dv_schema::dvc_yaml::Command;
use dv_schema::hash::{HashName, ObjectId};
use dv_schema::lock_file::{LockStage, python_equal};
use dv_schema::repo_path::RepoPath;
use dv_schema::shown::escape_name;
use dv_schema::yaml::{Mapping, Value};
use serde::Serialize;

use crate::files::FileContent;
use crate::params;
use crate::stage::{EntryPath, ParamsDependency, Stage};

/// An error of the [`Workspace`] (I/O while hashing, reading, checking the cache).
pub type WorkspaceError = Box<dyn std::error::Error + Send + Sync>;

/// The hash of a file or directory, as recorded in `dvc.lock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryHash {
    /// The hash value.
    pub value: HashValue,
    /// The algorithm (`md5`, or `md5-dos2unix` for entries written by DVC 2.x).
    pub hash_name: HashName,
    /// Bytes (the sum of file sizes for a directory).
    pub size: Option<u64>,
    /// Number of files of a directory.
    pub nfiles: Option<u64>,
    /// Whether a file is executable.
    pub isexec: bool,
}

/// A hash value of a lock entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HashValue {
    /// `md5`: a file or `.dir` tree object id.
    Md5(ObjectId),
    /// `etag` of a cloud object.
    Etag(String),
    /// `checksum` of an HTTP object.
    Checksum(String),
}

impl HashValue {
    /// The value recorded in a lock entry, if any.
    pub fn of(entry: &LockEntry) -> Option<HashValue> {
        if let Some(id) = entry.md5 {
            Some(HashValue::Md5(id))
        } else if let Some(etag) = &entry.etag {
            Some(HashValue::Etag(etag.clone()))
        } else {
            entry.checksum.clone().map(HashValue::Checksum)
        }
    }
}

impl std::fmt::Display for HashValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashValue::Md5(id) => write!(f, "{id}"),
            HashValue::Etag(text) | HashValue::Checksum(text) => f.write_str(text),
        }
    }
}

/// Whether a path is hashed as a dependency or an output (they differ in how `.dvcignore`
/// applies to the path itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryRole {
    /// A dependency.
    Dependency,
    /// An output.
    Output,
}

/// The workspace as change detection sees it.
pub trait Workspace {
    /// The hash of what is at `path` with `hash_name`; `None` when nothing is there.
    fn hash(
        &mut self,
        path: &EntryPath,
        hash_name: HashName,
        role: EntryRole,
    ) -> Result<Option<EntryHash>, WorkspaceError>;

    /// What is at `path` (params files are read through this).
    fn read(&mut self, path: &EntryPath) -> Result<FileContent, WorkspaceError>;

    /// Whether the object `id` (all its files, for a tree) is in the cache.
    fn in_cache(&mut self, id: &ObjectId, hash_name: HashName) -> Result<bool, WorkspaceError>;
}

/// How far [`check`] goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CheckMode {
    /// Every reason (`dvc status`).
    #[default]
    All,
    /// Stop at the first reason (`dvc repro` deciding whether to run a stage).
    FirstChange,
}

/// Options of [`check`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// All reasons, or only the first.
    pub mode: CheckMode,
    /// `--allow-missing`: missing outputs (deleted or not in cache) and missing dependencies no
    /// upstream stage changed do not count as changes.
    pub allow_missing: bool,
}

/// The outputs of the stages a stage depends on, with their current hashes (DVC's `upstream`),
/// used with `--allow-missing` to tell a missing dependency an upstream stage changed.
pub type UpstreamOutputs<'a> = &'a [(EntryPath, Option<HashValue>)];

/// What happened to a dependency or output.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeKind {
    /// It does not exist.
    Deleted {
        /// The recorded hash.
        old: Option<HashValue>,
    },
    /// Its hash differs from the recorded one (or none is recorded).
    Modified {
        /// The recorded hash.
        old: Option<HashValue>,
        /// The current hash.
        new: HashValue,
    },
    /// It exists but no hash is recorded and none can be computed.
    New,
    /// A cached output whose object is missing from the cache.
    NotInCache {
        /// The recorded object.
        id: ObjectId,
    },
    /// A params file's changes.
    Params(ParamsChange),
}

impl ChangeKind {
    /// DVC's status word (`modified`, `deleted`, ...); `None` for per-key params changes.
    pub fn word(&self) -> Option<&'static str> {
        match self {
            ChangeKind::Deleted { .. } | ChangeKind::Params(ParamsChange::Deleted) => {
                Some("deleted")
            }
            ChangeKind::Modified { .. } => Some("modified"),
            ChangeKind::New | ChangeKind::Params(ParamsChange::New) => Some("new"),
            ChangeKind::NotInCache { .. } => Some("not in cache"),
            ChangeKind::Params(ParamsChange::Keys(_)) => None,
        }
    }
}

/// What happened to a params file.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamsChange {
    /// The file does not exist.
    Deleted,
    /// No values are recorded for it (the stage never ran with it).
    New,
    /// Changed keys.
    Keys(Vec<ParamChange>),
}

/// One changed params key.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamChange {
    /// The dotted key.
    pub key: String,
    /// What happened.
    pub kind: ParamChangeKind,
}

/// What happened to a params key.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamChangeKind {
    /// The value differs.
    Modified {
        /// Recorded.
        old: Value,
        /// Current.
        new: Value,
    },
    /// Not recorded yet.
    New {
        /// Current.
        new: Value,
    },
    /// Recorded but gone from the file.
    Deleted {
        /// Recorded.
        old: Value,
    },
}

impl ParamChangeKind {
    /// DVC's word for it.
    pub fn word(&self) -> &'static str {
        match self {
            ParamChangeKind::Modified { .. } => "modified",
            ParamChangeKind::New { .. } => "new",
            ParamChangeKind::Deleted { .. } => "deleted",
        }
    }
}

/// A changed dependency or output.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryChange {
    /// The path as written in `dvc.yaml`.
    pub def_path: String,
    /// Where it is.
    pub path: EntryPath,
    /// What happened.
    pub kind: ChangeKind,
}

/// The command differs from the recorded one.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandChange {
    /// The recorded command.
    pub old: Command,
    /// The command in `dvc.yaml`.
    pub new: Command,
}

/// Everything [`check`] found about a stage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageChanges {
    /// Changed dependencies (files first, then params), unless the stage is frozen.
    pub deps: Vec<EntryChange>,
    /// Changed outputs.
    pub outs: Vec<EntryChange>,
    /// `always_changed: true`, or a stage without dependencies and outputs.
    pub always_changed: bool,
    /// The command changed (only when a lock entry exists).
    pub command: Option<CommandChange>,
    /// `dvc repro` would run the stage (DVC's `Stage.changed()`).
    pub changed: bool,
}

impl StageChanges {
    /// Whether `dvc status` has something to say about the stage.
    pub fn has_status(&self) -> bool {
        !self.deps.is_empty()
            || !self.outs.is_empty()
            || self.always_changed
            || self.command.is_some()
    }
}

/// A failure while checking a stage.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The workspace failed.
    #[error("failed to check '{path}': {source}")]
    Workspace {
        /// The path being checked.
        path: String,
        /// The cause.
        source: WorkspaceError,
    },
    /// A params file is a directory (DVC's `ParamsIsADirectoryError`).
    #[error("'{0}' is a directory, expected a parameters file")]
    ParamsIsDirectory(String),
    /// A params file cannot be parsed (DVC's `BadParamFileError`).
    #[error("Unable to read parameters from '{path}'")]
    BadParams {
        /// The params file.
        path: String,
        /// The parse error.
        #[source]
        source: params::ParamsError,
    },
}

fn workspace_error(path: &EntryPath) -> impl FnOnce(WorkspaceError) -> CheckError + '_ {
    move |source| CheckError::Workspace {
        path: path.to_string(),
        source,
    }
}

/// The recorded entry for `def_path` in `entries`.
fn recorded<'a>(entries: &'a [LockEntry], def_path: &str) -> Option<&'a LockEntry> {
    entries.iter().find(|entry| entry.path == def_path)
}

/// Compares `stage` with its lock entry `lock` and the workspace.
pub fn check(
    stage: &Stage,
    lock: Option<&LockStage>,
    workspace: &mut dyn Workspace,
    options: CheckOptions,
    upstream: UpstreamOutputs<'_>,
) -> Result<StageChanges, CheckError> {
    let first_only = options.mode == CheckMode::FirstChange;
    let mut changes = StageChanges::default();

    // 1. the command, when there is a lock entry to compare with
    if let Some(lock) = lock
        && !python_equal(&lock.cmd.to_value(), &stage.cmd().to_value())
    {
        changes.command = Some(CommandChange {
            old: lock.cmd.clone(),
            new: stage.cmd().clone(),
        });
        changes.changed = true;
        if first_only {
            return Ok(changes);
        }
    }

    // 2. dependencies: never for frozen stages; always-changed and callback stages always
    let always = stage.is_always_changed() || stage.is_callback();
    changes.always_changed = always;
    if !stage.is_frozen() {
        if always {
            changes.changed = true;
            if first_only {
                return Ok(changes);
            }
        }
        let empty = Vec::new();
        let recorded_deps = lock.map_or(&empty, |lock| &lock.deps);
        for dep in &stage.deps {
            let entry = recorded(recorded_deps, &dep.def_path);
            let Some(kind) =
                entry_status(workspace, &dep.path, entry, EntryRole::Dependency, false)?
            else {
                continue;
            };
            let mut counts = true;
            let mut kind = kind;
            if options.allow_missing && matches!(kind, ChangeKind::Deleted { .. }) {
                let old = entry.and_then(HashValue::of);
                let upstream_changed = upstream
                    .iter()
                    .any(|(path, hash)| *path == dep.path && *hash != old);
                if upstream_changed {
                    kind = ChangeKind::Modified {
                        old,
                        new: upstream
                            .iter()
                            .find(|(path, _)| *path == dep.path)
                            .and_then(|(_, hash)| hash.clone())
                            .unwrap_or(HashValue::Checksum(String::new())),
                    };
                } else {
                    counts = false;
                }
            }
            changes.deps.push(EntryChange {
                def_path: dep.def_path.clone(),
                path: dep.path.clone(),
                kind,
            });
            if counts {
                changes.changed = true;
                if first_only {
                    return Ok(changes);
                }
            } else if first_only {
                changes.deps.pop();
            }
        }
        for params in &stage.params {
            let recorded = lock.map(|lock| lock.params.file(&params.def_path));
            if let Some(change) = params_status(workspace, params, recorded)? {
                // A missing params file is `deleted` like any dependency: `--allow-missing`
                // lets it pass unless an upstream stage writes it.
                let counts = !(options.allow_missing
                    && change == ParamsChange::Deleted
                    && !upstream.iter().any(|(path, _)| *path == params.path));
                changes.deps.push(EntryChange {
                    def_path: params.def_path.clone(),
                    path: params.path.clone(),
                    kind: ChangeKind::Params(change),
                });
                if counts {
                    changes.changed = true;
                    if first_only {
                        return Ok(changes);
                    }
                } else if first_only {
                    changes.deps.pop();
                }
            }
        }
    }

    // 3. outputs
    let empty = Vec::new();
    let recorded_outs = lock.map_or(&empty, |lock| &lock.outs);
    for out in &stage.outs {
        let entry = recorded(recorded_outs, &out.def_path);
        let Some(kind) = entry_status(
            workspace,
            &out.path,
            entry,
            EntryRole::Output,
            out.is_cached(),
        )?
        else {
            continue;
        };
        let missing = matches!(
            kind,
            ChangeKind::Deleted { .. } | ChangeKind::NotInCache { .. }
        );
        changes.outs.push(EntryChange {
            def_path: out.def_path.clone(),
            path: out.path.clone(),
            kind,
        });
        if !(options.allow_missing && missing) {
            changes.changed = true;
            if first_only {
                return Ok(changes);
            }
        } else if first_only {
            changes.outs.pop();
        }
    }
    Ok(changes)
}

/// DVC's `Output.status()` for one dependency or output: `not in cache` (cached outputs only),
/// `deleted`, `modified`, `new`, or nothing.
fn entry_status(
    workspace: &mut dyn Workspace,
    path: &EntryPath,
    entry: Option<&LockEntry>,
    role: EntryRole,
    cached: bool,
) -> Result<Option<ChangeKind>, CheckError> {
    let old = entry.and_then(HashValue::of);
    let hash_name = entry.map_or(HashName::Md5, |entry| entry.hash_name);
    if cached
        && let Some(HashValue::Md5(id)) = &old
        && !workspace
            .in_cache(id, hash_name)
            .map_err(workspace_error(path))?
    {
        return Ok(Some(ChangeKind::NotInCache { id: *id }));
    }
    let current = workspace
        .hash(path, hash_name, role)
        .map_err(workspace_error(path))?;
    Ok(match current {
        None => Some(ChangeKind::Deleted { old }),
        Some(current) if Some(&current.value) != old.as_ref() => Some(ChangeKind::Modified {
            old,
            new: current.value,
        }),
        Some(_) => None,
    })
}

/// The current values of a params dependency: `None` when the file does not exist.
pub fn read_params(
    workspace: &mut dyn Workspace,
    params: &ParamsDependency,
) -> Result<Option<Mapping>, CheckError> {
    let text = match workspace
        .read(&params.path)
        .map_err(workspace_error(&params.path))?
    {
        FileContent::Missing => return Ok(None),
        FileContent::Directory => {
            return Err(CheckError::ParamsIsDirectory(params.path.to_string()));
        }
        FileContent::File(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let document =
        params::parse(&params.def_path, &text).map_err(|source| CheckError::BadParams {
            path: params.path.to_string(),
            source,
        })?;
    Ok(Some(params::select(&document, &params.keys)))
}

/// DVC's `ParamsDependency.workspace_status`.
fn params_status(
    workspace: &mut dyn Workspace,
    params: &ParamsDependency,
    recorded: Option<Option<&Mapping>>,
) -> Result<Option<ParamsChange>, CheckError> {
    let Some(actual) = read_params(workspace, params)? else {
        return Ok(Some(ParamsChange::Deleted));
    };
    let Some(Some(recorded)) = recorded else {
        return Ok(Some(ParamsChange::New));
    };
    // the recorded values of the keys tracked now (`fill_values`)
    let info: Mapping = if params.keys.is_empty() {
        recorded.clone()
    } else {
        params
            .keys
            .iter()
            .filter_map(|key| {
                recorded
                    .get(key.as_str())
                    .map(|value| (Value::String(key.clone()), value.clone()))
            })
            .collect()
    };
    let keys: Vec<Value> = if params.keys.is_empty() {
        let mut keys: Vec<Value> = actual.keys().cloned().collect();
        for key in info.keys() {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        keys
    } else {
        params
            .keys
            .iter()
            .map(|key| Value::String(key.clone()))
            .collect()
    };
    let mut changed = Vec::new();
    for key in keys {
        let kind = match (actual.get(&key), info.get(&key)) {
            (None, Some(old)) => ParamChangeKind::Deleted { old: old.clone() },
            (None, None) => ParamChangeKind::Deleted { old: Value::Null },
            (Some(new), None) => ParamChangeKind::New { new: new.clone() },
            (Some(new), Some(old)) if !python_equal(new, old) => ParamChangeKind::Modified {
                old: old.clone(),
                new: new.clone(),
            },
            _ => continue,
        };
        let key = match key {
            Value::String(text) => text,
            other => crate::interpolation::python_str(&other),
        };
        changed.push(ParamChange { key, kind });
    }
    Ok((!changed.is_empty()).then_some(ParamsChange::Keys(changed)))
}

/// The status of one entry as `dvc status` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryStatus {
    /// A word: `modified`, `deleted`, `new`, `not in cache`.
    Word(String),
    /// Per-key words of a params file.
    Params(Vec<(String, String)>),
}

/// One line group of a stage's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusItem {
    /// `changed deps:` and the entries.
    ChangedDeps(Vec<(String, EntryStatus)>),
    /// `changed outs:` and the entries.
    ChangedOuts(Vec<(String, EntryStatus)>),
    /// `always changed`.
    AlwaysChanged,
    /// `changed command` (pipeline stages).
    ChangedCommand,
    /// `changed checksum` (`.dvc` file stages).
    ChangedChecksum,
}

/// The status of one stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageReport {
    /// The stage's addressing (`train`, `sub/dvc.yaml:train`, `data.dvc`).
    pub addressing: String,
    /// Its items, in DVC's order.
    pub items: Vec<StatusItem>,
    /// Why, one line per reason with old and new values ([`crate::explain::reasons`]);
    /// shown only when asked (`--explain`).
    pub explanation: Vec<String>,
}

impl StageReport {
    /// The report of a pipeline stage's changes, paths shown relative to `cwd`; `None` when
    /// there is nothing to report.
    pub fn from_changes(
        addressing: &str,
        changes: &StageChanges,
        recorded: bool,
        cwd: &RepoPath,
    ) -> Option<StageReport> {
        let entries = |list: &[EntryChange]| {
            let mut shown: Vec<(String, EntryStatus)> = Vec::new();
            for change in list {
                let status = match (&change.kind, change.kind.word()) {
                    (_, Some(word)) => EntryStatus::Word(word.to_owned()),
                    (ChangeKind::Params(ParamsChange::Keys(keys)), None) => EntryStatus::Params(
                        keys.iter()
                            .map(|key| (key.key.clone(), key.kind.word().to_owned()))
                            .collect(),
                    ),
                    _ => continue,
                };
                let path = change.path.shown(cwd);
                match shown.iter_mut().find(|(existing, _)| *existing == path) {
                    Some(entry) => entry.1 = status,
                    None => shown.push((path, status)),
                }
            }
            shown
        };
        let mut items = Vec::new();
        let deps = entries(&changes.deps);
        if !deps.is_empty() {
            items.push(StatusItem::ChangedDeps(deps));
        }
        let outs = entries(&changes.outs);
        if !outs.is_empty() {
            items.push(StatusItem::ChangedOuts(outs));
        }
        if changes.always_changed {
            items.push(StatusItem::AlwaysChanged);
        }
        if changes.command.is_some() {
            items.push(StatusItem::ChangedCommand);
        }
        (!items.is_empty()).then(|| StageReport {
            addressing: addressing.to_owned(),
            items,
            explanation: crate::explain::reasons(changes, recorded, cwd),
        })
    }
}

/// The result of `dvc status` for stages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusReport {
    /// Stages with something to report, in the order checked.
    pub stages: Vec<StageReport>,
}

/// The width DVC pads status words to (`word:` left-justified).
const STATUS_WIDTH: usize = 20;

impl StatusReport {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Adds a stage's report (a later report for the same addressing replaces it, as DVC's
    /// dict update does).
    pub fn push(&mut self, report: StageReport) {
        match self
            .stages
            .iter_mut()
            .find(|existing| existing.addressing == report.addressing)
        {
            Some(existing) => *existing = report,
            None => self.stages.push(report),
        }
    }

    /// The text `dvc status` prints (each line ends with a newline); empty when nothing
    /// changed.
    pub fn to_text(&self) -> String {
        self.text(false)
    }

    /// [`StatusReport::to_text`] with each stage's explanation under `why:` (`--explain`).
    pub fn to_text_explained(&self) -> String {
        self.text(true)
    }

    fn text(&self, explain: bool) -> String {
        let mut out = String::new();
        let word = |word: &str| {
            let mut text = format!("{word}:");
            while text.len() < STATUS_WIDTH {
                text.push(' ');
            }
            text
        };
        for stage in &self.stages {
            // Names from the repository stay on their line (see `dv_schema::shown`).
            out.push_str(&format!("{}:\n", escape_name(&stage.addressing)));
            for item in &stage.items {
                let (title, entries) = match item {
                    StatusItem::ChangedDeps(entries) => ("changed deps", entries),
                    StatusItem::ChangedOuts(entries) => ("changed outs", entries),
                    StatusItem::AlwaysChanged => {
                        out.push_str("\talways changed\n");
                        continue;
                    }
                    StatusItem::ChangedCommand => {
                        out.push_str("\tchanged command\n");
                        continue;
                    }
                    StatusItem::ChangedChecksum => {
                        out.push_str("\tchanged checksum\n");
                        continue;
                    }
                };
                out.push_str(&format!("\t{title}:\n"));
                for (path, status) in entries {
                    match status {
                        EntryStatus::Word(status) => {
                            out.push_str(&format!("\t\t{}{}\n", word(status), escape_name(path)));
                        }
                        EntryStatus::Params(keys) if !keys.is_empty() => {
                            out.push_str(&format!("\t\t{}:\n", escape_name(path)));
                            for (key, status) in keys {
                                out.push_str(&format!(
                                    "\t\t\t{}{}\n",
                                    word(status),
                                    escape_name(key)
                                ));
                            }
                        }
                        EntryStatus::Params(_) => {}
                    }
                }
            }
            if explain && !stage.explanation.is_empty() {
                out.push_str("\twhy:\n");
                for reason in &stage.explanation {
                    out.push_str(&format!("\t\t{reason}\n"));
                }
            }
        }
        out
    }

    /// The `--json` value: `{"stage": [{"changed deps": {"path": "modified"}}, "always
    /// changed"]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for StatusReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.stages.len()))?;
        for stage in &self.stages {
            map.serialize_entry(&stage.addressing, &ItemsJson(&stage.items))?;
        }
        map.end()
    }
}

struct ItemsJson<'a>(&'a [StatusItem]);

impl Serialize for ItemsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Entries<'a>(&'a [(String, EntryStatus)]);
        impl Serialize for Entries<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (path, status) in self.0 {
                    match status {
                        EntryStatus::Word(word) => map.serialize_entry(path, word)?,
                        EntryStatus::Params(keys) => {
                            let keys: serde_json::Map<String, serde_json::Value> = keys
                                .iter()
                                .map(|(key, word)| {
                                    (key.clone(), serde_json::Value::from(word.as_str()))
                                })
                                .collect();
                            map.serialize_entry(path, &keys)?;
                        }
                    }
                }
                map.end()
            }
        }
        struct Group<'a>(&'a str, &'a [(String, EntryStatus)]);
        impl Serialize for Group<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(self.0, &Entries(self.1))?;
                map.end()
            }
        }
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            match item {
                StatusItem::ChangedDeps(entries) => {
                    seq.serialize_element(&Group("changed deps", entries))?
                }
                StatusItem::ChangedOuts(entries) => {
                    seq.serialize_element(&Group("changed outs", entries))?
                }
                StatusItem::AlwaysChanged => seq.serialize_element("always changed")?,
                StatusItem::ChangedCommand => seq.serialize_element("changed command")?,
                StatusItem::ChangedChecksum => seq.serialize_element("changed checksum")?,
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::MemoryFiles;
    use crate::resolve::{LoadOptions, load};
    use dv_schema::hash::Md5;
    use dv_schema::lock_file::LockFile;

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dv-schema/tests/fixtures/outputs"
    );

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture file")
    }

    /// Files in memory, all objects in the cache.
    struct Memory {
        files: Vec<(String, Vec<u8>)>,
    }

    impl Workspace for Memory {
        fn hash(
            &mut self,
            path: &EntryPath,
            hash_name: HashName,
            _role: EntryRole,
        ) -> Result<Option<EntryHash>, WorkspaceError> {
            Ok(self
                .files
                .iter()
                .find(|(name, _)| *name == path.to_string())
                .map(|(_, bytes)| EntryHash {
                    value: HashValue::Md5(ObjectId::file(Md5::digest(bytes))),
                    hash_name,
                    size: Some(bytes.len() as u64),
                    nfiles: None,
                    isexec: false,
                }))
        }

        fn read(&mut self, path: &EntryPath) -> Result<FileContent, WorkspaceError> {
            Ok(self
                .files
                .iter()
                .find(|(name, _)| *name == path.to_string())
                .map_or(FileContent::Missing, |(_, bytes)| {
                    FileContent::File(bytes.clone())
                }))
        }

        fn in_cache(
            &mut self,
            _id: &ObjectId,
            _hash_name: HashName,
        ) -> Result<bool, WorkspaceError> {
            Ok(true)
        }
    }

    fn report(dvc_yaml: &str, lock: Option<&str>, files: &[(&str, &str)]) -> StatusReport {
        let sources = MemoryFiles::new(&[("dvc.yaml", dvc_yaml)]);
        let file = load(
            &sources,
            &RepoPath::new("dvc.yaml").expect("path"),
            &LoadOptions::default(),
        )
        .expect("loads");
        let stages = crate::stage::Stage::all(&file).expect("stages");
        let lock = lock.map(|text| LockFile::from_yaml(text).expect("valid lock"));
        let mut workspace = Memory {
            files: files
                .iter()
                .map(|(name, text)| ((*name).to_owned(), text.as_bytes().to_vec()))
                .collect(),
        };
        let mut report = StatusReport::default();
        for stage in &stages {
            let entry = lock.as_ref().and_then(|lock| lock.stage(&stage.name));
            let changes =
                check(stage, entry, &mut workspace, CheckOptions::default(), &[]).expect("checked");
            if let Some(stage_report) =
                StageReport::from_changes(&stage.name, &changes, entry.is_some(), &RepoPath::root())
            {
                report.push(stage_report);
            }
        }
        report
    }

    #[test]
    fn outputs_fixtures() {
        let dvc_yaml = fixture("dvc.yaml");
        let original = dvc_yaml.replace("cp  in mid", "cp in mid");
        let lock = fixture("dvc.lock");

        let never_run = report(&original, None, &[("in", "i\n")]);
        assert_eq!(never_run.to_text(), fixture("status-never-run.txt"));
        assert_eq!(
            format!("{}\n", crate_python_json(&never_run.to_json())),
            fixture("status-never-run.json")
        );

        let ran = [("in", "i\n"), ("mid", "i\n"), ("fin", "i\n")];
        assert!(report(&original, Some(&lock), &ran).is_empty());
        assert_eq!(
            fixture("status-clean.txt"),
            "Data and pipelines are up to date.\n"
        );

        let modified = [("in", "i2\n"), ("mid", "i\n"), ("fin", "i\n")];
        assert_eq!(
            report(&original, Some(&lock), &modified).to_text(),
            fixture("status-dep-modified.txt")
        );
        assert_eq!(
            report(&dvc_yaml, Some(&lock), &modified).to_text(),
            fixture("status-cmd-changed.txt")
        );
    }

    #[test]
    fn params_and_always_changed_rendering() {
        let report = StatusReport {
            stages: vec![StageReport {
                addressing: "sub/dvc.yaml:s".to_owned(),
                items: vec![
                    StatusItem::ChangedDeps(vec![
                        ("in".to_owned(), EntryStatus::Word("modified".to_owned())),
                        (
                            "params.yaml".to_owned(),
                            EntryStatus::Params(vec![("lr".to_owned(), "modified".to_owned())]),
                        ),
                    ]),
                    StatusItem::AlwaysChanged,
                    StatusItem::ChangedCommand,
                ],
                explanation: vec!["cmd changed: 'a' -> 'b'".to_owned()],
            }],
        };
        assert_eq!(
            report.to_text(),
            "sub/dvc.yaml:s:\n\tchanged deps:\n\t\tmodified:           in\n\t\tparams.yaml:\n\
             \t\t\tmodified:           lr\n\talways changed\n\tchanged command\n"
        );
        assert!(
            report
                .to_text_explained()
                .ends_with("\tchanged command\n\twhy:\n\t\tcmd changed: 'a' -> 'b'\n")
        );
        assert_eq!(
            crate_python_json(&report.to_json()),
            r#"{"sub/dvc.yaml:s": [{"changed deps": {"in": "modified", "params.yaml": {"lr": "modified"}}}, "always changed", "changed command"]}"#
        );
    }

    /// `json.dumps` of a JSON value, in its order.
    fn crate_python_json(value: &serde_json::Value) -> String {
        match value {
            serde_json::Value::Object(map) => format!(
                "{{{}}}",
                map.iter()
                    .map(|(key, value)| format!(
                        "{}: {}",
                        serde_json::Value::from(key.as_str()),
                        crate_python_json(value)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            serde_json::Value::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(crate_python_json)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => other.to_string(),
        }
    }
}
