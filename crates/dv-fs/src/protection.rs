//! Making linked workspace files independent and writable again (DVC's `unprotect`, spec §5.3).
//!
//! A workspace file that is a hard link or a symbolic link to a cache object is replaced by a
//! copy made under a temporary sibling name and renamed over it, so a reader never sees a
//! partial file. Every unprotected file ends with the mode of a new file (`0666 & ~umask`),
//! like DVC's `chmod` after unprotecting (which also drops execute bits).

use std::io;
use std::path::Path;

use crate::{link, temp};

/// Whether [`unprotect_file`] replaced a link by a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unprotected {
    /// The file was a hard link or a symlink and is now an independent copy.
    Copied,
    /// The file was already independent; only its mode was reset.
    ModeReset,
}

/// Replaces the hard link or symlink at `path` by a writable copy of its content, or resets the
/// mode of an independent file to that of a new file.
pub fn unprotect_file(path: &Path) -> io::Result<Unprotected> {
    let metadata = std::fs::symlink_metadata(path)?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if metadata.file_type().is_symlink() || link_count(&metadata) > 1 {
        let temp = temp::create_in(dir, |candidate| link::copy_file(path, candidate))?;
        temp.persist(path).map_err(|error| error.error)?;
        return Ok(Unprotected::Copied);
    }
    let wanted = default_permissions(dir)?;
    if metadata.permissions() != wanted {
        std::fs::set_permissions(path, wanted)?;
    }
    Ok(Unprotected::ModeReset)
}

/// The permissions a new file gets in `dir` (`0666 & ~umask`), found by creating one: the
/// umask can only be read by changing it, which would race with other threads.
fn default_permissions(dir: &Path) -> io::Result<std::fs::Permissions> {
    let probe = temp::create_in(dir, crate::atomic::create_new_file)?;
    Ok(probe.as_file().metadata()?.permissions())
}

#[cfg(unix)]
fn link_count(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(metadata)
}

#[cfg(not(unix))]
fn link_count(_metadata: &std::fs::Metadata) -> u64 {
    1
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn links_become_writable_copies() {
        let dir = tempfile::tempdir().expect("temp dir");
        let object = dir.path().join("object");
        std::fs::write(&object, b"data").expect("write");
        std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        let hard = dir.path().join("hard");
        std::fs::hard_link(&object, &hard).expect("hard link");
        let soft = dir.path().join("soft");
        std::os::unix::fs::symlink(&object, &soft).expect("symlink");

        assert_eq!(unprotect_file(&hard).expect("hard"), Unprotected::Copied);
        assert_eq!(unprotect_file(&soft).expect("soft"), Unprotected::Copied);
        for path in [&hard, &soft] {
            let metadata = std::fs::symlink_metadata(path).expect("stat");
            assert!(metadata.is_file());
            assert_ne!(metadata.permissions().mode() & 0o200, 0, "writable");
            assert_eq!(std::fs::read(path).expect("read"), b"data");
        }
        let object_mode = std::fs::metadata(&object)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(object_mode & 0o777, 0o444, "the cache object is untouched");
    }

    #[test]
    fn independent_files_get_the_default_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("run.sh");
        std::fs::write(&file, b"#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(
            unprotect_file(&file).expect("unprotect"),
            Unprotected::ModeReset
        );
        let mode = std::fs::metadata(&file).expect("stat").permissions().mode();
        assert_eq!(mode & 0o111, 0, "execute bits dropped like dvc");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("list").count(),
            1,
            "no probe left"
        );
    }
}
