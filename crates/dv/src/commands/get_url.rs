//! `dv get-url`: downloads a file or directory from a URL without tracking it, inside or
//! outside a repository. Like DVC it prints nothing on success; every expected failure is
//! `ERROR: failed to get '<url>' - <reason>` with exit code 1.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::get_url::{GetUrlOptions, get_url};
use dv_repo::{ArgumentError, CommandError, ConfigError, Environment};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct GetUrlArgs {
    /// See `dvc import-url -h` for full list of supported URLs.
    pub url: String,
    /// Destination path to put data to.
    pub out: Option<PathBuf>,
    /// Number of jobs to run simultaneously. The default value is 4 * cpu_count().
    #[arg(short, long, value_name = "number")]
    pub jobs: Option<usize>,
    /// Override local file or folder if exists.
    #[arg(short, long)]
    pub force: bool,
    /// Config options for the target url.
    #[arg(long, value_name = "name>=<value")]
    pub fs_config: Vec<String>,
}

pub fn run(
    args: GetUrlArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let mut fs_config = Vec::new();
    for pair in &args.fs_config {
        match pair.split_once('=') {
            Some((key, value)) if !value.is_empty() => {
                fs_config.push((key.to_owned(), value.to_owned()));
            }
            _ => {
                return Err(ArgumentError(format!(
                    "argument --fs-config: Could not parse argument \"{pair}\" as k1=v1 k2=v2 ... format"
                ))
                .into());
            }
        }
    }
    let url = args.url;
    let activity = printer.activity(format!("Downloading {url}"));
    // DVC's `Config.from_cwd()`: the repository's levels inside one, else global and system.
    let result = crate::commands::config_from_cwd(environment)
        .load_validated()
        .map_err(anyhow::Error::from)
        .and_then(|config| {
            get_url(
                environment,
                &config,
                &GetUrlOptions {
                    url: url.clone(),
                    out: args.out,
                    jobs: args.jobs,
                    force: args.force,
                    fs_config,
                },
            )
        });
    drop(activity);
    match result {
        Ok(_) => Ok(ExitStatus::Success),
        // What DVC catches as a `DvcException`; anything else stays an unexpected error.
        Err(error)
            if error.downcast_ref::<CommandError>().is_some()
                || error.downcast_ref::<ConfigError>().is_some() =>
        {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            printer.error(format!("failed to get '{url}' - {}", chain.join(" - ")));
            Ok(ExitStatus::Failure)
        }
        Err(error) => Err(error),
    }
}
