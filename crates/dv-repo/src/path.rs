//! Lexical path arithmetic matching Python's `os.path.abspath` / `os.path.relpath`, which DVC
//! uses for path-valued config options (spec §2.3).

use std::path::{Component, Path, PathBuf};

/// Removes `.` and resolves `..` lexically, like `os.path.normpath` on an absolute path.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `base`, both absolute and normalized, with `/` separators
/// (like `os.path.relpath`).
pub fn relative(path: &Path, base: &Path) -> String {
    let path = normalize(path);
    let base = normalize(base);
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = Vec::new();
    parts.extend(std::iter::repeat_n("..".to_string(), b.len() - common));
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_like_python() {
        assert_eq!(
            relative(Path::new("/r/lrem2"), Path::new("/r/repo/.dvc")),
            "../../lrem2"
        );
        assert_eq!(
            relative(Path::new("/r/repo/mycache"), Path::new("/r/repo/.dvc")),
            "../mycache"
        );
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b")), ".");
        assert_eq!(relative(Path::new("/a/b/./c/../d"), Path::new("/a")), "b/d");
    }
}
