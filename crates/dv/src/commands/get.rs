//! `dv get URL PATH`: a copy of a file or directory of another DVC (or plain git) repository,
//! tracked by nothing; works outside a repository. Like DVC it prints nothing on success
//! (`--show-url` prints where the data is stored).

use std::path::PathBuf;

use clap::Args;
use dv_repo::Environment;
use dv_repo::ops::get::{GetOptions, get};

use crate::commands::repo_source::SourceArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Location of DVC or Git repository to download from.
    pub url: String,
    /// Path to a file or directory within the repository.
    pub path: String,
    /// Destination path to download files to.
    #[arg(short, long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print the storage location (URL) the target data would be downloaded from, and exit.
    #[arg(long)]
    pub show_url: bool,
    /// Number of jobs to run simultaneously.
    #[arg(short, long, value_name = "number")]
    pub jobs: Option<usize>,
    /// Override local file or folder if exists.
    #[arg(short, long)]
    pub force: bool,
}

pub fn run(
    args: GetArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let spec = args.source.spec(&args.url)?;
    let config = crate::commands::config_from_cwd(environment)
        .load_to_level(None)
        .ok();
    let activity = printer.activity(format!("Getting {} from {}", args.path, args.url));
    let result = get(
        environment,
        config.as_ref(),
        &GetOptions {
            spec,
            path: args.path,
            out: args.out,
            jobs: args.jobs,
            force: args.force,
            show_url: args.show_url,
        },
        activity.progress(),
    );
    drop(activity);
    let report = result?;
    if let Some(url) = report.url {
        printer.data(url);
    }
    Ok(ExitStatus::Success)
}
