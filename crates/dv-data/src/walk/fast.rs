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
    if threads == 1 {
        return list(dir, "", ancestors, false);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .ok()?
        .install(|| list(dir, "", ancestors, true))
}

/// A non-directory entry waiting for its metadata.
struct Pending {
    entry: DirEntry,
    file_type: FileType,
    path: PathBuf,
    relpath: String,
}

/// The files under `dir`, whose relpath starts with `prefix` (empty or ending in `/`), sorted
/// by relpath.
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
        let mut relpath = String::with_capacity(prefix.len() + name.len() + 1);
        relpath.push_str(prefix);
        relpath.push_str(&name);
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
    // A link to a directory is skipped: `Some(None)` from `stat`.
    let mut files: Vec<WalkedFile> = if parallel && pending.len() > PARALLEL_FILES {
        pending
            .into_par_iter()
            .filter_map(|pending| match stat(pending) {
                None => Some(None),
                Some(None) => None,
                Some(Some(file)) => Some(Some(file)),
            })
            .collect::<Option<_>>()?
    } else {
        let mut files = Vec::with_capacity(pending.len());
        for pending in pending {
            files.extend(stat(pending)?);
        }
        files
    };
    // The result is sorted by relpath without a sort of the whole tree: this directory's files
    // and sub-directories (as `name/`, which orders against a sibling exactly as every path
    // below it does) are sorted here, and each sub-directory's sorted files take its place.
    files.sort_unstable_by(|a, b| a.relpath.as_str().cmp(b.relpath.as_str()));
    dirs.sort_unstable_by(|a, b| a.1.cmp(&b.1));
    let below: Vec<Vec<WalkedFile>> = if parallel && dirs.len() > 1 {
        dirs.par_iter()
            .map(|(path, prefix)| list(path, prefix, ancestors, parallel))
            .collect::<Option<_>>()?
    } else {
        dirs.iter()
            .map(|(path, prefix)| list(path, prefix, ancestors, parallel))
            .collect::<Option<_>>()?
    };
    if below.is_empty() {
        return Some(files);
    }
    let mut merged = Vec::with_capacity(files.len() + below.iter().map(Vec::len).sum::<usize>());
    let mut files = files.into_iter().peekable();
    for ((_, prefix), more) in dirs.iter().zip(below) {
        while let Some(file) = files.next_if(|file| file.relpath.as_str() < prefix.as_str()) {
            merged.push(file);
        }
        merged.extend(more);
    }
    merged.extend(files);
    Some(merged)
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
