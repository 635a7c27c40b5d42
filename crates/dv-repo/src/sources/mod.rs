//! Other repositories as data sources (`ls`, `get`, `import`, `update` and `pull` of repo
//! imports): a source repository opened at a revision, read through the one `Index`, and the
//! places its objects are fetched from.
//!
//! - here: [`SourceRepo`]: a local DVC repository without `--rev` is read in place (its
//!   working tree, as DVC reads it; for `ls` and `du`, [`Opening::Listing`], any local
//!   directory); any other source (a `file://` or git URL, a plain git
//!   repository, any `--rev`) is read from its clone in the clone cache (`clones`), with the
//!   files of the revision written beside the mirror. Either way the source is a read-only
//!   [`Workspace`] (no lock taken, nothing written into it).
//! - `clones`: the clone cache (mirror clones kept between commands, one lock per clone).
//! - `select`: what a path names in a source (an output, a part of a directory output, git
//!   files, or a directory holding both), its objects fetched and its files written out.
//! - `download`: such a path written out as plain files, atomically (`get`, `artifacts get`),
//!   and where its data is stored (`--show-url`).
//! - `files`: the source's files as DVC's local or git filesystem lists them, with the
//!   ignore rules of each repository in it.
//! - `view`: the source as DVC's `DVCFileSystem` lists it (`ls`, `du`): its files merged with
//!   the outputs it (and each repository nested in it) records and the files of their `.dir`
//!   manifests.
//!
//! Objects come by hash from the source's own cache when the source is on this machine, then
//! from its default remote (or the one `--remote`/`--config` name): every download is
//! verified against its name, so a hostile source cannot put other content under a hash.

pub(crate) mod clones;
pub use clones::CloneFailed;
pub(crate) mod download;
pub(crate) mod files;
pub(crate) mod import;
pub(crate) mod select;
pub(crate) mod view;

pub use files::PathError;
pub use view::DirectoryNotLoaded;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dv_data::odb::Odb;
use dv_data::progress::Progress;
use dv_remote::{Remote, RemoteConfig};
use dv_schema::config::{Node, Setting, Table};
use dv_schema::hash::{HashName, ObjectId};
use dv_schema::yaml::{Mapping, Value};
use dv_scm::Git;

use crate::config::Config;
use crate::environment::Environment;
use crate::error::{CommandError, ConfigError};
use crate::remotes::{RemoteFailure, remote_section};
use crate::transfer::{self, Downloaded};
use crate::workspace::Workspace;

/// How a source repository was named and configured (the `repo:` of an import).
#[derive(Debug, Clone, Default)]
pub struct SourceSpec {
    /// `url`: a local path or a git URL, as given.
    pub url: String,
    /// `rev`: the revision as given (`None`: the source's `HEAD`, or a local working tree).
    pub rev: Option<String>,
    /// `--config`: a configuration file merged over the source's.
    pub config: Option<String>,
    /// `--remote`: the source's remote to fetch from.
    pub remote: Option<String>,
    /// `--remote-config`: options for that remote (or the source's default remote).
    pub remote_config: Vec<(String, String)>,
}

impl SourceSpec {
    /// The spec an import's dependency records (`repo: {url, rev, config, remote}`).
    pub fn from_recorded(repo: &Value) -> SourceSpec {
        let field = |key: &str| match repo {
            Value::Mapping(map) => map.get(key),
            _ => None,
        };
        let text = |key: &str| field(key).and_then(Value::as_str).map(str::to_owned);
        let mut spec = SourceSpec {
            url: text("url").unwrap_or_default(),
            rev: text("rev"),
            config: text("config"),
            remote: text("remote"),
            remote_config: Vec::new(),
        };
        if let Some(Value::Mapping(options)) = field("remote") {
            spec.remote_config = string_pairs(options);
        }
        if let Some(Value::Mapping(config)) = field("config") {
            // `--remote` with `--remote-config` is recorded as a config fragment.
            if let Some(Value::Mapping(core)) = config.get("core") {
                spec.remote = core
                    .get("remote")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            if let (Some(name), Some(Value::Mapping(remotes))) =
                (&spec.remote, config.get("remote"))
                && let Some(Value::Mapping(options)) = remotes.get(name.as_str())
            {
                spec.remote_config = string_pairs(options);
            }
        }
        spec
    }

    /// The `repo:` mapping DVC writes (keys in DVC's order: `url`, `rev`, `rev_lock`,
    /// `config`, `remote`); `rev_lock` is added by the caller.
    pub fn recorded(&self, rev_lock: Option<&str>) -> Value {
        let mut map = Mapping::new();
        map.insert("url".into(), Value::from(self.url.clone()));
        if let Some(rev) = &self.rev {
            map.insert("rev".into(), Value::from(rev.clone()));
        }
        if let Some(lock) = rev_lock {
            map.insert("rev_lock".into(), Value::from(lock.to_owned()));
        }
        let options = || {
            let mut options = Mapping::new();
            for (key, value) in &self.remote_config {
                options.insert(key.clone().into(), Value::from(value.clone()));
            }
            options
        };
        match (&self.remote, self.remote_config.is_empty()) {
            (Some(name), false) => {
                let mut core = Mapping::new();
                core.insert("remote".into(), Value::from(name.clone()));
                let mut remotes = Mapping::new();
                remotes.insert(name.clone().into(), Value::Mapping(options()));
                let mut config = Mapping::new();
                config.insert("core".into(), Value::Mapping(core));
                config.insert("remote".into(), Value::Mapping(remotes));
                map.insert("config".into(), Value::Mapping(config));
            }
            (remote, no_options) => {
                if let Some(config) = &self.config {
                    map.insert("config".into(), Value::from(config.clone()));
                }
                if let Some(name) = remote {
                    map.insert("remote".into(), Value::from(name.clone()));
                } else if !no_options {
                    map.insert("remote".into(), Value::Mapping(options()));
                }
            }
        }
        Value::Mapping(map)
    }
}

fn string_pairs(map: &Mapping) -> Vec<(String, String)> {
    map.iter()
        .filter_map(|(key, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((key.as_str()?.to_owned(), value))
        })
        .collect()
}

/// A source repository opened at a revision, read-only.
#[derive(Debug)]
pub struct SourceRepo {
    /// The URL as given.
    pub url: String,
    /// The source's files and configuration.
    pub(crate) workspace: Workspace,
    /// The commit read (`rev_lock`); `None` for a local working tree outside git.
    pub rev_lock: Option<String>,
    /// Whether the source is a DVC repository (a plain git repository has only git files).
    pub is_dvc: bool,
    /// The cache of a source on this machine, read before any remote.
    local_cache: Option<PathBuf>,
    /// The directory on this machine a clone was made from (its caches are read first).
    origin: Option<PathBuf>,
    /// The remote to fetch from, with its options (none configured: `None`).
    remote: Option<(String, BTreeMap<String, String>)>,
    /// Held while the clone's files are read.
    _clone: Option<clones::Clone>,
}

/// How a source should be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening<'a> {
    /// At the revision of the spec (`None`: `HEAD`, or a local repository's working tree).
    AsSpecified,
    /// At a commit recorded before (`rev_lock`).
    Locked(&'a str),
    /// At the newest commit of the spec's revision (`update`).
    Newest,
    /// As DVC's `ls` and `du` open a source: like [`Opening::AsSpecified`], except that
    /// without a revision any local directory is read in place (the DVC repository holding
    /// it, else the directory itself, a plain git work tree or not).
    Listing,
}

impl SourceRepo {
    /// Opens the source `spec` names. `config` is the importing repository's configuration,
    /// if any (for `core.site_cache_dir`).
    pub fn open(
        environment: &Environment,
        config: Option<&Table>,
        spec: &SourceSpec,
        opening: Opening<'_>,
    ) -> anyhow::Result<SourceRepo> {
        let local = local_path(environment, &spec.url);
        let in_place = match (opening, &local) {
            _ if spec.rev.is_some() => None,
            (Opening::AsSpecified, Some(path)) if path.join(".dvc").is_dir() => Some(path.clone()),
            (Opening::Listing, Some(path)) => {
                Some(dvc_root_above(path).unwrap_or_else(|| path.clone()))
            }
            _ => None,
        };
        if let Some(root) = in_place {
            let git = Git::discover(&root);
            let rev_lock = git.as_ref().and_then(|git| head_commit(git.root()));
            let is_dvc = root.join(".dvc").is_dir();
            let table = source_config(&root, None, environment, spec)?;
            let local_cache = is_dvc.then(|| cache_dir_of(&root, &table));
            let remote = chosen_remote(&table, spec)?;
            let workspace = Workspace::open_source(root, table, environment, git);
            return Ok(SourceRepo {
                url: spec.url.clone(),
                workspace,
                rev_lock,
                is_dvc,
                local_cache,
                remote,
                origin: None,
                _clone: None,
            });
        }
        // DVC opens a local directory at a revision through the git repository holding it
        // (the repository's root, whatever directory inside it was named).
        let mut local = local;
        if let (Opening::Listing, Some(path)) = (opening, &local) {
            match Git::discover(path) {
                Some(git) => local = Some(git.root().to_path_buf()),
                None => {
                    return Err(CommandError(format!(
                        "{} is not a git repository",
                        path.display()
                    ))
                    .into());
                }
            }
        }
        let git_url = match &local {
            Some(path) => path.to_string_lossy().into_owned(),
            None => spec.url.clone(),
        };
        let wanted = match opening {
            Opening::Locked(commit) => clones::Wanted::Locked(commit),
            Opening::AsSpecified | Opening::Newest | Opening::Listing => {
                clones::Wanted::Rev(spec.rev.as_deref())
            }
        };
        let (clone, commit) = clones::open(environment, config, &git_url, wanted)?;
        clone
            .mirror
            .write_tree(&commit, &clone.tree)
            .map_err(|error| CommandError(format!("failed to read revision {commit}: {error}")))?;
        let root = clone.tree.clone();
        let is_dvc = root.join(".dvc").is_dir();
        let table = source_config(&root, local.as_deref(), environment, spec)?;
        // A source on this machine: its own cache (with its local configuration) first.
        let origin = local.or_else(|| file_url_path(&spec.url));
        let local_cache = origin
            .as_deref()
            .and_then(|path| local_cache_of(path, environment));
        let remote = chosen_remote(&table, spec)?;
        let workspace = Workspace::open_source(root, table, environment, None);
        Ok(SourceRepo {
            url: spec.url.clone(),
            workspace,
            rev_lock: Some(commit),
            is_dvc,
            local_cache,
            remote,
            origin,
            _clone: Some(clone),
        })
    }

    /// The source's root directory (its working tree, or the clone's files).
    pub fn root(&self) -> &Path {
        self.workspace.root()
    }

    /// The git directory of the clone the source is read from (`None`: read in place).
    pub(crate) fn clone_git_dir(&self) -> Option<&Path> {
        self._clone.as_ref().map(|clone| clone.mirror.git_dir())
    }

    /// Where an object would be downloaded from, for `--show-url`: the remote's URL of it,
    /// else its path in the source's cache.
    pub fn object_url(&self, hash_name: HashName, id: &ObjectId) -> Option<String> {
        if let Some((_, options)) = &self.remote
            && let Some(url) = options.get("url")
        {
            let key = transfer::key(id, transfer::layout(hash_name));
            return Some(format!(
                "{}/{}",
                url.trim_end_matches('/'),
                key.remote_path()
            ));
        }
        let cache = self.local_cache.as_ref()?;
        Some(
            Odb::new(cache, dv_data::odb::CacheLayout::for_hash_name(hash_name))
                .object_path(id)
                .display()
                .to_string(),
        )
    }

    /// Downloads `ids` (with their sizes when known) into `odb`, from the source's cache and
    /// then its remote; what neither has is reported missing.
    pub(crate) fn fetch(
        &self,
        odb: &Odb,
        ids: &[(ObjectId, Option<u64>)],
        jobs: Option<usize>,
        progress: &Progress,
    ) -> anyhow::Result<Downloaded> {
        let layout = transfer::layout(odb.hash_name());
        let mut wanted: Vec<(ObjectId, Option<u64>)> = ids
            .iter()
            .filter(|(id, _)| !odb.contains(id))
            .cloned()
            .collect();
        wanted.dedup_by(|a, b| a.0 == b.0);
        let mut outcome = Downloaded::default();
        let environment: Vec<(String, String)> = self
            .workspace
            .environment()
            .vars()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        let mut upstreams: Vec<RemoteConfig> = Vec::new();
        if let Some(cache) = &self.local_cache {
            let options = [("url".to_owned(), cache.to_string_lossy().into_owned())];
            upstreams.push(RemoteConfig::new(
                "auto-generated-upstream",
                options,
                environment.clone(),
            ));
        }
        if let Some((name, options)) = &self.remote {
            upstreams.push(RemoteConfig::new(
                name.clone(),
                options.clone(),
                environment.clone(),
            ));
        }
        for config in upstreams {
            if wanted.is_empty() {
                break;
            }
            let remote = Remote::open(&config).map_err(RemoteFailure)?;
            let done =
                transfer::download_into_cache(odb, &remote, layout, &wanted, jobs, progress)?;
            outcome.fetched += done.fetched;
            outcome.failures.extend(done.failures);
            wanted.retain(|(id, _)| done.missing.contains(id));
        }
        outcome.missing = wanted.into_iter().map(|(id, _)| id).collect();
        Ok(outcome)
    }

    /// The object `id` in the source's own cache, when the source is on this machine and
    /// its cache has it.
    pub(crate) fn cached_object(&self, hash_name: HashName, id: &ObjectId) -> Option<PathBuf> {
        let cache = self.local_cache.as_ref()?;
        let path =
            Odb::new(cache, dv_data::odb::CacheLayout::for_hash_name(hash_name)).object_path(id);
        path.is_file().then_some(path)
    }
}

/// `url` as a local directory (absolute), when it names one.
pub(crate) fn local_path(environment: &Environment, url: &str) -> Option<PathBuf> {
    if url.contains("://") || url.is_empty() {
        return None;
    }
    let path = environment.absolute(Path::new(url));
    path.is_dir()
        .then(|| std::fs::canonicalize(&path).unwrap_or(path))
}

/// The nearest directory from `dir` up that holds a `.dvc` directory, not crossing a mount
/// point (DVC's `Repo.find_root`).
fn dvc_root_above(dir: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut current = dir.to_path_buf();
    loop {
        if current.join(".dvc").is_dir() {
            return Some(current);
        }
        let parent = current.parent()?.to_path_buf();
        let (here, above) = (
            std::fs::metadata(&current).ok()?,
            std::fs::metadata(&parent).ok()?,
        );
        if here.dev() != above.dev() {
            return None;
        }
        current = parent;
    }
}

/// The directory of a `file://` URL.
fn file_url_path(url: &str) -> Option<PathBuf> {
    let path = PathBuf::from(url.strip_prefix("file://")?);
    path.is_dir().then_some(path)
}

/// The commit checked out in the work tree at `root`.
fn head_commit(root: &Path) -> Option<String> {
    let history = dv_scm::history::History::open(root).ok()?;
    history.resolve("HEAD").ok().map(|id| id.to_string())
}

/// The cache of the DVC repository at `root` on this machine (with its local configuration),
/// if `root` is one.
fn local_cache_of(root: &Path, environment: &Environment) -> Option<PathBuf> {
    if !root.join(".dvc").is_dir() {
        return None;
    }
    let table = Config::new(Some(root.join(".dvc")), environment)
        .load_to_level(None)
        .ok()?;
    Some(cache_dir_of(root, &table))
}

/// The cache directory a configuration names for the repository at `root`.
fn cache_dir_of(root: &Path, table: &Table) -> PathBuf {
    match table.table("cache").and_then(|cache| cache.str("dir")) {
        Some(dir) => root.join(".dvc").join(dir),
        None => root.join(".dvc").join("cache"),
    }
}

/// The source's configuration (with its default remote as configured at `origin`, the local
/// repository a clone was made of) with `--config`, `--remote` and `--remote-config` applied.
fn source_config(
    root: &Path,
    origin: Option<&Path>,
    environment: &Environment,
    spec: &SourceSpec,
) -> anyhow::Result<Table> {
    let config = Config::new(Some(root.join(".dvc")), environment);
    let mut table = config.load_to_level(None)?;
    if let Some(origin) = origin {
        origin_remote(origin, environment, &mut table);
    }
    if let Some(file) = &spec.config {
        let path = environment.absolute(Path::new(file));
        let bytes = std::fs::read(&path).map_err(|error| {
            CommandError(format!(
                "failed to read config '{}': {error}",
                path.display()
            ))
        })?;
        let extra = dv_schema::config::parse(&bytes, Some(std::sync::Arc::new(path.clone())))
            .map_err(|error| {
                CommandError(format!(
                    "{} at line {} of '{}'",
                    error.kind,
                    error.line,
                    path.display()
                ))
            })?;
        table.merge(&extra);
    }
    if let Some(name) = &spec.remote {
        table
            .table_mut("core")
            .insert("remote", Node::Setting(Setting::new(name.clone())));
    }
    if !spec.remote_config.is_empty() {
        let name = table
            .table("core")
            .and_then(|core| core.str("remote"))
            .map(str::to_owned)
            .unwrap_or_default();
        let section = table.table_mut("remote").table_mut(&name.to_lowercase());
        for (key, value) in &spec.remote_config {
            section.insert(key.clone(), Node::Setting(Setting::new(value.clone())));
        }
    }
    Ok(table)
}

/// A local repository read at a commit (through its clone): DVC opens it in place, its
/// default remote as its own configuration says (URLs relative to the repository itself, its
/// `config.local` included).
fn origin_remote(origin: &Path, environment: &Environment, table: &mut Table) {
    let Ok(own) = Config::new(Some(origin.join(".dvc")), environment).load_to_level(None) else {
        return;
    };
    let Some(name) = own
        .table("core")
        .and_then(|core| core.str("remote"))
        .filter(|name| !name.is_empty())
        .map(str::to_lowercase)
    else {
        return;
    };
    if let Some(section) = own.table("remote").and_then(|remotes| remotes.table(&name)) {
        table
            .table_mut("remote")
            .insert(name.clone(), Node::Table(section.clone()));
    }
}

/// The remote objects come from: the configured default remote with its options.
fn chosen_remote(
    table: &Table,
    spec: &SourceSpec,
) -> anyhow::Result<Option<(String, BTreeMap<String, String>)>> {
    let name = table
        .table("core")
        .and_then(|core| core.str("remote"))
        .filter(|name| !name.is_empty())
        .map(str::to_lowercase);
    let Some(name) = name else {
        return Ok(None);
    };
    match remote_section(table, &name, 0) {
        Ok(options) => Ok(Some((name, options))),
        Err(_) if spec.remote.is_none() => Ok(None),
        Err(_) => Err(ConfigError(unknown_remote_message(&name)).into()),
    }
}

fn unknown_remote_message(name: &str) -> String {
    format!("remote '{name}' doesn't exist")
}

/// Whether opening a source failed because `--remote` names a remote it does not have (which
/// DVC reports as a config file error where it surfaces while downloading).
pub(crate) fn is_unknown_remote(error: &anyhow::Error, spec: &SourceSpec) -> bool {
    let Some(name) = &spec.remote else {
        return false;
    };
    error
        .downcast_ref::<ConfigError>()
        .is_some_and(|error| error.0 == unknown_remote_message(&name.to_lowercase()))
}
