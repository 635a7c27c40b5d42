//! A source repository's files as DVC's filesystems show them to `ls` and `du`: the working
//! tree of a source read in place (DVC's local filesystem), or the files of a revision
//! written out from its clone (DVC's git filesystem, whose directories have the size of their
//! git tree objects).
//!
//! What a repository hides from its listings: its `.dvcignore` rules (from its root down),
//! DVC's defaults (`.git` anywhere, `.hg/` and `.dvc/` directories), and the directories of
//! repositories nested in it, which are listed only when asked for by path.

use std::io;
use std::path::{Path, PathBuf};

use dv_pipeline::files::WorkingTree;
use dv_schema::repo_path::RepoPath;
use dv_schema::shown::python_repr;
use dv_scm::history::{History, ObjectId as GitId, PathEntry};

use super::SourceRepo;
use crate::index::dvcignore::{DvcIgnore, child};

/// A path of the source: its components from the root (empty: the root).
pub(crate) type Key = Vec<String>;

/// A path that is not in the source, named as DVC's messages name it.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// `[Errno 2] No such file or directory: ...`: `ls` reports it and fails with 1.
    #[error("[Errno 2] No such file or directory: {0}")]
    NotFound(String),
    /// `[Errno 20] Not a directory: '...'`: an unexpected error to DVC.
    #[error("[Errno 20] Not a directory: {0}")]
    NotADirectory(String),
}

/// What the files say about a path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FsInfo {
    pub(crate) isdir: bool,
    pub(crate) size: u64,
    pub(crate) isexec: bool,
}

/// The source's files.
pub(crate) struct Files {
    root: PathBuf,
    /// A working tree (not the files of a revision).
    in_place: bool,
    /// The revision's root tree in the clone's mirror, for directory sizes.
    git: Option<(History, GitId)>,
}

impl Files {
    /// The files of `source`.
    pub(crate) fn open(source: &SourceRepo) -> anyhow::Result<Files> {
        let git = match (source.clone_git_dir(), &source.rev_lock) {
            (Some(dir), Some(commit)) => {
                let history = History::open(dir).map_err(|error| {
                    anyhow::anyhow!("failed to open '{}': {error}", dir.display())
                })?;
                let commit = history
                    .resolve(commit)
                    .map_err(crate::revisions::to_anyhow)?;
                let tree = history
                    .tree_of(commit)
                    .map_err(crate::revisions::to_anyhow)?;
                Some((history, tree))
            }
            _ => None,
        };
        Ok(Files {
            root: source.root().to_path_buf(),
            in_place: source.clone_git_dir().is_none(),
            git,
        })
    }

    /// Whether the files are a working tree read in place.
    pub(crate) fn in_place(&self) -> bool {
        self.in_place
    }

    /// The directory the files are in.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Where `key` is on disk.
    pub(crate) fn path(&self, key: &[String]) -> PathBuf {
        key.iter()
            .fold(self.root.clone(), |path, part| path.join(part))
    }

    /// The description of `key` (DVC's `fs.info`): in a working tree links are followed (a
    /// broken one is missing); at a revision a link is a file, as git holds it.
    pub(crate) fn stat(&self, key: &[String]) -> io::Result<FsInfo> {
        let path = self.path(key);
        let metadata = if self.in_place {
            std::fs::metadata(&path)?
        } else {
            std::fs::symlink_metadata(&path)?
        };
        Ok(self.describe(key, &metadata))
    }

    /// A listed entry's description (DVC's `fs.ls`): in a working tree a link is neither a
    /// file nor a directory, with its target's size (0 when broken), so it is never entered.
    fn entry(&self, key: &[String]) -> io::Result<FsInfo> {
        if !self.in_place {
            return self.stat(key);
        }
        let path = self.path(key);
        let metadata = std::fs::symlink_metadata(&path)?;
        if metadata.file_type().is_symlink() {
            let size = std::fs::metadata(&path).map_or(0, |target| target.len());
            return Ok(FsInfo {
                isdir: false,
                size,
                isexec: false,
            });
        }
        Ok(self.describe(key, &metadata))
    }

    fn describe(&self, key: &[String], metadata: &std::fs::Metadata) -> FsInfo {
        use std::os::unix::fs::PermissionsExt;
        if metadata.is_dir() {
            let size = match &self.git {
                Some((history, tree)) => git_tree_size(history, *tree, key),
                None => metadata.len(),
            };
            return FsInfo {
                isdir: true,
                size,
                isexec: false,
            };
        }
        FsInfo {
            isdir: false,
            size: metadata.len(),
            isexec: metadata.is_file() && metadata.permissions().mode() & 0o111 != 0,
        }
    }

    /// Whether `key` is a DVC repository's root (it holds a `.dvc` directory).
    pub(crate) fn is_repo(&self, key: &[String]) -> bool {
        let mut dvc_dir = key.to_vec();
        dvc_dir.push(".dvc".to_owned());
        self.stat(&dvc_dir).is_ok_and(|info| info.isdir)
    }

    /// The entries of directory `key` that the repository at `repo` (a prefix of `key`)
    /// shows: its ignore rules applied, nested repositories left out.
    pub(crate) fn children(
        &self,
        repo: &[String],
        key: &[String],
    ) -> anyhow::Result<Vec<(String, FsInfo)>> {
        let Ok(read) = std::fs::read_dir(self.path(key)) else {
            return Ok(Vec::new());
        };
        let ignore = self.ignore_for(repo, key)?;
        let dir = repo_path(&key[repo.len()..]);
        let mut entries = Vec::new();
        for entry in read.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut child_key = key.to_vec();
            child_key.push(name.clone());
            let Ok(info) = self.entry(&child_key) else {
                continue;
            };
            if default_ignored(&name, info.isdir) {
                continue;
            }
            if let Some(dir) = &dir
                && let Some(path) = child(dir, &name)
                && ignore.is_ignored(&path, info.isdir)
            {
                continue;
            }
            if info.isdir && self.path(&child_key).join(".dvc").exists() {
                continue;
            }
            entries.push((name, info));
        }
        Ok(entries)
    }

    /// The `.dvcignore` matchers of the repository at `repo`, from its root down to `key`.
    fn ignore_for(&self, repo: &[String], key: &[String]) -> anyhow::Result<DvcIgnore> {
        let root = self.path(repo);
        let files = WorkingTree::new(&root);
        let mut ignore = DvcIgnore::new(&root);
        let mut dir = RepoPath::root();
        ignore.enter(&files, &dir)?;
        for part in &key[repo.len()..] {
            let Some(next) = child(&dir, part) else {
                break;
            };
            dir = next;
            ignore.enter(&files, &dir)?;
        }
        Ok(ignore)
    }

    /// Whether the repository at `repo` hides `key` or a directory above it (up to its root).
    pub(crate) fn is_ignored(
        &self,
        repo: &[String],
        key: &[String],
        isdir: bool,
    ) -> anyhow::Result<bool> {
        let root = self.path(repo);
        let files = WorkingTree::new(&root);
        let mut ignore = DvcIgnore::new(&root);
        let mut dir = RepoPath::root();
        ignore.enter(&files, &dir)?;
        let inside = &key[repo.len()..];
        for (index, part) in inside.iter().enumerate() {
            let last = index + 1 == inside.len();
            let part_isdir = !last || isdir;
            let Some(path) = child(&dir, part) else {
                return Ok(false);
            };
            if default_ignored(part, part_isdir) || ignore.is_ignored(&path, part_isdir) {
                return Ok(true);
            }
            if !last {
                ignore.enter(&files, &path)?;
            }
            dir = path;
        }
        Ok(false)
    }

    /// Whether a directory above `key` is a file in the files (then no output is there).
    pub(crate) fn file_above(&self, key: &[String]) -> bool {
        (1..key.len()).any(|len| self.stat(&key[..len]).is_ok_and(|info| !info.isdir))
    }

    /// DVC's error for a path the files lack: the local filesystem's (with the absolute path)
    /// in a working tree; the git filesystem's (the path from `/`, and its key) at a revision.
    pub(crate) fn missing(&self, key: &[String], error: &io::Error) -> anyhow::Error {
        if !self.in_place {
            let path = format!("/{}", key.join("/"));
            return PathError::NotFound(format!("{}: {}", python_repr(&path), tuple_repr(key)))
                .into();
        }
        let path = python_repr(&self.path(key).to_string_lossy());
        match error.kind() {
            io::ErrorKind::NotFound => PathError::NotFound(path).into(),
            io::ErrorKind::NotADirectory => PathError::NotADirectory(path).into(),
            _ => anyhow::anyhow!("{error}: {path}"),
        }
    }
}

/// The size of the git tree at `key` (0 when git has no tree there).
fn git_tree_size(history: &History, tree: GitId, key: &[String]) -> u64 {
    match history.entry(tree, &key.join("/")) {
        Ok(PathEntry::Tree(id)) => history.object_size(id).unwrap_or(0),
        _ => 0,
    }
}

/// DVC's default ignore patterns: `.git` anywhere, and directories `.hg/` and `.dvc/`.
fn default_ignored(name: &str, isdir: bool) -> bool {
    name == ".git" || (isdir && (name == ".hg" || name == ".dvc"))
}

/// `key` as a repository path (`None` for a name no repository path can hold).
fn repo_path(key: &[String]) -> Option<RepoPath> {
    if key.is_empty() {
        return Some(RepoPath::root());
    }
    RepoPath::new(&key.join("/")).ok()
}

/// Python's `repr()` of a tuple of strings: `('a',)`, `('a', 'b')`, `()`.
pub(crate) fn tuple_repr(key: &[String]) -> String {
    let items: Vec<String> = key.iter().map(|part| python_repr(part)).collect();
    match items.len() {
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_read_like_python() {
        assert_eq!(tuple_repr(&["nope".to_owned()]), "('nope',)");
        assert_eq!(
            tuple_repr(&["data".to_owned(), "nope".to_owned()]),
            "('data', 'nope')"
        );
        assert_eq!(tuple_repr(&["it's".to_owned()]), "(\"it's\",)");
    }

    #[test]
    fn default_ignores_are_dvcs() {
        assert!(default_ignored(".git", false));
        assert!(default_ignored(".git", true));
        assert!(!default_ignored(".dvc", false));
        assert!(default_ignored(".dvc", true));
        assert!(default_ignored(".hg", true));
    }
}
