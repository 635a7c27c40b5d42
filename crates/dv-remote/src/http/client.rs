//! [`Client`]: requests to one HTTP(S) root URL with DVC's HTTP options, shared by HTTP remotes
//! and HTTP import sources: the reqwest client the S3 remotes use (`ssl_verify`,
//! `connect_timeout`, `read_timeout`, proxies from the environment passed in), DVC's `auth`
//! options (`basic` or `custom`, `user`, `password`, `custom_auth_header`; `user:password@` in
//! the URL works too), retries of reads, and failures mapped to [`RemoteError`]s that name the
//! URL without its credentials.
//!
//! Redirects of reads are followed here, not by reqwest, so that the credentials (`basic` or
//! the `custom_auth_header`) only ever go to the origin (scheme, host and port) of the root
//! URL: a redirect elsewhere is followed without them, as browsers and curl do for
//! `Authorization`. Writes are not redirected: a redirect answer to a write is a failure.
//!
//! Reads (`HEAD`, `GET`) are retried on server errors (5xx, 429) and failed connections with
//! the config's [`Retries`]; writes (`POST`, `PUT`) are sent once, as dvc-http does.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt as _;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};
use tokio::io::AsyncReadExt as _;

use crate::config::{Options, RemoteConfig, Retries};
use crate::content_check::Expected;
use crate::error::{RemoteError, RemoteLabel, without_userinfo};
use crate::incoming::IncomingFile;
use crate::operator::innermost;
use crate::runtime::TaskReporter;
use crate::transport::{DEFAULT_TIMEOUT, http_client_without_redirects};

/// Bytes read from a local file per chunk of an upload body.
const UPLOAD_CHUNK: usize = 1024 * 1024;
/// The most redirects one read follows (reqwest's own default).
const MAX_REDIRECTS: usize = 10;

/// Requests to one root URL; see the module documentation.
pub(crate) struct Client {
    pub(crate) label: RemoteLabel,
    /// The root URL without a trailing `/`.
    base: String,
    /// `scheme://host[:port]` of the root, for "cannot reach" messages.
    origin: String,
    /// The root URL parsed: only requests to its origin carry the credentials.
    root: Url,
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

/// What a successful `HEAD` (or `GET` standing in for it) said.
pub(crate) struct Head {
    pub(crate) headers: HeaderMap,
}

impl Client {
    /// A client for the root `url` (`http://` or `https://`); contacts nothing.
    pub(crate) fn open(
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
        let http = http_client_without_redirects(&options, connect_timeout, read_timeout)?;
        let authentication = authentication(&options)?;
        Ok(Client {
            label: label.clone(),
            base: url.trim_end_matches('/').to_owned(),
            origin,
            root: parsed,
            http,
            authentication,
            retries: config.retries,
        })
    }

    /// The URL of `path` under the root (the root itself for `""`). The path is URL text:
    /// reserved characters must already be percent-encoded.
    fn url(&self, path: &str) -> String {
        if path.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{path}", self.base)
        }
    }

    pub(crate) fn storage_error(
        &self,
        action: &'static str,
        path: &str,
        detail: String,
    ) -> RemoteError {
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

    /// The parsed URL of `path` under the root.
    fn parsed_url(&self, action: &'static str, path: &str) -> Result<Url, RemoteError> {
        Url::parse(&self.url(path))
            .map_err(|error| self.storage_error(action, path, format!("not a valid URL: {error}")))
    }

    /// A request to `url` with the authentication added if `url` has the root's origin.
    fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        let same_origin = same_origin(&url, &self.root);
        let request = self.http.request(method, url);
        match &self.authentication {
            None => request,
            Some(_) if !same_origin => request,
            Some(Authentication::Basic { user, password }) => {
                request.basic_auth(user, Some(password))
            }
            Some(Authentication::Header { name, value }) => {
                request.header(name.clone(), value.clone())
            }
        }
    }

    /// Sends `method` (a read) for `path`, following redirects (credentials only to the
    /// root's origin) and retrying server errors and failed connections; the response whatever
    /// its status.
    async fn send(
        &self,
        action: &'static str,
        method: Method,
        path: &str,
    ) -> Result<reqwest::Response, RemoteError> {
        let mut url = self.parsed_url(action, path)?;
        let mut redirects = 0;
        loop {
            let response = self.send_to(action, method.clone(), &url, path).await?;
            let Some(next) = redirect_target(&response, &url) else {
                return Ok(response);
            };
            if redirects == MAX_REDIRECTS {
                return Err(self.storage_error(
                    action,
                    path,
                    format!("more than {MAX_REDIRECTS} redirects"),
                ));
            }
            redirects += 1;
            url = next;
        }
    }

    /// One request of [`send`](Self::send) to `url`, with its retries.
    async fn send_to(
        &self,
        action: &'static str,
        method: Method,
        url: &Url,
        path: &str,
    ) -> Result<reqwest::Response, RemoteError> {
        let mut delay = self.retries.min_delay;
        let mut attempt = 0;
        loop {
            let result = self.request(method.clone(), url.clone()).send().await;
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

    /// A `HEAD` of `path` (a `GET` whose body is left unread if `HEAD` is refused); `None` for
    /// `404`/`410`.
    pub(crate) async fn head(&self, path: &str) -> Result<Option<Head>, RemoteError> {
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
        Ok(Some(Head {
            headers: response.headers().clone(),
        }))
    }

    /// Streams `path` into an [`IncomingFile`] for `destination` hashed for `expected`,
    /// reporting bytes as they arrive. A missing file ([`RemoteError::MissingObject`], `404` or
    /// `410`) leaves nothing behind.
    pub(crate) async fn receive<R>(
        &self,
        path: &str,
        destination: PathBuf,
        expected: &Expected,
        reporter: &TaskReporter<R>,
    ) -> Result<IncomingFile, RemoteError> {
        let response = self.get(path).await?;
        self.receive_body(path, response, destination, expected, reporter)
            .await
    }

    /// A successful `GET` of `path`, its body unread.
    pub(crate) async fn get(&self, path: &str) -> Result<reqwest::Response, RemoteError> {
        let response = self.send("download", Method::GET, path).await?;
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
        Ok(response)
    }

    /// Streams the body of `response` (a `GET` of `path`) into an [`IncomingFile`] (see
    /// [`receive`](Self::receive)).
    pub(crate) async fn receive_body<R>(
        &self,
        path: &str,
        mut response: reqwest::Response,
        destination: PathBuf,
        expected: &Expected,
        reporter: &TaskReporter<R>,
    ) -> Result<IncomingFile, RemoteError> {
        let mut incoming = IncomingFile::create(&self.label, destination, expected)?;
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|error| self.request_error("download", path, &error))?;
            let Some(chunk) = chunk else {
                break;
            };
            incoming.write(&chunk)?;
            reporter.transferred(chunk.len() as u64);
        }
        Ok(incoming)
    }

    /// Sends the local file `source` as the body of one `method` request (`POST` or `PUT`) to
    /// `path`, with its `Content-Length`, reporting bytes as they are read; any 2xx status is
    /// success. Not retried: a failed write is reported, not repeated.
    pub(crate) async fn upload(
        &self,
        method: Method,
        source: &Path,
        path: &str,
        reporter: TaskReporter,
    ) -> Result<(), RemoteError> {
        let io_error = |error| RemoteError::Io {
            remote: self.label.clone(),
            action: "read",
            path: source.to_owned(),
            source: error,
        };
        let file = tokio::fs::File::open(source).await.map_err(io_error)?;
        let size = file.metadata().await.map_err(io_error)?.len();
        // A failure reading the file ends the body; it is kept here to be reported as such
        // rather than as the network failure it causes.
        let read_failure = Arc::new(Mutex::new(None::<std::io::Error>));
        let chunks = futures::stream::unfold(
            (file, reporter, Arc::clone(&read_failure)),
            |(mut file, reporter, read_failure)| async move {
                let mut buffer = Vec::with_capacity(UPLOAD_CHUNK);
                match (&mut file)
                    .take(UPLOAD_CHUNK as u64)
                    .read_to_end(&mut buffer)
                    .await
                {
                    Ok(0) => None,
                    Ok(read) => {
                        reporter.transferred(read as u64);
                        Some((Ok(buffer), (file, reporter, read_failure)))
                    }
                    Err(error) => {
                        let kind = error.kind();
                        let message = error.to_string();
                        *read_failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                        Some((
                            Err(std::io::Error::new(kind, message)),
                            (file, reporter, read_failure),
                        ))
                    }
                }
            },
        );
        let sent = self
            .request(method, self.parsed_url("upload", path)?)
            .header(CONTENT_LENGTH, size)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(reqwest::Body::wrap_stream(chunks.boxed()))
            .send()
            .await;
        let read_error = read_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(error) = read_error {
            return Err(io_error(error));
        }
        let response = sent.map_err(|error| self.request_error("upload", path, &error))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(self.status_error("upload", path, status))
        }
    }
}

/// Whether `a` and `b` have the same origin: scheme, host and port (the scheme's default when
/// none is written).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Where a redirect answer to a request for `current` sends the client: an `http(s)` URL
/// from `Location` (relative to `current`), for the statuses that redirect a read.
fn redirect_target(response: &reqwest::Response, current: &Url) -> Option<Url> {
    let redirects = matches!(
        response.status(),
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    );
    if !redirects {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let next = current.join(location).ok()?;
    matches!(next.scheme(), "http" | "https").then_some(next)
}

/// The `auth` option and its companions, as dvc-http reads them: `basic` needs `user` and
/// `password`, `custom` needs `custom_auth_header` and `password`; `digest` and anything else
/// are refused like dvc-http refuses them.
fn authentication(options: &Options<'_>) -> Result<Option<Authentication>, RemoteError> {
    let config = options.config;
    let invalid = |option: &str, value: &str, reason: &str| RemoteError::InvalidOption {
        remote: options.label.clone(),
        option: option.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(auth) = config.option("auth") else {
        return Ok(None);
    };
    let password = match config.options.get("password") {
        Some(password) => password.as_str(),
        None if options.bool("ask_password", false)? => {
            return Err(invalid(
                "ask_password",
                "true",
                "dv cannot ask for passwords yet: set `password` with `dv remote modify --local`",
            ));
        }
        None => "",
    };
    let has_password = config.options.contains_key("password");
    match auth {
        "basic" => {
            let Some(user) = config.options.get("user").filter(|_| has_password) else {
                return Err(invalid(
                    "auth",
                    "basic",
                    "`basic` authentication requires both `user` and `password`",
                ));
            };
            Ok(Some(Authentication::Basic {
                user: user.clone(),
                password: password.to_owned(),
            }))
        }
        "custom" => {
            let Some(header) = config.option("custom_auth_header").filter(|_| has_password) else {
                return Err(invalid(
                    "auth",
                    "custom",
                    "`custom` authentication requires both `custom_auth_header` and `password`",
                ));
            };
            let name = HeaderName::from_bytes(header.as_bytes())
                .map_err(|_| invalid("custom_auth_header", header, "not a valid header name"))?;
            let value = HeaderValue::from_str(password)
                .map_err(|_| invalid("password", "…", "not a valid header value"))?;
            Ok(Some(Authentication::Header { name, value }))
        }
        other => Err(invalid(
            "auth",
            other,
            "expected `basic` or `custom` (dvc does not support other methods either)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_differ_by_scheme_host_or_port() {
        let url = |text: &str| Url::parse(text).expect("url");
        let root = url("https://example.com/store");
        assert!(same_origin(&url("https://example.com:443/other/x"), &root));
        assert!(same_origin(&url("https://user@example.com/x"), &root));
        assert!(!same_origin(&url("http://example.com/store"), &root));
        assert!(!same_origin(&url("https://example.com:8443/store"), &root));
        assert!(!same_origin(&url("https://example.org/store"), &root));
        assert!(!same_origin(&url("https://sub.example.com/store"), &root));
    }
}
