//! The hash cache ("state"): remembers the md5 of workspace files keyed by their path, inode,
//! modification time (ns) and size, so unchanged files are never re-hashed (spec §12.2 says
//! DVC keeps its own in a private SQLite file; dv keeps this one in `.dvc/tmp/dv/state`).
//!
//! The file is one sorted table, read with a single sequential read per command and used in
//! place: loading only notes where each record starts (no per-entry allocation or hashing), and
//! a lookup is a binary search over the sorted keys. New or changed entries are kept apart and
//! merged in when the table is written back (atomically, only when something changed). Deleting
//! the file loses nothing but time; a file in an older or unknown format, or a damaged one, is
//! an empty cache.
//!
//! Entries whose key starts with a NUL byte are not files but marks about whole trees (a
//! directory's stamp, a tree known complete in a cache): they live in a small table of their
//! own (`<state>-marks`), and each table is read only when a lookup needs it, so a `status`
//! that finds its trees unchanged never reads the files' table.
//!
//! Racy entries are never stored: a file whose mtime is not safely older than the moment the
//! command started could still change within the same timestamp tick, so it is re-hashed next
//! time (git's "racy clean" rule).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dv_schema::hash::Md5;

/// The format tag; records follow, sorted by key bytes, each `[u32 key length][key]
/// [u64 inode][i128 mtime ns][u64 size][md5]` (little-endian).
const MAGIC: &[u8; 8] = b"DVSTATE2";
/// Bytes of a record after its key.
const VALUE_LEN: usize = 8 + 16 + 8 + 16;
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

/// The table as read from disk: the file's bytes and where each record starts.
#[derive(Debug, Default)]
struct Table {
    bytes: Vec<u8>,
    /// Offsets of the records' key lengths, in key order.
    records: Vec<usize>,
    /// The record after the one last found.
    next: AtomicUsize,
}

impl Table {
    /// Checks the layout and sort order of `bytes`; `None` when it is not a table.
    fn parse(bytes: Vec<u8>) -> Option<Table> {
        if !bytes.starts_with(MAGIC) {
            return None;
        }
        let mut records = Vec::new();
        let mut at = MAGIC.len();
        let mut previous: Option<&[u8]> = None;
        while at < bytes.len() {
            let len_bytes = bytes.get(at..at + 4)?;
            let len = u32::from_le_bytes(len_bytes.try_into().ok()?) as usize;
            let key = bytes.get(at + 4..at + 4 + len)?;
            bytes.get(at + 4 + len..at + 4 + len + VALUE_LEN)?;
            if previous.is_some_and(|previous| previous >= key) {
                return None;
            }
            previous = Some(key);
            records.push(at);
            at += 4 + len + VALUE_LEN;
        }
        Some(Table {
            bytes,
            records,
            next: AtomicUsize::new(0),
        })
    }

    fn key(&self, record: usize) -> &[u8] {
        let at = self.records[record];
        let len = u32::from_le_bytes(read(&self.bytes, at));
        &self.bytes[at + 4..at + 4 + len as usize]
    }

    fn value(&self, record: usize) -> (FileStamp, Md5) {
        let at = self.records[record];
        let at = at + 4 + self.key(record).len();
        let stamp = FileStamp {
            inode: u64::from_le_bytes(read(&self.bytes, at)),
            mtime_ns: i128::from_le_bytes(read(&self.bytes, at + 8)),
            size: u64::from_le_bytes(read(&self.bytes, at + 24)),
        };
        (stamp, Md5(read(&self.bytes, at + 32)))
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        // Lookups mostly come in key order (a directory's files, sorted): try the record after
        // the last one found before searching.
        let next = self.next.load(Ordering::Relaxed);
        if next < self.records.len() && self.key(next) == key {
            self.next.store(next + 1, Ordering::Relaxed);
            return Some(next);
        }
        let found = self
            .records
            .binary_search_by(|&at| {
                let len = u32::from_le_bytes(read(&self.bytes, at)) as usize;
                self.bytes[at + 4..at + 4 + len].cmp(key)
            })
            .ok()?;
        self.next.store(found + 1, Ordering::Relaxed);
        Some(found)
    }

    fn get(&self, key: &[u8]) -> Option<(FileStamp, Md5)> {
        self.find(key).map(|record| self.value(record))
    }
}

/// `N` bytes at `at` of a table already checked by [`Table::parse`].
fn read<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

/// One of the state's two files, read on first use.
#[derive(Debug)]
struct Part {
    path: PathBuf,
    table: OnceLock<Table>,
}

impl Part {
    fn new(path: PathBuf) -> Part {
        Part {
            path,
            table: OnceLock::new(),
        }
    }

    /// The table (missing, unreadable or in another format: empty).
    fn table(&self) -> &Table {
        self.table.get_or_init(|| {
            if self.path.as_os_str().is_empty() {
                return Table::default();
            }
            std::fs::read(&self.path)
                .ok()
                .and_then(Table::parse)
                .unwrap_or_default()
        })
    }
}

/// Whether `key` is a mark about a tree rather than a file (see the module documentation).
fn is_mark(key: &[u8]) -> bool {
    key.first() == Some(&0)
}

/// The in-memory hash cache of one repository.
#[derive(Debug)]
pub struct State {
    files: Part,
    marks: Part,
    /// Entries remembered by this command, newer than the tables'.
    added: BTreeMap<String, (FileStamp, Md5)>,
    racy_after_ns: i128,
}

impl State {
    /// The state file at `path` (and its marks next to it), read when first needed (missing,
    /// unreadable or in another format → empty: it is only a cache).
    pub fn load(path: &Path) -> State {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let marks = if path.as_os_str().is_empty() {
            PathBuf::new()
        } else {
            let mut name = path.file_name().unwrap_or_default().to_owned();
            name.push("-marks");
            path.with_file_name(name)
        };
        State {
            files: Part::new(path.to_path_buf()),
            marks: Part::new(marks),
            added: BTreeMap::new(),
            racy_after_ns: started - RACY_WINDOW.as_nanos() as i128,
        }
    }

    /// A cache that remembers within this process only (nothing is read or saved).
    pub fn in_memory() -> State {
        State::load(Path::new(""))
    }

    fn part(&self, key: &[u8]) -> &Part {
        if is_mark(key) {
            &self.marks
        } else {
            &self.files
        }
    }

    fn entry(&self, key: &str) -> Option<(FileStamp, Md5)> {
        match self.added.get(key) {
            Some(entry) => Some(*entry),
            None => self.part(key.as_bytes()).table().get(key.as_bytes()),
        }
    }

    /// The remembered md5 of `key` (a repository-relative path) if its stamp still matches.
    pub fn get(&self, key: &str, stamp: &FileStamp) -> Option<Md5> {
        match self.entry(key) {
            Some((known, md5)) if known == *stamp => Some(md5),
            _ => None,
        }
    }

    /// Remembers the md5 of `key` at `stamp`, unless the file is too fresh to trust.
    pub fn insert(&mut self, key: &str, stamp: FileStamp, md5: Md5) {
        if stamp.mtime_ns >= self.racy_after_ns {
            return;
        }
        if self.entry(key) != Some((stamp, md5)) {
            self.added.insert(key.to_string(), (stamp, md5));
        }
    }

    /// Number of remembered entries.
    pub fn len(&self) -> usize {
        let replaced = self
            .added
            .keys()
            .filter(|key| {
                self.part(key.as_bytes())
                    .table()
                    .find(key.as_bytes())
                    .is_some()
            })
            .count();
        self.files.table().records.len() + self.marks.table().records.len() + self.added.len()
            - replaced
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes back (temp file + rename) each table that has new entries.
    pub fn save(&mut self) -> std::io::Result<()> {
        if self.added.is_empty() || self.files.path.as_os_str().is_empty() {
            return Ok(());
        }
        let added = std::mem::take(&mut self.added);
        let result = {
            let (marks, files): (Vec<_>, Vec<_>) =
                added.iter().partition(|(key, _)| is_mark(key.as_bytes()));
            [
                (&mut self.files, files, false),
                (&mut self.marks, marks, true),
            ]
            .into_iter()
            .filter(|(_, entries, _)| !entries.is_empty())
            .try_for_each(|(part, entries, marks)| save_part(part, &entries, marks))
        };
        if result.is_err() {
            // Kept, so that a later save can try again.
            self.added = added;
        }
        result
    }
}

/// Merges `added` (sorted) into the table of `part` and writes it; `marks` says which keys
/// belong there (others, left by an older dv, are dropped).
fn save_part(
    part: &mut Part,
    added: &[(&String, &(FileStamp, Md5))],
    marks: bool,
) -> std::io::Result<()> {
    let table = part.table();
    let mut out = Vec::with_capacity(table.bytes.len() + 128 * added.len());
    out.extend_from_slice(MAGIC);
    let write = |out: &mut Vec<u8>, key: &[u8], (stamp, md5): (FileStamp, Md5)| {
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(&stamp.inode.to_le_bytes());
        out.extend_from_slice(&stamp.mtime_ns.to_le_bytes());
        out.extend_from_slice(&stamp.size.to_le_bytes());
        out.extend_from_slice(md5.as_bytes());
    };
    // Merge the table and the added entries, both sorted; added ones win.
    let mut added = added.iter().peekable();
    for record in 0..table.records.len() {
        let key = table.key(record);
        while let Some((new_key, entry)) = added.next_if(|(k, _)| k.as_bytes() < key) {
            write(&mut out, new_key.as_bytes(), **entry);
        }
        match added.next_if(|(k, _)| k.as_bytes() == key) {
            Some((_, entry)) => write(&mut out, key, **entry),
            None if is_mark(key) == marks => write(&mut out, key, table.value(record)),
            None => {}
        }
    }
    for (new_key, entry) in added {
        write(&mut out, new_key.as_bytes(), **entry);
    }
    let dir = part.path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".state")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.as_file_mut().write_all(&out)?;
    temp.persist(&part.path).map_err(|e| e.error)?;
    // Later lookups and saves start from what was written.
    if let Some(table) = Table::parse(out) {
        part.table = OnceLock::from(table);
    }
    Ok(())
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
        std::fs::write(&path, b"DVSTATE2\x05\x00").unwrap();
        assert!(State::load(&path).is_empty());
        // a truncated record
        let mut state = State::load(&path);
        state.insert("a", stamp(1), Md5::digest(b"a"));
        state.save().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(State::load(&path).is_empty());
    }

    /// The format before the sorted table (unsorted records behind `DVSTATE1`) is not read.
    #[test]
    fn old_format_is_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        let mut bytes = b"DVSTATE1".to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.push(b'a');
        bytes.extend_from_slice(&[0u8; VALUE_LEN]);
        std::fs::write(&path, &bytes).unwrap();
        assert!(State::load(&path).is_empty());
        // and the same records under the new tag are read
        bytes[..8].copy_from_slice(MAGIC);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(State::load(&path).len(), 1);
    }

    #[test]
    fn unsorted_or_duplicate_keys_are_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        for keys in [["b", "a"], ["a", "a"]] {
            let mut bytes = MAGIC.to_vec();
            for key in keys {
                bytes.extend_from_slice(&1u32.to_le_bytes());
                bytes.extend_from_slice(key.as_bytes());
                bytes.extend_from_slice(&[0u8; VALUE_LEN]);
            }
            std::fs::write(&path, &bytes).unwrap();
            assert!(State::load(&path).is_empty(), "{keys:?}");
        }
    }

    #[test]
    fn saving_merges_new_and_changed_entries_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        let (one, two) = (Md5::digest(b"1"), Md5::digest(b"2"));
        let mut state = State::load(&path);
        for key in ["m", "c", "x/y", "x"] {
            state.insert(key, stamp(10), one);
        }
        state.save().unwrap();
        let mut state = State::load(&path);
        assert_eq!(state.len(), 4);
        state.insert("a", stamp(10), two);
        state.insert("m", stamp(11), two);
        state.insert("z", stamp(10), two);
        assert_eq!(state.len(), 6);
        assert_eq!(state.get("m", &stamp(11)), Some(two));
        assert_eq!(state.get("m", &stamp(10)), None);
        state.save().unwrap();
        // saved again without changes: nothing to write
        state.save().unwrap();
        let state = State::load(&path);
        assert_eq!(state.len(), 6);
        for (key, mtime, md5) in [
            ("a", 10, two),
            ("c", 10, one),
            ("m", 11, two),
            ("x", 10, one),
            ("x/y", 10, one),
            ("z", 10, two),
        ] {
            assert_eq!(state.get(key, &stamp(mtime)), Some(md5), "{key}");
        }
        assert_eq!(state.get("m", &stamp(10)), None);
    }

    /// Marks (keys starting with NUL) are kept in their own file; one left in the files' table
    /// by an older dv is dropped when that table is next written.
    #[test]
    fn marks_live_in_their_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        let md5 = Md5::digest(b"x");
        let mut state = State::load(&path);
        state.insert("\0tree:data", stamp(5), md5);
        state.save().unwrap();
        assert!(!path.exists());
        assert!(dir.path().join("state-marks").exists());
        let mut state = State::load(&path);
        assert_eq!(state.get("\0tree:data", &stamp(5)), Some(md5));
        state.insert("data/a", stamp(5), md5);
        state.save().unwrap();
        assert_eq!(State::load(&path).len(), 2);

        let mut old = MAGIC.to_vec();
        for key in ["\0old-mark", "data/b"] {
            old.extend_from_slice(&(key.len() as u32).to_le_bytes());
            old.extend_from_slice(key.as_bytes());
            old.extend_from_slice(&[0u8; VALUE_LEN]);
        }
        std::fs::write(&path, &old).unwrap();
        let mut state = State::load(&path);
        state.insert("data/c", stamp(5), md5);
        state.save().unwrap();
        let state = State::load(&path);
        assert_eq!(state.get("\0old-mark", &stamp(0)), None);
        assert_eq!(state.len(), 3, "data/b, data/c and the tree mark");
    }

    /// A file rewritten in place keeps its inode (and here its size): its new mtime alone
    /// makes the remembered hash unusable.
    #[test]
    fn in_place_edit_with_the_same_size_is_not_served_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"old").unwrap();
        let old = std::fs::File::open(&file).unwrap();
        old.set_modified(SystemTime::now() - Duration::from_secs(10))
            .unwrap();
        let before = FileStamp::from_metadata(&std::fs::metadata(&file).unwrap());
        let mut state = State::load(&dir.path().join("state"));
        state.insert("f", before, Md5::digest(b"old"));
        assert_eq!(state.get("f", &before), Some(Md5::digest(b"old")));
        std::fs::write(&file, b"new").unwrap();
        let after = FileStamp::from_metadata(&std::fs::metadata(&file).unwrap());
        assert_eq!((after.inode, after.size), (before.inode, before.size));
        assert_eq!(state.get("f", &after), None);
    }
}
