//! A path of a source repository brought into a workspace as a repo import: its objects in
//! the workspace cache, the output checked out, and the frozen `.dvc` file DVC writes
//! (spec §6.7: `deps: [{path, repo: {url, rev, rev_lock, config, remote}}]`, no dependency
//! hash). Shared by `import`, `update` and `fetch`/`pull` of repo imports.

use std::path::Path;

use anyhow::Context;
use dv_data::progress::Progress;
use dv_schema::dvc_file::Output;
use dv_schema::hash::HashName;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::Value;

use super::select::{self, Stored};
use super::{SourceRepo, SourceSpec};
use crate::error::CommandError;
use crate::index::DvcFileEntry;
use crate::workspace::Workspace;

/// The dependency of a repo import.
pub(crate) fn dependency(path: &str, spec: &SourceSpec, rev_lock: Option<&str>) -> Output {
    Output {
        path: path.to_owned(),
        repo: Some(spec.recorded(rev_lock)),
        // No `hash:` key: DVC records none for a repository dependency.
        hash_name: HashName::Md5Dos2Unix,
        ..Output::default()
    }
}

/// The path inside the source, checked: relative, normalized, never above the source's root.
pub(crate) fn source_path(path: &str) -> anyhow::Result<RepoPath> {
    let trimmed = path.trim_end_matches('/');
    RepoPath::new(if trimmed.is_empty() || trimmed == "." {
        ""
    } else {
        trimmed
    })
    .map_err(|_| {
        CommandError(format!(
            "'{path}' is not a path inside the source repository"
        ))
        .into()
    })
}

/// Fetches `path` of `source` into the workspace cache; returns what was stored and the
/// output fields DVC records for it (`md5`, `size`, `nfiles`, `isexec`, `hash`).
pub(crate) fn fetch_path(
    workspace: &Workspace,
    source: &SourceRepo,
    path: &RepoPath,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<(Stored, Output)> {
    let odb = workspace.odb(HashName::Md5);
    let selection = select::select(source, path, &odb, jobs, progress)?;
    let odb = workspace.odb(selection.hash_name);
    let stored = select::store(source, &selection, &odb, jobs, progress)?;
    let (id, size, nfiles) = stored.record(&odb)?;
    let mut out = Output {
        md5: Some(id),
        size: Some(size),
        nfiles,
        hash_name: selection.hash_name,
        ..Output::default()
    };
    if let Some(whole) = &selection.whole {
        out.size = whole.size.or(out.size);
        out.nfiles = whole.nfiles.or(out.nfiles);
        out.isexec = whole.isexec;
    } else if let Stored::File { isexec, .. } = &stored {
        out.isexec = *isexec;
    }
    Ok((stored, out))
}

/// Checks `stored` out at `dest` from the workspace cache with the workspace's link types,
/// replacing what is there.
pub(crate) fn check_out(
    workspace: &Workspace,
    stored: &Stored,
    hash_name: HashName,
    dest: &Path,
    jobs: std::num::NonZeroUsize,
    progress: &Progress,
) -> anyhow::Result<()> {
    crate::confine::guard_write_error(workspace, dest)?;
    crate::outputs::remove_path(dest)
        .with_context(|| format!("failed to remove '{}'", workspace.display_path(dest)))?;
    let links = workspace.link_types()?;
    select::write_out(
        stored,
        &workspace.odb(hash_name),
        dest,
        &links,
        jobs,
        progress,
    )
}

/// Writes the `.dvc` file of a repo import (see [`crate::imports::write_import_file`]).
pub(crate) fn write_file(
    workspace: &Workspace,
    dvc_path: &Path,
    previous: Option<&DvcFileEntry>,
    dep: Output,
    out: Output,
    no_exec: bool,
) -> anyhow::Result<()> {
    let shown = dvc_path.display().to_string();
    crate::imports::write_import_file(workspace, dvc_path, previous, (dep, out), no_exec, &shown)
}

/// The `Importing '…' -> '…'` names of a repo import: `path (url)` and the output.
pub(crate) fn shown_source(dep: &Output) -> String {
    format!("{} ({})", dep.path, dep.repo_url().unwrap_or_default())
}

/// How a repo import is brought up to date.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refresh<'a> {
    /// `update`: the source's newest commit of the recorded revision (or of `rev`).
    Newest {
        rev: Option<&'a str>,
        no_download: bool,
    },
    /// `repro` of an unfrozen import: the recorded commit, downloaded again.
    Recorded,
}

/// `update` (or `repro`) of the repo import `entry`: imported again from the commit
/// `refresh` names, unless nothing would change. Returns whether anything was imported.
pub(crate) fn update(
    workspace: &Workspace,
    entry: &DvcFileEntry,
    refresh: Refresh<'_>,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<bool> {
    let old_dep = &entry.file.deps[0];
    let mut spec = SourceSpec::from_recorded(old_dep.repo.as_ref().expect("repo import"));
    let (opening, no_download) = match refresh {
        Refresh::Newest { rev, no_download } => {
            if let Some(rev) = rev {
                spec.rev = Some(rev.to_owned());
            }
            (super::Opening::Newest, no_download)
        }
        Refresh::Recorded => (recorded_commit(old_dep), false),
    };
    let source = open(workspace, &spec, opening)?;
    let old_out = &entry.file.outs[0];
    let out_path = entry.resolve(old_out);
    let same = matches!(refresh, Refresh::Newest { .. })
        && source.rev_lock.as_deref() == old_dep.repo_field("rev_lock")
        && spec.rev.as_deref() == old_dep.repo_field("rev")
        && (no_download || (old_out.md5.is_some() && std::fs::symlink_metadata(&out_path).is_ok()));
    if same {
        return Ok(false);
    }
    let mut dep = dependency(&old_dep.path, &spec, source.rev_lock.as_deref());
    // Keep what DVC keeps of the recorded `repo:` (its `config`/`remote` as written).
    if let (Some(Value::Mapping(old)), Some(Value::Mapping(new))) = (&old_dep.repo, &mut dep.repo) {
        for (key, value) in old {
            if !new.contains_key(key) && key.as_str() != Some("rev") {
                new.insert(key.clone(), value.clone());
            }
        }
    }
    let mut out = old_out.clone();
    if no_download {
        out.md5 = None;
        out.size = None;
        out.nfiles = None;
    } else {
        let path = source_path(&old_dep.path)?;
        let (stored, fetched) = fetch_path(workspace, &source, &path, jobs, progress)?;
        out.md5 = fetched.md5;
        out.size = fetched.size;
        out.nfiles = fetched.nfiles;
        out.isexec = fetched.isexec;
        out.hash_name = fetched.hash_name;
        check_out(
            workspace,
            &stored,
            out.hash_name,
            &out_path,
            workspace.jobs(jobs),
            progress,
        )?;
    }
    write_file(workspace, &entry.path, Some(entry), dep, out, false)?;
    Ok(true)
}

/// Fetches the objects of a repo import the cache lacks from the commit it records, without
/// touching the network when the clone cache has that commit. Returns the objects fetched.
pub(crate) fn fetch_recorded(
    workspace: &Workspace,
    entry: &DvcFileEntry,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<usize> {
    let dep = &entry.file.deps[0];
    let spec = SourceSpec::from_recorded(dep.repo.as_ref().expect("repo import"));
    let source = open(workspace, &spec, recorded_commit(dep))?;
    let path = source_path(&dep.path)?;
    let odb = workspace.odb(entry.file.outs[0].hash_name);
    let selection = select::select(&source, &path, &odb, jobs, progress)?;
    let missing = select::missing_files(&selection, &odb);
    let stored = select::store(&source, &selection, &odb, jobs, progress)?;
    let (id, _, _) = stored.record(&odb)?;
    if Some(id) != entry.file.outs[0].md5 {
        return Err(CommandError(format!(
            "'{}' of '{}' at {} is not what '{}' records",
            dep.path,
            spec.url,
            dep.repo_field("rev_lock").unwrap_or("HEAD"),
            workspace.display_path(&entry.path)
        ))
        .into());
    }
    Ok(missing)
}

/// The commit a repo import records (`rev_lock`), or its revision when it records none.
fn recorded_commit(dep: &Output) -> super::Opening<'_> {
    match dep.repo_field("rev_lock") {
        Some(commit) => super::Opening::Locked(commit),
        None => super::Opening::AsSpecified,
    }
}

/// The source `spec` names, opened from `workspace` (whose configuration names the site
/// cache).
pub(crate) fn open(
    workspace: &Workspace,
    spec: &SourceSpec,
    opening: super::Opening<'_>,
) -> anyhow::Result<SourceRepo> {
    SourceRepo::open(
        workspace.environment(),
        Some(workspace.config()),
        spec,
        opening,
    )
}
