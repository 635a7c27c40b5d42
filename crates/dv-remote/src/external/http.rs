//! [`HttpSource`]: an `http://` or `https://` import source, read with reqwest through the
//! client the S3 remotes use (`ssl_verify`, `connect_timeout`, `read_timeout`, proxies from the
//! environment passed in), with DVC's HTTP remote authentication options (`auth` = `basic` or
//! `custom`, `user`, `password`, `custom_auth_header`; `user:password@` in the URL works too).
//!
//! What is at a URL comes from a `HEAD` request (a `GET` whose body is left unread when the
//! server refuses `HEAD`, as fsspec's HTTP file system does): its `Content-Length`, and the
//! `ETag` header verbatim, quotes included, else `Content-MD5`, as DVC's `checksum` (spec §6.5).
//! Server errors (5xx, 429) and failed connections are retried with the config's [`Retries`].

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use futures::StreamExt as _;
use reqwest::header::{CONTENT_LENGTH, ETAG, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::runtime::Runtime;

use super::{ExternalEntry, ExternalFile};
use crate::batch::Stop;
use crate::config::{Options, RemoteConfig, Retries};
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel, without_userinfo};
use crate::incoming::IncomingFile;
use crate::progress::TransferProgress;
use crate::runtime::{TaskReporter, run_tasks, start_runtime};
use crate::s3::{DEFAULT_TIMEOUT, http_client, innermost};

/// An HTTP(S) import source.
pub(super) struct HttpSource {
    client: Arc<Client>,
    runtime: OnceLock<Runtime>,
}

/// What requests need, shared with download tasks.
struct Client {
    label: RemoteLabel,
    /// The root URL without a trailing `/`.
    base: String,
    /// `scheme://host[:port]` of the root, for "cannot reach" messages.
    origin: String,
    http: reqwest::Client,
    authentication: Option<Authentication>,
    retries: Retries,
}

/// DVC's `auth` option of HTTP remotes.
enum Authentication {
    /// `auth = basic`: `user` and `password`.
    Basic { user: String, password: String },
    /// `auth = custom`: the `password` sent as the value of header `custom_auth_header`.
    Header {
        name: HeaderName,
        value: HeaderValue,
    },
}

impl HttpSource {
    pub(super) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: &str,
    ) -> Result<Self, RemoteError> {
        let options = Options { config, label };
        let parsed = reqwest::Url::parse(url).map_err(|error| RemoteError::InvalidUrl {
            remote: label.clone(),
            reason: error.to_string(),
        })?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(RemoteError::InvalidUrl {
                remote: label.clone(),
                reason: "an http url needs a host".to_owned(),
            });
        }
        let origin = without_userinfo(&parsed.origin().ascii_serialization());
        let connect_timeout = options
            .seconds("connect_timeout")?
            .unwrap_or(DEFAULT_TIMEOUT);
        let read_timeout = options.seconds("read_timeout")?.unwrap_or(DEFAULT_TIMEOUT);
        let http = http_client(&options, connect_timeout, read_timeout)?;
        let authentication = authentication(&options)?;
        Ok(HttpSource {
            client: Arc::new(Client {
                label: label.clone(),
                base: url.trim_end_matches('/').to_owned(),
                origin,
                http,
                authentication,
                retries: config.retries,
            }),
            runtime: OnceLock::new(),
        })
    }

    fn runtime(&self) -> Result<&Runtime, RemoteError> {
        start_runtime(&self.runtime, &self.client.label)
    }

    pub(super) fn stat(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        self.runtime()?.block_on(self.client.stat(path))
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
                        let result = client.stat(path).await;
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
                    client.download(&path, destination, &reporter).await
                }
            },
        )
    }
}

impl Client {
    /// The URL of `path` under the root (the root itself for `""`). The path is URL text:
    /// reserved characters must already be percent-encoded.
    fn url(&self, path: &str) -> String {
        if path.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{path}", self.base)
        }
    }

    fn storage_error(&self, action: &'static str, path: &str, detail: String) -> RemoteError {
        RemoteError::Storage {
            remote: self.label.clone(),
            action,
            object: without_userinfo(&self.url(path)),
            detail,
        }
    }

    /// A failed request: the endpoint could not be reached, or something else.
    fn request_error(
        &self,
        action: &'static str,
        path: &str,
        error: &reqwest::Error,
    ) -> RemoteError {
        if error.is_connect() || error.is_timeout() {
            RemoteError::Unreachable {
                remote: self.label.clone(),
                endpoint: self.origin.clone(),
                detail: innermost(error),
            }
        } else {
            self.storage_error(action, path, innermost(error))
        }
    }

    /// An unexpected status: refused credentials for `401`/`403`, else a storage failure.
    fn status_error(&self, action: &'static str, path: &str, status: StatusCode) -> RemoteError {
        let url = without_userinfo(&self.url(path));
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            RemoteError::Credentials {
                remote: self.label.clone(),
                detail: format!("HTTP status {status} for `{url}`"),
            }
        } else {
            self.storage_error(action, path, format!("HTTP status {status}"))
        }
    }

    /// Sends `method` for `path`, retrying server errors and failed connections; the response
    /// whatever its status.
    async fn send(
        &self,
        action: &'static str,
        method: Method,
        path: &str,
    ) -> Result<reqwest::Response, RemoteError> {
        let url = self.url(path);
        let mut delay = self.retries.min_delay;
        let mut attempt = 0;
        loop {
            let mut request = self.http.request(method.clone(), &url);
            request = match &self.authentication {
                None => request,
                Some(Authentication::Basic { user, password }) => {
                    request.basic_auth(user, Some(password))
                }
                Some(Authentication::Header { name, value }) => {
                    request.header(name.clone(), value.clone())
                }
            };
            let result = request.send().await;
            let transient = match &result {
                Ok(response) => {
                    response.status().is_server_error()
                        || response.status() == StatusCode::TOO_MANY_REQUESTS
                }
                Err(error) => error.is_connect() || error.is_timeout(),
            };
            if !transient || attempt >= self.retries.max_retries {
                return result.map_err(|error| self.request_error(action, path, &error));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.retries.max_delay);
            attempt += 1;
        }
    }

    /// A `HEAD` of the URL (a `GET` without reading the body if `HEAD` is refused).
    async fn stat(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        let mut response = self.send("check", Method::HEAD, path).await?;
        if matches!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED
        ) {
            response = self.send("check", Method::GET, path).await?;
        }
        let status = response.status();
        if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(self.status_error("check", path, status));
        }
        Ok(Some(ExternalEntry::File(file(path, response.headers()))))
    }

    /// Streams the URL into an [`IncomingFile`]; the md5 of the bytes.
    async fn download(
        &self,
        path: &str,
        destination: PathBuf,
        reporter: &TaskReporter<String>,
    ) -> Result<String, RemoteError> {
        let mut response = self.send("download", Method::GET, path).await?;
        let status = response.status();
        if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
            return Err(RemoteError::MissingObject {
                remote: self.label.clone(),
                object: path.to_owned(),
            });
        }
        if !status.is_success() {
            return Err(self.status_error("download", path, status));
        }
        let mut incoming =
            IncomingFile::create(&self.label, destination, ContentHasher::md5()).await?;
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|error| self.request_error("download", path, &error))?;
            let Some(chunk) = chunk else {
                break;
            };
            incoming.write(&chunk).await?;
            reporter.transferred(chunk.len() as u64);
        }
        let digest = incoming.persist_if(|_| Ok(())).await?;
        Ok(to_hex(&digest))
    }
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

/// The `auth` option and its companions, as DVC's HTTP remotes read them.
fn authentication(options: &Options<'_>) -> Result<Option<Authentication>, RemoteError> {
    let config = options.config;
    let invalid = |option: &str, value: &str, reason: &str| RemoteError::InvalidOption {
        remote: options.label.clone(),
        option: option.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let password = config.option("password").unwrap_or_default();
    match config.option("auth") {
        None => Ok(None),
        Some("basic") => {
            let user = config.option("user").unwrap_or_default();
            Ok(Some(Authentication::Basic {
                user: user.to_owned(),
                password: password.to_owned(),
            }))
        }
        Some("custom") => {
            let Some(header) = config.option("custom_auth_header") else {
                return Err(invalid(
                    "auth",
                    "custom",
                    "`custom_auth_header` must name the header",
                ));
            };
            let name = HeaderName::from_bytes(header.as_bytes())
                .map_err(|_| invalid("custom_auth_header", header, "not a valid header name"))?;
            let value = HeaderValue::from_str(password)
                .map_err(|_| invalid("password", "…", "not a valid header value"))?;
            Ok(Some(Authentication::Header { name, value }))
        }
        Some(other) => Err(invalid(
            "auth",
            other,
            "expected `basic` or `custom` (`digest` is not supported by dv yet)",
        )),
    }
}
