//! `dvc repro` (spec §9.2): the stages the targets select — `dvc.yaml` stages and `.dvc`
//! files alike, planned over the repository's stage graph as DVC's `plan_repro` does — each
//! checked and, when its command, dependencies or outputs changed since it was recorded,
//! reproduced: a pipeline stage's outputs are removed, its commands run through the shell in
//! its working directory, then its outputs are saved to the cache, its new lock entry is
//! written and the run is saved to the run-cache; a `.dvc` file's outputs are verified and
//! saved again (DVC's data sources, `data_source`).
//!
//! Before running a changed stage (unless forced), DVC's `StageCache.restore` is followed
//! (spec §9.4): when only its outputs changed, its `dvc.lock` entry is the run to restore;
//! otherwise the newest run-cache entry for its current command, dependencies and params (not
//! with `--no-run-cache`). If the cache has every output of that run, the outputs are checked
//! out instead of running the command.
//!
//! A failing stage stops the run (`failed to reproduce 'x': <why>`), or with `--keep-going`
//! is reported and skips the stages depending on it, or with `--ignore-errors` is reported
//! and nothing else changes (DVC's `_reproduce`). `.gitignore` entries added during a run that
//! fails are removed again, as DVC's `scm_context` does. `--pull` fetches what is missing from
//! the remote along the way (`pull`).

mod command;
mod data_source;
mod prepare;
mod pull;
mod record;
mod schedule;
mod trash;

use command::{CommandRun, WorkerMessage, command_run, execute_inline, execute_prefixed};
use prepare::{Prepared, Recording};
use trash::remove_outputs;

use std::path::PathBuf;

use dv_pipeline::graph::Selection;
use dv_schema::lock_file::LockDocument;
use dv_schema::repo_path::RepoPath;

use crate::index::{self as stages, Index};
use crate::interrupt::Interrupts;
use crate::workspace::Workspace;

/// What to do when a stage fails (DVC's `on_error`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnError {
    /// Stop with `failed to reproduce 'x': <why>` (the default).
    #[default]
    Fail,
    /// `-k/--keep-going`: warn, skip the stages depending on it, fail at the end.
    KeepGoing,
    /// `--ignore-errors`: warn and carry on; the run succeeds.
    Ignore,
}

/// What `repro` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ReproOptions {
    /// Stage addressings, `dvc.yaml` or `.dvc` files, or directories with `recursive`
    /// (`dvc.yaml` of the working directory when empty).
    pub targets: Vec<String>,
    /// `-f`: run stages even when nothing changed.
    pub force: bool,
    /// `-s`: only the targets, not their upstream stages.
    pub single_item: bool,
    /// `-p`: the whole pipelines the targets belong to.
    pub pipeline: bool,
    /// `-P`: every stage of the repository (targets are ignored).
    pub all_pipelines: bool,
    /// `-R`: directory targets stand for the stages defined under them.
    pub recursive: bool,
    /// `--glob`: targets are `[path:]pattern`, matched against stage names.
    pub glob: bool,
    /// `--downstream`: the targets and the stages depending on them.
    pub downstream: bool,
    /// `--force-downstream`: once a stage ran, the stages depending on it run too.
    pub force_downstream: bool,
    /// `--dry`: print the commands without running them.
    pub dry: bool,
    /// `--no-run-cache`: never restore a stage from the run-cache (runs are still saved).
    pub no_run_cache: bool,
    /// `--no-commit`: outputs are not saved to the cache (and runs not to the run-cache);
    /// lock entries and `.dvc` files are still written.
    pub no_commit: bool,
    /// `--allow-missing`: missing outputs, and missing dependencies no upstream stage changed,
    /// do not count as changes.
    pub allow_missing: bool,
    /// `--pull`: data missing locally is pulled from the remote first.
    pub pull: bool,
    /// `-k` / `--ignore-errors`.
    pub on_error: OnError,
    /// Threads for hashing.
    pub jobs: Option<usize>,
    /// `-j N` (dv's own): how many stages may run their commands at once (0 or 1: one at a
    /// time, with the terminal, as DVC does).
    pub stage_jobs: usize,
    /// `--explain` (dv's own): say why each stage runs, with old and new values.
    pub explain: bool,
    /// `-i`: ask before reproducing each stage.
    pub interactive: bool,
    /// Where a running command tells the signal handler to leave Ctrl-C to it.
    pub interrupts: Interrupts,
}

/// Progress of `repro`, reported as it happens (DVC logs each as it goes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReproEvent {
    /// A warning from selecting the targets (`Ignoring name 'x' for single stage in ...`).
    TargetWarning(String),
    /// A blank line between a stage that ran and the next one.
    Separator,
    /// `Stage 'x' didn't change, skipping`.
    Skipped(String),
    /// `'x.dvc' didn't change, skipping`: a `.dvc` file with nothing to do.
    DataSourceSkipped(String),
    /// `Verifying data sources in stage: 'x.dvc'`: a changed `.dvc` file is saved again.
    VerifyingDataSources(String),
    /// `Stage 'x' is cached - skipping run, checking out outputs`: its outputs come from the
    /// cache instead of its command (with `--dry`, followed by `Running` anyway, as in DVC).
    Restored(String),
    /// `Running stage 'x':`.
    Running(String),
    /// `> cmd`, before the command runs.
    Command(String),
    /// `Generating lock file 'dvc.lock'`.
    LockGenerated(String),
    /// `Updating lock file 'dvc.lock'`.
    LockUpdated(String),
    /// A run-cache entry that could not be read was removed: `corrupted cache file '<path>'.`
    CorruptedRun(String),
    /// `stage: 'x' is frozen. Its dependencies are not going to be reproduced.` (a warning,
    /// for every frozen stage of the plan).
    Frozen(String),
    /// `Verifying outputs in frozen stage: 'x'`: a changed frozen stage is not run; its
    /// outputs are checked and recorded.
    VerifyingFrozen(String),
    /// `Pulling data for stage: 'x'`: a stage missing only data gets it from the remote.
    Pulling(String),
    /// `Unable to pull data for stage: 'x'`: the stage is reproduced instead.
    PullFailed(String),
    /// `Failed to pull run cache: <why>` (a warning): no remote to pull it from.
    RunCachePullFailed(String),
    /// `Importing 'source' -> 'output'`: an import that is not frozen is downloaded again.
    Importing {
        /// The source as recorded.
        source: String,
        /// The output, relative to the working directory.
        output: String,
    },
    /// Outputs of a stage to pull that its lock entry does not record (absolute): DVC warns
    /// `No file hash info found for '<path>'. It won't be created.` for each.
    UnrecordedOutputs(Vec<String>),
    /// `failed to collect 'workspace', skipping` (a warning): a missing dependency to pull
    /// names nothing DVC tracks.
    CollectFailed,
    /// Objects neither in the cache nor on the remote while pulling (a warning).
    MissingObjects(Vec<String>),
    /// A stage failed with `-k` or `--ignore-errors` (a warning: the reason, plus
    /// ` (ignored)` with `--ignore-errors`).
    Failed {
        /// Why it failed.
        message: String,
        /// `--ignore-errors`.
        ignored: bool,
    },
    /// `Stage 'y' will be skipped due to this failure` (`Stages 'y' and 'z' ...`): with
    /// `-k`, the stages depending on a failed one.
    DependentsSkipped(Vec<String>),
    /// Why a stage runs (`--explain`): one line per reason.
    Explained {
        /// The stage.
        stage: String,
        /// Its reasons, from [`dv_pipeline::explain::reasons`].
        reasons: Vec<String>,
    },
    /// A line a stage's command printed while stages run concurrently (`-j`).
    Output {
        /// The stage.
        stage: String,
        /// The line, without its end.
        line: String,
        /// Printed to standard error.
        stderr: bool,
    },
    /// An output about to be replaced whose content existed nowhere else was moved aside
    /// instead of deleted (a warning).
    Trashed {
        /// The stage about to run.
        stage: String,
        /// The output.
        path: String,
        /// Where it is now.
        to: String,
    },
    /// Dependencies changed while the stage's command ran (a warning): the lock records
    /// them as they were when it started, so the next `repro` runs the stage again.
    DependenciesChanged {
        /// The stage.
        stage: String,
        /// The dependencies and params files, as written in `dvc.yaml`.
        paths: Vec<String>,
    },
}

/// What `repro` did.
#[derive(Debug, Clone, Default)]
pub struct ReproReport {
    /// The stages that ran or were restored from the cache (or would have, with `--dry`).
    pub ran: Vec<String>,
    /// Files to track with git (lock files, `.dvc` files, changed `.gitignore` files),
    /// absolute.
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
}

impl ReproReport {
    fn track(&mut self, path: PathBuf) {
        if !self.to_track.contains(&path) {
            self.to_track.push(path);
        }
    }
}

/// One reproduction in progress: what it was asked, what it did so far.
struct Run<'a> {
    workspace: &'a Workspace,
    options: &'a ReproOptions,
    index: &'a Index,
    report: ReproReport,
    /// Outputs this run added to `.gitignore` files (removed again when the run fails).
    ignored: Vec<PathBuf>,
    /// Each `dvc.lock` as last read or written (its text and content), so a long pipeline
    /// parses its lock once instead of once per stage, and records stages by editing it.
    locks: std::collections::HashMap<RepoPath, LockDocument>,
    /// The lock files known to be as `locks` has them (cleared when a command ran).
    locks_checked: std::collections::HashSet<RepoPath>,
    /// Asks the user a yes/no question (`-i`).
    confirm: &'a dyn Fn(&str) -> bool,
    /// Each planned step's position in the plan.
    plan_position: std::collections::HashMap<usize, usize>,
    /// Lock entries this run created (per lock file: stage name, plan position), so that
    /// stages finishing out of order with `-j` are placed as a run in order would place them.
    created: std::collections::HashMap<RepoPath, Vec<(String, Option<usize>)>>,
    /// The step being prepared or recorded.
    current: usize,
    /// `.gitignore` entries held back until the end of a `-j` run (plan position, path).
    deferred_ignores: Vec<(usize, PathBuf)>,
}

/// A stage failure DVC words two ways: a `-k` warning shows the exception alone, the final
/// error appends its cause (`'x' does not exist as an output or a stage name in 'dvc.yaml':
/// Stage 'x' not found inside 'dvc.yaml' file`).
#[derive(Debug, thiserror::Error)]
#[error("{summary}")]
struct Failure {
    summary: String,
    full: String,
}

impl Failure {
    /// Splits DVC's `<exception>: <cause>` text of a target that names nothing.
    fn with_cause(full: String) -> Failure {
        let marker = " does not exist as an output or a stage name in '";
        let summary = full
            .find(marker)
            .and_then(|at| {
                let rest = at + marker.len();
                full[rest..]
                    .find("': ")
                    .map(|end| full[..rest + end + 1].to_owned())
            })
            .unwrap_or_else(|| full.clone());
        Failure { summary, full }
    }

    /// The warning text and the error text of a stage failure.
    fn messages(error: &anyhow::Error) -> (String, String) {
        match error.downcast_ref::<Failure>() {
            Some(failure) => (failure.summary.clone(), failure.full.clone()),
            None => (format!("{error:#}"), format!("{error:#}")),
        }
    }
}

/// Reproduces the targets' pipelines.
/// `confirm` asks the user a yes/no question (for `-i`).
pub fn repro(
    workspace: &Workspace,
    options: &ReproOptions,
    confirm: &dyn Fn(&str) -> bool,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<ReproReport> {
    let index = Index::collect(workspace, stages::OnError::Fail)?;
    let pipeline = options.pipeline || options.all_pipelines;
    let mut selected = Vec::new();
    if !options.all_pipelines {
        let default = [dv_pipeline::resolve::DVC_YAML.to_owned()];
        let targets = if options.targets.is_empty() {
            &default[..]
        } else {
            &options.targets[..]
        };
        for target in targets {
            let how = stages::Collect {
                recursive: options.recursive,
                glob: options.glob,
            };
            let found = stages::collect(workspace, &index, target, how)?;
            for warning in found.warnings {
                events(ReproEvent::TargetWarning(warning));
            }
            for stage in &found.stages {
                if let Some(position) = index.position(stage)
                    && !selected.contains(&position)
                {
                    selected.push(position);
                }
            }
        }
    }
    let (graph, steps) = if options.single_item && !pipeline {
        (None, selected)
    } else {
        let graph = index.graph(workspace)?;
        let steps = graph.plan(
            &selected,
            Selection {
                single_item: false,
                downstream: options.downstream && !pipeline,
                pipeline: options.pipeline,
                all_pipelines: options.all_pipelines,
            },
        );
        (Some(graph.active()), steps)
    };
    if options.pull && !options.no_run_cache {
        pull::pull_run_cache(workspace, events)?;
    }
    let mut run = Run {
        workspace,
        options,
        index: &index,
        report: ReproReport::default(),
        ignored: Vec::new(),
        locks: std::collections::HashMap::new(),
        locks_checked: std::collections::HashSet::new(),
        confirm,
        plan_position: steps
            .iter()
            .enumerate()
            .map(|(position, &step)| (step, position))
            .collect(),
        created: std::collections::HashMap::new(),
        current: 0,
        deferred_ignores: Vec::new(),
    };
    let result = run
        .reproduce(graph.as_ref(), &steps, events)
        .and_then(|()| run.flush_ignores());
    if let Err(error) = result {
        run.forget_ignored();
        return Err(error);
    }
    let mut report = run.report;
    if !report.to_track.is_empty() {
        report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    }
    Ok(report)
}

/// `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'` (DVC's `humanize.join` of quoted names), as in
/// `failed to reproduce stages: 'a' and 'b'`.
pub fn join_names(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

impl Run<'_> {
    /// Asks for `path`'s `.gitignore` entry (DVC's `Output.ignore`). Entries are added when
    /// the whole run succeeded ([`Run::flush_ignores`]): a run that fails adds none, as DVC's
    /// `scm_context` takes them back, and asking git once for all of them instead of once per
    /// stage keeps long pipelines fast. They are added in plan order, so that a run with `-j`
    /// writes the `.gitignore` files a run one stage at a time writes.
    fn ignore(&mut self, path: &std::path::Path) -> anyhow::Result<()> {
        let position = self.plan_position.get(&self.current).copied();
        self.deferred_ignores
            .push((position.unwrap_or(usize::MAX), path.to_path_buf()));
        Ok(())
    }

    /// Adds the `.gitignore` entries the run asked for, in plan order, with one question to
    /// git for all of them.
    fn flush_ignores(&mut self) -> anyhow::Result<()> {
        let mut deferred = std::mem::take(&mut self.deferred_ignores);
        deferred.sort_by_key(|(position, _)| *position);
        let mut seen = std::collections::HashSet::new();
        let paths: Vec<PathBuf> = deferred
            .into_iter()
            .map(|(_, path)| path)
            .filter(|path| seen.insert(path.clone()))
            .collect();
        let ignored = crate::tracking::ignore_outputs(self.workspace, &paths)?;
        for gitignore in ignored.gitignores {
            self.report.track(gitignore);
        }
        self.ignored.extend(ignored.added);
        Ok(())
    }

    /// Removes the `.gitignore` entries this run added (the run failed).
    fn forget_ignored(&mut self) {
        crate::tracking::forget_ignores(self.workspace, &self.ignored);
        self.ignored.clear();
    }
}
