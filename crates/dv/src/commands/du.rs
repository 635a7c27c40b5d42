//! `dv du URL [PATH]`: the disk usage of a repository's files and outputs, printed as
//! `dvc/commands/du.py` prints it: a table of sizes (DVC's `naturalsize`) and paths, the
//! total last with the path as given (an empty path for the root). DVC lists the rows in a
//! set's order, which changes between runs; dv sorts them by path.
//!
//! Every failure exits with 255, as DVC catches none: its own errors are `ERROR: <reason>`,
//! a missing path is an unexpected error.

use clap::Args;
use dv_repo::ops::du::{DuOptions, du};
use dv_repo::{CommandError, DvcError, Environment};

use crate::commands::ls::source_spec;
use crate::exit::ExitStatus;
use crate::output::tree_listing::naturalsize;
use crate::output::{Format, Table};
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct DuArgs {
    /// Location of DVC repository
    pub url: String,
    /// Path to directory within the repository
    pub path: Option<String>,
    /// Git revision (e.g. SHA, branch, tag)
    #[arg(long, value_name = "commit", num_args = 0..=1)]
    pub rev: Option<Option<String>>,
    /// Show total disk usage.
    #[arg(short, long)]
    pub summarize: bool,
    /// Path to a config file that will be merged with the config in the target repository.
    #[arg(long, value_name = "config")]
    pub config: Option<String>,
    /// Remote name to set as a default in the target repository.
    #[arg(long, value_name = "remote")]
    pub remote: Option<String>,
    /// Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.
    #[arg(long, value_name = "name>=<value", num_args = 0..)]
    pub remote_config: Vec<String>,
}

pub fn run(
    args: DuArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let source = source_spec(
        &args.url,
        args.rev,
        args.config,
        args.remote,
        &args.remote_config,
    )?;
    // Only for where the clone cache is: a broken configuration here does not stop `du`.
    let config = crate::commands::config_from_cwd(environment)
        .load_validated()
        .ok();
    let options = DuOptions {
        source,
        path: args.path,
        summarize: args.summarize,
        jobs: None,
    };
    let activity = printer.activity(format!("Measuring {}", args.url));
    let outcome = du(environment, config.as_ref(), &options, activity.progress());
    drop(activity);
    let rows = match outcome {
        Ok(rows) => rows,
        // DVC's own errors reach its `main`: exit code 255 without "unexpected error".
        Err(error) if error.downcast_ref::<CommandError>().is_some() => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            return Err(DvcError(chain.join(" - ")).into());
        }
        Err(error) => return Err(error),
    };
    let mut table = Table::headless();
    for row in &rows {
        table.push_row([naturalsize(row.size), row.path.clone()]);
    }
    printer.forced_data(table.render(Format::Plain));
    Ok(ExitStatus::Success)
}
