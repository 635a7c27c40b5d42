//! `dvc stage add` (spec §7.3): a stage built from command-line options, checked against the
//! other stages of the repository (DVC's graph checks), written into the `dvc.yaml` of the
//! working directory with DVC's formatting, and its cached outputs ignored by git.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_pipeline::graph::{GraphError, StageGraph};
use dv_pipeline::resolve::{DVC_YAML, ResolvedStage, is_valid_stage_name};
use dv_pipeline::stage::Stage;
use dv_schema::dvc_yaml::{StageDefinition, dump_stages};
use dv_schema::repo_path::{Joined, RepoPath};
use dv_schema::yaml::{Mapping, Value};

use crate::error::DvcError;
use crate::pipelines::Pipelines;
use crate::tracking::ignore_output;
use crate::workspace::Workspace;
use crate::workspace::{absolute, repo_cwd};

/// DVC's checks of a new stage on its own: no output is a stage file (`x.dvc`, `dvc.yaml`),
/// and none is also a dependency (params files included).
fn check_outputs(workspace: &Workspace, stage: &Stage) -> anyhow::Result<()> {
    for out in &stage.outs {
        let name = out.def_path.rsplit('/').next().unwrap_or_default();
        if name.ends_with(".dvc") || name == DVC_YAML {
            return Err(
                DvcError(format!("DVC file '{}' cannot be an output.", out.def_path)).into(),
            );
        }
    }
    let root = workspace.root();
    let deps: Vec<PathBuf> = stage
        .deps
        .iter()
        .map(|dep| &dep.path)
        .chain(stage.params.iter().map(|params| &params.path))
        .filter_map(|path| path.to_path(root))
        .collect();
    for out in &stage.outs {
        if let Some(path) = out.path.to_path(root)
            && deps.contains(&path)
        {
            return Err(DvcError(format!(
                "'{}' is specified as an output and as a dependency.",
                path.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// DVC checks a new stage against every stage of the repository, `.dvc` files included: an
/// output already tracked by a `.dvc` file, or inside a directory one tracks, is refused with
/// DVC's message (naming only the existing stage).
fn check_with_data_sources(
    workspace: &Workspace,
    stage: &Stage,
    cwd: &RepoPath,
) -> anyhow::Result<()> {
    let index = crate::index::Index::collect(workspace, crate::index::OnError::Fail)?;
    let new = stage.graph_node(cwd);
    let addressing = new.addressing.clone();
    let mut nodes = vec![new];
    nodes.extend(
        index
            .nodes(workspace)
            .into_iter()
            .filter(|node| node.addressing != addressing),
    );
    StageGraph::build(&nodes).map_err(|error| match error {
        GraphError::OutputDuplication { output, mut stages } if stages.len() > 1 => {
            stages.retain(|stage| *stage != addressing);
            anyhow::Error::from(DvcError(
                GraphError::OutputDuplication { output, stages }.to_string(),
            ))
        }
        other => anyhow::Error::from(DvcError(other.to_string())),
    })?;
    Ok(())
}

/// The options of `dvc stage add`.
#[derive(Debug, Clone, Default)]
pub struct StageAddOptions {
    /// `-n`: the stage name.
    pub name: String,
    /// `-d`: dependencies.
    pub deps: Vec<String>,
    /// `-p`: `[file:]key,key` params.
    pub params: Vec<String>,
    /// `-o`: cached outputs.
    pub outs: Vec<String>,
    /// `-O`: outputs not cached.
    pub outs_no_cache: Vec<String>,
    /// `--outs-persist`.
    pub outs_persist: Vec<String>,
    /// `--outs-persist-no-cache`.
    pub outs_persist_no_cache: Vec<String>,
    /// `-m`.
    pub metrics: Vec<String>,
    /// `-M`.
    pub metrics_no_cache: Vec<String>,
    /// `--plots`.
    pub plots: Vec<String>,
    /// `--plots-no-cache`.
    pub plots_no_cache: Vec<String>,
    /// `-w`: the working directory, relative to the current one.
    pub wdir: Option<String>,
    /// `-f`: overwrite a stage of the same name.
    pub force: bool,
    /// `--always-changed`.
    pub always_changed: bool,
    /// `--desc`.
    pub desc: Option<String>,
    /// The command words.
    pub command: Vec<String>,
}

/// What `stage add` did.
#[derive(Debug, Clone, Default)]
pub struct StageAddReport {
    /// `dvc.yaml` as shown.
    pub file: String,
    /// Files to track with git (`dvc.yaml`, changed `.gitignore` files), absolute.
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
    /// Notices for stderr (an output whose directory does not exist yet gets no `.gitignore`
    /// entry, as with DVC).
    pub notices: Vec<String>,
}

/// DVC's `parse_cmd`: words joined by spaces, a word with a space (and no `"`) quoted.
pub fn parse_cmd(words: &[String]) -> String {
    if words.len() < 2 {
        return words.join(" ");
    }
    words
        .iter()
        .map(|word| {
            if word.contains(' ') && !word.contains('"') {
                format!("\"{word}\"")
            } else {
                word.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// DVC's `parse_params`: `file:a,b` tracks keys of `file`, `a,b` keys of `params.yaml`,
/// `file:` the whole file.
fn params_value(params: &[String]) -> Vec<Value> {
    let mut items = Vec::new();
    for item in params {
        let (file, keys) = match item.rfind(':') {
            Some(at) => (&item[..at], &item[at + 1..]),
            None => ("", item.as_str()),
        };
        let keys = keys
            .split(',')
            .filter(|key| !key.is_empty())
            .map(|key| Value::String(key.to_owned()));
        if file.is_empty() {
            items.extend(keys);
        } else {
            let mut map = Mapping::new();
            map.insert(
                Value::String(file.to_owned()),
                Value::Sequence(keys.collect()),
            );
            items.push(Value::Mapping(map));
        }
    }
    items
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// An output list entry: the path, or `{path: {flags}}`.
fn output(path: &str, cache: bool, persist: bool) -> Value {
    if cache && !persist {
        return string(path);
    }
    let mut flags = Mapping::new();
    if !cache {
        flags.insert(string("cache"), Value::Bool(false));
    }
    if persist {
        flags.insert(string("persist"), Value::Bool(true));
    }
    let mut entry = Mapping::new();
    entry.insert(string(path), Value::Mapping(flags));
    Value::Mapping(entry)
}

/// The stage mapping the options describe (before DVC's canonical ordering), and the outputs
/// in the order DVC creates them (`fill_stage_outputs`), with whether each is cached.
fn stage_value(options: &StageAddOptions, wdir: Option<String>) -> (Value, Vec<(String, bool)>) {
    let mut map = Mapping::new();
    if let Some(desc) = &options.desc {
        map.insert(string("desc"), string(desc));
    }
    map.insert(string("cmd"), string(&parse_cmd(&options.command)));
    if let Some(wdir) = wdir {
        map.insert(string("wdir"), string(&wdir));
    }
    if !options.deps.is_empty() {
        map.insert(
            string("deps"),
            Value::Sequence(options.deps.iter().map(|dep| string(dep)).collect()),
        );
    }
    let params = params_value(&options.params);
    if !params.is_empty() {
        map.insert(string("params"), Value::Sequence(params));
    }
    let mut created = Vec::new();
    let groups: [(&str, &[String], bool, bool); 8] = [
        ("outs", &options.outs_persist, true, true),
        ("outs", &options.outs_persist_no_cache, false, true),
        ("metrics", &options.metrics_no_cache, false, false),
        ("metrics", &options.metrics, true, false),
        ("plots", &options.plots_no_cache, false, false),
        ("plots", &options.plots, true, false),
        ("outs", &options.outs_no_cache, false, false),
        ("outs", &options.outs, true, false),
    ];
    for (key, paths, cache, persist) in groups {
        for path in paths {
            created.push((path.clone(), cache));
            let entry = output(path, cache, persist);
            match map.get_mut(key) {
                Some(Value::Sequence(list)) => list.push(entry),
                _ => {
                    map.insert(string(key), Value::Sequence(vec![entry]));
                }
            }
        }
    }
    if options.always_changed {
        map.insert(string("always_changed"), Value::Bool(true));
    }
    (Value::Mapping(map), created)
}

/// Adds (or with `force` replaces) a stage in the `dvc.yaml` of the working directory.
pub fn add_stage(
    workspace: &Workspace,
    options: &StageAddOptions,
) -> anyhow::Result<StageAddReport> {
    if !is_valid_stage_name(&options.name) {
        return Err(DvcError("Stage name cannot contain punctuation characters.".into()).into());
    }
    if options.command.iter().all(|word| word.is_empty()) {
        return Err(DvcError("command is not specified".into()).into());
    }
    let cwd = repo_cwd(workspace);
    let file = match cwd.join(DVC_YAML) {
        Joined::Inside(path) => path,
        Joined::Outside { .. } => RepoPath::new(DVC_YAML).expect("a valid repository path"),
    };
    let file_path = absolute(workspace, &file);
    let shown = workspace.display_path(&file_path);
    let previous = match std::fs::read_to_string(&file_path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).with_context(|| format!("failed to read '{shown}'")),
    };
    if let Some(text) = &previous
        && !options.force
        && let Ok(Value::Mapping(root)) = dv_schema::yaml::parse(text)
        && let Some(Value::Mapping(stages)) = root.get("stages")
        && stages.contains_key(options.name.as_str())
    {
        return Err(DvcError(format!(
            "Stage '{}' already exists in '{shown}'. Use '--force' to overwrite.",
            options.name
        ))
        .into());
    }
    let wdir = match &options.wdir {
        None => None,
        Some(wdir) => {
            let full = workspace.absolute(Path::new(wdir));
            if !full.is_dir() {
                return Err(DvcError(format!(
                    "stage working dir '{}' does not exist",
                    full.display()
                ))
                .into());
            }
            let dir = file_path.parent().unwrap_or(workspace.root());
            let relative = crate::path::relative(&full, dir);
            (relative != ".").then_some(relative)
        }
    };
    let (value, created) = stage_value(options, wdir);
    let definition = StageDefinition::from_value(&value).map_err(|error| {
        DvcError(format!(
            "failed to load stage '{}': {}: {}",
            options.name, error.key, error.message
        ))
    })?;
    let canonical = definition.to_value();
    let resolved = ResolvedStage {
        name: options.name.clone(),
        group: None,
        definition,
        value: canonical.clone(),
        tracked_vars: Vec::new(),
    };
    let stage = Stage::new(&file, &resolved).map_err(|error| DvcError(error.to_string()))?;
    check_outputs(workspace, &stage)?;
    Pipelines::load(workspace, Some(stage.clone()))?;
    check_with_data_sources(workspace, &stage, &cwd)?;

    let update = dump_stages(previous.as_deref(), &[(options.name.as_str(), canonical)])
        .map_err(|error| DvcError(format!("failed to update '{shown}': {}", error.message)))?;
    crate::confine::write_metafile(workspace, &file_path, update.text.as_bytes())
        .with_context(|| format!("failed to write '{shown}'"))?;
    let mut report = StageAddReport {
        file: shown,
        to_track: vec![file_path],
        staged: false,
        notices: Vec::new(),
    };
    for (def_path, cached) in created {
        if !cached {
            continue;
        }
        let Some(out) = stage
            .outs
            .iter()
            .find(|out| out.def_path == def_path)
            .and_then(|out| out.path.to_path(workspace.root()))
        else {
            continue;
        };
        if let Some(parent) = out.parent()
            && !parent.is_dir()
        {
            report.notices.push(format!(
                "Could not create .gitignore entry in {}. DVC will attempt to create .gitignore \
                 entry again when the stage is run.",
                parent.join(".gitignore").display()
            ));
            // DVC gives up on the remaining outputs too.
            break;
        }
        if let Some(gitignore) = ignore_output(workspace, &out)?
            && !report.to_track.contains(&gitignore)
        {
            report.to_track.push(gitignore);
        }
    }
    report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    Ok(report)
}
