//! One stage of the index: a `dvc.yaml` stage or a `.dvc` file, how DVC names and describes it, its
//! outputs, and its node in the stage graph.

use std::path::{Path, PathBuf};

use dv_pipeline::graph::{GraphNode, NodeEntry};
use dv_pipeline::stage::{EntryPath, Stage, is_url};
use dv_schema::dvc_yaml::OutputKind;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::Value;

use crate::workspace::Workspace;
use crate::workspace::repo_path_of;

use super::dvc_file::DvcFileEntry;

/// One stage: a stage of a `dvc.yaml`, or a `.dvc` file.
#[derive(Debug, Clone)]
pub(crate) enum RepoStage {
    /// A stage of a `dvc.yaml`.
    Pipeline {
        /// The stage.
        stage: Box<Stage>,
        /// Whether its definition uses templating or was generated (`foreach`/`matrix`):
        /// DVC refuses to write such stages back (`cannot dump a parametrized stage`).
        parametrized: bool,
    },
    /// A `.dvc` file.
    File {
        /// Where it is.
        path: RepoPath,
        /// Its content.
        entry: Box<DvcFileEntry>,
    },
}

/// An output as `dvc stage list` describes it.
pub(super) struct DescribedOutput<'a> {
    def_path: &'a str,
    report: bool,
}

impl RepoStage {
    /// The file the stage is defined in.
    pub(crate) fn file(&self) -> &RepoPath {
        match self {
            RepoStage::Pipeline { stage, .. } => &stage.file,
            RepoStage::File { path, .. } => path,
        }
    }

    /// The stage name (`dvc.yaml` stages only).
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            RepoStage::Pipeline { stage, .. } => Some(&stage.name),
            RepoStage::File { .. } => None,
        }
    }

    /// Whether `other` is the same stage (same file and name).
    pub(crate) fn same(&self, other: &RepoStage) -> bool {
        self.file() == other.file() && self.name() == other.name()
    }

    /// How DVC names the stage when the current directory is `cwd`: `name`,
    /// `path/dvc.yaml:name` or `path/file.dvc`.
    pub(crate) fn addressing(&self, cwd: &RepoPath) -> String {
        match self {
            RepoStage::Pipeline { stage, .. } => stage.addressing(cwd),
            RepoStage::File { path, .. } => path.relative_to(cwd),
        }
    }

    pub(super) fn desc(&self) -> Option<&str> {
        match self {
            RepoStage::Pipeline { stage, .. } => stage.definition.desc.as_deref(),
            RepoStage::File { entry, .. } => entry.file.desc.as_deref(),
        }
    }

    /// Dependencies as written: files, then params files.
    pub(super) fn dep_paths(&self) -> Vec<&str> {
        match self {
            RepoStage::Pipeline { stage, .. } => stage
                .deps
                .iter()
                .map(|dep| dep.def_path.as_str())
                .chain(stage.params.iter().map(|params| params.def_path.as_str()))
                .collect(),
            RepoStage::File { entry, .. } => entry
                .file
                .deps
                .iter()
                .map(|dep| dep.path.as_str())
                .collect(),
        }
    }

    pub(super) fn described_outputs(&self) -> Vec<DescribedOutput<'_>> {
        match self {
            RepoStage::Pipeline { stage, .. } => stage
                .outs
                .iter()
                .map(|out| DescribedOutput {
                    def_path: &out.def_path,
                    report: out.definition.kind != OutputKind::Out,
                })
                .collect(),
            RepoStage::File { entry, .. } => entry
                .file
                .outs
                .iter()
                .map(|out| DescribedOutput {
                    def_path: &out.path,
                    report: out.metric.as_ref().is_some_and(is_truthy)
                        || out.plot.as_ref().is_some_and(is_truthy),
                })
                .collect(),
        }
    }

    /// What `dvc stage list` says about the stage: the first non-empty line of `desc`, else
    /// `Outputs a, b; Reports m.json`, `Depends on x` or `No outputs or dependencies`.
    pub(crate) fn description(&self) -> String {
        if let Some(desc) = self.desc()
            && let Some(line) = desc.lines().find(|line| !line.is_empty())
            && !line.trim().is_empty()
        {
            return line.trim().to_owned();
        }
        let deps = self.dep_paths();
        let outs = self.described_outputs();
        if deps.is_empty() && outs.is_empty() {
            return "No outputs or dependencies".to_owned();
        }
        if outs.is_empty() {
            return format!("Depends on {}", deps.join(", "));
        }
        let join = |report: bool| {
            outs.iter()
                .filter(|out| out.report == report)
                .map(|out| out.def_path)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        let (plain, reports) = (join(false), join(true));
        if !plain.is_empty() {
            parts.push(format!("Outputs {plain}"));
        }
        if !reports.is_empty() {
            parts.push(format!("Reports {reports}"));
        }
        parts.join("; ")
    }

    /// The absolute paths of the stage's local outputs.
    pub(super) fn output_paths(&self, root: &Path) -> Vec<PathBuf> {
        self.local_output_paths(root, false)
    }

    /// The absolute paths of the stage's local outputs kept in the cache (`cache: true`).
    pub(crate) fn cached_output_paths(&self, root: &Path) -> Vec<PathBuf> {
        self.local_output_paths(root, true)
    }

    /// The absolute paths of the stage's local outputs, only those kept in the cache if
    /// `cached_only`.
    pub(super) fn local_output_paths(&self, root: &Path, cached_only: bool) -> Vec<PathBuf> {
        match self {
            RepoStage::Pipeline { stage, .. } => stage
                .outs
                .iter()
                .filter(|out| out.definition.cache || !cached_only)
                .filter_map(|out| out.path.to_path(root))
                .collect(),
            RepoStage::File { entry, .. } => entry
                .file
                .outs
                .iter()
                .filter(|out| (out.cache || !cached_only) && !is_url(&out.path))
                .map(|out| entry.resolve(out))
                .collect(),
        }
    }

    /// The stage as a node of the stage graph.
    pub(crate) fn graph_node(&self, workspace: &Workspace, cwd: &RepoPath) -> GraphNode {
        match self {
            RepoStage::Pipeline { stage, .. } => stage.graph_node(cwd),
            RepoStage::File { path, entry } => {
                let place = |def_path: &str, resolved: PathBuf| {
                    if is_url(def_path) {
                        EntryPath::Url(def_path.to_owned())
                    } else {
                        match repo_path_of(workspace, &resolved) {
                            Some(path) if !path.is_root() => EntryPath::Repo(path),
                            _ => EntryPath::Outside(resolved.to_string_lossy().into_owned()),
                        }
                    }
                };
                let file = &entry.file;
                let links_deps = !(file.is_import()
                    && file
                        .deps
                        .first()
                        .is_some_and(|dep| dep.repo.is_some() || dep.extra.contains_key("db")));
                GraphNode {
                    addressing: self.addressing(cwd),
                    file: path.clone(),
                    outs: file
                        .outs
                        .iter()
                        .map(|out| {
                            let place = place(&out.path, entry.resolve(out));
                            NodeEntry {
                                shown: place.shown(cwd),
                                path: place,
                            }
                        })
                        .collect(),
                    deps: file
                        .deps
                        .iter()
                        .map(|dep| place(&dep.path, entry.resolve(dep)))
                        .collect(),
                    frozen: file.frozen,
                    links_deps,
                }
            }
        }
    }
}

pub(super) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::String(text) => !text.is_empty(),
        Value::Sequence(items) => !items.is_empty(),
        Value::Mapping(map) => !map.is_empty(),
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::Tagged(tagged) => is_truthy(&tagged.value),
    }
}
