//! [`Store`]: the one interface every backend implements — a path-addressed, batch-shaped
//! storage of files (paths are `/`-separated and relative to the remote's root). What lives in
//! those files (content-addressed objects, `.dir` manifests, run-cache entries) is the business
//! of the `objects` module, written once on top of this trait.
//!
//! ```text
//!              objects (keys → paths, existence strategy, verification)
//!                                   │ Store
//!        ┌──────────────────────────┼─────────────────────────────┐
//!   LocalStore (threads)      Networked<S: NetworkStore> (tokio, one item at a time)
//!                              ├─ OperatorStore (S3, GCS, Azure, WebDAV)
//!                              ├─ HttpStore
//!                              └─ SshStore
//! ```
//!
//! [`Policy`] is what a backend cannot do or does differently (HTTP: no listing, no deleting,
//! failed uploads reported one by one); callers ask it instead of checking the remote's kind.

use std::path::PathBuf;

use dv_schema::hash::Md5;

use crate::content_check::Expected;
use crate::error::{RemoteError, RemoteLabel};
use crate::progress::TransferProgress;

/// Paths found by [`Store::list`], lazily; a listing ends after its first error.
pub(crate) type Listing<'a> = Box<dyn Iterator<Item = Result<String, RemoteError>> + 'a>;
/// Whole listings of several directories, from [`Store::list_many`].
pub(crate) type Listings = Result<Vec<Vec<String>>, RemoteError>;
/// One result per item of a batch, in order.
pub(crate) type Results<T = ()> = Vec<Result<T, RemoteError>>;
/// Where a batch reports its progress.
pub(crate) type Progress<'a> = &'a mut dyn TransferProgress;

/// A storage backend; see the module documentation. Batch methods take `jobs`, the number of
/// concurrent operations, and return one result per item, in order, unless they say otherwise.
pub(crate) trait Store: Send + Sync {
    /// The remote's name and URL, for messages.
    fn label(&self) -> &RemoteLabel;

    /// What this backend can do.
    fn policy(&self) -> Policy;

    /// Whether a file exists at each of `paths`.
    fn exists_many(&self, paths: &[String], jobs: usize) -> Result<Vec<bool>, RemoteError>;

    /// The paths exactly `depth` levels below directory `dir` (`""` = the root): `dir/a` for
    /// depth 1, `dir/a/b` for depth 2. Backends with real directories may also yield
    /// directories at that depth; callers keep the names they recognize.
    fn list(&self, dir: &str, depth: usize) -> Listing<'_>;

    /// [`list`](Self::list) of each of `dirs`, whole, `jobs` directories at a time; the
    /// listings in the order of `dirs`. The first failure fails the batch.
    fn list_many(&self, dirs: &[String], depth: usize, jobs: usize) -> Listings {
        let _ = jobs;
        dirs.iter()
            .map(|dir| self.list(dir, depth).collect())
            .collect()
    }

    /// Writes each local file to its path; the file appears complete or not at all.
    fn put_many(&self, items: &[Put], jobs: usize, progress: Progress<'_>) -> Results;

    /// Reads each path into its destination through a temporary sibling, hashed on the way
    /// and renamed into place only when [`Expected::accept`] accepts it; the MD5 of each.
    fn get_many(&self, items: &[Get], jobs: usize, progress: Progress<'_>) -> Results<Md5>;

    /// Removes each path; a path already gone is not an error. The first failure fails the
    /// batch; paths removed before it stay removed.
    fn delete_many(&self, paths: &[String], jobs: usize) -> Result<(), RemoteError>;
}

/// One file to write for [`Store::put_many`].
#[derive(Debug, Clone)]
pub(crate) struct Put {
    /// The local file.
    pub(crate) source: PathBuf,
    /// Where it goes, relative to the root.
    pub(crate) path: String,
    /// A content-addressed object, never changed once written: local remotes make it
    /// read-only (0444) like DVC. Other files (run-cache entries) keep the default mode.
    pub(crate) sealed: bool,
}

/// One file to read for [`Store::get_many`].
#[derive(Debug, Clone)]
pub(crate) struct Get {
    /// The file, relative to the root.
    pub(crate) path: String,
    /// The version to read (S3 version ids), if not the current one.
    pub(crate) version: Option<String>,
    /// The local file it is written to.
    pub(crate) destination: PathBuf,
    /// What its content must be.
    pub(crate) expected: Expected,
}

impl Get {
    /// The current version of `path` to `destination`.
    pub(crate) fn new(path: String, destination: PathBuf, expected: Expected) -> Self {
        Get {
            path,
            version: None,
            destination,
            expected,
        }
    }
}

/// What a remote's storage can do, and how callers should treat its failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Whether its files can be listed (`gc -c`, `status -c` by listing, the run-cache).
    pub lists: bool,
    /// Whether its files can be deleted (`gc -c`).
    pub deletes: bool,
    /// Whether a failed upload is reported with the others even when it concerns the whole
    /// remote (dvc-http reports every failed upload, exit 1); otherwise such a failure ends
    /// the command.
    pub reports_each_failed_upload: bool,
    /// How many objects' existence is found out.
    pub(crate) existence: Existence,
    /// The storage as messages name it when it cannot do something ("an HTTP remote").
    pub(crate) what: &'static str,
}

/// How the `objects` module finds out which objects a remote has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existence {
    /// Ask [`Store::exists_many`] about each object.
    EachObject,
    /// DVC's choice between asking about each object and listing (see `existence`).
    EstimateThenList,
}

impl Policy {
    /// A store that lists and deletes, and asks about each object.
    pub(crate) const FULL: Policy = Policy {
        lists: true,
        deletes: true,
        reports_each_failed_upload: false,
        existence: Existence::EachObject,
        what: "this remote",
    };
}
