//! Turning a workspace path into an object: a file's hash, or a directory's tree (spec §3.2,
//! §5.1), and saving the result to the cache (`commit`).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use dv_schema::dir_manifest::{DirEntry, DirManifest};
use dv_schema::hash::{HashName, Md5, ObjectId};

use crate::hashing::{self, HashError};
use crate::odb::{Odb, OdbError};
use crate::pool;
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
}

/// Builds the object for `path` (a file or a directory inside `repo_root`).
pub fn build(repo_root: &Path, path: &Path, options: &BuildOptions) -> Result<Built, BuildError> {
    let metadata = std::fs::metadata(path).map_err(|source| BuildError::Stat {
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.is_dir() {
        return build_tree(repo_root, path, options);
    }
    let (md5, size) = hashing::hash_file(path, options.hash_name)?;
    Ok(Built::File {
        md5,
        size,
        isexec: dv_fs::link::is_executable(&metadata),
    })
}

/// Builds the tree of directory `dir`: walks it (honouring `.dvcignore`), hashes the files on
/// up to `options.jobs` threads and assembles the sorted manifest.
pub fn build_tree(
    repo_root: &Path,
    dir: &Path,
    options: &BuildOptions,
) -> Result<Built, BuildError> {
    let walked = walk::walk_dir(repo_root, dir, options.jobs)?;
    let hashes = pool::map(options.jobs, &walked, |file| {
        hashing::hash_file(&file.path, options.hash_name)
    });
    let mut files = Vec::with_capacity(walked.len());
    for (file, hash) in walked.into_iter().zip(hashes) {
        let (md5, size) = hash?;
        files.push(TreeFile {
            file: WalkedFile { size, ..file },
            md5,
        });
    }
    let manifest = DirManifest::new(
        files
            .iter()
            .map(|tree_file| DirEntry::md5(tree_file.file.relpath.clone(), tree_file.md5))
            .collect(),
    );
    let size = files.iter().map(|tree_file| tree_file.file.size).sum();
    Ok(Built::Tree {
        id: manifest.object_id(),
        nfiles: manifest.len() as u64,
        manifest,
        size,
        files,
    })
}

/// Saves a built object to `odb` (what `dvc add`/`dvc commit` do after hashing): every file's
/// content, then the tree's manifest, so a tree object is only present once all its files are.
/// `path` is the workspace path `built` was built from.
pub fn commit(odb: &Odb, path: &Path, built: &Built, jobs: NonZeroUsize) -> Result<(), OdbError> {
    match built {
        Built::File { md5, .. } => {
            odb.add_file(path, &ObjectId::file(*md5))?;
        }
        Built::Tree {
            manifest, files, ..
        } => {
            let results = pool::map(jobs, files, |tree_file| {
                odb.add_file(&tree_file.file.path, &ObjectId::file(tree_file.md5))
            });
            for result in results {
                result?;
            }
            odb.add_tree(manifest)?;
        }
    }
    Ok(())
}
