//! [`NetworkStore`]: a backend reached over the network, written one item at a time in async
//! code, and [`Networked`], which turns it into a blocking, batch-shaped [`Store`]: its own
//! tokio runtime (created on first use), `jobs` requests at a time, progress delivered on the
//! calling thread, fail-fast after remote-wide failures (all in `runtime`), and downloads
//! accepted or refused in one place ([`IncomingFile::persist`]).

use std::future::Future;
use std::sync::{Arc, OnceLock};

use dv_schema::hash::Md5;
use futures::StreamExt as _;
use tokio::runtime::Runtime;

use crate::batch::Stop;
use crate::error::{RemoteError, RemoteLabel};
use crate::incoming::IncomingFile;
use crate::progress::TransferProgress;
use crate::runtime::{TaskReporter, run_tasks, start_runtime};
use crate::store::{Get, Listing, Listings, Policy, Progress, Put, Results, Store};

/// A file on its way from a network backend, from [`NetworkStore::get`].
pub(crate) type Received = Result<IncomingFile, RemoteError>;

/// A network backend, one item at a time; [`Networked`] runs the batches.
pub(crate) trait NetworkStore: Send + Sync + 'static {
    /// An open listing.
    type Lister: Send;

    /// The remote's name and URL.
    fn label(&self) -> &RemoteLabel;

    /// What this backend can do.
    fn policy(&self) -> Policy;

    /// Whether a file exists at `path`. `batch` is the batch's state: backends that count an
    /// unusable remote as "not there" give up on it there.
    fn exists(
        &self,
        path: &str,
        batch: &Stop,
    ) -> impl Future<Output = Result<bool, RemoteError>> + Send;

    /// Starts listing what lies `depth` levels below `dir` (see [`Store::list`]); the paths may
    /// include others, which [`Networked`] filters out.
    fn open_lister(
        &self,
        dir: &str,
        depth: usize,
    ) -> impl Future<Output = Result<Self::Lister, RemoteError>> + Send;

    /// The next path of `lister`, relative to the root.
    fn next_path(
        &self,
        lister: &mut Self::Lister,
    ) -> impl Future<Output = Result<Option<String>, RemoteError>> + Send;

    /// Writes one file.
    fn put(
        &self,
        item: Put,
        reporter: &TaskReporter,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;

    /// Streams one file into an [`IncomingFile`] (created only once the file is found, so
    /// that a missing file leaves nothing behind).
    fn get(
        &self,
        item: &Get,
        reporter: &TaskReporter<Md5>,
    ) -> impl Future<Output = Received> + Send;

    /// Removes the files, `jobs` requests at a time (see [`Store::delete_many`]).
    fn delete_all(
        &self,
        paths: &[String],
        jobs: usize,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;

    /// Closes connections before the store is dropped.
    fn close(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// A [`NetworkStore`] with its runtime: a blocking [`Store`].
pub(crate) struct Networked<S: NetworkStore> {
    store: Arc<S>,
    runtime: OnceLock<Runtime>,
}

impl<S: NetworkStore> Networked<S> {
    /// `store` on `runtime`, which may already be started.
    pub(crate) fn new(store: S, runtime: OnceLock<Runtime>) -> Self {
        Networked {
            store: Arc::new(store),
            runtime,
        }
    }

    /// The backend.
    pub(crate) fn backend(&self) -> &S {
        &self.store
    }

    /// The runtime, started on first use.
    pub(crate) fn runtime(&self) -> Result<&Runtime, RemoteError> {
        start_runtime(&self.runtime, self.store.label())
    }

    /// Runs `work` on each item on the runtime (see [`run_tasks`]).
    fn run<T, R, Fut>(
        &self,
        items: &[T],
        jobs: usize,
        progress: &mut dyn TransferProgress,
        work: impl Fn(Arc<S>, T, TaskReporter<R>) -> Fut + Send + Sync + 'static,
    ) -> Vec<Result<R, RemoteError>>
    where
        T: Clone + Send + Sync + 'static,
        R: Send + 'static,
        Fut: Future<Output = Result<R, RemoteError>> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let label = self.store.label();
        run_tasks(&self.runtime, label, items.to_vec(), jobs, progress, {
            move |item, reporter| work(Arc::clone(&store), item, reporter)
        })
    }

    /// Every path `depth` levels below `dir`, whole.
    async fn list_whole(&self, dir: &str, depth: usize) -> Result<Vec<String>, RemoteError> {
        let mut lister = self.store.open_lister(dir, depth).await?;
        let mut paths = Vec::new();
        while let Some(path) = self.store.next_path(&mut lister).await? {
            paths.extend(at_depth(dir, path, depth));
        }
        Ok(paths)
    }
}

impl<S: NetworkStore> std::fmt::Debug for Networked<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Networked")
            .field("remote", self.store.label())
            .finish_non_exhaustive()
    }
}

/// `path` (leading `/` dropped) if it lies exactly `depth` levels below `dir` and is not a
/// directory marker.
fn at_depth(dir: &str, path: String, depth: usize) -> Option<String> {
    let path = path.trim_start_matches('/');
    let dir = dir.trim_matches('/');
    let rest = if dir.is_empty() {
        path
    } else {
        path.strip_prefix(dir)?.strip_prefix('/')?
    };
    let fits = !rest.is_empty() && !rest.ends_with('/') && rest.split('/').count() == depth;
    fits.then(|| path.to_owned())
}

impl<S: NetworkStore> Store for Networked<S> {
    fn label(&self) -> &RemoteLabel {
        self.store.label()
    }

    fn policy(&self) -> Policy {
        self.store.policy()
    }

    fn exists_many(&self, paths: &[String], jobs: usize) -> Result<Vec<bool>, RemoteError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let store = &self.store;
        let stop = Stop::default();
        self.runtime()?.block_on(async {
            let mut checks = futures::stream::iter(paths.iter().enumerate())
                .map(|(index, path)| {
                    let stop = &stop;
                    async move { (index, store.exists(path, stop).await) }
                })
                .buffer_unordered(jobs.max(1));
            let mut found = vec![false; paths.len()];
            while let Some((index, exists)) = checks.next().await {
                found[index] = exists?;
            }
            Ok(found)
        })
    }

    fn list(&self, dir: &str, depth: usize) -> Listing<'_> {
        Box::new(NetworkListing {
            networked: self,
            dir: dir.to_owned(),
            depth,
            lister: None,
            fetched: std::collections::VecDeque::new(),
            end: None,
        })
    }

    fn list_many(&self, dirs: &[String], depth: usize, jobs: usize) -> Listings {
        self.runtime()?.block_on(async {
            let mut listings = futures::stream::iter(dirs)
                .map(|dir| self.list_whole(dir, depth))
                .buffered(jobs.max(1));
            let mut all = Vec::with_capacity(dirs.len());
            while let Some(listing) = listings.next().await {
                all.push(listing?);
            }
            Ok(all)
        })
    }

    fn put_many(&self, items: &[Put], jobs: usize, progress: Progress<'_>) -> Results {
        self.run(items, jobs, progress, |store, item, reporter| async move {
            store.put(item, &reporter).await
        })
    }

    fn get_many(&self, items: &[Get], jobs: usize, progress: Progress<'_>) -> Results<Md5> {
        self.run(items, jobs, progress, |store, item, reporter| async move {
            let incoming = store.get(&item, &reporter).await?;
            incoming.persist(&item.expected)
        })
    }

    fn delete_many(&self, paths: &[String], jobs: usize) -> Result<(), RemoteError> {
        self.runtime()?
            .block_on(self.store.delete_all(paths, jobs.max(1)))
    }
}

/// Closes the backend's connections, if the runtime ever started.
impl<S: NetworkStore> Drop for Networked<S> {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.get()
            && let Some(store) = Arc::get_mut(&mut self.store)
        {
            runtime.block_on(store.close());
        }
    }
}

/// Paths a lazy listing fetches in one go on the runtime, at most (one `block_on` per path
/// would cost more than the paths themselves).
const LISTING_BATCH: usize = 256;

/// A lazy listing: a batch of paths fetched at a time on the store's runtime.
struct NetworkListing<'a, S: NetworkStore> {
    networked: &'a Networked<S>,
    dir: String,
    depth: usize,
    lister: Option<S::Lister>,
    /// Paths fetched and not yet yielded.
    fetched: std::collections::VecDeque<String>,
    /// The end of the listing, or its failure, after the fetched paths.
    end: Option<Option<RemoteError>>,
}

impl<S: NetworkStore> NetworkListing<'_, S> {
    /// Fetches the next batch of paths, noting the end of the listing when reached.
    fn fetch(&mut self) {
        let runtime = match self.networked.runtime() {
            Ok(runtime) => runtime,
            Err(error) => {
                self.end = Some(Some(error));
                return;
            }
        };
        let store = &self.networked.store;
        let (dir, depth) = (&self.dir, self.depth);
        let (lister, fetched) = (&mut self.lister, &mut self.fetched);
        let result = runtime.block_on(async {
            let lister = match lister {
                Some(lister) => lister,
                None => lister.insert(store.open_lister(dir, depth).await?),
            };
            while fetched.len() < LISTING_BATCH {
                let Some(path) = store.next_path(lister).await? else {
                    return Ok(true);
                };
                fetched.extend(at_depth(dir, path, depth));
            }
            Ok(false)
        });
        match result {
            Ok(false) => {}
            Ok(true) => self.end = Some(None),
            Err(error) => self.end = Some(Some(error)),
        }
    }
}

impl<S: NetworkStore> Iterator for NetworkListing<'_, S> {
    type Item = Result<String, RemoteError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(path) = self.fetched.pop_front() {
                return Some(Ok(path));
            }
            match &mut self.end {
                Some(end) => return end.take().map(Err),
                None => self.fetch(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_keep_paths_at_their_depth() {
        let keep = |dir: &str, path: &str, depth| at_depth(dir, path.to_owned(), depth);
        assert_eq!(
            keep("files/md5", "files/md5/ab/cd", 2).as_deref(),
            Some("files/md5/ab/cd")
        );
        assert_eq!(keep("files/md5", "files/md5/ab/", 2), None);
        assert_eq!(keep("files/md5", "files/md5/ab", 2), None);
        assert_eq!(keep("", "/ab/cd", 2).as_deref(), Some("ab/cd"));
        assert_eq!(keep("", "files/md5/ab/cd", 2), None);
        assert_eq!(keep("runs", "runs/a/b/c", 3).as_deref(), Some("runs/a/b/c"));
        assert_eq!(keep("runsx", "runs/a/b/c", 3), None);
    }
}
