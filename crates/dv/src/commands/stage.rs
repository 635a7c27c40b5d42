//! `dv stage add` and `dv stage list`.

use clap::{Args, Subcommand};
use dv_repo::ops::stage::{StageAddOptions, add_stage};
use dv_repo::ops::stage_list::{StageListOptions, list_stages};
use dv_repo::{Environment, Workspace};
use dv_schema::shown::escape_name;

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct StageArgs {
    #[command(subcommand)]
    pub command: StageCommand,
}

#[derive(Debug, Subcommand)]
pub enum StageCommand {
    /// Create stage
    Add(Box<StageAddArgs>),
    /// List stages.
    List(StageListArgs),
}

#[derive(Debug, Args)]
pub struct StageListArgs {
    /// Show stages from a dvc.yaml/.dvc file or a directory. 'dvc.yaml' by default
    #[arg(default_value = "dvc.yaml")]
    pub targets: Vec<String>,
    /// List all of the stages in the repo.
    #[arg(long)]
    pub all: bool,
    /// Fail immediately, do not suppress any syntax errors.
    #[arg(long)]
    pub fail: bool,
    /// List all stages inside the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// List only stage names.
    #[arg(long, visible_alias = "names-only")]
    pub name_only: bool,
}

#[derive(Debug, Args)]
pub struct StageAddArgs {
    /// Name of the stage to add
    #[arg(short, long, value_name = "name", required = true)]
    pub name: String,
    /// Overwrite existing stage
    #[arg(short, long)]
    pub force: bool,
    /// Declare dependencies for reproducible cmd.
    #[arg(short, long = "deps", value_name = "<path>")]
    pub deps: Vec<String>,
    /// Declare parameter to use as additional dependency.
    #[arg(short, long, value_name = "[<filename>:]<params_list>")]
    pub params: Vec<String>,
    /// Declare output file or directory.
    #[arg(short, long, value_name = "<filename>")]
    pub outs: Vec<String>,
    /// Declare output file or directory (do not put into DVC cache).
    #[arg(short = 'O', long, value_name = "<filename>")]
    pub outs_no_cache: Vec<String>,
    /// Declare output file or directory that will not be removed upon repro.
    #[arg(long, value_name = "<filename>")]
    pub outs_persist: Vec<String>,
    /// Declare output file or directory that will not be removed upon repro (do not put into DVC cache).
    #[arg(long, value_name = "<filename>")]
    pub outs_persist_no_cache: Vec<String>,
    /// Declare output metrics file.
    #[arg(short, long, value_name = "<path>")]
    pub metrics: Vec<String>,
    /// Declare output metrics file (do not put into DVC cache).
    #[arg(short = 'M', long, value_name = "<path>")]
    pub metrics_no_cache: Vec<String>,
    /// Declare output plot file.
    #[arg(long, value_name = "<path>")]
    pub plots: Vec<String>,
    /// Declare output plot file (do not put into DVC cache).
    #[arg(long, value_name = "<path>")]
    pub plots_no_cache: Vec<String>,
    /// Directory within your repo to run your command in.
    #[arg(short, long, value_name = "<path>")]
    pub wdir: Option<String>,
    /// Always consider this DVC-file as changed.
    #[arg(long)]
    pub always_changed: bool,
    /// User description of the stage (optional).
    #[arg(long, value_name = "<text>")]
    pub desc: Option<String>,
    /// Execute the stage after generating it.
    #[arg(long)]
    pub run: bool,
    /// Command to execute.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub fn run(
    args: StageArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match args.command {
        StageCommand::Add(args) => add(*args, environment, printer),
        StageCommand::List(args) => list(args, environment, printer),
    }
}

/// Prints the stages as DVC's plain table: names padded to the longest, two spaces, the
/// description (lines right-trimmed; nothing at all for no stages).
fn list(
    args: StageListArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let report = list_stages(
        &workspace,
        &StageListOptions {
            targets: args.targets,
            all: args.all,
            fail: args.fail,
            recursive: args.recursive,
        },
    )?;
    for warning in &report.warnings {
        printer.warn(warning);
    }
    if report.stages.is_empty() {
        return Ok(ExitStatus::Success);
    }
    let width = report
        .stages
        .iter()
        .map(|stage| escape_name(&stage.addressing).chars().count())
        .max()
        .unwrap_or(0);
    let lines: Vec<String> = report
        .stages
        .iter()
        .map(|stage| {
            let description = if args.name_only {
                ""
            } else {
                stage.description.as_str()
            };
            format!(
                "{:<width$}  {}",
                escape_name(&stage.addressing),
                escape_name(description)
            )
            .trim_end()
            .to_owned()
        })
        .collect();
    printer.data(lines.join("\n"));
    Ok(ExitStatus::Success)
}

fn add(
    args: StageAddArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if args.run {
        return Err(dv_repo::DvcError("`dv stage add --run` is not supported yet".into()).into());
    }
    let workspace = Workspace::open(environment)?;
    let report = add_stage(
        &workspace,
        &StageAddOptions {
            name: args.name.clone(),
            deps: args.deps,
            params: args.params,
            outs: args.outs,
            outs_no_cache: args.outs_no_cache,
            outs_persist: args.outs_persist,
            outs_persist_no_cache: args.outs_persist_no_cache,
            metrics: args.metrics,
            metrics_no_cache: args.metrics_no_cache,
            plots: args.plots,
            plots_no_cache: args.plots_no_cache,
            wdir: args.wdir,
            force: args.force,
            always_changed: args.always_changed,
            desc: args.desc,
            command: args.command,
        },
    )?;
    for notice in &report.notices {
        printer.notice(notice);
    }
    printer.info(format!("Added stage '{}' in '{}'", args.name, report.file));
    if !report.staged {
        crate::git_hint::print_git_add_hint(&workspace, &report.to_track, printer);
    }
    Ok(ExitStatus::Success)
}
