//! [`S3Source`]: an `s3://bucket/prefix` import source, read through the S3 remotes' OpenDAL
//! connection (same options, credentials, endpoint, retries and error messages): `HEAD`s and
//! listings for what is at a path, ListObjectVersions when version-aware, and hashed downloads.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use futures::StreamExt as _;
use opendal::{ErrorKind, Metadata, Operator};
use tokio::runtime::Runtime;

use super::{ExternalEntry, ExternalFile};
use crate::batch::Stop;
use crate::config::RemoteConfig;
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel};
use crate::progress::TransferProgress;
use crate::runtime::{run_tasks, start_runtime};
use crate::s3::{Target, connect, receive};

/// An S3 import source.
pub(super) struct S3Source {
    target: Arc<Target>,
    operator: Operator,
    runtime: OnceLock<Runtime>,
    version_aware: bool,
}

impl S3Source {
    /// Connects like an S3 remote (see [`connect`]).
    pub(super) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        bucket: &str,
        prefix: &str,
        version_aware: bool,
    ) -> Result<Self, RemoteError> {
        let runtime = OnceLock::new();
        let (target, operator) = connect(config, label, bucket, prefix, &runtime)?;
        Ok(S3Source {
            target: Arc::new(target),
            operator,
            runtime,
            version_aware,
        })
    }

    fn runtime(&self) -> Result<&Runtime, RemoteError> {
        start_runtime(&self.runtime, &self.target.label)
    }

    pub(super) fn stat(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        self.runtime()?.block_on(self.stat_one(path))
    }

    pub(super) fn stat_many(
        &self,
        paths: &[String],
        jobs: usize,
    ) -> Vec<Result<Option<ExternalEntry>, RemoteError>> {
        let runtime = match self.runtime() {
            Ok(runtime) => runtime,
            Err(error) => {
                let detail = error.to_string();
                return paths
                    .iter()
                    .map(|path| {
                        Err(RemoteError::Storage {
                            remote: self.target.label.clone(),
                            action: "check",
                            object: path.clone(),
                            detail: detail.clone(),
                        })
                    })
                    .collect();
            }
        };
        let stop = Stop::default();
        runtime.block_on(
            futures::stream::iter(paths)
                .map(|path| {
                    let stop = &stop;
                    async move {
                        if let Some(fatal) = stop.check() {
                            return Err(fatal);
                        }
                        let result = self.stat_one(path).await;
                        if let Err(error) = &result {
                            stop.record(error);
                        }
                        result
                    }
                })
                .buffered(jobs)
                .collect(),
        )
    }

    /// A `HEAD` of the key; if there is none, whether anything lies under `path/`.
    async fn stat_one(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        if !path.is_empty() {
            match self.operator.stat(path).await {
                Ok(metadata) if metadata.is_file() => {
                    return Ok(Some(ExternalEntry::File(self.file(path, &metadata))));
                }
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(self.target.error("check", path, &error)),
            }
        }
        let dir = directory(path);
        let mut lister = self
            .operator
            .lister_with(&dir)
            .recursive(true)
            .limit(1)
            .await
            .map_err(|error| self.target.error("list", &dir, &error))?;
        match lister.next().await {
            Some(Ok(_)) => Ok(Some(ExternalEntry::Directory)),
            Some(Err(error)) => Err(self.target.error("list", &dir, &error)),
            None => Ok(None),
        }
    }

    /// Every object under `dir/` (`relpath` relative to `dir`), in listing order.
    pub(super) fn list_files(&self, dir: &str) -> Result<Vec<ExternalFile>, RemoteError> {
        let prefix = directory(dir);
        let error = |error: &opendal::Error| self.target.error("list", &prefix, error);
        self.runtime()?.block_on(async {
            let mut lister = self
                .operator
                .lister_with(&prefix)
                .recursive(true)
                .versions(self.version_aware)
                .await
                .map_err(|failure| error(&failure))?;
            let mut files = Vec::new();
            while let Some(entry) = lister.next().await {
                let entry = entry.map_err(|failure| error(&failure))?;
                let metadata = entry.metadata();
                let path = entry.path().trim_start_matches('/');
                // Directory markers, and older versions of version-aware listings.
                if path.ends_with('/')
                    || !metadata.is_file()
                    || metadata.is_current() == Some(false)
                    || metadata.is_deleted()
                {
                    continue;
                }
                let relative = if dir.is_empty() {
                    Some(path)
                } else {
                    path.strip_prefix(dir)
                        .and_then(|rest| rest.strip_prefix('/'))
                };
                if let Some(relative) = relative.filter(|relative| !relative.is_empty()) {
                    files.push(self.file(relative, metadata));
                }
            }
            Ok(files)
        })
    }

    pub(super) fn download_many(
        &self,
        items: Vec<(String, Option<String>, PathBuf)>,
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<String, RemoteError>> {
        let operator = self.operator.clone();
        let target = Arc::clone(&self.target);
        run_tasks(
            &self.runtime,
            &self.target.label,
            items,
            jobs,
            progress,
            move |(path, version, destination), reporter| {
                let (operator, target) = (operator.clone(), Arc::clone(&target));
                async move {
                    let incoming = receive(
                        &target,
                        &operator,
                        &path,
                        version.as_deref(),
                        destination,
                        ContentHasher::md5(),
                        &reporter,
                    )
                    .await?;
                    let digest = incoming.persist_if(|_| Ok(())).await?;
                    Ok(to_hex(&digest))
                }
            },
        )
    }

    /// The file at `relpath` described by `metadata` (from a `HEAD` or a listing).
    fn file(&self, relpath: &str, metadata: &Metadata) -> ExternalFile {
        ExternalFile {
            relpath: relpath.to_owned(),
            size: Some(metadata.content_length()),
            etag: metadata
                .etag()
                .map(|etag| etag.trim_matches('"').to_owned()),
            version_id: metadata
                .version()
                .filter(|_| self.version_aware)
                .map(str::to_owned),
            checksum: None,
        }
    }
}

/// The listing prefix of directory `path` (`/` for the root).
fn directory(path: &str) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        format!("{path}/")
    }
}
