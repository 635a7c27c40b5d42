//! `dv repro`.

use clap::Args;
use dv_repo::ops::repro::{OnError, ReproEvent, ReproOptions, join_names, repro};
use dv_repo::{Environment, Interrupts, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// The `repro` flags `dv repro` and `dv exp run` share (DVC's `repro` `add_arguments`).
#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// Stages to reproduce. 'dvc.yaml' by default.
    pub targets: Vec<String>,
    /// Reproduce even if dependencies were not changed.
    #[arg(short, long)]
    pub force: bool,
    /// Ask for confirmation before reproducing each stage.
    #[arg(short, long)]
    pub interactive: bool,
    /// Reproduce only single data item without recursive dependencies check.
    #[arg(short, long)]
    pub single_item: bool,
    /// Reproduce the whole pipeline that the specified targets belong to.
    #[arg(short, long)]
    pub pipeline: bool,
    /// Reproduce all pipelines in the repo.
    #[arg(short = 'P', long)]
    pub all_pipelines: bool,
    /// Reproduce all stages in the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Start from the specified stages when reproducing pipelines.
    #[arg(long)]
    pub downstream: bool,
    /// Reproduce all descendants of a changed stage even if their direct dependencies didn't
    /// change.
    #[arg(long)]
    pub force_downstream: bool,
    /// Try automatically pulling missing data.
    #[arg(long)]
    pub pull: bool,
    /// Skip stages with missing data but no other changes.
    #[arg(long)]
    pub allow_missing: bool,
    /// Only print the commands that would be executed without actually executing.
    #[arg(long)]
    pub dry: bool,
    /// Continue executing, skipping stages having dependencies on the failed stages.
    #[arg(short, long, overrides_with = "ignore_errors")]
    pub keep_going: bool,
    /// Ignore errors from stages.
    #[arg(long, overrides_with = "keep_going")]
    pub ignore_errors: bool,
}

impl PipelineArgs {
    /// DVC's `on_error`: `-k` and `--ignore-errors` store into the same destination, so the
    /// later one on the command line wins (each overrides the other).
    fn on_error(&self) -> OnError {
        if self.keep_going {
            OnError::KeepGoing
        } else if self.ignore_errors {
            OnError::Ignore
        } else {
            OnError::Fail
        }
    }

    /// The `repro` these flags ask for, one stage at a time; reasons are always worked out
    /// (for the run log) and printed only with `--explain` or `-v`.
    pub(crate) fn options(self, interrupts: &Interrupts) -> ReproOptions {
        let on_error = self.on_error();
        ReproOptions {
            targets: self.targets,
            force: self.force,
            single_item: self.single_item,
            pipeline: self.pipeline,
            all_pipelines: self.all_pipelines,
            recursive: self.recursive,
            glob: false,
            downstream: self.downstream,
            force_downstream: self.force_downstream,
            dry: self.dry,
            no_run_cache: false,
            no_commit: false,
            allow_missing: self.allow_missing,
            pull: self.pull,
            on_error,
            jobs: None,
            stage_jobs: 1,
            explain: true,
            interactive: self.interactive,
            interrupts: interrupts.clone(),
            cluster_job: false,
        }
    }
}

#[derive(Debug, Args)]
pub struct ReproArgs {
    #[command(flatten)]
    pub common: PipelineArgs,
    /// Run up to N independent stages at once, in dependency order (their output is prefixed
    /// by the stage name). Default: one at a time.
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Say why each stage runs: which dependency, param, command or output changed, from what
    /// to what.
    #[arg(long)]
    pub explain: bool,
    /// Allows targets containing shell-style wildcards.
    #[arg(long)]
    pub glob: bool,
    /// Don't put files/directories into cache.
    #[arg(long)]
    pub no_commit: bool,
    /// Execute stage commands even if they have already been run with the same
    /// command/dependencies/outputs/etc before.
    #[arg(long)]
    pub no_run_cache: bool,
    /// Where stages run: here (local, the default), or as SLURM jobs chained by their
    /// dependencies (slurm), submitted at once; `dv status` shows how they are going.
    #[arg(long, value_enum, default_value_t = Executor::Local)]
    pub executor: Executor,
    /// With --executor slurm: wait for the jobs, merge their results into dvc.lock and exit
    /// as a local repro would (Ctrl-C cancels the jobs).
    #[arg(long)]
    pub wait: bool,
    /// With --executor slurm: cancel the jobs of the latest cluster run that have not ended.
    #[arg(long)]
    pub cancel: bool,
    /// A stage job of a cluster run (run by SLURM).
    #[arg(long, hide = true, value_name = "TASKS")]
    pub dv_cluster_job: Option<std::path::PathBuf>,
    /// The merge job of a cluster run (run by SLURM).
    #[arg(long, hide = true, value_name = "RUN")]
    pub dv_cluster_merge: Option<String>,
}

/// Where `repro` runs stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Executor {
    /// In this process, on this machine.
    Local,
    /// As SLURM jobs.
    Slurm,
}

pub fn run(
    args: ReproArgs,
    environment: &Environment,
    printer: &Printer,
    interrupts: &Interrupts,
) -> anyhow::Result<ExitStatus> {
    if let Some(tasks) = &args.dv_cluster_job {
        return crate::commands::cluster::job(tasks, environment, printer, interrupts);
    }
    if let Some(run) = &args.dv_cluster_merge {
        return crate::commands::cluster::merge(run, environment, printer);
    }
    if args.executor == Executor::Local && (args.wait || args.cancel) {
        return Err(dv_repo::ArgumentError(
            "--wait and --cancel go with --executor slurm".to_owned(),
        )
        .into());
    }
    let workspace = Workspace::open(environment)?;
    if args.cancel {
        return crate::commands::cluster::cancel(&workspace, printer);
    }
    let explain = args.explain;
    let mut options = args.common.options(interrupts);
    options.glob = args.glob;
    options.no_run_cache = args.no_run_cache;
    options.no_commit = args.no_commit;
    options.stage_jobs = args.jobs.unwrap_or(1);
    if args.executor == Executor::Slurm {
        if options.interactive || options.force_downstream {
            return Err(dv_repo::ArgumentError(
                "-i/--interactive and --force-downstream do not work with --executor slurm"
                    .to_owned(),
            )
            .into());
        }
        return crate::commands::cluster::submit(
            &workspace, &options, args.wait, explain, printer, interrupts,
        );
    }
    let report = repro(
        &workspace,
        &options,
        &|statement| crate::prompt::confirm_on_terminal(statement, printer),
        &mut |event| print_event(printer, event, explain),
    )?;
    if !report.staged {
        crate::git_hint::print_git_add_hint(&workspace, &report.to_track, printer);
    }
    if report.ran.is_empty() {
        printer.info("Data and pipelines are up to date.");
    } else {
        printer.info("Use `dvc push` to send your updates to remote storage.");
    }
    Ok(ExitStatus::Success)
}

/// Prints one event of `repro` as DVC logs it; explanations as information with `--explain`,
/// as debug lines with `-v`.
pub(crate) fn print_event(printer: &Printer, event: ReproEvent, explain: bool) {
    match event {
        ReproEvent::TargetWarning(warning) => printer.warn(warning),
        ReproEvent::Separator => printer.info(""),
        ReproEvent::Skipped(stage) => {
            printer.info(format!("Stage '{stage}' didn't change, skipping"));
        }
        ReproEvent::DataSourceSkipped(stage) => {
            printer.info(format!("'{stage}' didn't change, skipping"));
        }
        ReproEvent::VerifyingDataSources(stage) => {
            printer.info(format!("Verifying data sources in stage: '{stage}'"));
        }
        ReproEvent::Restored(stage) => printer.info(format!(
            "Stage '{stage}' is cached - skipping run, checking out outputs"
        )),
        ReproEvent::Running(stage) => printer.info(format!("Running stage '{stage}':")),
        ReproEvent::Frozen(stage) => printer.warn(format!(
            "stage: '{stage}' is frozen. Its dependencies are not going to be reproduced."
        )),
        ReproEvent::VerifyingFrozen(stage) => {
            printer.info(format!("Verifying outputs in frozen stage: '{stage}'"));
        }
        ReproEvent::Command(command) => printer.info(format!("> {command}")),
        ReproEvent::LockGenerated(file) => {
            printer.info(format!("Generating lock file '{file}'"));
        }
        ReproEvent::LockUpdated(file) => printer.info(format!("Updating lock file '{file}'")),
        ReproEvent::CorruptedRun(file) => printer.warn(format!("corrupted cache file '{file}'.")),
        ReproEvent::Pulling(stage) => printer.info(format!("Pulling data for stage: '{stage}'")),
        ReproEvent::PullFailed(stage) => {
            printer.info(format!("Unable to pull data for stage: '{stage}'"));
        }
        ReproEvent::RunCachePullFailed(why) => {
            printer.warn(format!("Failed to pull run cache: {why}"));
        }
        ReproEvent::UnrecordedOutputs(paths) => {
            for path in paths {
                printer.warn(format!(
                    "No file hash info found for '{path}'. It won't be created."
                ));
            }
        }
        ReproEvent::CollectFailed => printer.warn("failed to collect 'workspace', skipping"),
        ReproEvent::MissingObjects(objects) => printer.warn(format!(
            "Some of the cache files do not exist neither locally nor on remote. Missing cache \
             files:\n{}",
            objects.join("\n")
        )),
        ReproEvent::Importing { source, output } => {
            printer.info(format!("Importing '{source}' -> '{output}'"));
        }
        ReproEvent::Failed { message, ignored } => {
            let suffix = if ignored { " (ignored)" } else { "" };
            printer.warn(format!("{message}{suffix}"));
        }
        ReproEvent::Explained { stage, reasons } => {
            let say = |text: String| {
                if explain {
                    printer.info(text);
                } else {
                    printer.debug(text);
                }
            };
            say(format!("Stage '{stage}' will run because:"));
            for reason in reasons {
                say(format!("  {reason}"));
            }
        }
        ReproEvent::Output {
            stage,
            line,
            stderr,
        } => {
            use std::io::Write;
            // The command's own output passes through as it wrote it (the command is code
            // that runs anyway); the stage name from `dvc.yaml` is shown escaped.
            let text = format!("[{}] {line}\n", dv_schema::shown::escape_name(&stage));
            let _ = if stderr {
                std::io::stderr().lock().write_all(text.as_bytes())
            } else {
                std::io::stdout().lock().write_all(text.as_bytes())
            };
        }
        ReproEvent::Trashed { stage, path, to } => printer.warn(format!(
            "'{path}' is neither in the cache nor recorded in the lock file: moved to '{to}' \
             instead of deleting it before running stage '{stage}' (move it back to restore it)"
        )),
        ReproEvent::DependenciesChanged { stage, paths } => printer.warn(format!(
            "{} changed while stage '{stage}' was running: the lock file records {} as it \
             was when the stage started, so the next repro runs it again",
            join_names(&paths),
            if paths.len() > 1 { "them" } else { "it" }
        )),
        ReproEvent::DependentsSkipped(stages) => {
            let noun = if stages.len() > 1 { "Stages" } else { "Stage" };
            printer.warn(format!(
                "{noun} {} will be skipped due to this failure",
                join_names(&stages)
            ));
        }
    }
}
