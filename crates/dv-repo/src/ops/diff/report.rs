//! What `diff` reports: DVC's five sections, each entry with its path (two for a rename) and
//! hash (two for a modification).

use serde::Serialize;

/// The changes between two revisions, each section sorted by path (a rename by its old path),
/// as `dvc diff` prints them. All sections empty: DVC's `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// Paths only in the new revision.
    pub added: Vec<Change>,
    /// Paths only in the old revision.
    pub deleted: Vec<Change>,
    /// Paths whose hash (or kind: file or directory) changed.
    pub modified: Vec<Change>,
    /// Paths that moved with their content (same hash).
    pub renamed: Vec<Change>,
    /// Entries of the old revision whose object is not in the cache (only when the new side
    /// is the workspace chosen by default).
    #[serde(rename = "not in cache")]
    pub not_in_cache: Vec<Change>,
}

impl DiffReport {
    /// Whether nothing changed (DVC returns `{}`).
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.deleted.is_empty()
            && self.modified.is_empty()
            && self.renamed.is_empty()
            && self.not_in_cache.is_empty()
    }
}

/// One reported entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Where it is (relative to the repository root, `/`-separated; directories end with `/`).
    pub path: ChangePath,
    /// Its hash.
    pub hash: ChangeHash,
}

/// The path of a [`Change`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChangePath {
    /// One path.
    Path(String),
    /// A rename.
    Renamed {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
}

impl ChangePath {
    /// The path entries are sorted by: the path, or a rename's old path.
    pub fn sort_key(&self) -> &str {
        match self {
            ChangePath::Path(path) | ChangePath::Renamed { old: path, .. } => path,
        }
    }
}

/// The hash of a [`Change`]: an object id (`<md5>`, `<md5>.dir`), or none for an output
/// recorded without one (a stage never run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChangeHash {
    /// The entry's hash.
    One(Option<String>),
    /// A modification's hashes.
    Modified {
        /// Before.
        old: Option<String>,
        /// After.
        new: Option<String>,
    },
}
