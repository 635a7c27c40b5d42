//! `exp show` (DVC's `repo/experiments/{collect,serialize,show}.py`): the baselines a scope
//! selects, the experiments recorded under each (`refs/exps/…`), and for each commit (and the
//! workspace) the params, metrics, dependencies and outputs DVC serializes for it.
//!
//! Every commit is read from git through the revisions reader (memoized trees, no checkout), so
//! hundreds of experiments are listed without touching the work tree. dv keeps no
//! `.dvc/tmp/exps/cache` of its own: reading a commit here costs about what reading DVC's cache
//! entry costs.

mod local_time;
mod sort;

use std::collections::HashMap;

use dv_pipeline::stage::EntryPath;
use dv_schema::lock_file::LockFile;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value};

use crate::compare::{FileData, ReadError};
use crate::experiments::refs::{self, Experiment};
use crate::index::RepoStage;
use crate::pipelines::read_lock_from;
use crate::revisions::values::{metrics_files, params_files, read_metrics, read_params};
use crate::revisions::{At, Revisions, Scope, Snapshot, select};
use crate::workspace::Workspace;
use dv_scm::history::ObjectId;
pub use local_time::{LocalTime, local_times, now_seconds};
pub use sort::{Names, sort_column, sort_ranges};

/// What `exp show` lists.
#[derive(Debug, Clone, Default)]
pub struct ShowOptions {
    /// `--rev` (HEAD when no baseline option is given).
    pub revs: Vec<String>,
    /// `-n`: first-parent commits from each `--rev`.
    pub num: usize,
    /// `-a`: every branch tip.
    pub all_branches: bool,
    /// `-T`: every tag.
    pub all_tags: bool,
    /// `-A`: every commit.
    pub all_commits: bool,
    /// `--hide-workspace`.
    pub hide_workspace: bool,
    /// `--sha`: baselines are not named after branches or tags.
    pub sha_only: bool,
    /// `--param-deps`: only params stages depend on.
    pub param_deps: bool,
}

/// A dependency as DVC serializes it (`ExpDep`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepInfo {
    /// The recorded hash (`None`: never recorded).
    pub hash: Option<String>,
    /// The recorded size.
    pub size: Option<u64>,
    /// The recorded number of files (directories).
    pub nfiles: Option<u64>,
}

/// An output as DVC serializes it (`ExpOut`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutInfo {
    /// Hash, size and number of files as recorded.
    pub recorded: DepInfo,
    /// Whether it is cached.
    pub use_cache: bool,
    /// Whether its stage is a `.dvc` file (`dvc add`/`dvc import`).
    pub is_data_source: bool,
}

/// What one revision holds (DVC's `SerializableExp`).
#[derive(Debug, Clone)]
pub struct ExpData {
    /// The commit (40 hex digits) or `workspace`.
    pub rev: String,
    /// The commit time, in seconds since the epoch (none for the workspace).
    pub timestamp: Option<i64>,
    /// Params files (repository paths) and their tracked values.
    pub params: Vec<(String, FileData)>,
    /// Metrics files and their values.
    pub metrics: Vec<(String, FileData)>,
    /// File dependencies of every stage.
    pub deps: Vec<(String, DepInfo)>,
    /// Outputs that are neither metrics nor plots.
    pub outs: Vec<(String, OutInfo)>,
}

/// A baseline or an experiment commit (DVC's `ExpState`).
#[derive(Debug, Clone)]
pub struct ExpState {
    /// The commit or `workspace`.
    pub rev: String,
    /// A baseline's branch or tag name, an experiment's name (its tip only).
    pub name: Option<String>,
    /// What it holds, when it could be read.
    pub data: Option<ExpData>,
    /// Why it could not be read (`type` is the exception name DVC reports).
    pub error: Option<ReadError>,
    /// A baseline's experiments, newest first (`None` when it has none).
    pub experiments: Option<Vec<ExpRange>>,
}

/// One experiment: its commits from the tip down to the baseline (DVC's `ExpRange`; dv knows no
/// executors, they are always `null`).
#[derive(Debug, Clone)]
pub struct ExpRange {
    /// The commits, tip first.
    pub revs: Vec<ExpState>,
    /// The experiment's name.
    pub name: Option<String>,
}

impl ExpState {
    fn collected(rev: String, collected: Result<ExpData, ReadError>) -> ExpState {
        let (data, error) = match collected {
            Ok(data) => (Some(data), None),
            Err(error) => (None, Some(error)),
        };
        ExpState {
            rev,
            name: None,
            data,
            error,
            experiments: None,
        }
    }
}

/// Reads revisions of one repository, each commit once.
pub(crate) struct Collector<'a> {
    workspace: &'a Workspace,
    revisions: &'a Revisions,
    param_deps: bool,
    seen: HashMap<(ObjectId, bool), Result<ExpData, ReadError>>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(
        workspace: &'a Workspace,
        revisions: &'a Revisions,
        param_deps: bool,
    ) -> Collector<'a> {
        Collector {
            workspace,
            revisions,
            param_deps,
            seen: HashMap::new(),
        }
    }

    /// The state of the workspace.
    pub(crate) fn workspace(&mut self) -> ExpState {
        let data = self.read(
            At::Workspace,
            "workspace".to_string(),
            None,
            self.param_deps,
        );
        ExpState::collected("workspace".to_string(), data)
    }

    /// The state of an experiment commit (params as `--param-deps` asks).
    pub(crate) fn commit(&mut self, commit: ObjectId) -> ExpState {
        self.commit_with(commit, self.param_deps)
    }

    /// The state of a baseline: DVC reads baselines with every param whatever
    /// `--param-deps` says.
    pub(crate) fn baseline(&mut self, commit: ObjectId) -> ExpState {
        self.commit_with(commit, false)
    }

    fn commit_with(&mut self, commit: ObjectId, param_deps: bool) -> ExpState {
        let rev = commit.to_string();
        if let Some(known) = self.seen.get(&(commit, param_deps)) {
            return ExpState::collected(rev, known.clone());
        }
        let timestamp = self
            .revisions
            .history()
            .and_then(|history| history.commit_time(commit).ok());
        let data = self.read(At::Commit(commit), rev.clone(), timestamp, param_deps);
        self.seen.insert((commit, param_deps), data.clone());
        ExpState::collected(rev, data)
    }

    fn read(
        &self,
        at: At,
        rev: String,
        timestamp: Option<i64>,
        param_deps: bool,
    ) -> Result<ExpData, ReadError> {
        let in_workspace = at == At::Workspace;
        let failed = |error| revision_failure(self.workspace, in_workspace, error);
        let snapshot = Snapshot::open(self.workspace, self.revisions, at).map_err(failed)?;
        let (deps, outs) = deps_and_outs(&snapshot).map_err(failed)?;
        let reported = |path: &RepoPath, data: FileData| {
            let data = match data {
                FileData::Error(error) => {
                    FileData::Error(corrupted(self.workspace, path, in_workspace, error))
                }
                data => data,
            };
            (path.as_str().to_string(), data)
        };
        let params = gather_params(&snapshot, param_deps)
            .into_iter()
            .map(|(path, data)| match RepoPath::new(&path) {
                Ok(repo_path) => reported(&repo_path, data),
                Err(_) => (path, data),
            })
            .collect();
        Ok(ExpData {
            rev,
            timestamp,
            params,
            metrics: metrics_files(&snapshot, &[])
                .into_iter()
                .map(|path| {
                    let data = read_metrics(&snapshot, &path);
                    reported(&path, data)
                })
                .collect(),
            deps,
            outs,
        })
    }
}

/// Why a revision could not be read, as `exp show` reports it: a params file that does not
/// parse (read as `vars` while the pipeline loads) under DVC's `…FileCorruptedError`, anything
/// else as a `DvcException`. DVC reads the workspace from its root, so a file of the
/// workspace is named by its repository path.
fn revision_failure(workspace: &Workspace, in_workspace: bool, error: anyhow::Error) -> ReadError {
    let text = format!("{error:#}");
    if let Some(start) = text.find("unable to read: '")
        && let Some(format) = ["YAML", "JSON", "TOML", "Python"]
            .into_iter()
            .find(|format| text.ends_with(&format!("{format} file structure is corrupted")))
    {
        let mut message = text[start..].to_string();
        if in_workspace
            && let Some((shown, cause)) = message["unable to read: '".len()..].split_once("', ")
            && let Some(path) =
                crate::workspace::repo_path_of(workspace, &workspace.absolute(shown.as_ref()))
        {
            message = format!("unable to read: '{}', {cause}", path.as_str());
        }
        return ReadError {
            kind: format!("{format}FileCorruptedError"),
            message,
        };
    }
    ReadError {
        kind: "DvcException".to_string(),
        message: text,
    }
}

/// A file that does not parse, as `exp show` reports it. DVC names the file from the current
/// directory of a file system rooted at `/` (one `..` per component of the current directory,
/// which is the repository root while it reads the workspace), then copies the
/// exception while serializing it: the copy is built from the first message taken as a path
/// and normalized (`os.path.relpath`), so the message comes out doubled, e.g. `unable to read:
/// 'm.json', JSON file structure is corrupted', JSON file structure is corrupted`.
fn corrupted(
    workspace: &Workspace,
    path: &RepoPath,
    in_workspace: bool,
    error: ReadError,
) -> ReadError {
    if !error.kind.ends_with("FileCorruptedError") {
        return error;
    }
    let Some(cause) = error
        .message
        .strip_prefix("unable to read: '")
        .and_then(|rest| rest.split_once("', ").map(|(_, cause)| cause.to_string()))
    else {
        return error;
    };
    // DVC reads the workspace from the repository root, commits from the current directory.
    let from = if in_workspace {
        Some(workspace.root().to_path_buf())
    } else {
        std::env::current_dir().ok()
    };
    let depth = from.map_or(0, |dir| {
        dir.components()
            .filter(|part| matches!(part, std::path::Component::Normal(_)))
            .count()
    });
    let original = format!("{}{}", "../".repeat(depth), path.as_str());
    let first = format!("unable to read: '{original}', {cause}");
    ReadError {
        kind: error.kind,
        message: format!("unable to read: '{}', {cause}", normalized(&first)),
    }
}

/// Python's `os.path.normpath` of a relative path.
fn normalized(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// DVC's `_gather_params` for `exp show`: every params file (repository paths), then the
/// variables stages took from other files.
fn gather_params(snapshot: &Snapshot<'_>, deps_only: bool) -> Vec<(String, FileData)> {
    let files = params_files(snapshot, &[], deps_only);
    let mut data: Vec<(String, FileData)> = files
        .iter()
        .map(|(path, keys)| {
            let data = match read_params(snapshot, path, &[]) {
                FileData::Data(document) if !keys.is_empty() => {
                    FileData::Data(Value::Mapping(nested_selection(&document, keys)))
                }
                other => other,
            };
            (path.as_str().to_string(), data)
        })
        .collect();
    let mut vars: Vec<(String, Mapping)> = Vec::new();
    for stage in &snapshot.index.stages {
        let RepoStage::Pipeline { stage, .. } = stage else {
            continue;
        };
        for var in &stage.tracked_vars {
            let Ok(file) = RepoPath::new(&var.file) else {
                continue;
            };
            if files.iter().any(|(known, _)| *known == file) {
                continue;
            }
            let key = Value::String(var.key.clone());
            match vars.iter_mut().find(|(known, _)| known == file.as_str()) {
                Some((_, values)) => {
                    values.insert(key, var.value.clone());
                }
                None => {
                    let mut values = Mapping::new();
                    values.insert(key, var.value.clone());
                    vars.push((file.as_str().to_string(), values));
                }
            }
        }
    }
    for (file, values) in vars {
        upsert(&mut data, file, FileData::Data(Value::Mapping(values)));
    }
    data
}

/// DVC's `read_param_file` with key paths: each tracked key's value at its place in the
/// document (`{"train": {"lr": 0.1}}` for `train.lr`), merged in the order the keys are given;
/// keys the document lacks are left out.
fn nested_selection(document: &Value, keys: &[String]) -> Mapping {
    let mut selected = Mapping::new();
    for key in keys {
        let parts: Vec<&str> = key.split('.').collect();
        let mut value = document;
        let mut found = true;
        for part in &parts {
            match value {
                Value::Mapping(map) => match map.get(Value::String((*part).to_string())) {
                    Some(inner) => value = inner,
                    None => {
                        found = false;
                        break;
                    }
                },
                _ => {
                    found = false;
                    break;
                }
            }
        }
        if found {
            merge_at(&mut selected, &parts, value);
        }
    }
    selected
}

/// `value` placed at `path` inside `into`, mappings merged key by key (dpath's `merge`).
fn merge_at(into: &mut Mapping, path: &[&str], value: &Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let key = Value::String((*first).to_string());
    if rest.is_empty() {
        match (into.get_mut(&key), value) {
            (Some(Value::Mapping(existing)), Value::Mapping(incoming)) => {
                for (inner_key, inner) in incoming {
                    if let Value::String(name) = inner_key {
                        merge_at(existing, &[name.as_str()], inner);
                    } else {
                        existing.insert(inner_key.clone(), inner.clone());
                    }
                }
            }
            _ => {
                into.insert(key, value.clone());
            }
        }
        return;
    }
    if !matches!(into.get(&key), Some(Value::Mapping(_))) {
        into.insert(key.clone(), Value::Mapping(Mapping::new()));
    }
    if let Some(Value::Mapping(inner)) = into.get_mut(&key) {
        merge_at(inner, rest, value);
    }
}

/// Python's `dict[key] = value`: a known key keeps its place.
fn upsert<T>(entries: &mut Vec<(String, T)>, key: String, value: T) {
    match entries.iter_mut().find(|(known, _)| *known == key) {
        Some((_, slot)) => *slot = value,
        None => entries.push((key, value)),
    }
}

fn entry_key(path: &EntryPath) -> Option<String> {
    match path {
        EntryPath::Repo(path) => Some(path.as_str().to_string()),
        EntryPath::Outside(path) => Some(path.clone()),
        EntryPath::Url(_) => None,
    }
}

fn recorded(output: Option<&dv_schema::dvc_file::Output>) -> DepInfo {
    match output {
        None => DepInfo {
            hash: None,
            size: None,
            nfiles: None,
        },
        Some(output) => DepInfo {
            hash: output
                .md5
                .map(|id| id.to_string())
                .or_else(|| output.etag.clone())
                .or_else(|| output.checksum.clone()),
            size: output.size,
            nfiles: output.nfiles,
        },
    }
}

type DepsAndOuts = (Vec<(String, DepInfo)>, Vec<(String, OutInfo)>);

/// The file dependencies of every stage (params, repository imports left out) and every output
/// that is neither a metric nor a plot, with what `dvc.lock` and `.dvc` files record.
fn deps_and_outs(snapshot: &Snapshot<'_>) -> anyhow::Result<DepsAndOuts> {
    let workspace = snapshot.workspace;
    let mut locks: Vec<(RepoPath, LockFile)> = Vec::new();
    let mut deps = Vec::new();
    let mut outs = Vec::new();
    for stage in &snapshot.index.stages {
        match stage {
            RepoStage::Pipeline { stage, .. } => {
                if !locks.iter().any(|(file, _)| *file == stage.file) {
                    let (_, lock) =
                        read_lock_from(workspace, snapshot.files.as_ref(), &stage.file)?;
                    locks.push((stage.file.clone(), lock));
                }
                let entry = locks
                    .iter()
                    .find(|(file, _)| *file == stage.file)
                    .and_then(|(_, lock)| lock.stage(&stage.name));
                for dep in &stage.deps {
                    let Some(key) = entry_key(&dep.path) else {
                        continue;
                    };
                    let found =
                        entry.and_then(|entry| entry.deps.iter().find(|d| d.path == dep.def_path));
                    upsert(&mut deps, key, recorded(found));
                }
                for out in &stage.outs {
                    if out.definition.kind != dv_schema::dvc_yaml::OutputKind::Out {
                        continue;
                    }
                    let Some(key) = entry_key(&out.path) else {
                        continue;
                    };
                    let found =
                        entry.and_then(|entry| entry.outs.iter().find(|o| o.path == out.def_path));
                    let info = OutInfo {
                        recorded: recorded(found),
                        use_cache: out.definition.cache,
                        is_data_source: false,
                    };
                    upsert(&mut outs, key, info);
                }
            }
            RepoStage::File { entry, .. } => {
                let data_source = entry.file.cmd.is_none();
                for dep in &entry.file.deps {
                    if dep.repo.is_some() || dv_pipeline::stage::is_url(&dep.path) {
                        continue;
                    }
                    let Some(key) = shown_key(workspace, &entry.resolve(dep)) else {
                        continue;
                    };
                    upsert(&mut deps, key, recorded(Some(dep)));
                }
                for out in &entry.file.outs {
                    let flagged = |value: &Option<Value>| {
                        value
                            .as_ref()
                            .is_some_and(|value| !dv_schema::yaml::is_falsy(value))
                    };
                    if flagged(&out.metric) || flagged(&out.plot) {
                        continue;
                    }
                    let Some(key) = shown_key(workspace, &entry.resolve(out)) else {
                        continue;
                    };
                    let info = OutInfo {
                        recorded: recorded(Some(out)),
                        use_cache: out.cache,
                        is_data_source: data_source,
                    };
                    upsert(&mut outs, key, info);
                }
            }
        }
    }
    Ok((deps, outs))
}

fn shown_key(workspace: &Workspace, path: &std::path::Path) -> Option<String> {
    crate::workspace::repo_path_of(workspace, path).map(|path| path.as_str().to_string())
}

/// `exp show`: the workspace (unless hidden), then each baseline with its experiments.
pub fn show(workspace: &Workspace, options: &ShowOptions) -> anyhow::Result<Vec<ExpState>> {
    require_git(workspace)?;
    let revisions = Revisions::open(workspace)?;
    if !revisions.has_commits() {
        return Ok(Vec::new());
    }
    let history = revisions.history_or_fail()?;
    let baselines = baseline_commits(workspace, &revisions, options)?;
    let hexes: Vec<String> = baselines.iter().map(ToString::to_string).collect();
    let names = if options.sha_only {
        Default::default()
    } else {
        super::manage::describe(history, &hexes)?
    };
    let all = refs::list_in(history)?;
    let mut collector = Collector::new(workspace, &revisions, options.param_deps);
    let tips: Vec<ObjectId> = all
        .iter()
        .filter(|exp| hexes.contains(&exp.reference.baseline))
        .filter_map(|exp| ObjectId::from_hex(exp.commit.as_bytes()).ok())
        .collect();
    collector
        .seen
        .extend(prefetch(workspace, &tips, options.param_deps));
    let mut states = Vec::new();
    if !options.hide_workspace {
        states.push(collector.workspace());
    }
    for (baseline, hex) in baselines.into_iter().zip(hexes) {
        let mut state = collector.baseline(baseline);
        state.name = names.get(&hex).cloned();
        let mut ranges = Vec::new();
        for experiment in all.iter().filter(|exp| exp.reference.baseline == hex) {
            if let Some(range) = collect_range(&mut collector, &revisions, experiment, baseline) {
                ranges.push(range);
            }
        }
        sort_newest_first(&mut ranges);
        state.experiments = (!ranges.is_empty()).then_some(ranges);
        states.push(state);
    }
    Ok(states)
}

/// The git repository experiments need, or DVC's `NoSCMError`.
pub(crate) fn require_git(workspace: &Workspace) -> anyhow::Result<&dv_scm::Git> {
    workspace.git().ok_or_else(|| {
        crate::error::DvcError(
            "Only supported for Git repositories. If you're seeing this error in a Git repo, \
             try updating the DVC configuration with `dvc config core.no_scm false`."
                .to_string(),
        )
        .into()
    })
}

/// DVC's `RevError` (the command reports it as `failed to show experiments diff - …`).
fn rev_error(message: String) -> anyhow::Error {
    crate::error::DvcError(message).into()
}

/// The commit `rev` names as DVC's `scm.resolve_rev` finds it: a git revision, else an
/// experiment name.
pub(crate) fn resolve_rev(
    workspace: &Workspace,
    revisions: &Revisions,
    rev: &str,
) -> anyhow::Result<String> {
    if let Ok(commit) = revisions.resolve(rev) {
        return Ok(commit.to_string());
    }
    let unknown = || rev_error(format!("unknown Git revision '{rev}'"));
    if rev == "HEAD" || rev.starts_with("refs/") {
        return Err(unknown());
    }
    let git = require_git(workspace)?;
    let all = refs::list(git)?;
    match refs::resolve(
        &all,
        super::manage::head(git).as_deref(),
        &[rev.to_string()],
    ) {
        Ok(found) => found
            .into_iter()
            .next()
            .and_then(|(_, experiment)| experiment)
            .map(|experiment| experiment.commit)
            .ok_or_else(unknown),
        Err(_) => Err(rev_error(format!("ambiguous Git revision '{rev}'"))),
    }
}

/// The experiment tips read ahead on every core, each thread with its own view of the git
/// history; nothing when there are too few to be worth it (or a thread fails: the commits are
/// then read one by one afterwards).
fn prefetch(
    workspace: &Workspace,
    tips: &[ObjectId],
    param_deps: bool,
) -> HashMap<(ObjectId, bool), Result<ExpData, ReadError>> {
    const WORTH_IT: usize = 16;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8);
    if tips.len() < WORTH_IT || threads < 2 {
        return HashMap::new();
    }
    let chunk = tips.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = tips
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let Ok(revisions) = Revisions::open(workspace) else {
                        return HashMap::new();
                    };
                    let mut collector = Collector::new(workspace, &revisions, param_deps);
                    for tip in part {
                        collector.commit(*tip);
                    }
                    collector.seen
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| handle.join().ok())
            .flatten()
            .collect()
    })
}

/// The baselines the options select, in DVC's `iter_revs` order: each `--rev` (HEAD by
/// default) with `-n` first parents, then branch tips, tags, or every commit. A `--rev` naming
/// an experiment stands for its commit alone (DVC finds no `name~1`).
fn baseline_commits(
    workspace: &Workspace,
    revisions: &Revisions,
    options: &ShowOptions,
) -> anyhow::Result<Vec<ObjectId>> {
    let flags = Scope {
        num: options.num,
        all_branches: options.all_branches,
        all_tags: options.all_tags,
        all_commits: options.all_commits,
        ..Scope::default()
    };
    let revs = if options.revs.is_empty() && !flags.is_set() {
        vec!["HEAD".to_string()]
    } else {
        options.revs.clone()
    };
    let mut scopes = Vec::new();
    if revs.iter().all(|rev| revisions.resolve(rev).is_ok()) {
        scopes.push(Scope { revs, ..flags });
    } else {
        for rev in revs {
            let (rev, num) = match revisions.resolve(&rev) {
                Ok(_) => (rev, options.num),
                Err(_) => (resolve_rev(workspace, revisions, &rev)?, 1),
            };
            scopes.push(Scope {
                revs: vec![rev],
                num,
                ..Scope::default()
            });
        }
        if flags.is_set() {
            scopes.push(flags);
        }
    }
    let mut baselines: Vec<ObjectId> = Vec::new();
    for scope in scopes {
        for revision in select(revisions, &scope, false)? {
            if let At::Commit(id) = revision.at
                && !baselines.contains(&id)
            {
                baselines.push(id);
            }
        }
    }
    Ok(baselines)
}

/// The commits of an experiment from its tip down to (not including) its baseline, following
/// first parents (DVC's `collect_branch`).
fn collect_range(
    collector: &mut Collector<'_>,
    revisions: &Revisions,
    experiment: &Experiment,
    baseline: ObjectId,
) -> Option<ExpRange> {
    let history = revisions.history()?;
    // A full hash is parsed, not looked up: gix would search the object store for it as an
    // abbreviation. Parents are found through the ref (`ref~n`) for the same reason.
    let mut commit = ObjectId::from_hex(experiment.commit.as_bytes()).ok()?;
    let full = experiment.reference.full();
    let mut revs = Vec::new();
    let mut depth = 1;
    while commit != baseline {
        revs.push(collector.commit(commit));
        match history.resolve(&format!("{full}~{depth}")) {
            Ok(parent) => commit = parent,
            Err(_) => break,
        }
        depth += 1;
    }
    let first = revs.first_mut()?;
    first.name = Some(experiment.reference.name.clone());
    Some(ExpRange {
        revs,
        name: Some(experiment.reference.name.clone()),
    })
}

/// DVC's `_sorted_ranges`: by the tip's (timestamp, commit), newest first; ranges without a
/// timestamp last.
fn sort_newest_first(ranges: &mut [ExpRange]) {
    let key = |range: &ExpRange| -> (i64, String) {
        match range.revs.first() {
            Some(ExpState {
                data:
                    Some(ExpData {
                        timestamp: Some(time),
                        ..
                    }),
                rev,
                ..
            }) => (*time, rev.clone()),
            _ => (i64::MIN, String::new()),
        }
    };
    ranges.sort_by_key(|range| std::cmp::Reverse(key(range)));
}

/// Column names matched by Python regular expressions the way DVC's `--drop`/`--keep` match
/// them (`re.match` of the patterns joined with `|`: anchored at the start only).
pub struct ColumnPattern(regex::Regex);

impl ColumnPattern {
    /// The patterns joined; `None` when there are none.
    pub fn new(patterns: &[String]) -> anyhow::Result<Option<ColumnPattern>> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let joined = format!("^(?:{})", patterns.join("|"));
        let regex = regex::Regex::new(&joined).map_err(|error| {
            crate::error::DvcError(format!("invalid regular expression: {error}"))
        })?;
        Ok(Some(ColumnPattern(regex)))
    }

    /// Whether `column` matches.
    pub fn matches(&self, column: &str) -> bool {
        self.0.is_match(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_keys_nest_like_read_param_file() {
        let document =
            dv_schema::yaml::parse("train:\n  lr: 0.1\n  epochs: 3\n  opt: {m: 1}\nseed: 7\n")
                .expect("yaml");
        let keys = ["train.lr", "seed", "train.opt", "nope.x"].map(str::to_string);
        let selected = Value::Mapping(nested_selection(&document, &keys));
        let flat: Vec<String> = crate::compare::flatten(&selected)
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(flat, ["train.lr", "train.opt.m", "seed"]);
    }

    #[test]
    fn normalizes_like_os_path_normpath() {
        assert_eq!(
            normalized("unable to read: '../../m.json', x"),
            "m.json', x"
        );
        assert_eq!(normalized("a/../../b/./c"), "../b/c");
        assert_eq!(normalized("a/.."), ".");
    }

    #[test]
    fn column_patterns_match_at_the_start() {
        let pattern = ColumnPattern::new(&["train".to_string(), "seed$".to_string()])
            .expect("valid")
            .expect("some");
        assert!(pattern.matches("train.lr"));
        assert!(pattern.matches("seed"));
        assert!(!pattern.matches("x.train"));
        assert!(ColumnPattern::new(&[]).expect("valid").is_none());
        assert!(ColumnPattern::new(&["(".to_string()]).is_err());
    }
}
