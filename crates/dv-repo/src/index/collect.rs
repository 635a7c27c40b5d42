//! Collecting the index: the one walk (through a [`FileSource`]) loading every stage file, or
//! only listing them; and loading the stages of one stage file.

use std::collections::HashSet;
use std::path::PathBuf;

use dv_pipeline::files::{DirEntry, EntryKind, FileSource, WorkingTree};
use dv_pipeline::graph::{GraphNode, StageGraph};
use dv_pipeline::resolve::{self, LoadOptions, PipelineFile};
use dv_pipeline::stage::Stage;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value, python_eq};

use super::dvc_file::DvcFileEntry;
use super::stage::RepoStage;
use super::walk::{self, DVC_FILE_SUFFIX};
use crate::error::DvcError;
use crate::workspace::Workspace;
use crate::workspace::repo_cwd;

/// The lock file DVC points users away from (`Did you mean: ...`).
pub(super) const DVC_LOCK: &str = "dvc.lock";
/// The separator of generated stage names.
pub(super) const JOIN: char = '@';

/// What to do with a stage file that cannot be loaded while collecting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnError {
    /// Fail (DVC's default).
    Fail,
    /// Leave the file out (`dvc stage list --all` without `--fail`).
    Skip,
}

/// Every stage of the repository.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    /// The stages, in DVC's collection order.
    pub(crate) stages: Vec<RepoStage>,
    /// The working directory inside the repository.
    pub(crate) cwd: RepoPath,
    /// The top-level `params`, `metrics` and `plots` of each `dvc.yaml`, in walk order.
    pub(crate) top_level: Vec<TopLevel>,
}

/// The top-level `params`, `metrics` and `plots` of one `dvc.yaml` (resolved).
#[derive(Debug, Clone)]
pub(crate) struct TopLevel {
    /// The `dvc.yaml`.
    pub(crate) file: RepoPath,
    /// `params:`: params files, relative to the file's directory.
    pub(crate) params: Vec<String>,
    /// `metrics:`: metrics files, relative to the file's directory.
    pub(crate) metrics: Vec<String>,
    /// `plots:`: each entry as written (a file path, or a mapping of one plot id to its
    /// properties or null).
    pub(crate) plots: Vec<Value>,
}

impl Index {
    /// Walks the working tree and loads every stage file (DVC's `Index.from_repo`).
    pub(crate) fn collect(workspace: &Workspace, on_error: OnError) -> anyhow::Result<Index> {
        let source = WorkingTree::new(workspace.root());
        Index::collect_from(workspace, &source, on_error)
    }

    /// Walks `source` and loads every stage file in it.
    pub(crate) fn collect_from(
        workspace: &Workspace,
        source: &dyn FileSource,
        on_error: OnError,
    ) -> anyhow::Result<Index> {
        let cwd = repo_cwd(workspace);
        let mut loader = Loader {
            workspace,
            source,
            cwd: &cwd,
            on_error,
            outputs: HashSet::new(),
            stages: Vec::new(),
            top_level: Vec::new(),
        };
        walk::walk(workspace, source, &RepoPath::root(), &mut loader)?;
        let (stages, top_level) = (loader.stages, loader.top_level);
        Ok(Index {
            stages,
            cwd,
            top_level,
        })
    }

    /// The stages as graph nodes.
    pub(crate) fn nodes(&self, workspace: &Workspace) -> Vec<GraphNode> {
        self.stages
            .iter()
            .map(|stage| stage.graph_node(workspace, &self.cwd))
            .collect()
    }

    /// The stage graph, with DVC's checks.
    pub(crate) fn graph(&self, workspace: &Workspace) -> anyhow::Result<StageGraph> {
        StageGraph::build(&self.nodes(workspace))
            .map_err(|error| DvcError(error.to_string()).into())
    }

    /// The position of `stage` in the index.
    pub(crate) fn position(&self, stage: &RepoStage) -> Option<usize> {
        self.stages.iter().position(|other| other.same(stage))
    }
}

/// Loads each stage file the walk finds; directories that are outputs of the stages loaded so
/// far are not walked into.
pub(super) struct Loader<'a> {
    workspace: &'a Workspace,
    source: &'a dyn FileSource,
    cwd: &'a RepoPath,
    on_error: OnError,
    outputs: HashSet<PathBuf>,
    stages: Vec<RepoStage>,
    top_level: Vec<TopLevel>,
}

impl walk::Visitor for Loader<'_> {
    fn stage_file(&mut self, path: RepoPath, _kind: EntryKind) -> anyhow::Result<()> {
        match load_file(self.workspace, self.source, self.cwd, &path) {
            Ok((stages, top_level)) => {
                self.top_level.extend(top_level);
                for stage in stages {
                    self.outputs
                        .extend(stage.output_paths(self.workspace.root()));
                    self.stages.push(stage);
                }
                Ok(())
            }
            Err(_) if self.on_error == OnError::Skip => Ok(()),
            Err(error) => Err(DvcError(error.to_string()).into()),
        }
    }

    fn enter(&mut self, dir: &RepoPath, _siblings: &[DirEntry]) -> bool {
        !self
            .outputs
            .contains(&crate::workspace::absolute(self.workspace, dir))
    }
}

/// Loads the stages of the stage file at `path`.
pub(super) fn load_stages(
    workspace: &Workspace,
    source: &dyn FileSource,
    cwd: &RepoPath,
    repo_path: &RepoPath,
) -> Result<Vec<RepoStage>, TargetError> {
    load_file(workspace, source, cwd, repo_path).map(|(stages, _)| stages)
}

/// Loads the stage file at `path`: its stages, and for a `dvc.yaml` its top-level entries.
fn load_file(
    workspace: &Workspace,
    source: &dyn FileSource,
    cwd: &RepoPath,
    repo_path: &RepoPath,
) -> Result<(Vec<RepoStage>, Option<TopLevel>), TargetError> {
    if repo_path.as_str().ends_with(DVC_FILE_SUFFIX) {
        let entry = DvcFileEntry::read(workspace, source, repo_path)
            .map_err(|error| TargetError::Other(error.to_string()))?;
        let stage = RepoStage::File {
            path: repo_path.clone(),
            entry: Box::new(entry),
        };
        return Ok((vec![stage], None));
    }
    let options = LoadOptions {
        cwd: cwd.clone(),
        ..LoadOptions::default()
    };
    let file = resolve::load(source, repo_path, &options)
        .map_err(|error| TargetError::Other(error.to_string()))?;
    let failed = |error: resolve::LoadError| TargetError::Other(error.to_string());
    let strings = |values: Vec<Value>| {
        values
            .into_iter()
            .filter_map(|value| match value {
                Value::String(text) => Some(text),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let top_level = TopLevel {
        file: repo_path.clone(),
        params: strings(file.params().map_err(failed)?),
        metrics: strings(file.metrics().map_err(failed)?),
        plots: file.plots().map_err(failed)?,
    };
    Ok((pipeline_stages(&file)?, Some(top_level)))
}

/// The stages of a loaded `dvc.yaml`, each with whether it is parametrized (DVC compares the
/// stage as written with the resolved one).
pub(super) fn pipeline_stages(file: &PipelineFile) -> Result<Vec<RepoStage>, TargetError> {
    let written = match &file.document {
        Value::Mapping(root) => match root.get("stages") {
            Some(Value::Mapping(stages)) => stages.clone(),
            _ => Mapping::new(),
        },
        _ => Mapping::new(),
    };
    let empty = Value::Mapping(Mapping::new());
    file.stages
        .iter()
        .map(|resolved| {
            let stage = Stage::new(&file.path, resolved)
                .map_err(|error| TargetError::Other(error.to_string()))?;
            let raw = written.get(resolved.name.as_str()).unwrap_or(&empty);
            Ok(RepoStage::Pipeline {
                stage: Box::new(stage),
                parametrized: !python_eq(raw, &resolved.value),
            })
        })
        .collect()
}

/// Why a target names no stage, in DVC's words.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum TargetError {
    /// The stage file does not exist (`StageFileDoesNotExistError`); the path as DVC was given
    /// it (absolute, or `dvc.yaml` when defaulted).
    #[error("'{0}' does not exist")]
    FileMissing(String),
    /// The stage file is excluded by `.dvcignore` (DVC's `StageFileDoesNotExistError` with
    /// `dvc_ignored`).
    #[error("'{0}' is dvc-ignored")]
    FileIgnored(String),
    /// No stage of that name in the file (`StageNotFound`).
    #[error("Stage '{name}' not found inside '{file}' file")]
    StageNotFound {
        /// The name looked for.
        name: String,
        /// The file, relative to the working directory.
        file: String,
    },
    /// A stage file name that is neither a `.dvc` file nor a `dvc.yaml`
    /// (`StageFileBadNameError`), with DVC's message.
    #[error("{0}")]
    BadName(String),
    /// A `dvc.yaml` named without a stage where one is needed (`StageNameUnspecified`).
    #[error("Stage name not provided.Please specify the name as: `{0}:stage_name`")]
    NameUnspecified(String),
    /// Anything else, with DVC's message.
    #[error("{0}")]
    Other(String),
}

impl From<TargetError> for DvcError {
    fn from(error: TargetError) -> DvcError {
        DvcError(error.to_string())
    }
}
