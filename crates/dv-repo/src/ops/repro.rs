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

mod data_source;
mod pull;

use std::path::PathBuf;

use anyhow::Context;
use dv_data::checkout::CheckoutOptions as LinkOptions;
use dv_data::state::State;
use dv_fs::link::LinkType;
use dv_pipeline::execution;
use dv_pipeline::explain;
use dv_pipeline::graph::{Selection, StageGraph};
use dv_pipeline::lock::{self, RunInputs};
use dv_pipeline::run_cache;
use dv_pipeline::stage::{EntryPath, Stage};
use dv_pipeline::status::{CheckMode, CheckOptions, HashValue, Workspace as _, check};
use dv_schema::lock_file::{LockDocument, LockStage, python_equal};
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::Value;

use crate::error::DvcError;
use crate::interrupt::Interrupts;
use crate::pipelines::{RepoWorkspace, absolute, lock_path, read_lock};
use crate::run_cache::{Lookup, RunCache, save_run};
use crate::stages::{self, Index, RepoStage};
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

/// The signal number of SIGINT (Ctrl-C).
const SIGINT: i32 = 2;

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

/// The outputs of the stages a stage depends on, with their recorded hashes.
type Upstream = Vec<(EntryPath, Option<HashValue>)>;

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
    if !report.to_track.is_empty()
        && workspace.autostage()
        && let Some(git) = workspace.git()
    {
        git.add(&report.to_track)?;
        report.staged = true;
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

/// What [`Run::prepare`] decided for a stage.
enum Prepared {
    /// Nothing more to do; whether the stage ran (or would have, with `--dry`).
    Done(bool),
    /// Its outputs were restored or verified without running its command: record it.
    Record(Recording),
    /// Run its commands, then record it.
    Execute(Recording, CommandRun),
}

/// What recording a stage after its run needs from before it.
struct Recording {
    /// The stage's lock entry before the run.
    previous: Option<LockStage>,
    /// Its dependencies and params as hashed before the command started (`None` when not
    /// hashed, e.g. for frozen stages): what the lock records, with a warning when they
    /// changed while the command ran.
    inputs: Option<RunInputs>,
}

/// A stage's commands with everything needed to run them away from the repository state (on a
/// worker thread with `-j`).
struct CommandRun {
    addressing: String,
    commands: Vec<String>,
    shell: String,
    wdir: PathBuf,
    env: Vec<(String, String)>,
}

impl CommandRun {
    /// The process for one of the commands.
    fn process(&self, command: &str) -> std::process::Command {
        let argv = execution::shell_command(&self.shell, command);
        let mut process = std::process::Command::new(&argv[0]);
        process.args(&argv[1..]).current_dir(&self.wdir);
        process.env_clear();
        process.envs(self.env.iter().map(|(k, v)| (k, v)));
        process
    }
}

/// What a stage running on a worker thread reports to the main thread.
enum WorkerMessage {
    /// Something to print (a command about to run, a line of its output).
    Event(ReproEvent),
    /// The stage's commands finished (the step's position in the plan).
    Done(usize, anyhow::Result<()>),
}

/// What the run has learned so far about the planned stages.
struct Tally {
    /// Stages to run even if unchanged (`-f`, or `--force-downstream` after one ran).
    forced: Vec<bool>,
    /// Stages not to look at (`-k`: they depend on one that failed).
    skipped: Vec<bool>,
    /// Stages that failed (`-k`, `--ignore-errors`).
    failed: Vec<String>,
    /// The failure that stops the run (the default `on_error`).
    stop: Option<anyhow::Error>,
}

/// Whether a stage ran, failed, or was not started, as its dependents see it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ran,
    Unchanged,
    Failed,
}

impl Run<'_> {
    /// The text and content of the `dvc.lock` of `dvc_yaml`, read once per run and again
    /// only after this run wrote it.
    ///
    /// After a stage's command ran (it may have run `dvc` on the repository), the file is read
    /// again, and parsed again only if its text is not what this run last saw.
    fn lock(&mut self, dvc_yaml: &RepoPath) -> anyhow::Result<&mut LockDocument> {
        if !self.locks_checked.contains(dvc_yaml) {
            let current = self.locks.get(dvc_yaml);
            let unchanged = match current {
                Some(document) => {
                    let path = absolute(self.workspace, &lock_path(dvc_yaml));
                    std::fs::read_to_string(&path).ok() == document.text
                }
                None => false,
            };
            if !unchanged {
                let (text, file) = read_lock(self.workspace, dvc_yaml)?;
                self.locks
                    .insert(dvc_yaml.clone(), LockDocument::new(text, file));
            }
            self.locks_checked.insert(dvc_yaml.clone());
        }
        self.locks
            .get_mut(dvc_yaml)
            .ok_or_else(|| anyhow::anyhow!("lock file of '{dvc_yaml}' not loaded"))
    }

    /// DVC's `_reproduce`: each planned stage in order, with forcing, skipping and failures
    /// handled as `on_error` says. With `-j N` above one, up to N stages whose upstream stages
    /// in the plan are done run their commands at once (on worker threads, their output
    /// prefixed by the stage name); checking, hashing, caching and lock writing stay on this
    /// thread, one stage at a time, so `dvc.lock` is the same whatever the order.
    fn reproduce(
        &mut self,
        graph: Option<&StageGraph>,
        steps: &[usize],
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<()> {
        let count = self.index.stages.len();
        let mut tally = Tally {
            forced: vec![self.options.force; count],
            skipped: vec![false; count],
            failed: Vec::new(),
            stop: None,
        };
        let mut previous_ran = false;
        let mut state = self.workspace.load_state();
        let jobs = self.workspace.jobs(self.options.jobs);
        let parallel = self.options.stage_jobs.max(1);

        // The plan's own edges: a step waits for the steps of the plan it depends on (without
        // a graph, `-s`, for the step before it).
        let mut waiting = vec![0usize; steps.len()];
        let mut later: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
        for (at, &step) in steps.iter().enumerate() {
            let before: Vec<usize> = match graph {
                Some(graph) => graph
                    .dependencies(step)
                    .iter()
                    .filter_map(|dependency| steps.iter().position(|s| s == dependency))
                    .collect(),
                None => at.checked_sub(1).into_iter().collect(),
            };
            waiting[at] = before.len();
            for earlier in before {
                later[earlier].push(at);
            }
        }
        let mut ready: std::collections::BTreeSet<usize> =
            (0..steps.len()).filter(|&at| waiting[at] == 0).collect();
        let mut running: std::collections::HashMap<usize, Recording> =
            std::collections::HashMap::new();

        let result = std::thread::scope(|scope| -> anyhow::Result<()> {
            let (sender, receiver) = std::sync::mpsc::channel::<WorkerMessage>();
            loop {
                while tally.stop.is_none() && running.len() < parallel {
                    let Some(at) = ready.pop_first() else {
                        break;
                    };
                    let step = steps[at];
                    if !tally.skipped[step] {
                        if previous_ran {
                            events(ReproEvent::Separator);
                        }
                        let addressing = self.index.stages[step].addressing(&self.index.cwd);
                        let prepared = self.prepare(
                            graph,
                            step,
                            tally.forced[step],
                            &mut RepoWorkspace::new(self.workspace, &mut state, jobs),
                            events,
                        );
                        let finished = match prepared {
                            Ok(Prepared::Done(ran)) => Ok(ran),
                            Ok(Prepared::Record(recording)) => {
                                self.record_ran(step, recording, &mut state, jobs, events)
                            }
                            Ok(Prepared::Execute(recording, command)) if parallel == 1 => {
                                let interrupts = &self.options.interrupts;
                                let status = self.unlocked(|| {
                                    execute_inline(&command, interrupts, &mut *events)
                                });
                                status.and_then(|()| {
                                    self.record_ran(step, recording, &mut state, jobs, events)
                                })
                            }
                            Ok(Prepared::Execute(recording, command)) => {
                                let sender = sender.clone();
                                let interrupts = self.options.interrupts.clone();
                                scope.spawn(move || {
                                    let result = execute_prefixed(&command, &interrupts, &sender);
                                    let _ = sender.send(WorkerMessage::Done(at, result));
                                });
                                running.insert(at, recording);
                                previous_ran = true;
                                continue;
                            }
                            Err(error) => Err(error),
                        };
                        let outcome =
                            self.settle(graph, step, &addressing, finished, &mut tally, events);
                        previous_ran = outcome == Outcome::Ran;
                    }
                    done(at, &mut waiting, &later, &mut ready);
                }
                if running.is_empty() {
                    break;
                }
                // Waiting for commands: the repository is theirs (a stage may run `dv`).
                self.workspace.release_lock();
                let message = receiver
                    .recv()
                    .map_err(|_| anyhow::anyhow!("a stage's worker thread stopped"))?;
                match message {
                    WorkerMessage::Event(event) => events(event),
                    WorkerMessage::Done(at, result) => {
                        self.workspace.reacquire_lock()?;
                        self.locks_checked.clear();
                        let step = steps[at];
                        let addressing = self.index.stages[step].addressing(&self.index.cwd);
                        let recording = running
                            .remove(&at)
                            .ok_or_else(|| anyhow::anyhow!("unknown stage finished"))?;
                        let finished = result.and_then(|()| {
                            self.record_ran(step, recording, &mut state, jobs, events)
                        });
                        self.settle(graph, step, &addressing, finished, &mut tally, events);
                        done(at, &mut waiting, &later, &mut ready);
                    }
                }
            }
            Ok(())
        });
        self.workspace.reacquire_lock()?;
        self.workspace.save_state(&mut state);
        result?;
        if let Some(error) = tally.stop {
            return Err(error);
        }
        if self.options.on_error != OnError::Ignore && !tally.failed.is_empty() {
            let segment = if tally.failed.len() > 1 {
                " stages:"
            } else {
                ""
            };
            return Err(DvcError(format!(
                "failed to reproduce{segment} {}",
                join_names(&tally.failed)
            ))
            .into());
        }
        Ok(())
    }

    /// Runs `f` (a stage's command) with the repository lock released, as DVC's
    /// `unlocked_repo` does, and takes it back afterwards; lock entries read so far are read
    /// again (the command may have changed them).
    fn unlocked<T>(&mut self, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
        self.workspace.release_lock();
        let result = f();
        self.workspace.reacquire_lock()?;
        self.locks_checked.clear();
        result
    }

    /// What a stage's result means for the rest of the run: `--force-downstream`, the list
    /// of stages that ran, and failures as `on_error` says (`stop` set for the default).
    fn settle(
        &mut self,
        graph: Option<&StageGraph>,
        step: usize,
        addressing: &str,
        finished: anyhow::Result<bool>,
        tally: &mut Tally,
        events: &mut dyn FnMut(ReproEvent),
    ) -> Outcome {
        let Tally {
            forced,
            skipped,
            failed,
            stop,
        } = tally;
        match finished {
            Ok(ran) => {
                if let Some(graph) = graph
                    && self.options.force_downstream
                    && (ran || forced[step])
                {
                    for &dependent in graph.dependents(step) {
                        forced[dependent] = true;
                    }
                }
                if ran {
                    self.report.ran.push(addressing.to_owned());
                    Outcome::Ran
                } else {
                    Outcome::Unchanged
                }
            }
            Err(error) => {
                let (message, full) = Failure::messages(&error);
                if self.options.on_error == OnError::Fail {
                    let error = DvcError(format!("failed to reproduce '{addressing}': {full}"));
                    match stop {
                        None => *stop = Some(error.into()),
                        // Another stage running at the same time failed first.
                        Some(_) => events(ReproEvent::Failed {
                            message: error.0,
                            ignored: false,
                        }),
                    }
                    return Outcome::Failed;
                }
                failed.push(addressing.to_owned());
                let ignored = self.options.on_error == OnError::Ignore;
                events(ReproEvent::Failed { message, ignored });
                if let Some(graph) = graph
                    && !ignored
                {
                    let dependents: Vec<usize> = graph
                        .with_dependents(step)
                        .into_iter()
                        .skip(1)
                        .filter(|&node| !skipped[node])
                        .collect();
                    if !dependents.is_empty() {
                        events(ReproEvent::DependentsSkipped(
                            dependents
                                .iter()
                                .map(|&node| self.index.stages[node].addressing(&self.index.cwd))
                                .collect(),
                        ));
                    }
                    for node in dependents {
                        skipped[node] = true;
                    }
                }
                Outcome::Failed
            }
        }
    }

    /// The recorded outputs of `stages` (what DVC's `upstream` stage objects hold: their lock
    /// entries or `.dvc` files as last written).
    fn upstream(&self, stages: &[usize]) -> anyhow::Result<Upstream> {
        let mut outputs = Vec::new();
        for &position in stages {
            match &self.index.stages[position] {
                RepoStage::Pipeline { stage, .. } => {
                    let (_, lock_file) = read_lock(self.workspace, &stage.file)?;
                    let recorded = lock_file.stage(&stage.name);
                    for out in &stage.outs {
                        let hash = recorded
                            .and_then(|entry| entry.outs.iter().find(|o| o.path == out.def_path))
                            .and_then(HashValue::of);
                        outputs.push((out.path.clone(), hash));
                    }
                }
                RepoStage::File { entry, .. } => {
                    let current = crate::index::DvcFileEntry::load(self.workspace, &entry.path)
                        .map(|loaded| loaded.file)
                        .unwrap_or_else(|_| entry.file.clone());
                    let node =
                        self.index.stages[position].graph_node(self.workspace, &self.index.cwd);
                    for (out, placed) in current.outs.iter().zip(&node.outs) {
                        outputs.push((placed.path.clone(), HashValue::of(out)));
                    }
                }
            }
        }
        Ok(outputs)
    }

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
        let Some(git) = self.workspace.git() else {
            return Ok(());
        };
        let ignored = git.ignored(&paths)?;
        let wanted: Vec<PathBuf> = paths
            .into_iter()
            .zip(ignored)
            .filter(|(_, ignored)| !ignored)
            .map(|(path, _)| path)
            .collect();
        for gitignore in dv_scm::ignore_entries_add(git.root(), &wanted)? {
            self.report.track(gitignore);
        }
        self.ignored.extend(wanted);
        Ok(())
    }

    /// Removes the `.gitignore` entries this run added (the run failed).
    fn forget_ignored(&mut self) {
        let Some(git) = self.workspace.git() else {
            return;
        };
        for path in self.ignored.drain(..) {
            let _ = dv_scm::ignore_entry_remove(git.root(), &path);
        }
    }

    /// Checks one planned stage and does what does not need its command: skips it, pulls it,
    /// restores it from the run-cache, verifies a frozen one, or prepares its command.
    fn prepare(
        &mut self,
        graph: Option<&StageGraph>,
        step: usize,
        forced: bool,
        repo_workspace: &mut RepoWorkspace<'_>,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<Prepared> {
        self.current = step;
        let addressing = self.index.stages[step].addressing(&self.index.cwd);
        // Only `--allow-missing` looks at what the upstream stages recorded.
        let upstream = match graph {
            Some(graph) if self.options.allow_missing => self.upstream(graph.dependencies(step))?,
            _ => Vec::new(),
        };
        let index = self.index;
        match &index.stages[step] {
            RepoStage::Pipeline { stage, .. } => self.prepare_stage(
                stage,
                &addressing,
                forced,
                &upstream,
                repo_workspace,
                events,
            ),
            RepoStage::File { entry, .. } => {
                data_source::reproduce(self, entry, &addressing, forced, repo_workspace, events)
                    .map(Prepared::Done)
            }
        }
    }

    /// Checks one pipeline stage (DVC's `Stage.reproduce` up to running the command): skips
    /// it when nothing changed (and it is not `forced`), pulls it with `--pull`, asks with
    /// `-i`, removes its outputs, restores it from the run-cache when it can, or prepares its
    /// command. Errors are the stage's failure, without DVC's `failed to reproduce` prefix.
    fn prepare_stage(
        &mut self,
        stage: &Stage,
        addressing: &str,
        forced: bool,
        upstream: &Upstream,
        repo_workspace: &mut RepoWorkspace<'_>,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<Prepared> {
        let workspace = self.workspace;
        let options = self.options;
        let previous = self.lock(&stage.file)?.file.stage(&stage.name).cloned();
        let frozen = stage.is_frozen();
        if frozen {
            events(ReproEvent::Frozen(addressing.to_owned()));
        }
        let check_with =
            |mode: CheckMode, allow_missing: bool, repo_workspace: &mut RepoWorkspace<'_>| {
                check(
                    stage,
                    previous.as_ref(),
                    repo_workspace,
                    CheckOptions {
                        mode,
                        allow_missing,
                    },
                    upstream,
                )
                .map_err(|error| anyhow::anyhow!("{error}"))
            };
        if !forced {
            let changed = |allow_missing: bool, repo_workspace: &mut RepoWorkspace<'_>| {
                check_with(CheckMode::FirstChange, allow_missing, repo_workspace)
                    .map(|changes| changes.changed)
            };
            if !changed(options.allow_missing, repo_workspace)? {
                events(ReproEvent::Skipped(addressing.to_owned()));
                return Ok(Prepared::Done(false));
            }
            if options.pull && !changed(true, repo_workspace)? {
                events(ReproEvent::Pulling(addressing.to_owned()));
                if pull::pull_stage(self, stage, previous.as_ref(), repo_workspace, events)? {
                    return Ok(Prepared::Done(false));
                }
                events(ReproEvent::PullFailed(addressing.to_owned()));
            }
        }
        if options.explain {
            let reasons = if forced && options.force {
                vec!["forced (--force)".to_owned()]
            } else if forced {
                vec!["forced: an upstream stage ran (--force-downstream)".to_owned()]
            } else {
                let changes = check_with(CheckMode::All, options.allow_missing, repo_workspace)?;
                explain::reasons(&changes, previous.is_some(), &self.index.cwd)
            };
            events(ReproEvent::Explained {
                stage: addressing.to_owned(),
                reasons,
            });
        }
        if options.interactive
            && !(self.confirm)(&format!(
                "Going to reproduce stage: '{addressing}'. Are you sure you want to continue?"
            ))
        {
            return Err(DvcError("reproduction aborted by the user".to_owned()).into());
        }
        if frozen {
            // DVC does not run a frozen stage: it checks that its outputs exist and records them.
            if options.dry {
                return Ok(Prepared::Done(true));
            }
            events(ReproEvent::VerifyingFrozen(addressing.to_owned()));
            let missing: Vec<String> = stage
                .outs
                .iter()
                .filter_map(|out| out.path.to_path(workspace.root()))
                .filter(|path| std::fs::symlink_metadata(path).is_err())
                .map(|path| workspace.display_path(&path))
                .collect();
            if !missing.is_empty() {
                return Err(data_source::missing_data(&missing));
            }
            return Ok(Prepared::Record(Recording {
                previous,
                inputs: None,
            }));
        }
        // DVC's `Stage.run`: the outputs go first, whatever happens next.
        if !options.dry {
            remove_outputs(
                workspace,
                stage,
                addressing,
                previous.as_ref(),
                repo_workspace,
                events,
            )?;
        }
        if options.pull && !forced && !options.dry {
            pull::pull_missing_dependencies(self, stage, repo_workspace, events)?;
        }
        let mut hashable = run_cache::can_hash(stage);
        if !forced && hashable {
            // DVC hashes every dependency to look the run up (`_can_hash`): a missing one
            // fails the stage with DVC's (or Python's) error.
            match hash_dependencies(workspace, stage, repo_workspace)? {
                Hashing::Hashable => {}
                Hashing::Empty => hashable = false,
                Hashing::Failed(error) => return Err(error),
            }
        }
        // The dependencies as the command will find them (a missing one fails the stage
        // below, or when it is recorded).
        let fresh = lock::record_inputs(stage, previous.as_ref(), repo_workspace).ok();
        let restored = if forced || !hashable {
            None
        } else {
            restorable_run(
                workspace,
                stage,
                previous.as_ref(),
                fresh.as_ref(),
                options,
                repo_workspace,
                events,
            )?
        };
        if !forced && !options.dry && restored.is_none() {
            // DVC saves the dependencies before running the command (`save_deps`).
            let params_files = stage
                .params
                .iter()
                .filter_map(|params| params.path.to_path(workspace.root()))
                .filter(|path| std::fs::symlink_metadata(path).is_err());
            if let Some(missing) = missing_dependencies(workspace, stage)
                .into_iter()
                .chain(params_files)
                .next()
            {
                return Err(DvcError(format!(
                    "dependency '{}' does not exist",
                    workspace.display_path(&missing)
                ))
                .into());
            }
        }
        if restored.is_some() {
            events(ReproEvent::Restored(addressing.to_owned()));
        }
        let recording = Recording {
            previous,
            inputs: fresh,
        };
        match restored {
            Some(run) if !options.dry => {
                restore_outputs(workspace, stage, &run)?;
                Ok(Prepared::Record(recording))
            }
            _ if options.dry => {
                events(ReproEvent::Running(addressing.to_owned()));
                for command in stage.cmd().commands() {
                    events(ReproEvent::Command(command.to_owned()));
                }
                Ok(Prepared::Done(true))
            }
            _ => Ok(Prepared::Execute(
                recording,
                command_run(workspace, stage, addressing),
            )),
        }
    }

    /// [`record`](Self::record) with the workspace's hash state, for a stage that ran: `true`.
    fn record_ran(
        &mut self,
        step: usize,
        recording: Recording,
        state: &mut State,
        jobs: std::num::NonZeroUsize,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<bool> {
        let mut repo_workspace = RepoWorkspace::new(self.workspace, state, jobs);
        self.record(step, recording, &mut repo_workspace, events)
            .map(|()| true)
    }

    /// Records a stage that ran (or was restored, or verified): hashes its outputs, saves them
    /// to the cache, saves the run to the run-cache and writes its lock entry. Dependencies
    /// are recorded as they were before the command started; if one changed while it ran,
    /// a warning says which.
    fn record(
        &mut self,
        step: usize,
        recording: Recording,
        repo_workspace: &mut RepoWorkspace<'_>,
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<()> {
        self.current = step;
        let index = self.index;
        let RepoStage::Pipeline { stage, .. } = &index.stages[step] else {
            return Ok(());
        };
        let workspace = self.workspace;
        let options = self.options;
        let Recording { previous, inputs } = recording;
        let mut entry = lock::record(stage, previous.as_ref(), repo_workspace)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        if let Some(inputs) = inputs {
            let changed = changed_inputs(&inputs, &entry);
            if !changed.is_empty() {
                events(ReproEvent::DependenciesChanged {
                    stage: stage.addressing(&index.cwd),
                    paths: changed,
                });
                entry = lock::lock_stage(stage, inputs.deps, inputs.params, entry.outs);
            }
        }
        for out in &stage.outs {
            if !out.is_cached() {
                continue;
            }
            let Some(path) = out.path.to_path(workspace.root()) else {
                continue;
            };
            let hash_name = entry.out_hash_name(&out.def_path);
            self.ignore(&path)?;
            if !options.no_commit {
                repo_workspace.commit(&path, hash_name)?;
            }
        }
        if run_cache::can_save(stage, &entry, !options.no_commit) {
            save_run(workspace, stage, &entry, repo_workspace)?;
        }
        let lock_repo_path = lock_path(&stage.file);
        let lock_full = absolute(workspace, &lock_repo_path);
        let shown = workspace.display_path(&lock_full);
        let position = self.plan_position.get(&step).copied();
        // Only with `-j` can a stage later in the plan have been recorded already.
        let later: Vec<String> = if self.options.stage_jobs > 1 {
            self.created
                .get(&stage.file)
                .into_iter()
                .flatten()
                .filter(|(_, other)| *other > position)
                .map(|(name, _)| name.clone())
                .collect()
        } else {
            Vec::new()
        };
        let later: Vec<&str> = later.iter().map(String::as_str).collect();
        let update = self
            .lock(&stage.file)?
            .set_stage(stage.name.as_str(), &entry, &later)
            .map_err(|error| DvcError(format!("failed to update '{shown}': {error}")))?;
        if previous.is_none() {
            self.created
                .entry(stage.file.clone())
                .or_default()
                .push((stage.name.clone(), position));
        }
        if update.created {
            events(ReproEvent::LockGenerated(shown.clone()));
        }
        if update.modified {
            events(ReproEvent::LockUpdated(shown.clone()));
            crate::confine::write_metafile(self.workspace, &lock_full, update.text.as_bytes())
                .with_context(|| format!("failed to write '{shown}'"))?;
            self.report.track(lock_full);
        }
        Ok(())
    }
}

/// A step of the plan is done: the steps waiting for it that wait for nothing else are ready.
fn done(
    at: usize,
    waiting: &mut [usize],
    later: &[Vec<usize>],
    ready: &mut std::collections::BTreeSet<usize>,
) {
    for &next in &later[at] {
        waiting[next] = waiting[next].saturating_sub(1);
        if waiting[next] == 0 {
            ready.insert(next);
        }
    }
}

/// The dependencies and params files of `before` whose values differ in `after`, as written
/// in `dvc.yaml`.
fn changed_inputs(before: &RunInputs, after: &LockStage) -> Vec<String> {
    let mut changed = Vec::new();
    for dep in &before.deps {
        let now = after.deps.iter().find(|entry| entry.path == dep.path);
        if now.and_then(HashValue::of) != HashValue::of(dep) {
            changed.push(dep.path.clone());
        }
    }
    for (file, values) in &before.params {
        let same = after.params.file(file).is_some_and(|now| {
            python_equal(
                &Value::Mapping(now.clone()),
                &Value::Mapping(values.clone()),
            )
        });
        if !same {
            changed.push(file.clone());
        }
    }
    changed
}

/// The stage's commands with the shell, working directory and environment DVC gives them
/// (`DVC_ROOT`, `DVC_STAGE`).
fn command_run(workspace: &Workspace, stage: &Stage, addressing: &str) -> CommandRun {
    let mut env: Vec<(String, String)> = workspace
        .environment()
        .vars()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if workspace.environment().var(execution::DVC_ROOT).is_none() {
        env.push((
            execution::DVC_ROOT.to_owned(),
            workspace.root().to_string_lossy().into_owned(),
        ));
    }
    env.push((execution::DVC_STAGE.to_owned(), addressing.to_owned()));
    CommandRun {
        addressing: addressing.to_owned(),
        commands: stage
            .cmd()
            .commands()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        shell: execution::shell(workspace.environment().var("SHELL")),
        wdir: absolute(workspace, &stage.wdir),
        env,
    }
}

/// Waits for a command's process with Ctrl-C left to it (DVC ignores SIGINT meanwhile): a
/// command killed by it fails the stage like any other failure.
fn wait_for(
    command: &str,
    interrupts: &Interrupts,
    child: std::io::Result<std::process::Child>,
) -> anyhow::Result<()> {
    use std::os::unix::process::ExitStatusExt;
    let deferral = interrupts.defer();
    let status = child.and_then(|mut child| child.wait());
    let interrupted = status
        .as_ref()
        .is_ok_and(|status| status.signal() == Some(SIGINT));
    deferral.settle(interrupted);
    let status = status.map_err(|error| anyhow::anyhow!("failed to run: {command}: {error}"))?;
    if !status.success() {
        let code = status
            .code()
            .unwrap_or_else(|| -status.signal().unwrap_or(0));
        return Err(DvcError(format!("failed to run: {command}, exited with {code}")).into());
    }
    Ok(())
}

/// Runs a stage's commands one after the other with the terminal's input and output, as DVC
/// does.
fn execute_inline(
    run: &CommandRun,
    interrupts: &Interrupts,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    events(ReproEvent::Running(run.addressing.clone()));
    for command in &run.commands {
        events(ReproEvent::Command(command.clone()));
        wait_for(command, interrupts, run.process(command).spawn())?;
    }
    Ok(())
}

/// Runs a stage's commands on a worker thread (`-j`): no input, each line of output sent to
/// the main thread to be printed with the stage's name in front.
fn execute_prefixed(
    run: &CommandRun,
    interrupts: &Interrupts,
    sender: &std::sync::mpsc::Sender<WorkerMessage>,
) -> anyhow::Result<()> {
    use std::process::Stdio;
    let send = |event: ReproEvent| {
        let _ = sender.send(WorkerMessage::Event(event));
    };
    send(ReproEvent::Running(run.addressing.clone()));
    for command in &run.commands {
        send(ReproEvent::Command(command.clone()));
        let mut process = run.process(command);
        process
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match process.spawn() {
            Ok(child) => child,
            Err(error) => return wait_for(command, interrupts, Err(error)),
        };
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        std::thread::scope(|scope| {
            let forward = |stream: Box<dyn std::io::Read + Send>, stderr: bool| {
                let sender = sender.clone();
                let stage = run.addressing.clone();
                move || {
                    use std::io::BufRead;
                    let mut reader = std::io::BufReader::new(stream);
                    let mut line = Vec::new();
                    while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                        let text = String::from_utf8_lossy(&line)
                            .trim_end_matches(['\n', '\r'])
                            .to_owned();
                        let _ = sender.send(WorkerMessage::Event(ReproEvent::Output {
                            stage: stage.clone(),
                            line: text,
                            stderr,
                        }));
                        line.clear();
                    }
                }
            };
            if let Some(stdout) = stdout {
                scope.spawn(forward(Box::new(stdout), false));
            }
            if let Some(stderr) = stderr {
                scope.spawn(forward(Box::new(stderr), true));
            }
            wait_for(command, interrupts, Ok(child))
        })?;
    }
    Ok(())
}

/// The run whose outputs can stand for running `stage` now (DVC's `StageCache.restore`), if
/// any: its `dvc.lock` entry when the command, dependencies and params are unchanged and every
/// output is recorded (only outputs changed); otherwise, unless `--no-run-cache`, the newest
/// run-cache entry for its command, dependencies and params. Either way, only if the cache has
/// every output of the run (pulled from the remote first with `--pull`). With `--dry`, like
/// DVC, the run-cache key is computed from the recorded dependencies, not from fresh hashes.
fn restorable_run(
    workspace: &Workspace,
    stage: &Stage,
    previous: Option<&LockStage>,
    fresh: Option<&RunInputs>,
    options: &ReproOptions,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<Option<LockStage>> {
    if !run_cache::can_hash(stage) {
        return Ok(None);
    }
    // A dependency that cannot be hashed (`fresh` is `None`) fails the stage later, as it
    // would without a cache.
    let recorded_run = match (previous, fresh) {
        (Some(previous), Some(inputs)) if same_inputs(stage, previous, inputs) => {
            recorded_outputs(stage, previous).map(|outs| {
                lock::lock_stage(stage, inputs.deps.clone(), inputs.params.clone(), outs)
            })
        }
        _ => None,
    };
    let run = match recorded_run {
        Some(run) => run,
        None if options.no_run_cache => return Ok(None),
        None => {
            let inputs = if options.dry {
                previous.and_then(|previous| recorded_inputs(stage, previous))
            } else {
                fresh.cloned()
            };
            let Some(inputs) = inputs else {
                return Ok(None);
            };
            let key = run_cache::inputs_key(stage, inputs);
            match RunCache::new(workspace.cache_dir()).lookup(&key)? {
                Lookup::Found(run) => run,
                Lookup::Missing => return Ok(None),
                Lookup::Corrupted(path) => {
                    events(ReproEvent::CorruptedRun(workspace.display_path(&path)));
                    return Ok(None);
                }
            }
        }
    };
    if options.pull && !options.dry {
        pull::pull_run_outputs(workspace, stage, &run, events)?;
    }
    for out in &run.outs {
        if !stage.outs.iter().any(|own| own.def_path == out.path) {
            return Ok(None);
        }
        let Some(id) = out.md5 else {
            return Ok(None);
        };
        let in_cache = repo_workspace
            .in_cache(&id, out.hash_name)
            .map_err(|error| anyhow::anyhow!("failed to look up '{id}' in the cache: {error}"))?;
        if !in_cache {
            return Ok(None);
        }
    }
    Ok(Some(run))
}

/// Whether `stage`'s command and the current `deps` and `params` are those `previous` recorded.
fn same_inputs(stage: &Stage, previous: &LockStage, inputs: &RunInputs) -> bool {
    python_equal(&previous.cmd.to_value(), &stage.cmd().to_value())
        && inputs.deps.iter().all(|dep| {
            previous.deps.iter().any(|old| {
                old.path == dep.path
                    && HashValue::of(old).is_some()
                    && HashValue::of(old) == HashValue::of(dep)
            })
        })
        && inputs.params.iter().all(|(file, values)| {
            previous.params.file(file).is_some_and(|old| {
                python_equal(
                    &Value::Mapping(old.clone()),
                    &Value::Mapping(values.clone()),
                )
            })
        })
}

/// The recorded entry of every output of `stage`, if each has a hash.
fn recorded_outputs(
    stage: &Stage,
    previous: &LockStage,
) -> Option<Vec<dv_schema::dvc_file::Output>> {
    stage
        .outs
        .iter()
        .map(|out| {
            previous
                .outs
                .iter()
                .find(|old| old.path == out.def_path && old.md5.is_some())
                .cloned()
        })
        .collect()
}

/// The recorded dependencies and params values of `stage`, if every one is recorded.
fn recorded_inputs(stage: &Stage, previous: &LockStage) -> Option<RunInputs> {
    let deps = stage
        .deps
        .iter()
        .map(|dep| {
            previous
                .deps
                .iter()
                .find(|old| old.path == dep.def_path && HashValue::of(old).is_some())
                .cloned()
        })
        .collect::<Option<Vec<_>>>()?;
    let params = stage
        .params
        .iter()
        .map(|params| {
            previous
                .params
                .file(&params.def_path)
                .map(|values| (params.def_path.clone(), values.clone()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(RunInputs { deps, params })
}

/// Checks the outputs of `run` out of the cache in place of running the stage; uncached
/// outputs (metrics, plots with `cache: false`) as copies.
fn restore_outputs(workspace: &Workspace, stage: &Stage, run: &LockStage) -> anyhow::Result<()> {
    let links = workspace.link_types()?;
    let jobs = workspace.jobs(None);
    for recorded in &run.outs {
        let Some(out) = stage.outs.iter().find(|out| out.def_path == recorded.path) else {
            continue;
        };
        let (Some(path), Some(id)) = (out.path.to_path(workspace.root()), recorded.md5) else {
            continue;
        };
        let options = LinkOptions {
            links: if out.is_cached() {
                links.clone()
            } else {
                vec![LinkType::Copy]
            },
            jobs,
        };
        let odb = workspace.odb(recorded.hash_name);
        crate::confine::guard_write_error(workspace, &path)?;
        dv_data::checkout::checkout(&odb, &id, &path, recorded.isexec, &options)
            .with_context(|| format!("failed to check out '{}'", workspace.display_path(&path)))?;
    }
    Ok(())
}

/// Removes the stage's outputs before it runs (DVC's `remove_outs`): persistent outputs stay.
/// Unlike DVC, an output whose content is neither in the cache nor what `dvc.lock` records
/// (a file written by hand, a run never committed) is not deleted: it is moved to
/// `.dvc/tmp/dv/trash/<time>-<pid>/<path>`, with a warning saying where.
fn remove_outputs(
    workspace: &Workspace,
    stage: &Stage,
    addressing: &str,
    previous: Option<&LockStage>,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    for out in &stage.outs {
        if out.definition.persist {
            continue;
        }
        let Some(path) = out.path.to_path(workspace.root()) else {
            continue;
        };
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let recorded = previous.and_then(|lock| lock.outs.iter().find(|e| e.path == out.def_path));
        if metadata.is_symlink() || kept_elsewhere(&path, out, recorded, repo_workspace) {
            let removed = if metadata.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed
                .with_context(|| format!("failed to remove '{}'", workspace.display_path(&path)))?;
            continue;
        }
        let trash = trash_dir(workspace);
        let relative = path.strip_prefix(workspace.root()).unwrap_or(&path);
        let relative = relative.strip_prefix("/").unwrap_or(relative);
        let target = trash.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create '{}'", parent.display()))?;
        }
        std::fs::rename(&path, &target).with_context(|| {
            format!(
                "failed to move '{}' to '{}' (dv keeps outputs that exist nowhere else instead \
                 of deleting them)",
                workspace.display_path(&path),
                workspace.display_path(&target)
            )
        })?;
        events(ReproEvent::Trashed {
            stage: addressing.to_owned(),
            path: workspace.display_path(&path),
            to: workspace.display_path(&target),
        });
    }
    Ok(())
}

/// Whether the content at `path` (an output about to be replaced) can be had again: it is
/// what the lock entry records, or it is in the cache, or there is nothing in it.
fn kept_elsewhere(
    path: &std::path::Path,
    out: &dv_pipeline::stage::Output,
    recorded: Option<&dv_schema::dvc_file::Output>,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> bool {
    use dv_pipeline::status::{EntryRole, Workspace as _};
    if is_empty(path) {
        return true;
    }
    let hash_name = recorded.map_or(dv_schema::hash::HashName::Md5, |entry| entry.hash_name);
    let Ok(Some(current)) = repo_workspace.hash(&out.path, hash_name, EntryRole::Output) else {
        return false;
    };
    if recorded.and_then(HashValue::of).as_ref() == Some(&current.value) {
        return true;
    }
    match &current.value {
        HashValue::Md5(id) => repo_workspace.in_cache(id, hash_name).unwrap_or(false),
        _ => false,
    }
}

/// An empty file, or a directory with no files under it.
fn is_empty(path: &std::path::Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::read_dir(path).is_ok_and(|mut entries| {
            entries.all(|entry| entry.is_ok_and(|entry| is_empty(&entry.path())))
        }),
        Ok(metadata) => metadata.len() == 0,
        Err(_) => true,
    }
}

/// A fresh directory under `.dvc/tmp/dv/trash/` for outputs moved aside by this run.
fn trash_dir(workspace: &Workspace) -> PathBuf {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    workspace
        .repo()
        .tmp_dir()
        .join("dv")
        .join("trash")
        .join(format!("{seconds}-{}", std::process::id()))
}

/// The local file and directory dependencies of `stage` that do not exist, absolute, in
/// `dvc.yaml` order.
fn missing_dependencies(workspace: &Workspace, stage: &Stage) -> Vec<PathBuf> {
    stage
        .deps
        .iter()
        .filter_map(|dep| dep.path.to_path(workspace.root()))
        .filter(|path| std::fs::symlink_metadata(path).is_err())
        .collect()
}

/// Whether DVC can hash the dependencies of a stage for a run-cache lookup (`_can_hash`).
enum Hashing {
    /// Every dependency hashes.
    Hashable,
    /// A params file tracked as a whole is missing or empty: an empty hash, so no lookup.
    Empty,
    /// A dependency cannot be hashed, with DVC's (or Python's) error: a missing file
    /// (`[Errno 2] No such file or directory: '<absolute path>'`) or params keys missing from
    /// their file (`Parameters 'lr' are missing from 'params.yaml'.`).
    Failed(anyhow::Error),
}

/// Hashes the dependencies of `stage` as DVC does to look its run up, in DVC's order (files,
/// then params).
fn hash_dependencies(
    workspace: &Workspace,
    stage: &Stage,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<Hashing> {
    if let Some(missing) = missing_dependencies(workspace, stage).first() {
        return Ok(Hashing::Failed(
            DvcError(format!(
                "[Errno 2] No such file or directory: '{}'",
                missing.display()
            ))
            .into(),
        ));
    }
    for params in &stage.params {
        let values = dv_pipeline::status::read_params(repo_workspace, params)
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .unwrap_or_default();
        if params.keys.is_empty() {
            if values.is_empty() {
                return Ok(Hashing::Empty);
            }
            continue;
        }
        let missing: Vec<&str> = params
            .keys
            .iter()
            .filter(|key| !values.contains_key(key.as_str()))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            let shown = match params.path.to_path(workspace.root()) {
                Some(path) => workspace.display_path(&path),
                None => params.def_path.clone(),
            };
            return Ok(Hashing::Failed(
                DvcError(format!(
                    "Parameters '{}' are missing from '{shown}'.",
                    missing.join(", ")
                ))
                .into(),
            ));
        }
    }
    Ok(Hashing::Hashable)
}
