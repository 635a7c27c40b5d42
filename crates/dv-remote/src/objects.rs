//! What a remote holds, written once for every backend on top of [`Store`]: content-addressed
//! objects and `.dir` manifests under their [`ObjectKey`] paths (spec §10.1), and run-cache
//! entries under `runs/` (spec §9.4). Existence checks (each object, or DVC's estimate then
//! listing), listings, uploads, downloads checked against their key, deletions.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::content_check::Expected;
use crate::error::RemoteError;
use crate::existence::{self, SHARDS, Strategy};
use crate::object_key::{Layout, ObjectDownload, ObjectKey};
use crate::progress::TransferProgress;
use crate::run_entry::{RUNS_DIR, RunEntryPath};
use crate::store::{Existence, Get, Listing, Put, Store};

/// Whether `store` has each of `keys`, in order.
pub(crate) fn exists_many(
    store: &dyn Store,
    keys: &[ObjectKey],
    jobs: usize,
) -> Result<Vec<bool>, RemoteError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    if store.policy().existence == Existence::EachObject {
        let paths: Vec<String> = keys.iter().map(ObjectKey::remote_path).collect();
        return store.exists_many(&paths, jobs);
    }
    let mut found = HashSet::new();
    for layout in [Layout::Md5, Layout::Legacy] {
        let wanted: HashSet<ObjectKey> = keys
            .iter()
            .filter(|key| key.layout() == layout)
            .copied()
            .collect();
        if !wanted.is_empty() {
            found.extend(existing(store, layout, &wanted, jobs)?);
        }
    }
    Ok(keys.iter().map(|key| found.contains(key)).collect())
}

/// The objects of `wanted` (all of `layout`) that the store has, by DVC's strategy (see
/// [`existence`]).
fn existing(
    store: &dyn Store,
    layout: Layout,
    wanted: &HashSet<ObjectKey>,
    jobs: usize,
) -> Result<HashSet<ObjectKey>, RemoteError> {
    if wanted.len() == 1 {
        return query(store, wanted.iter().copied(), jobs);
    }
    let limit = existence::estimation_limit(wanted.len());
    let (estimate, complete) = list_shard(store, layout, "00", limit)?;
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
            let mut found = query(store, remaining, jobs)?;
            found.extend(in_estimate);
            Ok(found)
        }
        Strategy::ListAll => {
            let mut found = HashSet::new();
            for key in keys_of(store.list(layout.root(), 2), layout) {
                let key = key?;
                if wanted.contains(&key) {
                    found.insert(key);
                }
            }
            Ok(found)
        }
        Strategy::ListShards => {
            let first = if complete { 1 } else { 0 };
            let dirs: Vec<String> = (first..SHARDS)
                .map(|shard| shard_dir(layout, &format!("{shard:02x}")))
                .collect();
            let mut found = in_estimate;
            for listing in store.list_many(&dirs, 1, jobs)? {
                found.extend(
                    listing
                        .iter()
                        .filter_map(|path| key_at(path, layout))
                        .filter(|key| wanted.contains(key)),
                );
            }
            Ok(found)
        }
    }
}

/// Asks about each key; the keys that exist.
fn query(
    store: &dyn Store,
    keys: impl Iterator<Item = ObjectKey>,
    jobs: usize,
) -> Result<HashSet<ObjectKey>, RemoteError> {
    let keys: Vec<ObjectKey> = keys.collect();
    let paths: Vec<String> = keys.iter().map(ObjectKey::remote_path).collect();
    let exists = store.exists_many(&paths, jobs)?;
    Ok(keys
        .into_iter()
        .zip(exists)
        .filter_map(|(key, exists)| exists.then_some(key))
        .collect())
}

/// The objects of one shard directory, at most `limit` of them; whether that is all of them.
fn list_shard(
    store: &dyn Store,
    layout: Layout,
    shard: &str,
    limit: usize,
) -> Result<(Vec<ObjectKey>, bool), RemoteError> {
    let mut keys = Vec::new();
    for key in keys_of(store.list(&shard_dir(layout, shard), 1), layout) {
        let key = key?;
        if keys.len() >= limit {
            return Ok((keys, false));
        }
        keys.push(key);
    }
    Ok((keys, true))
}

/// The directory of shard `shard` of `layout`, relative to the root.
fn shard_dir(layout: Layout, shard: &str) -> String {
    layout.shard_dir(shard).trim_end_matches('/').to_owned()
}

/// The key named by `path` (relative to the root), if it is an object of `layout`.
fn key_at(path: &str, layout: Layout) -> Option<ObjectKey> {
    let relative = match layout {
        Layout::Md5 => path.strip_prefix(layout.root())?.strip_prefix('/')?,
        Layout::Legacy => path.trim_start_matches('/'),
    };
    ObjectKey::from_shard_path(relative, layout)
}

/// The objects among the paths of `listing`.
fn keys_of(listing: Listing<'_>, layout: Layout) -> ObjectKeys<'_> {
    ObjectKeys(Keys::Listed(listing, layout))
}

/// Every object of `layout`, lazily.
pub(crate) fn list(store: &dyn Store, layout: Layout) -> ObjectKeys<'_> {
    let policy = store.policy();
    if !policy.lists {
        return ObjectKeys(Keys::Failed(Some(unsupported(
            store,
            format!("listing the objects of {}", policy.what),
        ))));
    }
    keys_of(store.list(layout.root(), 2), layout)
}

fn unsupported(store: &dyn Store, operation: String) -> RemoteError {
    RemoteError::UnsupportedOperation {
        remote: store.label().clone(),
        operation,
    }
}

/// Uploads each `(local file, key)`.
pub(crate) fn upload(
    store: &dyn Store,
    items: &[(PathBuf, ObjectKey)],
    jobs: usize,
    progress: &mut dyn TransferProgress,
) -> Vec<Result<(), RemoteError>> {
    let puts: Vec<Put> = items
        .iter()
        .map(|(source, key)| Put {
            source: source.clone(),
            path: key.remote_path(),
            sealed: true,
        })
        .collect();
    store.put_many(&puts, jobs, progress)
}

/// Downloads each object, refusing content that does not match its key.
pub(crate) fn download(
    store: &dyn Store,
    items: &[ObjectDownload],
    jobs: usize,
    progress: &mut dyn TransferProgress,
) -> Vec<Result<(), RemoteError>> {
    let gets: Vec<Get> = items
        .iter()
        .map(|item| {
            Get::new(
                item.key.remote_path(),
                item.destination.clone(),
                Expected::Object {
                    key: item.key,
                    size: item.size,
                },
            )
        })
        .collect();
    without_digests(store.get_many(&gets, jobs, progress))
}

fn without_digests<T>(results: Vec<Result<T, RemoteError>>) -> Vec<Result<(), RemoteError>> {
    results
        .into_iter()
        .map(|result| result.map(|_| ()))
        .collect()
}

/// Deletes each object (never anything else).
pub(crate) fn delete(
    store: &dyn Store,
    keys: &[ObjectKey],
    jobs: usize,
) -> Result<(), RemoteError> {
    if keys.is_empty() {
        return Ok(());
    }
    let policy = store.policy();
    if !policy.deletes {
        return Err(unsupported(
            store,
            format!("deleting objects from {}", policy.what),
        ));
    }
    let paths: Vec<String> = keys.iter().map(ObjectKey::remote_path).collect();
    store.delete_many(&paths, jobs)
}

/// Every run-cache entry, sorted; other files under `runs/` are skipped.
pub(crate) fn list_run_entries(store: &dyn Store) -> Result<Vec<RunEntryPath>, RemoteError> {
    let policy = store.policy();
    if !policy.lists {
        return Err(unsupported(
            store,
            format!("listing the run-cache of {}", policy.what),
        ));
    }
    let mut entries = Vec::new();
    for path in store.list(RUNS_DIR, 3) {
        entries.extend(RunEntryPath::from_relative_path(&path?));
    }
    entries.sort();
    Ok(entries)
}

/// Uploads each `(local file, entry)`, replacing what is there.
pub(crate) fn upload_run_entries(
    store: &dyn Store,
    items: &[(PathBuf, RunEntryPath)],
    jobs: usize,
    progress: &mut dyn TransferProgress,
) -> Vec<Result<(), RemoteError>> {
    let puts: Vec<Put> = items
        .iter()
        .map(|(source, entry)| Put {
            source: source.clone(),
            path: entry.relative_path(),
            sealed: false,
        })
        .collect();
    store.put_many(&puts, jobs, progress)
}

/// Downloads each `(entry, destination)`, replacing what is there, as it is.
pub(crate) fn download_run_entries(
    store: &dyn Store,
    items: &[(RunEntryPath, PathBuf)],
    jobs: usize,
    progress: &mut dyn TransferProgress,
) -> Vec<Result<(), RemoteError>> {
    let gets: Vec<Get> = items
        .iter()
        .map(|(entry, destination)| {
            Get::new(
                entry.relative_path(),
                destination.clone(),
                Expected::Anything,
            )
        })
        .collect();
    without_digests(store.get_many(&gets, jobs, progress))
}

/// The objects of a remote, from [`Remote::list_all`](crate::Remote::list_all) or
/// [`Remote::list`](crate::Remote::list). Listing is lazy: network remotes fetch one page at
/// a time. Errors are yielded as items; a network listing ends after its first error.
pub struct ObjectKeys<'a>(Keys<'a>);

enum Keys<'a> {
    Listed(Listing<'a>, Layout),
    /// A listing that fails at once (remotes that cannot list).
    Failed(Option<RemoteError>),
}

impl Iterator for ObjectKeys<'_> {
    type Item = Result<ObjectKey, RemoteError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Keys::Failed(error) => error.take().map(Err),
            Keys::Listed(paths, layout) => loop {
                match paths.next()? {
                    Ok(path) => {
                        if let Some(key) = key_at(&path, *layout) {
                            return Some(Ok(key));
                        }
                    }
                    Err(error) => return Some(Err(error)),
                }
            },
        }
    }
}

impl std::fmt::Debug for ObjectKeys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectKeys").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_keys_of_their_layout_only() {
        let path = "files/md5/5b/bf5a52328e7439ae6e719dfe712200";
        assert!(key_at(path, Layout::Md5).is_some());
        assert!(key_at(path, Layout::Legacy).is_none());
        assert!(key_at("77/36575c4934b5b45685150b1c7498e5", Layout::Legacy).is_some());
        assert!(key_at("files/md5/", Layout::Md5).is_none());
    }
}
