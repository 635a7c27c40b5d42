//! `dv import URL PATH`: a file or directory of another DVC (or plain git) repository brought
//! into the cache and checked out, recorded in a frozen `.dvc` file that names the source and
//! the commit it came from (`dv update` moves it to a newer one).

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::import::{ImportOptions, check, import, plan};
use dv_repo::{Environment, Workspace};

use crate::commands::repo_source::SourceArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Location of DVC or Git repository to download from.
    pub url: String,
    /// Path to a file or directory within the repository.
    pub path: String,
    /// Destination path to download files to.
    #[arg(short, long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Override destination file or folder if exists.
    #[arg(short, long)]
    pub force: bool,
    /// Only create .dvc file without actually importing target data.
    #[arg(long, conflicts_with = "no_download")]
    pub no_exec: bool,
    /// Create .dvc file including target data hash value(s) but do not actually download the
    /// file(s).
    #[arg(long)]
    pub no_download: bool,
    /// Number of jobs to run simultaneously.
    #[arg(short, long, value_name = "number")]
    pub jobs: Option<usize>,
}

pub fn run(
    args: ImportArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let options = ImportOptions {
        spec: args.source.spec(&args.url)?,
        path: args.path,
        out: args.out,
        force: args.force,
        no_exec: args.no_exec,
        no_download: args.no_download,
        jobs: args.jobs,
    };
    let plan = plan(&workspace, &options)?;
    check(&workspace, &options, &plan)?;
    if !options.no_exec {
        printer.info(format!(
            "Importing '{} ({})' -> '{}'",
            options.path, options.spec.url, plan.out_shown
        ));
    }
    let activity = printer.activity("Importing");
    let result = import(&workspace, &options, &plan, activity.progress());
    drop(activity);
    let report = result?;
    if !report.staged {
        crate::git_hint::print_git_add_hint(&workspace, &report.to_track, printer);
    }
    Ok(ExitStatus::Success)
}
