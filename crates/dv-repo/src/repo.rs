//! Locating a DVC repository: the nearest ancestor of the working directory holding `.dvc/`.

use std::path::{Path, PathBuf};

use crate::error::NotDvcRepoError;

/// Name of the DVC directory.
pub const DVC_DIR: &str = ".dvc";

/// A DVC repository on disk.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    /// The repository containing `start` (walking up to the mount point, like DVC).
    pub fn discover(start: &Path) -> Result<Repo, NotDvcRepoError> {
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = start.as_path();
        loop {
            if dir.join(DVC_DIR).is_dir() {
                return Ok(Repo {
                    root: dir.to_path_buf(),
                });
            }
            match dir.parent() {
                Some(parent) if !is_mount_point(dir, parent) => dir = parent,
                _ => return Err(NotDvcRepoError(dir.to_path_buf())),
            }
        }
    }

    /// A repository at a known root.
    pub fn at(root: PathBuf) -> Repo {
        Repo { root }
    }

    /// The repository root (the directory holding `.dvc/`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/.dvc`.
    pub fn dvc_dir(&self) -> PathBuf {
        self.root.join(DVC_DIR)
    }

    /// `<root>/.dvc/tmp`, git-ignored scratch space.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dvc_dir().join("tmp")
    }
}

#[cfg(unix)]
fn is_mount_point(dir: &Path, parent: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(dir), std::fs::metadata(parent)) {
        (Ok(a), Ok(b)) => a.dev() != b.dev() || a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_mount_point(_dir: &Path, _parent: &Path) -> bool {
    false
}
