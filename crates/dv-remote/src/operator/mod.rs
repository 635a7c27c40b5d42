//! [`OperatorStore`]: a remote on any storage OpenDAL reaches (S3, Google Cloud Storage, Azure
//! Blob Storage, WebDAV), on a tokio runtime the store creates on first use. Everything here is
//! async inside and blocking outside: each batch runs to completion in `block_on`. The
//! service-specific modules (`s3`, `gcs`, `azure`, `webdav`) turn a remote's options into an
//! OpenDAL operator and hand it to [`OperatorStore::new`].
//!
//! * `failure`: OpenDAL errors → [`RemoteError`]s naming the credentials, bucket or endpoint.
//! * `transfer`: one upload or download.
//! * here: the store, existence checks, listings and batches, and [`finish`], the HTTP client,
//!   timeout and retry layers every service's operator gets.
//!
//! [`ExternalFs`](crate::ExternalFs) reads S3 sources through the same error mapping and
//! downloads.

mod failure;
mod transfer;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt as _;
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, HttpTransporter, Lister, Operator};
use opendal_http_transport_reqwest::ReqwestTransport;
use tokio::runtime::Runtime;

pub(crate) use self::failure::{Target, describe, innermost};
pub(crate) use self::transfer::receive;
use self::transfer::{download, download_unchecked, upload, upload_to};
use crate::config::Retries;
use crate::error::RemoteError;
use crate::existence::{self, SHARDS, Strategy};
use crate::object_key::{Layout, MD5_PREFIX, ObjectDownload, ObjectKey};
use crate::progress::TransferProgress;
use crate::run_entry::{RUNS_DIR, RunEntryPath};
use crate::runtime::{run_tasks, start_runtime};

/// A remote reached through an OpenDAL operator.
pub(crate) struct OperatorStore {
    target: Arc<Target>,
    operator: Operator,
    runtime: OnceLock<Runtime>,
}

impl std::fmt::Debug for OperatorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl OperatorStore {
    /// A store over `operator`, whose errors name `target`; `runtime` may already be started.
    pub(crate) fn new(target: Target, operator: Operator, runtime: OnceLock<Runtime>) -> Self {
        OperatorStore {
            target: Arc::new(target),
            operator,
            runtime,
        }
    }

    fn runtime(&self) -> Result<&Runtime, RemoteError> {
        start_runtime(&self.runtime, &self.target.label)
    }

    /// Whether each object exists, by `HEAD` requests or listings (see [`existence`]).
    pub(crate) fn exists_many(
        &self,
        keys: &[ObjectKey],
        jobs: usize,
    ) -> Result<Vec<bool>, RemoteError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.runtime()?.block_on(async {
            let mut found = HashSet::new();
            for layout in [Layout::Md5, Layout::Legacy] {
                let wanted: HashSet<ObjectKey> = keys
                    .iter()
                    .filter(|key| key.layout() == layout)
                    .copied()
                    .collect();
                if !wanted.is_empty() {
                    found.extend(self.existing(layout, &wanted, jobs).await?);
                }
            }
            Ok(keys.iter().map(|key| found.contains(key)).collect())
        })
    }

    /// The objects of `wanted` (all of `layout`) that the remote has.
    async fn existing(
        &self,
        layout: Layout,
        wanted: &HashSet<ObjectKey>,
        jobs: usize,
    ) -> Result<HashSet<ObjectKey>, RemoteError> {
        if wanted.len() == 1 {
            return self.query(wanted.iter().copied(), jobs).await;
        }
        let limit = existence::estimation_limit(wanted.len());
        let (estimate, complete) = self.list_shard(layout, "00", Some(limit)).await?;
        let in_estimate: HashSet<ObjectKey> = estimate
            .iter()
            .filter(|key| wanted.contains(key))
            .copied()
            .collect();
        match existence::choose(wanted.len(), estimate.len(), jobs) {
            Strategy::Query => {
                let remaining = wanted
                    .iter()
                    .filter(|key| !in_estimate.contains(key))
                    .filter(|key| !(complete && key.shard() == "00"))
                    .copied();
                let mut found = self.query(remaining, jobs).await?;
                found.extend(in_estimate);
                Ok(found)
            }
            Strategy::ListAll => {
                let mut found = HashSet::new();
                let mut lister = self.lister(layout, true).await?;
                while let Some(key) = self.next_key(&mut lister, layout).await? {
                    if wanted.contains(&key) {
                        found.insert(key);
                    }
                }
                Ok(found)
            }
            Strategy::ListShards => {
                let first = if complete { 1 } else { 0 };
                let mut found = in_estimate;
                let mut listings = futures::stream::iter(first..SHARDS)
                    .map(|shard| {
                        let shard = format!("{shard:02x}");
                        async move { self.list_shard(layout, &shard, None).await }
                    })
                    .buffer_unordered(jobs.max(1));
                while let Some(listing) = listings.next().await {
                    let (keys, _) = listing?;
                    found.extend(keys.into_iter().filter(|key| wanted.contains(key)));
                }
                Ok(found)
            }
        }
    }

    /// `HEAD`s each key, `jobs` at a time; the keys that exist.
    async fn query(
        &self,
        keys: impl Iterator<Item = ObjectKey>,
        jobs: usize,
    ) -> Result<HashSet<ObjectKey>, RemoteError> {
        let mut checks = futures::stream::iter(keys)
            .map(|key| async move {
                let path = key.remote_path();
                match self.operator.stat(&path).await {
                    Ok(_) => Ok(Some(key)),
                    Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
                    Err(error) => Err(self.target.error("check", &path, &error)),
                }
            })
            .buffer_unordered(jobs.max(1));
        let mut found = HashSet::new();
        while let Some(check) = checks.next().await {
            if let Some(key) = check? {
                found.insert(key);
            }
        }
        Ok(found)
    }

    /// The objects of one shard directory, at most `limit` of them; whether the listing is
    /// complete.
    async fn list_shard(
        &self,
        layout: Layout,
        shard: &str,
        limit: Option<usize>,
    ) -> Result<(Vec<ObjectKey>, bool), RemoteError> {
        let dir = layout.shard_dir(shard);
        let mut lister = self
            .operator
            .lister(&dir)
            .await
            .map_err(|error| self.target.error("list", &dir, &error))?;
        let mut keys = Vec::new();
        while let Some(entry) = lister.next().await {
            let entry = entry.map_err(|error| self.target.error("list", &dir, &error))?;
            if let Some(key) = key_from_entry(entry.path(), layout) {
                if limit.is_some_and(|limit| keys.len() >= limit) {
                    return Ok((keys, false));
                }
                keys.push(key);
            }
        }
        Ok((keys, true))
    }

    /// A lister of every object under the layout's root.
    async fn lister(&self, layout: Layout, recursive: bool) -> Result<Lister, RemoteError> {
        let dir = match layout {
            Layout::Md5 => format!("{MD5_PREFIX}/"),
            Layout::Legacy => "/".to_owned(),
        };
        self.operator
            .lister_with(&dir)
            .recursive(recursive)
            .await
            .map_err(|error| self.target.error("list", &dir, &error))
    }

    /// The next object key from `lister`, skipping entries that are not objects.
    async fn next_key(
        &self,
        lister: &mut Lister,
        layout: Layout,
    ) -> Result<Option<ObjectKey>, RemoteError> {
        while let Some(entry) = lister.next().await {
            let entry = entry.map_err(|error| self.target.error("list", layout.root(), &error))?;
            if let Some(key) = key_from_entry(entry.path(), layout) {
                return Ok(Some(key));
            }
        }
        Ok(None)
    }

    /// Every object of `layout`, listed lazily page by page.
    pub(crate) fn list(&self, layout: Layout) -> OperatorKeys<'_> {
        OperatorKeys {
            store: self,
            layout,
            lister: None,
            done: false,
        }
    }

    /// Deletes the objects with batched `DeleteObjects` requests (OpenDAL's deleter); objects
    /// already gone are not an error.
    pub(crate) fn delete_many(&self, keys: &[ObjectKey]) -> Result<(), RemoteError> {
        let paths: Vec<String> = keys.iter().map(ObjectKey::remote_path).collect();
        let first = paths.first().cloned().unwrap_or_default();
        self.runtime()?.block_on(async {
            self.operator
                .delete_iter(paths)
                .await
                .map_err(|error| self.target.error("delete", &first, &error))
        })
    }

    pub(crate) fn upload_many(
        &self,
        items: &[(PathBuf, ObjectKey)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let operator = self.operator.clone();
        let target = Arc::clone(&self.target);
        run_tasks(
            &self.runtime,
            &self.target.label,
            items.to_vec(),
            jobs,
            progress,
            move |(source, key), reporter| {
                upload(Arc::clone(&target), operator.clone(), source, key, reporter)
            },
        )
    }

    pub(crate) fn download_many(
        &self,
        items: &[ObjectDownload],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let operator = self.operator.clone();
        let target = Arc::clone(&self.target);
        run_tasks(
            &self.runtime,
            &self.target.label,
            items.to_vec(),
            jobs,
            progress,
            move |item, reporter| download(Arc::clone(&target), operator.clone(), item, reporter),
        )
    }
}

impl OperatorStore {
    /// Every run-cache entry under `runs/` (other objects there are skipped), sorted.
    pub(crate) fn list_run_entries(&self) -> Result<Vec<RunEntryPath>, RemoteError> {
        let dir = format!("{RUNS_DIR}/");
        self.runtime()?.block_on(async {
            let mut lister = self
                .operator
                .lister_with(&dir)
                .recursive(true)
                .await
                .map_err(|error| self.target.error("list", &dir, &error))?;
            let mut entries = Vec::new();
            while let Some(entry) = lister.next().await {
                let entry = entry.map_err(|error| self.target.error("list", &dir, &error))?;
                entries.extend(RunEntryPath::from_relative_path(entry.path()));
            }
            entries.sort();
            Ok(entries)
        })
    }

    /// Uploads each `(local file, entry)`, replacing what is there.
    pub(crate) fn upload_run_entries(
        &self,
        items: &[(PathBuf, RunEntryPath)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let operator = self.operator.clone();
        let target = Arc::clone(&self.target);
        run_tasks(
            &self.runtime,
            &self.target.label,
            items.to_vec(),
            jobs,
            progress,
            move |(source, entry), reporter| {
                upload_to(
                    Arc::clone(&target),
                    operator.clone(),
                    source,
                    entry.relative_path(),
                    reporter,
                )
            },
        )
    }

    /// Downloads each `(entry, destination)`, replacing what is there.
    pub(crate) fn download_run_entries(
        &self,
        items: &[(RunEntryPath, PathBuf)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let operator = self.operator.clone();
        let target = Arc::clone(&self.target);
        run_tasks(
            &self.runtime,
            &self.target.label,
            items.to_vec(),
            jobs,
            progress,
            move |(entry, destination), reporter| {
                download_unchecked(
                    Arc::clone(&target),
                    operator.clone(),
                    entry.relative_path(),
                    destination,
                    reporter,
                )
            },
        )
    }
}

/// `operator` sending its requests through `client`, with a timeout per request
/// (`connect_timeout` + `read_timeout`, and `read_timeout` without progress on a transfer) and
/// exponential retries of transient failures per `retries`.
pub(crate) fn finish(
    operator: Operator,
    client: reqwest::Client,
    retries: Retries,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Operator {
    let transport = HttpTransporter::new(ReqwestTransport::new(client));
    let context = operator.base_context().with_http_transport(transport);
    operator
        .with_context(context)
        .layer(
            TimeoutLayer::new()
                .with_timeout(connect_timeout + read_timeout)
                .with_io_timeout(read_timeout),
        )
        .layer(
            RetryLayer::new()
                .with_max_times(retries.max_retries)
                .with_min_delay(retries.min_delay)
                .with_max_delay(retries.max_delay)
                .with_factor(2.0)
                .with_jitter(),
        )
}

/// The key named by an entry path relative to the remote root, if it is an object of `layout`.
fn key_from_entry(path: &str, layout: Layout) -> Option<ObjectKey> {
    let relative = match layout {
        Layout::Md5 => path.strip_prefix(MD5_PREFIX)?.strip_prefix('/')?,
        Layout::Legacy => path.trim_start_matches('/'),
    };
    ObjectKey::from_shard_path(relative, layout)
}

/// The objects of an S3 remote, listed lazily.
pub(crate) struct OperatorKeys<'a> {
    store: &'a OperatorStore,
    layout: Layout,
    lister: Option<Lister>,
    done: bool,
}

impl Iterator for OperatorKeys<'_> {
    type Item = Result<ObjectKey, RemoteError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let store = self.store;
        let runtime = match store.runtime() {
            Ok(runtime) => runtime,
            Err(error) => {
                self.done = true;
                return Some(Err(error));
            }
        };
        let result = runtime.block_on(async {
            let lister = match &mut self.lister {
                Some(lister) => lister,
                None => self.lister.insert(store.lister(self.layout, true).await?),
            };
            store.next_key(lister, self.layout).await
        });
        match result {
            Ok(Some(key)) => Some(Ok(key)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_map_to_keys_of_their_layout_only() {
        let path = "files/md5/5b/bf5a52328e7439ae6e719dfe712200";
        assert!(key_from_entry(path, Layout::Md5).is_some());
        assert!(key_from_entry(path, Layout::Legacy).is_none());
        assert!(key_from_entry("77/36575c4934b5b45685150b1c7498e5", Layout::Legacy).is_some());
        assert!(key_from_entry("files/md5/", Layout::Md5).is_none());
    }
}
