//! git for dv, through the `git` command line: whether paths are ignored or tracked, the
//! `.gitignore` entries DVC writes next to outputs (spec §5.2), staging files, the state of
//! the work tree, reading files as they are in a commit, and the repository configuration and
//! git directory paths `install` needs.
//!
//! - here: [`Git`], a work tree found from a directory, and the `git` commands run in it (the
//!   repository itself is only read or staged through `git`, never opened directly).
//! - `gitignore`: the `.gitignore` files next to outputs, the only files this crate writes.

mod gitignore;
pub mod history;
pub mod mirror;
mod refs;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use gitignore::{
    check_ignore_entry, escape_entry, ignore_entries_add, ignore_entry_add, ignore_entry_remove,
};

/// A failure running git.
#[derive(Debug, thiserror::Error)]
pub enum ScmError {
    /// git could not be started or failed.
    #[error("git {command} failed: {message}")]
    Git {
        /// The git subcommand.
        command: String,
        /// What git said.
        message: String,
    },
    /// A `.gitignore` dv will not read or write: a symbolic link, behind one, outside the
    /// work tree, or an entry that would not stay one line.
    #[error("cannot update '{path}': {reason}")]
    Refused {
        /// The `.gitignore`.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Reading or writing a `.gitignore`.
    #[error("failed to update '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A git work tree.
#[derive(Debug, Clone)]
pub struct Git {
    root: PathBuf,
}

impl Git {
    /// The git work tree containing `dir`, if any.
    pub fn discover(dir: &Path) -> Option<Git> {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--show-toplevel"])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        let text = String::from_utf8(output.stdout).ok()?;
        Some(Git {
            root: PathBuf::from(text.trim_end_matches('\n')),
        })
    }

    /// The work tree root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn command(&self) -> Command {
        let mut command = Command::new("git");
        command.arg("-C").arg(&self.root);
        command
    }

    /// Which of `paths` (absolute or relative to the work tree) git ignores.
    pub fn ignored(&self, paths: &[PathBuf]) -> Result<Vec<bool>, ScmError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let listed = self.filter_stdin(&["check-ignore", "--stdin", "-z"], paths, true)?;
        Ok(paths.iter().map(|p| listed.contains(p)).collect())
    }

    /// Which of `paths` are tracked by git (any file at or below them is in the index).
    pub fn tracked(&self, paths: &[PathBuf]) -> Result<Vec<bool>, ScmError> {
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            let output = self
                .command()
                .args(["ls-files", "-z", "--"])
                .arg(path)
                .stderr(Stdio::null())
                .output()
                .map_err(|e| git_error("ls-files", e.to_string()))?;
            out.push(!output.stdout.is_empty());
        }
        Ok(out)
    }

    /// Stages `paths` (`git add`); paths git ignores are skipped, as DVC's autostage does.
    pub fn add(&self, paths: &[PathBuf]) -> Result<(), ScmError> {
        if paths.is_empty() {
            return Ok(());
        }
        let output = self
            .command()
            .args(["add", "--"])
            .args(paths)
            .output()
            .map_err(|e| git_error("add", e.to_string()))?;
        if !output.status.success() {
            return Err(git_error(
                "add",
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        Ok(())
    }

    /// Whether the index or tracked files differ from `HEAD` (`git status` without untracked
    /// files: what makes `dvc data status` mention other changes).
    pub fn has_changes(&self) -> Result<bool, ScmError> {
        let output = self
            .command()
            .args(["status", "--porcelain", "--untracked-files=no"])
            .output()
            .map_err(|e| git_error("status", e.to_string()))?;
        if !output.status.success() {
            return Err(git_error(
                "status",
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        Ok(!output.stdout.is_empty())
    }

    /// Files git does not track and does not ignore (`git ls-files --others
    /// --exclude-standard`), relative to the work tree root, `/`-separated.
    pub fn untracked(&self) -> Result<Vec<String>, ScmError> {
        self.names(&[
            "ls-files",
            "-z",
            "--others",
            "--exclude-standard",
            "--full-name",
            ":/",
        ])
    }

    /// The NUL-separated names a git command prints.
    fn names(&self, args: &[&str]) -> Result<Vec<String>, ScmError> {
        let output = refs::finish(args[0], self.command().args(args))?;
        Ok(output
            .stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect())
    }

    /// Whether `rev` names a commit (false for `HEAD` in a repository without commits).
    pub fn has_revision(&self, rev: &str) -> bool {
        self.command()
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Sets `key` to `value` in the repository's own configuration (`git config key value`,
    /// as DVC's `install` sets its merge driver).
    pub fn set_config(&self, key: &str, value: &str) -> Result<(), ScmError> {
        let output = self
            .command()
            .args(["config", key, value])
            .output()
            .map_err(|e| git_error("config", e.to_string()))?;
        if !output.status.success() {
            return Err(git_error(
                "config",
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        Ok(())
    }

    /// The absolute path git uses for `name` inside the git directory of this work tree
    /// (`git rev-parse --git-path`): `.git/<name>`, or the linked work tree's own directory
    /// for per-worktree state such as `rebase-merge`.
    pub fn git_path(&self, name: &str) -> Result<PathBuf, ScmError> {
        self.rev_parse_path(&["--git-path", name])
    }

    /// The absolute path of the git directory shared by all work trees of the repository
    /// (`git rev-parse --git-common-dir`): where hooks and the configuration live.
    pub fn common_dir(&self) -> Result<PathBuf, ScmError> {
        self.rev_parse_path(&["--git-common-dir"])
    }

    /// The one absolute path `git rev-parse --path-format=absolute <args>` prints.
    fn rev_parse_path(&self, args: &[&str]) -> Result<PathBuf, ScmError> {
        let output = self
            .command()
            .args(["rev-parse", "--path-format=absolute"])
            .args(args)
            .output()
            .map_err(|e| git_error("rev-parse", e.to_string()))?;
        if !output.status.success() {
            return Err(git_error(
                "rev-parse",
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        let text = String::from_utf8(output.stdout)
            .map_err(|_| git_error("rev-parse", "a path that is not UTF-8".to_string()))?;
        Ok(PathBuf::from(text.trim_end_matches('\n')))
    }

    /// Every file in the tree of commit `rev`, relative to the work tree root, `/`-separated.
    pub fn files_at(&self, rev: &str) -> Result<Vec<String>, ScmError> {
        self.names(&["ls-tree", "-r", "-z", "--full-tree", "--name-only", rev])
    }

    /// The contents of `paths` (relative to the work tree root, `/`-separated) in commit `rev`,
    /// read with one `git cat-file --batch`; `None` for a path that is not a file there.
    pub fn read_files_at(
        &self,
        rev: &str,
        paths: &[String],
    ) -> Result<Vec<Option<Vec<u8>>>, ScmError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let name = "cat-file";
        let mut child = self
            .command()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| git_error(name, e.to_string()))?;
        let mut input = Vec::new();
        for path in paths {
            input.extend_from_slice(format!("{rev}:{path}\n").as_bytes());
        }
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| git_error(name, "no stdin".to_string()))?;
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child
            .wait_with_output()
            .map_err(|e| git_error(name, e.to_string()))?;
        let _ = writer.join();
        if !output.status.success() {
            return Err(git_error(
                name,
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        parse_batch(&output.stdout, paths.len())
            .ok_or_else(|| git_error(name, "unexpected output".to_string()))
    }

    /// Runs a git command fed NUL-separated paths on stdin; returns the paths it printed.
    fn filter_stdin(
        &self,
        args: &[&str],
        paths: &[PathBuf],
        exit_one_is_ok: bool,
    ) -> Result<Vec<PathBuf>, ScmError> {
        let name = args[0].to_string();
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| git_error(&name, e.to_string()))?;
        let mut input = Vec::new();
        for path in paths {
            input.extend_from_slice(path.as_os_str().as_encoded_bytes());
            input.push(0);
        }
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| git_error(&name, "no stdin".to_string()))?;
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child
            .wait_with_output()
            .map_err(|e| git_error(&name, e.to_string()))?;
        let _ = writer.join();
        let ok = output.status.success() || (exit_one_is_ok && output.status.code() == Some(1));
        if !ok {
            return Err(git_error(
                &name,
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        Ok(output
            .stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| PathBuf::from(String::from_utf8_lossy(s).into_owned()))
            .collect())
    }
}

/// Splits `git cat-file --batch` output into `count` objects: `<oid> <type> <size>\n<bytes>\n`
/// for each found object (only blobs are files), `<name> missing\n` otherwise.
fn parse_batch(mut out: &[u8], count: usize) -> Option<Vec<Option<Vec<u8>>>> {
    let mut objects = Vec::with_capacity(count);
    for _ in 0..count {
        let end = out.iter().position(|b| *b == b'\n')?;
        let header = String::from_utf8_lossy(&out[..end]).into_owned();
        out = &out[end + 1..];
        let fields: Vec<&str> = header.split(' ').collect();
        match fields.as_slice() {
            [_, kind, size] if !header.ends_with(" missing") => {
                let size: usize = size.parse().ok()?;
                let content = out.get(..size)?.to_vec();
                out = out.get(size + 1..)?;
                objects.push((*kind == "blob").then_some(content));
            }
            _ => objects.push(None),
        }
    }
    Some(objects)
}

fn git_error(command: &str, message: String) -> ScmError {
    ScmError::Git {
        command: command.to_string(),
        message,
    }
}
