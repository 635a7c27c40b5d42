//! Listing the files of a workspace directory as DVC sees them (spec §1.4).
//!
//! `.dvcignore` files (gitignore syntax, relative to their directory) apply from the repository
//! root down; `.gitignore` does not. `.git` (file or directory), `.hg/` and `.dvc/` are always
//! ignored, and so is any sub-directory holding a `.dvc` directory (a nested DVC repository).
//! Symbolic links to files are followed; symbolic links to directories are not entered (like
//! Python's `os.walk`). A `.dvcignore` inside the walked directory is an error, as in DVC.

use std::io;
use std::num::NonZeroUsize;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use dv_schema::dir_manifest::{RelPath, RelPathError};

mod fast;

/// The name of DVC's ignore files.
pub const DVCIGNORE: &str = ".dvcignore";

/// One file found by [`walk_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkedFile {
    /// The path relative to the walked directory, `/`-separated.
    pub relpath: RelPath,
    /// The path on disk.
    pub path: PathBuf,
    /// Size in bytes (of the link target for symlinks).
    pub size: u64,
    /// Whether any execute bit is set.
    pub isexec: bool,
    /// Inode, mtime and size, the key of the hash cache.
    pub stamp: crate::state::FileStamp,
}

/// Why a directory could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// Reading `path` failed.
    #[error("failed to read `{path}`")]
    Io {
        /// The path being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The walker reported an error (unreadable directory, bad `.dvcignore` pattern, ...).
    #[error("failed to walk `{dir}`")]
    Walk {
        /// The directory being walked.
        dir: PathBuf,
        /// The walker's error, naming the path involved.
        #[source]
        source: ignore::Error,
    },
    /// A FIFO, socket or device (or a link to one): reading it could block or never end.
    #[error("`{0}` is not a regular file or directory")]
    Special(PathBuf),
    /// A `.dvcignore` file inside the walked directory; DVC refuses to collect such a directory.
    #[error(".dvcignore file should not be in collected dir path: `{0}`")]
    DvcignoreInside(PathBuf),
    /// A file name is not valid UTF-8 and cannot be written to a manifest.
    #[error("file name of `{0}` is not valid UTF-8")]
    NonUtf8(PathBuf),
    /// A path could not be expressed as a manifest relpath.
    #[error("cannot record `{path}` in a directory manifest")]
    BadRelpath {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: RelPathError,
    },
}

/// Lists the files under `dir`, sorted by relpath, honouring `.dvcignore` files from
/// `repo_root` (which must contain `dir`; ignore files above it are not read) down.
///
/// With `jobs` > 1 the directory tree is read by that many threads.
pub fn walk_dir(
    repo_root: &Path,
    dir: &Path,
    jobs: NonZeroUsize,
) -> Result<Vec<WalkedFile>, WalkError> {
    walk_dir_with(repo_root, dir, jobs, true)
}

/// [`walk_dir`]; `fast` tries [`fast::walk`] before the general walker.
fn walk_dir_with(
    repo_root: &Path,
    dir: &Path,
    jobs: NonZeroUsize,
    fast: bool,
) -> Result<Vec<WalkedFile>, WalkError> {
    let absolute = |path: &Path| {
        std::path::absolute(path).map_err(|source| WalkError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let repo_root = absolute(repo_root)?;
    let dir = absolute(dir)?;

    let mut builder = ignore::WalkBuilder::new(&dir);
    builder
        .standard_filters(false)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .add_custom_ignore_filename(DVCIGNORE)
        .threads(crate::pool::cap_threads(jobs).get());
    // `.dvcignore` files above `dir`, deepest first (it takes precedence).
    let mut ancestors = Vec::new();
    for ignore_file in ancestor_ignore_files(&repo_root, &dir).into_iter().rev() {
        let root = ignore_file.parent().unwrap_or(&repo_root);
        let mut matcher = ignore::gitignore::GitignoreBuilder::new(root);
        if let Some(source) = matcher.add(&ignore_file) {
            return Err(WalkError::Walk {
                dir: dir.clone(),
                source,
            });
        }
        let matcher = matcher.build().map_err(|source| WalkError::Walk {
            dir: dir.clone(),
            source,
        })?;
        ancestors.push(matcher);
    }
    if fast && let Some(files) = fast::walk(&dir, &ancestors, jobs) {
        return Ok(files);
    }
    builder.filter_entry(move |entry| {
        entry.depth() == 0 || !(is_builtin_ignored(entry) || is_ignored_above(&ancestors, entry))
    });

    let mut files = Vec::new();
    if jobs.get() == 1 {
        for entry in builder.build() {
            if let Some(file) = visit(&dir, entry)? {
                files.push(file);
            }
        }
    } else {
        let results: Mutex<Vec<Result<WalkedFile, WalkError>>> = Mutex::new(Vec::new());
        builder.build_parallel().run(|| {
            let results = &results;
            let dir = &dir;
            Box::new(move |entry| {
                let item = visit(dir, entry).transpose();
                let failed = matches!(item, Some(Err(_)));
                if let Some(item) = item {
                    results
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(item);
                }
                if failed {
                    ignore::WalkState::Quit
                } else {
                    ignore::WalkState::Continue
                }
            })
        });
        for item in results.into_inner().unwrap_or_else(PoisonError::into_inner) {
            files.push(item?);
        }
    }
    files.sort_by(|a, b| a.relpath.as_str().cmp(b.relpath.as_str()));
    Ok(files)
}

/// Which `.dvcignore` rule ignores `path`, as DVC names it (`.dvcignore:4:*.log`, the file
/// relative to `repo_root`), or `None` when nothing ignores it. `check-ignore` and `add` use
/// this; the deepest `.dvcignore` with an opinion decides, and an ignored parent directory
/// ignores everything below it.
pub fn ignored_by(repo_root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(repo_root).ok()?;
    let mut current = repo_root.to_path_buf();
    let components: Vec<_> = relative.components().collect();
    for (depth, component) in components.iter().enumerate() {
        current.push(component);
        let is_last = depth + 1 == components.len();
        let is_dir = !is_last || current.is_dir();
        let mut verdict = None;
        for ignore_file in ancestor_ignore_files(repo_root, &current).into_iter().rev() {
            let root = ignore_file.parent().unwrap_or(repo_root);
            let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
            if builder.add(&ignore_file).is_some() {
                continue;
            }
            let Ok(matcher) = builder.build() else {
                continue;
            };
            match matcher.matched(&current, is_dir) {
                ignore::Match::Ignore(glob) => {
                    verdict = Some(describe_rule(repo_root, &ignore_file, glob.original()));
                    break;
                }
                ignore::Match::Whitelist(_) => break,
                ignore::Match::None => {}
            }
        }
        if verdict.is_some() {
            return verdict;
        }
    }
    None
}

/// `<file>:<line>:<pattern>` for a `.dvcignore` rule.
fn describe_rule(repo_root: &Path, ignore_file: &Path, pattern: &str) -> String {
    let line = std::fs::read_to_string(ignore_file)
        .ok()
        .and_then(|text| text.lines().position(|l| l.trim_end() == pattern))
        .map_or(0, |i| i + 1);
    let shown = ignore_file
        .strip_prefix(repo_root)
        .unwrap_or(ignore_file)
        .to_string_lossy()
        .into_owned();
    format!("{shown}:{line}:{pattern}")
}

/// `.dvcignore` files in `repo_root` and every directory between it and `dir` (excluded).
fn ancestor_ignore_files(repo_root: &Path, dir: &Path) -> Vec<PathBuf> {
    let Ok(relative) = dir.strip_prefix(repo_root) else {
        return Vec::new();
    };
    let mut current = repo_root.to_path_buf();
    let mut found = Vec::new();
    for component in relative.components() {
        let candidate = current.join(DVCIGNORE);
        if candidate.is_file() {
            found.push(candidate);
        }
        current.push(component);
    }
    found
}

/// Whether a `.dvcignore` above the walked directory ignores `entry` (the deepest file that
/// has an opinion decides). A `!pattern` inside the walked directory cannot re-include it.
fn is_ignored_above(ancestors: &[ignore::gitignore::Gitignore], entry: &ignore::DirEntry) -> bool {
    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
    is_path_ignored_above(ancestors, entry.path(), is_dir)
}

/// [`is_ignored_above`] for a path.
fn is_path_ignored_above(
    ancestors: &[ignore::gitignore::Gitignore],
    path: &Path,
    is_dir: bool,
) -> bool {
    for matcher in ancestors {
        match matcher.matched(path, is_dir) {
            ignore::Match::Ignore(_) => return true,
            ignore::Match::Whitelist(_) => return false,
            ignore::Match::None => {}
        }
    }
    false
}

/// DVC's built-in ignores and nested repositories.
fn is_builtin_ignored(entry: &ignore::DirEntry) -> bool {
    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
    is_always_ignored(entry.file_name(), is_dir) || (is_dir && is_nested_repo(entry.path()))
}

/// DVC's built-in ignores by name: `.git` (file or directory), `.hg/` and `.dvc/`.
pub fn is_always_ignored(name: &std::ffi::OsStr, is_dir: bool) -> bool {
    name == ".git" || (is_dir && (name == ".hg" || name == ".dvc"))
}

/// Whether directory `dir` holds a `.dvc` directory (a nested DVC repository, ignored).
pub fn is_nested_repo(dir: &Path) -> bool {
    dir.join(".dvc").is_dir()
}

fn visit(
    dir: &Path,
    entry: Result<ignore::DirEntry, ignore::Error>,
) -> Result<Option<WalkedFile>, WalkError> {
    let entry = entry.map_err(|source| WalkError::Walk {
        dir: dir.to_path_buf(),
        source,
    })?;
    let Some(file_type) = entry.file_type() else {
        return Ok(None); // stdin, never here
    };
    if file_type.is_dir() {
        return Ok(None);
    }
    let path = entry.path();
    if entry.file_name() == DVCIGNORE {
        let parent = path.parent().unwrap_or(dir);
        return Err(WalkError::DvcignoreInside(parent.to_path_buf()));
    }
    let metadata = if file_type.is_symlink() {
        let metadata = std::fs::metadata(path).map_err(|source| WalkError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if metadata.is_dir() {
            return Ok(None);
        }
        metadata
    } else {
        entry.metadata().map_err(|source| WalkError::Walk {
            dir: dir.to_path_buf(),
            source,
        })?
    };
    if !metadata.is_file() {
        return Err(WalkError::Special(path.to_path_buf()));
    }
    let relpath = relpath_of(dir, path)?;
    Ok(Some(WalkedFile {
        relpath,
        path: path.to_path_buf(),
        size: metadata.len(),
        isexec: dv_fs::link::is_executable(&metadata),
        stamp: crate::state::FileStamp::from_metadata(&metadata),
    }))
}

/// `path` relative to `dir` as a manifest relpath.
pub fn relpath_of(dir: &Path, path: &Path) -> Result<RelPath, WalkError> {
    let relative = path.strip_prefix(dir).unwrap_or(path);
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => match part.to_str() {
                Some(part) => parts.push(part),
                None => return Err(WalkError::NonUtf8(path.to_path_buf())),
            },
            Component::CurDir => {}
            _ => {
                return Err(WalkError::BadRelpath {
                    path: path.to_path_buf(),
                    source: RelPathError::NotNormalized(relative.display().to_string()),
                });
            }
        }
    }
    RelPath::new(parts.join("/")).map_err(|source| WalkError::BadRelpath {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn both(root: &Path, dir: &Path, jobs: usize) -> (Vec<WalkedFile>, Vec<WalkedFile>) {
        let jobs = NonZeroUsize::new(jobs).unwrap();
        (
            walk_dir_with(root, dir, jobs, true).unwrap(),
            walk_dir_with(root, dir, jobs, false).unwrap(),
        )
    }

    /// The direct listing gives what the general walker gives: ignores, nested repositories,
    /// links, names sorting around `/`, a directory large enough to be stat'ed in parallel.
    #[cfg(unix)]
    #[test]
    fn the_direct_listing_matches_the_general_walker() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        write(
            &root.join(".dvcignore"),
            b"*.log\n/d/tmp\n!/d/sub/keep.log\n",
        );
        let d = root.join("d");
        for name in [
            "a.log",
            "keep",
            ".git/x",
            ".git2",
            "tmp/t",
            "sub/b.log",
            "sub/keep.log",
            "a/b",
            "a.b",
            "a-b",
            ".hg/s",
            "x/.dvc/config",
            "nested/.dvc/c",
            "nested/f",
            "q/z",
            "q0",
            "q.0/y",
            "\u{e9}t\u{e9}",
        ] {
            write(&d.join(name), name.as_bytes());
        }
        std::fs::write(d.join("sub/.git"), b"gitdir: elsewhere").unwrap();
        for i in 0..(fast::PARALLEL_FILES + 10) {
            write(&d.join(format!("many/{i}")), b"x");
        }
        write(&root.join("outside/f"), b"content");
        std::os::unix::fs::symlink(root.join("outside/f"), d.join("link")).unwrap();
        std::os::unix::fs::symlink(root.join("outside"), d.join("dirlink")).unwrap();
        for jobs in [1, 3] {
            let (direct, general) = both(root, &d, jobs);
            assert_eq!(direct, general, "jobs={jobs}");
            let names: Vec<&str> = direct.iter().map(|f| f.relpath.as_str()).collect();
            assert_eq!(
                names[..8],
                [
                    ".git2", "a-b", "a.b", "a/b", "keep", "link", "many/0", "many/1"
                ]
            );
            assert_eq!(names[names.len() - 2..], ["sub/keep.log", "\u{e9}t\u{e9}"]);
            let q: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| n.starts_with('q'))
                .collect();
            assert_eq!(q, ["q.0/y", "q/z", "q0"]);
            assert_eq!(direct.len(), fast::PARALLEL_FILES + 10 + 11);
        }
    }

    /// What the direct listing leaves to the general walker still gives its answers.
    #[cfg(unix)]
    #[test]
    fn unusual_trees_fall_back_to_the_general_walker() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        let d = root.join("d");
        write(&d.join("f"), b"1");
        write(&d.join("sub/.dvcignore"), b"f\n");
        let jobs = NonZeroUsize::MIN;
        assert!(fast::walk(&d, &[], jobs).is_none());
        assert!(matches!(
            walk_dir(root, &d, jobs),
            Err(WalkError::DvcignoreInside(_))
        ));
        std::fs::remove_file(d.join("sub/.dvcignore")).unwrap();
        // a link to a directory as the walked directory
        std::os::unix::fs::symlink(&d, root.join("link")).unwrap();
        assert!(fast::walk(&root.join("link"), &[], jobs).is_none());
        let (direct, general) = both(root, &root.join("link"), 1);
        assert_eq!(direct, general);
        // a link to nothing
        std::os::unix::fs::symlink(root.join("missing"), d.join("dangling")).unwrap();
        assert!(fast::walk(&d, &[], jobs).is_none());
        assert!(matches!(
            walk_dir(root, &d, jobs),
            Err(WalkError::Io { .. })
        ));
    }
}
