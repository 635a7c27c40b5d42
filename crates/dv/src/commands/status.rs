//! `dv status`.

use dv_schema::shown::escape_name;
use std::path::PathBuf;

use clap::Args;
use dv_pipeline::status::{EntryStatus, StageReport, StatusItem, StatusReport as PipelineReport};
use dv_repo::ops::pipeline_status::{FrozenStage, pipeline_status};
use dv_repo::ops::remote_status::{RemoteStatusOptions, remote_status};
use dv_repo::ops::status::{StageStatus, StatusOptions, status};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::output::to_python_json;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    #[command(flatten)]
    pub scope: crate::commands::fetch::ScopeArgs,
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
    /// Say why each stage changed: from what to what (dependency and output hashes, params
    /// values, the command).
    #[arg(long)]
    pub explain: bool,
}

pub fn run(
    args: StatusArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    // Pipeline and data status and their order all come from one walk of the tree.
    workspace.keep_stage_files();
    if args.cloud || args.remote.is_some() {
        return run_cloud(args, &workspace, printer);
    }
    if !args.json && !printer.is_quiet() {
        crate::commands::cluster::print_status(&workspace, printer)?;
    }
    let activity = printer.activity("Checking status");
    let targets: Vec<String> = args
        .targets
        .iter()
        .map(|target| target.to_string_lossy().into_owned())
        .collect();
    // DVC's `status` reports what fails while collecting stages (an invalid `dvc.yaml`, say)
    // and exits with 1, where other commands let it escape (255).
    let pipelines =
        pipeline_status(&workspace, &targets, args.jobs).map_err(|error| match error
            .downcast::<dv_repo::DvcError>(
        ) {
            Ok(dvc) => dv_repo::CommandError(dvc.0).into(),
            Err(other) => other,
        })?;
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
        return Ok(ExitStatus::failure_if(
            !report.stages.is_empty() || !pipelines.report.is_empty(),
        ));
    }
    let combined = combined_report(&workspace, &targets, &pipelines.report, &report.stages);
    if args.json {
        printer.data(to_python_json(&combined.to_json()));
        return Ok(ExitStatus::Success);
    }
    if !report.tracked && !pipelines.has_stages {
        printer.info("There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!");
        return Ok(ExitStatus::Success);
    }
    if combined.is_empty() {
        printer.info("Data and pipelines are up to date.");
        return Ok(ExitStatus::Success);
    }
    let text = if args.explain {
        combined.to_text_explained()
    } else {
        combined.to_text()
    };
    printer.data(text.trim_end_matches('\n'));
    Ok(ExitStatus::Success)
}

/// The changes of pipeline stages and of `.dvc` files as one report, in the order DVC lists
/// them: without targets, its collection order (stage files in walk order, a file's stages in
/// order); with targets, pipeline stages first.
fn combined_report(
    workspace: &Workspace,
    targets: &[String],
    pipeline: &PipelineReport,
    files: &[StageStatus],
) -> PipelineReport {
    let file_reports = files.iter().map(|stage| {
        let entries = |list: &[dv_repo::ops::status::ChangedOutput]| {
            list.iter()
                .map(|entry| {
                    (
                        entry.path.clone(),
                        EntryStatus::Word(entry.status.to_owned()),
                    )
                })
                .collect::<Vec<_>>()
        };
        let mut items = Vec::new();
        if !stage.changed_deps.is_empty() {
            items.push(StatusItem::ChangedDeps(entries(&stage.changed_deps)));
        }
        if !stage.changed_outs.is_empty() {
            items.push(StatusItem::ChangedOuts(entries(&stage.changed_outs)));
        }
        if stage.changed_checksum {
            items.push(StatusItem::ChangedChecksum);
        }
        (
            workspace.absolute(std::path::Path::new(&stage.name)),
            StageReport {
                addressing: stage.name.clone(),
                items,
                explanation: Vec::new(),
            },
        )
    });
    let pipeline_reports = pipeline.stages.iter().map(|stage| {
        let file = match stage.addressing.rsplit_once(':') {
            Some((file, _)) if file.ends_with("dvc.yaml") => file,
            _ => "dvc.yaml",
        };
        (
            workspace.absolute(std::path::Path::new(file)),
            stage.clone(),
        )
    });
    let mut stages: Vec<(PathBuf, StageReport)> = pipeline_reports.chain(file_reports).collect();
    if targets.is_empty() {
        let order = dv_repo::index::stage_files(workspace).unwrap_or_default();
        let root = workspace.root();
        stages.sort_by_key(|(file, _)| {
            order
                .iter()
                .position(|walked| root.join(walked.as_str()) == *file)
                .unwrap_or(usize::MAX)
        });
    }
    let mut combined = PipelineReport::default();
    for (_, stage) in stages {
        combined.push(stage);
    }
    combined
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
        let order = dv_repo::index::stage_files(workspace).unwrap_or_default();
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
fn run_cloud(
    args: StatusArgs,
    workspace: &Workspace,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let activity = printer.activity("Checking status");
    let report = remote_status(
        workspace,
        &RemoteStatusOptions {
            targets: args.targets,
            remote: args.remote,
            jobs: crate::commands::fetch::transfer_jobs(args.jobs),
            recursive: false,
            scope: args.scope.scope(),
        },
        activity.progress(),
    );
    drop(activity);
    // DVC reports what it catches with exit code 1; a remote failing as a whole escapes as an
    // unexpected error (255).
    let report = report.map_err(|error| {
        crate::exit::data_command_failure(printer, None, error, ExitStatus::Error)
    })?;
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
        printer.data(to_python_json(&serde_json::Value::Object(map)));
        return Ok(ExitStatus::Success);
    }
    if printer.is_quiet() {
        return Ok(ExitStatus::failure_if(!report.entries.is_empty()));
    }
    if !report.entries.is_empty() {
        let lines: Vec<String> = report
            .entries
            .iter()
            .map(|entry| {
                let status = format!("{}:", entry.status);
                format!("\t{status:<20}{}", escape_name(&entry.name))
            })
            .collect();
        printer.data(lines.join("\n"));
    } else if !report.tracked {
        printer.info("There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!");
    } else {
        printer.info(format!("Cache and remote '{}' are in sync.", report.remote));
    }
    Ok(ExitStatus::Success)
}
