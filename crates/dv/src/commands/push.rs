//! `dv push`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::push::{PushOptions, push};
use dv_repo::{CommandError, Environment, Workspace};

use crate::commands::fetch::{print_failures, print_missing, print_summary, transfer_jobs};
use crate::exit;
use crate::exit::ExitStatus;
use crate::printer::Printer;

const ACTION: &str = "failed to push data to the cloud";

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    #[command(flatten)]
    pub scope: crate::commands::fetch::ScopeArgs,
    /// Remote storage to push to.
    #[arg(short, long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Number of jobs to run simultaneously. The default value is 4 * cpu_count().
    #[arg(short, long, value_name = "NUMBER")]
    pub jobs: Option<usize>,
    /// Push cache for subdirectories of specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Push run history for all stages.
    #[arg(long, overrides_with = "no_run_cache")]
    pub run_cache: bool,
    /// Do not push run history for all stages.
    #[arg(long, overrides_with = "run_cache", hide = true)]
    pub no_run_cache: bool,
}

pub fn run(
    args: PushArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Pushing");
    let report = push(
        &workspace,
        &PushOptions {
            targets: args.targets,
            remote: args.remote,
            jobs: transfer_jobs(args.jobs),
            recursive: args.recursive,
            scope: args.scope.scope(),
            run_cache: args.run_cache,
        },
        activity.progress(),
    );
    drop(activity);
    // A remote failing as a whole escapes DVC's push as an unexpected error (255).
    let report = report.map_err(|error| {
        exit::data_command_failure(printer, Some(ACTION), error, ExitStatus::Error)
    })?;
    print_missing(printer, &report.missing);
    print_failures(printer, &report.failures);
    if !report.failures.is_empty() {
        return Err(CommandError(format!(
            "{ACTION} - {} files failed to upload",
            report.failures.len()
        ))
        .into());
    }
    print_summary(
        printer,
        report.default_remote.is_some(),
        &[("pushed", report.pushed)],
    );
    Ok(ExitStatus::Success)
}
