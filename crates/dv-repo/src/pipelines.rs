//! The pipelines of a repository (spec §7-9): every `dvc.yaml` found in the working tree,
//! loaded and resolved, its stages placed and linked into the stage graph, and the workspace
//! as change detection sees it (hashes through the hash cache, objects in the cache).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use dv_data::build::{self, BuildOptions, Built};
use dv_data::state::State;
use dv_pipeline::files::{FileContent, FileSource, WorkingTree};
use dv_pipeline::graph::{GraphError, StageGraph};
use dv_pipeline::resolve::{self, DVC_YAML, LoadOptions};
use dv_pipeline::stage::{EntryPath, Stage};
use dv_pipeline::status::{EntryHash, EntryRole, HashValue, WorkspaceError};
use dv_schema::hash::{HashName, ObjectId};
use dv_schema::lock_file::{LockFile, LockStage};
use dv_schema::repo_path::RepoPath;

use crate::error::DvcError;
use crate::outputs::in_cache_with;
use crate::workspace::{Workspace, absolute, repo_cwd, repo_path_of};

/// The file name of lock files.
pub const DVC_LOCK: &str = "dvc.lock";

/// The pipelines of a repository.
#[derive(Debug)]
pub struct Pipelines {
    /// Every stage, in collection order (files in walk order, stages in file order).
    pub stages: Vec<Stage>,
    /// The stage graph, by index into `stages`.
    pub graph: StageGraph,
    /// The working directory inside the repository.
    pub cwd: RepoPath,
    /// Warnings from loading (`dvc.yaml` templating).
    pub warnings: Vec<String>,
}

/// Every `dvc.yaml` of the working tree, in DVC's walk order: honouring `.dvcignore`, skipping
/// `.git`, `.dvc` and nested repositories ([`crate::index::stage_files`]).
fn collect_files(workspace: &Workspace) -> anyhow::Result<Vec<RepoPath>> {
    Ok(crate::index::stage_files(workspace)?
        .into_iter()
        .filter(|path| path.file_name() == DVC_YAML)
        .collect())
}

impl Pipelines {
    /// Loads every `dvc.yaml` of the repository and builds the stage graph (DVC's checks:
    /// duplicate and overlapping outputs, cycles). `extra` stages (from `dvc stage add`)
    /// replace stages of the same file and name or are appended.
    pub fn load(workspace: &Workspace, extra: Option<Stage>) -> anyhow::Result<Pipelines> {
        Self::load_with(workspace, extra, true)
    }

    /// Loads every `dvc.yaml` without the graph checks, as `dvc status` does: duplicate or
    /// overlapping outputs and cycles fail only the commands that need the graph. The graph
    /// of the result is empty.
    pub fn load_unchecked(workspace: &Workspace) -> anyhow::Result<Pipelines> {
        Self::load_with(workspace, None, false)
    }

    /// [`Pipelines::load`] when the repository has a `dvc.yaml`, `None` otherwise (one walk
    /// either way): what commands that also work on `.dvc` files alone ask.
    pub fn load_any(workspace: &Workspace) -> anyhow::Result<Option<Pipelines>> {
        let files = collect_files(workspace)?;
        if files.is_empty() {
            return Ok(None);
        }
        Self::load_files(workspace, files, None, true).map(Some)
    }

    fn load_with(
        workspace: &Workspace,
        extra: Option<Stage>,
        checked: bool,
    ) -> anyhow::Result<Pipelines> {
        Self::load_files(workspace, collect_files(workspace)?, extra, checked)
    }

    fn load_files(
        workspace: &Workspace,
        files: Vec<RepoPath>,
        extra: Option<Stage>,
        checked: bool,
    ) -> anyhow::Result<Pipelines> {
        let cwd = repo_cwd(workspace);
        let source = WorkingTree::new(workspace.root());
        let options = LoadOptions {
            cwd: cwd.clone(),
            ..LoadOptions::default()
        };
        let mut stages = Vec::new();
        let mut warnings = Vec::new();
        for path in files {
            let file = resolve::load(&source, &path, &options)
                .map_err(|error| DvcError(error.to_string()))?;
            warnings.extend(file.warnings.iter().cloned());
            for stage in Stage::all(&file).map_err(|error| DvcError(error.to_string()))? {
                stages.push(stage);
            }
        }
        // DVC checks a new stage ahead of the others (`Index.update`), and names only the
        // existing stage when the new one duplicates its output.
        let extra_addressing = extra.as_ref().map(|stage| stage.addressing(&cwd));
        if let Some(extra) = extra {
            stages.retain(|stage| !(stage.file == extra.file && stage.name == extra.name));
            stages.insert(0, extra);
        }
        let nodes: Vec<_> = if checked {
            stages.iter().map(|stage| stage.graph_node(&cwd)).collect()
        } else {
            Vec::new()
        };
        let graph = StageGraph::build(&nodes).map_err(|error| match error {
            GraphError::OutputDuplication { output, mut stages }
                if stages.len() > 1 && extra_addressing.is_some() =>
            {
                stages.retain(|stage| Some(stage) != extra_addressing.as_ref());
                DvcError(GraphError::OutputDuplication { output, stages }.to_string())
            }
            other => DvcError(other.to_string()),
        })?;
        Ok(Pipelines {
            stages,
            graph,
            cwd,
            warnings,
        })
    }

    /// The stages a target names: a stage addressing (`name`, `path/dvc.yaml:name`) or a
    /// `dvc.yaml` (all its stages).
    pub fn resolve_target(&self, workspace: &Workspace, target: &str) -> Option<Vec<usize>> {
        let (file, name) = match target.rsplit_once(':') {
            Some((file, name)) if file.ends_with(DVC_YAML) => (Some(file), Some(name)),
            _ if target.ends_with(DVC_YAML) => (Some(target), None),
            _ => (None, Some(target)),
        };
        let file = match file {
            Some(file) => repo_path_of(workspace, &workspace.absolute(Path::new(file)))?,
            None => {
                let dir = self.cwd.clone();
                match dir.join(DVC_YAML) {
                    dv_schema::repo_path::Joined::Inside(path) => path,
                    dv_schema::repo_path::Joined::Outside { .. } => return None,
                }
            }
        };
        let found: Vec<usize> = self
            .stages
            .iter()
            .enumerate()
            .filter(|(_, stage)| {
                stage.file == file
                    && name.is_none_or(|name| {
                        stage.name == name || stage.group.as_deref() == Some(name)
                    })
            })
            .map(|(index, _)| index)
            .collect();
        (!found.is_empty()).then_some(found)
    }
}

/// The `dvc.lock` next to a `dvc.yaml`.
pub fn lock_path(dvc_yaml: &RepoPath) -> RepoPath {
    match dvc_yaml.parent().join(DVC_LOCK) {
        dv_schema::repo_path::Joined::Inside(path) => path,
        dv_schema::repo_path::Joined::Outside { .. } => {
            RepoPath::new(DVC_LOCK).expect("a valid repository path")
        }
    }
}

/// Reads the `dvc.lock` next to `dvc_yaml`: its text (if it exists) and content.
pub fn read_lock(
    workspace: &Workspace,
    dvc_yaml: &RepoPath,
) -> anyhow::Result<(Option<String>, LockFile)> {
    read_lock_from(workspace, &WorkingTree::new(workspace.root()), dvc_yaml)
}

/// [`read_lock`] through `source` (the working tree, or a revision).
pub fn read_lock_from(
    workspace: &Workspace,
    source: &dyn FileSource,
    dvc_yaml: &RepoPath,
) -> anyhow::Result<(Option<String>, LockFile)> {
    let lock_path = lock_path(dvc_yaml);
    let path = absolute(workspace, &lock_path);
    let failed = |error: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "failed to read '{}': {error}",
            workspace.display_path(&path)
        )
    };
    let text = match source
        .read_text(&lock_path)
        .map_err(|error| failed(&error))?
    {
        Some(text) => text,
        None => return Ok((None, LockFile::default())),
    };
    let lock = LockFile::from_yaml(&text).map_err(|error| {
        DvcError(format!(
            "'{}' format error: {error}",
            workspace.display_path(&path)
        ))
    })?;
    Ok((Some(text), lock))
}

/// The lock entry of `stage` in `lock`.
pub fn lock_entry<'a>(lock: &'a LockFile, stage: &Stage) -> Option<&'a LockStage> {
    lock.stage(&stage.name)
}

/// The repository's working tree and cache, as [`dv_pipeline::status::check`] sees them.
pub struct RepoWorkspace<'a> {
    workspace: &'a Workspace,
    state: &'a mut State,
    jobs: NonZeroUsize,
    /// The storages URL dependencies and outputs live on, opened once each.
    storages: crate::imports::url::Storages,
}

impl<'a> RepoWorkspace<'a> {
    /// Hashes through `state` on `jobs` threads.
    pub fn new(
        workspace: &'a Workspace,
        state: &'a mut State,
        jobs: NonZeroUsize,
    ) -> RepoWorkspace<'a> {
        RepoWorkspace {
            workspace,
            state,
            jobs,
            storages: crate::imports::url::Storages::default(),
        }
    }

    /// What DVC records for a URL dependency or output (`s3://`, `remote://NAME/...`,
    /// `http(s)://`): an S3 object's `etag` and `size`, an HTTP file's `checksum`; a
    /// `remote://` URL of a local remote is hashed like a local path. `None` when nothing is
    /// there.
    fn hash_url(
        &mut self,
        url: &str,
        hash_name: HashName,
    ) -> Result<Option<EntryHash>, WorkspaceError> {
        use crate::imports::url::{Source, UrlScope, resolve_url};
        use dv_remote::ExternalEntry;
        let scope = UrlScope {
            environment: self.workspace.environment(),
            config: self.workspace.config(),
        };
        let source = resolve_url(&scope, url, Default::default(), &mut self.storages)
            .map_err(|error| format!("{error:#}"))?;
        let (fs, path) = match source {
            Source::Local(path) => return self.hash_local(&path, hash_name),
            Source::External { fs, path } => (fs, path),
        };
        let fs = self
            .storages
            .get(fs)
            .map_err(|message| format!("failed to open '{url}': {message}"))?;
        let file = match fs
            .stat(&path)
            .map_err(|error| format!("'{url}': {error}"))?
        {
            None => return Ok(None),
            Some(ExternalEntry::File(file)) => file,
            Some(ExternalEntry::Directory) => {
                return Err(format!(
                    "'{url}' is a directory: directory URLs in stages are not supported by dv yet"
                )
                .into());
            }
        };
        let value = match (file.etag, file.checksum) {
            (Some(etag), _) => HashValue::Etag(etag),
            (None, Some(checksum)) => HashValue::Checksum(checksum),
            (None, None) => {
                return Err(format!("'{url}' has neither an ETag nor a checksum").into());
            }
        };
        Ok(Some(EntryHash {
            value,
            hash_name,
            size: file.size,
            nfiles: None,
            isexec: false,
        }))
    }

    /// The hash cache, for checks that go through it directly.
    pub(crate) fn state(&mut self) -> &mut State {
        self.state
    }

    /// Threads for hashing.
    pub(crate) fn jobs(&self) -> NonZeroUsize {
        self.jobs
    }

    /// Builds the object of a workspace path and stores it in the cache of `hash_name`.
    pub fn commit(&mut self, path: &Path, hash_name: HashName) -> anyhow::Result<Built> {
        let odb = self.workspace.odb(hash_name);
        let built = build::build_into(
            self.workspace.root(),
            path,
            &BuildOptions {
                hash_name,
                jobs: self.jobs,
            },
            self.state,
            &odb,
        )
        .map_err(|error| {
            anyhow::anyhow!(
                "failed to save '{}' to the cache: {error}",
                self.workspace.display_path(path)
            )
        })?;
        Ok(built)
    }
}

impl dv_pipeline::status::Workspace for RepoWorkspace<'_> {
    fn hash(
        &mut self,
        path: &EntryPath,
        hash_name: HashName,
        _role: EntryRole,
    ) -> Result<Option<EntryHash>, WorkspaceError> {
        let Some(full) = path.to_path(self.workspace.root()) else {
            let url = path.to_string();
            return self.hash_url(&url, hash_name);
        };
        self.hash_local(&full, hash_name)
    }

    fn read(&mut self, path: &EntryPath) -> Result<FileContent, WorkspaceError> {
        self.read_entry(path)
    }

    fn in_cache(&mut self, id: &ObjectId, hash_name: HashName) -> Result<bool, WorkspaceError> {
        let odb = self.workspace.odb(hash_name);
        Ok(in_cache_with(&odb, id, Some(&mut *self.state)))
    }
}

impl RepoWorkspace<'_> {
    /// The hash of a local file or directory, through the hash cache.
    fn hash_local(
        &mut self,
        full: &Path,
        hash_name: HashName,
    ) -> Result<Option<EntryHash>, WorkspaceError> {
        if std::fs::metadata(full).is_err() {
            return Ok(None);
        }
        let built = build::build(
            self.workspace.root(),
            full,
            &BuildOptions {
                hash_name,
                jobs: self.jobs,
            },
            self.state,
        )?;
        Ok(Some(match built {
            Built::File { md5, size, isexec } => EntryHash {
                value: HashValue::Md5(ObjectId::file(md5)),
                hash_name,
                size: Some(size),
                nfiles: None,
                isexec,
            },
            Built::Tree {
                id, size, nfiles, ..
            } => EntryHash {
                value: HashValue::Md5(id),
                hash_name,
                size: Some(size),
                nfiles: Some(nfiles),
                isexec: false,
            },
        }))
    }

    fn read_entry(&mut self, path: &EntryPath) -> Result<FileContent, WorkspaceError> {
        match path {
            EntryPath::Repo(repo_path) => {
                Ok(WorkingTree::new(self.workspace.root()).read(repo_path)?)
            }
            other => match other.to_path(self.workspace.root()) {
                Some(full) => match std::fs::metadata(&full) {
                    Ok(metadata) if metadata.is_dir() => Ok(FileContent::Directory),
                    Ok(_) => Ok(FileContent::File(std::fs::read(&full)?)),
                    Err(_) => Ok(FileContent::Missing),
                },
                None => Ok(FileContent::Missing),
            },
        }
    }
}

/// An output of a pipeline stage as its `dvc.lock` entry records it, with the `cache`, `push`
/// and `remote` of its `dvc.yaml` definition: what `push`, `fetch`, `checkout` and `status -c`
/// use of pipelines, like the outputs of `.dvc` files.
#[derive(Debug, Clone)]
pub(crate) struct LockedOutput {
    /// Absolute workspace path.
    pub(crate) path: PathBuf,
    /// The lock entry, with the definition's `cache`, `push` and `remote`.
    pub(crate) output: dv_schema::dvc_file::Output,
}

/// The recorded outputs of every stage of every `dvc.yaml` (stages never run have none), in
/// collection order.
pub(crate) fn locked_outputs(workspace: &Workspace) -> anyhow::Result<Vec<LockedOutput>> {
    let pipelines = Pipelines::load(workspace, None)?;
    let stages: Vec<&Stage> = pipelines.stages.iter().collect();
    Ok(locked_outputs_of(workspace, &stages)?
        .into_iter()
        .flatten()
        .collect())
}

/// The recorded outputs of each of `stages` (none for a stage never run), each `dvc.lock`
/// read once.
pub(crate) fn locked_outputs_of(
    workspace: &Workspace,
    stages: &[&Stage],
) -> anyhow::Result<Vec<Vec<LockedOutput>>> {
    locked_outputs_from(workspace, &WorkingTree::new(workspace.root()), stages)
}

/// [`locked_outputs_of`] with each `dvc.lock` read through `source` (a revision).
pub(crate) fn locked_outputs_from(
    workspace: &Workspace,
    source: &dyn FileSource,
    stages: &[&Stage],
) -> anyhow::Result<Vec<Vec<LockedOutput>>> {
    let mut locks: Vec<(RepoPath, LockFile)> = Vec::new();
    let mut found = Vec::new();
    for stage in stages {
        if !locks.iter().any(|(file, _)| *file == stage.file) {
            let (_, lock) = read_lock_from(workspace, source, &stage.file)?;
            locks.push((stage.file.clone(), lock));
        }
        let mut outputs = Vec::new();
        if let Some(lock) = locks
            .iter()
            .find(|(file, _)| *file == stage.file)
            .and_then(|(_, lock)| lock_entry(lock, stage))
        {
            for out in &stage.outs {
                let (Some(path), Some(recorded)) = (
                    out.path.to_path(workspace.root()),
                    lock.outs.iter().find(|entry| entry.path == out.def_path),
                ) else {
                    continue;
                };
                let mut output = recorded.clone();
                output.cache = out.definition.cache;
                output.push = out.definition.push;
                output.remote = out.definition.remote.clone();
                outputs.push(LockedOutput { path, output });
            }
        }
        found.push(outputs);
    }
    Ok(found)
}
