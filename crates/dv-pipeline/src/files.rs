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

/// Reads files of a repository by their repository path.
pub trait FileSource {
    /// What is at `path`; errors only for failures other than absence.
    fn read(&self, path: &RepoPath) -> io::Result<FileContent>;
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

impl FileSource for WorkingTree {
    fn read(&self, path: &RepoPath) -> io::Result<FileContent> {
        let full = path
            .components()
            .fold(self.root.clone(), |full, part| full.join(part));
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
