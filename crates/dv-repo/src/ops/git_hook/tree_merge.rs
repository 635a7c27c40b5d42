//! The three-way merge of directory manifests behind DVC's merge driver
//! (`dvc_data.hashfile.tree.merge` with `allowed=["add", "remove", "change"]`).
//!
//! DVC turns each tree into a dict from path to entry, diffs ours and theirs against the
//! ancestor (`dictdiffer.diff`: changed keys, then added, then removed) and applies both diffs
//! to the ancestor in both orders (`dictdiffer.patch`). If the two results differ, the paths
//! where they differ are a conflict. The details decide DVC's messages, so they are kept:
//!
//! - a path removed on both sides fails the first patch with `both deleted: ('a', 'b')`
//!   (Python's `KeyError` text of the path's parts);
//! - a path we removed and they changed leaves the two results differing by a key the second
//!   lacks, which makes DVC's own listing of the conflict raise a bare `KeyError`: an
//!   unexpected error naming the path's parts;
//! - otherwise the conflicting paths are listed: changed ones in the order of the first
//!   result, then those only the second result has.
//!
//! The dicts are [`PyDict`]s, which keep Python's insertion order through assignments and
//! deletions, so the orders above come out as DVC's.

use std::collections::HashMap;

use dv_schema::dir_manifest::{DirEntry, DirManifest, EntryHash, RelPath};

/// Why two trees could not be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeMergeError {
    /// DVC's `MergeError`: `unable to auto-merge the following paths:\n...`.
    Conflict(String),
    /// The `KeyError` DVC lets escape while listing a conflict: the Python repr of the path's
    /// parts.
    KeyError(String),
}

/// Merges `ours` and `theirs`, both changed from `ancestor` (an empty manifest when there is
/// none).
pub fn merge(
    ancestor: &DirManifest,
    ours: &DirManifest,
    theirs: &DirManifest,
) -> Result<DirManifest, TreeMergeError> {
    let ancestor = PyDict::from_manifest(ancestor);
    let ours = PyDict::from_manifest(ours);
    let theirs = PyDict::from_manifest(theirs);
    let our_diff = diff(&ancestor, &ours);
    if our_diff.is_empty() {
        return Ok(theirs.into_manifest());
    }
    let their_diff = diff(&ancestor, &theirs);
    if their_diff.is_empty() {
        return Ok(ours.into_manifest());
    }
    let both_deleted = |key: String| {
        TreeMergeError::Conflict(format!(
            "unable to auto-merge the following paths:\nboth deleted: {}",
            python_parts(&key)
        ))
    };
    let ours_first = patch(&ancestor, &[&our_diff, &their_diff]).map_err(both_deleted)?;
    let theirs_first = patch(&ancestor, &[&their_diff, &our_diff]).map_err(both_deleted)?;
    let unmergeable = diff(&ours_first, &theirs_first);
    if unmergeable.is_empty() {
        return Ok(ours_first.into_manifest());
    }
    // DVC patches an empty dict with the differences to list their paths: a removal there
    // fails on the first removed key.
    if let Some(key) = unmergeable.removed.first() {
        return Err(TreeMergeError::KeyError(python_parts(key)));
    }
    let paths: Vec<&str> = unmergeable
        .changed
        .iter()
        .chain(&unmergeable.added)
        .map(|(key, _)| key.as_str())
        .collect();
    Err(TreeMergeError::Conflict(format!(
        "unable to auto-merge the following paths:\n{}",
        paths.join("\n")
    )))
}

/// A dict from relative path to entry hash with Python's ordering: assignment to a new key
/// appends, assignment to an existing key keeps its place, deletion forgets the place.
#[derive(Debug, Clone, Default)]
struct PyDict {
    slots: Vec<Option<(String, EntryHash)>>,
    index: HashMap<String, usize>,
}

impl PyDict {
    fn from_manifest(manifest: &DirManifest) -> PyDict {
        let mut dict = PyDict::default();
        for entry in manifest.entries() {
            dict.set(entry.relpath.as_str().to_owned(), entry.hash.clone());
        }
        dict
    }

    fn into_manifest(self) -> DirManifest {
        DirManifest::new(
            self.slots
                .into_iter()
                .flatten()
                .filter_map(|(key, hash)| {
                    // Keys come from valid manifests.
                    RelPath::new(key)
                        .ok()
                        .map(|relpath| DirEntry { relpath, hash })
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&EntryHash> {
        let slot = self.index.get(key)?;
        self.slots[*slot].as_ref().map(|(_, hash)| hash)
    }

    fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    fn set(&mut self, key: String, hash: EntryHash) {
        match self.index.get(&key) {
            Some(&slot) => self.slots[slot] = Some((key, hash)),
            None => {
                self.index.insert(key.clone(), self.slots.len());
                self.slots.push(Some((key, hash)));
            }
        }
    }

    /// Deletes `key`; false when it is not there (Python's `KeyError`).
    fn remove(&mut self, key: &str) -> bool {
        match self.index.remove(key) {
            Some(slot) => {
                self.slots[slot] = None;
                true
            }
            None => false,
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&String, &EntryHash)> {
        self.slots.iter().flatten().map(|(key, hash)| (key, hash))
    }
}

/// `dictdiffer.diff` of two flat dicts: changed keys in the first dict's order, added keys in
/// the second's, removed keys in the first's; applied in that order.
#[derive(Debug, Default)]
struct Diff {
    changed: Vec<(String, EntryHash)>,
    added: Vec<(String, EntryHash)>,
    removed: Vec<String>,
}

impl Diff {
    fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

fn diff(first: &PyDict, second: &PyDict) -> Diff {
    let mut result = Diff::default();
    for (key, hash) in first.iter() {
        match second.get(key) {
            Some(other) if other != hash => result.changed.push((key.clone(), other.clone())),
            Some(_) => {}
            None => result.removed.push(key.clone()),
        }
    }
    for (key, hash) in second.iter() {
        if !first.contains(key) {
            result.added.push((key.clone(), hash.clone()));
        }
    }
    result
}

/// `dictdiffer.patch` of `diffs` in turn onto a copy of `base`; the key of a removal that
/// finds nothing to remove is the error.
fn patch(base: &PyDict, diffs: &[&Diff]) -> Result<PyDict, String> {
    let mut dict = base.clone();
    for diff in diffs {
        for (key, hash) in diff.changed.iter().chain(&diff.added) {
            dict.set(key.clone(), hash.clone());
        }
        for key in &diff.removed {
            if !dict.remove(key) {
                return Err(key.clone());
            }
        }
    }
    Ok(dict)
}

/// Python's repr of a path's parts as a tuple of strings: `('a',)`, `('a', 'b')`.
fn python_parts(key: &str) -> String {
    let parts: Vec<String> = key.split('/').map(python_str_repr).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Python's `repr` of a string: single quotes unless the text has a single quote and no double
/// one; backslashes, the chosen quote and control characters escaped.
fn python_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_schema::hash::Md5;

    fn md5(n: u8) -> Md5 {
        Md5::digest(&[n])
    }

    fn tree(entries: &[(&str, u8)]) -> DirManifest {
        DirManifest::new(
            entries
                .iter()
                .map(|(path, n)| DirEntry::md5(RelPath::new(*path).expect("valid"), md5(*n)))
                .collect(),
        )
    }

    #[test]
    fn additions_on_both_sides_merge() {
        let merged = merge(
            &tree(&[("a", 1)]),
            &tree(&[("a", 1), ("x", 2)]),
            &tree(&[("a", 1), ("y", 3)]),
        )
        .expect("mergeable");
        assert_eq!(merged, tree(&[("a", 1), ("x", 2), ("y", 3)]));
    }

    #[test]
    fn one_sided_change_takes_the_changed_side() {
        let base = tree(&[("a", 1), ("b", 2)]);
        let theirs = tree(&[("b", 2)]);
        assert_eq!(merge(&base, &base, &theirs), Ok(theirs.clone()));
        assert_eq!(merge(&base, &theirs, &base), Ok(theirs));
    }

    #[test]
    fn conflicts_say_what_dvc_says() {
        let base = tree(&[("a", 1), ("b", 2), ("c", 3)]);
        let changed_a = tree(&[("a", 9), ("b", 2), ("c", 3)]);
        let removed_a = tree(&[("b", 2), ("c", 3)]);
        let removed_ab = tree(&[("c", 3)]);
        let removed_ab_added_d = tree(&[("c", 3), ("d", 4)]);
        assert_eq!(
            merge(&base, &tree(&[("a", 8), ("b", 2), ("c", 3)]), &changed_a),
            Err(TreeMergeError::Conflict(
                "unable to auto-merge the following paths:\na".to_owned()
            ))
        );
        assert_eq!(
            merge(&base, &removed_ab, &removed_ab_added_d),
            Err(TreeMergeError::Conflict(
                "unable to auto-merge the following paths:\nboth deleted: ('a',)".to_owned()
            ))
        );
        assert_eq!(
            merge(&base, &removed_a, &changed_a),
            Err(TreeMergeError::KeyError("('a',)".to_owned()))
        );
        assert_eq!(
            merge(&base, &changed_a, &removed_a),
            Err(TreeMergeError::Conflict(
                "unable to auto-merge the following paths:\na".to_owned()
            ))
        );
    }

    #[test]
    fn both_adding_the_same_path_differently_conflicts() {
        let empty = DirManifest::default();
        assert_eq!(
            merge(
                &empty,
                &tree(&[("a", 1), ("dir/e", 5)]),
                &tree(&[("a", 1), ("dir/e", 6)])
            ),
            Err(TreeMergeError::Conflict(
                "unable to auto-merge the following paths:\ndir/e".to_owned()
            ))
        );
        assert_eq!(
            merge(&empty, &tree(&[("a", 1)]), &tree(&[("a", 1)])),
            Ok(tree(&[("a", 1)]))
        );
    }

    #[test]
    fn parts_print_as_python_tuples() {
        assert_eq!(python_parts("a"), "('a',)");
        assert_eq!(python_parts("d/it's"), "('d', \"it's\")");
        assert_eq!(python_parts("q'\"\\"), "('q\\'\"\\\\',)");
    }
}
