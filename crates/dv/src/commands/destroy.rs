//! `dv destroy`.

use clap::Args;
use dv_repo::ops::destroy::destroy;
use dv_repo::{CommandError, DvcError, Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Force destruction.
    #[arg(short, long)]
    pub force: bool,
}

/// DVC's question (as its console wraps it at 80 columns).
const QUESTION: &str = "This will destroy all information about your pipelines, all data files, as well \nas cache in .dvc/cache.\nAre you sure you want to continue?";

pub fn run(
    args: DestroyArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    if !args.force && !crate::prompt::confirm(QUESTION, printer) {
        return Err(anyhow::Error::new(CommandError(
            "cannot destroy without a confirmation from the user. Use `-f` to force.".to_string(),
        ))
        .context("failed to destroy DVC"));
    }
    // DVC fails with 1 for its own errors (an invalid stage file, ...), and lets others
    // through as unexpected.
    destroy(workspace).map_err(|error| {
        let caught = error.downcast_ref::<CommandError>().is_some()
            || error.downcast_ref::<DvcError>().is_some();
        if caught {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            CommandError(format!("failed to destroy DVC - {}", chain.join(" - "))).into()
        } else {
            error
        }
    })?;
    Ok(ExitStatus::Success)
}
