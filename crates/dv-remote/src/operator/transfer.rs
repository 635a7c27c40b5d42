//! Moving one file: uploads (one `PUT` up to 8 MiB, multipart above) and downloads streamed
//! into an [`IncomingFile`].

use futures::StreamExt as _;
use opendal::{ErrorKind, Operator};
use tokio::io::AsyncReadExt as _;

use super::failure::Target;
use crate::error::RemoteError;
use crate::incoming::IncomingFile;
use crate::runtime::TaskReporter;
use crate::store::{Get, Put};

/// Files up to this size are uploaded with one `PUT` (so their ETag is their MD5, as with DVC,
/// whose boto3 transfer threshold is also 8 MiB); larger ones in parts of this size.
const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
const MULTIPART_CHUNK: usize = 8 * 1024 * 1024;

/// Uploads `item.source` to `item.path`: one `PUT` up to [`MULTIPART_THRESHOLD`], else a
/// multipart upload. An object appears atomically when the upload completes.
pub(super) async fn upload<R>(
    target: &Target,
    operator: &Operator,
    item: Put,
    reporter: &TaskReporter<R>,
) -> Result<(), RemoteError> {
    let Put { source, path, .. } = item;
    // Opened and read in place rather than through tokio's blocking pool: see `incoming`.
    let read_error = |error| target.io_error("read", source.clone(), error);
    let mut opened = std::fs::File::open(&source).map_err(read_error)?;
    let size = opened.metadata().map_err(read_error)?.len();
    if size <= MULTIPART_THRESHOLD {
        let mut buffer = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        std::io::Read::read_to_end(&mut opened, &mut buffer).map_err(read_error)?;
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
    let mut file = tokio::fs::File::from_std(opened);
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

/// Streams `item.path` (its version `item.version`, if given) into an [`IncomingFile`],
/// reporting bytes as they arrive. The temporary file is created only once the object is
/// found: a missing object ([`RemoteError::MissingObject`]) leaves nothing behind.
pub(super) async fn receive<R>(
    target: &Target,
    operator: &Operator,
    item: &Get,
    reporter: &TaskReporter<R>,
) -> Result<IncomingFile, RemoteError> {
    let (path, version) = (item.path.as_str(), item.version.as_deref());
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
    let mut incoming =
        IncomingFile::create(&target.label, item.destination.clone(), &item.expected)?;
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
        incoming.write(&chunk)?;
        reporter.transferred(chunk.len() as u64);
    }
    Ok(incoming)
}
