//! `dv git-hook`: what the hooks written by `dv install` run. `pre-commit`, `post-checkout`
//! and `pre-push` run `status`, `checkout` and `push` in this process, as DVC runs its own
//! command line; outside a DVC repository every hook does nothing.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use dv_repo::ops::git_hook::{MergeDriverOptions, merge_driver, post_checkout};
use dv_repo::{Environment, Interrupts, Repo, Workspace};

use crate::cli::Cli;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct GitHookArgs {
    #[command(subcommand)]
    pub hook: Hook,
}

#[derive(Debug, Subcommand)]
pub enum Hook {
    /// Run pre-commit GIT hook.
    PreCommit(HookArgs),
    /// Run post-checkout GIT hook.
    PostCheckout(HookArgs),
    /// Run pre-push GIT hook.
    PrePush(HookArgs),
    /// Run GIT merge driver.
    MergeDriver(MergeDriverArgs),
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Arguments passed by GIT or pre-commit tool.
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MergeDriverArgs {
    /// Ancestor's version of the conflicting file.
    #[arg(long, value_name = "ancestor")]
    pub ancestor: PathBuf,
    /// Current version of the conflicting file.
    #[arg(long, value_name = "our")]
    pub our: PathBuf,
    /// Other branch's version of the conflicting file.
    #[arg(long, value_name = "their")]
    pub their: PathBuf,
}

/// Runs one hook: nothing outside a DVC repository, else the command it stands for (its exit
/// code is the hook's) or the merge driver.
pub fn run(
    args: GitHookArgs,
    environment: &Environment,
    printer: &Printer,
    interrupts: &Interrupts,
) -> anyhow::Result<ExitStatus> {
    if Repo::discover(&environment.cwd).is_err() {
        return Ok(ExitStatus::Success);
    }
    match args.hook {
        Hook::PreCommit(_) => run_command("status", printer, interrupts),
        Hook::PrePush(_) => run_command("push", printer, interrupts),
        Hook::PostCheckout(hook) => {
            if post_checkout::runs_checkout(environment, &hook.args) {
                run_command("checkout", printer, interrupts)
            } else {
                Ok(ExitStatus::Success)
            }
        }
        Hook::MergeDriver(files) => {
            let workspace = Workspace::open(environment)?;
            merge_driver(
                &workspace,
                &MergeDriverOptions {
                    ancestor: files.ancestor,
                    our: files.our,
                    their: files.their,
                },
            )?;
            Ok(ExitStatus::Success)
        }
    }
}

/// Runs `dv <name>` in this process as DVC runs `main([name])`: its errors are reported here
/// and become its exit code, which is the hook's.
fn run_command(
    name: &str,
    printer: &Printer,
    interrupts: &Interrupts,
) -> anyhow::Result<ExitStatus> {
    let cli = Cli::try_parse_from(["dv", name])?;
    Ok(match super::run(cli, printer, interrupts) {
        Ok(status) => status,
        Err(error) => crate::exit::report(&error, printer),
    })
}
