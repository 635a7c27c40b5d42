//! `dv artifacts get URL NAME`: an artifact of a model registry (declared in `dvc.yaml`,
//! versions and stages as GTO tags) downloaded like `dv get` downloads a path; prints
//! `Downloaded N file(s) to 'OUT'` (with `--show-url`, where the data is stored).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dv_repo::Environment;
use dv_repo::ops::artifacts::{ArtifactsGetOptions, NoSuchDirectory, get, show_url};

use crate::commands::repo_source::SourceArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ArtifactsArgs {
    #[command(subcommand)]
    pub command: ArtifactsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ArtifactsCommand {
    /// Download an artifact from a DVC project.
    Get(ArtifactsGetArgs),
}

#[derive(Debug, Args)]
pub struct ArtifactsGetArgs {
    /// Location of DVC repository to download from.
    pub url: String,
    /// Name of artifact in the repository.
    pub name: String,
    /// Artifact version.
    #[arg(long, value_name = "<version>", num_args = 0..=1)]
    pub rev: Option<String>,
    /// Artifact stage.
    #[arg(long, value_name = "<stage>", num_args = 0..=1)]
    pub stage: Option<String>,
    /// Destination path to download artifact to.
    #[arg(short, long, value_name = "<path>", num_args = 0..=1)]
    pub out: Option<PathBuf>,
    /// Print the storage location (URL) the target data would be downloaded from, and exit.
    #[arg(long)]
    pub show_url: bool,
    /// Number of jobs to run simultaneously.
    #[arg(short, long, value_name = "<number>")]
    pub jobs: Option<usize>,
    /// Override local file or folder if exists.
    #[arg(short, long)]
    pub force: bool,
    /// Path to a config file that will be merged with the config in the target repository.
    #[arg(long)]
    pub config: Option<String>,
    /// Remote name to set as a default in the target repository (only applicable when
    /// downloading from DVC remote).
    #[arg(long)]
    pub remote: Option<String>,
    /// Remote config options to merge with a remote's config (default or one specified by
    /// '--remote') in the target repository (only applicable when downloading from DVC remote).
    #[arg(long, num_args = 0..)]
    pub remote_config: Vec<String>,
}

pub fn run(
    args: ArtifactsArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match args.command {
        ArtifactsCommand::Get(args) => run_get(args, environment, printer),
    }
}

fn run_get(
    args: ArtifactsGetArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    // `--rev` names a version here, not a git revision: the source is read at its tag.
    let source = SourceArgs {
        rev: None,
        config: args.config,
        remote: args.remote,
        remote_config: args.remote_config,
    };
    let options = ArtifactsGetOptions {
        spec: source.spec(&args.url)?,
        name: args.name,
        version: args.rev.filter(|rev| !rev.is_empty()),
        stage: args.stage.filter(|stage| !stage.is_empty()),
        out: args.out.filter(|out| !out.as_os_str().is_empty()),
        jobs: args.jobs,
        force: args.force,
    };
    let config = crate::commands::config_from_cwd(environment)
        .load_to_level(None)
        .ok();
    if args.show_url {
        let url = match show_url(environment, config.as_ref(), &options) {
            Ok(url) => url,
            // DVC fails opening the artifact's directory as a repository.
            Err(error) if error.is::<NoSuchDirectory>() => {
                printer.error(error.to_string());
                return Ok(ExitStatus::NotDvcRepo);
            }
            Err(error) => return Err(error),
        };
        // DVC prints the URL even with `-q`.
        println!("{url}");
        return Ok(ExitStatus::Success);
    }
    let activity = printer.activity(format!("Downloading {} from {}", options.name, args.url));
    let result = get(environment, config.as_ref(), &options, activity.progress());
    drop(activity);
    match result {
        Ok(report) => {
            printer.data(format!(
                "Downloaded {} file(s) to '{}'",
                report.files, report.out
            ));
            Ok(ExitStatus::Success)
        }
        Err(failure) => {
            if let Some(studio) = failure.studio {
                printer.error(studio);
            }
            Err(failure.error)
        }
    }
}
