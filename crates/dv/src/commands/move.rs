//! `dv move`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use dv_repo::ops::r#move::{MoveOptions, move_output};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// Source path to a data file or directory.
    pub src: PathBuf,
    /// Destination path.
    pub dst: PathBuf,
}

pub fn run(
    args: MoveArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let context = format!(
        "failed to move '{}' -> '{}'",
        args.src.display(),
        args.dst.display()
    );
    let report = move_output(
        &workspace,
        &MoveOptions {
            src: args.src,
            dst: args.dst,
            jobs: None,
        },
    )
    .context(context)?;
    if let Some(missing) = &report.missing {
        printer.warn(format!("'{}' missing", missing.display()));
    }
    if let Some(empty) = &report.empty {
        printer.warn(format!("'{empty}' is empty."));
    }
    if !report.staged {
        crate::git_hint::print_git_add_hint(&workspace, &report.to_track, printer);
    }
    Ok(ExitStatus::Success)
}
