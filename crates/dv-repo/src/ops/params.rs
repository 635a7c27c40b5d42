//! `dv params diff`: the params of two revisions (every stage's `params`, top-level `params`
//! entries and `params.yaml`) and what changed between them (DVC's `repo/params/`).

use std::path::PathBuf;

use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::{Mapping, Value};

use crate::compare::{DiffResult, FileData, compare_pair, gather_pair, repo_targets, shown};
use crate::index::RepoStage;
use crate::revisions::Revisions;
use crate::revisions::Snapshot;
use crate::revisions::values::{params_files, read_params};
use crate::workspace::Workspace;

/// What `params diff` compares.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The old revision (`HEAD`).
    pub a_rev: String,
    /// The new revision (`workspace`).
    pub b_rev: String,
    /// Params files; all when empty.
    pub targets: Vec<PathBuf>,
    /// `--all`: unchanged params too.
    pub all: bool,
    /// `--deps`: only params stages depend on.
    pub deps_only: bool,
}

/// The changed params between `a_rev` and `b_rev` (nothing in a repository without commits).
pub fn diff(workspace: &Workspace, options: &DiffOptions) -> anyhow::Result<DiffResult> {
    let revisions = Revisions::open(workspace)?;
    if !revisions.has_commits() {
        return Ok(DiffResult::default());
    }
    let targets = repo_targets(workspace, &options.targets);
    let results = gather_pair(
        workspace,
        &revisions,
        &options.a_rev,
        &options.b_rev,
        |snapshot| {
            let files = params_files(snapshot, &targets, options.deps_only);
            let mut data: Vec<(String, FileData)> = files
                .iter()
                .map(|(path, keys)| {
                    let data = read_params(snapshot, path, keys);
                    (shown(workspace, path), data)
                })
                .collect();
            if targets.is_empty() {
                let read: Vec<&RepoPath> = files.iter().map(|(path, _)| path).collect();
                for (file, values) in tracked_vars(snapshot, &read) {
                    data.push((shown(workspace, &file), FileData::Data(values)));
                }
            }
            data
        },
    )?;
    Ok(compare_pair(
        &results,
        &options.a_rev,
        &options.b_rev,
        options.all,
    ))
}

/// DVC's `_collect_vars`: the variables each stage's definition took from `vars` files, per
/// file (keys dotted, as DVC shows them), leaving out the files read as params already.
fn tracked_vars(snapshot: &Snapshot<'_>, read: &[&RepoPath]) -> Vec<(RepoPath, Value)> {
    let mut found: Vec<(RepoPath, Mapping)> = Vec::new();
    for stage in &snapshot.index.stages {
        let RepoStage::Pipeline { stage, .. } = stage else {
            continue;
        };
        for var in &stage.tracked_vars {
            let Ok(file) = RepoPath::new(&var.file) else {
                continue;
            };
            if read.contains(&&file) {
                continue;
            }
            let key = Value::String(var.key.clone());
            match found.iter_mut().find(|(known, _)| *known == file) {
                Some((_, values)) => {
                    values.insert(key, var.value.clone());
                }
                None => {
                    let mut values = Mapping::new();
                    values.insert(key, var.value.clone());
                    found.push((file, values));
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(file, values)| (file, Value::Mapping(values)))
        .collect()
}
