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

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use dv_pipeline::files::WorkingTree;
use dv_pipeline::graph::{GraphNode, NodeEntry, StageGraph};
use dv_pipeline::resolve::{self, DVC_YAML, LoadOptions, PipelineFile};
use dv_pipeline::stage::{EntryPath, Stage, is_url};
use dv_schema::dvc_yaml::OutputKind;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value, python_eq};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::error::DvcError;
use crate::index::DvcFileEntry;
use crate::pipelines::{repo_cwd, repo_path_of};
use crate::workspace::Workspace;

/// The suffix of single-stage files.
const DVC_FILE_SUFFIX: &str = ".dvc";
/// The lock file DVC points users away from (`Did you mean: ...`).
const DVC_LOCK: &str = "dvc.lock";
/// The separator of generated stage names.
const JOIN: char = '@';

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
struct DescribedOutput<'a> {
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

    fn desc(&self) -> Option<&str> {
        match self {
            RepoStage::Pipeline { stage, .. } => stage.definition.desc.as_deref(),
            RepoStage::File { entry, .. } => entry.file.desc.as_deref(),
        }
    }

    /// Dependencies as written: files, then params files.
    fn dep_paths(&self) -> Vec<&str> {
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

    fn described_outputs(&self) -> Vec<DescribedOutput<'_>> {
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
    fn output_paths(&self, root: &Path) -> Vec<PathBuf> {
        self.local_output_paths(root, false)
    }

    /// The absolute paths of the stage's local outputs kept in the cache (`cache: true`).
    pub(crate) fn cached_output_paths(&self, root: &Path) -> Vec<PathBuf> {
        self.local_output_paths(root, true)
    }

    /// The absolute paths of the stage's local outputs, only those kept in the cache if
    /// `cached_only`.
    fn local_output_paths(&self, root: &Path, cached_only: bool) -> Vec<PathBuf> {
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

fn is_truthy(value: &Value) -> bool {
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

/// Whether `.dvcignore` files exclude `path` (absolute, inside the repository) or a directory
/// holding it, as DVC's walk sees it.
fn is_dvc_ignored(workspace: &Workspace, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(workspace.root()) else {
        return false;
    };
    let mut matchers: Vec<Gitignore> = Vec::new();
    let mut dir = workspace.root().to_path_buf();
    let components: Vec<_> = relative.components().collect();
    for (position, component) in components.iter().enumerate() {
        let ignore_file = dir.join(".dvcignore");
        if ignore_file.is_file() {
            let mut builder = GitignoreBuilder::new(&dir);
            if builder.add(&ignore_file).is_none()
                && let Ok(matcher) = builder.build()
            {
                matchers.push(matcher);
            }
        }
        dir.push(component);
        let is_dir = position + 1 < components.len();
        for matcher in matchers.iter().rev() {
            match matcher.matched(&dir, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => break,
                Match::None => {}
            }
        }
    }
    false
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

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
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

/// DVC's `parse_target`: the stage file a target names (if it names one) and the stage name.
pub(crate) fn parse_target(target: &str) -> Result<(Option<String>, Option<String>), TargetError> {
    if target.is_empty() {
        return Ok((None, None));
    }
    let (group, key) = match target.split_once(JOIN) {
        Some((group, key)) => (group, Some(key)),
        None => (target, None),
    };
    // `(?P<path>.*?)(:(?P<name>[^\\/:]*))??$`
    let (path, name) = match group.rfind(':') {
        Some(at) if !group[at + 1..].contains(['/', '\\']) => {
            (&group[..at], Some(group[at + 1..].to_owned()))
        }
        _ => (group, None),
    };
    let mut name = name;
    if let (Some(stage), Some(key)) = (name.as_mut(), key)
        && !stage.is_empty()
    {
        stage.push(JOIN);
        stage.push_str(key);
    }
    if !path.is_empty() {
        if basename(path) == DVC_LOCK {
            return Err(TargetError::Other(format!(
                "Did you mean: `{}`?",
                target.replacen(".lock", ".yaml", 1)
            )));
        }
        if name.as_deref().is_none_or(str::is_empty) {
            return Ok(if is_valid_filename(target) {
                (Some(target.to_owned()), None)
            } else {
                (None, Some(target.to_owned()))
            });
        }
    }
    let path = if path.is_empty() { DVC_YAML } else { path };
    Ok((Some(path.to_owned()), name))
}

/// A stage file opened by name.
enum StageFile {
    /// A `dvc.yaml` (any `.yaml`/`.yml` name).
    Pipeline {
        /// Relative to the working directory.
        shown: String,
        /// Written stage definitions, for group lookups.
        written: Mapping,
        stages: Vec<RepoStage>,
    },
    /// A `.dvc` file.
    Single {
        /// Relative to the working directory.
        shown: String,
        stage: Box<RepoStage>,
    },
}

/// Opens the stage file `given` (relative to the working directory; `dvc.yaml` of the working
/// directory when `None`) with DVC's checks in DVC's order: it exists, its name is valid, it
/// is a file.
fn open(workspace: &Workspace, given: Option<&str>) -> Result<StageFile, TargetError> {
    let absolute = workspace.absolute(Path::new(given.unwrap_or(DVC_YAML)));
    let named = match given {
        Some(_) => absolute.to_string_lossy().into_owned(),
        None => DVC_YAML.to_owned(),
    };
    let shown = workspace.display_path(&absolute);
    let repo_path = repo_path_of(workspace, &absolute).filter(|path| !path.is_root());
    let Some(repo_path) = repo_path.filter(|_| absolute.exists()) else {
        return Err(TargetError::FileMissing(named));
    };
    if is_dvc_ignored(workspace, &absolute) {
        return Err(TargetError::FileIgnored(named));
    }
    let file_name = absolute.to_string_lossy();
    if !is_valid_filename(&file_name) {
        return Err(TargetError::BadName(format!(
            "bad DVC file name '{shown}'. DVC files should be named '{DVC_YAML}' or have a \
             '.dvc' suffix (e.g. '{}.dvc').",
            basename(&file_name)
        )));
    }
    if !absolute.is_file() {
        let mut message = format!("'{named}' is not a .dvc file");
        let candidate = format!("{named}{DVC_FILE_SUFFIX}");
        if Path::new(&candidate).is_file() {
            message.push_str(&format!(". Do you mean '{candidate}'?"));
        }
        return Err(TargetError::Other(message));
    }
    let cwd = repo_cwd(workspace);
    let is_pipeline = matches!(
        Path::new(&*file_name)
            .extension()
            .and_then(|ext| ext.to_str()),
        Some("yaml" | "yml")
    );
    if !is_pipeline {
        let mut stages = load_stages(workspace, &cwd, &absolute, &repo_path)?;
        let stage = stages
            .pop()
            .ok_or_else(|| TargetError::Other(format!("'{shown}' has no stage")))?;
        return Ok(StageFile::Single {
            shown,
            stage: Box::new(stage),
        });
    }
    let source = WorkingTree::new(workspace.root());
    let options = LoadOptions {
        cwd,
        ..LoadOptions::default()
    };
    let file = resolve::load(&source, &repo_path, &options)
        .map_err(|error| TargetError::Other(error.to_string()))?;
    let written = match &file.document {
        Value::Mapping(root) => match root.get("stages") {
            Some(Value::Mapping(stages)) => stages.clone(),
            _ => Mapping::new(),
        },
        _ => Mapping::new(),
    };
    Ok(StageFile::Pipeline {
        shown,
        written,
        stages: pipeline_stages(&file)?,
    })
}

/// The warning DVC logs for a stage name given with a `.dvc` file.
fn ignoring_name(name: &str, shown: &str) -> String {
    format!("Ignoring name '{name}' for single stage in 'SingleStageFile: {shown}'.")
}

/// Stages found for a target, with the warnings DVC logged on the way.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    /// The stages.
    pub(crate) stages: Vec<RepoStage>,
    /// `WARNING:` lines.
    pub(crate) warnings: Vec<String>,
}

/// DVC's `StageLoad.load_one`: the single stage `target` names (`dvc freeze`).
pub(crate) fn load_one(workspace: &Workspace, target: &str) -> Result<Found, TargetError> {
    let (file, name) = parse_target(target)?;
    match open(workspace, file.as_deref())? {
        StageFile::Single { shown, stage } => Ok(Found {
            stages: vec![*stage],
            warnings: name
                .filter(|name| !name.is_empty())
                .map(|name| ignoring_name(&name, &shown))
                .into_iter()
                .collect(),
        }),
        StageFile::Pipeline { shown, stages, .. } => {
            let Some(name) = name.filter(|name| !name.is_empty()) else {
                return Err(TargetError::NameUnspecified(shown));
            };
            let stage = stages
                .into_iter()
                .find(|stage| stage.name() == Some(name.as_str()))
                .ok_or(TargetError::StageNotFound { name, file: shown })?;
            Ok(Found {
                stages: vec![stage],
                warnings: Vec::new(),
            })
        }
    }
}

/// DVC's `StageLoad.load_all(file, name)` with groups accepted: every stage of the file, the
/// stages of a `foreach`/`matrix` group, or the named stage.
pub(crate) fn load_all(
    workspace: &Workspace,
    file: Option<&str>,
    name: Option<&str>,
) -> Result<Found, TargetError> {
    match open(workspace, file)? {
        StageFile::Single { shown, stage } => Ok(Found {
            stages: vec![*stage],
            warnings: name
                .filter(|name| !name.is_empty())
                .map(|name| ignoring_name(name, &shown))
                .into_iter()
                .collect(),
        }),
        StageFile::Pipeline {
            shown,
            written,
            stages,
        } => {
            let Some(name) = name.filter(|name| !name.is_empty()) else {
                return Ok(Found {
                    stages,
                    warnings: Vec::new(),
                });
            };
            let is_group = matches!(written.get(name), Some(Value::Mapping(definition))
                if definition.contains_key("foreach") || definition.contains_key("matrix"));
            let prefix = format!("{name}{JOIN}");
            let selected: Vec<RepoStage> = if is_group {
                stages
                    .into_iter()
                    .filter(|stage| stage.name().is_some_and(|other| other.starts_with(&prefix)))
                    .collect()
            } else {
                let stage = stages
                    .into_iter()
                    .find(|stage| stage.name() == Some(name))
                    .ok_or_else(|| TargetError::StageNotFound {
                        name: name.to_owned(),
                        file: shown,
                    })?;
                vec![stage]
            };
            Ok(Found {
                stages: selected,
                warnings: Vec::new(),
            })
        }
    }
}

/// How [`collect`] reads a target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Collect {
    /// `-R`: a directory stands for the stages defined under it.
    pub(crate) recursive: bool,
    /// `--glob`: `[path:]pattern`, the pattern matched against stage names (`fnmatch`).
    pub(crate) glob: bool,
}

/// DVC's `StageLoad.collect(target, recursive, glob)`: with `recursive` and a directory, the
/// stages whose files are inside it in the graph's order; else the stages `target` names (or
/// matches, with `glob`).
pub(crate) fn collect(
    workspace: &Workspace,
    index: &Index,
    target: &str,
    how: Collect,
) -> anyhow::Result<Found> {
    let recursive = how.recursive;
    let absolute = workspace.absolute(Path::new(target));
    if recursive && absolute.is_dir() {
        let graph = index.graph(workspace)?;
        let inside = repo_path_of(workspace, &absolute);
        let stages = graph
            .order()
            .into_iter()
            .map(|position| &index.stages[position])
            .filter(|stage| {
                inside.as_ref().is_some_and(|dir| {
                    dir.is_root() || stage.file().as_str().starts_with(&format!("{dir}/"))
                })
            })
            .cloned()
            .collect();
        return Ok(Found {
            stages,
            warnings: Vec::new(),
        });
    }
    if how.glob {
        // DVC's `parse_target(isa_glob=True)`: the part after the last `:` is the pattern.
        let (file, pattern) = match target.rsplit_once(':') {
            Some((file, pattern)) => (file, pattern),
            None => ("", target),
        };
        let file = if file.is_empty() { DVC_YAML } else { file };
        let pattern = (!pattern.is_empty()).then_some(pattern);
        return Ok(load_glob(workspace, file, pattern).map_err(DvcError::from)?);
    }
    let (file, name) = parse_target(target).map_err(DvcError::from)?;
    Ok(load_all(workspace, file.as_deref(), name.as_deref()).map_err(DvcError::from)?)
}

/// DVC's `StageLoad.load_all(file, pattern, glob=True)`: the stages of `file` whose names
/// match `pattern` (all without one; a `foreach`/`matrix` group's stages when it names one).
fn load_glob(
    workspace: &Workspace,
    file: &str,
    pattern: Option<&str>,
) -> Result<Found, TargetError> {
    let Some(pattern) = pattern else {
        return load_all(workspace, Some(file), None);
    };
    let StageFile::Pipeline {
        written, stages, ..
    } = open(workspace, Some(file))?
    else {
        return load_all(workspace, Some(file), Some(pattern));
    };
    let is_group = matches!(written.get(pattern), Some(Value::Mapping(definition))
        if definition.contains_key("foreach") || definition.contains_key("matrix"));
    if is_group {
        return load_all(workspace, Some(file), Some(pattern));
    }
    let matcher = glob::Pattern::new(pattern).ok();
    let matches = |name: &str| match &matcher {
        Some(matcher) => matcher.matches(name),
        None => name == pattern,
    };
    Ok(Found {
        stages: stages
            .into_iter()
            .filter(|stage| stage.name().is_some_and(matches))
            .collect(),
        warnings: Vec::new(),
    })
}

/// A stage `collect_granular` found, and the output path the target named inside it.
#[derive(Debug, Clone)]
pub(crate) struct Granular {
    /// The stage's position in the index.
    pub(crate) position: usize,
    /// The output path the target named (absolute), when it named an output.
    pub(crate) path: Option<PathBuf>,
}

/// A stage a target selected, and the path inside its outputs the target named (absolute;
/// `None` for the whole stage): DVC's `StageInfo`.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// The stage.
    pub(crate) stage: RepoStage,
    /// The output path the target named, when it named an output or a path inside one.
    pub(crate) path: Option<PathBuf>,
}

/// Why a target selected nothing.
#[derive(Debug)]
pub(crate) enum GranularError {
    /// The target names no stage file, stage or output: DVC's `StageFileDoesNotExistError`,
    /// `StageFileBadNameError` and `NoOutputOrStageError`, which `dvc checkout` turns into
    /// its `Did you mean `git checkout ...`?` error. DVC's message.
    NotFound(String),
    /// Anything else (an invalid stage file, a stage missing from a named file, ...).
    Other(anyhow::Error),
}

impl From<GranularError> for anyhow::Error {
    fn from(error: GranularError) -> anyhow::Error {
        match error {
            GranularError::NotFound(message) => DvcError(message).into(),
            GranularError::Other(error) => error,
        }
    }
}

impl From<TargetError> for GranularError {
    fn from(error: TargetError) -> GranularError {
        match error {
            TargetError::FileMissing(_) | TargetError::FileIgnored(_) | TargetError::BadName(_) => {
                GranularError::NotFound(error.to_string())
            }
            other => GranularError::Other(DvcError::from(other).into()),
        }
    }
}

/// DVC's `StageLoad.collect_granular(target)` (`dvc dag TARGET`): a stage file or stage name
/// first, else an output (or a path inside one), else DVC's `does not exist as an output or a
/// stage name` error.
pub(crate) fn collect_granular(
    workspace: &Workspace,
    index: &Index,
    target: &str,
) -> anyhow::Result<(Vec<Granular>, Vec<String>)> {
    let (selected, warnings) = select_granular(workspace, index, target, false)?;
    let found = selected
        .into_iter()
        .filter_map(|selected| {
            index.position(&selected.stage).map(|position| Granular {
                position,
                path: selected.path,
            })
        })
        .collect();
    Ok((found, warnings))
}

/// DVC's `StageLoad.collect_granular(target, recursive=...)`, in DVC's order of preference: a
/// stage file (`file.dvc`, `path/dvc.yaml[:name]`); with `recursive`, an existing directory
/// (the stages defined under it); a stage name of `dvc.yaml`; an output or a path inside one;
/// a stage name again, for DVC's error.
pub(crate) fn select_granular(
    workspace: &Workspace,
    index: &Index,
    target: &str,
    recursive: bool,
) -> Result<(Vec<Selected>, Vec<String>), GranularError> {
    let whole = |found: Found| -> (Vec<Selected>, Vec<String>) {
        let selected = found
            .stages
            .into_iter()
            .map(|stage| Selected { stage, path: None })
            .collect();
        (selected, found.warnings)
    };
    let (file, name) =
        parse_target(target).map_err(|error| GranularError::Other(DvcError::from(error).into()))?;
    let absolute = workspace.absolute(Path::new(target));
    let directory = recursive && absolute.is_dir();
    match &file {
        None if !directory && workspace.absolute(Path::new(DVC_YAML)).exists() => {
            match load_all(workspace, Some(DVC_YAML), Some(target)) {
                Ok(found) if !found.stages.is_empty() => return Ok(whole(found)),
                Ok(_) | Err(TargetError::StageNotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Some(file) if is_valid_filename(file) => {
            let found = load_all(workspace, Some(file), name.as_deref()).map_err(|error| {
                match error {
                    // Raised by DVC before its output lookup, so never a missing target.
                    TargetError::StageNotFound { .. } => {
                        GranularError::Other(DvcError::from(error).into())
                    }
                    other => other.into(),
                }
            })?;
            if !found.stages.is_empty() {
                return Ok(whole(found));
            }
        }
        _ => {}
    }
    if directory {
        let found = collect(
            workspace,
            index,
            target,
            Collect {
                recursive: true,
                glob: false,
            },
        )
        .map_err(GranularError::Other)?;
        return Ok(whole(found));
    }
    for stage in &index.stages {
        let owns = stage
            .output_paths(workspace.root())
            .iter()
            .any(|out| absolute == *out || absolute.starts_with(out));
        if owns {
            let selected = Selected {
                stage: stage.clone(),
                path: Some(absolute),
            };
            return Ok((vec![selected], Vec::new()));
        }
    }
    match load_all(workspace, file.as_deref(), name.as_deref()) {
        Ok(found) => Ok(whole(found)),
        Err(TargetError::FileMissing(missing)) => {
            if file.as_deref().is_some_and(is_valid_filename) {
                return Err(TargetError::FileMissing(missing).into());
            }
            Err(GranularError::NotFound(format!(
                "'{target}' does not exist as an output or a stage name in '{missing}': '{missing}' \
                 does not exist"
            )))
        }
        Err(TargetError::StageNotFound { name, file: shown }) => {
            let cause = TargetError::StageNotFound {
                name,
                file: shown.clone(),
            };
            Err(GranularError::NotFound(format!(
                "'{target}' does not exist as an output or a stage name in '{shown}': {cause}"
            )))
        }
        Err(error) => Err(error.into()),
    }
}

/// DVC's `index_from_targets(targets, recursive)` (`dvc checkout TARGETS`): without
/// `recursive`, each target read as a stage file or stage name directly (without loading the
/// other stage files); if one of them names no stage file or stage, or with `recursive`,
/// each target through [`select_granular`] on the whole index. An error names the target
/// that failed.
pub(crate) fn select_targets(
    workspace: &Workspace,
    targets: &[String],
    recursive: bool,
) -> Result<(Vec<Selected>, Vec<String>), (String, GranularError)> {
    if !recursive && let Some(selected) = select_directly(workspace, targets)? {
        return Ok(selected);
    }
    let index = Index::collect(workspace, OnError::Fail)
        .map_err(|error| (String::new(), GranularError::Other(error)))?;
    let mut selected = Vec::new();
    let mut warnings = Vec::new();
    for target in targets {
        let (found, logged) = select_granular(workspace, &index, target, recursive)
            .map_err(|error| (target.clone(), error))?;
        selected.extend(found);
        warnings.extend(logged);
    }
    Ok((selected, warnings))
}

/// The fast path of [`select_targets`]: `None` when a target names no stage file or stage.
#[allow(clippy::type_complexity)]
fn select_directly(
    workspace: &Workspace,
    targets: &[String],
) -> Result<Option<(Vec<Selected>, Vec<String>)>, (String, GranularError)> {
    let mut selected = Vec::new();
    let mut warnings = Vec::new();
    for target in targets {
        let other = |error: TargetError| {
            (
                target.clone(),
                GranularError::Other(DvcError::from(error).into()),
            )
        };
        let (file, name) = parse_target(target).map_err(other)?;
        match load_all(workspace, file.as_deref(), name.as_deref()) {
            Ok(found) => {
                selected.extend(
                    found
                        .stages
                        .into_iter()
                        .map(|stage| Selected { stage, path: None }),
                );
                warnings.extend(found.warnings);
            }
            Err(
                TargetError::FileMissing(_)
                | TargetError::FileIgnored(_)
                | TargetError::StageNotFound { .. },
            ) => return Ok(None),
            Err(error) => return Err(other(error)),
        }
    }
    Ok(Some((selected, warnings)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(target: &str) -> (Option<String>, Option<String>) {
        parse_target(target).expect("parses")
    }

    #[test]
    fn targets_parse_like_dvc() {
        let some = |text: &str| Some(text.to_owned());
        assert_eq!(parsed("train"), (None, some("train")));
        assert_eq!(parsed("dvc.yaml"), (some("dvc.yaml"), None));
        assert_eq!(parsed("data.dvc"), (some("data.dvc"), None));
        assert_eq!(parsed("sub/dvc.yaml"), (some("sub/dvc.yaml"), None));
        assert_eq!(parsed("dvc.yaml:train"), (some("dvc.yaml"), some("train")));
        assert_eq!(parsed(":train"), (some("dvc.yaml"), some("train")));
        assert_eq!(
            parsed("sub/dvc.yaml:fe@x"),
            (some("sub/dvc.yaml"), some("fe@x"))
        );
        assert_eq!(parsed("fe@x"), (None, some("fe@x")));
        assert_eq!(parsed("fe@a:b"), (None, some("fe@a:b")));
        assert_eq!(parsed("../x"), (None, some("../x")));
        assert_eq!(parsed("a:b:c"), (some("a:b"), some("c")));
        assert_eq!(parsed("sub:s"), (some("sub"), some("s")));
        assert_eq!(parsed("data/x:y/z"), (None, some("data/x:y/z")));
        assert_eq!(
            parse_target("dvc.lock:x").expect_err("lock").to_string(),
            "Did you mean: `dvc.yaml:x`?"
        );
        assert_eq!(
            parse_target("sub/dvc.lock").expect_err("lock").to_string(),
            "Did you mean: `sub/dvc.yaml`?"
        );
    }
}
