//! The stamp of a walked directory: one SHA-256 over every file's relpath, inode, mtime, size
//! and execute bit, remembered in the hash cache with the tree's id. When a later walk gives
//! the same stamp, no file in the tree was added, removed, renamed, replaced or modified in
//! place since the tree was built (each file's stat data is in the stamp, not the directory's
//! mtime), so its id is known without looking up each file, sorting and serialising the
//! manifest and hashing it. That is what makes `status` of an unchanged 100k-file tree cost
//! little more than the walk.
//!
//! A stamp is remembered under the rules of the hash cache: only when the newest file in the
//! tree is not racy (see [`State`]).

use dv_schema::hash::{HashName, Md5};
use sha2::{Digest as _, Sha256};

use crate::state::{FileStamp, State};
use crate::walk::WalkedFile;

/// Bytes of file records hashed at a time.
const BLOCK: usize = 64 * 1024;

/// The stamp of a walked directory (its files in walk order, sorted by relpath).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TreeStamp {
    /// The first 16 bytes of the SHA-256 over the files' records.
    digest: [u8; 16],
    /// The newest mtime of any file (the cache's racy rule applies to it).
    newest_mtime_ns: i128,
}

impl TreeStamp {
    /// The stamp of `walked`, built with `hash_name`.
    pub(crate) fn of(walked: &[WalkedFile], hash_name: HashName) -> TreeStamp {
        let mut hasher = Sha256::new();
        hasher.update(hash_name.as_str().as_bytes());
        // Records are gathered into blocks: one `update` per file would cost more than the
        // hashing itself.
        let mut block = Vec::with_capacity(BLOCK + 4096);
        let mut newest_mtime_ns = i128::MIN;
        for file in walked {
            block.extend_from_slice(&(file.relpath.as_str().len() as u64).to_le_bytes());
            block.extend_from_slice(file.relpath.as_str().as_bytes());
            block.extend_from_slice(&file.stamp.inode.to_le_bytes());
            block.extend_from_slice(&file.stamp.mtime_ns.to_le_bytes());
            block.extend_from_slice(&file.size.to_le_bytes());
            block.push(u8::from(file.isexec));
            if block.len() >= BLOCK {
                hasher.update(&block);
                block.clear();
            }
            newest_mtime_ns = newest_mtime_ns.max(file.stamp.mtime_ns);
        }
        hasher.update(&block);
        hasher.update((walked.len() as u64).to_le_bytes());
        let full = hasher.finalize();
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full[..16]);
        TreeStamp {
            digest,
            newest_mtime_ns: if walked.is_empty() {
                0
            } else {
                newest_mtime_ns
            },
        }
    }

    /// The hash cache's key for the directory whose files' keys start with `dir_key`.
    fn key(dir_key: &str) -> String {
        format!("\0tree:{dir_key}")
    }

    /// The stamp as a hash cache entry: the digest in place of inode and size, the newest
    /// mtime in place of the mtime (so the cache's racy rule holds for the whole tree).
    fn as_file_stamp(&self) -> FileStamp {
        let (low, high) = self.digest.split_at(8);
        FileStamp {
            inode: u64::from_le_bytes(low.try_into().unwrap_or_default()),
            mtime_ns: self.newest_mtime_ns,
            size: u64::from_le_bytes(high.try_into().unwrap_or_default()),
        }
    }

    /// The md5 of the tree's manifest, if `state` remembers this stamp for `dir_key`.
    pub(crate) fn known(&self, state: &State, dir_key: &str) -> Option<Md5> {
        state.get(&Self::key(dir_key), &self.as_file_stamp())
    }

    /// Remembers that the tree at `dir_key` with this stamp has manifest md5 `md5`.
    pub(crate) fn remember(&self, state: &mut State, dir_key: &str, md5: Md5) {
        state.insert(&Self::key(dir_key), self.as_file_stamp(), md5);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    use dv_schema::hash::ObjectId;

    use crate::build::{self, BuildOptions, Compared};
    use crate::state::State;

    /// Sets the mtime of `path` to `seconds` ago (older than the racy window).
    fn age(path: &Path, seconds: u64) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(seconds))
            .unwrap();
    }

    fn write(root: &Path, relpath: &str, text: &str, seconds_ago: u64) {
        let path = root.join(relpath);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        age(&path, seconds_ago);
    }

    /// Builds `root/data` as `status` would, saving the hash cache; the tree's id.
    fn build_and_save(root: &Path, state_path: &Path) -> ObjectId {
        let mut state = State::load(state_path);
        let options = BuildOptions::default();
        let built = build::build(root, &root.join("data"), &options, &mut state).unwrap();
        state.save().unwrap();
        built.object_id()
    }

    fn compare(root: &Path, state_path: &Path, expected: &ObjectId) -> Option<ObjectId> {
        let mut state = State::load(state_path);
        let options = BuildOptions::default();
        let result = build::build_unless_same(
            root,
            &root.join("data"),
            &options,
            &mut state,
            Some(expected),
        )
        .unwrap();
        state.save().unwrap();
        match result {
            Compared::Same => None,
            Compared::Built(built) => Some(built.object_id()),
        }
    }

    /// A remembered stamp answers only for the very tree it was made from: a file edited in
    /// place (same size, same inode), added, removed or renamed gives another stamp, and the
    /// tree is built again, with its true id.
    #[test]
    fn only_an_unchanged_tree_is_answered_from_its_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let state_path = root.join(".dvc/tmp/dv/state");
        write(root, "data/a", "one", 60);
        write(root, "data/sub/b", "two", 60);
        let id = build_and_save(root, &state_path);
        assert!(state_path.with_file_name("state-marks").exists());
        assert_eq!(compare(root, &state_path, &id), None);

        write(root, "data/a", "ONE", 30);
        let edited = compare(root, &state_path, &id).expect("an in-place edit is seen");
        assert_ne!(edited, id);
        write(root, "data/a", "one", 60);
        assert_eq!(compare(root, &state_path, &id), None, "back as it was");

        write(root, "data/c", "three", 60);
        assert!(compare(root, &state_path, &id).is_some());
        std::fs::remove_file(root.join("data/c")).unwrap();
        assert_eq!(compare(root, &state_path, &id), None);

        std::fs::rename(root.join("data/sub/b"), root.join("data/sub/B")).unwrap();
        assert!(compare(root, &state_path, &id).is_some());
        std::fs::rename(root.join("data/sub/B"), root.join("data/sub/b")).unwrap();
        assert_eq!(compare(root, &state_path, &id), None);

        // Another recorded id is never "the same" because of a stamp.
        let other = ObjectId::tree(dv_schema::hash::Md5::digest(b"other"));
        assert!(compare(root, &state_path, &other).is_some());
    }

    /// A tree with a file modified just now is not remembered (it could change again within
    /// the same timestamp tick); the answer is still right.
    #[test]
    fn a_racy_tree_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let state_path = root.join("state");
        write(root, "data/a", "one", 60);
        std::fs::write(root.join("data/fresh"), "now").unwrap();
        let id = build_and_save(root, &state_path);
        assert!(!state_path.with_file_name("state-marks").exists());
        assert_eq!(compare(root, &state_path, &id), None);
    }
}
