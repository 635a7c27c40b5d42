//! Importing a batch of URLs (spec §6): each URL planned, its source looked up (sources on one
//! storage concurrently), downloaded into the cache or sent to a remote, and written as the frozen
//! `.dvc` file a single `dvc import-url` writes; a failing URL does not stop the others. Shared by
//! `import-url` and `update`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_data::build::{self, BuildOptions, Built};
use dv_data::odb::Odb;
use dv_data::progress::{Phase, Progress};
use dv_remote::{ExternalEntry, ExternalFile};
use dv_schema::dir_manifest::{DirEntry, DirManifest, EntryHash, RelPath};
use dv_schema::dvc_file::Output;
use dv_schema::hash::HashName;
use dv_schema::yaml::{Mapping, Value};

use crate::context::RepoContext;
use crate::error::CommandError;
use crate::imports::fs_config;
use crate::imports::url::dependency_url;
use crate::imports::url::{Source, Storages, UrlScope, resolve_url, split_scheme};
use crate::index::DvcFileEntry;
use crate::outputs::link_from_cache;
use crate::outputs::record_built;
use crate::remotes;
use crate::transfer;
use crate::workspace::Workspace;

/// What `import-url` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImportUrlOptions {
    /// The sources: local paths, `s3://`, `remote://NAME/path`, `http(s)://` URLs.
    pub urls: Vec<String>,
    /// Where to put the output: a path for a single URL; for several URLs an existing
    /// directory (default: the working directory).
    pub out: Option<PathBuf>,
    /// Record the source's hash without downloading (`--no-download`).
    pub no_download: bool,
    /// Send the data straight to a remote instead of the workspace and cache (`--to-remote`).
    pub to_remote: bool,
    /// The remote for `--to-remote` (`-r`).
    pub remote: Option<String>,
    /// Record the source's version id and download that version (`--version-aware`).
    pub version_aware: bool,
    /// Options for the source's filesystem (`--fs-config KEY=VALUE`).
    pub fs_config: Vec<(String, String)>,
    /// Concurrent requests (`-j`).
    pub jobs: Option<usize>,
    /// Replace an existing output (`-f`).
    pub force: bool,
    /// `desc` of the output.
    pub desc: Option<String>,
}

/// One import that was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    /// The source as DVC names it in `Importing '…' -> '…'`.
    pub source: String,
    /// The output, relative to the working directory.
    pub out: String,
    /// Whether the data went to a remote (DVC prints no `Importing` line then).
    pub to_remote: bool,
}

/// One URL that could not be imported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportFailure {
    /// The URL as given.
    pub url: String,
    /// The whole error message.
    pub message: String,
}

/// What `import-url` or `update` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Imports written, in the order of the URLs.
    pub imported: Vec<Imported>,
    /// `.dvc` files `update` left alone because nothing changed (shown paths).
    pub unchanged: Vec<String>,
    /// URLs that failed.
    pub failed: Vec<ImportFailure>,
    /// Files git should track (`.dvc` and `.gitignore` files), absolute.
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
    /// Sources that are empty (DVC warns about them).
    pub empty: Vec<String>,
}

/// DVC's wrapper around every import error.
pub(crate) fn import_error(url: &str, cause: &str) -> String {
    format!(
        "failed to import {url}. You could also try downloading it manually, and adding it with `dvc add`. - {cause}"
    )
}

/// One URL on its way to a `.dvc` file.
pub(crate) struct Plan {
    pub(crate) url: String,
    pub(crate) source: Source,
    /// How the dependency's `path` is written.
    pub(crate) recorded: String,
    /// The `Importing '…'` name.
    pub(crate) shown_source: String,
    pub(crate) out: PathBuf,
    pub(crate) out_shown: String,
    pub(crate) dvc_path: PathBuf,
    /// The `.dvc` file being updated (`dvc update`), with its text.
    pub(crate) previous: Option<DvcFileEntry>,
    /// Filled in as the import proceeds.
    pub(crate) entry: Option<ExternalEntry>,
    pub(crate) dep: Option<Output>,
    pub(crate) built: Option<Built>,
    pub(crate) downloaded: Option<PathBuf>,
    pub(crate) failure: Option<String>,
    /// The first failure without the import wrapper.
    pub(crate) cause: Option<String>,
    /// The dependency's `fs_config`, as recorded.
    pub(crate) fs_config: Option<Value>,
}

impl Plan {
    pub(crate) fn fail(&mut self, cause: impl std::fmt::Display) {
        if self.failure.is_none() {
            let cause = cause.to_string();
            self.failure = Some(import_error(&self.url, &cause));
            self.cause = Some(cause);
        }
    }

    pub(crate) fn ok(&self) -> bool {
        self.failure.is_none()
    }
}

/// DVC's checks on outputs before anything is read or written.
pub(crate) fn check_outputs(
    workspace: &Workspace,
    plans: &mut [Plan],
    force: bool,
) -> anyhow::Result<()> {
    let root = workspace.root().to_path_buf();
    for plan in plans.iter_mut().filter(|p| p.ok()) {
        if !plan.out.starts_with(&root) || plan.out == root {
            let message = format!(
                "Cached output(s) outside of DVC project: {}. See <https://dvc.org/doc/user-guide/data-management/importing-external-data> for more info.",
                plan.out.display()
            );
            plan.fail(message);
            continue;
        }
        if plan.previous.is_none() && !force && std::fs::symlink_metadata(&plan.out).is_ok() {
            let message = format!(
                "The file '{}' already exists locally. \nTo override it, re-run with '--force'.",
                plan.out_shown
            );
            plan.fail(message);
            continue;
        }
        if let Some(parent) = plan.out.parent()
            && !parent.is_dir()
        {
            let message = format!("stage working dir '{}' does not exist", parent.display());
            plan.fail(message);
        }
    }
    if let Some(git) = workspace.git() {
        let candidates: Vec<usize> = (0..plans.len()).filter(|&i| plans[i].ok()).collect();
        let paths: Vec<PathBuf> = candidates
            .iter()
            .map(|&i| plans[i].dvc_path.clone())
            .collect();
        let ignored = git.ignored(&paths)?;
        for (&index, ignored) in candidates.iter().zip(ignored) {
            if ignored {
                let shown = workspace.display_path(&plans[index].dvc_path);
                plans[index].fail(format!("bad DVC file name '{shown}' is git-ignored."));
            }
        }
    }
    Ok(())
}

/// Looks the sources up, builds the dependencies, fetches the data and writes the `.dvc`
/// files of every plan that has not failed.
pub(crate) fn run_imports(
    workspace: &Workspace,
    plans: &mut [Plan],
    storages: &mut Storages,
    options: &ImportUrlOptions,
    batch: bool,
    progress: &Progress,
) -> anyhow::Result<ImportReport> {
    let mut cx = RepoContext::open(workspace, options.jobs, progress)?;
    let remote = if options.to_remote {
        let name = remotes::default_remote(workspace, options.remote.as_deref())
            .ok_or_else(|| remotes::no_remote_error(workspace, "import-url"));
        match name {
            Ok(name) => Some(remotes::open_remote(workspace, &name, false)),
            Err(error) => {
                let message = error.to_string();
                plans.iter_mut().for_each(|p| p.fail(&message));
                None
            }
        }
    } else {
        None
    };
    let remote = match remote {
        Some(Ok(remote)) => Some(remote),
        Some(Err(error)) => {
            let message = error.to_string();
            plans.iter_mut().for_each(|p| p.fail(&message));
            None
        }
        None => None,
    };

    stat_sources(workspace, plans, storages, options.jobs);
    let odb = workspace.odb(HashName::Md5);
    build_dependencies(&mut cx, plans, storages, &odb, |plan| plan.dep.is_none());
    let tmp_root = workspace.repo().tmp_dir().join("dv-import");
    let result = (|| -> anyhow::Result<()> {
        if !options.no_download {
            fetch_data(&mut cx, plans, storages, options, &tmp_root, &odb)?;
            if let Some(remote) = &remote {
                upload_to_remote(plans, remote, &tmp_root, options.jobs, progress);
            }
        }
        Ok(())
    })();
    cx.save_state();
    let _ = std::fs::remove_dir_all(&tmp_root);
    result?;

    let mut report = ImportReport::default();
    let mut outputs_to_ignore = Vec::new();
    for plan in plans.iter_mut() {
        if plan.ok() {
            let written = write_stage(&cx, plan, options, remote.is_some(), &odb);
            match written {
                Ok(empty) => {
                    if empty {
                        report.empty.push(plan.out_shown.clone());
                    }
                    report.imported.push(Imported {
                        source: plan.shown_source.clone(),
                        out: plan.out_shown.clone(),
                        to_remote: remote.is_some(),
                    });
                    report.to_track.push(plan.dvc_path.clone());
                    outputs_to_ignore.push(plan.out.clone());
                }
                Err(error) => plan.fail(format!("{error:#}")),
            }
        }
        if let Some(message) = &plan.failure {
            report.failed.push(ImportFailure {
                url: plan.url.clone(),
                message: message.clone(),
            });
        }
    }
    report
        .to_track
        .extend(crate::tracking::ignore_outputs(workspace, &outputs_to_ignore)?.gitignores);
    report.to_track.sort();
    report.to_track.dedup();
    if !batch && let Some(failure) = report.failed.first() {
        return Err(CommandError(failure.message.clone()).into());
    }
    Ok(report)
}

/// Finds out what each source is (file, directory, missing), concurrently per storage.
pub(crate) fn stat_sources(
    workspace: &Workspace,
    plans: &mut [Plan],
    storages: &Storages,
    jobs: Option<usize>,
) {
    for (fs_index, opened) in storages.opened.iter().enumerate() {
        let members: Vec<usize> = (0..plans.len())
            .filter(|&i| {
                // Plans `update` already looked up are not asked about again.
                plans[i].ok()
                    && plans[i].entry.is_none()
                    && matches!(&plans[i].source, Source::External { fs, .. } if *fs == fs_index)
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        let fs = match opened {
            Ok(fs) => fs,
            Err(message) => {
                for &i in &members {
                    plans[i].fail(message);
                }
                continue;
            }
        };
        let paths: Vec<String> = members
            .iter()
            .map(|&i| match &plans[i].source {
                Source::External { path, .. } => path.clone(),
                Source::Local(_) => unreachable!("members are external"),
            })
            .collect();
        let results = fs.stat_many(&paths, jobs);
        for (&i, result) in members.iter().zip(results) {
            match result {
                Ok(Some(entry)) => plans[i].entry = Some(entry),
                Ok(None) => {
                    let message = format!("dependency '{}' does not exist", plans[i].recorded);
                    plans[i].fail(message);
                }
                Err(error) => {
                    let hint = matching_remote_hint(workspace, &plans[i].url);
                    plans[i].fail(format!("{error}{hint}"));
                }
            }
        }
    }
}

/// For a plain `s3://BUCKET/KEY` that could not be read: a configured remote on the same
/// bucket carries the endpoint and keys the plain URL lacks, so suggest `remote://NAME/...`.
pub(crate) fn matching_remote_hint(workspace: &Workspace, url: &str) -> String {
    let Some(rest) = url.strip_prefix("s3://") else {
        return String::new();
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(remotes) = workspace.config().table("remote") else {
        return String::new();
    };
    for (name, _) in remotes.iter() {
        let Ok(options) = remotes::remote_options(workspace, name, false, 0) else {
            continue;
        };
        let Some(remote_rest) = options.get("url").and_then(|u| u.strip_prefix("s3://")) else {
            continue;
        };
        let (remote_bucket, prefix) = remote_rest.split_once('/').unwrap_or((remote_rest, ""));
        if remote_bucket != bucket {
            continue;
        }
        let prefix = prefix.trim_matches('/');
        let relative = if prefix.is_empty() {
            Some(key)
        } else {
            key.strip_prefix(prefix).and_then(|k| k.strip_prefix('/'))
        };
        if let Some(relative) = relative {
            return format!(
                "\nremote '{name}' is configured for bucket '{bucket}' (with its endpoint and credentials); to read through it, use 'remote://{name}/{relative}'"
            );
        }
    }
    String::new()
}

/// Builds the dependency of every plan still going that `wanted` selects; a failure fails
/// that plan only.
pub(crate) fn build_dependencies(
    cx: &mut RepoContext<'_>,
    plans: &mut [Plan],
    storages: &Storages,
    odb: &Odb,
    wanted: impl Fn(&Plan) -> bool,
) {
    let (workspace, jobs, progress) = (cx.workspace, cx.jobs, cx.progress);
    for plan in plans.iter_mut().filter(|plan| plan.ok() && wanted(plan)) {
        if let Err(error) = build_dependency(
            workspace,
            plan,
            storages,
            odb,
            jobs,
            &mut cx.state,
            progress,
        ) {
            plan.fail(format!("{error:#}"));
        }
    }
}

/// The dependency entry of `plan` (spec §6.1, §6.3, §6.4); local files hashed are counted in
/// `progress`.
pub(crate) fn build_dependency(
    workspace: &Workspace,
    plan: &mut Plan,
    storages: &Storages,
    odb: &Odb,
    jobs: std::num::NonZeroUsize,
    state: &mut dv_data::state::State,
    progress: &Progress,
) -> anyhow::Result<()> {
    let mut dep = Output {
        path: plan.recorded.clone(),
        ..Output::default()
    };
    match &plan.source {
        Source::Local(path) => {
            if std::fs::symlink_metadata(path).is_err() {
                return Err(
                    CommandError(format!("dependency '{}' does not exist", plan.recorded)).into(),
                );
            }
            let options = BuildOptions {
                hash_name: HashName::Md5,
                jobs,
            };
            let built = if path.starts_with(workspace.root()) {
                build::build_with_progress(workspace.root(), path, &options, state, progress)?
            } else {
                let mut scratch = dv_data::state::State::in_memory();
                build::build_with_progress(
                    path.parent().unwrap_or(path),
                    path,
                    &options,
                    &mut scratch,
                    progress,
                )?
            };
            // Unlike cloud directory dependencies, DVC does not store a local one's manifest:
            // the output stores the same tree when it is downloaded.
            record_built(&mut dep, &built, HashName::Md5);
            dep.isexec = false;
            plan.built = Some(built);
        }
        Source::External { fs, path } => {
            let version_aware = storages.version_aware[*fs];
            let fs_handle = storages.opened[*fs]
                .as_ref()
                .map_err(|message| CommandError(message.clone()))?;
            match plan.entry.clone() {
                Some(ExternalEntry::File(file)) => {
                    dep.etag = file.etag.clone();
                    dep.checksum = file.checksum.clone();
                    dep.size = file.size;
                    if version_aware {
                        dep.version_id = file.version_id.clone();
                    }
                }
                Some(ExternalEntry::Directory) => {
                    let files = fs_handle.list_files(path)?;
                    if version_aware {
                        dep.files = Some(Value::Sequence(
                            files.iter().map(version_aware_file).collect(),
                        ));
                    } else {
                        let mut entries = Vec::with_capacity(files.len());
                        let mut size = 0;
                        for file in &files {
                            let relpath = RelPath::new(file.relpath.clone())
                                .map_err(|e| CommandError(e.to_string()))?;
                            let hash = match (&file.etag, &file.checksum) {
                                (Some(etag), _) => EntryHash::Etag(etag.clone()),
                                (None, Some(checksum)) => EntryHash::Checksum(checksum.clone()),
                                (None, None) => {
                                    return Err(CommandError(format!(
                                        "'{}/{}' has no etag",
                                        plan.recorded, file.relpath
                                    ))
                                    .into());
                                }
                            };
                            size += file.size.unwrap_or(0);
                            entries.push(DirEntry { relpath, hash });
                        }
                        let manifest = DirManifest::new(entries);
                        let id = odb.add_tree(&manifest)?;
                        dep.md5 = Some(id);
                        dep.size = Some(size);
                        dep.nfiles = Some(files.len() as u64);
                    }
                }
                None => unreachable!("stat_sources fills in the entry"),
            }
        }
    }
    dep.fs_config = plan.fs_config.clone();
    plan.dep = Some(dep);
    Ok(())
}

/// A `files:` entry of a version-aware directory dependency.
pub(crate) fn version_aware_file(file: &ExternalFile) -> Value {
    let mut map = Mapping::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            map.insert(Value::String(key.to_owned()), value);
        }
    };
    put("relpath", Some(Value::String(file.relpath.clone())));
    put("etag", file.etag.clone().map(Value::String));
    put("checksum", file.checksum.clone().map(Value::String));
    put("size", file.size.map(|n| Value::Number(n.into())));
    put("version_id", file.version_id.clone().map(Value::String));
    Value::Mapping(map)
}

/// Downloads external sources into a scratch directory and hashes them; local sources are
/// stored in the cache straight from where they are. Files are counted in `progress`.
pub(crate) fn fetch_data(
    cx: &mut RepoContext<'_>,
    plans: &mut [Plan],
    storages: &Storages,
    options: &ImportUrlOptions,
    tmp_root: &Path,
    odb: &Odb,
) -> anyhow::Result<()> {
    let (workspace, jobs, progress) = (cx.workspace, cx.jobs, cx.progress);
    let state = &mut cx.state;
    let build_options = BuildOptions {
        hash_name: HashName::Md5,
        jobs,
    };
    // Local sources: hashed while copied into the cache (or hashed only, for --to-remote).
    for plan in plans.iter_mut() {
        let Source::Local(path) = &plan.source else {
            continue;
        };
        if !plan.ok() {
            continue;
        }
        let path = path.clone();
        let mut scratch = dv_data::state::State::in_memory();
        let result = if options.to_remote {
            // Hashed only: uploaded from where it is.
            plan.downloaded = Some(path.clone());
            build::build_with_progress(
                path.parent().unwrap_or(&path),
                &path,
                &build_options,
                &mut scratch,
                progress,
            )
        } else if path.starts_with(workspace.root()) {
            build::build_into_with_progress(
                workspace.root(),
                &path,
                &build_options,
                state,
                odb,
                progress,
            )
        } else {
            build::build_into_with_progress(
                path.parent().unwrap_or(&path),
                &path,
                &build_options,
                &mut scratch,
                odb,
                progress,
            )
        };
        match result {
            Ok(built) => plan.built = Some(built),
            Err(error) => plan.fail(error),
        }
    }
    // External sources: downloaded per storage, all files of a batch at once.
    std::fs::create_dir_all(tmp_root)
        .with_context(|| format!("failed to create '{}'", tmp_root.display()))?;
    for (fs_index, opened) in storages.opened.iter().enumerate() {
        let Ok(storage) = opened else { continue };
        let version_aware = storages.version_aware[fs_index];
        let mut items: Vec<(String, Option<String>, PathBuf)> = Vec::new();
        let mut owners: Vec<usize> = Vec::new();
        let mut bytes = 0;
        for (index, plan) in plans.iter_mut().enumerate() {
            let Source::External { fs, path } = &plan.source else {
                continue;
            };
            if *fs != fs_index || !plan.ok() {
                continue;
            }
            let scratch = tmp_root.join(format!("{index}"));
            match plan.entry.clone() {
                Some(ExternalEntry::File(file)) => {
                    let version = if version_aware { file.version_id } else { None };
                    bytes += file.size.unwrap_or(0);
                    items.push((path.clone(), version, scratch.clone()));
                    owners.push(index);
                }
                Some(ExternalEntry::Directory) => {
                    let files = match storage.list_files(path) {
                        Ok(files) => files,
                        Err(error) => {
                            plan.fail(error);
                            continue;
                        }
                    };
                    std::fs::create_dir_all(&scratch)?;
                    for file in files {
                        let version = if version_aware { file.version_id } else { None };
                        bytes += file.size.unwrap_or(0);
                        let source = if path.is_empty() {
                            file.relpath.clone()
                        } else {
                            format!("{}/{}", path.trim_end_matches('/'), file.relpath)
                        };
                        items.push((source, version, scratch.join(&file.relpath)));
                        owners.push(index);
                    }
                }
                None => continue,
            }
            plan.downloaded = Some(scratch);
        }
        if items.is_empty() {
            continue;
        }
        progress.start(Phase::Downloading, items.len() as u64, bytes);
        let mut counter = transfer::TransferCounter {
            progress,
            phase: Phase::Downloading,
        };
        let results = storage.download_many(&items, options.jobs, &mut counter);
        for (owner, result) in owners.iter().zip(results) {
            if let Err(error) = result {
                plans[*owner].fail(error);
            }
        }
    }
    for plan in plans.iter_mut() {
        if !plan.ok() || !matches!(plan.source, Source::External { .. }) {
            continue;
        }
        let Some(scratch) = plan.downloaded.clone() else {
            continue;
        };
        let mut scratch_state = dv_data::state::State::in_memory();
        let built = match build::build_with_progress(
            tmp_root,
            &scratch,
            &build_options,
            &mut scratch_state,
            progress,
        ) {
            Ok(built) => built,
            Err(error) => {
                plan.fail(error);
                continue;
            }
        };
        if !options.to_remote
            && let Err(error) = build::commit_by_moving(odb, &scratch, &built, jobs, progress)
        {
            plan.fail(error);
            continue;
        }
        plan.built = Some(built);
    }
    Ok(())
}

/// `--to-remote`: uploads each import's objects (and directory manifests) to `remote`,
/// counting them in `progress`.
pub(crate) fn upload_to_remote(
    plans: &mut [Plan],
    remote: &dv_remote::Remote,
    tmp_root: &Path,
    jobs: Option<usize>,
    progress: &Progress,
) {
    for plan in plans.iter_mut().filter(|p| p.ok()) {
        let (Some(built), Some(source)) = (plan.built.clone(), plan.downloaded.clone()) else {
            continue;
        };
        if let Err(error) =
            transfer::upload_built(remote, &source, &built, tmp_root, jobs, progress)
        {
            plan.fail(format!("{error:#}"));
        }
    }
}

/// Writes the `.dvc` file of a finished import and checks the output out. Returns whether
/// the source was empty.
pub(crate) fn write_stage(
    cx: &RepoContext<'_>,
    plan: &mut Plan,
    options: &ImportUrlOptions,
    to_remote: bool,
    odb: &Odb,
) -> anyhow::Result<bool> {
    let (workspace, jobs, progress) = (cx.workspace, cx.jobs, cx.progress);
    let links = &cx.links[..];
    let dep = plan.dep.clone().expect("dependency built");
    let name = plan
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = match &plan.previous {
        Some(previous) => previous.file.outs[0].clone(),
        None => Output {
            path: name,
            desc: options.desc.clone(),
            ..Output::default()
        },
    };
    let mut empty = false;
    if options.no_download {
        out.md5 = None;
        out.size = None;
        out.nfiles = None;
        out.isexec = false;
        out.files = None;
        out.hash_name = HashName::Md5;
    } else {
        let built = plan.built.clone().expect("data fetched");
        empty = built.is_empty();
        record_built(&mut out, &built, HashName::Md5);
        if !to_remote {
            remove_existing(&plan.out)?;
            link_from_cache(workspace, odb, &built, &plan.out, links, jobs, progress)?;
        }
    }
    if fs_config::is_version_aware(dep.fs_config.as_ref()) {
        out.push = false;
    }
    super::write_import_file(
        workspace,
        &plan.dvc_path,
        plan.previous.as_ref(),
        (dep, out),
        false,
        &plan.out_shown,
    )?;
    Ok(empty)
}

pub(crate) fn remove_existing(path: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path)
            .with_context(|| format!("failed to remove '{}'", path.display())),
        Ok(_) => std::fs::remove_file(path)
            .with_context(|| format!("failed to remove '{}'", path.display())),
        Err(_) => Ok(()),
    }
}

/// Resolves `url`, read with the filesystem options `fs_config`, to a source and an output.
pub(crate) fn plan_import(
    workspace: &Workspace,
    url: &str,
    out: Option<PathBuf>,
    exact_out: bool,
    fs_config: Option<Value>,
    storages: &mut Storages,
) -> Plan {
    let basename = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let out = match out {
        Some(out) if !exact_out && out.is_dir() => out.join(&basename),
        Some(out) => out,
        None => workspace.environment().cwd.join(&basename),
    };
    let out = crate::path::normalize(&out);
    let mut dvc_path = out.clone().into_os_string();
    dvc_path.push(".dvc");
    let mut plan = Plan {
        url: url.to_owned(),
        source: Source::Local(PathBuf::new()),
        recorded: url.to_owned(),
        shown_source: url.to_owned(),
        out_shown: workspace.display_path(&out),
        out,
        dvc_path: PathBuf::from(dvc_path),
        previous: None,
        entry: None,
        dep: None,
        built: None,
        downloaded: None,
        failure: None,
        cause: None,
        fs_config,
    };
    let extra = fs_config::options(plan.fs_config.as_ref());
    if let Err(error) = fs_config::validate(workspace.config(), url, &extra) {
        plan.fail(error);
        return plan;
    }
    match resolve_source(workspace, url, extra, storages, &plan.dvc_path) {
        Ok((source, recorded, shown)) => {
            plan.source = source;
            plan.recorded = recorded;
            plan.shown_source = shown;
        }
        Err(cause) => plan.fail(cause),
    }
    plan
}

/// The source of `url` and how the dependency records and shows it.
pub(crate) fn resolve_source(
    workspace: &Workspace,
    url: &str,
    extra: BTreeMap<String, String>,
    storages: &mut Storages,
    dvc_path: &Path,
) -> anyhow::Result<(Source, String, String)> {
    let scope = UrlScope {
        environment: workspace.environment(),
        config: workspace.config(),
    };
    let source = resolve_url(&scope, url, extra, storages)?;
    match (split_scheme(url), &source) {
        (None, Source::Local(absolute)) => {
            // As in DVC, a source inside the repository is recorded relative to the `.dvc`
            // file and shown relative to the working directory, even when given absolute.
            let inside = absolute.starts_with(workspace.root());
            let recorded = if Path::new(url).is_absolute() && !inside {
                url.to_owned()
            } else {
                let base = dvc_path.parent().unwrap_or(workspace.root());
                crate::path::relative(absolute, base)
            };
            let shown = if inside {
                workspace.display_path(absolute)
            } else {
                absolute.display().to_string()
            };
            Ok((source, recorded, shown))
        }
        (Some((scheme, _)), Source::Local(path)) if scheme.eq_ignore_ascii_case("file") => {
            let shown = path.display().to_string();
            Ok((source, url.to_owned(), shown))
        }
        _ => Ok((source, url.to_owned(), url.to_owned())),
    }
}

/// A plan to import the source of the import stage `entry` again, into its output.
pub(crate) fn plan_from_import(
    workspace: &Workspace,
    entry: DvcFileEntry,
    storages: &mut Storages,
) -> Plan {
    let dep = &entry.file.deps[0];
    let out = entry.resolve(&entry.file.outs[0]);
    let url = dependency_url(&entry);
    let mut plan = plan_import(
        workspace,
        &url,
        Some(out),
        true,
        dep.fs_config.clone(),
        storages,
    );
    plan.url = dep.path.clone();
    plan.recorded = dep.path.clone();
    plan.dvc_path = entry.path.clone();
    plan.previous = Some(entry);
    plan
}
