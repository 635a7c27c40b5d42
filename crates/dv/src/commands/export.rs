//! `dv export ro-crate`: the recorded pipeline as an RO-Crate (provenance a paper can cite).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dv_repo::ops::export::{RoCrateOptions, ro_crate};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub command: ExportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Describe the pipeline run recorded in dvc.lock as an RO-Crate (Process Run Crate 0.5).
    #[command(name = "ro-crate")]
    RoCrate(RoCrateArgs),
}

#[derive(Debug, Args)]
pub struct RoCrateArgs {
    /// Stages to describe (names, foreach groups, `dvc.yaml:name` or a dvc.yaml); all by
    /// default.
    pub targets: Vec<String>,
    /// Directory to write ro-crate-metadata.json into.
    #[arg(short, long, value_name = "DIR", default_value = "ro-crate")]
    pub out: PathBuf,
    /// Describe the pipeline as recorded at this Git revision instead of the workspace.
    #[arg(long, value_name = "REV")]
    pub rev: Option<String>,
    /// Add the Workflow Run Crate layer (dvc.yaml as the workflow, its inputs and outputs).
    #[arg(long)]
    pub workflow: bool,
    /// Add the SHA-256 of each data file at hand (reads every file).
    #[arg(long)]
    pub sha256: bool,
    /// Copy the data files at hand into the crate.
    #[arg(long)]
    pub include_data: bool,
    /// The license of the crate: an SPDX identifier (CC-BY-4.0) or a URL.
    #[arg(long, value_name = "LICENSE")]
    pub license: Option<String>,
}

pub fn run(
    args: ExportArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let ExportCommand::RoCrate(args) = args.command;
    let workspace = Workspace::open(environment)?;
    let options = RoCrateOptions {
        targets: args.targets,
        out_dir: environment.absolute(&args.out),
        rev: args.rev,
        workflow: args.workflow,
        sha256: args.sha256,
        include_data: args.include_data,
        license: args.license,
    };
    let report = ro_crate(&workspace, &options)?;
    let mut text = format!(
        "Wrote '{}': {} stage run(s), {} data entities",
        args.out.join(dv_repo::ops::export::METADATA).display(),
        report.actions,
        report.entities
    );
    if options.include_data {
        text.push_str(&format!(", {} file(s) copied", report.copied));
    }
    printer.info(text);
    Ok(ExitStatus::Success)
}
