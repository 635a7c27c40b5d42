//! Lexical path arithmetic matching Python's `os.path.abspath` / `os.path.relpath`, which DVC
//! uses for path-valued config options (spec §2.3), on paths and on `/`-separated strings
//! (`normpath`, `relpath`: what DVC computes on paths as text, such as plots paths and the
//! entries `ls-url` lists).

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

/// `posixpath.normpath`: `.` and empty parts dropped, `..` folded where it can be (two leading
/// slashes kept, as POSIX allows them a meaning).
pub(crate) fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let leading = path.len() - path.trim_start_matches('/').len();
    let prefix = match leading {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if prefix.is_empty() {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = format!("{prefix}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// `posixpath.relpath(path, start)` in a process whose working directory is `cwd` (absolute):
/// both made absolute against `cwd` and normalized, then `path` from `start` (`.` for the same
/// place, `..` parts to climb). An empty path is the working directory.
pub(crate) fn relpath(path: &str, start: &str, cwd: &str) -> String {
    let absolute = |path: &str| {
        if path.starts_with('/') {
            normpath(path)
        } else {
            normpath(&format!("{cwd}/{path}"))
        }
    };
    let (path, start) = (absolute(path), absolute(start));
    let path: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
    let start: Vec<&str> = start.split('/').filter(|part| !part.is_empty()).collect();
    let common = path.iter().zip(&start).take_while(|(a, b)| a == b).count();
    let mut parts = vec![".."; start.len() - common];
    parts.extend(&path[common..]);
    if parts.is_empty() {
        ".".to_owned()
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

    #[test]
    fn normpath_matches_posixpath() {
        assert_eq!(normpath(""), ".");
        assert_eq!(normpath("./a/./b/"), "a/b");
        assert_eq!(normpath("a/../../b"), "../b");
        assert_eq!(normpath("/../a"), "/a");
        assert_eq!(normpath("a/.."), ".");
        assert_eq!(normpath("//a//b"), "//a/b");
        assert_eq!(normpath("///a"), "/a");
    }

    #[test]
    fn relpath_matches_posixpath() {
        assert_eq!(relpath("/w/d/a.txt", "d", "/w"), "a.txt");
        assert_eq!(relpath("/w/d", "d/", "/w"), ".");
        assert_eq!(relpath("/w/d/sub/x", "/w/d/../d", "/w"), "sub/x");
        // A `file://` URL read as a relative path, as DVC's local file system does.
        assert_eq!(
            relpath("/tmp/s/t", "file:///tmp/s", "/tmp/w"),
            "../../../../s/t"
        );
        assert_eq!(relpath("src/data/b.txt", "src/data/", "/w"), "b.txt");
        assert_eq!(relpath("src/data/e/", "src/data/e", "/w"), ".");
        assert_eq!(relpath("/w", "", "/w"), ".");
    }
}
