//! [`LocalStore`]: a remote that is a directory on this machine (`/path`, `file:///path`), used
//! with plain synchronous file operations on a scoped thread pool: no async runtime is started.
//!
//! Objects enter the remote under a `.<random>.tmp` name next to their final path and are made
//! read-only (0444) before the rename, like DVC's local remotes (spec §3.1, §10.1).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::batch::{ThreadReporter, run_threads};
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel};
use crate::object_key::{Layout, ObjectKey};
use crate::progress::TransferProgress;
use crate::run_entry::{RUNS_DIR, RunEntryPath};

/// Size of the buffer used when copying a download, also the progress granularity.
const COPY_BUFFER: usize = 1 << 20;

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

    /// Whether each object exists, checked one by one (like DVC's local object DB), split over
    /// `jobs` threads for remotes on network filesystems.
    pub(crate) fn exists_many(
        &self,
        keys: &[ObjectKey],
        jobs: usize,
    ) -> Result<Vec<bool>, RemoteError> {
        let chunk = keys.len().div_ceil(jobs.max(1)).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = keys
                .chunks(chunk)
                .map(|keys| {
                    scope.spawn(move || {
                        keys.iter()
                            .map(|key| self.exists(key))
                            .collect::<Result<Vec<bool>, RemoteError>>()
                    })
                })
                .collect();
            let mut found = Vec::with_capacity(keys.len());
            for worker in workers {
                match worker.join() {
                    Ok(part) => found.extend(part?),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Ok(found)
        })
    }

    fn exists(&self, key: &ObjectKey) -> Result<bool, RemoteError> {
        let path = self.object_path(key);
        match fs::metadata(&path) {
            Ok(metadata) => Ok(metadata.is_file()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) if error.kind() == io::ErrorKind::NotADirectory => Ok(false),
            Err(error) => Err(self.io_error("check", &path, error)),
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
        let mut temporary = temporary_in(parent)
            .map_err(|e| self.io_error("create a temporary file in", parent, e))?;
        let bytes = io::copy(&mut input, temporary.as_file_mut())
            .map_err(|e| self.io_error("copy", source, e))?;
        set_read_only(temporary.as_file())
            .map_err(|e| self.io_error("protect", temporary.path(), e))?;
        temporary
            .persist(&destination)
            .map_err(|e| self.io_error("rename into place", &destination, e.error))?;
        reporter.transferred(bytes);
        Ok(())
    }

    pub(crate) fn download_many(
        &self,
        items: &[(ObjectKey, PathBuf)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let created = create_parents(items.iter().map(|(_, destination)| destination.clone()));
        run_threads(
            items,
            jobs,
            &self.label,
            progress,
            |(key, destination), reporter| self.download(key, destination, &created, reporter),
        )
    }

    /// Copies the object to a temporary sibling of `destination` while hashing it, and renames
    /// it into place only if the hash matches the key.
    fn download(
        &self,
        key: &ObjectKey,
        destination: &Path,
        created: &HashSet<PathBuf>,
        reporter: &ThreadReporter<'_>,
    ) -> Result<(), RemoteError> {
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
        let mut hasher = ContentHasher::for_key(key);
        let mut buffer = vec![0u8; COPY_BUFFER];
        loop {
            let read = match input.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(self.io_error("read", &source, error)),
            };
            hasher.update(&buffer[..read]);
            temporary
                .write_all(&buffer[..read])
                .map_err(|e| self.io_error("write", destination, e))?;
            reporter.transferred(read as u64);
        }
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
    let mut builder = tempfile::Builder::new();
    builder.prefix(".").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Mode 0444 (read-only for everyone), like DVC's objects.
fn set_read_only(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o444))
    }
    #[cfg(not(unix))]
    {
        let mut permissions = file.metadata()?.permissions();
        permissions.set_readonly(true);
        file.set_permissions(permissions)
    }
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
