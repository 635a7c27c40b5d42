//! Recording an experiment as DVC does: its hash (`sha256` of the `dvc.lock` entries of the
//! stages that ran, as `json.dumps(..., sort_keys=True)`) and its commit, a child of the
//! baseline holding the work tree's tracked files, the stage files and the git-tracked
//! dependencies and outputs of those stages, pointed at by `refs/exps/<baseline>/<name>`.
//! The user's index and `HEAD` are not touched.

use std::collections::HashMap;
use std::path::PathBuf;

use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

use super::refs::{ExpRef, check_name};
use crate::error::DvcError;
use crate::index::{Index, OnError, RepoStage};
use crate::pipelines::lock_path;
use crate::workspace::Workspace;

/// An experiment commit made.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Its ref.
    pub reference: ExpRef,
    /// Its commit.
    pub commit: String,
    /// DVC's experiment hash.
    pub hash: String,
}

/// What [`record`] commits.
#[derive(Debug, Clone, Default)]
pub struct RecordRequest<'a> {
    /// The baseline commit.
    pub baseline: &'a str,
    /// The experiment's name (`exp-<hash[:5]>` when none).
    pub name: Option<&'a str>,
    /// The commit message (`dvc: commit experiment <hash>` when none).
    pub message: Option<&'a str>,
    /// Replace an existing experiment of that name.
    pub force: bool,
    /// The stages that ran, as `repro` names them.
    pub ran: &'a [String],
    /// More files to include (absolute: `.gitignore` files `repro` changed).
    pub extra: &'a [PathBuf],
    /// Include the stage files of every stage, not only those that ran (`exp save`).
    pub all_stages: bool,
}

/// DVC's error for a name taken by a different experiment.
pub fn exists_error(name: &str, command: &str) -> DvcError {
    DvcError(format!(
        "Experiment conflicts with existing experiment '{name}'. To overwrite the existing \
         experiment run:\n\n\tdvc exp {command} -f ...\n"
    ))
}

/// Commits the work tree as an experiment of `request.baseline`.
pub fn record(workspace: &Workspace, request: &RecordRequest<'_>) -> anyhow::Result<Recorded> {
    let git = workspace
        .git()
        .ok_or_else(|| DvcError("experiments need a git repository".to_string()))?;
    let index = Index::collect(workspace, OnError::Fail)?;
    let stages: Vec<&dv_pipeline::stage::Stage> = index
        .stages
        .iter()
        .filter_map(|stage| match stage {
            RepoStage::Pipeline { stage, .. }
                if request.all_stages || request.ran.contains(&stage.addressing(&index.cwd)) =>
            {
                Some(stage.as_ref())
            }
            _ => None,
        })
        .collect();
    let hash = experiment_hash(workspace, &stages)?;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut add = |path: &RepoPath| {
        let path = PathBuf::from(path.as_str());
        if !paths.contains(&path) {
            paths.push(path);
        }
    };
    for stage in &stages {
        add(&stage.file);
        add(&lock_path(&stage.file));
        for dependency in &stage.deps {
            if let Some(path) = dependency.path.repo_path() {
                add(path);
            }
        }
        for dependency in &stage.params {
            if let Some(path) = dependency.path.repo_path() {
                add(path);
            }
        }
        for output in &stage.outs {
            if let Some(path) = output.path.repo_path() {
                add(path);
            }
        }
    }
    for top in &index.top_level {
        let dir = top.file.parent();
        let plots = top.plots.iter().filter_map(|plot| match plot {
            Value::String(path) => Some(path.clone()),
            _ => None,
        });
        for file in top.params.iter().chain(&top.metrics).cloned().chain(plots) {
            if let dv_schema::repo_path::Joined::Inside(path) = dir.join(&file) {
                add(&path);
            }
        }
    }
    for path in request.extra {
        if let Ok(relative) = path.strip_prefix(workspace.root()) {
            paths.push(relative.to_path_buf());
        }
    }
    let name = request
        .name
        .map(str::to_string)
        .unwrap_or_else(|| format!("exp-{}", &hash[..5]));
    let reference = ExpRef::new(request.baseline, &name);
    check_name(git, &reference)?;
    let message = request
        .message
        .map(str::to_string)
        .unwrap_or_else(|| format!("dvc: commit experiment {hash}"));
    let commit = git.commit_work_tree(request.baseline, &paths, &message)?;
    let full = reference.full();
    let existing = git.resolve_commit(&full);
    let commit = match existing {
        Some(existing) if !request.force => {
            if git.trees_differ(&existing, &commit)? {
                return Err(exists_error(&name, "run").into());
            }
            existing
        }
        _ => {
            git.update_ref(
                &full,
                &commit,
                Some(existing.as_deref().unwrap_or("")),
                "dvc: experiment",
            )?;
            commit
        }
    };
    Ok(Recorded {
        reference,
        commit,
        hash,
    })
}

/// DVC's experiment hash of `stages`: their `dvc.lock` entries merged into one mapping by
/// name, dumped as `json.dumps(sort_keys=True)` and hashed with sha256.
fn experiment_hash(
    workspace: &Workspace,
    stages: &[&dv_pipeline::stage::Stage],
) -> anyhow::Result<String> {
    let mut locks: HashMap<RepoPath, Value> = HashMap::new();
    let mut data = Mapping::new();
    for stage in stages {
        let lock = lock_path(&stage.file);
        if !locks.contains_key(&lock) {
            let text =
                std::fs::read_to_string(workspace.root().join(lock.as_str())).unwrap_or_default();
            let value = dv_schema::yaml::parse(&text).unwrap_or(Value::Null);
            locks.insert(lock.clone(), value);
        }
        let entry = locks
            .get(&lock)
            .and_then(|value| value.get("stages"))
            .and_then(|stages| stages.get(stage.name.as_str()))
            .cloned();
        if let Some(entry) = entry {
            data.insert(Value::String(stage.name.clone()), entry);
        }
    }
    let text = dv_schema::python_json::dumps_sorted(&Value::Mapping(data));
    Ok(Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}
