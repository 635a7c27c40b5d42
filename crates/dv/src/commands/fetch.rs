//! `dv fetch`, and the rendering `push` and `pull` share with it: DVC's warnings for objects
//! that exist nowhere, `failed to transfer` errors and the `N files fetched` summary.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::fetch::{FetchOptions, fetch};
use dv_repo::transfer::{MissingObject, TransferFailure};
use dv_repo::{CommandError, Environment, Workspace};

use crate::exit;
use crate::exit::ExitStatus;
use crate::printer::Printer;

const ACTION: &str = "failed to fetch data from the cloud";

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Remote storage to fetch from.
    #[arg(short, long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Number of jobs to run simultaneously. The default value is 4 * cpu_count().
    #[arg(short, long, value_name = "NUMBER")]
    pub jobs: Option<usize>,
    /// Fetch cache for subdirectories of specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Fetch run history for all stages.
    #[arg(long, overrides_with = "no_run_cache")]
    pub run_cache: bool,
    /// Do not fetch run history for all stages.
    #[arg(long, overrides_with = "run_cache", hide = true)]
    pub no_run_cache: bool,
}

pub fn run(
    args: FetchArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Fetching");
    let report = fetch(
        &workspace,
        &FetchOptions {
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
    let report = report.map_err(|error| {
        exit::data_command_failure(printer, Some(ACTION), error, ExitStatus::Failure)
    })?;
    print_missing(printer, &report.missing);
    print_failures(printer, &report.failures);
    if !report.failures.is_empty() {
        return Err(download_failed(ACTION, report.failures.len()));
    }
    print_summary(
        printer,
        report.default_remote.is_some(),
        &[("fetched", report.fetched)],
    );
    if !report.source_imports.is_empty() {
        for message in &report.source_imports {
            printer.error(message);
        }
        return Err(download_failed(ACTION, report.source_imports.len()));
    }
    Ok(ExitStatus::Success)
}

/// `-j 0` means the default, as in DVC (`jobs or fs.jobs`).
pub(crate) fn transfer_jobs(jobs: Option<usize>) -> Option<usize> {
    jobs.filter(|&jobs| jobs > 0)
}

/// DVC's warning for objects neither the cache nor the remote has.
pub(crate) fn print_missing(printer: &Printer, missing: &[MissingObject]) {
    if missing.is_empty() {
        return;
    }
    let list: Vec<String> = missing
        .iter()
        .map(|object| format!("{}: {}", object.hash_name, object.object))
        .collect();
    printer.warn(format!(
        "Some of the cache files do not exist neither locally nor on remote. Missing cache \
         files:\n{}",
        list.join("\n")
    ));
}

/// One `ERROR: failed to transfer '<object>' - <why>` line per failed object, like DVC.
pub(crate) fn print_failures(printer: &Printer, failures: &[TransferFailure]) {
    for failure in failures {
        printer.error(format!(
            "failed to transfer '{}' - {}",
            failure.object, failure.error
        ));
    }
}

/// DVC's `DownloadError`: `N files failed to download` (exit code 1).
pub(crate) fn download_failed(action: &str, count: usize) -> anyhow::Error {
    CommandError(format!("{action} - {count} files failed to download")).into()
}

/// DVC's summary line: `3 files fetched and 3 files added`, or `Everything is up to date.`;
/// preceded on stderr by `No remote provided and no default remote set.` when neither `-r`
/// nor `core.remote` named one.
pub(crate) fn print_summary(printer: &Printer, has_default_remote: bool, stats: &[(&str, usize)]) {
    if !has_default_remote {
        printer.notice("No remote provided and no default remote set.");
    }
    let parts: Vec<String> = stats
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(state, count)| {
            let plural = if *count > 1 { "s" } else { "" };
            format!("{count} file{plural} {state}")
        })
        .collect();
    let line = match parts.as_slice() {
        [] => "Everything is up to date.".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    printer.info(line);
}

/// `-a`, `-T`, `-A` of `push`, `fetch`, `pull` and `status`: the commits whose data takes part
/// besides the workspace's.
#[derive(Debug, Clone, clap::Args)]
pub struct ScopeArgs {
    /// Include the data of all branches.
    #[arg(short = 'a', long)]
    pub all_branches: bool,
    /// Include the data of all tags.
    #[arg(short = 'T', long)]
    pub all_tags: bool,
    /// Include the data of all commits.
    #[arg(short = 'A', long)]
    pub all_commits: bool,
}

impl ScopeArgs {
    /// The revision scope.
    pub fn scope(&self) -> dv_repo::revisions::Scope {
        dv_repo::revisions::Scope {
            num: 1,
            all_branches: self.all_branches,
            all_tags: self.all_tags,
            all_commits: self.all_commits,
            ..dv_repo::revisions::Scope::default()
        }
    }
}
