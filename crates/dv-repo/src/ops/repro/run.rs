//! One reproduction in progress and what it reports: the options it was given, its events,
//! its report, the failures it words as DVC does, and the `.gitignore` entries it holds back
//! until it succeeds.

use std::path::PathBuf;

use dv_schema::lock_file::LockDocument;
use dv_schema::repo_path::RepoPath;

use crate::index::Index;
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
    /// A cluster job's run (dv's own): lock entries are computed but not written to
    /// `dvc.lock`, `.gitignore` is left alone; what the stage recorded is kept in
    /// [`ReproReport::recorded`] for the job's record file, which one writer merges later.
    pub cluster_job: bool,
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
    /// With [`ReproOptions::cluster_job`]: the lock entries the run computed and did not write
    /// (`dvc.yaml` path, stage name, entry as YAML).
    pub recorded: Vec<(String, String, String)>,
    /// With [`ReproOptions::cluster_job`]: the `.gitignore` entries the run did not add
    /// (absolute paths of outputs).
    pub unignored: Vec<PathBuf>,
}

impl ReproReport {
    pub(super) fn track(&mut self, path: PathBuf) {
        if !self.to_track.contains(&path) {
            self.to_track.push(path);
        }
    }
}

/// One reproduction in progress: what it was asked, what it did so far.
pub(super) struct Run<'a> {
    pub(super) workspace: &'a Workspace,
    pub(super) options: &'a ReproOptions,
    pub(super) index: &'a Index,
    pub(super) report: ReproReport,
    /// Outputs this run added to `.gitignore` files (removed again when the run fails).
    pub(super) ignored: Vec<PathBuf>,
    /// Each `dvc.lock` as last read or written (its text and content), so a long pipeline
    /// parses its lock once instead of once per stage, and records stages by editing it.
    pub(super) locks: std::collections::HashMap<RepoPath, LockDocument>,
    /// The lock files known to be as `locks` has them (cleared when a command ran).
    pub(super) locks_checked: std::collections::HashSet<RepoPath>,
    /// Asks the user a yes/no question (`-i`).
    pub(super) confirm: &'a dyn Fn(&str) -> bool,
    /// Each planned step's position in the plan.
    pub(super) plan_position: std::collections::HashMap<usize, usize>,
    /// Lock entries this run created (per lock file: stage name, plan position), so that
    /// stages finishing out of order with `-j` are placed as a run in order would place them.
    pub(super) created: std::collections::HashMap<RepoPath, Vec<(String, Option<usize>)>>,
    /// The step being prepared or recorded.
    pub(super) current: usize,
    /// `.gitignore` entries held back until the end of a `-j` run (plan position, path).
    pub(super) deferred_ignores: Vec<(usize, PathBuf)>,
    /// The run log being gathered (written by [`Run::write_run_log`]).
    pub(super) log: RunLogDraft,
}

/// What the run log will say of the stages of this run: when each began and why it runs,
/// and each that ran or failed with its end.
#[derive(Debug, Default)]
pub(super) struct RunLogDraft {
    /// Per step: when its preparation began, why it runs, whether it was restored.
    pub(super) started: std::collections::HashMap<usize, StartedStage>,
    /// Steps that ran or failed: (step, when it ended, why it failed).
    pub(super) ended: Vec<(usize, std::time::SystemTime, Option<String>)>,
}

/// A stage begun.
#[derive(Debug)]
pub(super) struct StartedStage {
    pub(super) at: std::time::SystemTime,
    pub(super) reasons: Vec<String>,
    pub(super) restored: bool,
}

impl Run<'_> {
    /// Notes that `step` begins now.
    pub(super) fn log_start(&mut self, step: usize) {
        self.log.started.insert(
            step,
            StartedStage {
                at: std::time::SystemTime::now(),
                reasons: Vec::new(),
                restored: false,
            },
        );
    }

    /// Writes the run log of the stages that ran or failed (dv's own, `crate::run_log`).
    pub(super) fn write_run_log(&self) {
        use crate::run_log::{self, RunRecord, RunStatus};
        let tmp_dir = self.workspace.repo().tmp_dir();
        // Each lock file as this run last wrote it (read from disk only when unknown), parsed
        // once for all its stages.
        let mut documents: std::collections::HashMap<RepoPath, Option<dv_schema::yaml::Value>> =
            std::collections::HashMap::new();
        for (step, ended, error) in &self.log.ended {
            let crate::index::RepoStage::Pipeline { stage, .. } = &self.index.stages[*step] else {
                continue;
            };
            let Some(started) = self.log.started.get(step) else {
                continue;
            };
            let lock = crate::pipelines::lock_path(&stage.file);
            let document = documents.entry(lock.clone()).or_insert_with(|| {
                let text = match self.locks.get(&stage.file).and_then(|doc| doc.text.clone()) {
                    Some(text) => text,
                    None => {
                        std::fs::read_to_string(self.workspace.root().join(lock.as_str())).ok()?
                    }
                };
                dv_schema::yaml::parse(&text).ok()
            });
            let entry_digest = match (error, document.as_ref()) {
                (None, Some(document)) => document
                    .get("stages")
                    .and_then(|stages| stages.get(stage.name.as_str()))
                    .map(run_log::entry_digest),
                _ => None,
            };
            let status = match (error, started.restored) {
                (Some(_), _) => RunStatus::Failed,
                (None, true) => RunStatus::Restored,
                (None, false) => RunStatus::Completed,
            };
            run_log::write(
                &tmp_dir,
                &RunRecord {
                    dvc_yaml: stage.file.as_str().to_owned(),
                    stage: stage.name.clone(),
                    entry_digest,
                    started: run_log::iso8601(started.at),
                    ended: run_log::iso8601(*ended),
                    status,
                    error: error.clone(),
                    reasons: started.reasons.clone(),
                    dv_version: format!("dv {}", env!("CARGO_PKG_VERSION")),
                    host: run_log::host(),
                },
            );
        }
    }
}

/// A stage failure DVC words two ways: a `-k` warning shows the exception alone, the final
/// error appends its cause (`'x' does not exist as an output or a stage name in 'dvc.yaml':
/// Stage 'x' not found inside 'dvc.yaml' file`).
#[derive(Debug, thiserror::Error)]
#[error("{summary}")]
pub(super) struct Failure {
    pub(super) summary: String,
    pub(super) full: String,
}

impl Failure {
    /// Splits DVC's `<exception>: <cause>` text of a target that names nothing.
    pub(super) fn with_cause(full: String) -> Failure {
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
    pub(super) fn messages(error: &anyhow::Error) -> (String, String) {
        match error.downcast_ref::<Failure>() {
            Some(failure) => (failure.summary.clone(), failure.full.clone()),
            None => (format!("{error:#}"), format!("{error:#}")),
        }
    }
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
    pub(super) fn ignore(&mut self, path: &std::path::Path) -> anyhow::Result<()> {
        let position = self.plan_position.get(&self.current).copied();
        self.deferred_ignores
            .push((position.unwrap_or(usize::MAX), path.to_path_buf()));
        Ok(())
    }

    /// Adds the `.gitignore` entries the run asked for, in plan order, with one question to
    /// git for all of them.
    pub(super) fn flush_ignores(&mut self) -> anyhow::Result<()> {
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
    pub(super) fn forget_ignored(&mut self) {
        crate::tracking::forget_ignores(self.workspace, &self.ignored);
        self.ignored.clear();
    }
}
