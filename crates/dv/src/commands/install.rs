//! `dv install`: DVC's hooks, merge driver or pre-commit tool entry, calling `dv`.

use clap::Args;
use dv_repo::ops::install::{InstallError, InstallOptions, install};
use dv_repo::{CommandError, Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Install DVC hooks using pre-commit (https://pre-commit.com) if it is installed.
    #[arg(long)]
    pub use_pre_commit_tool: bool,
}

/// Installs the hooks (or the pre-commit entry) and the merge driver; prints nothing. DVC's
/// own failures (a hook already there, an unreadable configuration) exit 1.
pub fn run(
    args: InstallArgs,
    environment: &Environment,
    _printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let options = InstallOptions {
        use_pre_commit_tool: args.use_pre_commit_tool,
    };
    // DVC reports its own errors (a hook already there, an unreadable config) as a failed
    // command, exit 1, and lets others through as unexpected.
    install(&workspace, &options).map_err(|error| match error.downcast_ref::<InstallError>() {
        Some(install_error) => {
            CommandError(format!("failed to install DVC Git hooks - {install_error}")).into()
        }
        None => error,
    })?;
    Ok(ExitStatus::Success)
}
