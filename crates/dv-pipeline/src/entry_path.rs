//! Where a dependency or output of a stage is: inside the repository, a local path outside it,
//! or a URL ([`EntryPath`]), placed from the path written for a stage's working directory.

use std::fmt;

use dv_schema::repo_path::{Joined, RepoPath};

/// Where a dependency or output is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryPath {
    /// Inside the repository.
    Repo(RepoPath),
    /// A local path outside the repository: absolute as written, or relative to the repository
    /// root with leading `..` components.
    Outside(String),
    /// A URL (`s3://...`, `remote://...`, `https://...`).
    Url(String),
}

impl EntryPath {
    /// Places the path `def_path`, as written for a stage working in `wdir`.
    pub fn resolve(wdir: &RepoPath, def_path: &str) -> EntryPath {
        if is_url(def_path) {
            return EntryPath::Url(def_path.to_owned());
        }
        if def_path.starts_with('/') {
            let normalized = crate::context::normalize_shown(def_path.trim_start_matches('/'));
            return EntryPath::Outside(if normalized == "." {
                "/".to_owned()
            } else {
                format!("/{normalized}")
            });
        }
        match wdir.join(def_path) {
            Joined::Inside(path) => EntryPath::Repo(path),
            Joined::Outside { up, rest } => {
                let mut parts = vec![".."; up].join("/");
                if !rest.is_empty() {
                    parts.push('/');
                    parts.push_str(&rest);
                }
                EntryPath::Outside(parts)
            }
        }
    }

    /// The local path for the repository at `root` (`None` for URLs).
    pub fn to_path(&self, root: &std::path::Path) -> Option<std::path::PathBuf> {
        match self {
            EntryPath::Repo(path) => Some(
                path.components()
                    .fold(root.to_path_buf(), |full, part| full.join(part)),
            ),
            EntryPath::Outside(path) if path.starts_with('/') => Some(path.into()),
            EntryPath::Outside(path) => {
                let mut full = root.to_path_buf();
                for part in path.split('/') {
                    if part == ".." {
                        full.pop();
                    } else {
                        full.push(part);
                    }
                }
                Some(full)
            }
            EntryPath::Url(_) => None,
        }
    }

    /// The repository path, for paths inside the repository.
    pub fn repo_path(&self) -> Option<&RepoPath> {
        match self {
            EntryPath::Repo(path) => Some(path),
            _ => None,
        }
    }

    /// Whether this is a local path (inside the repository or not).
    pub fn is_local(&self) -> bool {
        !matches!(self, EntryPath::Url(_))
    }

    /// The components the path is compared by: overlapping paths share a prefix.
    pub(crate) fn key(&self) -> Vec<String> {
        match self {
            EntryPath::Repo(path) => std::iter::once("repo".to_owned())
                .chain(path.components().map(str::to_owned))
                .collect(),
            EntryPath::Outside(path) => std::iter::once("outside".to_owned())
                .chain(path.split('/').filter(|p| !p.is_empty()).map(str::to_owned))
                .collect(),
            EntryPath::Url(url) => std::iter::once("url".to_owned())
                .chain(url.split('/').filter(|p| !p.is_empty()).map(str::to_owned))
                .collect(),
        }
    }

    /// How DVC shows the path when the current directory is `cwd` (`str(out)`): relative to
    /// `cwd` inside the repository, as is otherwise.
    pub fn shown(&self, cwd: &RepoPath) -> String {
        match self {
            EntryPath::Repo(path) => path.relative_to(cwd),
            EntryPath::Outside(path) | EntryPath::Url(path) => path.clone(),
        }
    }
}

impl fmt::Display for EntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryPath::Repo(path) => write!(f, "{path}"),
            EntryPath::Outside(path) | EntryPath::Url(path) => f.write_str(path),
        }
    }
}

/// Whether DVC reads `path` as a URL rather than a local path (`scheme://...`).
pub fn is_url(path: &str) -> bool {
    match path.split_once("://") {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '.'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> RepoPath {
        RepoPath::new(text).expect("valid path")
    }

    #[test]
    fn places_paths() {
        let root = RepoPath::root();
        assert_eq!(
            EntryPath::resolve(&path("sub"), "../a/./b"),
            EntryPath::Repo(path("a/b"))
        );
        assert_eq!(
            EntryPath::resolve(&root, "../x"),
            EntryPath::Outside("../x".to_owned())
        );
        assert_eq!(
            EntryPath::resolve(&root, "/abs//p/"),
            EntryPath::Outside("/abs/p".to_owned())
        );
        assert_eq!(
            EntryPath::resolve(&root, "s3://bucket/key"),
            EntryPath::Url("s3://bucket/key".to_owned())
        );
        assert!(is_url("remote://myremote/path"));
        assert!(!is_url("c:/x"));
        assert_eq!(EntryPath::Repo(path("a/b")).shown(&path("a")), "b");
        assert_eq!(EntryPath::Repo(path("a/b")).shown(&path("c")), "../a/b");
        let root = std::path::Path::new("/r/repo");
        assert_eq!(
            EntryPath::resolve(&RepoPath::root(), "../x/y").to_path(root),
            Some(std::path::PathBuf::from("/r/x/y"))
        );
        assert_eq!(
            EntryPath::Repo(path("a/b")).to_path(root),
            Some(std::path::PathBuf::from("/r/repo/a/b"))
        );
    }
}
