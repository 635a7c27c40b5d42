//! The run-cache of the cache directory (spec §9.4): `<cache>/runs/<key[:2]>/<key>/<value>`,
//! one file per stage run, holding the run's lock entry. `repro` saves a run after it and looks
//! a changed stage up before running it; `push`/`fetch --run-cache` copy the files to and from
//! `<remote>/runs/…`.
//!
//! Like DVC's `StageCache.transfer`, every entry is copied each time, replacing the copy on the
//! other side (entries of the same name have the same content), and only the entries: the
//! objects a run's outputs use travel with the workspace's outputs, not with its runs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_pipeline::run_cache::RunCacheEntry;
use dv_remote::run_entry::RUNS_DIR;
use dv_remote::{Remote, RunEntryPath};
use dv_schema::lock_file::LockStage;

use dv_pipeline::stage::Stage;

use crate::pipelines::RepoWorkspace;
use crate::remotes::RemoteFailure;
use crate::transfer::{TransferFailure, check_fatal};
use crate::workspace::Workspace;

/// The run-cache under one cache directory.
#[derive(Debug, Clone)]
pub struct RunCache {
    cache_dir: PathBuf,
}

/// What looking a key up found.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// No run under the key.
    Missing,
    /// The newest run under the key.
    Found(LockStage),
    /// The newest run's file could not be read as a lock entry; it was removed (as DVC does).
    Corrupted(PathBuf),
}

impl RunCache {
    /// The run-cache of the cache directory `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> RunCache {
        RunCache {
            cache_dir: cache_dir.into(),
        }
    }

    /// The file of `entry`.
    pub fn path(&self, entry: &RunEntryPath) -> PathBuf {
        self.cache_dir.join(entry.relative_path())
    }

    /// Saves the run recorded by `lock` unless a run with the same key and value is already
    /// there: the YAML of the entry, written to a temporary sibling and renamed into place
    /// (DVC's `StageCache.save`). Returns whether a file was written.
    pub fn save(&self, lock: &LockStage) -> anyhow::Result<bool> {
        let entry = RunCacheEntry::of(lock);
        let path = self.cache_dir.join(entry.relative_path());
        if path.is_file() {
            return Ok(false);
        }
        let dir = self.cache_dir.join(entry.key_dir());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("failed to create '{}'", dir.display()))?;
        dv_fs::atomic::write_atomic(&path, lock.to_yaml().as_bytes())
            .with_context(|| format!("failed to save the run-cache entry '{}'", path.display()))?;
        Ok(true)
    }

    /// The newest run (by modification time) saved under `key` (DVC's `StageCache._load`).
    pub fn lookup(&self, key: &str) -> anyhow::Result<Lookup> {
        let dir = self.cache_dir.join(dv_pipeline::run_cache::key_dir(key));
        let listing = match std::fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Lookup::Missing);
            }
            Err(error) => {
                return Err(error).with_context(|| format!("failed to list '{}'", dir.display()));
            }
        };
        let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
        for file in listing {
            let file = file.with_context(|| format!("failed to list '{}'", dir.display()))?;
            let name = file.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if RunEntryPath::new(key, name).is_err() {
                continue;
            }
            let Ok(modified) = file.metadata().and_then(|metadata| metadata.modified()) else {
                continue;
            };
            if newest.as_ref().is_none_or(|(time, _)| modified > *time) {
                newest = Some((modified, file.path()));
            }
        }
        let Some((_, path)) = newest else {
            return Ok(Lookup::Missing);
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Lookup::Missing);
            }
            // Not UTF-8: no lock entry, so corrupted.
            Err(error) if error.kind() == std::io::ErrorKind::InvalidData => String::new(),
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read '{}'", path.display()));
            }
        };
        match LockStage::from_yaml(&text) {
            Ok(lock) => Ok(Lookup::Found(lock)),
            Err(_) => {
                std::fs::remove_file(&path)
                    .with_context(|| format!("failed to remove '{}'", path.display()))?;
                Ok(Lookup::Corrupted(path))
            }
        }
    }

    /// Every run saved in the cache, sorted (files under `runs/` that do not name a run are
    /// skipped).
    pub fn entries(&self) -> anyhow::Result<Vec<RunEntryPath>> {
        let runs = self.cache_dir.join(RUNS_DIR);
        let mut entries = Vec::new();
        for shard in names(&runs)? {
            for key in names(&runs.join(&shard))? {
                for value in names(&runs.join(&shard).join(&key))? {
                    let relative = format!("{RUNS_DIR}/{shard}/{key}/{value}");
                    entries.extend(RunEntryPath::from_relative_path(&relative));
                }
            }
        }
        entries.sort();
        Ok(entries)
    }
}

/// What copying run-cache entries did.
#[derive(Debug, Default)]
pub struct RunsTransferred {
    /// Entries copied.
    pub copied: usize,
    /// Entries that failed (the rest were still copied).
    pub failures: Vec<TransferFailure>,
}

impl RunCache {
    /// Copies every run of the cache to `remote` (`push --run-cache`).
    ///
    /// # Errors
    ///
    /// An unreadable cache directory, or a remote-wide failure ([`RemoteFailure`]).
    pub fn push_to(&self, remote: &Remote, jobs: Option<usize>) -> anyhow::Result<RunsTransferred> {
        let entries = self.entries()?;
        let items: Vec<(PathBuf, RunEntryPath)> = entries
            .iter()
            .map(|entry| (self.path(entry), entry.clone()))
            .collect();
        let results = check_fatal(remote.upload_run_entries(&items, jobs, &mut ()))?;
        Ok(tally(&entries, results))
    }

    /// Copies every run on `remote` into the cache (`fetch --run-cache`).
    ///
    /// # Errors
    ///
    /// A remote-wide failure ([`RemoteFailure`]), including a listing that fails.
    pub fn fetch_from(
        &self,
        remote: &Remote,
        jobs: Option<usize>,
    ) -> anyhow::Result<RunsTransferred> {
        let entries = remote.list_run_entries().map_err(RemoteFailure)?;
        let items: Vec<(RunEntryPath, PathBuf)> = entries
            .iter()
            .map(|entry| (entry.clone(), self.path(entry)))
            .collect();
        let results = check_fatal(remote.download_run_entries(&items, jobs, &mut ()))?;
        Ok(tally(&entries, results))
    }
}

fn tally(
    entries: &[RunEntryPath],
    results: Vec<Result<(), dv_remote::RemoteError>>,
) -> RunsTransferred {
    let mut transferred = RunsTransferred::default();
    for (entry, result) in entries.iter().zip(results) {
        match result {
            Ok(()) => transferred.copied += 1,
            Err(error) => transferred.failures.push(TransferFailure {
                object: entry.relative_path(),
                error: error.to_string(),
            }),
        }
    }
    transferred
}

/// The names in directory `dir`; none when it does not exist or is not a directory.
fn names(dir: &Path) -> anyhow::Result<Vec<String>> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Vec::new());
        }
        Err(error) => {
            return Err(error).with_context(|| format!("failed to list '{}'", dir.display()));
        }
    };
    let mut found = Vec::new();
    for entry in listing {
        let entry = entry.with_context(|| format!("failed to list '{}'", dir.display()))?;
        if let Some(name) = entry.file_name().to_str() {
            found.push(name.to_owned());
        }
    }
    Ok(found)
}

/// Saves a run to the run-cache (DVC's `StageCache.save`), with the objects of its uncached
/// outputs committed to the cache so that the run can be restored.
pub(crate) fn save_run(
    workspace: &Workspace,
    stage: &Stage,
    entry: &LockStage,
    repo_workspace: &mut RepoWorkspace<'_>,
) -> anyhow::Result<()> {
    for out in stage.outs.iter().filter(|out| !out.is_cached()) {
        let (Some(path), Some(recorded)) = (
            out.path.to_path(workspace.root()),
            entry
                .outs
                .iter()
                .find(|recorded| recorded.path == out.def_path),
        ) else {
            continue;
        };
        repo_workspace.commit(&path, recorded.hash_name)?;
    }
    RunCache::new(workspace.cache_dir()).save(entry)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use dv_schema::lock_file::LockFile;

    const LOCK: &str = "schema: '2.0'\nstages:\n  s1:\n    cmd: cat in.txt > out1.txt\n    deps:\n    - path: in.txt\n      hash: md5\n      md5: ba8d2b9408ed255ee92a112fe7ba59be\n      size: 3\n    outs:\n    - path: out1.txt\n      hash: md5\n      md5: ba8d2b9408ed255ee92a112fe7ba59be\n      size: 3\n";

    #[test]
    fn saved_runs_are_found_listed_and_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RunCache::new(dir.path());
        let lock = LockFile::from_yaml(LOCK)
            .unwrap()
            .stage("s1")
            .unwrap()
            .clone();
        let entry = RunCacheEntry::of(&lock);
        assert_eq!(cache.lookup(&entry.key).unwrap(), Lookup::Missing);
        assert!(cache.save(&lock).unwrap());
        assert!(!cache.save(&lock).unwrap());
        let written = dir.path().join(entry.relative_path());
        assert_eq!(std::fs::read_to_string(&written).unwrap(), lock.to_yaml());
        assert_eq!(cache.lookup(&entry.key).unwrap(), Lookup::Found(lock));
        let listed = cache.entries().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].relative_path(), entry.relative_path());
        assert_eq!(cache.path(&listed[0]), written);
    }

    #[test]
    fn a_corrupted_newest_run_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RunCache::new(dir.path());
        let key = "a".repeat(64);
        let path = dir.path().join(format!("runs/aa/{key}/{}", "b".repeat(64)));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "cmd: [\n").unwrap();
        assert_eq!(cache.lookup(&key).unwrap(), Lookup::Corrupted(path.clone()));
        assert!(!path.exists());
        assert_eq!(cache.lookup(&key).unwrap(), Lookup::Missing);
    }
}
