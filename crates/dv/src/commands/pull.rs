//! `dv pull`: fetch, then checkout, reported like DVC (`A       data/` lines, then
//! `3 files fetched and 3 files added`).

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::checkout::missing_error;
use dv_repo::ops::pull::{PullOptions, pull};
use dv_repo::{CommandError, Environment, Workspace};

use crate::commands::fetch::{
    download_failed, print_failures, print_missing, print_summary, transfer_jobs,
};
use crate::exit;
use crate::exit::ExitStatus;
use crate::printer::{Printer, expand_tabs};

const ACTION: &str = "failed to pull data from the cloud";

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    #[command(flatten)]
    pub scope: crate::commands::fetch::ScopeArgs,
    /// Remote storage to pull from.
    #[arg(short, long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Number of jobs to run simultaneously. The default value is 4 * cpu_count().
    #[arg(short, long, value_name = "NUMBER")]
    pub jobs: Option<usize>,
    /// Do not prompt when removing working directory files.
    #[arg(short, long)]
    pub force: bool,
    /// Pull cache for subdirectories of the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Ignore errors if some of the files or directories are missing.
    #[arg(long)]
    pub allow_missing: bool,
    /// Fetch run history for all stages.
    #[arg(long, overrides_with = "no_run_cache")]
    pub run_cache: bool,
    /// Do not fetch run history for all stages.
    #[arg(long, overrides_with = "run_cache", hide = true)]
    pub no_run_cache: bool,
}

pub fn run(
    args: PullArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Pulling");
    let report = pull(
        &workspace,
        &PullOptions {
            targets: args.targets,
            remote: args.remote,
            jobs: transfer_jobs(args.jobs),
            recursive: args.recursive,
            scope: args.scope.scope(),
            run_cache: args.run_cache,
            force: args.force,
        },
        activity.progress(),
    );
    drop(activity);
    let report = report.map_err(|error| {
        exit::data_command_failure(printer, Some(ACTION), error, ExitStatus::Failure)
    })?;
    print_missing(printer, &report.fetch.missing);
    print_failures(printer, &report.fetch.failures);
    let Some(checkout) = report.checkout else {
        return Err(download_failed(ACTION, report.fetch.failures.len()));
    };
    for (kind, path) in &checkout.changes {
        printer.info(expand_tabs(&format!("{kind}\t{path}")));
    }
    print_summary(
        printer,
        report.fetch.default_remote.is_some(),
        &[
            ("fetched", report.fetch.fetched),
            ("modified", checkout.stats.modified),
            ("added", checkout.stats.added),
            ("deleted", checkout.stats.deleted),
        ],
    );
    if !report.import_failures.is_empty() {
        for failure in &report.import_failures {
            printer.error(failure);
        }
        return Err(download_failed(ACTION, report.import_failures.len()));
    }
    if !checkout.failed.is_empty() && !args.allow_missing {
        return Err(CommandError(format!("{ACTION} - {}", missing_error(&checkout.failed))).into());
    }
    Ok(ExitStatus::Success)
}
