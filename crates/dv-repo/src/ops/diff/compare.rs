//! The comparison itself, as `dvc_data.index.diff` with renames and DVC's `repo/diff.py`
//! make it: each data key (root) is compared on both sides and, when either side is a
//! directory, everything below it is compared by merging the two sorted listings (one pass,
//! borrowed from the `.dir` manifests; skipped when both directories have the same hash and
//! nothing needs checking against the cache).
//!
//! DVC's rules kept here:
//! - two entries differ when their hashes differ, or one is a directory and the other not;
//! - a directory without a hash (one implied by the paths below it) is never reported, and
//!   neither is anything compared with one (a file that became a directory shows only the
//!   new files below it);
//! - below a directory whose `.dir` manifest is not in the cache nothing is known, so only
//!   the directory itself is reported;
//! - an addition and a deletion with the same hash are a rename, paired in key order;
//! - with the workspace as the default new side, every old entry (unchanged ones too) whose
//!   object is not in the cache is reported "not in cache".

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use dv_schema::hash::HashName;
use dv_schema::repo_path::RepoPath;

use super::report::{Change, ChangeHash, ChangePath, DiffReport};
use super::sides::Source;
use super::tree::{Digest, Entry, Item, Listing, cmp_keys, is_below};
use crate::workspace::Workspace;

/// How two entries compare (DVC's change types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Added,
    Deleted,
    Modified,
    Unchanged,
    /// Below a directory that could not be loaded.
    Unknown,
}

/// An entry found while comparing: its root, its path below the root, and the entry.
#[derive(Clone, Debug)]
struct Found<'a> {
    root: &'a str,
    rel: Cow<'a, str>,
    entry: Entry<'a>,
}

impl Found<'_> {
    /// Its data index key, `/`-separated.
    fn key(&self) -> String {
        if self.rel.is_empty() {
            self.root.to_owned()
        } else {
            format!("{}/{}", self.root, self.rel)
        }
    }

    /// Its path as DVC prints it: directories end with `/`.
    fn shown(&self) -> String {
        let mut key = self.key();
        if self.entry.isdir {
            key.push('/');
        }
        key
    }

    fn hash(&self) -> Option<String> {
        self.entry.hash.as_ref().map(Digest::shown)
    }
}

/// The changes collected so far.
#[derive(Default)]
struct Collected<'a> {
    added: Vec<Found<'a>>,
    deleted: Vec<Found<'a>>,
    modified: Vec<(Found<'a>, Entry<'a>)>,
    /// Old entries to look for in the cache.
    to_check: Vec<Found<'a>>,
    with_missing: bool,
    /// The old side of the current root is a tree the hash cache knows complete: nothing of
    /// it needs looking for.
    complete: bool,
}

impl<'a> Collected<'a> {
    /// Records the comparison of `old` and `new` at `rel` below `root`.
    fn record(
        &mut self,
        root: &'a str,
        rel: Cow<'a, str>,
        old: Option<Entry<'a>>,
        new: Option<Entry<'a>>,
        unknown: bool,
    ) {
        let kind = match (old, new) {
            (None, None) => return,
            _ if unknown => Kind::Unknown,
            (None, Some(_)) => Kind::Added,
            (Some(_), None) => Kind::Deleted,
            (Some(old), Some(new)) if old.hash != new.hash || old.isdir != new.isdir => {
                Kind::Modified
            }
            (Some(_), Some(_)) => Kind::Unchanged,
        };
        if old.is_some_and(|entry| entry.is_hashless_dir())
            || new.is_some_and(|entry| entry.is_hashless_dir())
        {
            return;
        }
        if kind == Kind::Unchanged && !self.with_missing {
            return;
        }
        let found = |entry: Entry<'a>| Found {
            root,
            rel: rel.clone(),
            entry,
        };
        match (kind, old, new) {
            (Kind::Added, _, Some(new)) => self.added.push(found(new)),
            (Kind::Deleted, Some(old), _) => self.deleted.push(found(old)),
            (Kind::Modified, Some(old), Some(new)) => self.modified.push((found(old), new)),
            _ => {}
        }
        if self.with_missing
            && !self.complete
            && let Some(old) = old
            && old.hash.is_some()
        {
            self.to_check.push(found(old));
        }
    }

    /// Compares everything below `root`: both listings merged in path order.
    fn merge(&mut self, root: &'a str, old: &Listing<'a>, new: &Listing<'a>) {
        if old.is_unknown() || new.is_unknown() {
            // DVC marks everything below unknown: nothing is added, deleted or modified, and
            // the old side has nothing loaded to look for in the cache (a workspace new side
            // is always known).
            return;
        }
        let nested_unknown = !old.unknown.is_empty() || !new.unknown.is_empty();
        let unknown_at =
            |path: &str| nested_unknown && (old.is_unknown_at(path) || new.is_unknown_at(path));
        let (mut i, mut j) = (0, 0);
        let (olds, news) = (&old.items, &new.items);
        while i < olds.len() || j < news.len() {
            let order = match (olds.get(i), news.get(j)) {
                (Some(a), Some(b)) => a.path.as_ref().cmp(b.path.as_ref()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, _) => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Equal => {
                    let (a, b) = (&olds[i], &news[j]);
                    let unknown = unknown_at(&a.path);
                    self.record(root, a.path.clone(), Some(a.entry), Some(b.entry), unknown);
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => {
                    let a = &olds[i];
                    // A directory implied on the new side hides the change.
                    if !new.has_below(&a.path) {
                        let unknown = unknown_at(&a.path);
                        self.record(root, a.path.clone(), Some(a.entry), None, unknown);
                    }
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    let b = &news[j];
                    if !old.has_below(&b.path) {
                        let unknown = unknown_at(&b.path);
                        self.record(root, b.path.clone(), None, Some(b.entry), unknown);
                    }
                    j += 1;
                }
            }
        }
    }
}

/// Compares `old` with `new` at every root. `with_missing`: report old entries whose object
/// is not in the cache (the workspace compared by default); `complete` says which trees the
/// hash cache knows to be wholly in the cache.
pub(super) fn compare(
    workspace: &Workspace,
    old: &[Source<'_>],
    new: &[Source<'_>],
    roots: &[RepoPath],
    with_missing: bool,
    complete: &dyn Fn(&Digest<'_>) -> bool,
) -> DiffReport {
    let mut collected = Collected {
        with_missing,
        ..Collected::default()
    };
    for root in roots {
        let key = root.as_str();
        let (old_entry, new_entry) = (entry(old, key), entry(new, key));
        collected.complete = with_missing
            && old_entry
                .is_some_and(|entry| entry.isdir && entry.hash.as_ref().is_some_and(complete));
        collected.record(key, Cow::Borrowed(""), old_entry, new_entry, false);
        let is_dir = |entry: Option<Entry<'_>>| entry.is_some_and(|entry| entry.isdir);
        if !is_dir(old_entry) && !is_dir(new_entry) {
            continue;
        }
        let same_tree = matches!((old_entry, new_entry), (Some(a), Some(b))
            if a.isdir && b.isdir && a.hash.is_some() && a.hash == b.hash);
        if same_tree && (!with_missing || collected.complete) {
            // Identical manifests: nothing below changed.
            continue;
        }
        let (old_listing, new_listing) = (listing(old, key), listing(new, key));
        collected.merge(key, &old_listing, &new_listing);
    }
    report(workspace, collected)
}

/// The entry at `key` on one side: a data key's own entry, an entry inside a data key's
/// directory, or a directory implied by data keys below `key`.
fn entry<'a>(sources: &[Source<'a>], key: &str) -> Option<Entry<'a>> {
    if let Some(source) = sources.iter().find(|source| source.key.as_str() == key) {
        return source.entry_at("");
    }
    if let Some(source) = sources
        .iter()
        .find(|source| is_below(key, source.key.as_str()))
    {
        return source.entry_at(&key[source.key.as_str().len() + 1..]);
    }
    sources
        .iter()
        .any(|source| is_below(source.key.as_str(), key) && source.is_present())
        .then_some(Entry::IMPLIED_DIR)
}

/// Every entry below `key` on one side, sorted by path.
fn listing<'a>(sources: &[Source<'a>], key: &str) -> Listing<'a> {
    if let Some(source) = sources.iter().find(|source| source.key.as_str() == key) {
        return source.listing_at("");
    }
    if let Some(source) = sources
        .iter()
        .find(|source| is_below(key, source.key.as_str()))
    {
        return source.listing_at(&key[source.key.as_str().len() + 1..]);
    }
    // Data keys below `key` (outputs inside a directory another revision tracks whole).
    let mut composed = Listing::default();
    for source in sources
        .iter()
        .filter(|source| is_below(source.key.as_str(), key))
    {
        let rel = &source.key.as_str()[key.len() + 1..];
        if let Some(entry) = source.entry_at("") {
            composed.items.push(Item {
                path: Cow::Owned(rel.to_owned()),
                entry,
            });
        }
        let below = source.listing_at("");
        for prefix in &below.unknown {
            composed.unknown.push(Cow::Owned(if prefix.is_empty() {
                rel.to_owned()
            } else {
                format!("{rel}/{prefix}")
            }));
        }
        composed
            .items
            .extend(below.items.into_iter().map(|item| Item {
                path: Cow::Owned(format!("{rel}/{}", item.path)),
                entry: item.entry,
            }));
    }
    composed
        .items
        .sort_by(|a, b| a.path.as_ref().cmp(b.path.as_ref()));
    composed
}

/// The report: renames paired, old entries looked for in the cache, sections sorted.
fn report(workspace: &Workspace, collected: Collected<'_>) -> DiffReport {
    let mut report = DiffReport::default();
    let (added, deleted) = pair_renames(collected.added, collected.deleted, &mut report);
    report.added = added
        .iter()
        .map(|found| plain(found.shown(), found.hash()))
        .collect();
    report.deleted = deleted
        .iter()
        .map(|found| plain(found.shown(), found.hash()))
        .collect();
    report.modified = collected
        .modified
        .iter()
        .map(|(old, new)| Change {
            path: ChangePath::Path(old.shown()),
            hash: ChangeHash::Modified {
                old: old.hash(),
                new: new.hash.as_ref().map(Digest::shown),
            },
        })
        .collect();
    report.not_in_cache = not_in_cache(workspace, &collected.to_check)
        .iter()
        .map(|found| plain(found.shown(), found.hash()))
        .collect();
    for section in [
        &mut report.added,
        &mut report.deleted,
        &mut report.modified,
        &mut report.renamed,
        &mut report.not_in_cache,
    ] {
        section.sort_by(|a, b| a.path.sort_key().cmp(b.path.sort_key()));
    }
    report
}

fn plain(path: String, hash: Option<String>) -> Change {
    Change {
        path: ChangePath::Path(path),
        hash: ChangeHash::One(hash),
    }
}

/// DVC's rename detection: additions and deletions sorted by key, each addition taking the
/// first remaining deletion with the same hash. Returns what stays added and deleted.
fn pair_renames<'a>(
    mut added: Vec<Found<'a>>,
    mut deleted: Vec<Found<'a>>,
    report: &mut DiffReport,
) -> (Vec<Found<'a>>, Vec<Found<'a>>) {
    if added.is_empty() || deleted.is_empty() {
        return (added, deleted);
    }
    sort_by_key(&mut added);
    sort_by_key(&mut deleted);
    let mut queues: HashMap<Digest<'a>, VecDeque<usize>> = HashMap::new();
    for (position, found) in deleted.iter().enumerate() {
        if let Some(hash) = found.entry.hash {
            queues.entry(hash).or_default().push_back(position);
        }
    }
    let mut paired = vec![false; deleted.len()];
    let mut still_added = Vec::new();
    for addition in added {
        let deletion = addition
            .entry
            .hash
            .and_then(|hash| queues.get_mut(&hash))
            .and_then(VecDeque::pop_front);
        match deletion {
            Some(position) => {
                paired[position] = true;
                let old = &deleted[position];
                report.renamed.push(Change {
                    path: ChangePath::Renamed {
                        old: old.shown(),
                        new: addition.shown(),
                    },
                    hash: ChangeHash::One(old.hash()),
                });
            }
            None => still_added.push(addition),
        }
    }
    let still_deleted = deleted
        .into_iter()
        .zip(paired)
        .filter(|(_, paired)| !paired)
        .map(|(found, _)| found)
        .collect();
    (still_added, still_deleted)
}

/// Sorts entries in DVC's key order, each key built once.
fn sort_by_key<'a>(found: &mut Vec<Found<'a>>) {
    let mut keyed: Vec<(String, Found<'a>)> =
        found.drain(..).map(|found| (found.key(), found)).collect();
    keyed.sort_by(|a, b| cmp_keys(&a.0, &b.0));
    found.extend(keyed.into_iter().map(|(_, found)| found));
}

/// The entries whose object the cache lacks (DVC checks that the object file exists).
fn not_in_cache<'f, 'a>(workspace: &Workspace, to_check: &'f [Found<'a>]) -> Vec<&'f Found<'a>> {
    let mut missing = Vec::new();
    for name in [HashName::Md5, HashName::Md5Dos2Unix] {
        let checked: Vec<(&Found<'a>, dv_schema::hash::ObjectId)> = to_check
            .iter()
            .filter_map(|found| match found.entry.hash {
                Some(Digest::Id(hash_name, id)) if hash_name == name => Some((found, id)),
                _ => None,
            })
            .collect();
        if checked.is_empty() {
            continue;
        }
        let ids: Vec<_> = checked.iter().map(|(_, id)| *id).collect();
        let present = workspace.odb(name).contains_many(&ids);
        missing.extend(
            checked
                .iter()
                .zip(present)
                .filter(|(_, present)| !present)
                .map(|((found, _), _)| *found),
        );
    }
    // Hashes of other kinds (`etag`, `checksum`) name no cache object.
    missing.extend(
        to_check
            .iter()
            .filter(|found| matches!(found.entry.hash, Some(Digest::Other(..)))),
    );
    missing
}
