//! [`ContentHasher`]: the streaming hash that checks a download against what it should be
//! before it is renamed into place: plain MD5 for DVC 3 objects (spec §3.1), `md5-dos2unix` for
//! legacy 2.x objects (spec §3.3), both as `dv-data` computes them. `.dir` manifests hash like
//! files (their JSON has no `\r\n`). Imported files ([`ExternalFs`](crate::ExternalFs)
//! downloads) and run-cache entries get plain MD5 and no check.
//!
//! An object whose size its metafile records is also bounded: the first bytes past that size
//! fail the download ([`RemoteError::TooLarge`]) before they are written, so a hostile or
//! broken remote cannot stream more into the cache than the repository said it would.
//!
//! [`Expected`] is the one place a finished download is accepted or refused
//! ([`RemoteError::Corrupted`]).

use dv_data::hashing::{CHUNK_SIZE, update_dos2unix};
use dv_schema::hash::{HashName, Md5};
use md5::Digest as _;

use crate::error::{RemoteError, RemoteLabel};
use crate::object_key::ObjectKey;

/// Hashes bytes as they arrive, in the algorithm of an object's layout.
pub(crate) struct ContentHasher {
    md5: md5::Md5,
    /// `Some` for `md5-dos2unix`: the bytes of the current, incomplete 1 MiB chunk.
    legacy_chunk: Option<Vec<u8>>,
    /// The object and its recorded size, when the content may not be larger.
    limit: Option<(ObjectKey, u64)>,
    /// Bytes added so far.
    received: u64,
}

impl ContentHasher {
    /// The hasher a download expecting `expected` needs.
    pub(crate) fn new(expected: &Expected) -> Self {
        let (hash_name, limit) = match expected {
            Expected::Anything => (HashName::Md5, None),
            Expected::Object { key, size } => {
                (key.layout().hash_name(), size.map(|size| (*key, size)))
            }
        };
        ContentHasher {
            md5: md5::Md5::new(),
            legacy_chunk: match hash_name {
                HashName::Md5 => None,
                HashName::Md5Dos2Unix => Some(Vec::with_capacity(CHUNK_SIZE)),
            },
            limit,
            received: 0,
        }
    }

    /// Adds the next bytes of the content; refuses them, adding nothing, when they take the
    /// content past the object's recorded size (the caller must then stop reading and drop
    /// what it wrote).
    pub(crate) fn update(&mut self, bytes: &[u8], label: &RemoteLabel) -> Result<(), RemoteError> {
        self.received = self.received.saturating_add(bytes.len() as u64);
        if let Some((key, size)) = &self.limit
            && self.received > *size
        {
            return Err(RemoteError::TooLarge {
                remote: label.clone(),
                object: key.remote_path(),
                size: *size,
            });
        }
        self.hash(bytes);
        Ok(())
    }

    fn hash(&mut self, mut bytes: &[u8]) {
        let Some(chunk) = &mut self.legacy_chunk else {
            self.md5.update(bytes);
            return;
        };
        while !bytes.is_empty() {
            let take = (CHUNK_SIZE - chunk.len()).min(bytes.len());
            chunk.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if chunk.len() == CHUNK_SIZE {
                update_dos2unix(&mut self.md5, chunk);
                chunk.clear();
            }
        }
    }

    /// The digest of everything added.
    pub(crate) fn finish(mut self) -> Md5 {
        if let Some(chunk) = &self.legacy_chunk
            && !chunk.is_empty()
        {
            update_dos2unix(&mut self.md5, chunk);
        }
        Md5(self.md5.finalize().into())
    }
}

/// What a download must turn out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expected {
    /// The object `key`, at most `size` bytes when its size is known.
    Object { key: ObjectKey, size: Option<u64> },
    /// Whatever the storage has (run-cache entries, imported files).
    Anything,
}

impl Expected {
    /// Accepts a download whose content hashed to `actual`, or refuses it as corrupted.
    pub(crate) fn accept(&self, actual: &Md5, label: &RemoteLabel) -> Result<(), RemoteError> {
        match self {
            Expected::Object { key, .. } if actual.as_bytes() != key.md5() => {
                Err(RemoteError::Corrupted {
                    remote: label.clone(),
                    object: key.remote_path(),
                    actual: actual.to_hex(),
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::object_key::Layout;

    fn digest(key: &str, layout: Layout, content: &[u8], piece: usize) -> String {
        let key = ObjectKey::parse(key, layout).unwrap();
        let mut hasher = ContentHasher::new(&Expected::Object { key, size: None });
        for part in content.chunks(piece.max(1)) {
            hasher.update(part, &label()).unwrap();
        }
        hasher.finish().to_hex()
    }

    const ANY: &str = "00000000000000000000000000000000";

    fn label() -> RemoteLabel {
        RemoteLabel::new("store", "s3://bucket")
    }

    #[test]
    fn content_past_the_recorded_size_is_refused() {
        let key = ObjectKey::parse(ANY, Layout::Md5).unwrap();
        let mut hasher = ContentHasher::new(&Expected::Object { key, size: Some(6) });
        hasher.update(b"abc", &label()).unwrap();
        hasher.update(b"def", &label()).unwrap();
        let error = hasher.update(b"g", &label()).unwrap_err();
        assert!(
            matches!(error, RemoteError::TooLarge { size: 6, .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains(&format!(
                "object `{}` of remote `store` (`s3://bucket`) is corrupted: it is larger than \
                 its recorded size (6 bytes)",
                key.remote_path()
            )),
            "{error}"
        );
        // What was refused is not hashed.
        assert_eq!(hasher.finish().to_hex(), "e80b5017098950fc58aad83c8c14978e");
        // Exactly the recorded size, or no recorded size, is fine.
        let mut hasher = ContentHasher::new(&Expected::Object { key, size: Some(0) });
        hasher.update(b"", &label()).unwrap();
        let mut hasher = ContentHasher::new(&Expected::Object { key, size: None });
        hasher.update(&[0; 4096], &label()).unwrap();
    }

    #[test]
    fn dvc3_objects_hash_raw_bytes() {
        // Spec §3.1: `two\r\n` has md5 11fb069f7f29124c833020fb42120d64.
        assert_eq!(
            digest(ANY, Layout::Md5, b"two\r\n", 2),
            "11fb069f7f29124c833020fb42120d64"
        );
        assert_eq!(
            digest(ANY, Layout::Md5, b"", 1),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn legacy_objects_hash_dos2unix() {
        // Spec §3.3: `a\r\nb\r\n` has dos2unix md5 dd8c6a395b5dd36c56d23275028f526c.
        for piece in [1, 3, 100] {
            assert_eq!(
                digest(ANY, Layout::Legacy, b"a\r\nb\r\n", piece),
                "dd8c6a395b5dd36c56d23275028f526c"
            );
        }
        // Binary content is hashed raw.
        let binary = b"\x00\x01\r\n";
        assert_eq!(
            digest(ANY, Layout::Legacy, binary, 1),
            digest(ANY, Layout::Md5, binary, 1)
        );
    }

    #[test]
    fn legacy_chunks_are_decided_one_mebibyte_at_a_time() {
        // A binary first chunk followed by a text chunk: only the second is converted.
        let mut content = vec![0u8; CHUNK_SIZE];
        content.extend_from_slice(b"x\r\n");
        let mut expected = vec![0u8; CHUNK_SIZE];
        expected.extend_from_slice(b"x\n");
        assert_eq!(
            digest(ANY, Layout::Legacy, &content, 4096),
            digest(ANY, Layout::Md5, &expected, 4096)
        );
    }
}
