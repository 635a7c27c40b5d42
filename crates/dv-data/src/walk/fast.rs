//! The common case of [`walk_dir`](super::walk_dir) without the general walker: a directory
//! tree holding no `.dvcignore` file, only regular files, directories and symbolic links, all
//! named in UTF-8.
//!
//! Each directory is listed once and its files are stat'ed relative to the open directory
//! (one name to resolve instead of the whole path), sub-directories and large directories on
//! the walk's threads. The rules are those of the general walker: the built-in ignores, nested
//! repositories, `.dvcignore` files above the walked directory, links to files followed and
//! links to directories skipped. Anything else (a `.dvcignore` inside, an unreadable entry, a
//! special file, a name that is not UTF-8) gives `None`, and the general walker lists the
//! directory again, with its errors.

use std::fs::{DirEntry, FileType};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use dv_schema::dir_manifest::RelPath;
use ignore::gitignore::Gitignore;
use rayon::prelude::*;

use super::{DVCIGNORE, WalkedFile, is_always_ignored, is_nested_repo, is_path_ignored_above};
use crate::state::FileStamp;

/// Directories with more files than this have them stat'ed in parallel.
pub(super) const PARALLEL_FILES: usize = 256;

/// The files under `dir` (absolute, a directory and not a link to one), sorted by relpath;
/// `None` when the general walker must decide.
pub(super) fn walk(
    dir: &Path,
    ancestors: &[Gitignore],
    jobs: NonZeroUsize,
) -> Option<Vec<WalkedFile>> {
    if !std::fs::symlink_metadata(dir).ok()?.is_dir() {
        return None;
    }
    let threads = crate::pool::cap_threads(jobs).get();
    let mut files = if threads == 1 {
        list(dir, "", ancestors, false)?
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .ok()?
            .install(|| list(dir, "", ancestors, true))?
    };
    files.sort_unstable_by(|a, b| a.relpath.as_str().cmp(b.relpath.as_str()));
    Some(files)
}

/// A non-directory entry waiting for its metadata.
struct Pending {
    entry: DirEntry,
    file_type: FileType,
    path: PathBuf,
    relpath: String,
}

/// The files under `dir`, whose relpath starts with `prefix` (empty or ending in `/`).
fn list(
    dir: &Path,
    prefix: &str,
    ancestors: &[Gitignore],
    parallel: bool,
) -> Option<Vec<WalkedFile>> {
    let mut pending = Vec::new();
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name();
        if name == DVCIGNORE {
            return None;
        }
        let file_type = entry.file_type().ok()?;
        let is_dir = file_type.is_dir();
        if is_always_ignored(&name, is_dir) {
            continue;
        }
        let name = name.into_string().ok()?;
        let path = entry.path();
        if (is_dir && is_nested_repo(&path)) || is_path_ignored_above(ancestors, &path, is_dir) {
            continue;
        }
        let relpath = format!("{prefix}{name}");
        if is_dir {
            dirs.push((path, relpath + "/"));
        } else {
            pending.push(Pending {
                entry,
                file_type,
                path,
                relpath,
            });
        }
    }
    let mut files: Vec<WalkedFile> = if parallel && pending.len() > PARALLEL_FILES {
        pending
            .into_par_iter()
            .map(stat)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()
    } else {
        pending
            .into_iter()
            .map(stat)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()
    };
    let below: Vec<Vec<WalkedFile>> = if parallel && dirs.len() > 1 {
        dirs.par_iter()
            .map(|(path, prefix)| list(path, prefix, ancestors, parallel))
            .collect::<Option<_>>()?
    } else {
        dirs.iter()
            .map(|(path, prefix)| list(path, prefix, ancestors, parallel))
            .collect::<Option<_>>()?
    };
    for mut more in below {
        files.append(&mut more);
    }
    Some(files)
}

/// The walked file of `pending`: `Some(None)` for a link to a directory (skipped), `None` when
/// the general walker must decide.
fn stat(pending: Pending) -> Option<Option<WalkedFile>> {
    let metadata = if pending.file_type.is_symlink() {
        let metadata = std::fs::metadata(&pending.path).ok()?;
        if metadata.is_dir() {
            return Some(None);
        }
        metadata
    } else {
        pending.entry.metadata().ok()?
    };
    if !metadata.is_file() {
        return None;
    }
    Some(Some(WalkedFile {
        relpath: RelPath::new(pending.relpath).ok()?,
        path: pending.path,
        size: metadata.len(),
        isexec: dv_fs::link::is_executable(&metadata),
        stamp: FileStamp::from_metadata(&metadata),
    }))
}
