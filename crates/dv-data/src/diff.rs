//! Comparing two directory manifests (what `dvc status`/`dvc diff` report for a directory).

use std::cmp::Ordering;

use dv_schema::dir_manifest::{DirManifest, RelPath};

/// Files that differ between an old and a new manifest, each list sorted by relpath.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeDiff {
    /// In the new manifest only.
    pub added: Vec<RelPath>,
    /// In both, with different hashes.
    pub modified: Vec<RelPath>,
    /// In the old manifest only.
    pub deleted: Vec<RelPath>,
}

impl TreeDiff {
    /// Whether the manifests list the same files with the same hashes.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.deleted.is_empty()
    }
}

/// Compares `old` with `new`.
pub fn diff(old: &DirManifest, new: &DirManifest) -> TreeDiff {
    let mut result = TreeDiff::default();
    let (old, new) = (old.entries(), new.entries());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.relpath.as_str().cmp(b.relpath.as_str()),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                result.deleted.push(old[i].relpath.clone());
                i += 1;
            }
            Ordering::Greater => {
                result.added.push(new[j].relpath.clone());
                j += 1;
            }
            Ordering::Equal => {
                if old[i].hash != new[j].hash {
                    result.modified.push(new[j].relpath.clone());
                }
                i += 1;
                j += 1;
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_schema::dir_manifest::DirEntry;
    use dv_schema::hash::Md5;

    fn manifest(entries: &[(&str, &[u8])]) -> DirManifest {
        DirManifest::new(
            entries
                .iter()
                .map(|(path, content)| {
                    DirEntry::md5(RelPath::new(*path).expect("relpath"), Md5::digest(content))
                })
                .collect(),
        )
    }

    #[test]
    fn reports_added_modified_deleted() {
        let old = manifest(&[("a", b"1"), ("b", b"2"), ("d/x", b"3")]);
        let new = manifest(&[("b", b"2"), ("c", b"4"), ("d/x", b"5")]);
        let result = diff(&old, &new);
        let names = |list: &[RelPath]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&result.added), ["c"]);
        assert_eq!(names(&result.modified), ["d/x"]);
        assert_eq!(names(&result.deleted), ["a"]);
        assert!(diff(&old, &old).is_empty());
    }
}
