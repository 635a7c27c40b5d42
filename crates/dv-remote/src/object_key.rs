//! [`ObjectKey`]: the name of one content-addressed object and where it lives inside a remote
//! (spec §10.1): DVC 3 objects at `files/md5/ab/cdef…`, legacy 2.x objects at `ab/cdef…`, tree
//! manifests with the `.dir` suffix in both layouts.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use dv_schema::hash::{HashName, Md5, ObjectId};

/// The prefix of every DVC 3 object inside a remote (and inside the cache).
pub(crate) const MD5_PREFIX: &str = "files/md5";

/// Which directory layout an object belongs to, which also decides its hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// DVC 3 (`hash: md5` outputs): `<remote>/files/md5/ab/cdef…`, plain MD5 of the bytes.
    Md5,
    /// DVC 2.x (outputs without `hash: md5`): `<remote>/ab/cdef…`, hashed with
    /// `md5-dos2unix` (spec §3.3).
    Legacy,
}

impl Layout {
    /// The directory, relative to the remote root and without a trailing `/`, holding the
    /// two-character shard directories of this layout (`""` for the legacy layout).
    pub(crate) fn root(self) -> &'static str {
        match self {
            Layout::Md5 => MD5_PREFIX,
            Layout::Legacy => "",
        }
    }

    /// The hash algorithm of the objects of this layout.
    pub fn hash_name(self) -> HashName {
        match self {
            Layout::Md5 => HashName::Md5,
            Layout::Legacy => HashName::Md5Dos2Unix,
        }
    }

    /// The remote-relative directory of shard `shard` (two hex characters), with a trailing `/`.
    pub(crate) fn shard_dir(self, shard: &str) -> String {
        match self {
            Layout::Md5 => format!("{MD5_PREFIX}/{shard}/"),
            Layout::Legacy => format!("{shard}/"),
        }
    }
}

pub use dv_schema::hash::ObjectKind;

/// One object of a content-addressed remote: its [`ObjectId`] (MD5, file or tree) and the
/// layout it lives in.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    id: ObjectId,
    layout: Layout,
}

impl ObjectKey {
    /// The key of an object with digest `md5`.
    pub fn new(md5: [u8; 16], kind: ObjectKind, layout: Layout) -> Self {
        ObjectKey::from_id(
            ObjectId {
                md5: Md5(md5),
                kind,
            },
            layout,
        )
    }

    /// The key of object `id` in `layout`.
    pub fn from_id(id: ObjectId, layout: Layout) -> Self {
        ObjectKey { id, layout }
    }

    /// Parses 32 hex characters, optionally followed by `.dir` (which makes it a tree), e.g. the
    /// `md5` value of a `.dvc` output.
    pub fn parse(text: &str, layout: Layout) -> Result<Self, ParseKeyError> {
        let id = text
            .parse::<ObjectId>()
            .map_err(|_| ParseKeyError(text.to_owned()))?;
        Ok(ObjectKey { id, layout })
    }

    /// The key named by `path`, relative to the layout's root (`ab/cdef…` or `ab/cdef….dir`),
    /// or `None` when `path` is not an object's name (temporary files, other directories).
    pub(crate) fn from_shard_path(path: &str, layout: Layout) -> Option<Self> {
        let (shard, rest) = path.split_once('/')?;
        if shard.len() != 2 || rest.contains('/') {
            return None;
        }
        let name = rest.strip_suffix(ObjectId::TREE_SUFFIX).unwrap_or(rest);
        if name.len() != 30 {
            return None;
        }
        ObjectKey::parse(&format!("{shard}{rest}"), layout).ok()
    }

    /// The object's id.
    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// The digest.
    pub fn md5(&self) -> &[u8; 16] {
        self.id.md5.as_bytes()
    }

    /// File or tree.
    pub fn kind(&self) -> ObjectKind {
        self.id.kind
    }

    /// DVC 3 or legacy layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The digest as 32 lower-case hex characters (without `.dir`).
    pub fn md5_hex(&self) -> String {
        self.id.md5.to_hex()
    }

    /// The first two hex characters: the shard directory.
    pub(crate) fn shard(&self) -> String {
        self.md5_hex()[..2].to_owned()
    }

    /// The object's path relative to the remote root, `/`-separated:
    /// `files/md5/ab/cdef…[.dir]` or, legacy, `ab/cdef…[.dir]`.
    pub fn remote_path(&self) -> String {
        let name = self.id.to_string();
        match self.layout {
            Layout::Md5 => format!("{MD5_PREFIX}/{}/{}", &name[..2], &name[2..]),
            Layout::Legacy => format!("{}/{}", &name[..2], &name[2..]),
        }
    }
}

/// One object for [`Remote::download_many`](crate::Remote::download_many).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDownload {
    /// The object.
    pub key: ObjectKey,
    /// Its size as the metafile naming it records it, when it does: a remote sending more
    /// bytes fails the download ([`RemoteError::TooLarge`](crate::RemoteError::TooLarge)).
    pub size: Option<u64>,
    /// Where it goes.
    pub destination: PathBuf,
}

impl ObjectDownload {
    /// `key` to `destination`, of unknown size.
    pub fn new(key: ObjectKey, destination: PathBuf) -> Self {
        ObjectDownload {
            key,
            size: None,
            destination,
        }
    }
}

/// Shown as DVC writes it in metafiles: hex, plus `.dir` for trees.
impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.id, f)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectKey({self}, {:?})", self.layout)
    }
}

/// Parses a DVC 3 key (`Layout::Md5`); use [`ObjectKey::parse`] for legacy keys.
impl FromStr for ObjectKey {
    type Err = ParseKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ObjectKey::parse(text, Layout::Md5)
    }
}

/// A string that is not an object key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object key `{0}`: expected 32 hex characters, optionally followed by `.dir`")]
pub struct ParseKeyError(String);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_dvc3_and_legacy_layouts() {
        let file = ObjectKey::parse("5bbf5a52328e7439ae6e719dfe712200", Layout::Md5).unwrap();
        assert_eq!(
            file.remote_path(),
            "files/md5/5b/bf5a52328e7439ae6e719dfe712200"
        );
        let tree = ObjectKey::parse("09a51e5337dd857452a91f4118b6c095.dir", Layout::Md5).unwrap();
        assert_eq!(tree.kind(), ObjectKind::Tree);
        assert_eq!(
            tree.remote_path(),
            "files/md5/09/a51e5337dd857452a91f4118b6c095.dir"
        );
        assert_eq!(tree.to_string(), "09a51e5337dd857452a91f4118b6c095.dir");
        let legacy = ObjectKey::parse("7736575c4934b5b45685150b1c7498e5", Layout::Legacy).unwrap();
        assert_eq!(legacy.remote_path(), "77/36575c4934b5b45685150b1c7498e5");
    }

    #[test]
    fn shard_paths_round_trip_and_reject_other_names() {
        let key = ObjectKey::parse("09a51e5337dd857452a91f4118b6c095.dir", Layout::Md5).unwrap();
        assert_eq!(
            ObjectKey::from_shard_path("09/a51e5337dd857452a91f4118b6c095.dir", Layout::Md5),
            Some(key)
        );
        for other in [
            "09/.a51e5337dd857452a91f4118b6c095.tmp",
            "09/a51e5337dd857452a91f4118b6c09",
            "runs/a5/1e5337dd857452a91f4118b6c095",
            "zz/a51e5337dd857452a91f4118b6c095",
            "09a51e5337dd857452a91f4118b6c095",
        ] {
            assert_eq!(
                ObjectKey::from_shard_path(other, Layout::Md5),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn invalid_keys_are_rejected() {
        for bad in ["", "abc", "5bbf5a52328e7439ae6e719dfe71220g", "x.dir"] {
            assert!(ObjectKey::parse(bad, Layout::Md5).is_err(), "{bad}");
        }
    }
}
