//! `dv status`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::status::{StatusOptions, status};
use dv_repo::{Environment, Workspace};

use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    /// Number of jobs to run simultaneously.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StatusArgs, environment: &Environment, printer: &Printer) -> anyhow::Result<u8> {
    let workspace = Workspace::open(environment)?;
    let report = status(
        &workspace,
        &StatusOptions {
            targets: args.targets,
            jobs: args.jobs,
        },
    )?;
    if printer.is_quiet() {
        return Ok(u8::from(!report.stages.is_empty()));
    }
    if args.json {
        let mut map = serde_json::Map::new();
        for stage in &report.stages {
            let mut outs = serde_json::Map::new();
            for out in &stage.changed_outs {
                outs.insert(out.path.clone(), out.status.into());
            }
            map.insert(
                stage.name.clone(),
                serde_json::json!([{ "changed outs": outs }]),
            );
        }
        printer.data(crate::json::to_python_json(&serde_json::Value::Object(map)));
        return Ok(0);
    }
    if !report.tracked {
        printer.info("There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!");
        return Ok(0);
    }
    if report.stages.is_empty() {
        printer.info("Data and pipelines are up to date.");
        return Ok(0);
    }
    let mut lines = Vec::new();
    for stage in &report.stages {
        lines.push(format!("{}:", stage.name));
        lines.push("\tchanged outs:".to_string());
        for out in &stage.changed_outs {
            lines.push(format!(
                "\t\t{:<20}{}",
                format!("{}:", out.status),
                out.path
            ));
        }
    }
    printer.data(lines.join("\n"));
    Ok(0)
}
