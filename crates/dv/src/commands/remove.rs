//! `dv remove`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::remove::{RemoveOptions, remove};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Remove outputs as well.
    #[arg(long)]
    pub outs: bool,
    /// .dvc files or stages from dvc.yaml to remove.
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
}

pub fn run(
    args: RemoveArgs,
    environment: &Environment,
    _printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    for target in args.targets {
        remove(
            &workspace,
            &RemoveOptions {
                target,
                outs: args.outs,
            },
        )?;
    }
    Ok(ExitStatus::Success)
}
