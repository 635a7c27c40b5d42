//! What changed in a stage since its `dvc.lock` entry: [`check`] against the workspace, giving
//! structured reasons with old and new values.

use dv_schema::dvc_file::Output as LockEntry;
use dv_schema::dvc_yaml::Command;
use dv_schema::hash::{HashName, ObjectId};
use dv_schema::lock_file::{LockStage, python_equal};
use dv_schema::yaml::{Mapping, Value};

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
