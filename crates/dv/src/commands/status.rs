//! `dv status`.

use std::path::PathBuf;

use clap::Args;
use dv_repo::ops::pipeline_status::{FrozenStage, pipeline_status};
use dv_repo::ops::remote_status::{RemoteStatusOptions, remote_status};
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
    /// Show status of a local cache compared to a remote repository.
    #[arg(short, long)]
    pub cloud: bool,
    /// Remote storage to compare local cache to.
    #[arg(short, long, value_name = "NAME")]
    pub remote: Option<String>,
}

pub fn run(args: StatusArgs, environment: &Environment, printer: &Printer) -> anyhow::Result<u8> {
    let workspace = Workspace::open(environment)?;
    if args.cloud || args.remote.is_some() {
        return run_cloud(args, &workspace, printer);
    }
    let activity = printer.activity("Checking status");
    let targets: Vec<String> = args
        .targets
        .iter()
        .map(|target| target.to_string_lossy().into_owned())
        .collect();
    let pipelines = pipeline_status(&workspace, &targets, args.jobs)?;
    let dvc_targets: Vec<PathBuf> = pipelines.other_targets.iter().map(PathBuf::from).collect();
    let report = if !targets.is_empty() && dvc_targets.is_empty() {
        dv_repo::ops::status::StatusReport::default()
    } else {
        status(
            &workspace,
            &StatusOptions {
                targets: dvc_targets,
                jobs: args.jobs,
            },
        )?
    };
    drop(activity);
    for frozen in frozen_in_order(&workspace, &targets, &pipelines.frozen, &report.frozen) {
        printer.warn(format!(
            "stage: '{frozen}' is frozen. Its dependencies are not going to be shown in the status output."
        ));
    }
    if printer.is_quiet() {
        return Ok(u8::from(
            !report.stages.is_empty() || !pipelines.report.is_empty(),
        ));
    }
    if args.json {
        let mut map = match pipelines.report.to_json() {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        for stage in &report.stages {
            let mut outs = serde_json::Map::new();
            for out in &stage.changed_outs {
                outs.insert(out.path.clone(), out.status.into());
            }
            let mut items = Vec::new();
            if !stage.changed_deps.is_empty() {
                let deps: serde_json::Map<String, serde_json::Value> = stage
                    .changed_deps
                    .iter()
                    .map(|dep| (dep.path.clone(), dep.status.into()))
                    .collect();
                items.push(serde_json::json!({ "changed deps": deps }));
            }
            if !outs.is_empty() {
                items.push(serde_json::json!({ "changed outs": outs }));
            }
            if stage.changed_checksum {
                items.push(serde_json::json!("changed checksum"));
            }
            map.insert(stage.name.clone(), serde_json::Value::Array(items));
        }
        printer.data(crate::json::to_python_json(&serde_json::Value::Object(map)));
        return Ok(0);
    }
    if !report.tracked && !pipelines.has_stages {
        printer.info("There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!");
        return Ok(0);
    }
    if report.stages.is_empty() && pipelines.report.is_empty() {
        printer.info("Data and pipelines are up to date.");
        return Ok(0);
    }
    let pipeline_text = pipelines.report.to_text();
    if !pipeline_text.is_empty() {
        printer.data(pipeline_text.trim_end_matches('\n'));
    }
    if report.stages.is_empty() {
        return Ok(0);
    }
    let mut lines = Vec::new();
    for stage in &report.stages {
        lines.push(format!("{}:", stage.name));
        if !stage.changed_deps.is_empty() {
            lines.push("\tchanged deps:".to_string());
        }
        for dep in &stage.changed_deps {
            lines.push(format!(
                "\t\t{:<20}{}",
                format!("{}:", dep.status),
                dep.path
            ));
        }
        if !stage.changed_outs.is_empty() {
            lines.push("\tchanged outs:".to_string());
        }
        for out in &stage.changed_outs {
            lines.push(format!(
                "\t\t{:<20}{}",
                format!("{}:", out.status),
                out.path
            ));
        }
        if stage.changed_checksum {
            lines.push("\tchanged checksum".to_string());
        }
    }
    printer.data(lines.join("\n"));
    Ok(0)
}

/// The frozen stages (`dvc.yaml` stages and `.dvc` files, as shown) in the order DVC warns
/// about them: without targets in collection order (stage files in walk order), else in the
/// order of the targets naming them.
fn frozen_in_order(
    workspace: &Workspace,
    targets: &[String],
    pipeline: &[FrozenStage],
    files: &[String],
) -> Vec<String> {
    if pipeline.is_empty() || files.is_empty() {
        return pipeline
            .iter()
            .map(|stage| stage.addressing.clone())
            .chain(files.iter().cloned())
            .collect();
    }
    let absolute = |shown: &str| workspace.absolute(std::path::Path::new(shown));
    let mut ranked: Vec<(usize, String)> = Vec::new();
    if targets.is_empty() {
        let order = dv_repo::stages::stage_files(workspace).unwrap_or_default();
        let root = workspace.root();
        let rank = |path: &std::path::Path| {
            order
                .iter()
                .position(|file| root.join(file.as_str()) == path)
                .unwrap_or(usize::MAX)
        };
        for stage in pipeline {
            ranked.push((
                rank(&root.join(stage.file.as_str())),
                stage.addressing.clone(),
            ));
        }
        for shown in files {
            ranked.push((rank(&absolute(shown)), shown.clone()));
        }
    } else {
        for stage in pipeline {
            ranked.push((stage.target.unwrap_or(usize::MAX), stage.addressing.clone()));
        }
        for shown in files {
            let file = absolute(shown);
            let rank = targets
                .iter()
                .position(|target| {
                    let named = absolute(target);
                    named == file
                        || file == std::path::Path::new(&format!("{}.dvc", named.display()))
                })
                .unwrap_or(usize::MAX);
            ranked.push((rank, shown.clone()));
        }
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, shown)| shown).collect()
}

/// `dv status -c` / `-r NAME`: objects not in sync between the cache and the remote, one
/// `\t<status>: <name>` line each (spec §9.5).
fn run_cloud(args: StatusArgs, workspace: &Workspace, printer: &Printer) -> anyhow::Result<u8> {
    let report = remote_status(
        workspace,
        &RemoteStatusOptions {
            targets: args.targets,
            remote: args.remote,
            jobs: crate::commands::fetch::transfer_jobs(args.jobs),
            recursive: false,
        },
    )
    // DVC reports what it catches with exit code 1; a remote failing as a whole escapes as an
    // unexpected error (255).
    .map_err(|error| crate::exit::data_command_failure(printer, None, error, 255))?;
    if !report.missing_trees.is_empty() {
        let list: Vec<String> = report
            .missing_trees
            .iter()
            .map(|object| format!("name: None, {}: {}", object.hash_name, object.object))
            .collect();
        printer.warn(format!(
            "Some of the cache files do not exist neither locally nor on remote. Missing cache \
             files:\n{}",
            list.join("\n")
        ));
    }
    crate::commands::fetch::print_failures(printer, &report.failures);
    if args.json {
        let mut map = serde_json::Map::new();
        for entry in &report.entries {
            map.insert(entry.name.clone(), entry.status.into());
        }
        printer.data(crate::json::to_python_json(&serde_json::Value::Object(map)));
        return Ok(0);
    }
    if printer.is_quiet() {
        return Ok(u8::from(!report.entries.is_empty()));
    }
    if !report.entries.is_empty() {
        let lines: Vec<String> = report
            .entries
            .iter()
            .map(|entry| format!("\t{:<20}{}", format!("{}:", entry.status), entry.name))
            .collect();
        printer.data(lines.join("\n"));
    } else if !report.tracked {
        printer.info("There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!");
    } else {
        printer.info(format!("Cache and remote '{}' are in sync.", report.remote));
    }
    Ok(0)
}
