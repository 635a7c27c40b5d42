//! `dv freeze` and `dv unfreeze`.

use clap::Args;
use dv_repo::ops::freeze::set_frozen;
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct FreezeArgs {
    /// Stages or .dvc files to freeze (or unfreeze).
    #[arg(required = true)]
    pub targets: Vec<String>,
}

/// Freezes (`frozen`) or unfreezes each target; a target that fails is reported and the
/// others are still done, the exit code is then 1 (as DVC).
pub fn run(
    args: FreezeArgs,
    environment: &Environment,
    printer: &Printer,
    frozen: bool,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let action = if frozen { "freeze" } else { "unfreeze" };
    let mut status = ExitStatus::Success;
    for target in &args.targets {
        match set_frozen(&workspace, target, frozen) {
            Ok(report) => {
                for warning in &report.warnings {
                    printer.warn(warning);
                }
                if let Some(message) = &report.message {
                    printer.info(message);
                }
            }
            Err(error) => {
                let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
                printer.error(format!(
                    "failed to {action} '{target}' - {}",
                    chain.join(" - ")
                ));
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}
