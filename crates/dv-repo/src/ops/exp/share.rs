//! `exp push` and `exp pull` (DVC's `repo/experiments/{push,pull}.py`): experiment refs sent
//! to or fetched from a git remote with refspecs `ref:ref` (the `git` command line, so the
//! user's credentials and remotes work as for git), and the experiments' cached outputs sent
//! to or fetched from the DVC remote.

use dv_data::progress::Progress;
use dv_scm::Git;

use crate::error::DvcError;
use crate::experiments::refs::{self, Experiment};
use crate::ops::fetch::{FetchOptions, fetch};
use crate::ops::push::{PushOptions, push as dvc_push};
use crate::revisions::Scope;
use crate::workspace::Workspace;

use super::manage::{Baselines, baseline_commits, git_of, head};

/// Which experiments, and what else moves with them.
#[derive(Debug, Clone, Default)]
pub struct ShareOptions {
    /// The git remote (a name or URL).
    pub git_remote: String,
    /// Experiment names (the selected baselines' experiments when empty).
    pub names: Vec<String>,
    /// `-A`, `--rev`, `-n`.
    pub baselines: Baselines,
    /// `-f`: replace diverged experiments.
    pub force: bool,
    /// Also move the experiments' cached outputs (not with `--no-cache`).
    pub with_cache: bool,
    /// `-r`: the DVC remote.
    pub dvc_remote: Option<String>,
    /// `-j`.
    pub jobs: Option<usize>,
    /// `--run-cache`.
    pub run_cache: bool,
}

/// What happened to each experiment, by name.
#[derive(Debug, Clone, Default)]
pub struct ShareReport {
    /// Sent or fetched.
    pub success: Vec<String>,
    /// Already the same on both sides.
    pub up_to_date: Vec<String>,
    /// Different on both sides (left alone without `-f`).
    pub diverged: Vec<String>,
    /// Objects uploaded to the DVC remote (`exp push`).
    pub uploaded: usize,
}

fn selected(
    workspace: &Workspace,
    git: &Git,
    available: &[Experiment],
    options: &ShareOptions,
    remote_names: bool,
) -> anyhow::Result<Vec<Experiment>> {
    if options.baselines.all_commits {
        return Ok(available.to_vec());
    }
    if !options.names.is_empty() {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for (name, experiment) in refs::resolve(available, head(git).as_deref(), &options.names)? {
            match experiment {
                Some(experiment) => found.push(experiment),
                None => missing.push(name),
            }
        }
        if !missing.is_empty() {
            let _ = remote_names;
            return Err(refs::unknown_names(&missing).into());
        }
        return Ok(found);
    }
    let wanted = baseline_commits(workspace, &options.baselines)?.unwrap_or_default();
    Ok(available
        .iter()
        .filter(|exp| wanted.contains(&exp.reference.baseline))
        .cloned()
        .collect())
}

/// The commits of `experiments` (each from its tip back to its baseline), as DVC's
/// `exp_commits` lists them for the cache transfer.
fn experiment_revs(git: &Git, experiments: &[Experiment]) -> Vec<String> {
    let mut revs = Vec::new();
    for experiment in experiments {
        let mut commit = experiment.commit.clone();
        while commit != experiment.reference.baseline && !revs.contains(&commit) {
            revs.push(commit.clone());
            match git.resolve_commit(&format!("{commit}^")) {
                Some(parent) => commit = parent,
                None => break,
            }
        }
    }
    revs
}

/// `exp push`.
pub fn push(
    workspace: &Workspace,
    options: &ShareOptions,
    progress: &Progress,
) -> anyhow::Result<ShareReport> {
    let git = git_of(workspace)?;
    let local = refs::list(git)?;
    let chosen = selected(workspace, git, &local, options, false)?;
    let remote: Vec<Experiment> = refs::list_remote(git, &options.git_remote)
        .map_err(|error| DvcError(format!("{error}")))?;
    let mut report = ShareReport::default();
    let mut refspecs = Vec::new();
    let mut sent = Vec::new();
    for experiment in &chosen {
        let full = experiment.reference.full();
        let theirs = remote
            .iter()
            .find(|exp| exp.reference == experiment.reference);
        match theirs {
            Some(theirs) if theirs.commit == experiment.commit => {
                report.up_to_date.push(experiment.reference.name.clone());
                sent.push(experiment.clone());
            }
            Some(theirs)
                if !options.force && !git.is_ancestor(&theirs.commit, &experiment.commit) =>
            {
                report.diverged.push(experiment.reference.name.clone());
            }
            _ => {
                refspecs.push(format!("{full}:{full}"));
                report.success.push(experiment.reference.name.clone());
                sent.push(experiment.clone());
            }
        }
    }
    if !refspecs.is_empty() {
        git.push_refspecs(&options.git_remote, &refspecs, options.force)?;
    }
    if options.with_cache && !sent.is_empty() {
        let pushed = dvc_push(
            workspace,
            &PushOptions {
                remote: options.dvc_remote.clone(),
                jobs: options.jobs,
                run_cache: options.run_cache,
                scope: Scope {
                    revs: experiment_revs(git, &sent),
                    num: 1,
                    ..Scope::default()
                },
                ..PushOptions::default()
            },
            progress,
        )?;
        report.uploaded = pushed.pushed;
    }
    Ok(report)
}

/// `exp pull`.
pub fn pull(
    workspace: &Workspace,
    options: &ShareOptions,
    progress: &Progress,
) -> anyhow::Result<ShareReport> {
    let git = git_of(workspace)?;
    let remote: Vec<Experiment> = refs::list_remote(git, &options.git_remote)
        .map_err(|error| DvcError(format!("{error}")))?;
    let chosen = selected(workspace, git, &remote, options, true)?;
    let mut report = ShareReport::default();
    let mut refspecs = Vec::new();
    let mut fetched = Vec::new();
    for experiment in &chosen {
        let full = experiment.reference.full();
        match git.resolve_commit(&full) {
            Some(ours) if ours == experiment.commit => {
                report.up_to_date.push(experiment.reference.name.clone());
                fetched.push(experiment.clone());
            }
            Some(ours)
                if !options.force
                    && !git.is_ancestor(&ours, &experiment.commit)
                    && git.resolve_commit(&experiment.commit).is_some() =>
            {
                report.diverged.push(experiment.reference.name.clone());
            }
            _ => {
                refspecs.push(format!("{full}:{full}"));
                report.success.push(experiment.reference.name.clone());
                fetched.push(experiment.clone());
            }
        }
    }
    if !refspecs.is_empty() {
        git.fetch_refspecs(&options.git_remote, &refspecs, options.force)?;
    }
    if options.with_cache && !fetched.is_empty() {
        fetch(
            workspace,
            &FetchOptions {
                remote: options.dvc_remote.clone(),
                jobs: options.jobs,
                run_cache: options.run_cache,
                scope: Scope {
                    revs: experiment_revs(git, &fetched),
                    num: 1,
                    ..Scope::default()
                },
                ..FetchOptions::default()
            },
            progress,
        )?;
    }
    Ok(report)
}
