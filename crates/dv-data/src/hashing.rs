//! Streaming file hashes (spec §3.1, §3.3).
//!
//! DVC 3 hashes the raw bytes with MD5. DVC 2.x (`md5-dos2unix`, outputs without `hash: md5`)
//! reads the file in chunks of exactly 1 MiB and, for each chunk whose first 512 bytes look like
//! text, replaces every `\r\n` by `\n` before hashing; binary chunks are hashed raw and a CRLF
//! split across two chunks is left alone.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use dv_schema::hash::{HashName, Md5};
use md5::Digest as _;

/// The chunk size DVC hashes in (`2**20`); md5-dos2unix decides text/binary per chunk.
pub const CHUNK_SIZE: usize = 1 << 20;

/// How many leading bytes of a chunk decide whether it is text.
pub const TEXT_SNIFF_SIZE: usize = 512;

/// Why a file could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("failed to hash `{path}`")]
pub struct HashError {
    /// The file being hashed.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: io::Error,
}

/// DVC's `istextblock`: empty is text; a NUL byte means binary; otherwise text when at most 30%
/// of the bytes are outside printable ASCII and `\n \r \t \f \b`.
pub fn is_text_block(block: &[u8]) -> bool {
    if block.is_empty() {
        return true;
    }
    if block.contains(&0) {
        return false;
    }
    let non_text = block
        .iter()
        .filter(|&&b| {
            !((0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x08))
        })
        .count();
    // non_text / len <= 0.30, exactly
    non_text * 10 <= block.len() * 3
}

/// Feeds `chunk` to `hasher` as md5-dos2unix does for one chunk of [`CHUNK_SIZE`] bytes (or
/// the shorter last one): streaming hashers elsewhere (remote downloads) cut chunks alike.
pub fn update_dos2unix(hasher: &mut md5::Md5, chunk: &[u8]) {
    let sniff = &chunk[..chunk.len().min(TEXT_SNIFF_SIZE)];
    if !is_text_block(sniff) {
        hasher.update(chunk);
        return;
    }
    let mut start = 0;
    let mut index = 0;
    while index + 1 < chunk.len() {
        if chunk[index] == b'\r' && chunk[index + 1] == b'\n' {
            hasher.update(&chunk[start..index]);
            start = index + 1; // keep the '\n'
            index += 2;
        } else {
            index += 1;
        }
    }
    hasher.update(&chunk[start..]);
}

/// Reads until `buffer` is full or the reader is exhausted; returns the bytes read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Hashes everything `reader` yields with `hash_name`, copying the raw bytes to `sink` if given.
/// Returns the hash and the number of raw bytes read.
pub fn hash_reader(
    reader: &mut impl Read,
    hash_name: HashName,
    mut sink: Option<&mut dyn Write>,
) -> io::Result<(Md5, u64)> {
    let mut hasher = md5::Md5::new();
    let mut buffer = vec![0u8; CHUNK_SIZE];
    let mut total = 0u64;
    loop {
        let read = read_full(reader, &mut buffer)?;
        if read == 0 {
            break;
        }
        let chunk = &buffer[..read];
        match hash_name {
            HashName::Md5 => hasher.update(chunk),
            HashName::Md5Dos2Unix => update_dos2unix(&mut hasher, chunk),
        }
        if let Some(sink) = sink.as_mut() {
            sink.write_all(chunk)?;
        }
        total += read as u64;
        if read < CHUNK_SIZE {
            break;
        }
    }
    Ok((Md5(hasher.finalize().into()), total))
}

/// Hashes the file at `path` with `hash_name`; returns the hash and the file's size in bytes.
pub fn hash_file(path: &Path, hash_name: HashName) -> Result<(Md5, u64), HashError> {
    let error = |source| HashError {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(error)?;
    hash_reader(&mut file, hash_name, None).map_err(error)
}

/// Hashes bytes already in memory with `hash_name`.
pub fn hash_bytes(bytes: &[u8], hash_name: HashName) -> Md5 {
    let mut reader = bytes;
    match hash_reader(&mut reader, hash_name, None) {
        Ok((md5, _)) => md5,
        // Reading from a slice cannot fail.
        Err(_) => Md5::digest(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8], hash_name: HashName) -> String {
        hash_bytes(bytes, hash_name).to_string()
    }

    #[test]
    fn spec_examples() {
        // spec §3.3: `a\r\nb\r\n`
        assert_eq!(
            hex(b"a\r\nb\r\n", HashName::Md5),
            "59b0d7772f0561efb95518f3cb8abc60"
        );
        assert_eq!(
            hex(b"a\r\nb\r\n", HashName::Md5Dos2Unix),
            "dd8c6a395b5dd36c56d23275028f526c"
        );
        // spec §3.1
        assert_eq!(
            hex(b"two\r\n", HashName::Md5),
            "11fb069f7f29124c833020fb42120d64"
        );
        assert_eq!(hex(b"", HashName::Md5), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            hex(b"", HashName::Md5Dos2Unix),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn binary_chunks_are_hashed_raw() {
        let binary = b"\x00\x01\r\n";
        assert_eq!(
            hex(binary, HashName::Md5Dos2Unix),
            hex(binary, HashName::Md5)
        );
        // 30% non-text is still text, more is binary
        let mut text = vec![b'a'; 7];
        text.extend_from_slice(&[0xff, 0xfe, 0xfd]);
        assert!(is_text_block(&text));
        text.push(0xfc);
        assert!(!is_text_block(&text));
    }

    #[test]
    fn decision_is_per_chunk_and_crlf_across_chunks_is_kept() {
        // chunk 1: text ending in '\r'; chunk 2 starts with '\n' → the pair is not converted
        let mut data = vec![b'x'; CHUNK_SIZE - 1];
        data.push(b'\r');
        data.extend_from_slice(b"\nrest\r\n");
        let mut expected = vec![b'x'; CHUNK_SIZE - 1];
        expected.extend_from_slice(b"\r\nrest\n");
        assert_eq!(
            hash_bytes(&data, HashName::Md5Dos2Unix),
            Md5::digest(&expected)
        );

        // chunk 1 binary (NUL in the first 512 bytes), chunk 2 text
        let mut data = vec![0u8; CHUNK_SIZE];
        data.extend_from_slice(b"a\r\n");
        let mut expected = vec![0u8; CHUNK_SIZE];
        expected.extend_from_slice(b"a\n");
        assert_eq!(
            hash_bytes(&data, HashName::Md5Dos2Unix),
            Md5::digest(&expected)
        );
    }

    #[test]
    fn streaming_matches_one_shot_and_copies_to_sink() {
        let data: Vec<u8> = (0..(3 * CHUNK_SIZE + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut sink = Vec::new();
        let (md5, size) =
            hash_reader(&mut data.as_slice(), HashName::Md5, Some(&mut sink)).expect("hash");
        assert_eq!(md5, Md5::digest(&data));
        assert_eq!(size, data.len() as u64);
        assert_eq!(sink, data);
    }

    proptest::proptest! {
        /// One chunk: dos2unix is "replace every CRLF when the first 512 bytes look like text".
        #[test]
        fn dos2unix_matches_the_reference_definition(
            data in proptest::collection::vec(
                proptest::sample::select(vec![b'\r', b'\n', b'a', b' ', 0u8, 0xff]),
                0..2000,
            )
        ) {
            let sniff = &data[..data.len().min(TEXT_SNIFF_SIZE)];
            let expected = if is_text_block(sniff) {
                let text = data.iter().map(|b| *b as char).collect::<String>();
                Md5::digest(
                    &text.replace("\r\n", "\n").chars().map(|c| c as u8).collect::<Vec<u8>>(),
                )
            } else {
                Md5::digest(&data)
            };
            proptest::prop_assert_eq!(hash_bytes(&data, HashName::Md5Dos2Unix), expected);
            proptest::prop_assert_eq!(hash_bytes(&data, HashName::Md5), Md5::digest(&data));
        }
    }

    #[test]
    fn hash_file_names_the_path_on_error() {
        let error = hash_file(Path::new("/nonexistent/file"), HashName::Md5).expect_err("missing");
        assert!(error.to_string().contains("/nonexistent/file"));
    }
}
