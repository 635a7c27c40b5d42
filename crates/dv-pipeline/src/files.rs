//! Read access to the files a pipeline is defined by (`dvc.yaml`, `vars` files, params files),
//! so that pipelines can be loaded from the working tree or from a git revision alike.

use std::io;
use std::path::PathBuf;

use dv_schema::repo_path::RepoPath;

/// What is at a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileContent {
    /// A file and its bytes.
    File(Vec<u8>),
    /// A directory.
    Directory,
    /// Nothing.
    Missing,
}

/// What a directory entry is, as a walk sees it (links are not entered as directories).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file, or a link to one.
    File,
    /// A directory (not a link to one).
    Directory,
    /// Anything else: a link to a directory or to nothing, a FIFO, a socket, a device.
    Other,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: EntryKind,
}

/// Reads files of a repository by their repository path: the working tree, or (for commands
/// that read history) a git tree at a revision. Paths are relative to the repository root;
/// nothing behind this trait is read from anywhere else.
pub trait FileSource {
    /// What is at `path`; errors only for failures other than absence.
    fn read(&self, path: &RepoPath) -> io::Result<FileContent>;

    /// The entries of directory `dir` in listing order (names that are not UTF-8 left out).
    fn list(&self, dir: &RepoPath) -> io::Result<Vec<DirEntry>>;

    /// The text of the file at `path`, `None` when nothing is there; a directory or bytes that
    /// are not UTF-8 fail as reading them from disk fails.
    fn read_text(&self, path: &RepoPath) -> io::Result<Option<String>> {
        match self.read(path)? {
            FileContent::File(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                )
            }),
            // EISDIR, what reading a directory as a file fails with.
            FileContent::Directory => Err(io::Error::from_raw_os_error(21)),
            FileContent::Missing => Ok(None),
        }
    }
}

/// The files of a working tree rooted at a directory.
#[derive(Clone, Debug)]
pub struct WorkingTree {
    root: PathBuf,
}

impl WorkingTree {
    /// The working tree at `root`.
    pub fn new(root: impl Into<PathBuf>) -> WorkingTree {
        WorkingTree { root: root.into() }
    }
}

impl WorkingTree {
    /// The directory of the working tree.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Where `path` is on disk.
    pub fn path_of(&self, path: &RepoPath) -> PathBuf {
        path.components()
            .fold(self.root.clone(), |full, part| full.join(part))
    }
}

impl FileSource for WorkingTree {
    fn list(&self, dir: &RepoPath) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(self.path_of(dir))? {
            let Ok(entry) = entry else {
                continue;
            };
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let kind = if file_type.is_dir() {
                EntryKind::Directory
            } else if file_type.is_file() || (file_type.is_symlink() && entry.path().is_file()) {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            entries.push(DirEntry { name, kind });
        }
        Ok(entries)
    }

    fn read(&self, path: &RepoPath) -> io::Result<FileContent> {
        let full = self.path_of(path);
        match std::fs::metadata(&full) {
            Ok(metadata) if metadata.is_dir() => Ok(FileContent::Directory),
            Ok(_) => std::fs::read(&full).map(FileContent::File),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(FileContent::Missing)
            }
            Err(error) => Err(error),
        }
    }
}

/// Files held in memory, for tests and for content that is not on disk.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    files: Vec<(RepoPath, Vec<u8>)>,
}

impl MemoryFiles {
    /// Files from `(path, text)` pairs; directories are implied by the paths.
    ///
    /// # Panics
    ///
    /// If a path is not a valid repository path.
    pub fn new(files: &[(&str, &str)]) -> MemoryFiles {
        MemoryFiles {
            files: files
                .iter()
                .map(|(path, text)| {
                    (
                        RepoPath::new(path).expect("a relative path inside the repository"),
                        text.as_bytes().to_vec(),
                    )
                })
                .collect(),
        }
    }

    /// Adds or replaces a file.
    pub fn insert(&mut self, path: RepoPath, bytes: Vec<u8>) {
        self.files.retain(|(existing, _)| *existing != path);
        self.files.push((path, bytes));
    }
}

impl FileSource for MemoryFiles {
    fn list(&self, dir: &RepoPath) -> io::Result<Vec<DirEntry>> {
        let mut entries: Vec<DirEntry> = Vec::new();
        for (path, _) in &self.files {
            let inside = if dir.is_root() {
                Some(path.as_str())
            } else {
                path.as_str()
                    .strip_prefix(dir.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
            };
            let Some(inside) = inside else {
                continue;
            };
            let (name, kind) = match inside.split_once('/') {
                Some((name, _)) => (name, EntryKind::Directory),
                None => (inside, EntryKind::File),
            };
            if !entries.iter().any(|entry| entry.name == name) {
                entries.push(DirEntry {
                    name: name.to_owned(),
                    kind,
                });
            }
        }
        Ok(entries)
    }

    fn read(&self, path: &RepoPath) -> io::Result<FileContent> {
        if let Some((_, bytes)) = self.files.iter().find(|(existing, _)| existing == path) {
            return Ok(FileContent::File(bytes.clone()));
        }
        let is_dir = self
            .files
            .iter()
            .any(|(existing, _)| existing != path && existing.starts_with(path));
        Ok(if is_dir {
            FileContent::Directory
        } else {
            FileContent::Missing
        })
    }
}
