//! Content hashes and object ids (spec §3.1, §3.3).
//!
//! DVC names every cached object by an MD5 digest. A directory ("tree") object is the MD5 of its
//! `.dir` manifest and carries the `.dir` suffix in every serialized form; here the suffix is a
//! property of [`ObjectId`], never part of a string.

use std::fmt;
use std::str::FromStr;

use md5::Digest as _;

/// An MD5 digest, displayed and parsed as 32 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Md5(pub [u8; 16]);

impl Md5 {
    /// The MD5 of the empty input, `d41d8cd98f00b204e9800998ecf8427e`.
    pub const EMPTY: Md5 = Md5([
        0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42,
        0x7e,
    ]);

    /// The MD5 of `bytes` (plain MD5, no newline normalisation).
    pub fn digest(bytes: &[u8]) -> Md5 {
        Md5(md5::Md5::digest(bytes).into())
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The lower-case hex form, e.g. for building cache paths.
    pub fn to_hex(&self) -> String {
        String::from_utf8_lossy(&self.hex_digits()).into_owned()
    }

    /// The 32 lower-case hex digits, without going through the formatting machinery (hashes
    /// are written out for every object of a 100k-file dataset).
    pub fn hex_digits(&self) -> [u8; 32] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 32];
        for (i, byte) in self.0.iter().enumerate() {
            out[2 * i] = DIGITS[usize::from(byte >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(byte & 0x0f)];
        }
        out
    }
}

impl fmt::Display for Md5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex_digits();
        // The digits are ASCII.
        f.pad(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Md5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Md5({self})")
    }
}

/// Why a string is not a valid hash or object id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHashError {
    /// Not exactly 32 hex characters.
    #[error("invalid md5 `{0}`: expected 32 hex characters")]
    InvalidMd5(String),
    /// An unknown hash algorithm name.
    #[error("unknown hash name `{0}`: expected `md5` or `md5-dos2unix`")]
    UnknownHashName(String),
}

impl FromStr for Md5 {
    type Err = ParseHashError;

    /// Parses 32 hex characters; upper case is accepted (DVC lower-cases hashes on load).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 32 {
            return Err(ParseHashError::InvalidMd5(s.to_owned()));
        }
        let mut out = [0u8; 16];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let (Some(high), Some(low)) = (hex_value(pair[0]), hex_value(pair[1])) else {
                return Err(ParseHashError::InvalidMd5(s.to_owned()));
            };
            out[i] = (high << 4) | low;
        }
        Ok(Md5(out))
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

impl serde::Serialize for Md5 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Md5 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether an object is a single file or a directory tree (a `.dir` manifest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// A file's content.
    File,
    /// A `.dir` manifest listing the files of a directory.
    Tree,
}

/// The id of a cached object: its MD5 and whether it is a tree.
///
/// Serialized as `<hex>` for files and `<hex>.dir` for trees (spec §3.2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    /// The digest naming the object.
    pub md5: Md5,
    /// File or tree.
    pub kind: ObjectKind,
}

impl ObjectId {
    /// The suffix that marks tree objects in file names and `.dvc` files.
    pub const TREE_SUFFIX: &'static str = ".dir";

    /// The id of a file object.
    pub fn file(md5: Md5) -> ObjectId {
        ObjectId {
            md5,
            kind: ObjectKind::File,
        }
    }

    /// The id of a tree object (its manifest's MD5).
    pub fn tree(md5: Md5) -> ObjectId {
        ObjectId {
            md5,
            kind: ObjectKind::Tree,
        }
    }

    /// Whether this names a `.dir` manifest.
    pub fn is_tree(&self) -> bool {
        self.kind == ObjectKind::Tree
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ObjectKind::File => write!(f, "{}", self.md5),
            ObjectKind::Tree => write!(f, "{}{}", self.md5, Self::TREE_SUFFIX),
        }
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

impl FromStr for ObjectId {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_suffix(Self::TREE_SUFFIX) {
            Some(hex) => Ok(ObjectId::tree(hex.parse()?)),
            None => Ok(ObjectId::file(s.parse()?)),
        }
    }
}

impl serde::Serialize for ObjectId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ObjectId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The hash algorithm of an output (spec §3.3, §13.1).
///
/// An output entry with `hash: md5` uses plain MD5 and the `files/md5/` cache layout; an entry
/// without `hash` is a DVC 2.x ("legacy") output hashed with `md5-dos2unix` and stored at the
/// cache root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum HashName {
    /// Plain MD5 of the raw bytes (DVC 3).
    #[default]
    Md5,
    /// MD5 after CRLF → LF conversion of text chunks (DVC 2.x).
    Md5Dos2Unix,
}

impl HashName {
    /// The name DVC uses for this algorithm.
    pub fn as_str(&self) -> &'static str {
        match self {
            HashName::Md5 => "md5",
            HashName::Md5Dos2Unix => "md5-dos2unix",
        }
    }
}

impl fmt::Display for HashName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HashName {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "md5" => Ok(HashName::Md5),
            "md5-dos2unix" => Ok(HashName::Md5Dos2Unix),
            other => Err(ParseHashError::UnknownHashName(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_round_trips_through_hex() {
        let hex = "0cf062ac48ebbf8b92810fe5a3734acb";
        let md5: Md5 = hex.parse().expect("valid hex");
        assert_eq!(md5.to_string(), hex);
        let upper: Md5 = hex.to_uppercase().parse().expect("upper-case hex");
        assert_eq!(upper, md5);
    }

    #[test]
    fn md5_rejects_bad_input() {
        for bad in [
            "",
            "abc",
            "0cf062ac48ebbf8b92810fe5a3734acg",
            "0cf062ac48ebbf8b92810fe5a3734acb0",
        ] {
            assert!(bad.parse::<Md5>().is_err(), "{bad}");
        }
    }

    #[test]
    fn digest_of_empty_input() {
        assert_eq!(Md5::digest(b""), Md5::EMPTY);
        assert_eq!(Md5::EMPTY.to_string(), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            Md5::digest(b"hello\n").to_string(),
            "b1946ac92492d2347c6235b4d2611184"
        );
    }

    #[test]
    fn object_id_suffix_only_in_text() {
        let tree: ObjectId = "0cf062ac48ebbf8b92810fe5a3734acb.dir"
            .parse()
            .expect("tree id");
        assert!(tree.is_tree());
        assert_eq!(tree.md5.to_string(), "0cf062ac48ebbf8b92810fe5a3734acb");
        assert_eq!(tree.to_string(), "0cf062ac48ebbf8b92810fe5a3734acb.dir");
        let file: ObjectId = "b1946ac92492d2347c6235b4d2611184".parse().expect("file id");
        assert!(!file.is_tree());
        assert!(
            "b1946ac92492d2347c6235b4d2611184.txt"
                .parse::<ObjectId>()
                .is_err()
        );
    }

    #[test]
    fn hash_names() {
        assert_eq!("md5".parse::<HashName>(), Ok(HashName::Md5));
        assert_eq!(
            "md5-dos2unix".parse::<HashName>(),
            Ok(HashName::Md5Dos2Unix)
        );
        assert!("sha256".parse::<HashName>().is_err());
        assert_eq!(HashName::Md5Dos2Unix.to_string(), "md5-dos2unix");
    }
}
