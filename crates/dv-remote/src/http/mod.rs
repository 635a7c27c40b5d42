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
//! * here: the store and its batches.

mod client;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use futures::StreamExt as _;
use reqwest::Method;
use tokio::runtime::Runtime;

pub(crate) use self::client::Client;
use crate::config::RemoteConfig;
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel};
use crate::object_key::{ObjectDownload, ObjectKey};
use crate::progress::TransferProgress;
use crate::run_entry::RunEntryPath;
use crate::runtime::{run_tasks, start_runtime};

/// An HTTP(S) remote.
pub(crate) struct HttpStore {
    client: Arc<Client>,
    /// `POST` or `PUT`.
    method: Method,
    runtime: OnceLock<Runtime>,
}

impl std::fmt::Debug for HttpStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpStore")
            .field("remote", &self.client.label)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
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
            client: Arc::new(Client::open(config, label, url)?),
            method,
            runtime: OnceLock::new(),
        })
    }

    fn unsupported(&self, operation: &str) -> RemoteError {
        RemoteError::UnsupportedOperation {
            remote: self.client.label.clone(),
            operation: operation.to_owned(),
        }
    }

    /// Whether each object exists: one `HEAD` per object, `jobs` at a time.
    ///
    /// Like dvc-http, whose existence check is "the `GET` succeeded", a failed check (refused
    /// credentials, an unreachable server, a server error) counts as "not on the remote", so
    /// that `push` goes on to report each upload that fails; after the first failure that
    /// concerns the whole remote, the remaining objects are not asked about.
    pub(crate) fn exists_many(
        &self,
        keys: &[ObjectKey],
        jobs: usize,
    ) -> Result<Vec<bool>, RemoteError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let runtime = start_runtime(&self.runtime, &self.client.label)?;
        let client = &self.client;
        let stop = AtomicBool::new(false);
        let found = runtime.block_on(async {
            futures::stream::iter(keys.iter().copied())
                .map(|key| {
                    let stop = &stop;
                    async move {
                        if stop.load(Ordering::Relaxed) {
                            return None;
                        }
                        match client.head(&key.remote_path()).await {
                            Ok(head) => head.map(|_| key),
                            Err(error) => {
                                if error.is_fatal() {
                                    stop.store(true, Ordering::Relaxed);
                                }
                                None
                            }
                        }
                    }
                })
                .buffer_unordered(jobs.max(1))
                .filter_map(|found| async move { found })
                .collect::<HashSet<ObjectKey>>()
                .await
        });
        Ok(keys.iter().map(|key| found.contains(key)).collect())
    }

    /// HTTP servers cannot be listed.
    pub(crate) fn list(&self) -> RemoteError {
        self.unsupported("listing the objects of an HTTP remote")
    }

    /// HTTP remotes cannot delete.
    pub(crate) fn delete_many(&self) -> Result<(), RemoteError> {
        Err(self.unsupported("deleting objects from an HTTP remote"))
    }

    pub(crate) fn upload_many(
        &self,
        items: &[(PathBuf, ObjectKey)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let items = items
            .iter()
            .map(|(source, key)| (source.clone(), key.remote_path()))
            .collect();
        self.upload_paths(items, jobs, progress)
    }

    fn upload_paths(
        &self,
        items: Vec<(PathBuf, String)>,
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let client = Arc::clone(&self.client);
        let method = self.method.clone();
        run_tasks(
            &self.runtime,
            &self.client.label,
            items,
            jobs,
            progress,
            move |(source, path), reporter| {
                let (client, method) = (Arc::clone(&client), method.clone());
                async move { client.upload(method, &source, &path, reporter).await }
            },
        )
    }

    /// Downloads each object through a temporary file renamed into place only if its content
    /// hashes to its key.
    ///
    /// An object that cannot be requested (refused credentials, an unreachable server, any
    /// status but success) is [missing](RemoteError::MissingObject), as dvc-http's existence
    /// check makes it; after the first such failure that concerns the whole remote, the
    /// remaining objects are missing without being asked for.
    pub(crate) fn download_many(
        &self,
        items: &[ObjectDownload],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let client = Arc::clone(&self.client);
        let unusable = Arc::new(AtomicBool::new(false));
        run_tasks(
            &self.runtime,
            &self.client.label,
            items.to_vec(),
            jobs,
            progress,
            move |ObjectDownload {
                      key,
                      size,
                      destination,
                  },
                  reporter| {
                let (client, unusable) = (Arc::clone(&client), Arc::clone(&unusable));
                async move {
                    let path = key.remote_path();
                    let missing = || RemoteError::MissingObject {
                        remote: client.label.clone(),
                        object: path.clone(),
                    };
                    if unusable.load(Ordering::Relaxed) {
                        return Err(missing());
                    }
                    let response = match client.get(&path).await {
                        Ok(response) => response,
                        Err(error) => {
                            if error.is_fatal() {
                                unusable.store(true, Ordering::Relaxed);
                            }
                            return Err(missing());
                        }
                    };
                    let hasher = ContentHasher::for_key(&key, size);
                    let incoming = client
                        .receive_body(&path, response, destination, hasher, &reporter)
                        .await?;
                    incoming
                        .persist_if(|actual| {
                            if actual == key.md5() {
                                Ok(())
                            } else {
                                Err(RemoteError::Corrupted {
                                    remote: client.label.clone(),
                                    object: path.clone(),
                                    actual: to_hex(actual),
                                })
                            }
                        })
                        .await?;
                    Ok(())
                }
            },
        )
    }

    /// HTTP servers cannot be listed: run-cache entries cannot be found.
    pub(crate) fn list_run_entries(&self) -> Result<Vec<RunEntryPath>, RemoteError> {
        Err(self.unsupported("listing the run-cache of an HTTP remote"))
    }

    pub(crate) fn upload_run_entries(
        &self,
        items: &[(PathBuf, RunEntryPath)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let items = items
            .iter()
            .map(|(source, entry)| (source.clone(), entry.relative_path()))
            .collect();
        self.upload_paths(items, jobs, progress)
    }

    pub(crate) fn download_run_entries(
        &self,
        items: &[(RunEntryPath, PathBuf)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let client = Arc::clone(&self.client);
        run_tasks(
            &self.runtime,
            &self.client.label,
            items.to_vec(),
            jobs,
            progress,
            move |(entry, destination), reporter| {
                let client = Arc::clone(&client);
                async move {
                    let path = entry.relative_path();
                    let incoming = client
                        .receive(&path, destination, ContentHasher::md5(), &reporter)
                        .await?;
                    incoming.persist_if(|_| Ok(())).await?;
                    Ok(())
                }
            },
        )
    }
}
