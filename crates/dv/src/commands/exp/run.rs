//! `dv exp run` (in the workspace) and `dv exp save`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::exp::run::{RunEvent, RunOptions, SaveOptions, run as run_exp, save as save_exp};
use dv_repo::{Environment, Interrupts, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ExpRunArgs {
    #[command(flatten)]
    pub common: crate::commands::repro::PipelineArgs,
    /// Human-readable experiment name. If not specified, a name will be auto-generated.
    #[arg(short, long, value_name = "<name>")]
    pub name: Option<String>,
    /// Use the specified param value when reproducing pipelines.
    #[arg(
        short = 'S',
        long = "set-param",
        value_name = "[<filename>:]<param_name>=<param_value>"
    )]
    pub set_param: Vec<String>,
    /// Stage this experiment in the run queue for future execution.
    #[arg(long)]
    pub queue: bool,
    /// Execute all experiments in the run queue. Implies --temp.
    #[arg(long)]
    pub run_all: bool,
    /// Run the specified number of experiments at a time in parallel.
    #[arg(short, long, value_name = "<number>", default_value_t = 1)]
    pub jobs: usize,
    /// Run this experiment in a separate temporary directory instead of your workspace.
    #[arg(long = "temp")]
    pub tmp_dir: bool,
    /// List of ignored or untracked paths to copy into the temp directory. Only used if
    /// `--temp` or `--queue` is specified.
    #[arg(short = 'C', long = "copy-paths", value_name = "<path>")]
    pub copy_paths: Vec<String>,
    /// Custom commit message to use when committing the experiment.
    #[arg(short, long, visible_short_alias = 'M')]
    pub message: Option<String>,
    /// Disables automatically updating `params.yaml` with Hydra configuration.
    #[arg(long)]
    pub no_hydra: bool,
    /// Say why each stage runs.
    #[arg(long)]
    pub explain: bool,
    /// The baseline commit of a queued experiment (set by dv's queue workers).
    #[arg(long, hide = true)]
    pub dv_baseline: Option<String>,
}

pub fn run(
    args: ExpRunArgs,
    environment: &Environment,
    printer: &Printer,
    interrupts: &Interrupts,
) -> anyhow::Result<ExitStatus> {
    if args.queue || args.run_all || args.tmp_dir {
        return super::queue::run_outside(args, environment, printer);
    }
    let workspace = Workspace::open(environment)?;
    let explain = args.explain;
    let options = RunOptions {
        repro: args.common.options(interrupts),
        set_params: args.set_param,
        name: args.name,
        message: args.message,
        baseline: args.dv_baseline.clone(),
    };
    let report = run_exp(
        &workspace,
        &options,
        &|statement| crate::prompt::confirm_on_terminal(statement, printer),
        &mut |event| match event {
            RunEvent::Reproducing(name) => printer.info(format!("Reproducing experiment '{name}'")),
            RunEvent::Repro(event) => crate::commands::repro::print_event(printer, event, explain),
        },
    )?;
    // A queued experiment's run reports through its worker.
    if let Some(recorded) = report.recorded.filter(|_| args.dv_baseline.is_none()) {
        printer.info(format!("\nRan experiment(s): {}", recorded.reference.name));
        printer.info("Experiment results have been applied to your workspace.");
    }
    Ok(ExitStatus::Success)
}

#[derive(Debug, Args)]
pub struct ExpSaveArgs {
    /// Limit DVC caching to these .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    /// Cache subdirectories of the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Replace experiment in the Git repository if it already exists.
    #[arg(short, long)]
    pub force: bool,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Human-readable experiment name. If not specified, a name will be auto-generated.
    #[arg(short, long, value_name = "<name>")]
    pub name: Option<String>,
    /// List of untracked paths to include in the experiment.
    #[arg(short = 'I', long, value_name = "<path>")]
    pub include_untracked: Vec<PathBuf>,
    /// Custom commit message to use when committing the experiment.
    #[arg(short, long, visible_short_alias = 'M')]
    pub message: Option<String>,
}

pub fn save(
    args: ExpSaveArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let cwd = &environment.cwd;
    let activity = printer.activity("Committing");
    let report = save_exp(
        &workspace,
        &SaveOptions {
            targets: args.targets.clone(),
            recursive: args.recursive,
            force: args.force,
            name: args.name,
            include_untracked: args
                .include_untracked
                .iter()
                .filter_map(|path| {
                    cwd.join(path)
                        .strip_prefix(workspace.root())
                        .ok()
                        .map(Into::into)
                })
                .collect(),
            message: args.message,
        },
        activity.progress(),
    );
    drop(activity);
    let report = report?;
    for lock in &report.locks_updated {
        printer.info(format!("Updating lock file '{lock}'"));
    }
    if !report.untracked.is_empty() {
        printer.warn(format!(
            "The following untracked files were present in the workspace before saving but will \
             not be included in the experiment commit:\n\t{}",
            report.untracked.join(", ")
        ));
    }
    if let Some(recorded) = report.recorded {
        if args.json {
            printer.data(format!("{{\"ref\": \"{}\"}}", recorded.reference.full()));
        } else {
            printer.info(format!(
                "Experiment has been saved as: {}",
                recorded.reference.name
            ));
        }
    }
    Ok(ExitStatus::Success)
}
