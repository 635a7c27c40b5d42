//! The path arithmetic DVC's plots code does on `/`-separated paths (Python's `posixpath`:
//! `normpath`, `join`, `dirname`, `relpath`, `commonpath`), and the way back from such a path,
//! relative to the working directory, to a path in the repository.

use dv_schema::repo_path::RepoPath;

pub(crate) use crate::path::normpath;

/// `posixpath.join(base, path)`.
pub(crate) fn join(base: &str, path: &str) -> String {
    if path.starts_with('/') || base.is_empty() {
        path.to_owned()
    } else if base.ends_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// `posixpath.dirname`.
pub(crate) fn dirname(path: &str) -> String {
    let head = match path.rfind('/') {
        Some(slash) => &path[..=slash],
        None => "",
    };
    let trimmed = head.trim_end_matches('/');
    if trimmed.is_empty() {
        head.to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// `posixpath.commonpath` of paths that are all relative or all absolute (the parts they
/// share, `.` and empty parts ignored).
pub(crate) fn commonpath<'a>(paths: impl IntoIterator<Item = &'a str>) -> String {
    let mut common: Option<Vec<&str>> = None;
    let mut absolute = false;
    for path in paths {
        absolute = path.starts_with('/');
        let parts: Vec<&str> = path
            .split('/')
            .filter(|part| !part.is_empty() && *part != ".")
            .collect();
        common = Some(match common {
            None => parts,
            Some(known) => known
                .iter()
                .zip(&parts)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let joined = common.unwrap_or_default().join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `path` (in the repository) relative to the working directory `cwd`, as `posixpath.relpath`
/// writes it (`.` for the directory itself).
pub(crate) fn relative_to(path: &RepoPath, cwd: &RepoPath) -> String {
    let path: Vec<&str> = path.components().collect();
    let cwd: Vec<&str> = cwd.components().collect();
    let shared = path.iter().zip(&cwd).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; cwd.len() - shared];
    parts.extend(&path[shared..]);
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The repository path a plots path names: relative paths start at the working directory
/// `cwd`, absolute ones at the repository root (DVC's file system of the repository). `None`
/// for a path leaving the repository.
pub(crate) fn resolve(cwd: &RepoPath, path: &str) -> Option<RepoPath> {
    let joined = if path.starts_with('/') {
        normpath(path.trim_start_matches('/'))
    } else {
        normpath(&join(cwd.as_str(), path))
    };
    if joined == "." {
        return Some(RepoPath::root());
    }
    if joined == ".." || joined.starts_with("../") {
        return None;
    }
    RepoPath::new(&joined).ok()
}

/// The suffix of the last part of `path` (`pathlib`'s `suffix`: from the last dot, unless the
/// name starts or ends with it).
pub(crate) fn suffix(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 && dot + 1 < name.len() => &name[dot..],
        _ => "",
    }
}

/// The extension `os.path.splitext` finds: from the last dot of the last part, leading dots
/// not counting.
pub(crate) fn extension(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let start = name.len() - name.trim_start_matches('.').len();
    match name.rfind('.') {
        Some(dot) if dot > start => &name[dot..],
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_dirname_and_commonpath_match_posixpath() {
        assert_eq!(join("", "a.csv"), "a.csv");
        assert_eq!(join("sub", "a.csv"), "sub/a.csv");
        assert_eq!(join("sub", "/a.csv"), "/a.csv");
        assert_eq!(dirname("dvc.yaml"), "");
        assert_eq!(dirname("a/b/dvc.yaml"), "a/b");
        assert_eq!(dirname("/dvc.yaml"), "/");
        assert_eq!(commonpath(["logs/train/a.csv", "logs/test/a.csv"]), "logs");
        assert_eq!(commonpath(["a.csv", "b.csv"]), "");
    }

    #[test]
    fn paths_relative_to_the_working_directory() {
        let root = RepoPath::root();
        let sub = RepoPath::new("sub").expect("path");
        let file = RepoPath::new("dvc.yaml").expect("path");
        assert_eq!(relative_to(&file, &root), "dvc.yaml");
        assert_eq!(relative_to(&file, &sub), "../dvc.yaml");
        assert_eq!(relative_to(&root, &root), ".");
        assert_eq!(resolve(&sub, "../a.csv"), RepoPath::new("a.csv").ok());
        assert_eq!(resolve(&root, "../a.csv"), None);
    }

    #[test]
    fn suffixes_and_extensions() {
        assert_eq!(suffix("plots/a.png"), ".png");
        assert_eq!(suffix(".png"), "");
        assert_eq!(extension("a.tar.csv"), ".csv");
        assert_eq!(extension(".csv"), "");
        assert_eq!(extension("dir.d/file"), "");
    }
}
