//! [`HttpSource`]: an `http://` or `https://` import source, the HTTP remotes' store read-only
//! (DVC's HTTP options: `auth`, `user`, `password`, `custom_auth_header`, `ssl_verify`,
//! `connect_timeout`, `read_timeout`, proxies from the environment passed in).
//!
//! What is at a URL comes from a `HEAD` request (a `GET` whose body is left unread when the
//! server refuses `HEAD`, as fsspec's HTTP file system does): its `Content-Length`, and the
//! `ETag` header verbatim, quotes included, else `Content-MD5`, as DVC's `checksum` (spec §6.5).

use std::sync::OnceLock;

use reqwest::header::{CONTENT_LENGTH, ETAG, HeaderMap};

use super::{ExternalEntry, ExternalFile, stat_all};
use crate::config::RemoteConfig;
use crate::error::{RemoteError, RemoteLabel};
use crate::http::{Client, HttpStore};
use crate::network::Networked;

/// An HTTP(S) import source.
pub(super) struct HttpSource {
    pub(super) store: Networked<HttpStore>,
}

impl HttpSource {
    pub(super) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: &str,
    ) -> Result<Self, RemoteError> {
        Ok(HttpSource {
            store: Networked::new(HttpStore::source(config, label, url)?, OnceLock::new()),
        })
    }

    fn client(&self) -> &Client {
        &self.store.backend().client
    }

    pub(super) fn stat(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        self.store.runtime()?.block_on(stat(self.client(), path))
    }

    pub(super) fn stat_many(
        &self,
        paths: &[String],
        jobs: usize,
    ) -> Vec<Result<Option<ExternalEntry>, RemoteError>> {
        let known = (0..paths.len()).map(|_| None).collect();
        stat_all(&self.store, paths, known, jobs, |path| {
            stat(self.client(), path)
        })
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
