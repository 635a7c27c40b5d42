//! `dv destroy`.

use anyhow::Context;
use clap::Args;
use dv_repo::ops::destroy::destroy;
use dv_repo::{CommandError, Environment, Workspace};

use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Force destruction.
    #[arg(short, long)]
    pub force: bool,
}

/// DVC's question (as its console wraps it at 80 columns).
const QUESTION: &str = "This will destroy all information about your pipelines, all data files, as well \nas cache in .dvc/cache.\nAre you sure you want to continue?";

pub fn run(args: DestroyArgs, environment: &Environment, printer: &Printer) -> anyhow::Result<u8> {
    let workspace = Workspace::open(environment)?;
    if !args.force && !crate::prompt::confirm(QUESTION, printer) {
        return Err(anyhow::Error::new(CommandError(
            "cannot destroy without a confirmation from the user. Use `-f` to force.".to_string(),
        ))
        .context("failed to destroy DVC"));
    }
    destroy(workspace).context("failed to destroy DVC")?;
    Ok(0)
}
