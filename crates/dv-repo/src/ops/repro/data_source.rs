//! `.dvc` files in `dvc repro` (spec §9.2): DVC's data sources (`dvc add`) and imports take
//! part in the plan like pipeline stages. Unchanged, one says `'data.dvc' didn't change,
//! skipping`; changed (an output modified, deleted or missing from the cache), its outputs
//! are verified (`Verifying data sources in stage: 'data.dvc'`, or `Verifying outputs in
//! frozen stage: ...` for frozen ones such as imports), hashed, saved to the cache and the
//! `.dvc` file is written again — DVC's `Stage.run` for a stage without a command.

use dv_data::build::Built;
use dv_data::progress::Progress;
use dv_pipeline::stage::EntryPath;
use dv_pipeline::status::{EntryHash, EntryRole, HashValue, Workspace as _};
use dv_schema::dvc_file::Output;
use dv_schema::hash::HashName;

use super::pull;
use super::run::{ReproEvent, Run};
use crate::changes::stage_statuses;
use crate::error::DvcError;
use crate::index::DvcFileEntry;
use crate::ops::update::{self, UpdateOptions};
use crate::outputs::record_built;
use crate::pipelines::RepoWorkspace;
use crate::workspace::repo_path_of;

/// DVC's `MissingDataSource`: `missing data 'source': a` (`'sources'` for several).
pub(super) fn missing_data(missing: &[String]) -> anyhow::Error {
    let noun = if missing.len() == 1 {
        "source"
    } else {
        "sources"
    };
    DvcError(format!("missing data '{noun}': {}", missing.join(", "))).into()
}

/// Checks a `.dvc` file and saves it again when it changed (or is `forced`); whether it was
/// reproduced. Errors are the stage's failure.
pub(super) fn reproduce(
    run: &mut Run<'_>,
    entry: &DvcFileEntry,
    addressing: &str,
    forced: bool,
    repo_workspace: &mut RepoWorkspace<'_>,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<bool> {
    let options = run.options;
    let file = &entry.file;
    if file.frozen && !file.is_import() {
        events(ReproEvent::Frozen(addressing.to_owned()));
    }
    if !forced {
        if !changed(run, entry, options.allow_missing, repo_workspace)? {
            events(ReproEvent::DataSourceSkipped(addressing.to_owned()));
            return Ok(false);
        }
        if options.pull && !changed(run, entry, true, repo_workspace)? {
            events(ReproEvent::Pulling(addressing.to_owned()));
            if pull::pull_data_source(run, entry, repo_workspace, events)? {
                return Ok(false);
            }
            events(ReproEvent::PullFailed(addressing.to_owned()));
        }
    }
    if file.is_import() && !file.frozen {
        // DVC downloads the import again (`sync_import`), as `dvc update` does.
        events(ReproEvent::Importing {
            source: import_source(run, entry),
            output: run.workspace.display_path(&entry.resolve(&file.outs[0])),
        });
        if options.dry {
            return Ok(true);
        }
        let dep = &file.deps[0];
        if !file.is_repo_import()
            && is_local_dependency(dep)
            && std::fs::symlink_metadata(entry.resolve(dep)).is_err()
        {
            return Err(DvcError(format!(
                "dependency '{}' does not exist",
                import_source(run, entry)
            ))
            .into());
        }
        let report = update::update(
            run.workspace,
            &UpdateOptions {
                targets: vec![entry.path.clone()],
                recursive: false,
                no_download: false,
                to_remote: false,
                remote: None,
                jobs: options.jobs,
                rev: None,
                reimport_recorded: true,
            },
            &Progress::default(),
        )?;
        for path in report.to_track {
            run.report.track(path);
        }
        run.report.track(entry.path.clone());
        return Ok(true);
    }
    if options.dry {
        return Ok(true);
    }
    events(if file.frozen {
        ReproEvent::VerifyingFrozen(addressing.to_owned())
    } else {
        ReproEvent::VerifyingDataSources(addressing.to_owned())
    });
    let missing: Vec<String> = file
        .outs
        .iter()
        .map(|out| entry.resolve(out))
        .filter(|path| std::fs::symlink_metadata(path).is_err())
        .map(|path| run.workspace.display_path(&path))
        .collect();
    if !missing.is_empty() {
        return Err(missing_data(&missing));
    }
    save(run, entry, repo_workspace)?;
    Ok(true)
}

/// DVC's `Stage.changed` for a `.dvc` file: its checksum (imports), its dependencies (not for
/// frozen ones), then its outputs; with `allow_missing`, outputs that are deleted or not in
/// the cache do not count.
pub(super) fn changed(
    run: &Run<'_>,
    entry: &DvcFileEntry,
    allow_missing: bool,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<bool> {
    let jobs = repo_workspace.jobs();
    let statuses = stage_statuses(
        run.workspace,
        std::slice::from_ref(entry),
        jobs,
        repo_workspace.state(),
        !entry.file.frozen,
    )?;
    if !entry.file.frozen && dependency_changed(run, entry, repo_workspace)? {
        return Ok(true);
    }
    let Some(status) = statuses.first() else {
        return Ok(false);
    };
    Ok(status.changed_checksum
        || (!entry.file.frozen && !status.changed_deps.is_empty())
        || status
            .changed_outs
            .iter()
            .any(|out| !(allow_missing && matches!(out.status, "deleted" | "not in cache"))))
}

/// Whether a local dependency of an import changed (`modified` or `deleted`; DVC's
/// `dep.status()`).
fn dependency_changed(
    run: &Run<'_>,
    entry: &DvcFileEntry,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<bool> {
    for dep in entry
        .file
        .deps
        .iter()
        .filter(|dep| is_local_dependency(dep))
    {
        let place = entry_path(run, entry.resolve(dep));
        let current = repo_workspace
            .hash(&place, dep.hash_name, EntryRole::Dependency)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        if current.map(|hash| hash.value) != HashValue::of(dep) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Hashes the outputs (and local dependencies) of a `.dvc` file, saves cached outputs to the
/// cache (not with `--no-commit`) and writes the file again (DVC's `save`, `commit` and
/// `dump`): DVC tracks the file with git whether or not its text changed.
fn save(
    run: &mut Run<'_>,
    entry: &DvcFileEntry,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<()> {
    let workspace = run.workspace;
    let mut file = entry.file.clone();
    if file.is_import() {
        // DVC's `save_deps`: a dependency on a local path is hashed again; others (URLs,
        // repositories) keep what was recorded.
        for dep in file.deps.iter_mut().filter(|dep| is_local_dependency(dep)) {
            let place = entry_path(run, entry.resolve(dep));
            if let Some(hash) = repo_workspace
                .hash(&place, dep.hash_name, EntryRole::Dependency)
                .map_err(|error| anyhow::anyhow!("{error}"))?
            {
                record_hash(dep, &hash);
            }
        }
    }
    for out in file.outs.iter_mut() {
        if dv_pipeline::stage::is_url(&out.path) {
            continue;
        }
        let path = entry.resolve(out);
        let hash_name = hash_name_for_save(run, out, &path, repo_workspace)?;
        if out.cache {
            run.ignore(&path)?;
        }
        if out.cache && !run.options.no_commit {
            let built: Built = repo_workspace.commit(&path, hash_name)?;
            record_built(out, &built, hash_name);
        } else {
            let place = entry_path(run, path.clone());
            let hash = repo_workspace
                .hash(&place, hash_name, EntryRole::Output)
                .map_err(|error| anyhow::anyhow!("{error}"))?
                .ok_or_else(|| {
                    DvcError(format!(
                        "output '{}' does not exist",
                        workspace.display_path(&path)
                    ))
                })?;
            record_hash(out, &hash);
            out.files = None;
        }
    }
    file.md5 = file.is_import().then(|| file.stage_md5());
    if file != entry.file {
        let shown = workspace.display_path(&entry.path);
        let text = file
            .update_yaml(&entry.text)
            .map_err(|error| DvcError(format!("failed to update '{shown}': {}", error.message)))?;
        if text != entry.text {
            crate::confine::write_metafile(workspace, &entry.path, text.as_bytes())
                .map_err(|error| error.context(format!("failed to write '{shown}'")))?;
        }
    }
    run.report.track(entry.path.clone());
    Ok(())
}

/// The hash an output is saved with: a legacy (DVC 2.x) output keeps `md5-dos2unix` while
/// its content is unchanged and becomes `md5` once it changed (spec §3.3).
fn hash_name_for_save(
    run: &Run<'_>,
    out: &Output,
    path: &std::path::Path,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<HashName> {
    if !out.is_legacy() {
        return Ok(out.hash_name);
    }
    let place = entry_path(run, path.to_path_buf());
    let current = repo_workspace
        .hash(&place, out.hash_name, EntryRole::Output)
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let unchanged = current.is_some_and(|hash| Some(hash.value) == HashValue::of(out));
    Ok(if unchanged {
        out.hash_name
    } else {
        HashName::Md5
    })
}

/// Records a computed hash in a `.dvc` entry.
fn record_hash(entry: &mut Output, hash: &EntryHash) {
    let recorded = dv_pipeline::lock::lock_entry(&entry.path, hash);
    entry.md5 = recorded.md5;
    entry.etag = recorded.etag;
    entry.checksum = recorded.checksum;
    entry.size = recorded.size;
    entry.nfiles = recorded.nfiles;
    entry.isexec = recorded.isexec;
    entry.hash_name = recorded.hash_name;
}

/// An import's source as DVC shows it (`str(dep)`): a URL as recorded, a local path relative
/// to the working directory inside the repository, absolute outside it.
fn import_source(run: &Run<'_>, entry: &DvcFileEntry) -> String {
    let dep = &entry.file.deps[0];
    if dep.repo.is_some() {
        return crate::repo_import::shown_dependency(dep);
    }
    if !is_local_dependency(dep) {
        return dep.path.clone();
    }
    let path = entry.resolve(dep);
    match repo_path_of(run.workspace, &path) {
        Some(_) => run.workspace.display_path(&path),
        None => path.to_string_lossy().into_owned(),
    }
}

/// Whether an import's dependency is a path on this machine (not a URL, not another
/// repository).
fn is_local_dependency(dep: &Output) -> bool {
    !dv_pipeline::stage::is_url(&dep.path) && dep.repo.is_none() && !dep.extra.contains_key("db")
}

/// An absolute path as the pipeline workspace names it.
fn entry_path(run: &Run<'_>, path: std::path::PathBuf) -> EntryPath {
    match repo_path_of(run.workspace, &path) {
        Some(repo_path) if !repo_path.is_root() => EntryPath::Repo(repo_path),
        _ => EntryPath::Outside(path.to_string_lossy().into_owned()),
    }
}
