//! HTTP(S): [`HttpStore`], an `http://` or `https://` remote (dvc-http), and the [`Client`]
//! it shares with HTTP import sources ([`ExternalFs`](crate::ExternalFs)).
//!
//! An HTTP remote is a plain web server under the remote's URL: objects are read with `GET`,
//! checked with `HEAD` (`GET` when `HEAD` is refused; one request per object, as dvc-http
//! cannot list), and written with one request per object using the remote's `method` option:
//! `POST` (dvc-http's default) or `PUT`. The server decides when an upload becomes visible:
//! there is no temporary name to rename over HTTP. Listing and deleting are not possible, so
//! `gc -c` fails, as with dvc.
//!
//! * `client`: the requests, authentication, retries and error mapping.
//! * here: the store, for remotes and for import sources.

mod client;

use dv_schema::hash::Md5;
use reqwest::Method;

pub(crate) use self::client::Client;
use crate::batch::Stop;
use crate::config::RemoteConfig;
use crate::content_check::Expected;
use crate::error::{RemoteError, RemoteLabel};
use crate::network::{NetworkStore, Received};
use crate::runtime::TaskReporter;
use crate::store::{Existence, Get, Policy, Put};

/// An HTTP(S) remote, or an HTTP(S) import source.
pub(crate) struct HttpStore {
    pub(crate) client: Client,
    /// `POST` or `PUT`.
    method: Method,
    /// A remote (dvc-http): an object that cannot be requested is missing rather than an
    /// error. Import sources report every failure.
    remote: bool,
}

impl HttpStore {
    /// A remote at `url`; contacts nothing.
    pub(crate) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: &str,
    ) -> Result<Self, RemoteError> {
        let method = match config.option("method") {
            None => Method::POST,
            Some(method) => match method.to_ascii_lowercase().as_str() {
                "post" => Method::POST,
                "put" => Method::PUT,
                _ => {
                    return Err(RemoteError::InvalidOption {
                        remote: label.clone(),
                        option: "method".to_owned(),
                        value: method.to_owned(),
                        reason: "expected `POST` or `PUT`".to_owned(),
                    });
                }
            },
        };
        Ok(HttpStore {
            client: Client::open(config, label, url)?,
            method,
            remote: true,
        })
    }

    /// An import source at `url` (read-only); contacts nothing.
    pub(crate) fn source(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: &str,
    ) -> Result<Self, RemoteError> {
        Ok(HttpStore {
            client: Client::open(config, label, url)?,
            method: Method::PUT,
            remote: false,
        })
    }

    fn unsupported(&self, operation: String) -> RemoteError {
        RemoteError::UnsupportedOperation {
            remote: self.client.label.clone(),
            operation,
        }
    }
}

impl NetworkStore for HttpStore {
    type Lister = ();

    fn label(&self) -> &RemoteLabel {
        &self.client.label
    }

    /// Web servers cannot be listed nor deleted from, and dvc-http reports each failed upload.
    fn policy(&self) -> Policy {
        Policy {
            lists: false,
            deletes: false,
            reports_each_failed_upload: true,
            existence: Existence::EachObject,
            what: "an HTTP remote",
        }
    }

    /// One `HEAD`. Like dvc-http, whose existence check is "the `GET` succeeded", a failed
    /// check (refused credentials, an unreachable server, a server error) counts as "not on
    /// the remote", so that `push` goes on to report each upload that fails; after the first
    /// failure that concerns the whole remote, the rest of the batch is not asked about.
    async fn exists(&self, path: &str, batch: &Stop) -> Result<bool, RemoteError> {
        if batch.given_up() {
            return Ok(false);
        }
        match self.client.head(path).await {
            Ok(head) => Ok(head.is_some()),
            Err(error) => {
                if error.is_fatal() {
                    batch.give_up();
                }
                Ok(false)
            }
        }
    }

    async fn open_lister(&self, dir: &str, _depth: usize) -> Result<(), RemoteError> {
        Err(self.unsupported(format!("listing directory `{dir}`")))
    }

    async fn next_path(&self, _lister: &mut ()) -> Result<Option<String>, RemoteError> {
        Ok(None)
    }

    /// One request with the remote's `method`.
    async fn put(&self, item: Put, reporter: &TaskReporter) -> Result<(), RemoteError> {
        self.client
            .upload(
                self.method.clone(),
                &item.source,
                &item.path,
                reporter.clone(),
            )
            .await
    }

    /// A `GET`. For a remote's objects, a request that fails (refused credentials, an
    /// unreachable server, any status but success) makes the object
    /// [missing](RemoteError::MissingObject), as dvc-http's existence check makes it; after the
    /// first such failure that concerns the whole remote, the rest of the batch is missing
    /// without being asked for.
    async fn get(&self, item: &Get, reporter: &TaskReporter<Md5>) -> Received {
        let path = item.path.as_str();
        if let Some(version) = &item.version {
            return Err(self.unsupported(format!("downloading version `{version}` of `{path}`")));
        }
        let lenient = self.remote && matches!(item.expected, Expected::Object { .. });
        if !lenient {
            let destination = item.destination.clone();
            return self
                .client
                .receive(path, destination, &item.expected, reporter)
                .await;
        }
        let missing = || RemoteError::MissingObject {
            remote: self.client.label.clone(),
            object: path.to_owned(),
        };
        let batch = reporter.batch();
        if batch.given_up() {
            return Err(missing());
        }
        let response = match self.client.get(path).await {
            Ok(response) => response,
            Err(error) => {
                if error.is_fatal() {
                    batch.give_up();
                }
                return Err(missing());
            }
        };
        let destination = item.destination.clone();
        self.client
            .receive_body(path, response, destination, &item.expected, reporter)
            .await
    }

    async fn delete_all(&self, _paths: &[String], _jobs: usize) -> Result<(), RemoteError> {
        Err(self.unsupported("deleting objects from an HTTP remote".to_owned()))
    }
}
