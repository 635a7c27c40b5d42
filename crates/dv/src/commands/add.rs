//! `dv add`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::add::{AddOptions, add};
use dv_repo::{Environment, Workspace};

use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Input files/directories to add.
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
    /// Don't put files/directories into cache.
    #[arg(long)]
    pub no_commit: bool,
    /// Number of jobs to run simultaneously when hashing.
    #[arg(short, long)]
    pub jobs: Option<usize>,
}

pub fn run(args: AddArgs, environment: &Environment, printer: &Printer) -> anyhow::Result<u8> {
    let workspace = Workspace::open(environment)?;
    let report = add(
        &workspace,
        &AddOptions {
            targets: args.targets,
            no_commit: args.no_commit,
            jobs: args.jobs,
        },
    )?;
    for empty in &report.empty {
        printer.warn(format!("'{empty}' is empty."));
    }
    if !report.staged && workspace.git().is_some() && !report.to_track.is_empty() {
        let files: Vec<String> = report
            .to_track
            .iter()
            .map(|p| shell_quote(&workspace.display_path(p)))
            .collect();
        printer.info(format!(
            "\nTo track the changes with git, run:\n\n\tgit add {}\n\nTo enable auto staging, run:\n\n\tdvc config core.autostage true",
            files.join(" ")
        ));
    }
    Ok(0)
}

/// Python's `shlex.quote`.
pub fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\"'\"'"))
    }
}
