//! What an import depends on (spec §6): the source recorded in an import's `.dvc` file, how it is
//! shown, whether it changed (version-aware imports), and pulling imports whose data was never
//! recorded; and writing an import's `.dvc` file (URL imports here, repo imports in
//! `crate::sources::import`).

pub(crate) mod batch;
pub(crate) mod fs_config;
pub(crate) mod url;

use std::path::Path;

use dv_data::build::Built;
use dv_data::progress::Progress;
use dv_remote::ExternalEntry;
use dv_schema::dvc_file::Output;
use dv_schema::hash::HashName;
use dv_schema::yaml::Value;

use crate::context::RepoContext;
use crate::error::CommandError;
use crate::imports::batch::{
    ImportUrlOptions, Plan, build_dependencies, build_dependency, fetch_data, plan_from_import,
    plan_import, stat_sources, version_aware_file,
};
use crate::imports::url::{Source, Storages, UrlScope, dependency_url, resolve_url, split_scheme};
use crate::index::DvcFileEntry;
use crate::outputs::link_from_cache;
use crate::workspace::Workspace;

/// Writes the frozen `.dvc` file of an import with dependency `dep` and output `out` (updating
/// `previous` in place, keeping its comments and key order, as DVC does), with DVC's stage
/// checksum unless `no_checksum` (`--no-exec`); nothing is written when the text is unchanged.
/// `shown` names the import in an update failure.
pub(crate) fn write_import_file(
    workspace: &Workspace,
    dvc_path: &Path,
    previous: Option<&DvcFileEntry>,
    (dep, out): (Output, Output),
    no_checksum: bool,
    shown: &str,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut file = match previous {
        Some(previous) => previous.file.clone(),
        None => dv_schema::dvc_file::DvcFile {
            frozen: true,
            ..Default::default()
        },
    };
    file.deps = vec![dep];
    file.outs = vec![out];
    file.md5 = (!no_checksum).then(|| file.stage_md5());
    let text = match previous {
        Some(previous) => file
            .update_yaml(&previous.text)
            .map_err(|e| CommandError(format!("failed to update '{shown}': {e}")))?,
        None => file.to_yaml(),
    };
    if previous.map(|p| p.text.as_str()) != Some(text.as_str()) {
        crate::confine::write_metafile(workspace, dvc_path, text.as_bytes())
            .with_context(|| format!("failed to write '{}'", dvc_path.display()))?;
    }
    Ok(())
}

/// DVC's `dep.save()` for the dependency of each URL import stage of `entries`: its source
/// looked up again (a local one hashed, an S3 or HTTP one asked for its etag), nothing
/// downloaded. Each result is the recorded dependency with the hash fields of the source as
/// it is now, or why the source could not be read, in DVC's words. Local files hashed are
/// counted in `progress`.
pub(crate) fn current_dependencies(
    workspace: &Workspace,
    entries: &[&DvcFileEntry],
    jobs: Option<usize>,
    state: &mut dv_data::state::State,
    progress: &Progress,
) -> Vec<Result<Output, String>> {
    let mut storages = Storages::default();
    let mut plans: Vec<Plan> = entries
        .iter()
        .map(|entry| {
            let mut plan = plan_from_import(workspace, (*entry).clone(), &mut storages);
            if let Source::Local(path) = &plan.source
                && plan.ok()
                && std::fs::symlink_metadata(path).is_err()
            {
                let shown = dependency_shown(workspace, entry);
                plan.fail(format!("dependency '{shown}' does not exist"));
            }
            plan
        })
        .collect();
    stat_sources(workspace, &mut plans, &storages, jobs);
    let odb = workspace.odb(HashName::Md5);
    let threads = workspace.jobs(jobs);
    plans
        .iter_mut()
        .map(|plan| {
            if plan.ok()
                && let Err(error) =
                    build_dependency(workspace, plan, &storages, &odb, threads, state, progress)
            {
                plan.fail(format!("{error:#}"));
            }
            if let Some(cause) = &plan.cause {
                return Err(cause.clone());
            }
            let previous = plan
                .previous
                .as_ref()
                .expect("plans from imports have a file");
            let built = plan.dep.clone().expect("dependency built");
            let mut dep = previous.file.deps[0].clone();
            dep.md5 = built.md5;
            dep.etag = built.etag;
            dep.checksum = built.checksum;
            dep.size = built.size;
            dep.nfiles = built.nfiles;
            dep.isexec = built.isexec;
            dep.version_id = built.version_id;
            dep.files = built.files;
            dep.hash_name = built.hash_name;
            Ok(dep)
        })
        .collect()
}

/// How DVC names the dependency of the import stage `entry` (its `str(dep)`): a URL or an
/// absolute path as written, a path outside the repository absolute, one inside it relative
/// to the working directory.
pub(crate) fn dependency_shown(workspace: &Workspace, entry: &DvcFileEntry) -> String {
    let dep = &entry.file.deps[0];
    if split_scheme(&dep.path).is_some() || Path::new(&dep.path).is_absolute() {
        return dep.path.clone();
    }
    let path = entry.resolve(dep);
    if !path.starts_with(workspace.root()) {
        return path.display().to_string();
    }
    workspace.display_path(&path)
}

/// Whether `entry` is a version-aware URL import (`fs_config: {version_aware: true}` on its
/// dependency): `dvc status` checks those for newer versions although they are frozen.
pub(crate) fn is_version_aware_import(entry: &DvcFileEntry) -> bool {
    entry.file.is_import() && fs_config::is_version_aware(entry.file.deps[0].fs_config.as_ref())
}

/// `dvc status` for a version-aware import (spec §6.4): `update available` when the source
/// file has a newer version, `modified` when a source directory's files changed, `deleted`
/// when the source is gone; `None` when it is as recorded.
pub(crate) fn versioned_dependency_change(
    workspace: &Workspace,
    entry: &DvcFileEntry,
) -> anyhow::Result<Option<&'static str>> {
    let dep = &entry.file.deps[0];
    let scope = UrlScope {
        environment: workspace.environment(),
        config: workspace.config(),
    };
    let mut storages = Storages::default();
    let mut extra = fs_config::options(dep.fs_config.as_ref());
    extra.insert("version_aware".to_owned(), "true".to_owned());
    let Source::External { fs, path } = resolve_url(&scope, &dep.path, extra, &mut storages)?
    else {
        return Ok(None);
    };
    let fs = storages
        .get(fs)
        .map_err(|message| CommandError(message.to_owned()))?;
    Ok(match fs.stat(&path)? {
        None => Some("deleted"),
        Some(ExternalEntry::File(file)) => (file.version_id != dep.version_id
            || file.etag != dep.etag)
            .then_some("update available"),
        Some(ExternalEntry::Directory) => {
            let files = fs.list_files(&path)?;
            let current = Value::Sequence(files.iter().map(version_aware_file).collect());
            let recorded = dep.files.clone().unwrap_or(Value::Sequence(Vec::new()));
            (!dv_schema::yaml::python_eq(&current, &recorded)).then_some("modified")
        }
    })
}

/// An import output `pull` wrote: its shown path and the number of files it holds.
pub(crate) type PulledImport = (String, u64);

/// `dvc pull` for imports made with `--no-download` (no hash recorded for the output): the
/// data is downloaded from the import's source into the workspace, the `.dvc` file is left as
/// it is. Returns the outputs written (shown paths, with the number of files each holds) and
/// the errors of those that failed. Files are counted in `progress`.
pub(crate) fn pull_unrecorded_imports(
    workspace: &Workspace,
    entries: &[DvcFileEntry],
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<(Vec<PulledImport>, Vec<String>)> {
    let options = ImportUrlOptions {
        jobs,
        force: true,
        ..ImportUrlOptions::default()
    };
    let mut storages = Storages::default();
    let mut plans = Vec::new();
    for entry in entries {
        if !entry.file.is_import() || entry.file.outs[0].md5.is_some() {
            continue;
        }
        let out = entry.resolve(&entry.file.outs[0]);
        if std::fs::symlink_metadata(&out).is_ok() {
            continue;
        }
        let dep = &entry.file.deps[0];
        let url = dependency_url(entry);
        let mut plan = plan_import(
            workspace,
            &url,
            Some(out),
            true,
            dep.fs_config.clone(),
            &mut storages,
        );
        plan.recorded = dep.path.clone();
        plans.push(plan);
    }
    if plans.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    stat_sources(workspace, &mut plans, &storages, jobs);
    let odb = workspace.odb(HashName::Md5);
    let mut cx = RepoContext::open(workspace, jobs, progress)?;
    let threads = cx.jobs;
    build_dependencies(&mut cx, &mut plans, &storages, &odb, |_| true);
    let tmp_root = workspace.repo().tmp_dir().join("dv-import");
    let fetched = fetch_data(&mut cx, &mut plans, &storages, &options, &tmp_root, &odb);
    cx.save_state();
    let _ = std::fs::remove_dir_all(&tmp_root);
    fetched?;
    let links = &cx.links[..];
    let mut written = Vec::new();
    let mut failed = Vec::new();
    for plan in &mut plans {
        if let (true, Some(built)) = (plan.ok(), plan.built.clone()) {
            match link_from_cache(workspace, &odb, &built, &plan.out, links, threads, progress) {
                Ok(()) => {
                    let files = match &built {
                        Built::File { .. } => 1,
                        Built::Tree { nfiles, .. } => *nfiles,
                    };
                    written.push((plan.out_shown.clone(), files));
                }
                Err(error) => plan.fail(format!("{error:#}")),
            }
        }
        if let Some(message) = &plan.failure {
            let cause = message
                .split_once("`dvc add`. - ")
                .map_or(message.as_str(), |(_, cause)| cause);
            failed.push(format!("failed to download '{}' - {cause}", plan.recorded));
        }
    }
    Ok((written, failed))
}
