//! [`LocalStore`]: a remote that is a directory on this machine (`/path`, `file:///path`), a
//! [`Store`] on plain synchronous file operations and scoped threads: no async runtime is
//! started.
//!
//! Objects enter the remote under a `.<random>.tmp` name next to their final path, created
//! read-only (0444) before the rename, like DVC's local remotes (spec §3.1, §10.1).

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use dv_schema::hash::Md5;

use crate::batch::{ThreadReporter, run_threads};
use crate::content_check::ContentHasher;
use crate::error::{RemoteError, RemoteLabel};
use crate::incoming::{parent_dir, persist_checked, temporary_in};
use crate::store::{Get, Listing, Policy, Progress, Put, Results, Store};

/// Size of the buffer used when copying a download, also the progress granularity.
const COPY_BUFFER: usize = 1 << 20;
/// Below this many files in one directory, each is checked with `stat`.
const MIN_OBJECTS_TO_LIST: usize = 8;
/// Directory bytes read for the price of one `stat` when deciding to read a directory whole.
const LISTING_BYTES_PER_STAT: u64 = 2048;
/// Files up to this size are uploaded with one `read` and one `write`.
const SMALL_OBJECT: u64 = 256 * 1024;

/// A directory remote.
#[derive(Debug)]
pub(crate) struct LocalStore {
    root: PathBuf,
    label: RemoteLabel,
}

impl LocalStore {
    pub(crate) fn new(root: PathBuf, label: RemoteLabel) -> Self {
        LocalStore { root, label }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn io_error(&self, action: &'static str, path: &Path, source: io::Error) -> RemoteError {
        RemoteError::Io {
            remote: self.label.clone(),
            action,
            path: path.to_owned(),
            source,
        }
    }

    /// Adds to `present` the indexes of those `files` (index and path, all in directory
    /// `dir`) that exist.
    fn exists_in(
        &self,
        dir: &Path,
        files: &[(usize, PathBuf)],
        present: &mut Vec<usize>,
    ) -> Result<(), RemoteError> {
        if files.len() >= MIN_OBJECTS_TO_LIST {
            let metadata = match fs::metadata(dir) {
                Ok(metadata) => Some(metadata),
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) =>
                {
                    None
                }
                Err(error) => return Err(self.io_error("check", dir, error)),
            };
            let Some(metadata) = metadata.filter(fs::Metadata::is_dir) else {
                return Ok(());
            };
            // A directory's size grows with its entries (about 32 bytes or more each on
            // common filesystems): read it whole when that is cheaper than a `stat` per file.
            if (files.len() as u64).saturating_mul(LISTING_BYTES_PER_STAT) >= metadata.len() {
                let names = self.file_names(dir)?;
                for (index, path) in files {
                    let listed = path.file_name().and_then(|name| names.get(name)).copied();
                    let exists = match listed {
                        Some(true) => true,
                        // A symbolic link: whether it leads to a file, as `stat` tells.
                        Some(false) => self.is_file(path)?,
                        None => false,
                    };
                    if exists {
                        present.push(*index);
                    }
                }
                return Ok(());
            }
        }
        for (index, path) in files {
            if self.is_file(path)? {
                present.push(*index);
            }
        }
        Ok(())
    }

    /// The names of the files (`true`) and symbolic links (`false`) in `dir`.
    fn file_names(&self, dir: &Path) -> Result<HashMap<std::ffi::OsString, bool>, RemoteError> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
            Err(error) => return Err(self.io_error("list", dir, error)),
        };
        let mut names = HashMap::new();
        for entry in entries {
            let entry = entry.map_err(|error| self.io_error("list", dir, error))?;
            let kind = entry
                .file_type()
                .map_err(|error| self.io_error("list", dir, error))?;
            if kind.is_file() || kind.is_symlink() {
                names.insert(entry.file_name(), kind.is_file());
            }
        }
        Ok(names)
    }

    /// Whether `path` is (or leads to) a file, as `stat` tells.
    fn is_file(&self, path: &Path) -> Result<bool, RemoteError> {
        match fs::metadata(path) {
            Ok(metadata) => Ok(metadata.is_file()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) if error.kind() == io::ErrorKind::NotADirectory => Ok(false),
            Err(error) => Err(self.io_error("check", path, error)),
        }
    }

    fn delete(&self, relative: &str) -> Result<(), RemoteError> {
        let path = self.path(relative);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(self.io_error("delete", &path, error)),
        }
    }

    /// Copies `source` to a temporary sibling of its destination (read-only when sealed) and
    /// renames it into place.
    fn put(
        &self,
        item: &Put,
        created: &HashSet<PathBuf>,
        reporter: &ThreadReporter<'_>,
    ) -> Result<(), RemoteError> {
        let source = item.source.as_path();
        let destination = self.path(&item.path);
        let parent = parent_dir(&destination);
        if !created.contains(parent) {
            fs::create_dir_all(parent).map_err(|e| self.io_error("create directory", parent, e))?;
        }
        let mut input = File::open(source).map_err(|e| self.io_error("read", source, e))?;
        let size = input
            .metadata()
            .map_err(|e| self.io_error("read", source, e))?
            .len();
        // Created read-only: the file handle that creates it can still write it.
        let mode = if item.sealed { 0o444 } else { 0o666 };
        let mut temporary = temporary_in(parent, mode)
            .map_err(|e| self.io_error("create a temporary file in", parent, e))?;
        let bytes = if size <= SMALL_OBJECT {
            copy_small(&mut input, temporary.as_file_mut(), size)
        } else {
            io::copy(&mut input, temporary.as_file_mut())
        }
        .map_err(|e| self.io_error("copy", source, e))?;
        temporary
            .persist(&destination)
            .map_err(|e| self.io_error("rename into place", &destination, e.error))?;
        reporter.transferred(bytes);
        Ok(())
    }

    /// Copies the file to a temporary sibling of its destination while hashing it, and has
    /// it accepted or refused ([`persist_checked`]).
    fn get(
        &self,
        item: &Get,
        created: &HashSet<PathBuf>,
        reporter: &ThreadReporter<'_, Md5>,
    ) -> Result<Md5, RemoteError> {
        let destination = item.destination.as_path();
        let source = self.path(&item.path);
        let mut input = match File::open(&source) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(RemoteError::MissingObject {
                    remote: self.label.clone(),
                    object: item.path.clone(),
                });
            }
            Err(error) => return Err(self.io_error("read", &source, error)),
        };
        let parent = parent_dir(destination);
        if !created.contains(parent) {
            fs::create_dir_all(parent).map_err(|e| self.io_error("create directory", parent, e))?;
        }
        let mut temporary = temporary_in(parent, 0o666)
            .map_err(|e| self.io_error("create a temporary file in", parent, e))?;
        let mut hasher = ContentHasher::new(&item.expected);
        // One buffer per worker thread: a fresh zeroed megabyte per object costs more than
        // copying a small object.
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with_borrow_mut(|buffer| {
            buffer.resize(COPY_BUFFER, 0);
            loop {
                let read = match input.read(buffer) {
                    Ok(0) => break,
                    Ok(read) => read,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => return Err(self.io_error("read", &source, error)),
                };
                // Dropping `temporary` on an error removes it.
                hasher.update(&buffer[..read], &self.label)?;
                temporary
                    .write_all(&buffer[..read])
                    .map_err(|e| self.io_error("write", destination, e))?;
                reporter.transferred(read as u64);
            }
            Ok(())
        })?;
        persist_checked(temporary, destination, hasher, &item.expected, &self.label)
    }
}

impl Store for LocalStore {
    fn label(&self) -> &RemoteLabel {
        &self.label
    }

    fn policy(&self) -> Policy {
        Policy::FULL
    }

    /// Whether each file exists, split over `jobs` threads (for remotes on network
    /// filesystems). The files are taken directory by directory: a directory that does not
    /// exist answers for all its files at once, and one small enough next to the number of
    /// files asked about is read whole instead of checking each file with `stat` (DVC's local
    /// object DB checks each object).
    fn exists_many(&self, paths: &[String], jobs: usize) -> Result<Vec<bool>, RemoteError> {
        let mut by_dir: HashMap<PathBuf, Vec<(usize, PathBuf)>> = HashMap::new();
        for (index, relative) in paths.iter().enumerate() {
            let path = self.path(relative);
            by_dir
                .entry(parent_dir(&path).to_path_buf())
                .or_default()
                .push((index, path));
        }
        let groups: Vec<(PathBuf, Vec<(usize, PathBuf)>)> = by_dir.into_iter().collect();
        let chunk = groups.len().div_ceil(jobs.max(1)).max(1);
        let mut found = vec![false; paths.len()];
        std::thread::scope(|scope| {
            let workers: Vec<_> = groups
                .chunks(chunk)
                .map(|groups| {
                    scope.spawn(move || {
                        let mut present = Vec::new();
                        for (dir, files) in groups {
                            self.exists_in(dir, files, &mut present)?;
                        }
                        Ok::<_, RemoteError>(present)
                    })
                })
                .collect();
            for worker in workers {
                match worker.join() {
                    Ok(present) => {
                        for index in present? {
                            found[index] = true;
                        }
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Ok(found)
        })
    }

    fn list(&self, dir: &str, depth: usize) -> Listing<'_> {
        Box::new(LocalListing {
            store: self,
            dir: dir.trim_matches('/').to_owned(),
            depth,
            stack: None,
        })
    }

    fn put_many(&self, items: &[Put], jobs: usize, progress: Progress<'_>) -> Results {
        let created = create_parents(items.iter().map(|item| self.path(&item.path)));
        run_threads(items, jobs, &self.label, progress, |item, reporter| {
            self.put(item, &created, reporter)
        })
    }

    fn get_many(&self, items: &[Get], jobs: usize, progress: Progress<'_>) -> Results<Md5> {
        let created = create_parents(items.iter().map(|item| item.destination.clone()));
        run_threads(items, jobs, &self.label, progress, |item, reporter| {
            self.get(item, &created, reporter)
        })
    }

    /// Removes each file, split over `jobs` threads.
    fn delete_many(&self, paths: &[String], jobs: usize) -> Result<(), RemoteError> {
        let chunk = paths.len().div_ceil(jobs.max(1)).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = paths
                .chunks(chunk)
                .map(|paths| scope.spawn(move || paths.iter().try_for_each(|p| self.delete(p))))
                .collect();
            let mut first_error = Ok(());
            for worker in workers {
                match worker.join() {
                    Ok(result) => {
                        if first_error.is_ok() {
                            first_error = result;
                        }
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            first_error
        })
    }
}

/// Creates the directories the paths are in, once each (instead of once per file: a `mkdir`
/// and a `stat` for each of 100k objects); the ones that exist afterwards. A directory that
/// could not be created is left to the transfer of each file to report.
fn create_parents(paths: impl Iterator<Item = PathBuf>) -> HashSet<PathBuf> {
    let mut parents: HashSet<PathBuf> = HashSet::new();
    for path in paths {
        let parent = parent_dir(&path);
        if !parents.contains(parent) {
            parents.insert(parent.to_path_buf());
        }
    }
    parents
        .into_iter()
        .filter(|parent| fs::create_dir_all(parent).is_ok())
        .collect()
}

/// Copies a file of `size` bytes (at most [`SMALL_OBJECT`]) with one read and one write,
/// instead of `io::copy`'s two `fstat`s and a final call to find the end. The file is a cache
/// object: written under a temporary name and renamed into place, it never changes size.
fn copy_small(input: &mut File, output: &mut File, size: u64) -> io::Result<u64> {
    let mut buffer = vec![0u8; usize::try_from(size).unwrap_or(usize::MAX)];
    input.read_exact(&mut buffer)?;
    output.write_all(&buffer)?;
    Ok(size)
}

/// The paths `depth` levels below a directory, read lazily one directory at a time, in name
/// order level by level. A missing directory (or a file where a directory was expected) has
/// nothing below it; an unreadable one is reported and skipped.
struct LocalListing<'a> {
    store: &'a LocalStore,
    dir: String,
    depth: usize,
    /// Per level: the entries (relative paths) still to visit; `None` until the first call.
    stack: Option<Vec<std::vec::IntoIter<String>>>,
}

impl LocalListing<'_> {
    /// The sorted entries of directory `relative`, as paths relative to the root.
    fn read(&self, relative: &str) -> Result<Vec<String>, RemoteError> {
        let dir = self.store.path(relative);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Vec::new());
            }
            Err(error) => return Err(self.store.io_error("list", &dir, error)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| self.store.io_error("list", &dir, error))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            paths.push(if relative.is_empty() {
                name.into_owned()
            } else {
                format!("{relative}/{name}")
            });
        }
        paths.sort();
        Ok(paths)
    }
}

impl Iterator for LocalListing<'_> {
    type Item = Result<String, RemoteError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stack.is_none() {
            let top = self.read(&self.dir);
            self.stack = Some(Vec::new());
            match top {
                Ok(paths) => self.stack.as_mut()?.push(paths.into_iter()),
                Err(error) => return Some(Err(error)),
            }
        }
        loop {
            let stack = self.stack.as_mut()?;
            let level = stack.len();
            let Some(path) = stack.last_mut()?.next() else {
                stack.pop();
                continue;
            };
            if level >= self.depth {
                return Some(Ok(path));
            }
            match self.read(&path) {
                Ok(paths) => self.stack.as_mut()?.push(paths.into_iter()),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::object_key::{Layout, ObjectKey, ObjectKind};

    fn key(first: u8, n: u8, kind: ObjectKind) -> ObjectKey {
        let mut md5 = [n; 16];
        md5[0] = first;
        ObjectKey::new(md5, kind, Layout::Md5)
    }

    /// Whatever way each shard directory is answered (read whole, `stat` per object, or
    /// missing), the answers are `stat`'s.
    #[test]
    fn existence_by_listing_agrees_with_stat() {
        let root = tempfile::tempdir().unwrap();
        let store = LocalStore::new(root.path().to_path_buf(), RemoteLabel::new("r", "/r"));
        let place = |key: &ObjectKey| {
            let path = store.path(&key.remote_path());
            fs::create_dir_all(parent_dir(&path)).unwrap();
            path
        };
        let mut keys = Vec::new();
        // Shard 0x11: 40 objects asked about, every other one present (read whole).
        for n in 0..40 {
            let key = key(0x11, n, ObjectKind::File);
            if n % 2 == 0 {
                fs::write(place(&key), b"x").unwrap();
            }
            keys.push(key);
        }
        // In it too: a `.dir` object, a link to a file, a dangling link, a directory.
        let tree = key(0x11, 200, ObjectKind::Tree);
        fs::write(place(&tree), b"[]").unwrap();
        let linked = key(0x11, 201, ObjectKind::File);
        std::os::unix::fs::symlink(store.path(&keys[0].remote_path()), place(&linked)).unwrap();
        let dangling = key(0x11, 202, ObjectKind::File);
        std::os::unix::fs::symlink("/nonexistent", place(&dangling)).unwrap();
        let directory = key(0x11, 203, ObjectKind::File);
        fs::create_dir_all(place(&directory)).unwrap();
        keys.extend([tree, linked, dangling, directory]);
        // Shard 0x22: 3 objects asked about (each `stat`ed), one present.
        for n in 0..3 {
            let key = key(0x22, n, ObjectKind::File);
            if n == 1 {
                fs::write(place(&key), b"y").unwrap();
            }
            keys.push(key);
        }
        // Shard 0x33 does not exist; shard 0x44 is a file.
        keys.extend((0..20).map(|n| key(0x33, n, ObjectKind::File)));
        fs::write(root.path().join("files/md5/44"), b"").unwrap();
        keys.extend((0..20).map(|n| key(0x44, n, ObjectKind::File)));

        let paths: Vec<String> = keys.iter().map(ObjectKey::remote_path).collect();
        let expected: Vec<bool> = paths
            .iter()
            .map(|path| store.is_file(&store.path(path)).unwrap())
            .collect();
        assert_eq!(expected.iter().filter(|&&present| present).count(), 23);
        for jobs in [1, 3] {
            assert_eq!(store.exists_many(&paths, jobs).unwrap(), expected);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod listing_tests {
    use super::*;

    #[test]
    fn listings_go_exactly_depth_levels_down() {
        let root = tempfile::tempdir().unwrap();
        for path in [
            "files/md5/ab/cdef",
            "files/md5/ab/.x.tmp",
            "ab/cd",
            "runs/ab/k/v",
        ] {
            let path = root.path().join(path);
            fs::create_dir_all(parent_dir(&path)).unwrap();
            fs::write(path, b"").unwrap();
        }
        let store = LocalStore::new(root.path().to_path_buf(), RemoteLabel::new("r", "/r"));
        let list =
            |dir, depth| -> Vec<String> { store.list(dir, depth).map(Result::unwrap).collect() };
        assert_eq!(
            list("files/md5", 2),
            ["files/md5/ab/.x.tmp", "files/md5/ab/cdef"]
        );
        assert_eq!(list("runs", 3), ["runs/ab/k/v"]);
        assert_eq!(list("", 2), ["ab/cd", "files/md5", "runs/ab"]);
        assert!(list("missing", 2).is_empty());
    }
}
