//! `dv exp` / `dv experiments`: run, compare and manage experiments (DVC's
//! `commands/experiments/`).

mod diff;
mod manage;
pub mod queue;
mod run;
mod share;
mod show;

use clap::{Args, Subcommand};
use dv_repo::{Environment, Interrupts};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ExpArgs {
    #[command(subcommand)]
    pub command: ExpCommand,
}

#[derive(Debug, Subcommand)]
pub enum ExpCommand {
    /// Run an experiment.
    Run(run::ExpRunArgs),
    /// Print experiments.
    Show(show::ExpShowArgs),
    /// Show changes between experiments.
    Diff(diff::ExpDiffArgs),
    /// Apply the changes from an experiment to your workspace.
    Apply(manage::ApplyArgs),
    /// Promote an experiment to a Git branch.
    Branch(manage::BranchArgs),
    /// List local and remote experiments.
    #[command(visible_alias = "list")]
    Ls(manage::LsArgs),
    /// Remove experiments.
    #[command(visible_alias = "rm")]
    Remove(manage::RemoveArgs),
    /// Rename experiments.
    Rename(manage::RenameArgs),
    /// Save current workspace as an experiment.
    Save(run::ExpSaveArgs),
    /// Push a local experiment to a Git remote.
    Push(share::ShareArgs),
    /// Pull an experiment from a Git remote.
    Pull(share::ShareArgs),
    /// Cleanup experiments temporary internal files.
    Clean,
}

pub fn run(
    args: ExpArgs,
    environment: &Environment,
    printer: &Printer,
    interrupts: &Interrupts,
) -> anyhow::Result<ExitStatus> {
    match args.command {
        ExpCommand::Run(args) => run::run(args, environment, printer, interrupts),
        ExpCommand::Save(args) => run::save(args, environment, printer),
        ExpCommand::Show(args) => show::run(args, environment, printer),
        ExpCommand::Diff(args) => diff::run(args, environment, printer),
        ExpCommand::Apply(args) => manage::apply(args, environment, printer),
        ExpCommand::Branch(args) => manage::branch(args, environment, printer),
        ExpCommand::Ls(args) => manage::ls(args, environment, printer),
        ExpCommand::Remove(args) => manage::remove(args, environment, printer),
        ExpCommand::Rename(args) => manage::rename(args, environment, printer),
        ExpCommand::Push(args) => share::push(args, environment, printer),
        ExpCommand::Pull(args) => share::pull(args, environment, printer),
        ExpCommand::Clean => {
            printer.info("Cleaning up dvc-task messages...");
            printer.info("Done!");
            Ok(ExitStatus::Success)
        }
    }
}
