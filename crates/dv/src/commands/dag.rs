//! `dv dag`.

use clap::Args;
use dv_repo::ops::dag::{DagOptions, dag};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct DagArgs {
    /// Print DAG with .dot format.
    #[arg(long)]
    pub dot: bool,
    /// Print DAG with mermaid format.
    #[arg(long)]
    pub mermaid: bool,
    /// Print DAG with mermaid format wrapped in Markdown block.
    #[arg(long = "md")]
    pub markdown: bool,
    /// Collapse stages from each foreach/matrix definition into a single node.
    #[arg(long)]
    pub collapse_foreach_matrix: bool,
    /// Show full DAG that the target belongs too, instead of showing DAG consisting only of ancestors.
    #[arg(long)]
    pub full: bool,
    /// Print output files instead of stages.
    #[arg(short, long)]
    pub outs: bool,
    /// Stage name or output to show pipeline for. Finds all stages in the workspace by default.
    pub target: Option<String>,
}

pub fn run(
    args: DagArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let report = dag(
        &workspace,
        &DagOptions {
            target: args.target,
            full: args.full,
            outs: args.outs,
            collapse_generated: args.collapse_foreach_matrix,
        },
    )?;
    for warning in &report.warnings {
        printer.warn(warning);
    }
    let text = if args.dot {
        report.dag.to_dot()
    } else if args.mermaid || args.markdown {
        report.dag.to_mermaid(args.markdown)
    } else {
        report.dag.to_ascii()
    };
    printer.data(text);
    Ok(ExitStatus::Success)
}
