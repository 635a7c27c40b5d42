//! [`ContentHasher`]: the streaming hash that checks a downloaded object against its key before
//! it is renamed into place: plain MD5 for DVC 3 objects (spec §3.1), `md5-dos2unix` for legacy
//! 2.x objects (spec §3.3). `.dir` manifests hash like files (their JSON has no `\r\n`).
//! Imported files ([`ExternalFs`](crate::ExternalFs) downloads) get plain MD5.
//!
//! An object whose size its metafile records is also bounded: the first bytes past that size
//! fail the download ([`RemoteError::TooLarge`]) before they are written, so a hostile or
//! broken remote cannot stream more into the cache than the repository said it would.
//!
//! The lead may replace the legacy half with `dv-data`'s hasher once both exist side by side.

use md5::{Digest as _, Md5};

use crate::error::{RemoteError, RemoteLabel};
use crate::object_key::{Layout, ObjectKey};

/// `md5-dos2unix` reads files in chunks of this size and decides per chunk (spec §3.3).
const LEGACY_CHUNK: usize = 1 << 20;
/// How many leading bytes of a chunk decide whether it is text.
const TEXT_SNIFF: usize = 512;

/// Hashes bytes as they arrive, in the algorithm of an object's layout.
pub(crate) struct ContentHasher {
    md5: Md5,
    /// `Some` for the legacy algorithm: the bytes of the current, incomplete 1 MiB chunk.
    legacy_chunk: Option<Vec<u8>>,
    /// The object and its recorded size, when the content may not be larger.
    limit: Option<(ObjectKey, u64)>,
    /// Bytes added so far.
    received: u64,
}

impl ContentHasher {
    /// A plain MD5 hasher (DVC 3 objects, and the `md5` of an imported file).
    pub(crate) fn md5() -> Self {
        ContentHasher {
            md5: Md5::new(),
            legacy_chunk: None,
            limit: None,
            received: 0,
        }
    }

    /// A hasher for the object `key`, whose content may not exceed `size` bytes when its size
    /// is known.
    pub(crate) fn for_key(key: &ObjectKey, size: Option<u64>) -> Self {
        ContentHasher {
            md5: Md5::new(),
            legacy_chunk: match key.layout() {
                Layout::Md5 => None,
                Layout::Legacy => Some(Vec::with_capacity(LEGACY_CHUNK)),
            },
            limit: size.map(|size| (*key, size)),
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
            let take = (LEGACY_CHUNK - chunk.len()).min(bytes.len());
            chunk.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if chunk.len() == LEGACY_CHUNK {
                hash_legacy_chunk(&mut self.md5, chunk);
                chunk.clear();
            }
        }
    }

    /// The digest of everything added.
    pub(crate) fn finish(mut self) -> [u8; 16] {
        if let Some(chunk) = &self.legacy_chunk
            && !chunk.is_empty()
        {
            hash_legacy_chunk(&mut self.md5, chunk);
        }
        self.md5.finalize().into()
    }
}

/// One chunk of `md5-dos2unix`: text chunks have `\r\n` replaced by `\n`.
fn hash_legacy_chunk(md5: &mut Md5, chunk: &[u8]) {
    if !is_text(&chunk[..chunk.len().min(TEXT_SNIFF)]) {
        md5.update(chunk);
        return;
    }
    let mut rest = chunk;
    while let Some(position) = rest.windows(2).position(|pair| pair == b"\r\n") {
        md5.update(&rest[..position]);
        md5.update(b"\n");
        rest = &rest[position + 2..];
    }
    md5.update(rest);
}

/// DVC's `istextblock`: no NUL byte and at most 30 % of bytes outside printable ASCII and
/// `\n\r\t\f\b`; an empty block is text.
fn is_text(block: &[u8]) -> bool {
    if block.is_empty() {
        return true;
    }
    if block.contains(&0) {
        return false;
    }
    let non_text = block
        .iter()
        .filter(|&&byte| !matches!(byte, 32..=126 | b'\n' | b'\r' | b'\t' | 0x0c | 0x08))
        .count();
    non_text * 10 <= block.len() * 3
}

/// 32 lower-case hex characters.
pub(crate) fn to_hex(digest: &[u8; 16]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn digest(key: &str, layout: Layout, content: &[u8], piece: usize) -> String {
        let key = ObjectKey::parse(key, layout).unwrap();
        let mut hasher = ContentHasher::for_key(&key, None);
        for part in content.chunks(piece.max(1)) {
            hasher.update(part, &label()).unwrap();
        }
        to_hex(&hasher.finish())
    }

    const ANY: &str = "00000000000000000000000000000000";

    fn label() -> RemoteLabel {
        RemoteLabel::new("store", "s3://bucket")
    }

    #[test]
    fn content_past_the_recorded_size_is_refused() {
        let key = ObjectKey::parse(ANY, Layout::Md5).unwrap();
        let mut hasher = ContentHasher::for_key(&key, Some(6));
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
        assert_eq!(to_hex(&hasher.finish()), "e80b5017098950fc58aad83c8c14978e");
        // Exactly the recorded size, or no recorded size, is fine.
        let mut hasher = ContentHasher::for_key(&key, Some(0));
        hasher.update(b"", &label()).unwrap();
        let mut hasher = ContentHasher::for_key(&key, None);
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
        let mut content = vec![0u8; LEGACY_CHUNK];
        content.extend_from_slice(b"x\r\n");
        let mut expected = vec![0u8; LEGACY_CHUNK];
        expected.extend_from_slice(b"x\n");
        assert_eq!(
            digest(ANY, Layout::Legacy, &content, 4096),
            digest(ANY, Layout::Md5, &expected, 4096)
        );
    }
}
