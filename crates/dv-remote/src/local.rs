//! [`LocalStore`]: a remote that is a directory on this machine (`/path`, `file:///path`), used
//! with plain synchronous file operations on a scoped thread pool: no async runtime is started.
//!
//! Objects enter the remote under a `.<random>.tmp` name next to their final path and are made
//! read-only (0444) before the rename, like DVC's local remotes (spec §3.1, §10.1).

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::batch::{ThreadReporter, run_threads};
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel};
use crate::object_key::{Layout, ObjectDownload, ObjectKey};
use crate::progress::TransferProgress;
use crate::run_entry::{RUNS_DIR, RunEntryPath};

/// Size of the buffer used when copying a download, also the progress granularity.
const COPY_BUFFER: usize = 1 << 20;
/// Below this many objects in one shard directory, each is checked with `stat`.
const MIN_OBJECTS_TO_LIST: usize = 8;
/// Directory bytes read for the price of one `stat` when deciding to read a shard directory
/// whole.
const LISTING_BYTES_PER_STAT: u64 = 2048;
/// Objects up to this size are uploaded with one `read` and one `write`.
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

    fn object_path(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(key.remote_path())
    }

    fn io_error(&self, action: &'static str, path: &Path, source: io::Error) -> RemoteError {
        RemoteError::Io {
            remote: self.label.clone(),
            action,
            path: path.to_owned(),
            source,
        }
    }

    /// Whether each object exists, split over `jobs` threads (for remotes on network
    /// filesystems). The objects are taken shard directory by shard directory: a directory that
    /// does not exist answers for all its objects at once, and one small enough next to the
    /// number of objects asked about is read whole instead of checking each object with `stat`
    /// (DVC's local object DB checks each object).
    pub(crate) fn exists_many(
        &self,
        keys: &[ObjectKey],
        jobs: usize,
    ) -> Result<Vec<bool>, RemoteError> {
        let mut by_dir: HashMap<PathBuf, Vec<(usize, PathBuf)>> = HashMap::new();
        for (index, key) in keys.iter().enumerate() {
            let path = self.object_path(key);
            by_dir
                .entry(parent_dir(&path).to_path_buf())
                .or_default()
                .push((index, path));
        }
        let groups: Vec<(PathBuf, Vec<(usize, PathBuf)>)> = by_dir.into_iter().collect();
        let chunk = groups.len().div_ceil(jobs.max(1)).max(1);
        let mut found = vec![false; keys.len()];
        std::thread::scope(|scope| {
            let workers: Vec<_> = groups
                .chunks(chunk)
                .map(|groups| {
                    scope.spawn(move || {
                        let mut present = Vec::new();
                        for (dir, objects) in groups {
                            self.exists_in(dir, objects, &mut present)?;
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

    /// Adds to `present` the indexes of those `objects` (index and path, all in directory
    /// `dir`) that exist.
    fn exists_in(
        &self,
        dir: &Path,
        objects: &[(usize, PathBuf)],
        present: &mut Vec<usize>,
    ) -> Result<(), RemoteError> {
        if objects.len() >= MIN_OBJECTS_TO_LIST {
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
            // common filesystems): read it whole when that is cheaper than a `stat` per object.
            if (objects.len() as u64).saturating_mul(LISTING_BYTES_PER_STAT) >= metadata.len() {
                let names = self.file_names(dir)?;
                for (index, path) in objects {
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
        for (index, path) in objects {
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

    #[cfg(test)]
    fn exists(&self, key: &ObjectKey) -> Result<bool, RemoteError> {
        self.is_file(&self.object_path(key))
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

    /// Removes each object, split over `jobs` threads; a missing object is not an error.
    pub(crate) fn delete_many(&self, keys: &[ObjectKey], jobs: usize) -> Result<(), RemoteError> {
        let chunk = keys.len().div_ceil(jobs.max(1)).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = keys
                .chunks(chunk)
                .map(|keys| scope.spawn(move || keys.iter().try_for_each(|key| self.delete(key))))
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

    fn delete(&self, key: &ObjectKey) -> Result<(), RemoteError> {
        let path = self.object_path(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(self.io_error("delete", &path, error)),
        }
    }

    /// Every object of `layout`, shard directory by shard directory.
    pub(crate) fn list(&self, layout: Layout) -> LocalKeys {
        let base = match layout {
            Layout::Md5 => self.root.join(layout.root()),
            Layout::Legacy => self.root.clone(),
        };
        LocalKeys {
            base,
            layout,
            label: self.label.clone(),
            shards: None,
            current: None,
        }
    }

    pub(crate) fn upload_many(
        &self,
        items: &[(PathBuf, ObjectKey)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let created = create_parents(items.iter().map(|(_, key)| self.object_path(key)));
        run_threads(
            items,
            jobs,
            &self.label,
            progress,
            |(source, key), reporter| self.upload(source, key, &created, reporter),
        )
    }

    /// Copies `source` to a temporary sibling of the object's path, makes it read-only and
    /// renames it into place.
    fn upload(
        &self,
        source: &Path,
        key: &ObjectKey,
        created: &HashSet<PathBuf>,
        reporter: &ThreadReporter<'_>,
    ) -> Result<(), RemoteError> {
        let destination = self.object_path(key);
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
        let mut temporary = temporary_with_mode(parent, 0o444)
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

    pub(crate) fn download_many(
        &self,
        items: &[ObjectDownload],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let created = create_parents(items.iter().map(|item| item.destination.clone()));
        run_threads(items, jobs, &self.label, progress, |item, reporter| {
            self.download(item, &created, reporter)
        })
    }

    /// Copies the object to a temporary sibling of `destination` while hashing it, and renames
    /// it into place only if the hash matches the key (and its size stays within the recorded
    /// one).
    fn download(
        &self,
        item: &ObjectDownload,
        created: &HashSet<PathBuf>,
        reporter: &ThreadReporter<'_>,
    ) -> Result<(), RemoteError> {
        let (key, destination) = (&item.key, item.destination.as_path());
        let source = self.object_path(key);
        let mut input = match File::open(&source) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(RemoteError::MissingObject {
                    remote: self.label.clone(),
                    object: key.remote_path(),
                });
            }
            Err(error) => return Err(self.io_error("read", &source, error)),
        };
        let parent = parent_dir(destination);
        if !created.contains(parent) {
            fs::create_dir_all(parent).map_err(|e| self.io_error("create directory", parent, e))?;
        }
        let mut temporary = temporary_in(parent)
            .map_err(|e| self.io_error("create a temporary file in", parent, e))?;
        let mut hasher = ContentHasher::for_key(key, item.size);
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
        let actual = hasher.finish();
        if &actual != key.md5() {
            // Dropping `temporary` removes it.
            return Err(RemoteError::Corrupted {
                remote: self.label.clone(),
                object: key.remote_path(),
                actual: to_hex(&actual),
            });
        }
        temporary
            .persist(destination)
            .map_err(|e| self.io_error("rename into place", destination, e.error))?;
        Ok(())
    }
}

impl LocalStore {
    fn entry_path(&self, entry: &RunEntryPath) -> PathBuf {
        self.root.join(entry.relative_path())
    }

    /// Every run-cache entry under `runs/` (other files there are skipped), sorted.
    pub(crate) fn list_run_entries(&self) -> Result<Vec<RunEntryPath>, RemoteError> {
        let runs = self.root.join(RUNS_DIR);
        let mut entries = Vec::new();
        for shard in self.read_names(&runs)? {
            let shard_dir = runs.join(&shard);
            for key in self.read_names(&shard_dir)? {
                for value in self.read_names(&shard_dir.join(&key))? {
                    let path = format!("{RUNS_DIR}/{shard}/{key}/{value}");
                    entries.extend(RunEntryPath::from_relative_path(&path));
                }
            }
        }
        entries.sort();
        Ok(entries)
    }

    /// The names in directory `dir`; none when it does not exist or is not a directory.
    fn read_names(&self, dir: &Path) -> Result<Vec<String>, RemoteError> {
        let listing = match fs::read_dir(dir) {
            Ok(listing) => listing,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Vec::new());
            }
            Err(error) => return Err(self.io_error("list", dir, error)),
        };
        let mut names = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|error| self.io_error("list", dir, error))?;
            if let Some(name) = entry.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    /// Copies each `(local file, entry)` to the remote, replacing what is there.
    pub(crate) fn upload_run_entries(
        &self,
        items: &[(PathBuf, RunEntryPath)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        run_threads(
            items,
            jobs,
            &self.label,
            progress,
            |(source, entry), reporter| self.copy_file(source, &self.entry_path(entry), reporter),
        )
    }

    /// Copies each `(entry, destination)` from the remote, replacing what is there.
    pub(crate) fn download_run_entries(
        &self,
        items: &[(RunEntryPath, PathBuf)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        run_threads(
            items,
            jobs,
            &self.label,
            progress,
            |(entry, destination), reporter| {
                let source = self.entry_path(entry);
                if !source.is_file() {
                    return Err(RemoteError::MissingObject {
                        remote: self.label.clone(),
                        object: entry.relative_path(),
                    });
                }
                self.copy_file(&source, destination, reporter)
            },
        )
    }

    /// Copies `source` to a temporary sibling of `destination` (default mode) and renames it
    /// over `destination`.
    fn copy_file(
        &self,
        source: &Path,
        destination: &Path,
        reporter: &ThreadReporter<'_>,
    ) -> Result<(), RemoteError> {
        let parent = parent_dir(destination);
        fs::create_dir_all(parent).map_err(|e| self.io_error("create directory", parent, e))?;
        let mut input = File::open(source).map_err(|e| self.io_error("read", source, e))?;
        let mut temporary = temporary_in(parent)
            .map_err(|e| self.io_error("create a temporary file in", parent, e))?;
        let bytes = io::copy(&mut input, temporary.as_file_mut())
            .map_err(|e| self.io_error("copy", source, e))?;
        temporary
            .persist(destination)
            .map_err(|e| self.io_error("rename into place", destination, e.error))?;
        reporter.transferred(bytes);
        Ok(())
    }
}

/// The directory containing `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Creates the directories the paths are in, once each (instead of once per object: a `mkdir`
/// and a `stat` for each of 100k objects); the ones that exist afterwards. A directory that
/// could not be created is left to the transfer of each object to report.
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

/// A `.<random>.tmp` file in `dir` (DVC's temporary name pattern, spec §3.1), created with mode
/// 0666 minus the umask like any new file.
pub(crate) fn temporary_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    temporary_with_mode(dir, 0o666)
}

/// A `.<random>.tmp` file in `dir` created with `mode` minus the umask (0444 gives the
/// read-only mode of DVC's objects without a `chmod`).
fn temporary_with_mode(dir: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder.tempfile_in(dir)
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

/// The objects of a local remote, read lazily one shard directory at a time.
pub(crate) struct LocalKeys {
    base: PathBuf,
    layout: Layout,
    label: RemoteLabel,
    /// The shard directories (`00`…`ff`) still to read; `None` until the first call.
    shards: Option<std::vec::IntoIter<String>>,
    /// The shard being read.
    current: Option<(String, fs::ReadDir)>,
}

impl LocalKeys {
    fn error(&self, path: &Path, source: io::Error) -> RemoteError {
        RemoteError::Io {
            remote: self.label.clone(),
            action: "list",
            path: path.to_owned(),
            source,
        }
    }

    fn shard_names(&self) -> Result<Vec<String>, RemoteError> {
        let entries = match fs::read_dir(&self.base) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(self.error(&self.base, error)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.error(&self.base, e))?;
            if let Some(name) = entry.file_name().to_str()
                && name.len() == 2
                && name.bytes().all(|byte| byte.is_ascii_hexdigit())
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

impl Iterator for LocalKeys {
    type Item = Result<ObjectKey, RemoteError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.shards.is_none() {
            match self.shard_names() {
                Ok(names) => self.shards = Some(names.into_iter()),
                Err(error) => {
                    self.shards = Some(Vec::new().into_iter());
                    return Some(Err(error));
                }
            }
        }
        loop {
            if let Some((shard, entries)) = &mut self.current {
                match entries.next() {
                    Some(Ok(entry)) => {
                        let name = entry.file_name();
                        let path = format!("{shard}/{}", name.to_string_lossy());
                        if let Some(key) = ObjectKey::from_shard_path(&path, self.layout) {
                            return Some(Ok(key));
                        }
                        continue;
                    }
                    Some(Err(error)) => {
                        let dir = self.base.join(&*shard);
                        return Some(Err(self.error(&dir, error)));
                    }
                    None => self.current = None,
                }
            }
            let shard = self.shards.as_mut()?.next()?;
            let dir = self.base.join(&shard);
            match fs::read_dir(&dir) {
                Ok(entries) => self.current = Some((shard, entries)),
                Err(error) if error.kind() == io::ErrorKind::NotADirectory => {}
                Err(error) => return Some(Err(self.error(&dir, error))),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::object_key::ObjectKind;

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
            let path = store.object_path(key);
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
        std::os::unix::fs::symlink(store.object_path(&keys[0]), place(&linked)).unwrap();
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

        let expected: Vec<bool> = keys.iter().map(|key| store.exists(key).unwrap()).collect();
        assert_eq!(expected.iter().filter(|&&present| present).count(), 23);
        for jobs in [1, 3] {
            assert_eq!(store.exists_many(&keys, jobs).unwrap(), expected);
        }
    }
}
