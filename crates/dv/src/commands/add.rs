//! `dv add`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::add::{AddOptions, add};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Input files/directories to add.
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
    /// Don't put files/directories into cache.
    #[arg(long)]
    pub no_commit: bool,
    /// Number of jobs to run simultaneously when hashing.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Allows targets containing shell-style wildcards.
    #[arg(long)]
    pub glob: bool,
    /// Destination path to put files to.
    #[arg(short, long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Override local file or folder if exists.
    #[arg(short, long)]
    pub force: bool,
    /// Don't recreate links from cache to workspace.
    #[arg(long)]
    pub no_relink: bool,
    /// Download it directly to the remote.
    #[arg(long)]
    pub to_remote: bool,
    /// Remote storage to download to.
    #[arg(short, long, value_name = "name")]
    pub remote: Option<String>,
}

pub fn run(
    args: AddArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Adding");
    let report = add(
        &workspace,
        &AddOptions {
            targets: args.targets,
            no_commit: args.no_commit,
            jobs: args.jobs,
            glob: args.glob,
            out: args.out,
            force: args.force,
            no_relink: args.no_relink,
            to_remote: args.to_remote,
            remote: args.remote,
        },
        activity.progress(),
    );
    drop(activity);
    let report = report?;
    for empty in &report.empty {
        printer.warn(format!("'{empty}' is empty."));
    }
    if !report.staged {
        crate::git_hint::print_git_add_hint(&workspace, &report.to_track, printer);
    }
    Ok(ExitStatus::Success)
}
