//! `dv init`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::Environment;
use dv_repo::ops::init::{InitOptions, init};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Location where to initialize the DVC repository.
    #[arg(default_value = ".")]
    pub directory: PathBuf,
    /// Initiate DVC in directory that is not tracked by any SCM tool (e.g. Git).
    #[arg(long)]
    pub no_scm: bool,
    /// Overwrite existing '.dvc/' directory. This operation removes local cache.
    #[arg(short, long)]
    pub force: bool,
    /// Necessary for running this command inside a subdirectory of a parent SCM repository.
    #[arg(long)]
    pub subdir: bool,
}

pub fn run(
    args: InitArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let options = InitOptions {
        directory: environment.absolute(&args.directory),
        no_scm: args.no_scm,
        force: args.force,
        subdir: args.subdir,
    };
    let report = init(&options)?;
    printer.info("Initialized DVC repository.\n");
    if report.scm {
        printer.info("You can now commit the changes to git.\n");
    }
    printer.info(
        "What's next?\n------------\n- Check out the documentation: <https://dvc.org/doc>\n- Get help and share ideas: <https://dvc.org/chat>\n- Star us on GitHub: <https://github.com/treeverse/dvc>",
    );
    Ok(ExitStatus::Success)
}
