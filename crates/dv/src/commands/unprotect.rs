//! `dv unprotect`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::unprotect::{UnprotectOptions, unprotect};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct UnprotectArgs {
    /// Data files/directories to unprotect.
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
}

pub fn run(
    args: UnprotectArgs,
    environment: &Environment,
    _printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    for target in args.targets {
        unprotect(&workspace, &UnprotectOptions { target })?;
    }
    Ok(ExitStatus::Success)
}
