//! DVC remotes for `dv`: a remote's config turned into a storage backend, and the batched,
//! blocking operations `push`, `pull`, `fetch` and `status -c` need on content-addressed
//! objects (spec §10); and the read-only external file systems (S3, HTTP) that `import-url`,
//! `get-url`, `update` and `ls-url` read from (spec §6.3–§6.5).
//!
//! ```text
//! RemoteConfig ──Remote::open──▶ Remote ─┬─ exists_many(&[ObjectKey])        -> Vec<bool>
//!  (name, options,                       ├─ list_all() / list(Layout)        -> ObjectKeys
//!   environment)                         ├─ upload_many(&[(path, key)])      -> per-item results
//!                                        └─ download_many(&[(key, path)])    -> per-item results
//!
//! RemoteConfig ──ExternalFs::open──▶ ExternalFs ─┬─ stat(path) / stat_many(&[path]) -> entries
//!  (url = s3://… or http(s)://…)                 ├─ list_files(dir)                 -> files
//!                                                ├─ list_directory(dir)             -> children
//!                                                └─ download_many(&[(path, version, dest)]) -> md5s
//! ```
//!
//! Every backend implements one trait, `Store`: files addressed by `/`-separated paths
//! under the remote's root, in batches (exists, list, put, get, delete). What a remote holds is
//! written once on top of it, whatever the backend:
//!
//! ```text
//!  Remote ── objects ─────────────┐  ExternalFs ── s3 / http sources (stat, list_files)
//!  (keys → paths, existence       │      │
//!   strategy, run-cache entries)  │      │ downloads (get)
//!                                 ▼      ▼
//!                       Store (store.rs): exists_many · list · list_many · put_many ·
//!                                 │        get_many · delete_many · policy
//!          ┌──────────────────────┴───────────────────────┐
//!   LocalStore (local.rs)                     Networked<S: NetworkStore> (network.rs)
//!   std::fs on scoped threads                  tokio runtime, one async item at a time
//!                                   ┌────────────────┼──────────────────┐
//!                            OperatorStore       HttpStore           SshStore
//!                            (operator/: s3,    (http/)             (ssh/)
//!                             gcs, azure, webdav)
//! ```
//!
//! Modules and what they own:
//!
//! * [`config`] — [`RemoteConfig`] (the plain input) and [`Retries`].
//! * `location` — the remote `url` → local directory, S3/GCS bucket or Azure container + prefix,
//!   HTTP or WebDAV server, SSH host + path.
//! * [`object_key`] — [`ObjectKey`] (a `dv-schema` object id in a layout) and the remote
//!   layout (`files/md5/ab/…`, legacy `ab/…`).
//! * `store` — the `Store` trait, what one item of a batch is (`Put`, `Get`), and
//!   [`Policy`]: what a backend can do (HTTP cannot list or delete and reports each failed
//!   upload), asked by callers instead of the remote's kind.
//! * `objects` — objects, `.dir` manifests and run-cache entries on any `Store`: key paths,
//!   DVC's existence strategy (`existence`), [`ObjectKeys`] listings, uploads, checked
//!   downloads, deletions.
//! * `existence` — DVC's choice between per-object `HEAD`s and listing.
//! * `local` — directory remotes (synchronous file operations on scoped threads).
//! * `network` — `NetworkStore`, a backend written one async item at a time, and `Networked`,
//!   the `Store` that runs its batches on a tokio runtime.
//! * `operator` — remotes on OpenDAL services: the store, its transfers and error mapping.
//! * `s3` — S3 and S3-compatible remotes: options → OpenDAL operator.
//! * `cloud` — Google Cloud Storage, Azure Blob Storage and WebDAV remotes (OpenDAL).
//! * `credentials` — AWS credentials and region from options, environment and `~/.aws` files.
//! * `transport` — the HTTP client every HTTP-based backend uses.
//! * `http` — HTTP(S) remotes (dvc-http: `GET`, `HEAD`, uploads by `POST` or `PUT`) and the
//!   HTTP client that HTTP import sources share.
//! * `ssh` — SSH remotes over SFTP, through the system's OpenSSH client: `command` (url,
//!   options → `ssh` arguments, askpass), `connection` (the SFTP session).
//! * [`external`] — [`ExternalFs`]: S3 and HTTP(S) import sources, downloading through their
//!   `Store`.
//! * `runtime` — the lazily created tokio runtime and batches of async tasks on it.
//! * `batch` — bounded-concurrency batches on threads, progress events, fail-fast on
//!   remote-wide errors.
//! * `incoming` — temporary siblings (named by `dv-fs`), downloads written to them, and the
//!   one place a download is accepted (renamed into place) or refused.
//! * `content_check` — hashing downloads (`dv-data`'s `md5-dos2unix` for legacy objects) and
//!   what a download must match.
//! * [`progress`] — [`TransferProgress`], how callers observe transfers.
//! * [`run_entry`] — [`RunEntryPath`], run-cache entries (`runs/…`), copied as they are.
//! * [`error`] — [`RemoteError`].
//!
//! Remote types and how they are reached:
//!
//! | url | storage | through |
//! | --- | --- | --- |
//! | `/path`, `file://` | directory | `std::fs` on threads |
//! | `s3://` | S3, S3-compatible (`endpointurl`) | OpenDAL `s3` |
//! | `gs://` | Google Cloud Storage | OpenDAL `gcs` |
//! | `azure://` | Azure Blob Storage | OpenDAL `azblob` |
//! | `webdav://`, `webdavs://` | WebDAV | OpenDAL `webdav` |
//! | `http://`, `https://` | web server (no listing, no deleting) | reqwest |
//! | `ssh://` | SFTP | the system's `ssh`, `openssh-sftp-client` over its pipes |
//!
//! Every download is hashed on its way into a temporary file and renamed into place only if it
//! matches its key. Uploads appear complete: local and SSH remotes write a temporary sibling and
//! rename it, object stores publish an object when its upload completes, HTTP and WebDAV servers
//! receive one request per object (nothing to rename there).
//!
//! Nothing here prints, reads process-wide environment variables or installs global state
//! other than OpenDAL's service registry; the one exception is the `ssh` child process, which
//! inherits the environment (its agent socket, `SSH_AUTH_SOCK`). This is the only `dv` crate
//! with async code, and the async stays inside: local remotes start no runtime at all.

pub mod config;
pub mod error;
pub mod external;
pub mod object_key;
pub mod progress;
pub mod run_entry;

mod batch;
mod cloud;
mod content_check;
mod credentials;
mod existence;
mod http;
mod incoming;
mod local;
mod location;
mod network;
mod objects;
mod operator;
mod runtime;
mod s3;
mod ssh;
mod store;
mod transport;

use std::path::PathBuf;
use std::sync::OnceLock;

pub use config::{RemoteConfig, Retries};
pub use error::{RemoteError, RemoteLabel};
pub use external::{ExternalChild, ExternalEntry, ExternalFile, ExternalFs};
pub use object_key::{Layout, ObjectDownload, ObjectKey, ObjectKind, ParseKeyError};
pub use objects::ObjectKeys;
pub use progress::TransferProgress;
pub use run_entry::{ParseRunEntryError, RunEntryPath};
pub use ssh::answer_ssh_prompt;
pub use store::Policy;

use crate::config::Options;
use crate::http::HttpStore;
use crate::local::LocalStore;
use crate::location::Location;
use crate::network::Networked;
use crate::ssh::SshStore;
use crate::store::Store;

/// The kind of storage behind a remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteKind {
    /// A directory on this machine.
    Local,
    /// An S3 bucket (AWS or S3-compatible).
    S3,
    /// A web server (`http://`, `https://`).
    Http,
    /// A directory on an SSH server, over SFTP (`ssh://`).
    Ssh,
    /// A Google Cloud Storage bucket (`gs://`).
    Gs,
    /// An Azure Blob Storage container (`azure://`).
    Azure,
    /// A WebDAV server (`webdav://`, `webdavs://`).
    WebDav,
}

/// An opened remote: a content-addressed object store with DVC's layout (spec §10.1).
pub struct Remote {
    label: RemoteLabel,
    jobs: usize,
    kind: RemoteKind,
    store: Box<dyn Store>,
}

/// Shows the name, URL and kind only.
impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("name", &self.label.name)
            .field("url", &self.label.url)
            .field("kind", &self.kind())
            .field("jobs", &self.jobs)
            .finish()
    }
}

impl Remote {
    /// Opens the remote described by `config`.
    ///
    /// Local directories are not touched until used. S3 remotes resolve credentials and region
    /// here (reading `~/.aws` files) and only contact the network when they must discover the
    /// bucket's region (no `region`, `AWS_REGION` or `endpointurl`).
    ///
    /// # Errors
    ///
    /// A missing or unsupported `url` (`hdfs`, `oss`, `gdrive`, … are not supported),
    /// version-aware or worktree remotes, invalid option values, partial credentials.
    pub fn open(config: &RemoteConfig) -> Result<Remote, RemoteError> {
        let url = config.option("url").unwrap_or_default();
        let label = RemoteLabel::new(&config.name, url);
        let options = Options {
            config,
            label: &label,
        };
        for (option, what) in [("version_aware", "version-aware"), ("worktree", "worktree")] {
            if options.bool(option, false)? {
                return Err(RemoteError::Unsupported {
                    remote: label.clone(),
                    reason: format!("{what} remotes are not supported yet"),
                });
            }
        }
        let jobs = options
            .positive("jobs")?
            .map_or_else(config::default_jobs, config::cap_jobs);
        let (kind, store): (RemoteKind, Box<dyn Store>) = match Location::parse(config, &label)? {
            Location::Local(root) => (
                RemoteKind::Local,
                Box::new(LocalStore::new(root, label.clone())),
            ),
            Location::S3 { bucket, prefix } => (
                RemoteKind::S3,
                Box::new(s3::open(config, &label, &bucket, &prefix)?),
            ),
            Location::Http(url) => (
                RemoteKind::Http,
                Box::new(Networked::new(
                    HttpStore::open(config, &label, &url)?,
                    OnceLock::new(),
                )),
            ),
            Location::Ssh(url) => (
                RemoteKind::Ssh,
                Box::new(Networked::new(
                    SshStore::open(config, &label, url)?,
                    OnceLock::new(),
                )),
            ),
            Location::Gcs { bucket, prefix } => (
                RemoteKind::Gs,
                Box::new(cloud::open_gcs(config, &label, &bucket, &prefix)?),
            ),
            Location::Azure { container, prefix } => (
                RemoteKind::Azure,
                Box::new(cloud::open_azure(config, &label, &container, &prefix)?),
            ),
            Location::WebDav { secure, rest } => (
                RemoteKind::WebDav,
                Box::new(cloud::open_webdav(config, &label, secure, &rest)?),
            ),
        };
        Ok(Remote {
            label,
            jobs,
            kind,
            store,
        })
    }

    /// The remote's name and URL.
    pub fn label(&self) -> &RemoteLabel {
        &self.label
    }

    /// The kind of storage (local directory, S3, HTTP, SSH, GCS, Azure, WebDAV).
    pub fn kind(&self) -> RemoteKind {
        self.kind
    }

    /// What the remote's storage can do (list, delete) and how its failures are reported.
    pub fn policy(&self) -> Policy {
        self.store.policy()
    }

    /// The concurrency used when a call passes `jobs: None`: the remote's `jobs` option, else
    /// DVC's default of 4 × the number of CPUs (spec §10.2).
    pub fn default_jobs(&self) -> usize {
        self.jobs
    }

    fn jobs(&self, jobs: Option<usize>) -> usize {
        config::cap_jobs(jobs.unwrap_or(self.jobs))
    }

    /// Whether the remote has each of `keys`, in order.
    ///
    /// Local and SSH remotes check each object, HTTP remotes `HEAD` each object (a failed check
    /// counts as absent, as with dvc-http); object stores and WebDAV choose between one `HEAD`
    /// per object and
    /// listing like DVC (listing when many objects are asked about relative to the remote's
    /// estimated size).
    ///
    /// # Errors
    ///
    /// Refused credentials, a missing bucket (when listing), an unreachable endpoint, or any
    /// failure other than "not found".
    pub fn exists_many(
        &self,
        keys: &[ObjectKey],
        jobs: Option<usize>,
    ) -> Result<Vec<bool>, RemoteError> {
        let jobs = self.jobs(jobs);
        objects::exists_many(&*self.store, keys, jobs)
    }

    /// Every DVC 3 object on the remote (under `files/md5/`), listed lazily, in no particular
    /// order.
    pub fn list_all(&self) -> ObjectKeys<'_> {
        self.list(Layout::Md5)
    }

    /// Every object of `layout` on the remote, listed lazily, in no particular order. Other
    /// files (temporary files, `runs/`, …) are skipped.
    pub fn list(&self, layout: Layout) -> ObjectKeys<'_> {
        objects::list(&*self.store, layout)
    }

    /// Uploads each `(local file, key)`, `jobs` at a time, reporting to `progress`; one result
    /// per item, in order.
    ///
    /// Objects appear on the remote only complete: local remotes write a temporary sibling,
    /// make it read-only (0444) and rename it; SSH remotes write a temporary sibling and rename
    /// it; S3, GCS and Azure objects appear when their upload (multipart above 8 MiB)
    /// completes; HTTP (`POST`/`PUT`) and WebDAV (`PUT`) servers get one request per object. The local file is not re-hashed: callers upload from the
    /// cache, whose objects are trusted. After a remote-wide failure (credentials, bucket,
    /// endpoint) the remaining items fail with the same error without being tried.
    pub fn upload_many(
        &self,
        items: &[(PathBuf, ObjectKey)],
        jobs: Option<usize>,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let jobs = self.jobs(jobs);
        objects::upload(&*self.store, items, jobs, progress)
    }

    /// Downloads each object, `jobs` at a time, reporting to `progress`; one result per item,
    /// in order.
    ///
    /// Each object is written to a `.<random>.tmp` sibling of its destination while its hash
    /// is computed (plain MD5, or `md5-dos2unix` for legacy keys), and renamed over the
    /// destination only if the hash matches the key; otherwise the item fails with
    /// [`RemoteError::Corrupted`] and nothing is left behind. An object of known size stops
    /// at the first byte past it ([`RemoteError::TooLarge`], nothing left behind either). Parent directories are created.
    /// The file gets the default mode (0666 minus the umask): protecting cache objects is the
    /// caller's business.
    pub fn download_many(
        &self,
        items: &[ObjectDownload],
        jobs: Option<usize>,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let jobs = self.jobs(jobs);
        objects::download(&*self.store, items, jobs, progress)
    }
}

impl Remote {
    /// Deletes each of `keys` from the remote (`gc -c`, spec §10.5); objects already gone are
    /// not an error. HTTP remotes cannot delete ([`RemoteError::UnsupportedOperation`]). Local
    /// and SSH remotes remove the files `jobs` at a time; OpenDAL remotes delete in
    /// batches where the service can (S3 `DeleteObjects`). Only object paths are ever deleted: nothing under `runs/`, no
    /// temporary files.
    ///
    /// # Errors
    ///
    /// The first failure (refused credentials, a missing bucket, an unreachable endpoint, a
    /// file that cannot be removed); objects deleted before it stay deleted.
    pub fn delete_many(&self, keys: &[ObjectKey], jobs: Option<usize>) -> Result<(), RemoteError> {
        let jobs = self.jobs(jobs);
        objects::delete(&*self.store, keys, jobs)
    }
}

/// Run-cache entries (`runs/<key[:2]>/<key>/<value>`, spec §9.4): plain files copied as they
/// are, for `push`/`fetch --run-cache`.
impl Remote {
    /// Every run-cache entry on the remote, sorted; files under `runs/` that do not name an
    /// entry (temporary files) are skipped.
    ///
    /// # Errors
    ///
    /// Refused credentials, a missing bucket, an unreachable endpoint, an unreadable directory.
    pub fn list_run_entries(&self) -> Result<Vec<RunEntryPath>, RemoteError> {
        objects::list_run_entries(&*self.store)
    }

    /// Uploads each `(local file, entry)`, replacing an entry already there (entries of the
    /// same name have the same content); one result per item, in order. Local remotes write a
    /// temporary sibling and rename it; S3 objects appear when their upload completes.
    pub fn upload_run_entries(
        &self,
        items: &[(PathBuf, RunEntryPath)],
        jobs: Option<usize>,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let jobs = self.jobs(jobs);
        objects::upload_run_entries(&*self.store, items, jobs, progress)
    }

    /// Downloads each `(entry, destination)` through a temporary sibling renamed over the
    /// destination (parent directories are created); one result per item, in order. An entry
    /// the remote lacks fails with [`RemoteError::MissingObject`].
    pub fn download_run_entries(
        &self,
        items: &[(RunEntryPath, PathBuf)],
        jobs: Option<usize>,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let jobs = self.jobs(jobs);
        objects::download_run_entries(&*self.store, items, jobs, progress)
    }
}
