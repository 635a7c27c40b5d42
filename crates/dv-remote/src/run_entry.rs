//! [`RunEntryPath`]: where one run-cache entry lives, relative to a remote's root and to the
//! cache directory alike: `runs/<key[:2]>/<key>/<value>` (spec §9.4). Run-cache entries are
//! not content-addressed objects: they are copied as they are, never hashed on the way.

use std::fmt;

/// The directory of run-cache entries, at the root of a remote and of the cache.
pub const RUNS_DIR: &str = "runs";

/// One run-cache entry: the stage-run key (sha256 hex of the run's inputs) and the value
/// (sha256 hex of its lock entry) that name its file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunEntryPath {
    key: String,
    value: String,
}

/// A key or value that cannot name a run-cache entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid run-cache entry `{0}`: expected 64 hex characters")]
pub struct ParseRunEntryError(String);

impl RunEntryPath {
    /// The entry of `value` under `key`; both must be 64 lower-case hex characters.
    pub fn new(key: &str, value: &str) -> Result<Self, ParseRunEntryError> {
        for part in [key, value] {
            if !is_sha256_hex(part) {
                return Err(ParseRunEntryError(part.to_owned()));
            }
        }
        Ok(RunEntryPath {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }

    /// The entry named by `path`, relative to the remote root (`runs/ab/<key>/<value>`), or
    /// `None` for anything else (temporary files, misplaced files).
    pub fn from_relative_path(path: &str) -> Option<Self> {
        let rest = path.trim_start_matches('/').strip_prefix(RUNS_DIR)?;
        let mut parts = rest.strip_prefix('/')?.split('/');
        let (shard, key, value) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || key.get(..2) != Some(shard) {
            return None;
        }
        RunEntryPath::new(key, value).ok()
    }

    /// The stage-run key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The entry's value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// `runs/<key[:2]>/<key>/<value>`, `/`-separated.
    pub fn relative_path(&self) -> String {
        format!("{RUNS_DIR}/{}/{}/{}", &self.key[..2], self.key, self.value)
    }
}

impl fmt::Display for RunEntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.relative_path())
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const KEY: &str = "96292fdeec63ce03ed5e1803b236a4780432c24db3c989d04b3cd954f7cd331f";
    const VALUE: &str = "f5c15a561e31dbe4ad9e7a9544e71ec22171c5b0c189964faf91f6bf4cb6aee8";

    #[test]
    fn paths_round_trip() {
        let entry = RunEntryPath::new(KEY, VALUE).unwrap();
        let path = entry.relative_path();
        assert_eq!(path, format!("runs/96/{KEY}/{VALUE}"));
        assert_eq!(RunEntryPath::from_relative_path(&path), Some(entry));
    }

    #[test]
    fn other_files_are_not_entries() {
        for other in [
            format!("runs/97/{KEY}/{VALUE}"),
            format!("runs/96/{KEY}/.{VALUE}.tmp"),
            format!("runs/96/{KEY}"),
            format!("runs/96/{KEY}/{VALUE}/x"),
            format!("files/md5/96/{KEY}/{VALUE}"),
            format!("runs/96/{}/{VALUE}", KEY.to_uppercase()),
        ] {
            assert_eq!(RunEntryPath::from_relative_path(&other), None, "{other}");
        }
        assert!(RunEntryPath::new("ab", VALUE).is_err());
    }
}
