//! `.dir` manifests: the JSON list of files that makes up a directory object (spec §3.2).
//!
//! DVC writes a manifest with Python's `json.dumps(entries, sort_keys=True)`: separators `", "`
//! and `": "`, non-ASCII escaped as lower-case `\uXXXX` (astral characters as surrogate pairs),
//! entries sorted by `relpath` as a string (code point order, which is UTF-8 byte order), no
//! trailing newline. The directory's hash is the MD5 of exactly those bytes, so
//! [`DirManifest::to_bytes`] must reproduce them bit for bit.

use std::fmt;

use crate::hash::{Md5, ObjectId};

/// A file path inside a tracked directory: relative, `/`-separated, no empty, `.` or `..`
/// components. Checked on construction so that a manifest can never name a file outside the
/// directory it describes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

impl RelPath {
    /// Validates `path` as a manifest relpath.
    pub fn new(path: impl Into<String>) -> Result<RelPath, RelPathError> {
        let path = path.into();
        if path.is_empty() {
            return Err(RelPathError::Empty);
        }
        if path.starts_with('/') || path.starts_with('\\') || has_drive_prefix(&path) {
            return Err(RelPathError::Absolute(path));
        }
        if path.contains('\0') {
            return Err(RelPathError::Nul(path));
        }
        for component in path.split('/') {
            match component {
                ".." => return Err(RelPathError::ParentComponent(path)),
                "" | "." => return Err(RelPathError::NotNormalized(path)),
                _ => {}
            }
        }
        Ok(RelPath(path))
    }

    /// The path as written in the manifest.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `/`-separated components.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

/// `C:` style prefixes are absolute on Windows; DVC never writes them into a manifest.
fn has_drive_prefix(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelPath({:?})", self.0)
    }
}

impl AsRef<str> for RelPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a string is not a valid manifest relpath.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelPathError {
    /// The empty string.
    #[error("empty relpath")]
    Empty,
    /// Starts at a root (`/x`, `\x`, `C:x`).
    #[error("relpath `{0}` is absolute")]
    Absolute(String),
    /// Contains a `..` component and could escape the directory.
    #[error("relpath `{0}` contains a `..` component")]
    ParentComponent(String),
    /// Contains an empty or `.` component (`a//b`, `a/./b`, `a/`).
    #[error("relpath `{0}` is not normalized")]
    NotNormalized(String),
    /// Contains a NUL byte.
    #[error("relpath `{0:?}` contains a NUL byte")]
    Nul(String),
}

/// The hash recorded for one file of a manifest.
///
/// Trees built from a workspace or cache use `md5`; the trees DVC builds for cloud directory
/// dependencies record the storage's `etag` (S3) or `checksum` (HTTP) instead (spec §3.4, §6.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EntryHash {
    /// `"md5"`: plain or dos2unix MD5, depending on the tree's hash name.
    Md5(Md5),
    /// `"etag"`: an opaque, case-sensitive ETag.
    Etag(String),
    /// `"checksum"`: an opaque checksum (e.g. a quoted HTTP ETag).
    Checksum(String),
}

impl EntryHash {
    /// The JSON key DVC uses for this hash.
    pub fn key(&self) -> &'static str {
        match self {
            EntryHash::Md5(_) => "md5",
            EntryHash::Etag(_) => "etag",
            EntryHash::Checksum(_) => "checksum",
        }
    }

    /// The value as written in the manifest.
    pub fn value(&self) -> String {
        match self {
            EntryHash::Md5(md5) => md5.to_string(),
            EntryHash::Etag(value) | EntryHash::Checksum(value) => value.clone(),
        }
    }

    /// The MD5, if this entry has one.
    pub fn md5(&self) -> Option<Md5> {
        match self {
            EntryHash::Md5(md5) => Some(*md5),
            EntryHash::Etag(_) | EntryHash::Checksum(_) => None,
        }
    }
}

/// One file of a directory object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DirEntry {
    /// The file's path inside the directory.
    pub relpath: RelPath,
    /// The file's content hash.
    pub hash: EntryHash,
}

impl DirEntry {
    /// An entry with an MD5 hash.
    pub fn md5(relpath: RelPath, md5: Md5) -> DirEntry {
        DirEntry {
            relpath,
            hash: EntryHash::Md5(md5),
        }
    }
}

/// The files of a directory object, kept sorted by relpath as DVC sorts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirManifest {
    entries: Vec<DirEntry>,
}

/// Why manifest bytes could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DirManifestError {
    /// Not JSON.
    #[error("invalid .dir manifest JSON")]
    Json(#[source] serde_json::Error),
    /// JSON, but not a list of objects.
    #[error("invalid .dir manifest: expected a JSON list of objects")]
    NotAList,
    /// Entry `index` is not an object.
    #[error("invalid .dir manifest: entry {index} is not an object")]
    EntryNotAnObject {
        /// Position of the entry in the list.
        index: usize,
    },
    /// Entry `index` has no string `relpath`.
    #[error("invalid .dir manifest: entry {index} has no `relpath` string")]
    MissingRelpath {
        /// Position of the entry in the list.
        index: usize,
    },
    /// Entry `index` has an unsafe or malformed relpath.
    #[error("invalid .dir manifest: entry {index}")]
    BadRelpath {
        /// Position of the entry in the list.
        index: usize,
        /// What is wrong with the relpath.
        #[source]
        source: RelPathError,
    },
    /// Entry `relpath` has none of `md5`, `etag`, `checksum`.
    #[error("invalid .dir manifest: entry `{relpath}` has no `md5`, `etag` or `checksum`")]
    MissingHash {
        /// The entry's relpath.
        relpath: String,
    },
    /// Entry `relpath` has an `md5` that is not 32 hex characters.
    #[error("invalid .dir manifest: entry `{relpath}` has an invalid md5 `{value}`")]
    BadMd5 {
        /// The entry's relpath.
        relpath: String,
        /// The value found.
        value: String,
    },
}

impl DirManifest {
    /// A manifest of `entries`, sorted by relpath (stable for equal relpaths).
    pub fn new(mut entries: Vec<DirEntry>) -> DirManifest {
        entries.sort_by(|a, b| a.relpath.as_str().cmp(b.relpath.as_str()));
        DirManifest { entries }
    }

    /// The entries, sorted by relpath.
    pub fn entries(&self) -> &[DirEntry] {
        &self.entries
    }

    /// Consumes the manifest, returning its sorted entries.
    pub fn into_entries(self) -> Vec<DirEntry> {
        self.entries
    }

    /// Number of files (`nfiles` in a `.dvc` file).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the directory has no files.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for `relpath`, if any.
    pub fn get(&self, relpath: &str) -> Option<&DirEntry> {
        self.entries
            .binary_search_by(|entry| entry.relpath.as_str().cmp(relpath))
            .ok()
            .map(|index| &self.entries[index])
    }

    /// The canonical bytes DVC writes for this manifest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.entries.len() * 72 + 2);
        out.push('[');
        for (index, entry) in self.entries.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            // sort_keys: every hash key (`checksum`, `etag`, `md5`) sorts before `relpath`.
            out.push('{');
            write_json_string(&mut out, entry.hash.key());
            out.push_str(": ");
            write_json_string(&mut out, &entry.hash.value());
            out.push_str(", ");
            write_json_string(&mut out, "relpath");
            out.push_str(": ");
            write_json_string(&mut out, entry.relpath.as_str());
            out.push('}');
        }
        out.push(']');
        out.into_bytes()
    }

    /// The id of the tree object: MD5 of [`Self::to_bytes`] with the `.dir` suffix.
    pub fn object_id(&self) -> ObjectId {
        ObjectId::tree(Md5::digest(&self.to_bytes()))
    }

    /// Reads manifest bytes as DVC does: a JSON list of objects, each with a `relpath` and one of
    /// `md5`, `etag`, `checksum` (in that order of preference); other keys are ignored.
    pub fn from_bytes(bytes: &[u8]) -> Result<DirManifest, DirManifestError> {
        if let Some(manifest) = from_bytes_fast(bytes) {
            return Ok(manifest);
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(DirManifestError::Json)?;
        let serde_json::Value::Array(items) = value else {
            return Err(DirManifestError::NotAList);
        };
        let mut entries = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let serde_json::Value::Object(object) = item else {
                return Err(DirManifestError::EntryNotAnObject { index });
            };
            let Some(serde_json::Value::String(relpath)) = object.get("relpath") else {
                return Err(DirManifestError::MissingRelpath { index });
            };
            let relpath = RelPath::new(relpath.as_str())
                .map_err(|source| DirManifestError::BadRelpath { index, source })?;
            let hash = if let Some(value) = object.get("md5") {
                let text = json_scalar_text(value);
                let md5 = text
                    .as_deref()
                    .and_then(|text| text.parse::<Md5>().ok())
                    .ok_or_else(|| DirManifestError::BadMd5 {
                        relpath: relpath.to_string(),
                        value: value.to_string(),
                    })?;
                EntryHash::Md5(md5)
            } else if let Some(text) = object.get("etag").and_then(json_scalar_text) {
                EntryHash::Etag(text)
            } else if let Some(text) = object.get("checksum").and_then(json_scalar_text) {
                EntryHash::Checksum(text.to_lowercase())
            } else {
                return Err(DirManifestError::MissingHash {
                    relpath: relpath.to_string(),
                });
            };
            entries.push(DirEntry { relpath, hash });
        }
        Ok(DirManifest::new(entries))
    }
}

/// [`DirManifest::from_bytes`] for the manifests DVC and dv write (every entry a valid
/// `relpath` and `md5` string), read straight into entries without a JSON tree: several times
/// faster on large directories. `None` for anything else, which the general reader handles
/// (with its errors), so both give the same result.
fn from_bytes_fast(bytes: &[u8]) -> Option<DirManifest> {
    #[derive(serde::Deserialize)]
    struct Entry<'a> {
        #[serde(borrow)]
        relpath: std::borrow::Cow<'a, str>,
        #[serde(borrow, default)]
        md5: Option<&'a str>,
    }
    let raw: Vec<Entry<'_>> = serde_json::from_slice(bytes).ok()?;
    let mut entries = Vec::with_capacity(raw.len());
    for entry in raw {
        let md5 = entry.md5?.parse().ok()?;
        let relpath = RelPath::new(entry.relpath.into_owned()).ok()?;
        entries.push(DirEntry::md5(relpath, md5));
    }
    Some(DirManifest::new(entries))
}

/// Hash values are strings; DVC's schema also accepts integers.
fn json_scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Appends `text` as a JSON string literal exactly as Python's `json.dumps` with
/// `ensure_ascii=True` writes it.
pub fn write_json_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let push_u16 = |out: &mut String, unit: u16| {
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
        }
    };
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='\u{7e}' => out.push(ch),
            _ => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    push_u16(out, *unit);
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(relpath: &str, md5: &str) -> DirEntry {
        DirEntry::md5(
            RelPath::new(relpath).expect("valid relpath"),
            md5.parse().expect("valid md5"),
        )
    }

    #[test]
    fn json_string_escapes_like_python() {
        let mut out = String::new();
        write_json_string(&mut out, "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{7f}é😀日");
        assert_eq!(
            out,
            r#""a\"b\\c\n\r\t\b\f\u0001\u007f\u00e9\ud83d\ude00\u65e5""#
        );
    }

    #[test]
    fn sorts_by_utf8_bytes() {
        let manifest = DirManifest::new(vec![
            entry("é.txt", "9ffbf43126e33be52cd2bf7e01d627f9"),
            entry("a/b", "401b30e3b8b5d629635a5c613cdb7919"),
            entry("a-b/x", "009520053b00386d1173f3988c55d192"),
            entry("B", "a8a78d0ff555c931f045b6f448129846"),
            entry(".hidden", "f5302386464f953ed581edac03556e55"),
            entry("😀", "f4d5d0c0671be202bc241807c243e80b"),
        ]);
        let order: Vec<&str> = manifest
            .entries()
            .iter()
            .map(|e| e.relpath.as_str())
            .collect();
        assert_eq!(order, [".hidden", "B", "a-b/x", "a/b", "é.txt", "😀"]);
        assert_eq!(
            manifest.get("a/b").map(|e| e.hash.value()),
            Some("401b30e3b8b5d629635a5c613cdb7919".to_owned())
        );
        assert!(manifest.get("a").is_none());
    }

    #[test]
    fn relpath_validation() {
        for good in ["a", "a/b", ".hidden", "a..b", "..a", "é/😀"] {
            assert!(RelPath::new(good).is_ok(), "{good}");
        }
        assert_eq!(RelPath::new(""), Err(RelPathError::Empty));
        assert!(matches!(
            RelPath::new("/etc/passwd"),
            Err(RelPathError::Absolute(_))
        ));
        assert!(matches!(
            RelPath::new("C:evil"),
            Err(RelPathError::Absolute(_))
        ));
        for bad in ["..", "../x", "a/../../x", "a/.."] {
            assert!(
                matches!(RelPath::new(bad), Err(RelPathError::ParentComponent(_))),
                "{bad}"
            );
        }
        for bad in ["a//b", "a/", "./a", "a/./b"] {
            assert!(
                matches!(RelPath::new(bad), Err(RelPathError::NotNormalized(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn parse_rejects_escaping_relpaths() {
        let error = DirManifest::from_bytes(
            br#"[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "../x"}]"#,
        )
        .expect_err("must reject ..");
        assert!(matches!(
            error,
            DirManifestError::BadRelpath {
                index: 0,
                source: RelPathError::ParentComponent(_)
            }
        ));
        assert!(
            DirManifest::from_bytes(
                br#"[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "/x"}]"#
            )
            .is_err()
        );
        assert!(
            DirManifest::from_bytes(
                br#"[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": ""}]"#
            )
            .is_err()
        );
    }

    #[test]
    fn parse_tolerates_extra_keys_and_requires_a_hash() {
        let manifest = DirManifest::from_bytes(
            br#"[{"relpath": "b", "md5": "D41D8CD98F00B204E9800998ECF8427E", "size": 0, "isexec": true}, {"relpath": "a", "etag": "Xy"}]"#,
        )
        .expect("valid manifest");
        assert_eq!(manifest.entries()[0].relpath.as_str(), "a");
        assert_eq!(manifest.entries()[0].hash, EntryHash::Etag("Xy".to_owned()));
        assert_eq!(manifest.entries()[1].hash.md5(), Some(Md5::EMPTY));
        assert!(matches!(
            DirManifest::from_bytes(br#"[{"relpath": "a", "size": 1}]"#),
            Err(DirManifestError::MissingHash { .. })
        ));
        assert!(matches!(
            DirManifest::from_bytes(br#"[{"md5": "d41d8cd98f00b204e9800998ecf8427e"}]"#),
            Err(DirManifestError::MissingRelpath { index: 0 })
        ));
        assert!(matches!(
            DirManifest::from_bytes(br#"{"a": 1}"#),
            Err(DirManifestError::NotAList)
        ));
        assert!(matches!(
            DirManifest::from_bytes(br#"[{"md5": "xyz", "relpath": "a"}]"#),
            Err(DirManifestError::BadMd5 { .. })
        ));
    }

    #[test]
    fn the_fast_reader_takes_only_what_the_general_one_reads_the_same() {
        let usual = br#"[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "a/\u00e9"}, {"md5": "9ffbf43126e33be52cd2bf7e01d627f9", "relpath": "b"}]"#;
        let fast = from_bytes_fast(usual).expect("the usual manifest");
        assert_eq!(fast.entries()[0].relpath.as_str(), "a/é");
        assert_eq!(DirManifest::from_bytes(usual).expect("manifest"), fast);
        for unusual in [
            &br#"[{"md5": 1, "relpath": "a"}]"#[..],
            br#"[{"md5": null, "relpath": "a"}]"#,
            br#"[{"etag": "x", "relpath": "a"}]"#,
            br#"[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "../a"}]"#,
            br#"[{"md5": "a", "md5": "b", "relpath": "a"}]"#,
        ] {
            assert!(from_bytes_fast(unusual).is_none(), "{unusual:?}");
        }
    }

    #[test]
    fn empty_manifest() {
        let manifest = DirManifest::default();
        assert_eq!(manifest.to_bytes(), b"[]");
        assert_eq!(
            manifest.object_id().to_string(),
            format!("{}.dir", Md5::digest(b"[]"))
        );
    }
}
