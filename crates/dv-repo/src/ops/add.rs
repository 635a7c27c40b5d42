//! `dvc add`: hash files and directories, store them in the cache, write `<target>.dvc` next to
//! each target and a `.gitignore` entry (spec §5).

use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_data::build::{self, BuildOptions, Built};
use dv_data::progress::Progress;
use dv_fs::link::LinkType;
use dv_schema::dvc_file::{DvcFile, Output};
use dv_schema::hash::HashName;

use crate::context::RepoContext;
use crate::error::CommandError;
use crate::index::DvcFileEntry;
use crate::outputs::link_from_cache;
use crate::outputs::record_built;
use crate::outputs::{in_cache_with, mark_complete};
use crate::remotes;
use crate::tracking::ignore_output;
use crate::workspace::Workspace;

/// What `add` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Files or directories to track (relative to the working directory).
    pub targets: Vec<PathBuf>,
    /// Write the `.dvc` file without storing the data in the cache.
    pub no_commit: bool,
    /// Threads for hashing (`-j`).
    pub jobs: Option<usize>,
    /// Expand wildcards in targets (`--glob`).
    pub glob: bool,
    /// Copy the single target (which may be outside the repository) to this path and track
    /// that instead (`-o`).
    pub out: Option<PathBuf>,
    /// Replace an existing `--out` path.
    pub force: bool,
    /// Keep the workspace copy as is even with a hardlink/symlink cache (`--no-relink`).
    pub no_relink: bool,
    /// Hash the single target and upload it to a remote instead of the cache
    /// (`--to-remote`); the workspace keeps nothing new but the `.dvc` file.
    pub to_remote: bool,
    /// The remote for `--to-remote` (`-r`).
    pub remote: Option<String>,
}

/// What `add` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AddReport {
    /// Files git should track (`.dvc` and `.gitignore` files), absolute.
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
    /// Targets that are empty (DVC warns about them).
    pub empty: Vec<String>,
}

/// Tracks `options.targets`, counting the files hashed, stored, uploaded and linked in
/// `progress`.
pub fn add(
    workspace: &Workspace,
    options: &AddOptions,
    progress: &Progress,
) -> anyhow::Result<AddReport> {
    let mut report = AddReport::default();
    let mut targets: Vec<(PathBuf, String)> = Vec::new();
    for target in &options.targets {
        let shown = target.display().to_string();
        if options.glob && shown.contains(['*', '?', '[']) {
            let pattern = workspace.absolute(target);
            let matches = glob::glob(&pattern.to_string_lossy())
                .map_err(|e| CommandError(format!("invalid pattern '{shown}': {e}")))?;
            for path in matches.flatten() {
                let shown = workspace.display_path(&path);
                targets.push((path, shown));
            }
        } else {
            targets.push((workspace.absolute(target), shown));
        }
    }
    if options.remote.is_some() && !options.to_remote {
        return Err(CommandError("--remote can't be used without --to-remote".to_string()).into());
    }
    if options.to_remote {
        if options.targets.len() > 1 {
            return Err(CommandError(
                "multiple targets can't be used with --to-remote".to_string(),
            )
            .into());
        }
        if options.glob {
            return Err(
                CommandError("--glob option can't be used with --to-remote".to_string()).into(),
            );
        }
        if options.no_commit {
            return Err(CommandError(
                "--no-commit option can't be used with --to-remote".to_string(),
            )
            .into());
        }
        return add_to_remote(workspace, &targets[0].0, options, progress);
    }
    if options.out.is_some() && targets.len() > 1 {
        return Err(CommandError("multiple targets can't be used with --out".to_string()).into());
    }
    let mut cx = RepoContext::open(workspace, options.jobs, progress)?;
    if let Some(out) = &options.out {
        let (source, _) = &targets[0];
        let out_shown = out.display().to_string();
        let out = workspace.absolute(out);
        check_inside(workspace, &out)?;
        crate::confine::guard_write_error(workspace, &out)?;
        if std::fs::symlink_metadata(&out).is_ok() && !options.force {
            return Err(CommandError(format!(
                "The file '{out_shown}' already exists locally. \nTo override it, re-run with '--force'."
            ))
            .into());
        }
        if let Some(parent) = out.parent()
            && !parent.is_dir()
        {
            return Err(CommandError(format!(
                "stage working dir '{}' does not exist",
                parent.display()
            ))
            .into());
        }
        copy_in(workspace, source, &out, cx.jobs, &cx.links, progress)?;
        targets = vec![(out, out_shown)];
    }
    let mut granular = Vec::new();
    for (path, shown) in &targets {
        match tracked_parent(workspace, path)? {
            Some(parent) => {
                if std::fs::symlink_metadata(path).is_err() {
                    return Err(CommandError(format!(
                        "[Errno 2] No such file or directory: '{}'",
                        path.display()
                    ))
                    .into());
                }
                granular.push(Some(parent));
            }
            None => {
                check_target(workspace, path, shown)?;
                granular.push(None);
            }
        }
    }
    let result = (|| -> anyhow::Result<()> {
        for ((path, shown), parent) in targets.iter().zip(granular) {
            match parent {
                Some(parent) => add_inside(&mut cx, path, shown, parent, &mut report)?,
                None => add_one(&mut cx, path, shown, options, &mut report)?,
            }
        }
        Ok(())
    })();
    cx.finish();
    result?;
    report.to_track.sort();
    report.to_track.dedup();
    report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    Ok(report)
}

/// `dvc add --to-remote SOURCE [-o OUT]`: hashes `source` (anywhere), uploads its objects to
/// the remote and writes `OUT.dvc`; nothing goes to the cache or the workspace, and no
/// `.gitignore` entry is written (DVC's behaviour).
fn add_to_remote(
    workspace: &Workspace,
    source: &Path,
    options: &AddOptions,
    progress: &Progress,
) -> anyhow::Result<AddReport> {
    use crate::transfer;
    let out = match &options.out {
        Some(out) => workspace.absolute(out),
        None => workspace
            .environment()
            .cwd
            .join(source.file_name().unwrap_or_default()),
    };
    let out = crate::path::normalize(&out);
    check_inside(workspace, &out)?;
    if let Some(parent) = out.parent()
        && !parent.is_dir()
    {
        return Err(CommandError(format!(
            "stage working dir '{}' does not exist",
            parent.display()
        ))
        .into());
    }
    let name = remotes::default_remote(workspace, options.remote.as_deref())
        .ok_or_else(|| CommandError(remotes::no_remote_error(workspace, "add").to_string()))?;
    let remote = remotes::open_remote(workspace, &name, false)
        .map_err(|error| CommandError(format!("{error:#}")))?;
    if std::fs::symlink_metadata(source).is_err() {
        return Err(CommandError(format!(
            "[Errno 2] No such file or directory: '{}'",
            source.display()
        ))
        .into());
    }
    let jobs = workspace.jobs(options.jobs);
    let mut scratch = dv_data::state::State::in_memory();
    let built = build::build_with_progress(
        source.parent().unwrap_or(source),
        source,
        &BuildOptions {
            hash_name: HashName::Md5,
            jobs,
        },
        &mut scratch,
        progress,
    )
    .with_context(|| format!("failed to hash '{}'", source.display()))?;
    let tmp = workspace.repo().tmp_dir();
    transfer::upload_built(&remote, source, &built, &tmp, options.jobs, progress)?;
    let mut output = Output {
        path: out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..Output::default()
    };
    record_built(&mut output, &built, HashName::Md5);
    let mut dvc_path = out.into_os_string();
    dvc_path.push(".dvc");
    let dvc_path = PathBuf::from(dvc_path);
    crate::confine::write_metafile(
        workspace,
        &dvc_path,
        DvcFile::with_output(output).to_yaml().as_bytes(),
    )
    .with_context(|| format!("failed to write '{}'", dvc_path.display()))?;
    let mut report = AddReport {
        to_track: vec![dvc_path],
        ..AddReport::default()
    };
    if built.is_empty() {
        report.empty.push(workspace.display_path(source));
    }
    report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    Ok(report)
}

/// `dvc add SOURCE -o OUT`: stores `source` (anywhere) in the cache and checks it out at
/// `out`, replacing what is there.
fn copy_in(
    workspace: &Workspace,
    source: &Path,
    out: &Path,
    jobs: std::num::NonZeroUsize,
    links: &[LinkType],
    progress: &Progress,
) -> anyhow::Result<()> {
    let odb = workspace.odb(HashName::Md5);
    let mut scratch = dv_data::state::State::in_memory();
    let built = build::build_into_with_progress(
        workspace.root(),
        source,
        &BuildOptions {
            hash_name: HashName::Md5,
            jobs,
        },
        &mut scratch,
        &odb,
        progress,
    )
    .with_context(|| format!("failed to copy '{}'", source.display()))?;
    if out.is_dir() && !out.is_symlink() {
        std::fs::remove_dir_all(out)?;
    } else if std::fs::symlink_metadata(out).is_ok() {
        std::fs::remove_file(out)?;
    }
    link_from_cache(workspace, &odb, &built, out, links, jobs, progress)
}

/// Outputs must be inside the repository.
fn check_inside(workspace: &Workspace, path: &Path) -> anyhow::Result<()> {
    let root = workspace.root();
    if !path.starts_with(root) || path == root {
        return Err(CommandError(format!(
            "Cached output(s) outside of DVC project: {}. See <https://dvc.org/doc/user-guide/data-management/importing-external-data> for more info.",
            path.display()
        ))
        .into());
    }
    Ok(())
}

/// DVC's checks before anything is written.
fn check_target(workspace: &Workspace, path: &Path, shown: &str) -> anyhow::Result<()> {
    let root = workspace.root();
    check_inside(workspace, path)?;
    let relative = path.strip_prefix(root).unwrap_or(path);
    if let Some(first) = relative.components().next() {
        let first = first.as_os_str();
        if first == ".dvc" || first == ".git" {
            return Err(CommandError(format!(
                "Path '{}' is ignored by :{}/",
                path.display(),
                first.to_string_lossy()
            ))
            .into());
        }
    }
    if crate::confine::linked_ancestor(root, path).is_some() {
        return Err(CommandError(
            "Cannot add files inside symlinked directories to DVC. See <https://dvc.org/doc/user-guide/troubleshooting#add-symlink> for more information.".to_string(),
        )
        .into());
    }
    if let Some(refusal) = dv_schema::repo_path::write_refusal(
        relative.components().filter_map(|c| c.as_os_str().to_str()),
    ) {
        return Err(CommandError(format!(
            "output '{}' {refusal}",
            dv_schema::shown::escape_name(shown)
        ))
        .into());
    }
    if std::fs::symlink_metadata(path).is_err() {
        return Err(CommandError(format!(
            "output '{shown}' does not exist: [Errno 2] No such file or directory: '{}'",
            path.display()
        ))
        .into());
    }
    if let Some(rule) = dv_data::walk::ignored_by(root, path) {
        return Err(CommandError(format!("Path '{}' is ignored by {rule}", path.display())).into());
    }
    if shown.ends_with(".dvc")
        || path
            .file_name()
            .is_some_and(|n| n == "dvc.yaml" || n == "dvc.lock")
    {
        return Err(CommandError(format!("cannot add '{shown}': it is a DVC metafile")).into());
    }
    if let Some(git) = workspace.git()
        && git.tracked(&[path.to_path_buf()])?[0]
    {
        return Err(CommandError(format!(
            " output '{shown}' is already tracked by SCM (e.g. Git).\n    You can remove it from Git, then add to DVC.\n        To stop tracking from Git:\n            git rm -r --cached '{shown}'\n            git commit -m \"stop tracking {shown}\" "
        ))
        .into());
    }
    // The `.gitignore` entry written after the `.dvc` file must be writable (not through a
    // symbolic link, a one-line name): refused here, before anything is written.
    if let Some(git) = workspace.git()
        && let Err(refused) = dv_scm::check_ignore_entry(git.root(), path)
        && !git
            .ignored(&[path.to_path_buf()])
            .is_ok_and(|ignored| ignored[0])
    {
        return Err(refused.into());
    }
    Ok(())
}

/// A tracked directory output containing `path`: its `.dvc` file and output index.
struct TrackedParent {
    entry: DvcFileEntry,
    index: usize,
    dir: PathBuf,
}

/// The `.dvc`-tracked directory `path` is inside, if any.
fn tracked_parent(workspace: &Workspace, path: &Path) -> anyhow::Result<Option<TrackedParent>> {
    let root = workspace.root();
    for ancestor in path.ancestors().skip(1) {
        if !ancestor.starts_with(root) || ancestor == root {
            break;
        }
        let mut dvc_path = ancestor.as_os_str().to_owned();
        dvc_path.push(".dvc");
        let dvc_path = PathBuf::from(dvc_path);
        if !dvc_path.is_file() {
            continue;
        }
        let entry = DvcFileEntry::load(workspace, &dvc_path)?;
        let index = entry
            .file
            .outs
            .iter()
            .position(|o| entry.resolve(o) == ancestor && o.md5.is_some_and(|id| id.is_tree()));
        if let Some(index) = index {
            return Ok(Some(TrackedParent {
                entry,
                index,
                dir: ancestor.to_path_buf(),
            }));
        }
    }
    Ok(None)
}

/// `dvc add d/x` where `d` is a tracked directory: only `x`'s entries of `d`'s manifest are
/// replaced. `size` of `d.dvc` is kept as DVC keeps it: grown by `x`'s size when `x` is new
/// to the directory, unchanged when the directory's hash is, and dropped otherwise (the
/// sizes of replaced entries are not known).
fn add_inside(
    cx: &mut RepoContext<'_>,
    path: &Path,
    shown: &str,
    parent: TrackedParent,
    report: &mut AddReport,
) -> anyhow::Result<()> {
    let (workspace, jobs, progress) = (cx.workspace, cx.jobs, cx.progress);
    let state = &mut cx.state;
    use dv_schema::dir_manifest::{DirEntry, DirManifest, RelPath};
    let mut output = parent.entry.file.outs[parent.index].clone();
    let odb = workspace.odb(output.hash_name);
    let old_id = output
        .md5
        .expect("tracked_parent only returns outputs with a hash");
    let old = odb.read_tree(&old_id).with_context(|| {
        format!(
            "failed to read the directory object of '{}'",
            parent.dir.display()
        )
    })?;
    let built = build::build_into_with_progress(
        workspace.root(),
        path,
        &BuildOptions {
            hash_name: output.hash_name,
            jobs,
        },
        state,
        &odb,
        progress,
    )
    .with_context(|| format!("failed to save '{shown}' to the cache"))?;
    let relative = path
        .strip_prefix(&parent.dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let prefix = format!("{relative}/");
    let replaced =
        |e: &DirEntry| e.relpath.as_str() == relative || e.relpath.as_str().starts_with(&prefix);
    let append_only = !old.entries().iter().any(replaced);
    let mut entries: Vec<DirEntry> = old
        .entries()
        .iter()
        .filter(|e| !replaced(e))
        .cloned()
        .collect();
    let relpath = |p: String| RelPath::new(p).map_err(|e| CommandError(e.to_string()));
    match &built {
        Built::File { md5, .. } => entries.push(DirEntry::md5(relpath(relative.clone())?, *md5)),
        Built::Tree { files, .. } => {
            for file in files {
                entries.push(DirEntry::md5(
                    relpath(format!("{prefix}{}", file.file.relpath.as_str()))?,
                    file.md5,
                ));
            }
        }
    }
    let manifest = DirManifest::new(entries);
    let id = odb.add_tree(&manifest)?;
    let old_size = output.size.filter(|size| *size != 0);
    output.size = match old_size {
        Some(size) if append_only => Some(size + built.size()),
        _ if id == old_id => output.size,
        _ => None,
    };
    output.md5 = Some(id);
    output.nfiles = Some(manifest.len() as u64);
    let mut file = parent.entry.file.clone();
    file.outs[parent.index] = output;
    let text = file.update_yaml(&parent.entry.text).map_err(|e| {
        CommandError(format!(
            "failed to update '{}': {e}",
            parent.entry.path.display()
        ))
    })?;
    if text != parent.entry.text {
        crate::confine::write_metafile(workspace, &parent.entry.path, text.as_bytes())
            .with_context(|| format!("failed to write '{}'", parent.entry.path.display()))?;
    }
    report.to_track.push(parent.entry.path.clone());
    Ok(())
}

fn add_one(
    cx: &mut RepoContext<'_>,
    path: &Path,
    shown: &str,
    options: &AddOptions,
    report: &mut AddReport,
) -> anyhow::Result<()> {
    let (workspace, jobs, progress) = (cx.workspace, cx.jobs, cx.progress);
    let links = &cx.links[..];
    let state = &mut cx.state;
    let mut dvc_path = path.as_os_str().to_owned();
    dvc_path.push(".dvc");
    let dvc_path = PathBuf::from(dvc_path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let previous = if dvc_path.is_file() {
        Some(DvcFileEntry::load(workspace, &dvc_path)?)
    } else {
        None
    };
    let previous_output = previous.as_ref().and_then(|p| {
        p.file
            .outs
            .iter()
            .position(|o| p.resolve(o) == path)
            .map(|i| (i, p.file.outs[i].clone()))
    });

    // A legacy (DVC 2.x) output that did not change stays legacy (spec §3.3).
    let mut hash_name = HashName::Md5;
    let mut built = None;
    if let Some((_, output)) = &previous_output
        && output.is_legacy()
    {
        let legacy = build::build_with_progress(
            workspace.root(),
            path,
            &BuildOptions {
                hash_name: HashName::Md5Dos2Unix,
                jobs,
            },
            state,
            progress,
        )
        .with_context(|| format!("failed to hash '{shown}'"))?;
        if Some(legacy.object_id()) == output.md5 {
            hash_name = HashName::Md5Dos2Unix;
            built = Some(legacy);
        }
    }
    let odb = workspace.odb(hash_name);
    let options_build = BuildOptions { hash_name, jobs };
    let linking = !options.no_commit
        && !options.no_relink
        && matches!(links.first(), Some(LinkType::Hardlink | LinkType::Symlink));
    // Whether the cache or the workspace links may need work (not for an unchanged re-add).
    let mut stored = true;
    let built = match built {
        Some(built) => {
            if !options.no_commit {
                build::commit(&odb, path, &built, jobs, progress)
                    .with_context(|| format!("failed to save '{shown}' to the cache"))?;
            }
            built
        }
        None if options.no_commit => {
            build::build_with_progress(workspace.root(), path, &options_build, state, progress)
                .with_context(|| format!("failed to hash '{shown}'"))?
        }
        None if linking || previous_output.is_some() => {
            let built =
                build::build_with_progress(workspace.root(), path, &options_build, state, progress)
                    .with_context(|| format!("failed to hash '{shown}'"))?;
            let recorded = previous_output.as_ref().and_then(|(_, o)| o.md5);
            if recorded == Some(built.object_id())
                && in_cache_with(&odb, &built.object_id(), Some(&mut *state))
            {
                stored = false;
            } else if linking {
                build::commit_by_moving(&odb, path, &built, jobs, progress)
                    .with_context(|| format!("failed to move '{shown}' into the cache"))?;
            } else {
                build::commit(&odb, path, &built, jobs, progress)
                    .with_context(|| format!("failed to save '{shown}' to the cache"))?;
            }
            built
        }
        None => build::build_into_with_progress(
            workspace.root(),
            path,
            &options_build,
            state,
            &odb,
            progress,
        )
        .with_context(|| format!("failed to save '{shown}' to the cache"))?,
    };
    if !options.no_commit {
        mark_complete(&odb, &built.object_id(), state);
    }
    if built.is_empty() {
        report.empty.push(shown.to_string());
    }

    // The `.dvc` file: a new one, or the existing one updated in place.
    let mut output = match &previous_output {
        Some((_, existing)) => existing.clone(),
        None => Output {
            path: name.clone(),
            ..Output::default()
        },
    };
    record_built(&mut output, &built, hash_name);
    let text = match (&previous, &previous_output) {
        (Some(entry), Some((index, _))) => {
            let mut file = entry.file.clone();
            file.outs[*index] = output;
            file.update_yaml(&entry.text)
                .map_err(|e| CommandError(format!("failed to update '{shown}.dvc': {e}")))?
        }
        _ => DvcFile::with_output(output).to_yaml(),
    };
    if previous.as_ref().map(|p| p.text.as_str()) != Some(text.as_str()) {
        crate::confine::write_metafile(workspace, &dvc_path, text.as_bytes())
            .with_context(|| format!("failed to write '{}'", dvc_path.display()))?;
    }
    report.to_track.push(dvc_path);

    if let Some(gitignore) = ignore_output(workspace, path)? {
        report.to_track.push(gitignore);
    }
    // With hardlink/symlink caches the workspace copy is replaced by a link (spec §5.3);
    // with reflink/copy the file already has the cached content and is left in place.
    if linking && stored {
        link_from_cache(workspace, &odb, &built, path, links, jobs, progress)?;
    }
    Ok(())
}
