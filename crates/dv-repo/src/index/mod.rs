//! Every stage of a repository as DVC's index sees it — `.dvc` files and `dvc.yaml` stages
//! together — and DVC's ways of naming stages on the command line (spec §7.1).
//!
//! [`Index::collect`] walks the working tree like DVC's `collect_files`: top-down, a
//! directory's files in listing order before its subdirectories, honouring `.dvcignore`,
//! skipping `.git`, `.dvc`, nested repositories and directories that are outputs of the stages
//! found so far. Unlike DVC it does not skip git-ignored stage files.
//!
//! The target functions port `parse_target` and `StageLoad`'s `load_one`, `load_all`,
//! `collect` and `collect_granular`, with DVC's messages: `name`, `group` (a `foreach`/
//! `matrix` group), `path/dvc.yaml:name`, `file.dvc`, a directory with `-R`, or an output.

mod dvc_file;
mod stage;
mod targets;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use dv_pipeline::files::WorkingTree;
use dv_pipeline::graph::{GraphNode, StageGraph};
use dv_pipeline::resolve::{self, DVC_YAML, LoadOptions, PipelineFile};
use dv_pipeline::stage::Stage;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value, python_eq};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::error::DvcError;
use crate::pipelines::repo_cwd;
use crate::workspace::Workspace;
use targets::basename;

pub use dvc_file::{DvcFileEntry, dvc_files, load_targets};
pub(crate) use stage::RepoStage;
pub(crate) use targets::{
    Collect, GranularError, TargetError, collect, collect_granular, load_one, select_targets,
};

/// The suffix of single-stage files.
const DVC_FILE_SUFFIX: &str = ".dvc";
/// The lock file DVC points users away from (`Did you mean: ...`).
const DVC_LOCK: &str = "dvc.lock";
/// The separator of generated stage names.
const JOIN: char = '@';

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
}

impl Index {
    /// Walks the working tree and loads every stage file (DVC's `Index.from_repo`).
    pub(crate) fn collect(workspace: &Workspace, on_error: OnError) -> anyhow::Result<Index> {
        let cwd = repo_cwd(workspace);
        let mut walk = Walk {
            workspace,
            cwd: &cwd,
            on_error,
            load: true,
            files: Vec::new(),
            outputs: HashSet::new(),
            matchers: Vec::new(),
            stages: Vec::new(),
        };
        walk.visit(workspace.root(), &RepoPath::root())?;
        let stages = walk.stages;
        Ok(Index { stages, cwd })
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

/// The stage files of the working tree in DVC's walk order, without loading them (so without
/// skipping directories that are outputs).
pub fn stage_files(workspace: &Workspace) -> anyhow::Result<Vec<RepoPath>> {
    let cwd = repo_cwd(workspace);
    let mut walk = Walk {
        workspace,
        cwd: &cwd,
        on_error: OnError::Fail,
        load: false,
        files: Vec::new(),
        outputs: HashSet::new(),
        matchers: Vec::new(),
        stages: Vec::new(),
    };
    walk.visit(workspace.root(), &RepoPath::root())?;
    Ok(walk.files)
}

struct Walk<'a> {
    workspace: &'a Workspace,
    cwd: &'a RepoPath,
    on_error: OnError,
    /// Load each file (else only list them in `files`).
    load: bool,
    files: Vec<RepoPath>,
    outputs: HashSet<PathBuf>,
    matchers: Vec<Gitignore>,
    stages: Vec<RepoStage>,
}

impl Walk<'_> {
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        for matcher in self.matchers.iter().rev() {
            match matcher.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    fn visit(&mut self, dir: &Path, repo_dir: &RepoPath) -> anyhow::Result<()> {
        let ignore_file = dir.join(".dvcignore");
        let pushed = ignore_file.is_file();
        if pushed {
            let mut builder = GitignoreBuilder::new(dir);
            if let Some(error) = builder.add(&ignore_file) {
                return Err(anyhow::anyhow!(
                    "failed to read '{}': {error}",
                    self.workspace.display_path(&ignore_file)
                ));
            }
            self.matchers.push(builder.build()?);
        }
        let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
            .map_err(|error| {
                anyhow::anyhow!(
                    "failed to list '{}': {error}",
                    self.workspace.display_path(dir)
                )
            })?
            .filter_map(Result::ok)
            .collect();
        let mut dirs = Vec::new();
        for entry in &entries {
            let name = entry.file_name();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            let is_dir = file_type.is_dir();
            if dv_data::walk::is_always_ignored(&name, is_dir) || self.ignored(&path, is_dir) {
                continue;
            }
            let name = name.to_string_lossy().into_owned();
            let Ok(repo_path) = RepoPath::new(&if repo_dir.is_root() {
                name.clone()
            } else {
                format!("{}/{name}", repo_dir.as_str())
            }) else {
                continue;
            };
            if is_dir {
                dirs.push((path, repo_path));
            } else if is_valid_filename(&name) {
                self.load(&path, repo_path)?;
            }
        }
        for (path, repo_path) in dirs {
            if self.outputs.contains(&path) || dv_data::walk::is_nested_repo(&path) {
                continue;
            }
            self.visit(&path, &repo_path)?;
        }
        if pushed {
            self.matchers.pop();
        }
        Ok(())
    }

    fn load(&mut self, path: &Path, repo_path: RepoPath) -> anyhow::Result<()> {
        if !self.load {
            self.files.push(repo_path);
            return Ok(());
        }
        let loaded = load_stages(self.workspace, self.cwd, path, &repo_path);
        match loaded {
            Ok(stages) => {
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
}

/// Loads the stages of the stage file at `path`.
fn load_stages(
    workspace: &Workspace,
    cwd: &RepoPath,
    path: &Path,
    repo_path: &RepoPath,
) -> Result<Vec<RepoStage>, TargetError> {
    if repo_path.as_str().ends_with(DVC_FILE_SUFFIX) {
        let entry = DvcFileEntry::load(workspace, path)
            .map_err(|error| TargetError::Other(error.to_string()))?;
        return Ok(vec![RepoStage::File {
            path: repo_path.clone(),
            entry: Box::new(entry),
        }]);
    }
    let source = WorkingTree::new(workspace.root());
    let options = LoadOptions {
        cwd: cwd.clone(),
        ..LoadOptions::default()
    };
    let file = resolve::load(&source, repo_path, &options)
        .map_err(|error| TargetError::Other(error.to_string()))?;
    pipeline_stages(&file)
}

/// The stages of a loaded `dvc.yaml`, each with whether it is parametrized (DVC compares the
/// stage as written with the resolved one).
fn pipeline_stages(file: &PipelineFile) -> Result<Vec<RepoStage>, TargetError> {
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

/// DVC's `is_valid_filename`: a `.dvc` file or a `dvc.yaml`.
fn is_valid_filename(path: &str) -> bool {
    path.ends_with(DVC_FILE_SUFFIX) || basename(path) == DVC_YAML
}
