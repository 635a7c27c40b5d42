//! An opened repository ready for data operations: validated configuration, cache location,
//! link types, parallelism, the hash cache and git.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_data::odb::{CacheLayout, Odb};
use dv_data::state::State;
use dv_fs::link::LinkType;
use dv_schema::config::Table;
use dv_schema::hash::HashName;
use dv_schema::repo_path::RepoPath;
use dv_scm::Git;

use crate::config::Config;
use crate::environment::Environment;
use crate::error::ConfigError;
use crate::lock::RepoLock;
use crate::repo::Repo;

/// A repository opened for a command.
#[derive(Debug)]
pub struct Workspace {
    repo: Repo,
    config: Table,
    environment: Environment,
    /// Found on first use: most commands that only read never ask (a `git` process each time).
    git: std::sync::OnceLock<Option<Git>>,
    /// `core.no_scm` is set.
    no_scm: bool,
    /// The repository lock while held (released while stage commands run, as DVC does).
    lock: std::sync::Mutex<Option<RepoLock>>,
    /// The stage files of the working tree, once listed, for commands that only read them
    /// ([`Workspace::keep_stage_files`]).
    stage_files: std::sync::Mutex<StageFilesMemo>,
}

/// Whether, and what, the workspace remembers of the stage-file walk.
#[derive(Debug, Default)]
enum StageFilesMemo {
    /// Every listing walks the tree again (commands that write stage files).
    #[default]
    Off,
    /// Remember the first listing.
    On,
    /// The remembered listing.
    Listed(
        Vec<(
            dv_schema::repo_path::RepoPath,
            dv_pipeline::files::EntryKind,
        )>,
    ),
}

impl Workspace {
    /// Lists the stage files of the working tree once for the rest of this workspace's life:
    /// for commands that read stage files and never write them (`status`), so that their
    /// parts share one walk.
    pub fn keep_stage_files(&self) {
        let mut memo = self.stage_files.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*memo, StageFilesMemo::Off) {
            *memo = StageFilesMemo::On;
        }
    }

    /// The remembered stage-file listing, or `list()` (remembered when asked to).
    pub(crate) fn stage_files_with(
        &self,
        list: impl FnOnce() -> anyhow::Result<
            Vec<(
                dv_schema::repo_path::RepoPath,
                dv_pipeline::files::EntryKind,
            )>,
        >,
    ) -> anyhow::Result<
        Vec<(
            dv_schema::repo_path::RepoPath,
            dv_pipeline::files::EntryKind,
        )>,
    > {
        let mut memo = self.stage_files.lock().unwrap_or_else(|e| e.into_inner());
        match &*memo {
            StageFilesMemo::Listed(files) => Ok(files.clone()),
            StageFilesMemo::Off => list(),
            StageFilesMemo::On => {
                let files = list()?;
                *memo = StageFilesMemo::Listed(files.clone());
                Ok(files)
            }
        }
    }

    /// Finds the repository around the working directory, loads and validates its
    /// configuration, and takes the repository lock.
    pub fn open(environment: &Environment) -> anyhow::Result<Workspace> {
        let repo = Repo::discover(&environment.cwd)?;
        let config = Config::new(Some(repo.dvc_dir()), environment).load_validated()?;
        let no_scm = config
            .table("core")
            .and_then(|c| c.str("no_scm"))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let lock = RepoLock::acquire(&repo.tmp_dir().join("lock"))?;
        Ok(Workspace {
            repo,
            config,
            environment: environment.clone(),
            git: std::sync::OnceLock::new(),
            no_scm,
            lock: std::sync::Mutex::new(Some(lock)),
            stage_files: std::sync::Mutex::default(),
        })
    }

    /// Another repository opened to read from (`ls`, `get`, `import`): `config` merged by the
    /// caller, no lock taken, nothing written to it.
    pub(crate) fn open_source(
        root: PathBuf,
        config: Table,
        environment: &Environment,
        git: Option<Git>,
    ) -> Workspace {
        Workspace {
            repo: Repo::at(root),
            config,
            environment: environment.clone(),
            git: std::sync::OnceLock::from(git),
            no_scm: false,
            lock: std::sync::Mutex::new(None),
            stage_files: std::sync::Mutex::default(),
        }
    }

    /// Releases the repository lock (DVC's `unlocked_repo`, while a stage's command runs, so
    /// that the command can run `dvc`/`dv` on the same repository). No-op when not held.
    pub fn release_lock(&self) {
        if let Ok(mut held) = self.lock.lock() {
            held.take();
        }
    }

    /// Takes the repository lock again after [`Workspace::release_lock`] (retrying like the
    /// first time); no-op when held.
    pub fn reacquire_lock(&self) -> Result<(), crate::lock::LockError> {
        let mut held = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if held.is_none() {
            *held = Some(RepoLock::acquire(&self.repo.tmp_dir().join("lock"))?);
        }
        Ok(())
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        self.repo.root()
    }

    /// The repository.
    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The merged, validated configuration.
    pub fn config(&self) -> &Table {
        &self.config
    }

    /// The environment (working directory, variables).
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// git, unless the repository has none or `core.no_scm` is set.
    pub fn git(&self) -> Option<&Git> {
        self.git
            .get_or_init(|| {
                (!self.no_scm)
                    .then(|| Git::discover(self.repo.root()))
                    .flatten()
            })
            .as_ref()
    }

    fn option(&self, section: &str, key: &str) -> Option<&str> {
        self.config.table(section).and_then(|s| s.str(key))
    }

    /// `core.autostage`.
    pub fn autostage(&self) -> bool {
        self.option("core", "autostage")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The cache directory: `cache.dir` (already absolute) or `.dvc/cache`.
    pub fn cache_dir(&self) -> PathBuf {
        match self.option("cache", "dir") {
            Some(dir) => PathBuf::from(dir),
            None => self.repo.dvc_dir().join("cache"),
        }
    }

    /// The object database for outputs hashed with `hash_name` (DVC 3 `files/md5/` or the
    /// legacy 2.x layout at the cache root).
    pub fn odb(&self, hash_name: HashName) -> Odb {
        let shared = self
            .config
            .table("cache")
            .and_then(|cache| cache.str("shared"))
            .is_some_and(|shared| shared == "group");
        Odb::new(self.cache_dir(), CacheLayout::for_hash_name(hash_name)).shared_with_group(shared)
    }

    /// `cache.type` as link types to try in order (default `reflink,copy`).
    pub fn link_types(&self) -> Result<Vec<LinkType>, ConfigError> {
        let Some(setting) = self.config.table("cache").and_then(|c| c.setting("type")) else {
            return Ok(dv_fs::link::DEFAULT_LINK_TYPES.to_vec());
        };
        let text = match &setting.value {
            dv_schema::config::Value::Str(s) => s.clone(),
            dv_schema::config::Value::List(items) => items.join(","),
        };
        LinkType::parse_list(&text).map_err(|e| ConfigError(e.to_string()))
    }

    /// Threads for hashing and linking: `-j`, else `core.checksum_jobs`, else every core (DVC
    /// uses at most four; dv is not bound by Python's overheads); capped at
    /// [`dv_data::max_threads`], as the repository's config is not trusted.
    pub fn jobs(&self, requested: Option<usize>) -> NonZeroUsize {
        let jobs = requested
            .or_else(|| {
                self.option("core", "checksum_jobs")
                    .and_then(|v| v.trim().parse().ok())
            })
            .and_then(NonZeroUsize::new)
            .unwrap_or_else(dv_data::pool::cores);
        dv_data::cap_threads(jobs)
    }

    /// The hash cache, `.dvc/tmp/dv/state`.
    pub fn load_state(&self) -> State {
        State::load(&self.repo.tmp_dir().join("dv").join("state"))
    }

    /// `path` as DVC shows it: relative to the working directory, `/`-separated.
    pub fn display_path(&self, path: &Path) -> String {
        let cwd = std::fs::canonicalize(&self.environment.cwd)
            .unwrap_or_else(|_| self.environment.cwd.clone());
        crate::path::relative(path, &cwd)
    }

    /// `path` (relative to the working directory or absolute) as an absolute path, resolved
    /// lexically and against the canonical working directory.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        let cwd = std::fs::canonicalize(&self.environment.cwd)
            .unwrap_or_else(|_| self.environment.cwd.clone());
        crate::path::normalize(&cwd.join(path))
    }

    /// Saves the hash cache, ignoring failures (it is only a cache).
    pub fn save_state(&self, state: &mut State) {
        let _ = state
            .save()
            .with_context(|| "failed to save the hash cache".to_string());
    }
}

/// The working directory as a repository path (the root when it is outside).
pub fn repo_cwd(workspace: &Workspace) -> RepoPath {
    let cwd = workspace.absolute(Path::new("."));
    let relative = crate::path::relative(&cwd, workspace.root());
    if relative == "." || relative.starts_with("..") {
        return RepoPath::root();
    }
    RepoPath::new(&relative).unwrap_or_else(|_| RepoPath::root())
}

/// The repository path of an absolute path inside the repository.
pub fn repo_path_of(workspace: &Workspace, path: &Path) -> Option<RepoPath> {
    let relative = crate::path::relative(path, workspace.root());
    if relative == "." {
        return Some(RepoPath::root());
    }
    if relative.starts_with("..") {
        return None;
    }
    RepoPath::new(&relative).ok()
}

/// The absolute path of a repository path.
pub fn absolute(workspace: &Workspace, path: &RepoPath) -> PathBuf {
    path.components()
        .fold(workspace.root().to_path_buf(), |full, part| full.join(part))
}
