//! Moving one object: uploads (one `PUT` up to 8 MiB, multipart above) and downloads that are
//! hashed on the way into a temporary file and renamed into place only when the hash matches.

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt as _;
use opendal::{ErrorKind, Operator};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;

use super::failure::Target;
use crate::batch::Event;
use crate::content_check::{ContentHasher, to_hex};
use crate::error::RemoteError;
use crate::local::{parent_dir, temporary_in};
use crate::object_key::ObjectKey;

/// Files up to this size are uploaded with one `PUT` (so their ETag is their MD5, as with DVC,
/// whose boto3 transfer threshold is also 8 MiB); larger ones in parts of this size.
const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
const MULTIPART_CHUNK: usize = 8 * 1024 * 1024;

/// Reports bytes of one item from a task.
pub(super) struct TaskReporter {
    pub(super) item: usize,
    pub(super) sender: mpsc::UnboundedSender<Event>,
}

impl TaskReporter {
    fn transferred(&self, bytes: u64) {
        // The receiver outlives every task; a failed send only means nobody listens.
        let _ = self.sender.send(Event::Transferred(self.item, bytes));
    }
}

/// Uploads `source` as `key`: one `PUT` up to [`MULTIPART_THRESHOLD`], else a multipart upload.
/// An S3 object appears atomically when the upload completes.
pub(super) async fn upload(
    target: Arc<Target>,
    operator: Operator,
    source: PathBuf,
    key: ObjectKey,
    reporter: TaskReporter,
) -> Result<(), RemoteError> {
    let path = key.remote_path();
    let mut file = tokio::fs::File::open(&source)
        .await
        .map_err(|error| target.io_error("read", source.clone(), error))?;
    let size = file
        .metadata()
        .await
        .map_err(|error| target.io_error("read", source.clone(), error))?
        .len();
    if size <= MULTIPART_THRESHOLD {
        let mut buffer = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut buffer)
            .await
            .map_err(|error| target.io_error("read", source.clone(), error))?;
        let length = buffer.len() as u64;
        operator
            .write(&path, buffer)
            .await
            .map_err(|error| target.error("upload", &path, &error))?;
        reporter.transferred(length);
        return Ok(());
    }
    let mut writer = operator
        .writer_with(&path)
        .chunk(MULTIPART_CHUNK)
        .await
        .map_err(|error| target.error("upload", &path, &error))?;
    loop {
        let mut buffer = Vec::with_capacity(MULTIPART_CHUNK);
        let read = match (&mut file)
            .take(MULTIPART_CHUNK as u64)
            .read_to_end(&mut buffer)
            .await
        {
            Ok(read) => read,
            Err(error) => {
                // Best effort: the upload already failed.
                let _ = writer.abort().await;
                return Err(target.io_error("read", source, error));
            }
        };
        if read == 0 {
            break;
        }
        if let Err(error) = writer.write(buffer).await {
            let _ = writer.abort().await;
            return Err(target.error("upload", &path, &error));
        }
        reporter.transferred(read as u64);
    }
    writer
        .close()
        .await
        .map_err(|error| target.error("upload", &path, &error))?;
    Ok(())
}

/// Downloads `key` to a temporary sibling of `destination` while hashing it, and renames it
/// into place only if the hash matches the key; otherwise the temporary file is removed.
pub(super) async fn download(
    target: Arc<Target>,
    operator: Operator,
    key: ObjectKey,
    destination: PathBuf,
    reporter: TaskReporter,
) -> Result<(), RemoteError> {
    let path = key.remote_path();
    let read_error = |error: &opendal::Error| {
        if error.kind() == ErrorKind::NotFound {
            RemoteError::MissingObject {
                remote: target.label.clone(),
                object: path.clone(),
            }
        } else {
            target.error("download", &path, error)
        }
    };
    let reader = operator
        .reader(&path)
        .await
        .map_err(|error| read_error(&error))?;
    let mut stream = reader
        .into_bytes_stream(..)
        .await
        .map_err(|error| read_error(&error))?;

    let parent = parent_dir(&destination).to_owned();
    tokio::fs::create_dir_all(&parent)
        .await
        .map_err(|error| target.io_error("create directory", parent.clone(), error))?;
    let temporary = temporary_in(&parent)
        .map_err(|error| target.io_error("create a temporary file in", parent.clone(), error))?;
    let handle = temporary
        .as_file()
        .try_clone()
        .map_err(|error| target.io_error("write", temporary.path().to_owned(), error))?;
    let mut output = tokio::fs::File::from_std(handle);
    let mut hasher = ContentHasher::for_key(&key);
    while let Some(chunk) = stream.next().await {
        // The stream wraps OpenDAL's errors in `io::Error`s.
        let chunk = chunk.map_err(|error| {
            match error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<opendal::Error>())
            {
                Some(inner) => read_error(inner),
                None => read_error(&opendal::Error::new(
                    ErrorKind::Unexpected,
                    error.to_string(),
                )),
            }
        })?;
        hasher.update(&chunk);
        output
            .write_all(&chunk)
            .await
            .map_err(|error| target.io_error("write", destination.clone(), error))?;
        reporter.transferred(chunk.len() as u64);
    }
    output
        .flush()
        .await
        .map_err(|error| target.io_error("write", destination.clone(), error))?;
    drop(output);
    let actual = hasher.finish();
    if &actual != key.md5() {
        // Dropping `temporary` removes it.
        return Err(RemoteError::Corrupted {
            remote: target.label.clone(),
            object: path,
            actual: to_hex(&actual),
        });
    }
    temporary
        .persist(&destination)
        .map_err(|error| target.io_error("rename into place", destination.clone(), error.error))?;
    Ok(())
}
