//! [`IncomingFile`]: a network download on its way to its destination: written to a
//! `.<random>.tmp` sibling (DVC's temporary name pattern, spec §3.1) and hashed chunk by chunk,
//! renamed over the destination only once complete and accepted; dropped, it leaves nothing
//! behind.

use std::path::PathBuf;

use tokio::io::AsyncWriteExt as _;

use crate::content_check::ContentHasher;
use crate::error::{RemoteError, RemoteLabel};
use crate::local::{parent_dir, temporary_in};

/// A download being written; see the module documentation.
pub(crate) struct IncomingFile {
    label: RemoteLabel,
    destination: PathBuf,
    /// Removed on drop unless persisted.
    temporary: tempfile::NamedTempFile,
    output: tokio::fs::File,
    hasher: ContentHasher,
}

impl IncomingFile {
    /// Creates the parent directories of `destination` and the temporary file next to it.
    pub(crate) async fn create(
        label: &RemoteLabel,
        destination: PathBuf,
        hasher: ContentHasher,
    ) -> Result<Self, RemoteError> {
        let io_error = |action: &'static str, path: PathBuf, source| RemoteError::Io {
            remote: label.clone(),
            action,
            path,
            source,
        };
        let parent = parent_dir(&destination).to_owned();
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|error| io_error("create directory", parent.clone(), error))?;
        let temporary = temporary_in(&parent)
            .map_err(|error| io_error("create a temporary file in", parent.clone(), error))?;
        let handle = temporary
            .as_file()
            .try_clone()
            .map_err(|error| io_error("write", temporary.path().to_owned(), error))?;
        Ok(IncomingFile {
            label: label.clone(),
            destination,
            temporary,
            output: tokio::fs::File::from_std(handle),
            hasher,
        })
    }

    fn io_error(&self, action: &'static str, source: std::io::Error) -> RemoteError {
        RemoteError::Io {
            remote: self.label.clone(),
            action,
            path: self.destination.clone(),
            source,
        }
    }

    /// Appends the next bytes; fails, writing nothing more, when they take the content past
    /// the object's recorded size (the caller drops the file, which removes it).
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<(), RemoteError> {
        self.hasher.update(chunk, &self.label)?;
        self.output
            .write_all(chunk)
            .await
            .map_err(|error| self.io_error("write", error))
    }

    /// Flushes the file and, if `accept` agrees with the digest of everything written, renames
    /// it over the destination; otherwise returns `accept`'s error and removes the file.
    pub(crate) async fn persist_if(
        mut self,
        accept: impl FnOnce(&[u8; 16]) -> Result<(), RemoteError>,
    ) -> Result<[u8; 16], RemoteError> {
        self.output
            .flush()
            .await
            .map_err(|error| self.io_error("write", error))?;
        let IncomingFile {
            label,
            destination,
            temporary,
            output,
            hasher,
        } = self;
        drop(output);
        let digest = hasher.finish();
        // On rejection, dropping `temporary` removes it.
        accept(&digest)?;
        temporary
            .persist(&destination)
            .map_err(|error| RemoteError::Io {
                remote: label,
                action: "rename into place",
                path: destination,
                source: error.error,
            })?;
        Ok(digest)
    }
}
