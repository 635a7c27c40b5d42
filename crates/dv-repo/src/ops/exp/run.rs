//! `exp run` in the workspace and `exp save` (DVC's `WorkspaceExecutor` and
//! `BaseExecutor.save`): `-S` overrides written into the params files, the pipeline reproduced
//! in place, and the result recorded as an experiment commit of `HEAD` under
//! `refs/exps/...`; the results stay in the work tree, `HEAD`, the branch and the index are
//! left as they were.

use crate::error::DvcError;
use crate::experiments::names::random_name;
use crate::experiments::overrides::{self, PathOverrides};
use crate::experiments::refs::{ExpRef, check_name};
use crate::experiments::{RecordRequest, Recorded, exists_error, record};
use crate::ops::commit::{CommitOptions, commit as dvc_commit};
use crate::ops::repro::{ReproEvent, ReproOptions, repro};
use crate::workspace::Workspace;

use super::manage::{git_of, head};

/// What `exp run` does.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The `repro` it runs (targets, `-f`, ...).
    pub repro: ReproOptions,
    /// `-S [file:]key=value` overrides.
    pub set_params: Vec<String>,
    /// `-n`: the name (random when none).
    pub name: Option<String>,
    /// `-m`: the commit message.
    pub message: Option<String>,
    /// The baseline when it is not `HEAD` (a queued experiment's clone is checked out at the
    /// workspace it was queued from, a child of its baseline).
    pub baseline: Option<String>,
}

/// What happened, for the binary to print.
pub enum RunEvent {
    /// `Reproducing experiment 'name'`.
    Reproducing(String),
    /// What `repro` reports.
    Repro(ReproEvent),
}

/// The experiment `exp run` made.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The experiment, `None` for `--dry`.
    pub recorded: Option<Recorded>,
    /// Files git does not track that the experiment commit left out.
    pub untracked: Vec<String>,
    /// The `dvc.lock` files `exp save` updated, as shown.
    pub locks_updated: Vec<String>,
}

/// The overrides of `-S`, checked: a sweep needs `--queue`.
pub fn single_overrides(values: &[String]) -> anyhow::Result<PathOverrides> {
    let grouped = overrides::by_path(values);
    if overrides::is_sweep(&grouped) {
        return Err(DvcError("Sweep overrides can't be used without `--queue`".to_string()).into());
    }
    Ok(grouped)
}

/// The name a new experiment of `baseline` gets: `name` after checking it is valid and free
/// (unless `force`), else a random free one.
pub fn new_name(
    workspace: &Workspace,
    baseline: &str,
    name: Option<&str>,
    force: bool,
) -> anyhow::Result<String> {
    let git = git_of(workspace)?;
    match name {
        Some(name) => {
            let reference = ExpRef::new(baseline, name);
            check_name(git, &reference)?;
            if !force && git.resolve_commit(&reference.full()).is_some() {
                return Err(exists_error(name, "run").into());
            }
            Ok(name.to_string())
        }
        None => Ok(random_name(|candidate| {
            git.resolve_commit(&ExpRef::new(baseline, candidate).full())
                .is_some()
        })),
    }
}

/// The commit experiments start from.
pub fn baseline(workspace: &Workspace) -> anyhow::Result<String> {
    let git = git_of(workspace)?;
    head(git).ok_or_else(|| {
        DvcError("Experiments require a Git commit: commit your work first".to_string()).into()
    })
}

/// Runs one experiment in the workspace.
pub fn run(
    workspace: &Workspace,
    options: &RunOptions,
    confirm: &dyn Fn(&str) -> bool,
    events: &mut dyn FnMut(RunEvent),
) -> anyhow::Result<RunReport> {
    let baseline = match &options.baseline {
        Some(baseline) => baseline.clone(),
        None => baseline(workspace)?,
    };
    let grouped = single_overrides(&options.set_params)?;
    let name = new_name(
        workspace,
        &baseline,
        options.name.as_deref(),
        options.repro.force,
    )?;
    for (path, list) in &grouped {
        overrides::apply(workspace.root(), path, list)?;
    }
    events(RunEvent::Reproducing(name.clone()));
    let report = repro(workspace, &options.repro, confirm, &mut |event| {
        events(RunEvent::Repro(event))
    })?;
    if options.repro.dry {
        return Ok(RunReport {
            recorded: None,
            untracked: Vec::new(),
            locks_updated: Vec::new(),
        });
    }
    let recorded = record(
        workspace,
        &RecordRequest {
            baseline: &baseline,
            name: Some(&name),
            message: options.message.as_deref(),
            force: options.repro.force,
            ran: &report.ran,
            extra: &report.to_track,
            all_stages: false,
        },
    )?;
    Ok(RunReport {
        recorded: Some(recorded),
        untracked: Vec::new(),
        locks_updated: Vec::new(),
    })
}

/// What `exp save` records.
#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    /// Stage targets to commit (all when empty).
    pub targets: Vec<std::path::PathBuf>,
    /// `-R`.
    pub recursive: bool,
    /// `-f`: replace an experiment of the same name.
    pub force: bool,
    /// `-n`.
    pub name: Option<String>,
    /// `-I`: untracked paths to include.
    pub include_untracked: Vec<std::path::PathBuf>,
    /// `-m`.
    pub message: Option<String>,
}

/// `exp save`: the workspace as it is (outputs committed to the cache, `dvc.lock` updated, as
/// `dvc commit -f` does) recorded as an experiment of `HEAD`.
pub fn save(
    workspace: &Workspace,
    options: &SaveOptions,
    progress: &dv_data::progress::Progress,
) -> anyhow::Result<RunReport> {
    let git = git_of(workspace)?;
    let baseline = baseline(workspace)?;
    if let Some(name) = &options.name {
        let reference = ExpRef::new(&baseline, name);
        check_name(git, &reference)?;
        if !options.force && git.resolve_commit(&reference.full()).is_some() {
            return Err(exists_error(name, "save").into());
        }
    }
    let mut extra: Vec<std::path::PathBuf> = options
        .include_untracked
        .iter()
        .map(|path| workspace.root().join(path))
        .collect();
    let mut locks_updated = Vec::new();
    let targets: Vec<Option<std::path::PathBuf>> = if options.targets.is_empty() {
        vec![None]
    } else {
        options.targets.iter().cloned().map(Some).collect()
    };
    for target in targets {
        let committed = dvc_commit(
            workspace,
            &CommitOptions {
                target,
                recursive: options.recursive,
                force: true,
                relink: false,
                jobs: None,
            },
            &|_| true,
            progress,
        )?;
        extra.extend(committed.rewritten.iter().cloned());
        extra.extend(committed.committed.iter().cloned());
        locks_updated.extend(committed.locks_updated);
    }
    let recorded = record(
        workspace,
        &RecordRequest {
            baseline: &baseline,
            name: options.name.as_deref(),
            message: options.message.as_deref(),
            force: options.force,
            ran: &[],
            extra: &extra,
            all_stages: true,
        },
    )?;
    let untracked = git.untracked()?;
    Ok(RunReport {
        recorded: Some(recorded),
        untracked,
        locks_updated,
    })
}
