//! Materialising cached objects in the workspace (spec §5.3, §10.4).
//!
//! Each file is linked from the cache with the first working link type of `cache.type`
//! (default `reflink,copy`) under a temporary name and renamed over the destination, so a
//! workspace file is always either the old or the new content. `isexec` files get `u+x`
//! afterwards (not through symlinks: that would change the cache object); files inside a tree
//! never do, because manifests record no mode. Manifest relpaths are validated when parsed, and
//! a checkout also refuses to write through a symlinked directory inside the destination, so no
//! file is ever written outside it.

use std::collections::BTreeSet;
use std::io;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use dv_fs::link::{LinkError, LinkType};
use dv_schema::dir_manifest::{DirManifest, EntryHash, RelPath};
use dv_schema::hash::ObjectId;

use crate::odb::{Odb, OdbError};
use crate::pool;
use crate::progress::{Phase, Progress};

/// How to check out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutOptions {
    /// Link types to try in order (`cache.type`).
    pub links: Vec<LinkType>,
    /// At most this many threads link files.
    pub jobs: NonZeroUsize,
}

impl Default for CheckoutOptions {
    fn default() -> Self {
        CheckoutOptions {
            links: dv_fs::link::DEFAULT_LINK_TYPES.to_vec(),
            jobs: NonZeroUsize::MIN,
        }
    }
}

/// Why a checkout failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// A file object is not in the cache.
    #[error("object {id} for `{path}` is not in the cache")]
    MissingObject {
        /// The missing object.
        id: ObjectId,
        /// The workspace path it was meant for.
        path: PathBuf,
    },
    /// A manifest entry has no md5 (trees of cloud dependencies cannot be checked out).
    #[error("`{relpath}` in the directory object has no md5")]
    NotAnMd5Entry {
        /// The entry.
        relpath: RelPath,
    },
    /// A manifest entry would be written through a symbolic link or outside the destination.
    #[error("refusing to write `{relpath}` outside `{dest}` (through `{through}`)")]
    Escapes {
        /// The entry.
        relpath: RelPath,
        /// The checkout destination.
        dest: PathBuf,
        /// The offending path component.
        through: PathBuf,
    },
    /// Reading the cache failed.
    #[error(transparent)]
    Odb(#[from] OdbError),
    /// Linking a file failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A filesystem operation failed.
    #[error("failed to {action} `{path}`")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Checks out object `id` (file or tree) at `dest`. `isexec` applies to file objects only.
pub fn checkout(
    odb: &Odb,
    id: &ObjectId,
    dest: &Path,
    isexec: bool,
    options: &CheckoutOptions,
) -> Result<(), CheckoutError> {
    if id.is_tree() {
        let manifest = odb.read_tree(id)?;
        checkout_tree(odb, &manifest, dest, options, &Progress::default())
    } else {
        checkout_file(odb, id, dest, isexec, &options.links).map(drop)
    }
}

/// Links file object `id` to `dest` (replacing a file there), adds `u+x` when `isexec`, and
/// returns the link type used.
pub fn checkout_file(
    odb: &Odb,
    id: &ObjectId,
    dest: &Path,
    isexec: bool,
    links: &[LinkType],
) -> Result<LinkType, CheckoutError> {
    let object = odb.object_path(id);
    if !object.is_file() {
        return Err(CheckoutError::MissingObject {
            id: *id,
            path: dest.to_path_buf(),
        });
    }
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| CheckoutError::Io {
            action: "create directory",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let used = dv_fs::link::link_replace(&object, dest, links)?;
    if isexec && used != LinkType::Symlink {
        dv_fs::link::add_user_exec(dest).map_err(|source| CheckoutError::Io {
            action: "set permissions of",
            path: dest.to_path_buf(),
            source,
        })?;
    }
    Ok(used)
}

/// Checks out every file of `manifest` under `dest_dir` (files not in the manifest are left
/// alone). All objects are checked to be present before anything is written. Files linked are
/// counted in `progress` ([`Phase::Linking`]).
pub fn checkout_tree(
    odb: &Odb,
    manifest: &DirManifest,
    dest_dir: &Path,
    options: &CheckoutOptions,
    progress: &Progress,
) -> Result<(), CheckoutError> {
    let mut jobs = Vec::with_capacity(manifest.len());
    for entry in manifest.entries() {
        let EntryHash::Md5(md5) = entry.hash else {
            return Err(CheckoutError::NotAnMd5Entry {
                relpath: entry.relpath.clone(),
            });
        };
        let id = ObjectId::file(md5);
        let dest = join_relpath(dest_dir, &entry.relpath);
        if !odb.contains(&id) {
            return Err(CheckoutError::MissingObject { id, path: dest });
        }
        jobs.push((id, dest, &entry.relpath));
    }
    create_parents(dest_dir, manifest)?;
    progress.start(Phase::Linking, jobs.len() as u64, 0);
    let results = pool::map(options.jobs, &jobs, |(id, dest, _)| {
        let linked = dv_fs::link::link_replace(&odb.object_path(id), dest, &options.links);
        progress.advance(Phase::Linking, 1, 0);
        linked
    });
    for result in results {
        result?;
    }
    Ok(())
}

/// `dest_dir` joined with the components of `relpath`.
fn join_relpath(dest_dir: &Path, relpath: &RelPath) -> PathBuf {
    let mut path = dest_dir.to_path_buf();
    path.extend(relpath.components());
    path
}

/// Creates `dest_dir` (replacing a symbolic link there) and every directory the manifest's files
/// live in, refusing to go through anything that is not a real directory (a symlink could point
/// outside `dest_dir`).
fn create_parents(dest_dir: &Path, manifest: &DirManifest) -> Result<(), CheckoutError> {
    // A symbolic link where the directory goes is replaced, never written through.
    if std::fs::symlink_metadata(dest_dir).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(dest_dir).map_err(|source| CheckoutError::Io {
            action: "remove the symbolic link",
            path: dest_dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::create_dir_all(dest_dir).map_err(|source| CheckoutError::Io {
        action: "create directory",
        path: dest_dir.to_path_buf(),
        source,
    })?;
    let mut directories: BTreeSet<(Vec<&str>, &RelPath)> = BTreeSet::new();
    for entry in manifest.entries() {
        let components: Vec<&str> = entry.relpath.components().collect();
        for depth in 1..components.len() {
            directories.insert((components[..depth].to_vec(), &entry.relpath));
        }
    }
    let mut done: BTreeSet<Vec<&str>> = BTreeSet::new();
    for (components, relpath) in directories {
        if !done.insert(components.clone()) {
            continue;
        }
        let mut path = dest_dir.to_path_buf();
        path.extend(&components);
        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(CheckoutError::Escapes {
                    relpath: relpath.clone(),
                    dest: dest_dir.to_path_buf(),
                    through: path,
                });
            }
            Ok(_) => {
                return Err(CheckoutError::Io {
                    action: "create directory",
                    path,
                    source: io::Error::new(io::ErrorKind::AlreadyExists, "a file is in the way"),
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir(&path).map_err(|source| CheckoutError::Io {
                    action: "create directory",
                    path: path.clone(),
                    source,
                })?;
            }
            Err(source) => {
                return Err(CheckoutError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        }
    }
    Ok(())
}
