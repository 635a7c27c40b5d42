//! `dv checkout`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::checkout::{CheckoutOptions, checkout};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::{Printer, expand_tabs};

#[derive(Debug, Args)]
pub struct CheckoutArgs {
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    /// Checkout all subdirectories of the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Do not prompt when removing working directory files.
    #[arg(short, long)]
    pub force: bool,
    /// Recreate links or copies from cache to workspace.
    #[arg(long)]
    pub relink: bool,
    /// Number of jobs to run simultaneously.
    #[arg(short, long)]
    pub jobs: Option<usize>,
}

pub fn run(
    args: CheckoutArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Checking out");
    let report = checkout(
        &workspace,
        &CheckoutOptions {
            targets: args.targets,
            recursive: args.recursive,
            force: args.force,
            relink: args.relink,
            jobs: args.jobs,
        },
        activity.progress(),
    );
    drop(activity);
    let report = report?;
    for warning in &report.warnings {
        printer.warn(warning);
    }
    for (kind, path) in &report.changes {
        printer.info(expand_tabs(&format!("{kind}\t{path}")));
    }
    if args.relink {
        printer.info("Relinked successfully");
    }
    Ok(ExitStatus::Success)
}
