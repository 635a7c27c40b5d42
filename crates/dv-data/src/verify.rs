//! Checking that cache objects still hold what their names say before they leave the cache
//! (`push`), cheaply: an object whose stamp (inode, mtime, size) the hash cache remembers
//! with the object's own md5 is trusted; any other is hashed, and remembered when it matches.
//! Unlike [`Odb::check`](crate::odb::Odb::check), a read-only mode is not trusted: a file
//! planted in the cache can be read-only too.

use std::num::NonZeroUsize;
use std::path::Path;

use dv_schema::hash::{HashName, Md5, ObjectId};

use crate::hashing;
use crate::odb::{Odb, OdbError};
use crate::pool;
use crate::state::{FileStamp, State};

/// What verifying one object found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The content hashes to the object's name.
    Valid,
    /// There is no file under the object's name.
    Missing,
    /// The content hashes to `actual`, not to the object's name.
    Corrupted {
        /// What the content hashes to.
        actual: Md5,
    },
}

/// Verifies each of `ids` in `odb` (see the module documentation), hashing on up to `jobs`
/// threads; one result per id, in order. Objects found valid by hashing are remembered in
/// `state` (the caller saves it).
pub fn verify_objects(
    odb: &Odb,
    ids: &[ObjectId],
    state: &mut State,
    jobs: NonZeroUsize,
) -> Vec<Result<Verified, OdbError>> {
    let shared: &State = state;
    let checked = pool::map(jobs, ids, |id| verify_one(odb, id, shared));
    let mut results = Vec::with_capacity(checked.len());
    for result in checked {
        results.push(result.map(|(verified, learned)| {
            if let Some((key, stamp, md5)) = learned {
                state.insert(&key, stamp, md5);
            }
            verified
        }));
    }
    results
}

/// What one object's verification found, and the stamp to remember when it was hashed valid.
type Checked = (Verified, Option<(String, FileStamp, Md5)>);

fn verify_one(odb: &Odb, id: &ObjectId, state: &State) -> Result<Checked, OdbError> {
    let path = odb.object_path(id);
    let metadata = match std::fs::symlink_metadata(&path) {
        Ok(metadata) if metadata.is_file() => metadata,
        Ok(_) => return Ok((Verified::Missing, None)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Verified::Missing, None));
        }
        Err(source) => return Err(read_error(&path, source)),
    };
    let stamp = FileStamp::from_metadata(&metadata);
    let key = state_key(&path);
    if state.get(&key, &stamp) == Some(id.md5) {
        return Ok((Verified::Valid, None));
    }
    let hash_name = if id.is_tree() {
        HashName::Md5
    } else {
        odb.hash_name()
    };
    let (actual, _) = hashing::hash_file(&path, hash_name)
        .map_err(|error| read_error(&error.path, error.source))?;
    if actual == id.md5 {
        Ok((Verified::Valid, Some((key, stamp, actual))))
    } else {
        Ok((Verified::Corrupted { actual }, None))
    }
}

/// The hash cache key of a cache object: its path, marked so that it can never be taken for
/// a workspace path (those are repository-relative and contain no NUL).
fn state_key(path: &Path) -> String {
    format!("{}\0object", path.to_string_lossy())
}

fn read_error(path: &Path, source: std::io::Error) -> OdbError {
    OdbError::Io {
        action: "read cache object",
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::odb::CacheLayout;

    #[test]
    fn objects_are_hashed_once_then_trusted_by_stamp_and_corruption_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path(), CacheLayout::for_hash_name(HashName::Md5));
        let (good, _, _) = {
            let source = dir.path().join("good");
            std::fs::write(&source, b"good\n").unwrap();
            odb.insert_file(&source).unwrap()
        };
        let (bad, _, _) = {
            let source = dir.path().join("bad");
            std::fs::write(&source, b"bad\n").unwrap();
            odb.insert_file(&source).unwrap()
        };
        let path = odb.object_path(&bad);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"planted\n").unwrap();
        let missing = ObjectId::file(Md5([7; 16]));

        // Stamps are remembered only once safely older than the state.
        std::thread::sleep(std::time::Duration::from_millis(60));
        let mut state = State::in_memory();
        let jobs = NonZeroUsize::new(2).unwrap();
        let results = verify_objects(&odb, &[good, bad, missing], &mut state, jobs);
        let results: Vec<Verified> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(results[0], Verified::Valid);
        assert!(matches!(results[1], Verified::Corrupted { actual } if actual != bad.md5));
        assert_eq!(results[2], Verified::Missing);
        // Only the valid object is remembered, under a key no workspace path can have.
        assert_eq!(state.len(), 1);
        let stamp = FileStamp::from_metadata(&std::fs::metadata(odb.object_path(&good)).unwrap());
        assert_eq!(
            state.get(&state_key(&odb.object_path(&good)), &stamp),
            Some(good.md5)
        );
    }
}
