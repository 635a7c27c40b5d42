//! `dv commit`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use dv_repo::ops::commit::{CommitOptions, commit};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Commit data even if hash values for dependencies or outputs did not change.
    #[arg(short, long)]
    pub force: bool,
    /// Commit all dependencies of the specified target.
    #[arg(short = 'd', long)]
    pub with_deps: bool,
    /// Commit cache for subdirectories of the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Don't recreate links from cache to workspace.
    #[arg(long)]
    pub no_relink: bool,
    /// Number of jobs to run simultaneously when hashing.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
}

pub fn run(
    args: CommitArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let targets: Vec<Option<PathBuf>> = if args.targets.is_empty() {
        vec![None]
    } else {
        args.targets.into_iter().map(Some).collect()
    };
    let activity = printer.activity("Committing");
    let confirm =
        |question: &str| activity.suspend(|| crate::prompt::confirm_on_terminal(question, printer));
    for target in targets {
        let shown = target
            .as_ref()
            .map(|t| format!(" {}", t.display()))
            .unwrap_or_default();
        let report = commit(
            &workspace,
            &CommitOptions {
                target,
                force: args.force,
                recursive: args.recursive,
                relink: !args.no_relink,
                jobs: args.jobs,
            },
            &confirm,
            activity.progress(),
        )
        .with_context(|| format!("failed to commit{shown}"))?;
        activity.suspend(|| {
            for lock in &report.locks_updated {
                printer.info(format!("Updating lock file '{lock}'"));
            }
            for empty in &report.empty {
                printer.warn(format!("'{empty}' is empty."));
            }
        });
    }
    Ok(ExitStatus::Success)
}
