//! Atomic file replacement: write a temporary sibling, then rename it over the target.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::temp;

/// Why a file could not be written atomically.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    /// The path has no parent directory to hold the temporary file.
    #[error("cannot write `{0}`: it has no parent directory")]
    NoParent(PathBuf),
    /// Creating or writing the temporary sibling failed.
    #[error("failed to write a temporary file next to `{path}`")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Renaming the temporary file over the target failed.
    #[error("failed to move a temporary file to `{path}`")]
    Rename {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Replaces the content of `path` with `contents` so that no reader ever sees a partial file.
///
/// A new file gets the default mode (`0666 & ~umask`), like a file DVC opens for writing; an
/// existing file keeps its permissions.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), AtomicWriteError> {
    let dir = match path.parent() {
        Some(parent) if parent.as_os_str().is_empty() => Path::new("."),
        Some(parent) => parent,
        None => return Err(AtomicWriteError::NoParent(path.to_path_buf())),
    };
    let write_error = |source| AtomicWriteError::Write {
        path: path.to_path_buf(),
        source,
    };
    let existing_permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut temp = temp::create_in(dir, create_new_file).map_err(write_error)?;
    temp.as_file_mut()
        .write_all(contents)
        .map_err(write_error)?;
    if let Some(permissions) = existing_permissions {
        temp.as_file()
            .set_permissions(permissions)
            .map_err(write_error)?;
    }
    temp.persist(path)
        .map(drop)
        .map_err(|error| AtomicWriteError::Rename {
            path: path.to_path_buf(),
            source: error.error,
        })
}

/// Creates a new file with mode `0666` before the umask, failing if `path` exists.
pub fn create_new_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o666);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.dvc");
        write_atomic(&path, b"one\n").expect("first write");
        write_atomic(&path, b"two\n").expect("second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.dvc")]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_default_permissions_and_existing_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        write_atomic(&path, b"x").expect("write");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode & 0o600, 0o600, "owner can read and write: {mode:o}");
        assert_eq!(mode & 0o111, 0, "not executable: {mode:o}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write_atomic(&path, b"y").expect("rewrite");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("missing/f");
        let error = write_atomic(&path, b"x").expect_err("parent does not exist");
        assert!(error.to_string().contains("missing/f"), "{error}");
    }
}
