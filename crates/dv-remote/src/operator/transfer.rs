//! Moving one object: uploads (one `PUT` up to 8 MiB, multipart above) and downloads that are
//! hashed on the way into a temporary file and renamed into place only when the hash matches
//! (for [`ExternalFs`](crate::ExternalFs): renamed unconditionally, the hash returned).

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt as _;
use opendal::{ErrorKind, Operator};
use tokio::io::AsyncReadExt as _;

use super::failure::Target;
use crate::content_check::{ContentHasher, to_hex};
use crate::error::RemoteError;
use crate::incoming::IncomingFile;
use crate::object_key::{ObjectDownload, ObjectKey};
use crate::runtime::TaskReporter;

/// Files up to this size are uploaded with one `PUT` (so their ETag is their MD5, as with DVC,
/// whose boto3 transfer threshold is also 8 MiB); larger ones in parts of this size.
const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
const MULTIPART_CHUNK: usize = 8 * 1024 * 1024;

/// Uploads `source` as `key`: one `PUT` up to [`MULTIPART_THRESHOLD`], else a multipart upload.
/// An S3 object appears atomically when the upload completes.
pub(super) async fn upload(
    target: Arc<Target>,
    operator: Operator,
    source: PathBuf,
    key: ObjectKey,
    reporter: TaskReporter,
) -> Result<(), RemoteError> {
    upload_to(target, operator, source, key.remote_path(), reporter).await
}

/// Uploads `source` to `path`, relative to the remote root (see [`upload`]).
pub(super) async fn upload_to(
    target: Arc<Target>,
    operator: Operator,
    source: PathBuf,
    path: String,
    reporter: TaskReporter,
) -> Result<(), RemoteError> {
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
        let mut write = operator.write_with(&path, buffer);
        if let Some(content_type) = target.content_type {
            write = write.content_type(content_type);
        }
        write
            .await
            .map_err(|error| target.error("upload", &path, &error))?;
        reporter.transferred(length);
        return Ok(());
    }
    let mut writer = operator.writer_with(&path).chunk(MULTIPART_CHUNK);
    if let Some(content_type) = target.content_type {
        writer = writer.content_type(content_type);
    }
    let mut writer = writer
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
    item: ObjectDownload,
    reporter: TaskReporter,
) -> Result<(), RemoteError> {
    let ObjectDownload {
        key,
        size,
        destination,
    } = item;
    let path = key.remote_path();
    let hasher = ContentHasher::for_key(&key, size);
    let incoming = receive(
        &target,
        &operator,
        &path,
        None,
        destination,
        hasher,
        &reporter,
    )
    .await?;
    incoming
        .persist_if(|actual| {
            if actual == key.md5() {
                Ok(())
            } else {
                Err(RemoteError::Corrupted {
                    remote: target.label.clone(),
                    object: path.clone(),
                    actual: to_hex(actual),
                })
            }
        })
        .await?;
    Ok(())
}

/// Downloads `path` (relative to the remote root) to a temporary sibling of `destination` and
/// renames it into place, without checking its content (run-cache entries are not
/// content-addressed).
pub(super) async fn download_unchecked(
    target: Arc<Target>,
    operator: Operator,
    path: String,
    destination: PathBuf,
    reporter: TaskReporter,
) -> Result<(), RemoteError> {
    let incoming = receive(
        &target,
        &operator,
        &path,
        None,
        destination,
        ContentHasher::md5(),
        &reporter,
    )
    .await?;
    incoming.persist_if(|_| Ok(())).await?;
    Ok(())
}

/// Streams object `path` (its version `version`, if given) into an [`IncomingFile`] for
/// `destination`, reporting bytes as they arrive. The temporary file is created only once the
/// object is found: a missing object ([`RemoteError::MissingObject`]) leaves nothing behind.
pub(crate) async fn receive<R>(
    target: &Target,
    operator: &Operator,
    path: &str,
    version: Option<&str>,
    destination: PathBuf,
    hasher: ContentHasher,
    reporter: &TaskReporter<R>,
) -> Result<IncomingFile, RemoteError> {
    let read_error = |error: &opendal::Error| {
        if error.kind() == ErrorKind::NotFound {
            RemoteError::MissingObject {
                remote: target.label.clone(),
                object: match version {
                    Some(version) => format!("{path}?versionId={version}"),
                    None => path.to_owned(),
                },
            }
        } else {
            target.error("download", path, error)
        }
    };
    let mut request = operator.reader_with(path);
    if let Some(version) = version {
        request = request.version(version);
    }
    let reader = request.await.map_err(|error| read_error(&error))?;
    let mut stream = reader
        .into_bytes_stream(..)
        .await
        .map_err(|error| read_error(&error))?;
    let mut incoming = IncomingFile::create(&target.label, destination, hasher).await?;
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
        incoming.write(&chunk).await?;
        reporter.transferred(chunk.len() as u64);
    }
    Ok(incoming)
}
