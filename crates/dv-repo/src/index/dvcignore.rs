//! `.dvcignore` files (gitignore syntax, relative to their directory) as a stack of matchers
//! that a walk pushes on entering a directory and pops on leaving it; the files are read
//! through the walk's [`FileSource`], so a git tree at a revision is matched like the working
//! tree.

use std::path::{Path, PathBuf};

use dv_data::walk::DVCIGNORE;
use dv_pipeline::files::{FileContent, FileSource};
use dv_schema::repo_path::RepoPath;
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Why a `.dvcignore` could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct DvcignoreError {
    /// The `.dvcignore` file.
    pub(crate) path: RepoPath,
    /// What is wrong with it.
    pub(crate) message: String,
}

/// The `.dvcignore` matchers of the directories from the root down to the one being walked.
pub(crate) struct DvcIgnore {
    /// Where repository paths are placed for matching (the working tree's root, or any fixed
    /// directory for other sources).
    root: PathBuf,
    matchers: Vec<Gitignore>,
}

impl DvcIgnore {
    /// No matchers yet; paths are matched as if the repository were at `root`.
    pub(crate) fn new(root: &Path) -> DvcIgnore {
        DvcIgnore {
            root: root.to_path_buf(),
            matchers: Vec::new(),
        }
    }

    /// Where `path` is placed for matching.
    pub(crate) fn place(&self, path: &RepoPath) -> PathBuf {
        path.components()
            .fold(self.root.clone(), |full, part| full.join(part))
    }

    /// Reads `dir/.dvcignore`, if there is one, and pushes its matcher; whether it did (pass
    /// it to [`DvcIgnore::leave`]).
    pub(crate) fn enter(
        &mut self,
        source: &dyn FileSource,
        dir: &RepoPath,
    ) -> Result<bool, DvcignoreError> {
        let Some(path) = child(dir, DVCIGNORE) else {
            return Ok(false);
        };
        let fail = |message: String| DvcignoreError {
            path: path.clone(),
            message,
        };
        let bytes = match source.read(&path) {
            Ok(FileContent::File(bytes)) => bytes,
            Ok(_) => return Ok(false),
            Err(error) => return Err(fail(error.to_string())),
        };
        let placed = self.place(&path);
        let mut builder = GitignoreBuilder::new(self.place(dir));
        let text = String::from_utf8_lossy(&bytes);
        for (number, line) in text.lines().enumerate() {
            let line = if number == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            builder
                .add_line(Some(placed.clone()), line)
                .map_err(|error| fail(format!("line {}: {error}", number + 1)))?;
        }
        let matcher = builder.build().map_err(|error| fail(error.to_string()))?;
        self.matchers.push(matcher);
        Ok(true)
    }

    /// Pops the matcher [`DvcIgnore::enter`] pushed.
    pub(crate) fn leave(&mut self, pushed: bool) {
        if pushed {
            self.matchers.pop();
        }
    }

    /// Whether the matchers exclude `path` (the deepest `.dvcignore` that matches decides).
    pub(crate) fn is_ignored(&self, path: &RepoPath, is_dir: bool) -> bool {
        if self.matchers.is_empty() {
            return false;
        }
        let placed = self.place(path);
        for matcher in self.matchers.iter().rev() {
            match matcher.matched(&placed, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}

/// `dir/name` as a repository path (`name` at the root); `None` for a name no repository path
/// can hold.
pub(crate) fn child(dir: &RepoPath, name: &str) -> Option<RepoPath> {
    let text = if dir.is_root() {
        name.to_owned()
    } else {
        format!("{}/{name}", dir.as_str())
    };
    RepoPath::new(&text).ok()
}
