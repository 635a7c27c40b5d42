//! `dvc commit`: re-hash tracked outputs, store them in the cache and update their `.dvc` files
//! in place (spec §3.3, §4.4).
//!
//! Like DVC, a stage whose outputs changed (modified, deleted, or never hashed) is only saved
//! after confirmation or with `force`; an unchanged stage is committed as recorded (its objects
//! are stored, its `.dvc` file is not rewritten). Saving re-hashes every output: a legacy (DVC
//! 2.x) output whose md5-dos2unix hash did not change stays legacy, a changed one becomes a
//! DVC 3 output with `hash: md5` appended to its entry.
//!
//! A target inside a tracked directory (granular commit) still checks and saves its whole
//! stage, but stores only the files under the target, with the whole directory's manifest,
//! exactly as DVC does (the rest of a changed directory is then missing from the cache).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_data::build::{self, Built};
use dv_data::progress::Progress;
use dv_data::state::State;
use dv_fs::link::LinkType;
use dv_schema::dir_manifest::DirManifest;
use dv_schema::dvc_file::{DvcFile, Output};

use crate::context::RepoContext;
use crate::error::CommandError;
use crate::index::{self, DvcFileEntry};
use crate::outputs::link_from_cache;
use crate::outputs::{OutputState, output_state};
use crate::outputs::{build_as_recorded, build_for_save, record_built};
use crate::tracking::ignore_output;
use crate::workspace::Workspace;

mod pipeline;
mod report;

pub use report::CommitReport;
use report::question;

/// What `commit` was asked to do.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// A `.dvc` file, a tracked output or a path inside a tracked directory (every `.dvc`
    /// file when `None`).
    pub target: Option<PathBuf>,
    /// Save changed stages without asking.
    pub force: bool,
    /// With a directory target: every `.dvc` file under it.
    pub recursive: bool,
    /// Re-create hard links or symlinks from the cache (`--no-relink` turns it off).
    pub relink: bool,
    /// Threads for hashing.
    pub jobs: Option<usize>,
}

impl Default for CommitOptions {
    fn default() -> Self {
        CommitOptions {
            target: None,
            force: false,
            recursive: false,
            relink: true,
            jobs: None,
        }
    }
}

/// Commits the target's stages (or all). `confirm` is asked whether to save a stage whose
/// outputs changed, with DVC's question; without `force` a refusal fails the commit. Files
/// hashed, saved and linked are counted in `progress`.
pub fn commit(
    workspace: &Workspace,
    options: &CommitOptions,
    confirm: &dyn Fn(&str) -> bool,
    progress: &Progress,
) -> anyhow::Result<CommitReport> {
    // Pipeline stages: every one without a target, else those a stage name or `dvc.yaml`
    // names (a target naming none is looked up among the `.dvc` files).
    let pipelines = crate::pipelines::Pipelines::load_any(workspace)?;
    let stages: Vec<usize> = match (&pipelines, &options.target) {
        (None, _) => Vec::new(),
        (Some(pipelines), None) => (0..pipelines.stages.len()).collect(),
        (Some(pipelines), Some(target)) if !options.recursive => pipelines
            .resolve_target(workspace, &target.to_string_lossy())
            .unwrap_or_default(),
        (Some(_), Some(_)) => Vec::new(),
    };
    if let (Some(pipelines), false) = (&pipelines, stages.is_empty()) {
        let jobs = workspace.jobs(options.jobs);
        let mut state = workspace.load_state();
        let mut report = CommitReport::default();
        let result = pipeline::commit_stages(
            workspace,
            pipelines,
            &stages,
            options.force,
            confirm,
            &mut crate::pipelines::RepoWorkspace::new(workspace, &mut state, jobs),
            &mut report,
        );
        workspace.save_state(&mut state);
        result?;
        if options.target.is_some() {
            return Ok(report);
        }
        let mut rest = commit_dvc_files(workspace, options, confirm, progress)?;
        report.committed.append(&mut rest.committed);
        report.rewritten.append(&mut rest.rewritten);
        report.empty.append(&mut rest.empty);
        return Ok(report);
    }
    commit_dvc_files(workspace, options, confirm, progress)
}

/// Commits the `.dvc` files the target names (or all of them).
fn commit_dvc_files(
    workspace: &Workspace,
    options: &CommitOptions,
    confirm: &dyn Fn(&str) -> bool,
    progress: &Progress,
) -> anyhow::Result<CommitReport> {
    let entries: Vec<(DvcFileEntry, Option<PathBuf>)> = match &options.target {
        Some(target) if options.recursive && workspace.absolute(target).is_dir() => {
            let dir = workspace.absolute(target);
            index::dvc_files(workspace, workspace.root())?
                .into_iter()
                .filter(|path| path.starts_with(&dir))
                .map(|path| DvcFileEntry::load(workspace, &path).map(|entry| (entry, None)))
                .collect::<anyhow::Result<Vec<_>>>()?
        }
        Some(target) => match index::load_targets(workspace, std::slice::from_ref(target)) {
            Ok(entries) => entries.into_iter().map(|entry| (entry, None)).collect(),
            Err(error) => match holding_entry(workspace, &workspace.absolute(target))? {
                Some(entry) => vec![(entry, Some(workspace.absolute(target)))],
                None => return Err(error),
            },
        },
        None => index::load_targets(workspace, &[])?
            .into_iter()
            .map(|entry| (entry, None))
            .collect(),
    };
    let mut cx = RepoContext::open(workspace, options.jobs, progress)?;
    let mut report = CommitReport::default();
    let result = (|| -> anyhow::Result<()> {
        for (entry, within) in entries {
            commit_stage(
                &mut cx,
                entry,
                within.as_deref(),
                options,
                confirm,
                &mut report,
            )?;
        }
        Ok(())
    })();
    cx.finish();
    result?;
    Ok(report)
}

fn commit_stage(
    cx: &mut RepoContext<'_>,
    entry: DvcFileEntry,
    within: Option<&Path>,
    options: &CommitOptions,
    confirm: &dyn Fn(&str) -> bool,
    report: &mut CommitReport,
) -> anyhow::Result<()> {
    let (workspace, jobs, progress) = (cx.workspace, cx.jobs, cx.progress);
    let links = &cx.links[..];
    let state = &mut cx.state;
    let stage_name = workspace.display_path(&entry.path);
    // A URL import's dependency is looked up again: to see whether it changed, and to record
    // it as it is now when the stage is saved (DVC's `dep.save()`).
    let url_import = entry.file.is_import() && !is_repo_import(&entry.file);
    let current_dep = if url_import {
        crate::imports::current_dependencies(workspace, &[&entry], options.jobs, state, progress)
            .pop()
    } else {
        None
    };
    let save = if options.force {
        true
    } else {
        let changed_outs = changed_outputs(workspace, &entry, jobs, state)?;
        let changed_deps: Vec<String> = match &current_dep {
            Some(Ok(dep)) if same_hash(dep, &entry.file.deps[0]) => Vec::new(),
            Some(_) => vec![crate::imports::dependency_shown(workspace, &entry)],
            None => Vec::new(),
        };
        let changed_stage = entry.file.cmd.is_none() && entry.file.md5 != stage_md5(&entry.file);
        let changed = !changed_deps.is_empty() || !changed_outs.is_empty() || changed_stage;
        if changed && !confirm(&question(&stage_name, &changed_deps, &changed_outs)) {
            return Err(CommandError(format!(
                "unable to commit changed stage: '{stage_name}'. Use `-f|--force` to force."
            ))
            .into());
        }
        changed
    };
    if save && !entry.file.deps.is_empty() && !url_import {
        return Err(CommandError(format!(
            "committing changes to import stages is not supported by dv yet: '{stage_name}'"
        ))
        .into());
    }

    let mut file = entry.file.clone();
    for output in file.outs.iter_mut() {
        let path = entry.resolve(output);
        let shown = workspace.display_path(&path);
        if std::fs::symlink_metadata(&path).is_err() {
            return Err(CommandError(format!("output '{shown}' does not exist")).into());
        }
        let (hash_name, built) = if save {
            let (hash_name, built) =
                build_for_save(workspace, &path, output, jobs, state, progress)?;
            if built.is_empty() {
                report.empty.push(shown.clone());
            }
            if output.cache {
                ignore_output(workspace, &path)?;
            }
            record_built(output, &built, hash_name);
            (hash_name, built)
        } else {
            let built = build_as_recorded(workspace, &path, output, jobs, state, progress)?;
            (output.hash_name, built)
        };
        if !output.cache {
            continue;
        }
        // A target inside the output: only that output, and in a directory only the files
        // under the target are stored (with the whole directory's manifest) and relinked, as
        // DVC's granular commit does.
        let (stored, linked) = match within {
            None => (built, None),
            Some(within) if within == path => (built, None),
            Some(within) => match within.strip_prefix(&path) {
                Ok(inside) => match granular(&built, inside) {
                    Some((stored, linked)) => (stored, Some(linked)),
                    None => (built, None),
                },
                Err(_) => continue,
            },
        };
        let odb = workspace.odb(hash_name);
        build::commit(&odb, &path, &stored, jobs, progress)
            .with_context(|| format!("failed to save '{shown}' to the cache"))?;
        if options.relink && matches!(links.first(), Some(LinkType::Hardlink | LinkType::Symlink)) {
            let linked = linked.as_ref().unwrap_or(&stored);
            link_from_cache(workspace, &odb, linked, &path, links, jobs, progress)?;
        }
    }
    if save && url_import {
        match current_dep {
            Some(Ok(dep)) => file.deps[0] = dep,
            Some(Err(cause)) => return Err(CommandError(cause).into()),
            None => {}
        }
    }
    if save && file.cmd.is_none() {
        // DVC recomputes the stage checksum on save: imports have one, `.dvc` files of
        // `dvc add` none.
        file.md5 = stage_md5(&file);
    }
    if file != entry.file {
        let text = file
            .update_yaml(&entry.text)
            .map_err(|e| CommandError(format!("failed to update '{stage_name}': {}", e.message)))?;
        if text != entry.text {
            crate::confine::write_metafile(workspace, &entry.path, text.as_bytes())
                .with_context(|| format!("failed to write '{stage_name}'"))?;
            report.rewritten.push(entry.path.clone());
        }
    }
    report.committed.push(entry.path);
    Ok(())
}

/// A `dvc import` (or `import-db`) stage: its dependency names a repository or database,
/// which dv cannot read yet.
fn is_repo_import(file: &DvcFile) -> bool {
    file.deps
        .first()
        .is_some_and(|dep| dep.repo.is_some() || dep.extra.contains_key("db"))
}

/// The stage checksum DVC expects in `md5:` of a `.dvc` file without a command: an import's
/// (spec §4.3), none for `dvc add`'s.
fn stage_md5(file: &DvcFile) -> Option<dv_schema::hash::Md5> {
    file.is_import().then(|| file.stage_md5())
}

/// Whether two records of a dependency have the same hash.
fn same_hash(current: &Output, recorded: &Output) -> bool {
    current.md5 == recorded.md5
        && current.etag == recorded.etag
        && current.checksum == recorded.checksum
        && current.version_id == recorded.version_id
        && current.files == recorded.files
}

/// The `.dvc` file with a directory output holding `path` (strictly inside it): the stage of
/// a granular commit target.
fn holding_entry(workspace: &Workspace, path: &Path) -> anyhow::Result<Option<DvcFileEntry>> {
    for file in index::dvc_files(workspace, workspace.root())? {
        let entry = DvcFileEntry::load(workspace, &file)?;
        let holds = entry.file.outs.iter().any(|output| {
            let output_path = entry.resolve(output);
            path != output_path && path.starts_with(&output_path)
        });
        if holds {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

/// For a directory built whole, the part a granular commit of `inside` (relative to the
/// directory) touches: what to store (the whole manifest, the files under `inside`) and what
/// to relink (the files under `inside`). `None` for a file.
fn granular(built: &Built, inside: &Path) -> Option<(Built, Built)> {
    let Built::Tree {
        manifest,
        id,
        size,
        nfiles,
        files,
    } = built
    else {
        return None;
    };
    let prefix: String = inside
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let under = |relpath: &str| {
        relpath == prefix
            || relpath
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let files: Vec<_> = files
        .iter()
        .filter(|file| under(file.file.relpath.as_str()))
        .cloned()
        .collect();
    let stored = Built::Tree {
        manifest: manifest.clone(),
        id: *id,
        size: *size,
        nfiles: *nfiles,
        files: files.clone(),
    };
    let linked = Built::Tree {
        manifest: DirManifest::new(
            manifest
                .entries()
                .iter()
                .filter(|entry| under(entry.relpath.as_str()))
                .cloned()
                .collect(),
        ),
        id: *id,
        size: *size,
        nfiles: *nfiles,
        files,
    };
    Some((stored, linked))
}

/// The outputs whose workspace state differs from the record (DVC's `changed_entries`):
/// deleted, modified, or never hashed, as shown.
fn changed_outputs(
    workspace: &Workspace,
    entry: &DvcFileEntry,
    jobs: NonZeroUsize,
    state: &mut State,
) -> anyhow::Result<Vec<String>> {
    let mut changed = Vec::new();
    for output in &entry.file.outs {
        let path = entry.resolve(output);
        let differs = output.md5.is_none()
            || !matches!(
                output_state(workspace, &path, output, jobs, state)?,
                OutputState::Unchanged
            );
        if differs {
            changed.push(workspace.display_path(&path));
        }
    }
    Ok(changed)
}
