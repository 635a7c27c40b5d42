//! Paths inside a repository: relative to its root, `/`-separated, normalised, never `..`.
//!
//! DVC files name paths relative to the file's directory (and a stage's `wdir`); joining them
//! lexically to the directory's [`RepoPath`] gives the path the repository knows them by, which
//! is how stages are matched to each other (spec §9.2) and how paths are shown.

use std::fmt;

/// A normalised path relative to the repository root (`""` is the root itself).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RepoPath(String);

/// Why a text is not a [`RepoPath`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoPathError {
    /// The path is absolute.
    #[error("path `{0}` is absolute, expected a path relative to the repository root")]
    Absolute(String),
    /// The path leaves the repository through `..`.
    #[error("path `{0}` is outside of the repository")]
    Outside(String),
}

/// Why dv refuses to write an output at a path inside the repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteRefusal {
    /// A component is `.git` or `.dvc`: git's and DVC's own directories, which DVC ignores and
    /// never writes outputs into (a `.git/hooks/...` output would run code).
    #[error("is inside '{0}', where dv never writes outputs")]
    Reserved(String),
    /// A component holds a line break or NUL, which would inject lines into `.gitignore`.
    #[error("contains a line break or NUL in its name")]
    ControlCharacter,
}

/// The outcome of lexically joining a relative path to a [`RepoPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// The path is inside the repository.
    Inside(RepoPath),
    /// The path climbs above the root: the number of levels above it, then the normalised rest
    /// (`../../x/y` is `Outside { up: 2, rest: "x/y" }`).
    Outside {
        /// How many directories above the root.
        up: usize,
        /// The components below that directory, `/`-separated.
        rest: String,
    },
}

impl RepoPath {
    /// The repository root.
    pub fn root() -> RepoPath {
        RepoPath(String::new())
    }

    /// Normalises `text` (`.` and empty components removed, `..` resolved, `\` kept as a file
    /// name character) into a path inside the repository.
    pub fn new(text: &str) -> Result<RepoPath, RepoPathError> {
        if text.starts_with('/') {
            return Err(RepoPathError::Absolute(text.to_owned()));
        }
        match RepoPath::root().join(text) {
            Joined::Inside(path) => Ok(path),
            Joined::Outside { .. } => Err(RepoPathError::Outside(text.to_owned())),
        }
    }

    /// Lexically joins the relative path `relative` (`/`-separated) to this directory, as
    /// `os.path.normpath(os.path.join(self, relative))` does.
    pub fn join(&self, relative: &str) -> Joined {
        let mut parts: Vec<&str> = self.components().collect();
        let mut up = 0usize;
        for part in relative.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        up += 1;
                    }
                }
                other => parts.push(other),
            }
        }
        if up == 0 {
            Joined::Inside(RepoPath(parts.join("/")))
        } else {
            Joined::Outside {
                up,
                rest: parts.join("/"),
            }
        }
    }

    /// The text, `""` for the root.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The components, none for the root.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|part| !part.is_empty())
    }

    /// The parent directory (the root is its own parent).
    pub fn parent(&self) -> RepoPath {
        match self.0.rsplit_once('/') {
            Some((parent, _)) => RepoPath(parent.to_owned()),
            None => RepoPath::root(),
        }
    }

    /// The last component, `""` for the root.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }

    /// Why dv refuses to write an output at this path, if it does (see [`WriteRefusal`]).
    pub fn write_refusal(&self) -> Option<WriteRefusal> {
        write_refusal(self.components())
    }

    /// Whether `self` is `other` or inside it (component-wise: `a/bc` is not inside `a/b`).
    pub fn starts_with(&self, other: &RepoPath) -> bool {
        other.is_root()
            || self.0 == other.0
            || (self.0.starts_with(&other.0) && self.0.as_bytes().get(other.0.len()) == Some(&b'/'))
    }

    /// `self` relative to the directory `base` with `/` separators, as `os.path.relpath` gives
    /// it (`..` components when `self` is not inside `base`, `.` when they are equal).
    pub fn relative_to(&self, base: &RepoPath) -> String {
        let path: Vec<&str> = self.components().collect();
        let base: Vec<&str> = base.components().collect();
        let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
        let mut parts: Vec<&str> = std::iter::repeat_n("..", base.len() - common).collect();
        parts.extend(&path[common..]);
        if parts.is_empty() {
            ".".to_owned()
        } else {
            parts.join("/")
        }
    }
}

/// [`RepoPath::write_refusal`] for the components of any path.
pub fn write_refusal<'a>(components: impl IntoIterator<Item = &'a str>) -> Option<WriteRefusal> {
    for part in components {
        if part.contains(['\n', '\r', '\0']) {
            return Some(WriteRefusal::ControlCharacter);
        }
        if part == ".git" || part == ".dvc" {
            return Some(WriteRefusal::Reserved(part.to_owned()));
        }
    }
    None
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RepoPath({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> RepoPath {
        RepoPath::new(text).expect("valid repo path")
    }

    #[test]
    fn normalises() {
        assert_eq!(path("./a//b/../c/").as_str(), "a/c");
        assert_eq!(path(".").as_str(), "");
        assert!(path("").is_root());
        assert!(RepoPath::new("/abs").is_err());
        assert!(RepoPath::new("a/../..").is_err());
    }

    #[test]
    fn joins_outside() {
        assert_eq!(
            path("sub").join("../../x/y"),
            Joined::Outside {
                up: 1,
                rest: "x/y".to_owned()
            }
        );
        assert_eq!(path("sub").join("../x"), Joined::Inside(path("x")));
    }

    #[test]
    fn refuses_git_and_dvc_directories_and_line_breaks() {
        assert_eq!(
            path("a/.git/hooks/x").write_refusal(),
            Some(WriteRefusal::Reserved(".git".to_owned()))
        );
        assert_eq!(
            path(".dvc/cache/files/md5/aa").write_refusal(),
            Some(WriteRefusal::Reserved(".dvc".to_owned()))
        );
        assert_eq!(
            path("a/b\nc").write_refusal(),
            Some(WriteRefusal::ControlCharacter)
        );
        assert_eq!(path("a/.gitx/.dvcignore").write_refusal(), None);
    }

    #[test]
    fn prefixes_are_component_wise() {
        assert!(path("a/b/c").starts_with(&path("a/b")));
        assert!(path("a/b").starts_with(&path("a/b")));
        assert!(!path("a/bc").starts_with(&path("a/b")));
        assert!(path("x").starts_with(&RepoPath::root()));
    }

    #[test]
    fn relative_like_python() {
        assert_eq!(path("a/b").relative_to(&path("a")), "b");
        assert_eq!(path("a/b").relative_to(&path("c/d")), "../../a/b");
        assert_eq!(path("a").relative_to(&path("a")), ".");
        assert_eq!(path("a").parent(), RepoPath::root());
        assert_eq!(path("a/b").parent(), path("a"));
        assert_eq!(path("a/b").file_name(), "b");
    }
}
