//! `dv repro`.

use clap::Args;
use dv_repo::ops::repro::{ReproEvent, ReproOptions, repro};
use dv_repo::{Environment, Workspace};

use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ReproArgs {
    /// Stages to reproduce. 'dvc.yaml' by default.
    pub targets: Vec<String>,
    /// Reproduce even if dependencies were not changed.
    #[arg(short, long)]
    pub force: bool,
    /// Reproduce only single data item without recursive dependencies check.
    #[arg(short, long)]
    pub single_item: bool,
    /// Only print the commands that would be executed without actually executing.
    #[arg(long)]
    pub dry: bool,
    /// Execute stage commands even if they have already been run with the same
    /// command/dependencies/outputs/etc before.
    #[arg(long)]
    pub no_run_cache: bool,
}

pub fn run(args: ReproArgs, environment: &Environment, printer: &Printer) -> anyhow::Result<u8> {
    let workspace = Workspace::open(environment)?;
    let report = repro(
        &workspace,
        &ReproOptions {
            targets: args.targets,
            force: args.force,
            single_item: args.single_item,
            dry: args.dry,
            no_run_cache: args.no_run_cache,
            jobs: None,
        },
        &mut |event| match event {
            ReproEvent::Separator => printer.info(""),
            ReproEvent::Skipped(stage) => {
                printer.info(format!("Stage '{stage}' didn't change, skipping"));
            }
            ReproEvent::Restored(stage) => printer.info(format!(
                "Stage '{stage}' is cached - skipping run, checking out outputs"
            )),
            ReproEvent::Running(stage) => printer.info(format!("Running stage '{stage}':")),
            ReproEvent::Frozen(stage) => printer.warn(format!(
                "stage: '{stage}' is frozen. Its dependencies are not going to be reproduced."
            )),
            ReproEvent::VerifyingFrozen(stage) => {
                printer.info(format!("Verifying outputs in frozen stage: '{stage}'"))
            }
            ReproEvent::Command(command) => printer.info(format!("> {command}")),
            ReproEvent::LockGenerated(file) => {
                printer.info(format!("Generating lock file '{file}'"));
            }
            ReproEvent::LockUpdated(file) => printer.info(format!("Updating lock file '{file}'")),
            ReproEvent::CorruptedRun(file) => {
                printer.warn(format!("corrupted cache file '{file}'."))
            }
        },
    )?;
    if !report.staged {
        crate::git_hint::print_git_add_hint(&workspace, &report.to_track, printer);
    }
    if report.ran.is_empty() {
        printer.info("Data and pipelines are up to date.");
    } else {
        printer.info("Use `dvc push` to send your updates to remote storage.");
    }
    Ok(0)
}
