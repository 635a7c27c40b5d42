//! A git tree at a commit as a [`FileSource`]: the repository's files as they were committed.

use std::io;

use dv_pipeline::files::{DirEntry, EntryKind, FileContent, FileSource};
use dv_schema::repo_path::RepoPath;
use dv_scm::history::{History, ObjectId, PathEntry, TreeEntryKind};

/// The files of the repository in the tree of one commit. `prefix` places the DVC repository
/// inside the git work tree (empty unless the DVC repository is a subdirectory of it).
pub struct TreeFiles<'a> {
    history: &'a History,
    tree: ObjectId,
    prefix: String,
}

impl<'a> TreeFiles<'a> {
    /// The files of `tree`, the DVC repository at `prefix` in it.
    pub fn new(history: &'a History, tree: ObjectId, prefix: &str) -> TreeFiles<'a> {
        TreeFiles {
            history,
            tree,
            prefix: prefix.to_owned(),
        }
    }

    fn full(&self, path: &RepoPath) -> String {
        match (self.prefix.is_empty(), path.as_str().is_empty()) {
            (true, _) => path.as_str().to_owned(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{}", self.prefix, path.as_str()),
        }
    }

    fn entry(&self, path: &RepoPath) -> io::Result<PathEntry> {
        self.history
            .entry(self.tree, &self.full(path))
            .map_err(io::Error::other)
    }
}

impl FileSource for TreeFiles<'_> {
    fn read(&self, path: &RepoPath) -> io::Result<FileContent> {
        Ok(match self.entry(path)? {
            PathEntry::Blob(id) => {
                FileContent::File(self.history.blob(id).map_err(io::Error::other)?)
            }
            PathEntry::Tree(_) => FileContent::Directory,
            PathEntry::Other | PathEntry::Missing => FileContent::Missing,
        })
    }

    fn list(&self, dir: &RepoPath) -> io::Result<Vec<DirEntry>> {
        let PathEntry::Tree(tree) = self.entry(dir)? else {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        };
        let entries = self.history.list(tree).map_err(io::Error::other)?;
        Ok(entries
            .iter()
            .map(|entry| DirEntry {
                name: entry.name.clone(),
                kind: match entry.kind {
                    TreeEntryKind::Blob => EntryKind::File,
                    TreeEntryKind::Tree => EntryKind::Directory,
                    TreeEntryKind::Link | TreeEntryKind::Commit => EntryKind::Other,
                },
            })
            .collect())
    }
}
