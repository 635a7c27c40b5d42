//! Temporary siblings named `.<random>.tmp`, the names DVC itself uses for files on their way
//! into place (spec §3.1).

use std::io;
use std::path::Path;

pub use tempfile::NamedTempFile;

/// Number of random characters in a temporary name.
const RANDOM_LENGTH: usize = 22;

/// Creates something at a fresh `.<random>.tmp` path in `dir` with `create`, retrying with
/// another name if `create` fails because the path exists.
///
/// The returned handle removes the path when dropped unless it is persisted (renamed into
/// place), so an error or a panic never leaves the temporary behind; only a killed process
/// does, and a `.tmp` name is never mistaken for a real file.
pub fn create_in<R>(
    dir: &Path,
    create: impl FnMut(&Path) -> io::Result<R>,
) -> io::Result<NamedTempFile<R>> {
    tempfile::Builder::new()
        .prefix(".")
        .suffix(".tmp")
        .rand_bytes(RANDOM_LENGTH)
        .make_in(dir, create)
}

/// Whether `name` looks like one of our temporary names (`.<anything>.tmp`).
pub fn is_temp_name(name: &str) -> bool {
    name.len() > ".tmp".len() + 1 && name.starts_with('.') && name.ends_with(".tmp")
}

/// Whether `name` is exactly what [`create_in`] names a temporary (`.` + 22 random
/// alphanumerics + `.tmp`): a file of that name that nobody holds (the repository lock is
/// taken) is what a killed process left behind.
pub fn is_leftover_name(name: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|middle| {
            middle.len() == RANDOM_LENGTH && middle.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_hidden_and_removed_on_drop() {
        let dir = tempfile::tempdir().expect("temp dir");
        let temp = create_in(dir.path(), |path| std::fs::write(path, b"x")).expect("create");
        let name = temp
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_owned();
        assert!(is_temp_name(&name), "{name}");
        assert!(temp.path().exists());
        let path = temp.path().to_path_buf();
        drop(temp);
        assert!(!path.exists());
        assert!(is_leftover_name(&name), "{name}");
        assert!(!is_leftover_name(".notes.tmp"));
        assert!(!is_temp_name(".tmp"));
        assert!(!is_temp_name("a.tmp"));
    }
}
