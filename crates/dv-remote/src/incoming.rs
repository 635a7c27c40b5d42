//! Files on their way into place: temporary siblings named by `dv-fs` (`.<random>.tmp`, DVC's
//! temporary name pattern, spec §3.1), and [`IncomingFile`], a network download written to one
//! and hashed chunk by chunk. [`persist_checked`] is where every download, local or network,
//! is accepted (renamed over its destination) or refused (removed).
//!
//! An [`IncomingFile`] is written in place on the async task, not through tokio's blocking
//! pool: a chunk goes to the page cache in microseconds, while a hand-over to the pool and back
//! costs two thread wake-ups, which for many small objects took more CPU than the writes.

use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use dv_fs::temp::NamedTempFile;
use dv_schema::hash::Md5;

use crate::content_check::{ContentHasher, Expected};
use crate::error::{RemoteError, RemoteLabel};

/// The directory containing `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A new `.<random>.tmp` file in `dir` created with `mode` minus the umask (0666 for any new
/// file, 0444 for the read-only mode of DVC's objects without a `chmod`); removed when dropped
/// unless persisted.
pub(crate) fn temporary_in(dir: &Path, mode: u32) -> io::Result<NamedTempFile> {
    dv_fs::temp::create_in(dir, |path| {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        options.open(path)
    })
}

/// Accepts the download written to `temporary`, hashed by `hasher`, if it is what `expected`
/// says, renaming it over `destination`; otherwise removes it. Returns the digest.
pub(crate) fn persist_checked(
    temporary: NamedTempFile<File>,
    destination: &Path,
    hasher: ContentHasher,
    expected: &Expected,
    label: &RemoteLabel,
) -> Result<Md5, RemoteError> {
    let digest = hasher.finish();
    // On rejection, dropping `temporary` removes it.
    expected.accept(&digest, label)?;
    temporary
        .persist(destination)
        .map_err(|error| RemoteError::Io {
            remote: label.clone(),
            action: "rename into place",
            path: destination.to_owned(),
            source: error.error,
        })?;
    Ok(digest)
}

/// A network download being written; see the module documentation. Dropped, it leaves
/// nothing behind.
pub(crate) struct IncomingFile {
    label: RemoteLabel,
    destination: PathBuf,
    /// Removed on drop unless persisted.
    temporary: NamedTempFile,
    hasher: ContentHasher,
}

impl IncomingFile {
    /// Creates the parent directories of `destination` and the temporary file next to it,
    /// hashing for `expected`.
    pub(crate) fn create(
        label: &RemoteLabel,
        destination: PathBuf,
        expected: &Expected,
    ) -> Result<Self, RemoteError> {
        let io_error = |action: &'static str, path: PathBuf, source| RemoteError::Io {
            remote: label.clone(),
            action,
            path,
            source,
        };
        let parent = parent_dir(&destination).to_owned();
        // Most parents exist already (a cache's shard directories fill up quickly): create
        // the directories only when the temporary file cannot be.
        let temporary = match temporary_in(&parent, 0o666) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&parent)
                    .map_err(|error| io_error("create directory", parent.clone(), error))?;
                temporary_in(&parent, 0o666)
            }
            created => created,
        }
        .map_err(|error| io_error("create a temporary file in", parent.clone(), error))?;
        Ok(IncomingFile {
            label: label.clone(),
            destination,
            temporary,
            hasher: ContentHasher::new(expected),
        })
    }

    /// Appends the next bytes; fails, writing nothing more, when they take the content past
    /// the object's recorded size (the caller drops the file, which removes it).
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), RemoteError> {
        self.hasher.update(chunk, &self.label)?;
        self.temporary
            .as_file_mut()
            .write_all(chunk)
            .map_err(|error| RemoteError::Io {
                remote: self.label.clone(),
                action: "write",
                path: self.destination.clone(),
                source: error,
            })
    }

    /// [`persist_checked`]s the file (written unbuffered: nothing to flush).
    pub(crate) fn persist(self, expected: &Expected) -> Result<Md5, RemoteError> {
        let IncomingFile {
            label,
            destination,
            temporary,
            hasher,
        } = self;
        persist_checked(temporary, &destination, hasher, expected, &label)
    }
}
