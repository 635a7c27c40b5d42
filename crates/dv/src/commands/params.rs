//! `dv params diff`, printed as dvc prints it.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dv_repo::ops::params::{DiffOptions, diff};
use dv_repo::{Environment, Workspace};

use super::metrics::{DiffShown, print_diff, report_errored, warn_failed};
use crate::exit::ExitStatus;
use crate::output::FloatStyle;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ParamsArgs {
    #[command(subcommand)]
    pub command: ParamsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ParamsCommand {
    /// Show changes in params between commits in the DVC repository, or between a commit and
    /// the workspace.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Old Git commit to compare (defaults to HEAD)
    #[arg(default_value = "HEAD")]
    pub a_rev: String,
    /// New Git commit to compare (defaults to the current workspace)
    #[arg(default_value = "workspace")]
    pub b_rev: String,
    /// Specific params file(s) to compare.
    #[arg(long, num_args = 0.., value_name = "<paths>")]
    pub targets: Vec<PathBuf>,
    /// Show unchanged params as well.
    #[arg(long)]
    pub all: bool,
    /// Show only params that are stage dependencies.
    #[arg(long)]
    pub deps: bool,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Show tabulated output in the Markdown format (GFM).
    #[arg(long = "md")]
    pub markdown: bool,
    /// Don't show params path.
    #[arg(long)]
    pub no_path: bool,
}

pub fn run(
    args: ParamsArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let ParamsCommand::Diff(args) = args.command;
    let options = DiffOptions {
        a_rev: args.a_rev.clone(),
        b_rev: args.b_rev.clone(),
        targets: args.targets,
        all: args.all,
        deps_only: args.deps,
    };
    let result = diff(&workspace, &options)?;
    warn_failed(printer, "params", &result.failed);
    if !result.errored.is_empty() {
        let errored: Vec<&str> = result.errored.iter().map(String::as_str).collect();
        report_errored(printer, &errored);
    }
    let shown = DiffShown {
        title: "Param",
        a_rev: &args.a_rev,
        b_rev: &args.b_rev,
        no_path: args.no_path,
        show_changes: false,
        style: FloatStyle::from_dvc(None, false),
    };
    print_diff(printer, &result.diff, &shown, args.json, args.markdown);
    Ok(ExitStatus::Success)
}
