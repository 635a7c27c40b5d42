//! Turning a workspace path into an object: a file's hash, or a directory's tree (spec §3.2,
//! §5.1), and saving the result to the cache (`commit`).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use dv_schema::dir_manifest::{DirEntry, DirManifest};
use dv_schema::hash::{HashName, Md5, ObjectId};

use crate::hashing::{self, HashError};
use crate::odb::{Odb, OdbError};
use crate::pool;
use crate::progress::{Phase, Progress};
use crate::state::{FileStamp, State};
use crate::tree_stamp::TreeStamp;
use crate::walk::{self, WalkError, WalkedFile};

/// How to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// `md5` for DVC 3 outputs, `md5-dos2unix` for legacy ones.
    pub hash_name: HashName,
    /// At most this many threads read and hash files.
    pub jobs: NonZeroUsize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            hash_name: HashName::Md5,
            jobs: NonZeroUsize::MIN,
        }
    }
}

/// A file of a built tree, with its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeFile {
    /// Where it was found and its size.
    pub file: WalkedFile,
    /// Its content hash.
    pub md5: Md5,
}

/// The object a workspace path hashes to, with the metadata a `.dvc` file records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Built {
    /// A single file.
    File {
        /// The content hash.
        md5: Md5,
        /// Size in bytes (`size`).
        size: u64,
        /// Any execute bit set (`isexec`).
        isexec: bool,
    },
    /// A directory.
    Tree {
        /// The `.dir` manifest.
        manifest: DirManifest,
        /// MD5 of the manifest bytes, with the tree suffix.
        id: ObjectId,
        /// Sum of the file sizes (`size`).
        size: u64,
        /// Number of files (`nfiles`).
        nfiles: u64,
        /// The files in manifest order.
        files: Vec<TreeFile>,
    },
}

impl Built {
    /// The object id (`md5` in a `.dvc` file).
    pub fn object_id(&self) -> ObjectId {
        match self {
            Built::File { md5, .. } => ObjectId::file(*md5),
            Built::Tree { id, .. } => *id,
        }
    }

    /// An empty file or a directory without files (DVC warns `'x' is empty.`).
    pub fn is_empty(&self) -> bool {
        matches!(
            self,
            Built::File { size: 0, .. } | Built::Tree { nfiles: 0, .. }
        )
    }

    /// `size` in a `.dvc` file.
    pub fn size(&self) -> u64 {
        match self {
            Built::File { size, .. } | Built::Tree { size, .. } => *size,
        }
    }
}

/// Why a path could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The path does not exist or cannot be read.
    #[error("failed to read `{path}`")]
    Stat {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Listing a directory failed.
    #[error(transparent)]
    Walk(#[from] WalkError),
    /// Hashing a file failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Storing a file in the cache failed.
    #[error(transparent)]
    Odb(#[from] OdbError),
}

/// Builds the object for `path` (a file or a directory inside `repo_root`). Files whose
/// stamp is in `state` are not re-hashed; new hashes are remembered there.
pub fn build(
    repo_root: &Path,
    path: &Path,
    options: &BuildOptions,
    state: &mut State,
) -> Result<Built, BuildError> {
    build_with(repo_root, path, options, state, None, &Progress::default())
}

/// [`build`], counting the files hashed in `progress` ([`Phase::Hashing`]; the total is known
/// once a directory has been listed).
pub fn build_with_progress(
    repo_root: &Path,
    path: &Path,
    options: &BuildOptions,
    state: &mut State,
    progress: &Progress,
) -> Result<Built, BuildError> {
    build_with(repo_root, path, options, state, None, progress)
}

/// Builds the object for `path` and stores it in `odb` in the same pass (what `dvc add` does):
/// a file not known to `state` is hashed while it is copied into the cache, so its bytes are
/// read once. Tree objects are stored after all their files.
pub fn build_into(
    repo_root: &Path,
    path: &Path,
    options: &BuildOptions,
    state: &mut State,
    odb: &Odb,
) -> Result<Built, BuildError> {
    build_with(
        repo_root,
        path,
        options,
        state,
        Some(odb),
        &Progress::default(),
    )
}

/// [`build_into`], counting the files stored in `progress` ([`Phase::Caching`]).
pub fn build_into_with_progress(
    repo_root: &Path,
    path: &Path,
    options: &BuildOptions,
    state: &mut State,
    odb: &Odb,
    progress: &Progress,
) -> Result<Built, BuildError> {
    build_with(repo_root, path, options, state, Some(odb), progress)
}

/// What [`build_unless_same`] found.
#[derive(Debug)]
pub enum Compared {
    /// The path still hashes to the expected object.
    Same,
    /// The path was built (its id may still be the expected one).
    Built(Built),
}

/// Whether `path` still hashes to `expected`, the id a `.dvc` or lock file records for it. A
/// directory whose walk gives the stamp the hash cache remembers with `expected` is the same
/// without being built (see `tree_stamp`); anything else is built as [`build`] does.
pub fn build_unless_same(
    repo_root: &Path,
    path: &Path,
    options: &BuildOptions,
    state: &mut State,
    expected: Option<&ObjectId>,
) -> Result<Compared, BuildError> {
    let expected_tree = expected.filter(|id| id.is_tree());
    let built = match expected_tree {
        Some(id) if is_dir(path)? => {
            let walked = walk::walk_dir(repo_root, path, options.jobs)?;
            let stamp = TreeStamp::of(&walked, options.hash_name);
            let dir_key = tree_key(options.hash_name, repo_root, path);
            if stamp.known(state, &dir_key) == Some(id.md5) {
                return Ok(Compared::Same);
            }
            let tree = Tree {
                walked,
                stamp,
                dir_key,
            };
            assemble_tree(repo_root, tree, options, state, None, &Progress::default())?
        }
        _ => build(repo_root, path, options, state)?,
    };
    Ok(match expected {
        Some(id) if *id == built.object_id() => Compared::Same,
        _ => Compared::Built(built),
    })
}

/// Whether `path` is a directory (following links, as a build does).
fn is_dir(path: &Path) -> Result<bool, BuildError> {
    std::fs::metadata(path)
        .map(|metadata| metadata.is_dir())
        .map_err(|source| BuildError::Stat {
            path: path.to_path_buf(),
            source,
        })
}

/// The phase of a build: storing when it saves to a cache, else hashing.
fn phase(odb: Option<&Odb>) -> Phase {
    match odb {
        Some(_) => Phase::Caching,
        None => Phase::Hashing,
    }
}

fn build_with(
    repo_root: &Path,
    path: &Path,
    options: &BuildOptions,
    state: &mut State,
    odb: Option<&Odb>,
    progress: &Progress,
) -> Result<Built, BuildError> {
    let metadata = std::fs::metadata(path).map_err(|source| BuildError::Stat {
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.is_dir() {
        return build_tree_with(repo_root, path, options, state, odb, progress);
    }
    if !metadata.is_file() {
        return Err(WalkError::Special(path.to_path_buf()).into());
    }
    progress.start(phase(odb), 1, metadata.len());
    let stamp = FileStamp::from_metadata(&metadata);
    let key = state_key(options.hash_name, repo_root, path);
    let md5 = match state.get(&key, &stamp) {
        Some(md5) => {
            if let Some(odb) = odb {
                odb.add_file(path, &ObjectId::file(md5))?;
            }
            md5
        }
        None => {
            let md5 = hash_or_insert(path, metadata.len(), options.hash_name, odb)?;
            state.insert(&key, stamp, md5);
            md5
        }
    };
    progress.advance(phase(odb), 1, metadata.len());
    Ok(Built::File {
        md5,
        size: metadata.len(),
        isexec: dv_fs::link::is_executable(&metadata),
    })
}

/// The hash cache key of a file: its path relative to the repository (legacy hashes are kept
/// apart, since the same bytes have another md5-dos2unix).
fn state_key(hash_name: HashName, repo_root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(repo_root).unwrap_or(path);
    let text = relative.to_string_lossy();
    format!("{text}{}", dos2unix_suffix(hash_name))
}

/// The [`state_key`] of a directory, the same whether `repo_root` and `dir` are given
/// relative or absolute (as the walk's paths are).
fn tree_key(hash_name: HashName, repo_root: &Path, dir: &Path) -> String {
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    state_key(hash_name, &absolute(repo_root), &absolute(dir))
}

/// The [`state_key`]s of a directory's walked files. The files' paths are the walked
/// directory's path followed by their relpaths, so every key is the first key's start followed
/// by the file's relpath: the paths are not taken apart one by one.
struct StateKeys<'a> {
    hash_name: HashName,
    repo_root: &'a Path,
    /// The start shared by every key, when the first file's key shows it.
    start: Option<String>,
}

impl<'a> StateKeys<'a> {
    fn new(hash_name: HashName, repo_root: &'a Path, walked: &[WalkedFile]) -> StateKeys<'a> {
        let start = walked.first().and_then(|first| {
            let key = state_key(hash_name, repo_root, &first.path);
            let start = key
                .strip_suffix(dos2unix_suffix(hash_name))?
                .strip_suffix(first.relpath.as_str())?;
            Some(start.to_string())
        });
        StateKeys {
            hash_name,
            repo_root,
            start,
        }
    }

    /// Writes the key of `file` to `key`.
    fn write(&self, file: &WalkedFile, key: &mut String) {
        key.clear();
        match &self.start {
            Some(start) => {
                key.push_str(start);
                key.push_str(file.relpath.as_str());
                key.push_str(dos2unix_suffix(self.hash_name));
            }
            None => key.push_str(&state_key(self.hash_name, self.repo_root, &file.path)),
        }
    }

    /// The key of `file`.
    fn of(&self, file: &WalkedFile) -> String {
        let mut key = String::new();
        self.write(file, &mut key);
        key
    }
}

/// What ends the hash cache key of a file hashed with `hash_name`.
fn dos2unix_suffix(hash_name: HashName) -> &'static str {
    match hash_name {
        HashName::Md5 => "",
        HashName::Md5Dos2Unix => "\0dos2unix",
    }
}

/// Builds the tree of directory `dir`: walks it (honouring `.dvcignore`), hashes the files not
/// known to `state` on up to `options.jobs` threads and assembles the sorted manifest.
pub fn build_tree(
    repo_root: &Path,
    dir: &Path,
    options: &BuildOptions,
    state: &mut State,
) -> Result<Built, BuildError> {
    build_tree_with(repo_root, dir, options, state, None, &Progress::default())
}

/// Files up to this size are read into memory once, hashed, and written to the cache only if
/// the object is new (straight into its shard directory); larger ones are streamed.
const SMALL_FILE: u64 = 1 << 20;

/// Hashes `path`, or with an `odb`, hashes it and stores it in the cache reading it once.
fn hash_or_insert(
    path: &Path,
    size: u64,
    hash_name: HashName,
    odb: Option<&Odb>,
) -> Result<Md5, BuildError> {
    match odb {
        Some(odb) if size <= SMALL_FILE => {
            let bytes = std::fs::read(path).map_err(|source| BuildError::Stat {
                path: path.to_path_buf(),
                source,
            })?;
            let md5 = hashing::hash_bytes(&bytes, hash_name);
            odb.add_bytes(&ObjectId::file(md5), &bytes)?;
            Ok(md5)
        }
        Some(odb) => Ok(odb.insert_file(path)?.0.md5),
        None => Ok(hashing::hash_file(path, hash_name)?.0),
    }
}

fn build_tree_with(
    repo_root: &Path,
    dir: &Path,
    options: &BuildOptions,
    state: &mut State,
    odb: Option<&Odb>,
    progress: &Progress,
) -> Result<Built, BuildError> {
    let walked = walk::walk_dir(repo_root, dir, options.jobs)?;
    let tree = Tree {
        stamp: TreeStamp::of(&walked, options.hash_name),
        dir_key: tree_key(options.hash_name, repo_root, dir),
        walked,
    };
    assemble_tree(repo_root, tree, options, state, odb, progress)
}

/// A walked directory on its way to a [`Built::Tree`].
struct Tree {
    walked: Vec<WalkedFile>,
    stamp: TreeStamp,
    /// The directory's own hash cache key.
    dir_key: String,
}

/// Hashes the files of `tree` not known to `state` (storing them in `odb` if given),
/// assembles the manifest and remembers the tree's stamp.
fn assemble_tree(
    repo_root: &Path,
    tree: Tree,
    options: &BuildOptions,
    state: &mut State,
    odb: Option<&Odb>,
    progress: &Progress,
) -> Result<Built, BuildError> {
    let Tree {
        walked,
        stamp,
        dir_key,
    } = tree;
    let phase = phase(odb);
    progress.start(
        phase,
        walked.len() as u64,
        walked.iter().map(|file| file.size).sum(),
    );
    let keys = StateKeys::new(options.hash_name, repo_root, &walked);
    let mut key = String::new();
    let known: Vec<Option<Md5>> = walked
        .iter()
        .map(|file| {
            keys.write(file, &mut key);
            state.get(&key, &file.stamp)
        })
        .collect();
    let missing: Vec<usize> = (0..walked.len()).filter(|&i| known[i].is_none()).collect();
    if odb.is_none() {
        // Files known to the hash cache are done already.
        let (files, bytes) = walked
            .iter()
            .zip(&known)
            .filter(|(_, md5)| md5.is_some())
            .fold((0, 0), |(files, bytes), (file, _)| {
                (files + 1, bytes + file.size)
            });
        progress.advance(phase, files, bytes);
    }
    let hashes = pool::map(options.jobs, &missing, |&i| {
        let hash = hash_or_insert(&walked[i].path, walked[i].size, options.hash_name, odb);
        progress.advance(phase, 1, walked[i].size);
        hash
    });
    if let Some(odb) = odb {
        // Files known to the hash cache still need their object (a copy, verified).
        let present: Vec<usize> = (0..walked.len()).filter(|&i| known[i].is_some()).collect();
        let stored = pool::map(options.jobs, &present, |&i| {
            let md5 = known[i].expect("selected above as known");
            let stored = odb.add_file(&walked[i].path, &ObjectId::file(md5));
            progress.advance(phase, 1, walked[i].size);
            stored
        });
        for result in stored {
            result?;
        }
    }
    let mut md5s = known;
    for (&i, hash) in missing.iter().zip(hashes) {
        let md5 = hash?;
        state.insert(&keys.of(&walked[i]), walked[i].stamp, md5);
        md5s[i] = Some(md5);
    }
    let mut files = Vec::with_capacity(walked.len());
    for (file, md5) in walked.into_iter().zip(md5s) {
        let md5 = md5.expect("every file was either known or hashed above");
        files.push(TreeFile { file, md5 });
    }
    let manifest = DirManifest::new(
        files
            .iter()
            .map(|tree_file| DirEntry::md5(tree_file.file.relpath.clone(), tree_file.md5))
            .collect(),
    );
    let size = files.iter().map(|tree_file| tree_file.file.size).sum();
    if let Some(odb) = odb {
        odb.add_tree(&manifest)?;
    }
    let id = manifest.object_id();
    stamp.remember(state, &dir_key, id.md5);
    Ok(Built::Tree {
        id,
        nfiles: manifest.len() as u64,
        manifest,
        size,
        files,
    })
}

/// Moves the files of a built object into `odb` (hardlink/symlink caches, see
/// [`Odb::move_file_in`]), then stores the tree's manifest. The caller links them back.
/// Files moved are counted in `progress` ([`Phase::Caching`]).
pub fn commit_by_moving(
    odb: &Odb,
    path: &Path,
    built: &Built,
    jobs: NonZeroUsize,
    progress: &Progress,
) -> Result<(), OdbError> {
    start_commit(built, progress);
    match built {
        Built::File { md5, size, .. } => {
            odb.move_file_in(path, &ObjectId::file(*md5))?;
            progress.advance(Phase::Caching, 1, *size);
        }
        Built::Tree {
            manifest, files, ..
        } => {
            let results = pool::map(jobs, files, |tree_file| {
                let moved = odb.move_file_in(&tree_file.file.path, &ObjectId::file(tree_file.md5));
                progress.advance(Phase::Caching, 1, tree_file.file.size);
                moved
            });
            for result in results {
                result?;
            }
            odb.add_tree(manifest)?;
        }
    }
    Ok(())
}

/// Saves a built object to `odb` (what `dvc add`/`dvc commit` do after hashing): every file's
/// content, then the tree's manifest, so a tree object is only present once all its files are.
/// `path` is the workspace path `built` was built from. Files saved are counted in `progress`
/// ([`Phase::Caching`]).
pub fn commit(
    odb: &Odb,
    path: &Path,
    built: &Built,
    jobs: NonZeroUsize,
    progress: &Progress,
) -> Result<(), OdbError> {
    start_commit(built, progress);
    match built {
        Built::File { md5, size, .. } => {
            odb.add_file(path, &ObjectId::file(*md5))?;
            progress.advance(Phase::Caching, 1, *size);
        }
        Built::Tree {
            manifest, files, ..
        } => {
            let results = pool::map(jobs, files, |tree_file| {
                let added = odb.add_file(&tree_file.file.path, &ObjectId::file(tree_file.md5));
                progress.advance(Phase::Caching, 1, tree_file.file.size);
                added
            });
            for result in results {
                result?;
            }
            odb.add_tree(manifest)?;
        }
    }
    Ok(())
}

/// Adds the files of `built` to the totals of [`Phase::Caching`].
fn start_commit(built: &Built, progress: &Progress) {
    let files = match built {
        Built::File { .. } => 1,
        Built::Tree { files, .. } => files.len() as u64,
    };
    progress.start(Phase::Caching, files, built.size());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use dv_schema::dir_manifest::RelPath;

    fn walked(dir: &Path, relpath: &str) -> WalkedFile {
        WalkedFile {
            relpath: RelPath::new(relpath).unwrap(),
            path: relpath.split('/').fold(dir.to_path_buf(), |p, c| p.join(c)),
            size: 0,
            isexec: false,
            stamp: FileStamp {
                inode: 0,
                mtime_ns: 0,
                size: 0,
            },
        }
    }

    /// Every key made from the shared start is the key of the file's own path.
    #[test]
    fn directory_keys_are_the_files_own_keys() {
        let root = Path::new("/repo");
        for dir in [
            "/repo/data",
            "/repo/data/",
            "/repo/a/b",
            "/repo",
            "/elsewhere/d",
        ] {
            let dir = Path::new(dir);
            let files: Vec<WalkedFile> = ["f", "sub/g", "sub/deeper/h"]
                .iter()
                .map(|relpath| walked(dir, relpath))
                .collect();
            for hash_name in [HashName::Md5, HashName::Md5Dos2Unix] {
                let keys = StateKeys::new(hash_name, root, &files);
                assert!(keys.start.is_some(), "{}", dir.display());
                for file in &files {
                    assert_eq!(
                        keys.of(file),
                        state_key(hash_name, root, &file.path),
                        "{}",
                        dir.display()
                    );
                }
            }
        }
        assert_eq!(
            StateKeys::new(HashName::Md5, root, &[walked(Path::new("/repo/d"), "f")])
                .of(&walked(Path::new("/repo/d"), "f")),
            "d/f"
        );
    }
}
