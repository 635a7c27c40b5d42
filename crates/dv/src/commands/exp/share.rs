//! `dv exp push` and `dv exp pull`.

use clap::Args;
use dv_repo::ops::exp::share::{ShareOptions, ShareReport, pull as pull_exps, push as push_exps};
use dv_repo::{Environment, Workspace};

use super::manage::{SelectionArgs, humanize_join as joined};
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ShareArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Replace experiment in the Git remote (or locally) if it already exists.
    #[arg(short, long)]
    pub force: bool,
    /// Do not move cached outputs for this experiment to or from DVC remote storage.
    #[arg(long)]
    pub no_cache: bool,
    /// Name of the DVC remote to use.
    #[arg(short = 'r', long = "remote", value_name = "<name>")]
    pub dvc_remote: Option<String>,
    /// Number of jobs to run simultaneously.
    #[arg(short, long, value_name = "<number>")]
    pub jobs: Option<usize>,
    /// Move run history for all stages.
    #[arg(long, overrides_with = "no_run_cache")]
    pub run_cache: bool,
    #[arg(long, hide = true)]
    pub no_run_cache: bool,
    /// Git remote name or Git URL.
    #[arg(value_name = "<git_remote>")]
    pub git_remote: String,
    /// Experiments to move.
    #[arg(value_name = "<experiment>")]
    pub experiment: Vec<String>,
}

impl ShareArgs {
    fn options(&self) -> ShareOptions {
        ShareOptions {
            git_remote: self.git_remote.clone(),
            names: self.experiment.clone(),
            baselines: self.selection.baselines(),
            force: self.force,
            with_cache: !self.no_cache,
            dvc_remote: self.dvc_remote.clone(),
            jobs: self.jobs,
            run_cache: self.run_cache,
        }
    }
}

pub fn push(
    args: ShareArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Pushing");
    let report = push_exps(&workspace, &args.options(), activity.progress());
    drop(activity);
    let report: ShareReport = report?;
    let remote = crate::output::value::string_repr(&args.git_remote);
    if !report.diverged.is_empty() {
        printer.notice(format!(
            "Local experiment {} has diverged from remote experiment with the same name.\nTo \
             override the remote experiment re-run with '--force'.",
            joined(&report.diverged)
        ));
    }
    if !report.up_to_date.is_empty() {
        let verb = if report.up_to_date.len() > 1 {
            "are"
        } else {
            "is"
        };
        printer.info(format!(
            "Experiment {} {verb} up to date on Git remote {remote}.",
            joined(&report.up_to_date)
        ));
    }
    if !report.success.is_empty() {
        printer.info(format!(
            "Pushed experiment {} to Git remote {remote}.",
            joined(&report.success)
        ));
    }
    if report.up_to_date.is_empty() && report.success.is_empty() {
        printer.info("No experiments to push.");
    }
    if report.uploaded > 0 {
        let noun = if report.uploaded == 1 {
            "file"
        } else {
            "files"
        };
        printer.info(format!("{} {noun} uploaded", report.uploaded));
    }
    if args.no_cache {
        printer.info(
            "To push cached outputs for this experiment to DVC remote storage,re-run this \
             command without '--no-cache'.",
        );
    }
    Ok(ExitStatus::Success)
}

pub fn pull(
    args: ShareArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Fetching");
    let report = pull_exps(&workspace, &args.options(), activity.progress());
    drop(activity);
    let report: ShareReport = report?;
    if !report.diverged.is_empty() {
        let names: Vec<String> = report
            .diverged
            .iter()
            .map(|name| crate::output::value::string_repr(name))
            .collect();
        printer.notice(format!(
            "Local experiment '[{}]' has diverged from remote experiment with the same name. To \
             override the local experiment re-run with '--force'.",
            names.join(", ")
        ));
    }
    if report.success.is_empty() {
        printer.info("No experiments to pull.");
    } else {
        let names: Vec<String> = report
            .success
            .iter()
            .map(|name| crate::output::value::string_repr(name))
            .collect();
        printer.info(format!(
            "Pulled experiment '[{}]' from Git remote '{}'.",
            names.join(", "),
            args.git_remote
        ));
    }
    if args.no_cache {
        printer.info(
            "To pull cached outputs for this experimentfrom DVC remote storage,re-run this \
             command without '--no-cache'.",
        );
    }
    Ok(ExitStatus::Success)
}
