//! Writing history through the `git` command line, for experiments: refs (listed, read,
//! written with their expected old value, deleted), commits made from the work tree without
//! touching the user's index, branches, and refspecs pushed to or fetched from a git remote.
//! Every user-supplied name is passed after `--` or checked with `git check-ref-format`, so
//! none can be read as an option.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{Git, ScmError, git_error};

impl Git {
    /// Runs `git <args>` in the work tree; its output, or git's own message.
    fn run(&self, args: &[&str]) -> Result<Output, ScmError> {
        let mut command = self.command();
        command.args(args);
        finish(args[0], &mut command)
    }

    /// A `git` command that talks to a remote: no prompts, no `ext::` transport.
    fn remote_command(&self, args: &[&str]) -> Command {
        let mut command = self.command();
        command
            .args(["-c", "protocol.ext.allow=never"])
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0");
        command
    }

    /// Every ref under `prefix` (`refs/exps/`) with the commit it names, sorted by ref name.
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<(String, String)>, ScmError> {
        let output = self.run(&[
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "--",
            prefix,
        ])?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(id, name)| (name.to_string(), id.to_string()))
            .collect())
    }

    /// The commit a ref or revision names, if any (`git rev-parse --verify -q`).
    pub fn resolve_commit(&self, rev: &str) -> Option<String> {
        if rev.starts_with('-') {
            return None;
        }
        let output = self
            .command()
            .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{rev}^{{commit}}"))
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// The full name of the checked-out branch (`refs/heads/main`), `None` when detached.
    pub fn head_ref(&self) -> Option<String> {
        let output = self
            .command()
            .args(["symbolic-ref", "-q", "HEAD"])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Points `name` at `commit`; with `old`, only if it still names `old` (empty: only if it
    /// does not exist), so two writers cannot silently overwrite each other.
    pub fn update_ref(
        &self,
        name: &str,
        commit: &str,
        old: Option<&str>,
        message: &str,
    ) -> Result<(), ScmError> {
        let mut args = vec!["update-ref", "-m", message, "--", name, commit];
        let zero = "0".repeat(40);
        if let Some(old) = old {
            args.push(if old.is_empty() { &zero } else { old });
        }
        self.run(&args).map(drop)
    }

    /// Deletes the ref `name`.
    pub fn delete_ref(&self, name: &str) -> Result<(), ScmError> {
        self.run(&["update-ref", "-d", "--", name]).map(drop)
    }

    /// Whether `name` is a well-formed ref name (`git check-ref-format`).
    pub fn is_valid_ref(&self, name: &str) -> bool {
        !name.starts_with('-')
            && Command::new("git")
                .args(["check-ref-format", name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
    }

    /// Whether the trees of two commits differ.
    pub fn trees_differ(&self, a: &str, b: &str) -> Result<bool, ScmError> {
        let output = self
            .command()
            .args(["diff", "--quiet", a, b, "--"])
            .output()
            .map_err(|e| git_error("diff", e.to_string()))?;
        match output.status.code() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(git_error(
                "diff",
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            )),
        }
    }

    /// A commit of the work tree on top of `parent`, made with a private index so the user's
    /// staged changes are left as they are: the tracked files as they are now (`git add -u`)
    /// plus `paths` (files or directories git does not ignore). Returns the new commit's id.
    pub fn commit_work_tree(
        &self,
        parent: &str,
        paths: &[PathBuf],
        message: &str,
    ) -> Result<String, ScmError> {
        let index = self.git_path(&format!("dv-exp-index-{}", std::process::id()))?;
        let result = self.commit_with_index(&index, parent, paths, message);
        let _ = std::fs::remove_file(&index);
        result
    }

    fn commit_with_index(
        &self,
        index: &Path,
        parent: &str,
        paths: &[PathBuf],
        message: &str,
    ) -> Result<String, ScmError> {
        let real = self.git_path("index")?;
        let with_index = |args: &[&str], paths: &[&PathBuf]| -> Result<Output, ScmError> {
            let mut command = self.command();
            command.env("GIT_INDEX_FILE", index).args(args).args(paths);
            finish(args[0], &mut command)
        };
        if real.exists() {
            std::fs::copy(&real, index).map_err(|e| git_error("index", e.to_string()))?;
        } else {
            with_index(&["read-tree", parent], &[])?;
        }
        with_index(&["add", "-u", "--", ":/"], &[])?;
        let existing: Vec<PathBuf> = paths
            .iter()
            .filter(|path| self.root().join(path).exists())
            .cloned()
            .collect();
        let ignored = self.ignored(&existing)?;
        let wanted: Vec<&PathBuf> = existing
            .iter()
            .zip(ignored)
            .filter(|(_, ignored)| !ignored)
            .map(|(path, _)| path)
            .collect();
        if !wanted.is_empty() {
            with_index(&["add", "--"], &wanted)?;
        }
        let tree = with_index(&["write-tree"], &[])?;
        let tree = String::from_utf8_lossy(&tree.stdout).trim().to_string();
        let commit = self.run(&["commit-tree", &tree, "-p", parent, "-m", message])?;
        Ok(String::from_utf8_lossy(&commit.stdout).trim().to_string())
    }

    /// Writes every file of `commit`'s tree into the work tree, then resets the index to
    /// `HEAD`: the work tree holds the commit's files, other files stay as they were, and the
    /// changes are the user's to stage (DVC's `exp apply`).
    pub fn write_tree_files(&self, commit: &str) -> Result<(), ScmError> {
        self.run(&["checkout", commit, "--", ":/"])?;
        self.run(&["reset", "-q"]).map(drop)
    }

    /// A commit holding the work tree's uncommitted changes to tracked files (`git stash
    /// create`), nothing when there are none; the work tree and index are not touched.
    pub fn stash_create(&self, message: &str) -> Result<Option<String>, ScmError> {
        let output = self.run(&["stash", "create", message])?;
        let id = String::from_utf8_lossy(&output.stdout).trim().to_string();
        Ok((!id.is_empty()).then_some(id))
    }

    /// Points `name` at `commit`, keeping a reflog entry (how DVC keeps its stashes).
    pub fn push_reflog(&self, name: &str, commit: &str, message: &str) -> Result<(), ScmError> {
        self.run(&[
            "update-ref",
            "--create-reflog",
            "-m",
            message,
            "--",
            name,
            commit,
        ])
        .map(drop)
    }

    /// Creates branch `name` at `commit` (fails when it exists).
    pub fn create_branch(&self, name: &str, commit: &str) -> Result<(), ScmError> {
        let full = format!("refs/heads/{name}");
        if !self.is_valid_ref(&full) {
            return Err(git_error(
                "branch",
                format!("'{name}' is not a valid branch name"),
            ));
        }
        self.update_ref(&full, commit, Some(""), "dvc: create branch")
    }

    /// Pushes `refspecs` to the git remote `remote` (a remote name or URL), forced when asked.
    pub fn push_refspecs(
        &self,
        remote: &str,
        refspecs: &[String],
        force: bool,
    ) -> Result<(), ScmError> {
        let mut command = self.remote_command(&["push", "--quiet", "--porcelain"]);
        if force {
            command.arg("--force");
        }
        command.arg("--").arg(remote).args(refspecs);
        finish("push", &mut command).map(drop)
    }

    /// Fetches `refspecs` from the git remote `remote` (a name, URL or path).
    pub fn fetch_refspecs(
        &self,
        remote: &str,
        refspecs: &[String],
        force: bool,
    ) -> Result<(), ScmError> {
        let mut command = self.remote_command(&["fetch", "--quiet", "--no-tags"]);
        if force {
            command.arg("--force");
        }
        command.arg("--").arg(remote).args(refspecs);
        finish("fetch", &mut command).map(drop)
    }

    /// The refs under `prefix` a git remote advertises, with their commits.
    pub fn remote_refs(
        &self,
        remote: &str,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, ScmError> {
        let mut command = self.remote_command(&["ls-remote", "--refs", "--"]);
        command.arg(remote).arg(format!("{prefix}*"));
        let output = finish("ls-remote", &mut command)?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .filter(|(_, name)| name.starts_with(prefix))
            .map(|(id, name)| (name.to_string(), id.to_string()))
            .collect())
    }

    /// A clone of `source` at `dest` sharing its objects (`git clone --shared --no-checkout`),
    /// with its work tree checked out at `commit` (detached).
    pub fn clone_shared_at(source: &Path, dest: &Path, commit: &str) -> Result<Git, ScmError> {
        let mut command = Command::new("git");
        command
            .args(["clone", "-q", "--shared", "--no-checkout", "--"])
            .arg(source)
            .arg(dest);
        finish("clone", &mut command)?;
        let clone = Git {
            root: dest.to_path_buf(),
        };
        clone.run(&["checkout", "-q", "--detach", commit])?;
        Ok(clone)
    }

    /// Whether commit `ancestor` is `commit` or one of its ancestors (false when either is
    /// unknown here).
    pub fn is_ancestor(&self, ancestor: &str, commit: &str) -> bool {
        !ancestor.starts_with('-')
            && !commit.starts_with('-')
            && self
                .command()
                .args(["merge-base", "--is-ancestor", ancestor, commit])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
    }
}

/// Runs `command` (stdin closed); its output, or git's message when it fails.
pub(crate) fn finish(name: &str, command: &mut Command) -> Result<Output, ScmError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| git_error(name, e.to_string()))?;
    if !output.status.success() {
        return Err(git_error(
            name,
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    Ok(output)
}
