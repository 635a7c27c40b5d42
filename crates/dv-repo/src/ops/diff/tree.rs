//! What the files of `diff` share: the entries of a revision's data as DVC's data index holds
//! them (an output, a file of a directory output, an implied directory), and a directory's
//! listing as one sorted list borrowed from its `.dir` manifest.

use std::borrow::Cow;
use std::cmp::Ordering;

use dv_schema::dir_manifest::{DirEntry, EntryHash};
use dv_schema::hash::{HashName, ObjectId};

/// A hash as DVC's data index compares it: the hash name and the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Digest<'a> {
    /// An object id (`md5` or `md5-dos2unix`).
    Id(HashName, ObjectId),
    /// Another kind (`etag`, `checksum`) of a file in a tree built from cloud storage.
    Other(&'static str, &'a str),
}

impl Digest<'_> {
    /// The value DVC prints (`<md5>` or `<md5>.dir`).
    pub(super) fn shown(&self) -> String {
        match self {
            Digest::Id(_, id) => id.to_string(),
            Digest::Other(_, value) => (*value).to_owned(),
        }
    }
}

/// One entry of a revision's data: its meta (`isdir`) and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry<'a> {
    /// A directory: an output recorded as one, or a directory implied by the paths below it.
    pub(super) isdir: bool,
    /// The hash, if any (implied directories and never-run outputs have none).
    pub(super) hash: Option<Digest<'a>>,
}

impl<'a> Entry<'a> {
    /// A file with `hash`.
    pub(super) fn file(hash: Digest<'a>) -> Entry<'a> {
        Entry {
            isdir: false,
            hash: Some(hash),
        }
    }

    /// A directory implied by the paths below it (DVC gives it no hash).
    pub(super) const IMPLIED_DIR: Entry<'static> = Entry {
        isdir: true,
        hash: None,
    };

    /// A file of a `.dir` manifest hashed with `name`.
    pub(super) fn of_manifest(entry: &'a DirEntry, name: HashName) -> Entry<'a> {
        Entry::file(match &entry.hash {
            EntryHash::Md5(md5) => Digest::Id(name, ObjectId::file(*md5)),
            EntryHash::Etag(value) => Digest::Other("etag", value),
            EntryHash::Checksum(value) => Digest::Other("checksum", value),
        })
    }

    /// A directory without a hash, which DVC never reports.
    pub(super) fn is_hashless_dir(&self) -> bool {
        self.isdir && self.hash.is_none()
    }
}

/// One entry of a listing: its path below the listed directory and the entry.
#[derive(Clone, Debug)]
pub(super) struct Item<'a> {
    /// `/`-separated, relative to the listed directory.
    pub(super) path: Cow<'a, str>,
    /// The entry.
    pub(super) entry: Entry<'a>,
}

/// Every entry below a directory, sorted by path as strings (as `.dir` manifests are), with
/// the parts DVC could not load.
#[derive(Clone, Debug, Default)]
pub(super) struct Listing<'a> {
    /// The entries, sorted by path.
    pub(super) items: Vec<Item<'a>>,
    /// Paths (relative, `""` for the whole listing) of directories whose `.dir` manifest is not
    /// in the cache: DVC marks everything below them unknown and reports none of it.
    pub(super) unknown: Vec<Cow<'a, str>>,
}

impl<'a> Listing<'a> {
    /// A listing nothing is known about.
    pub(super) fn unknown() -> Listing<'a> {
        Listing {
            items: Vec::new(),
            unknown: vec![Cow::Borrowed("")],
        }
    }

    /// Whether nothing below the directory could be loaded.
    pub(super) fn is_unknown(&self) -> bool {
        self.unknown.iter().any(|prefix| prefix.is_empty())
    }

    /// Whether `path` is inside a directory DVC could not load.
    pub(super) fn is_unknown_at(&self, path: &str) -> bool {
        self.unknown
            .iter()
            .any(|prefix| prefix.is_empty() || is_below(path, prefix))
    }

    /// Whether entries lie below `path` (DVC then has an implied directory at `path`).
    pub(super) fn has_below(&self, path: &str) -> bool {
        let start = self
            .items
            .partition_point(|item| cmp_with_dir(&item.path, path) == Ordering::Less);
        self.items
            .get(start)
            .is_some_and(|item| is_below(&item.path, path))
    }

    /// The entries of a `.dir` manifest below `prefix` (`""`: all of them), with `prefix/`
    /// taken off their paths, borrowed from the manifest.
    pub(super) fn of_manifest(
        entries: &'a [DirEntry],
        name: HashName,
        prefix: &str,
    ) -> Listing<'a> {
        let below = entries_below(entries, prefix);
        let strip = if prefix.is_empty() {
            0
        } else {
            prefix.len() + 1
        };
        Listing {
            items: below
                .iter()
                .map(|entry| Item {
                    path: Cow::Borrowed(&entry.relpath.as_str()[strip..]),
                    entry: Entry::of_manifest(entry, name),
                })
                .collect(),
            unknown: Vec::new(),
        }
    }
}

/// The entries of a `.dir` manifest below directory `prefix` (`""`: all of them): a
/// contiguous slice, since the manifest is sorted as strings.
pub(super) fn entries_below<'e>(entries: &'e [DirEntry], prefix: &str) -> &'e [DirEntry] {
    if prefix.is_empty() {
        return entries;
    }
    let start =
        entries.partition_point(|entry| cmp_with_dir(entry.relpath.as_str(), prefix).is_lt());
    let end = start
        + entries[start..]
            .iter()
            .take_while(|entry| is_below(entry.relpath.as_str(), prefix))
            .count();
    &entries[start..end]
}

/// Whether `path` lies below directory `dir` (`dir/...`).
pub(super) fn is_below(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// How `path` compares with `dir/` as strings, without building `dir/`.
fn cmp_with_dir(path: &str, dir: &str) -> Ordering {
    path.as_bytes()
        .iter()
        .cmp(dir.as_bytes().iter().chain(std::iter::once(&b'/')))
}

/// DVC's order of data index keys: path components compared one by one (so `a/x` sorts
/// before `a b`, unlike the strings).
pub(super) fn cmp_keys(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_schema::dir_manifest::{DirManifest, RelPath};
    use dv_schema::hash::Md5;

    fn manifest(paths: &[&str]) -> DirManifest {
        DirManifest::new(
            paths
                .iter()
                .map(|path| DirEntry::md5(RelPath::new(*path).expect("relpath"), Md5::digest(b"x")))
                .collect(),
        )
    }

    #[test]
    fn listings_below_a_prefix_are_contiguous_slices() {
        let tree = manifest(&["a b", "a/x", "a/y/z", "a-b", "ab", "b"]);
        let listing = Listing::of_manifest(tree.entries(), HashName::Md5, "a");
        let paths: Vec<&str> = listing.items.iter().map(|item| &*item.path).collect();
        assert_eq!(paths, ["x", "y/z"]);
        let all = Listing::of_manifest(tree.entries(), HashName::Md5, "");
        assert!(all.has_below("a") && all.has_below("a/y") && !all.has_below("a b"));
        assert!(!all.has_below("b") && !all.has_below("c"));
    }

    #[test]
    fn keys_sort_by_components() {
        assert_eq!(cmp_keys("a/x", "a b"), Ordering::Less);
        assert_eq!("a/x".cmp("a b"), Ordering::Greater);
        assert_eq!(cmp_keys("a", "a/b"), Ordering::Less);
        assert!(is_below("a/b", "a") && !is_below("ab", "a") && !is_below("a", "a"));
    }
}
