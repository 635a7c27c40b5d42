//! The hash cache ("state"): remembers the md5 of workspace files keyed by their path, inode,
//! modification time (ns) and size, so unchanged files are never re-hashed (spec §12.2 says
//! DVC keeps its own in a private SQLite file; dv keeps this one in `.dvc/tmp/dv/state`).
//!
//! The whole table is loaded into memory and written back atomically when it changed: one
//! sequential read per command, far cheaper than a database lookup per file. Deleting the
//! file loses nothing but time.
//!
//! Racy entries are never stored: a file whose mtime is not safely older than the moment the
//! command started could still change within the same timestamp tick, so it is re-hashed next
//! time (git's "racy clean" rule).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dv_schema::hash::Md5;

const MAGIC: &[u8; 8] = b"DVSTATE1";
/// Files modified less than this before the command started are not remembered.
const RACY_WINDOW: Duration = Duration::from_millis(50);

/// What identifies one version of a file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Inode number.
    pub inode: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// Size in bytes.
    pub size: u64,
}

impl FileStamp {
    /// The stamp of a file from its metadata.
    pub fn from_metadata(metadata: &std::fs::Metadata) -> FileStamp {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(metadata);
        #[cfg(not(unix))]
        let inode = 0;
        let mtime_ns = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        FileStamp {
            inode,
            mtime_ns,
            size: metadata.len(),
        }
    }
}

/// The in-memory hash cache of one repository.
#[derive(Debug)]
pub struct State {
    path: PathBuf,
    entries: HashMap<String, (FileStamp, Md5)>,
    dirty: bool,
    racy_after_ns: i128,
}

impl State {
    /// Loads the state file at `path` (missing or unreadable → empty: it is only a cache).
    pub fn load(path: &Path) -> State {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let entries = std::fs::File::open(path)
            .ok()
            .and_then(|mut f| {
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).ok()?;
                decode(&bytes)
            })
            .unwrap_or_default();
        State {
            path: path.to_path_buf(),
            entries,
            dirty: false,
            racy_after_ns: started - RACY_WINDOW.as_nanos() as i128,
        }
    }

    /// A cache that remembers within this process only (nothing is read or saved).
    pub fn in_memory() -> State {
        let mut state = State::load(Path::new(""));
        state.path = PathBuf::new();
        state
    }

    /// The remembered md5 of `key` (a repository-relative path) if its stamp still matches.
    pub fn get(&self, key: &str, stamp: &FileStamp) -> Option<Md5> {
        match self.entries.get(key) {
            Some((known, md5)) if known == stamp => Some(*md5),
            _ => None,
        }
    }

    /// Remembers the md5 of `key` at `stamp`, unless the file is too fresh to trust.
    pub fn insert(&mut self, key: &str, stamp: FileStamp, md5: Md5) {
        if stamp.mtime_ns >= self.racy_after_ns {
            return;
        }
        match self.entries.get(key) {
            Some(existing) if *existing == (stamp, md5) => {}
            _ => {
                self.entries.insert(key.to_string(), (stamp, md5));
                self.dirty = true;
            }
        }
    }

    /// Number of remembered files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the table back (temp file + rename) if anything changed.
    pub fn save(&mut self) -> std::io::Result<()> {
        if !self.dirty || self.path.as_os_str().is_empty() {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".state")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        let mut out = std::io::BufWriter::new(temp.as_file_mut());
        out.write_all(MAGIC)?;
        for (key, (stamp, md5)) in &self.entries {
            out.write_all(&(key.len() as u32).to_le_bytes())?;
            out.write_all(key.as_bytes())?;
            out.write_all(&stamp.inode.to_le_bytes())?;
            out.write_all(&stamp.mtime_ns.to_le_bytes())?;
            out.write_all(&stamp.size.to_le_bytes())?;
            out.write_all(md5.as_bytes())?;
        }
        out.flush()?;
        drop(out);
        temp.persist(&self.path).map_err(|e| e.error)?;
        self.dirty = false;
        Ok(())
    }
}

fn decode(bytes: &[u8]) -> Option<HashMap<String, (FileStamp, Md5)>> {
    let mut rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let mut entries = HashMap::new();
    let take = |n: usize, rest: &mut &[u8]| -> Option<Vec<u8>> {
        if rest.len() < n {
            return None;
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Some(head.to_vec())
    };
    while !rest.is_empty() {
        let len = u32::from_le_bytes(take(4, &mut rest)?.try_into().ok()?) as usize;
        let key = String::from_utf8(take(len, &mut rest)?).ok()?;
        let inode = u64::from_le_bytes(take(8, &mut rest)?.try_into().ok()?);
        let mtime_ns = i128::from_le_bytes(take(16, &mut rest)?.try_into().ok()?);
        let size = u64::from_le_bytes(take(8, &mut rest)?.try_into().ok()?);
        let md5 = Md5(take(16, &mut rest)?.try_into().ok()?);
        entries.insert(
            key,
            (
                FileStamp {
                    inode,
                    mtime_ns,
                    size,
                },
                md5,
            ),
        );
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn stamp(mtime_ns: i128) -> FileStamp {
        FileStamp {
            inode: 7,
            mtime_ns,
            size: 3,
        }
    }

    #[test]
    fn round_trip_and_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tmp/dv/state");
        let md5 = Md5::digest(b"abc");
        let mut state = State::load(&path);
        state.insert("a/b", stamp(1_000), md5);
        state.save().unwrap();
        let state = State::load(&path);
        assert_eq!(state.get("a/b", &stamp(1_000)), Some(md5));
        assert_eq!(state.get("a/b", &stamp(1_001)), None);
        assert_eq!(state.get("a/c", &stamp(1_000)), None);
    }

    #[test]
    fn racy_files_are_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::load(&dir.path().join("state"));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i128;
        state.insert("fresh", stamp(now), Md5::digest(b""));
        assert!(state.is_empty());
    }

    #[test]
    fn corrupt_file_is_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        std::fs::write(&path, b"DVSTATE1\x05\x00").unwrap();
        assert!(State::load(&path).is_empty());
    }
}
