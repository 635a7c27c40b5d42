//! [`HttpSource`]: an `http://` or `https://` import source, read through the HTTP remotes'
//! [`Client`] (DVC's HTTP options: `auth`, `user`, `password`, `custom_auth_header`,
//! `ssl_verify`, `connect_timeout`, `read_timeout`, proxies from the environment passed in).
//!
//! What is at a URL comes from a `HEAD` request (a `GET` whose body is left unread when the
//! server refuses `HEAD`, as fsspec's HTTP file system does): its `Content-Length`, and the
//! `ETag` header verbatim, quotes included, else `Content-MD5`, as DVC's `checksum` (spec §6.5).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use futures::StreamExt as _;
use reqwest::header::{CONTENT_LENGTH, ETAG, HeaderMap};
use tokio::runtime::Runtime;

use super::{ExternalEntry, ExternalFile};
use crate::batch::Stop;
use crate::config::RemoteConfig;
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel};
use crate::http::Client;
use crate::progress::TransferProgress;
use crate::runtime::{run_tasks, start_runtime};

/// An HTTP(S) import source.
pub(super) struct HttpSource {
    client: Arc<Client>,
    runtime: OnceLock<Runtime>,
}

impl HttpSource {
    pub(super) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: &str,
    ) -> Result<Self, RemoteError> {
        Ok(HttpSource {
            client: Arc::new(Client::open(config, label, url)?),
            runtime: OnceLock::new(),
        })
    }

    fn runtime(&self) -> Result<&Runtime, RemoteError> {
        start_runtime(&self.runtime, &self.client.label)
    }

    pub(super) fn stat(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        self.runtime()?.block_on(stat(&self.client, path))
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
                    .map(|path| Err(self.client.storage_error("check", path, detail.clone())))
                    .collect();
            }
        };
        let stop = Stop::default();
        let client = &self.client;
        runtime.block_on(
            futures::stream::iter(paths)
                .map(|path| {
                    let stop = &stop;
                    async move {
                        if let Some(fatal) = stop.check() {
                            return Err(fatal);
                        }
                        let result = stat(client, path).await;
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

    pub(super) fn download_many(
        &self,
        items: Vec<(String, Option<String>, PathBuf)>,
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<String, RemoteError>> {
        let client = Arc::clone(&self.client);
        run_tasks(
            &self.runtime,
            &self.client.label,
            items,
            jobs,
            progress,
            move |(path, version, destination), reporter| {
                let client = Arc::clone(&client);
                async move {
                    if let Some(version) = version {
                        return Err(RemoteError::UnsupportedOperation {
                            remote: client.label.clone(),
                            operation: format!("downloading version `{version}` of `{path}`"),
                        });
                    }
                    let incoming = client
                        .receive(&path, destination, ContentHasher::md5(), &reporter)
                        .await?;
                    let digest = incoming.persist_if(|_| Ok(())).await?;
                    Ok(to_hex(&digest))
                }
            },
        )
    }
}

/// What is at `path`: a file described by the response headers, or nothing.
async fn stat(client: &Client, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
    let head = client.head(path).await?;
    Ok(head.map(|head| ExternalEntry::File(file(path, &head.headers))))
}

/// The file described by the headers of a `HEAD` (or `GET`) response.
fn file(path: &str, headers: &HeaderMap) -> ExternalFile {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    ExternalFile {
        relpath: path.to_owned(),
        // Not `Response::content_length`: a `HEAD` response has no body to measure.
        size: text(CONTENT_LENGTH.as_str()).and_then(|length| length.trim().parse().ok()),
        etag: None,
        version_id: None,
        checksum: text(ETAG.as_str()).or_else(|| text("content-md5")),
    }
}
