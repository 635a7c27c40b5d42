//! An output in the workspace and in the cache: how its workspace content compares with what is
//! recorded, whether the cache holds its objects (with complete trees remembered in the hash
//! cache), hashing it for saving, recording the built object in its entry, and linking a freshly
//! cached output back from the cache.

use std::num::NonZeroUsize;
use std::path::Path;

use anyhow::Context;
use dv_data::build::{self, BuildOptions, Built, Compared};
use dv_data::checkout::{self as data_checkout, CheckoutOptions as LinkOptions};
use dv_data::odb::Odb;
use dv_data::progress::{Phase, Progress};
use dv_data::state::State;
use dv_fs::link::LinkType;
use dv_schema::dvc_file::Output;
use dv_schema::hash::{HashName, ObjectId};

use crate::error::DvcError;
use crate::workspace::Workspace;

/// How a workspace output compares with what its `.dvc` file records.
#[derive(Debug)]
pub(crate) enum OutputState {
    /// Nothing at the path.
    Missing,
    /// The workspace content hashes to the recorded object.
    Unchanged,
    /// The workspace content differs.
    Changed(Built),
}

/// Builds the workspace content of `output` (hashed like the recorded entry) and compares it.
pub(crate) fn output_state(
    workspace: &Workspace,
    path: &Path,
    output: &Output,
    jobs: std::num::NonZeroUsize,
    state: &mut State,
) -> anyhow::Result<OutputState> {
    // Nothing there, or a link to nothing (or to itself): the output is deleted, and checkout
    // replaces the link.
    if let Err(error) = std::fs::metadata(path)
        && (error.kind() == std::io::ErrorKind::NotFound
            || error.raw_os_error() == Some(libc::ELOOP))
    {
        return Ok(OutputState::Missing);
    }
    let compared = build::build_unless_same(
        workspace.root(),
        path,
        &BuildOptions {
            hash_name: output.hash_name,
            jobs,
        },
        state,
        output.md5.as_ref(),
    )
    .map_err(|error| {
        anyhow::Error::new(error).context(crate::DvcError(format!(
            "failed to hash '{}'",
            dv_schema::shown::escape_name(&workspace.display_path(path))
        )))
    })?;
    Ok(match compared {
        Compared::Same => OutputState::Unchanged,
        Compared::Built(built) => OutputState::Changed(built),
    })
}

/// Whether object `id` (and, for a tree, every file it lists) is in the cache.
pub(crate) fn in_cache(odb: &Odb, id: &ObjectId) -> bool {
    in_cache_with(odb, id, None)
}

/// Whether object `id` is present and can be used: read-only objects are trusted, others are
/// re-hashed, so an object whose content no longer matches its name is never checked out as
/// if it were good (DVC's rule, spec §3.1).
fn is_valid(odb: &Odb, id: &ObjectId) -> bool {
    matches!(odb.check(id, true), Ok(dv_data::odb::ObjectState::Valid))
}

/// Records that tree `id` and every file it lists are in `odb` (right after storing them),
/// so the next status does not check its objects one by one.
pub(crate) fn mark_complete(odb: &Odb, id: &ObjectId, state: &mut State) {
    if id.is_tree() {
        let (key, stamp) = complete_tree_key(odb, id);
        state.insert(&key, stamp, id.md5);
    }
}

fn complete_tree_key(odb: &Odb, id: &ObjectId) -> (String, dv_data::state::FileStamp) {
    let key = format!("\0complete-tree:{}:{}", odb.objects_dir().display(), id);
    let stamp = dv_data::state::FileStamp {
        inode: 0,
        mtime_ns: 0,
        size: odb.fingerprint(),
    };
    (key, stamp)
}

/// Whether the hash cache remembers tree `id` as complete in `odb` (present with every file
/// it lists) and the cache has not changed since ([`mark_complete`], [`in_cache_with`]).
pub(crate) fn known_complete(odb: &Odb, id: &ObjectId, state: &State) -> bool {
    if !id.is_tree() {
        return false;
    }
    let (key, stamp) = complete_tree_key(odb, id);
    state.get(&key, &stamp) == Some(id.md5)
}

/// [`in_cache`], remembering complete trees in the hash cache: a tree found complete is not
/// re-checked file by file while the cache's fingerprint (shard directory mtimes, which any
/// added or removed object changes) stays the same.
pub(crate) fn in_cache_with(odb: &Odb, id: &ObjectId, state: Option<&mut State>) -> bool {
    if !is_valid(odb, id) {
        return false;
    }
    if !id.is_tree() {
        return true;
    }
    let (key, stamp) = complete_tree_key(odb, id);
    if let Some(state) = &state
        && state.get(&key, &stamp) == Some(id.md5)
    {
        return true;
    }
    let complete = match odb.read_tree(id) {
        Ok(manifest) => manifest.entries().iter().all(|entry| {
            entry
                .hash
                .md5()
                .is_some_and(|md5| is_valid(odb, &ObjectId::file(md5)))
        }),
        Err(_) => false,
    };
    if complete && let Some(state) = state {
        state.insert(&key, stamp, id.md5);
    }
    complete
}

/// Replaces the workspace copy of a freshly cached output with links from the cache
/// (`dvc add` with a hardlink or symlink `cache.type`), counting the files linked in
/// `progress`.
pub(crate) fn link_from_cache(
    workspace: &Workspace,
    odb: &Odb,
    built: &Built,
    path: &Path,
    links: &[LinkType],
    jobs: NonZeroUsize,
    progress: &Progress,
) -> anyhow::Result<()> {
    crate::confine::guard_write_error(workspace, path)?;
    match built {
        Built::File { md5, isexec, .. } => {
            progress.start(Phase::Linking, 1, 0);
            data_checkout::checkout_file(odb, &ObjectId::file(*md5), path, *isexec, links)?;
            progress.advance(Phase::Linking, 1, 0);
        }
        Built::Tree { manifest, .. } => {
            data_checkout::checkout_tree(
                odb,
                manifest,
                path,
                &LinkOptions {
                    links: links.to_vec(),
                    jobs,
                },
                progress,
            )?;
        }
    }
    Ok(())
}

pub(crate) fn build_as_recorded(
    workspace: &Workspace,
    path: &Path,
    output: &Output,
    jobs: NonZeroUsize,
    state: &mut State,
    progress: &Progress,
) -> anyhow::Result<Built> {
    build::build_with_progress(
        workspace.root(),
        path,
        &BuildOptions {
            hash_name: output.hash_name,
            jobs,
        },
        state,
        progress,
    )
    .with_context(|| format!("failed to hash '{}'", workspace.display_path(path)))
}

/// Hashes an output for saving: a legacy output keeps md5-dos2unix while its content is
/// unchanged and switches to md5 once it changed (spec §3.3). Files hashed are counted in
/// `progress`.
pub(crate) fn build_for_save(
    workspace: &Workspace,
    path: &Path,
    output: &Output,
    jobs: NonZeroUsize,
    state: &mut State,
    progress: &Progress,
) -> anyhow::Result<(HashName, Built)> {
    let built = build_as_recorded(workspace, path, output, jobs, state, progress)?;
    if output.is_legacy() && Some(built.object_id()) != output.md5 {
        let upgraded = Output {
            hash_name: HashName::Md5,
            ..output.clone()
        };
        return Ok((
            HashName::Md5,
            build_as_recorded(workspace, path, &upgraded, jobs, state, progress)?,
        ));
    }
    Ok((output.hash_name, built))
}

/// Records a built object in an output entry (`md5`, `size`, `nfiles` or `isexec`, `hash`),
/// as DVC's `Output.save` does; version-aware `files` are dropped.
pub(crate) fn record_built(output: &mut Output, built: &Built, hash_name: HashName) {
    output.md5 = Some(built.object_id());
    output.size = Some(built.size());
    output.hash_name = hash_name;
    output.files = None;
    match built {
        Built::File { isexec, .. } => {
            output.nfiles = None;
            output.isexec = *isexec;
        }
        Built::Tree { nfiles, .. } => {
            output.nfiles = Some(*nfiles);
            output.isexec = false;
        }
    }
}

/// Removes a file, symlink or directory tree; a missing path is fine.
pub(crate) fn remove_path(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// Unprotects `path` (a file, or every file under a directory, symlinked directories not
/// entered); returns how many links became copies.
pub(crate) fn unprotect_path(path: &Path) -> anyhow::Result<usize> {
    let metadata = std::fs::symlink_metadata(path)
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    if !metadata.is_dir() {
        let result = dv_fs::protection::unprotect_file(path)
            .with_context(|| format!("failed to unprotect `{}`", path.display()))?;
        return Ok(usize::from(
            result == dv_fs::protection::Unprotected::Copied,
        ));
    }
    let mut copied = 0;
    let entries =
        std::fs::read_dir(path).with_context(|| format!("failed to list `{}`", path.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to list `{}`", path.display()))?;
        copied += unprotect_path(&entry.path())?;
    }
    Ok(copied)
}

/// DVC's error for outputs the cache cannot provide (`CheckoutError`).
pub fn missing_error(failed: &[String]) -> DvcError {
    DvcError(format!(
        "Checkout failed for following targets:\n{}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>",
        failed.join("\n")
    ))
}
