//! `dvc update` of URL imports (spec §6.5): each import's source looked up again and, when it
//! changed, downloaded and recorded again and of repo imports (`--rev`), moved to the source's newest commit.

use std::path::PathBuf;

use dv_data::progress::Progress;
use dv_schema::hash::HashName;

use crate::error::CommandError;
use crate::imports::batch::{
    ImportReport, ImportUrlOptions, Plan, build_dependency, plan_from_import, run_imports,
    stat_sources,
};
use crate::imports::url::Storages;
use crate::outputs::{OutputState, output_state};
use crate::sources;
use crate::transfer;
use crate::workspace::Workspace;

/// What `update` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// `.dvc` files or their outputs.
    pub targets: Vec<PathBuf>,
    /// Every import `.dvc` file under directory targets (`-R`).
    pub recursive: bool,
    /// Record the new hash without downloading (`--no-download`).
    pub no_download: bool,
    /// Send the data to a remote (`--to-remote`).
    pub to_remote: bool,
    /// The remote for `--to-remote` (`-r`).
    pub remote: Option<String>,
    /// Concurrent requests (`-j`).
    pub jobs: Option<usize>,
    /// `--rev`: the revision repo imports move to.
    pub rev: Option<String>,
    /// Repo imports are downloaded again from the commit they record (`repro` of an
    /// unfrozen import) instead of moving to the source's newest commit.
    pub reimport_recorded: bool,
}

/// `dvc update`: re-reads each import's source and imports it again when it changed, counting
/// the files in `progress` like [`import_url`](crate::ops::import_url::import_url).
pub fn update(
    workspace: &Workspace,
    options: &UpdateOptions,
    progress: &Progress,
) -> anyhow::Result<ImportReport> {
    let targets = if options.recursive {
        transfer::expand_directories(workspace, &options.targets)?
    } else {
        options.targets.clone()
    };
    if targets.is_empty() {
        return Ok(ImportReport::default());
    }
    let entries = crate::index::load_targets(workspace, &targets)
        .map_err(|error| CommandError(format!("failed update data - {error:#}")))?;
    let import_options = ImportUrlOptions {
        no_download: options.no_download,
        to_remote: options.to_remote,
        remote: options.remote.clone(),
        jobs: options.jobs,
        force: true,
        ..ImportUrlOptions::default()
    };
    let mut storages = Storages::default();
    let mut plans = Vec::new();
    let mut repo_imports = Vec::new();
    for entry in entries {
        if !entry.file.is_import() {
            if options.recursive {
                continue;
            }
            return Err(CommandError(format!(
                "failed update data - update is not supported for '{}' that is not an import.",
                workspace.display_path(&entry.path)
            ))
            .into());
        }
        if entry.file.is_repo_import() {
            repo_imports.push(entry);
            continue;
        }
        plans.push(plan_from_import(workspace, entry, &mut storages));
    }
    stat_sources(workspace, &mut plans, &storages, options.jobs);
    let odb = workspace.odb(HashName::Md5);
    let jobs = workspace.jobs(options.jobs);
    let mut state = workspace.load_state();
    let mut unchanged = Vec::new();
    for plan in plans.iter_mut() {
        if !plan.ok() {
            continue;
        }
        if let Err(error) =
            build_dependency(workspace, plan, &storages, &odb, jobs, &mut state, progress)
        {
            plan.fail(format!("{error:#}"));
            continue;
        }
        let previous = plan.previous.as_ref().expect("update plans have a file");
        let mut new_dep = plan.dep.clone().expect("dependency built");
        let old_dep = &previous.file.deps[0];
        new_dep.path = old_dep.path.clone();
        let same_dep = new_dep.md5 == old_dep.md5
            && new_dep.etag == old_dep.etag
            && new_dep.checksum == old_dep.checksum
            && new_dep.version_id == old_dep.version_id
            && new_dep.files == old_dep.files;
        let out = &previous.file.outs[0];
        let out_ok = out.md5.is_some()
            && matches!(
                output_state(workspace, &plan.out, out, jobs, &mut state),
                Ok(OutputState::Unchanged)
            );
        let checksum_ok = previous.file.md5 == Some(previous.file.stage_md5());
        if same_dep && out_ok && checksum_ok && !options.to_remote && !options.no_download {
            unchanged.push(workspace.display_path(&previous.path));
            plan.failure = Some(String::new());
        }
    }
    workspace.save_state(&mut state);
    let mut pending: Vec<Plan> = plans
        .into_iter()
        .filter(|p| p.failure.as_deref() != Some(""))
        .collect();
    let mut report = if pending.is_empty() {
        ImportReport::default()
    } else {
        // The sources were looked up and the dependencies built above: `run_imports` reuses
        // them.
        run_imports(
            workspace,
            &mut pending,
            &mut storages,
            &import_options,
            true,
            progress,
        )?
    };
    report.unchanged = unchanged;
    for entry in repo_imports {
        let shown = workspace.display_path(&entry.path);
        let dep = &entry.file.deps[0];
        let refresh = if options.reimport_recorded {
            sources::import::Refresh::Recorded
        } else {
            sources::import::Refresh::Newest {
                rev: options.rev.as_deref(),
                no_download: options.no_download,
            }
        };
        let changed = sources::import::update(workspace, &entry, refresh, options.jobs, progress)
            .map_err(|error| {
            CommandError(format!(
                "failed to import '{}' from '{}'. - {error:#}",
                dep.path,
                dep.repo_url().unwrap_or_default()
            ))
        })?;
        if changed {
            let out = workspace.display_path(&entry.resolve(&entry.file.outs[0]));
            report.imported.push(crate::imports::batch::Imported {
                source: sources::import::shown_source(dep),
                out,
                to_remote: false,
            });
        } else {
            report.unchanged.push(shown);
        }
    }
    if let Some(failure) = report.failed.first() {
        return Err(CommandError(failure.message.clone()).into());
    }
    Ok(report)
}
