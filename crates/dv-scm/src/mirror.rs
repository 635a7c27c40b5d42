//! Other git repositories, through the `git` command line: the refs a URL advertises, a mirror
//! clone of it kept on disk and refreshed with `git fetch`, revisions resolved in the mirror,
//! and a commit's files written into a separate directory (without moving the mirror's `HEAD`).
//!
//! URLs come from files a cloned repository holds (`.dvc` files of imports), so every command
//! is run with the URL after `--`, without terminal prompts, and without git's `ext::`
//! transport (which runs arbitrary commands).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{ScmError, git_error};

/// A git command for another repository: no prompts, no `ext::` transport, no stdin.
fn git() -> Command {
    let mut command = Command::new("git");
    command
        .args(["-c", "protocol.ext.allow=never"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("SSH_ASKPASS", "")
        .stdin(Stdio::null());
    command
}

/// The first line git wrote to stderr, without `fatal: `.
fn reason(stderr: &[u8], fallback: &str) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|line| line.trim_start_matches("fatal: ").trim())
        .find(|line| !line.is_empty())
        .unwrap_or(fallback)
        .to_owned()
}

fn run(mut command: Command, what: &str) -> Result<Vec<u8>, ScmError> {
    let output = command
        .output()
        .map_err(|error| git_error(what, format!("cannot run git: {error}")))?;
    if !output.status.success() {
        return Err(git_error(
            what,
            reason(&output.stderr, &format!("git {what} failed")),
        ));
    }
    Ok(output.stdout)
}

/// The refs `url` advertises (`git ls-remote`) as `(name, commit)`, `HEAD` included and
/// annotated tags also peeled (`refs/tags/v1^{}`).
pub fn ls_remote(url: &str) -> Result<Vec<(String, String)>, ScmError> {
    let mut command = git();
    command.args(["ls-remote", "--"]).arg(url);
    run(command, "ls-remote").map(|stdout| ref_lines(&stdout))
}

/// `<id>\t<name>` lines (what `ls-remote` and `for-each-ref` print here) as `(name, id)`.
fn ref_lines(stdout: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| {
            let (id, name) = line.split_once('\t')?;
            Some((name.to_owned(), id.to_owned()))
        })
        .collect()
}

/// The commit `rev` names among advertised `refs`: a tag (peeled), a branch, `HEAD`, or a full
/// commit id. `None` for anything else (`HEAD~1`, a short id), which only a clone can resolve.
pub fn resolve_advertised(refs: &[(String, String)], rev: &str) -> Option<String> {
    let find = |name: &str| {
        refs.iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, id)| id.clone())
    };
    if rev == "HEAD" {
        return find("HEAD");
    }
    find(&format!("refs/tags/{rev}^{{}}"))
        .or_else(|| find(&format!("refs/tags/{rev}")))
        .or_else(|| find(&format!("refs/heads/{rev}")))
        .or_else(|| find(rev).filter(|_| rev.starts_with("refs/")))
        .or_else(|| {
            (rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| rev.to_ascii_lowercase())
        })
}

/// A bare mirror clone (`git clone --mirror`): every ref of the source under its own name.
#[derive(Debug, Clone)]
pub struct Mirror {
    git_dir: PathBuf,
}

impl Mirror {
    /// The mirror at `git_dir`, if one is there.
    pub fn open(git_dir: &Path) -> Option<Mirror> {
        git_dir.join("HEAD").is_file().then(|| Mirror {
            git_dir: git_dir.to_path_buf(),
        })
    }

    /// Clones `url` as a mirror into `git_dir` (which must not exist): cloned under a
    /// temporary name beside it and renamed, so an interrupted clone leaves no mirror.
    pub fn clone(url: &str, git_dir: &Path) -> Result<Mirror, ScmError> {
        let parent = git_dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|error| git_error("clone", format!("{}: {error}", parent.display())))?;
        let temporary = parent.join(format!(
            ".{}.tmp{}",
            git_dir
                .file_name()
                .map(OsStr::to_string_lossy)
                .unwrap_or_default(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&temporary);
        let mut command = git();
        command
            .args(["clone", "--mirror", "-q", "--"])
            .arg(url)
            .arg(&temporary);
        if let Err(error) = run(command, "clone") {
            let _ = std::fs::remove_dir_all(&temporary);
            return Err(error);
        }
        std::fs::rename(&temporary, git_dir).map_err(|error| {
            let _ = std::fs::remove_dir_all(&temporary);
            git_error("clone", format!("{}: {error}", git_dir.display()))
        })?;
        Ok(Mirror {
            git_dir: git_dir.to_path_buf(),
        })
    }

    /// The mirror's git directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    fn command(&self) -> Command {
        let mut command = git();
        command.arg("--git-dir").arg(&self.git_dir);
        command
    }

    /// Brings every ref up to date with `url` (`git fetch --prune`, the mirror's refspec).
    pub fn fetch(&self, url: &str) -> Result<(), ScmError> {
        let mut command = self.command();
        command
            .args(["fetch", "-q", "--prune", "--force", "--"])
            .arg(url)
            .arg("+refs/*:refs/*");
        run(command, "fetch").map(drop)
    }

    /// The mirror's refs under `prefix` (`refs/tags/`) as `(name, id)`, ids not peeled, in
    /// name order.
    pub fn refs(&self, prefix: &str) -> Result<Vec<(String, String)>, ScmError> {
        let mut command = self.command();
        command.args(["for-each-ref", "--format=%(objectname)%09%(refname)", "--"]);
        command.arg(prefix);
        run(command, "for-each-ref").map(|stdout| ref_lines(&stdout))
    }

    /// Whether the mirror holds commit `id`.
    pub fn has_commit(&self, id: &str) -> bool {
        let mut command = self.command();
        command
            .args(["cat-file", "-e", "--end-of-options"])
            .arg(format!("{id}^{{commit}}"))
            .stderr(Stdio::null());
        run(command, "cat-file").is_ok()
    }

    /// The commit `rev` names in the mirror (any git revision expression), if any.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        let mut command = self.command();
        command
            .args(["rev-parse", "-q", "--verify", "--end-of-options"])
            .arg(format!("{rev}^{{commit}}"))
            .stderr(Stdio::null());
        let stdout = run(command, "rev-parse").ok()?;
        let id = String::from_utf8_lossy(&stdout).trim().to_owned();
        (!id.is_empty()).then_some(id)
    }

    /// Makes `work_tree` hold exactly the files of `commit` (those of an earlier commit written
    /// there are removed); the mirror's refs and `HEAD` do not move.
    pub fn write_tree(&self, commit: &str, work_tree: &Path) -> Result<(), ScmError> {
        std::fs::create_dir_all(work_tree)
            .map_err(|error| git_error("read-tree", format!("{}: {error}", work_tree.display())))?;
        let mut command = self.command();
        command
            .arg("--work-tree")
            .arg(work_tree)
            .args(["read-tree", "-u", "--reset", "--end-of-options"])
            .arg(commit);
        run(command, "read-tree").map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_tags_before_branches_and_peels_annotated_tags() {
        let refs = vec![
            ("HEAD".to_owned(), "a".repeat(40)),
            ("refs/heads/v1".to_owned(), "b".repeat(40)),
            ("refs/tags/v1".to_owned(), "c".repeat(40)),
            ("refs/tags/v1^{}".to_owned(), "d".repeat(40)),
        ];
        assert_eq!(resolve_advertised(&refs, "v1"), Some("d".repeat(40)));
        assert_eq!(resolve_advertised(&refs, "HEAD"), Some("a".repeat(40)));
        assert_eq!(
            resolve_advertised(&refs, &"E".repeat(40)),
            Some("e".repeat(40))
        );
        assert_eq!(resolve_advertised(&refs, "nope"), None);
        assert_eq!(resolve_advertised(&refs, "HEAD~1"), None);
    }

    #[test]
    fn mirrors_fetches_resolves_and_writes_trees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = dir.path().join("src");
        let sh = |args: &[&str]| {
            let status = Command::new("git")
                .arg("-C")
                .arg(&source)
                .args(["-c", "user.name=t", "-c", "user.email=t@e"])
                .args(args)
                .status()
                .expect("git");
            assert!(status.success());
        };
        std::fs::create_dir_all(source.join("d")).expect("mkdir");
        sh(&["init", "-q", "-b", "main"]);
        std::fs::write(source.join("d/a"), "1").expect("write");
        sh(&["add", "."]);
        sh(&["commit", "-q", "-m", "one"]);
        sh(&["tag", "v1"]);
        let url = source.to_str().expect("utf-8");
        let mirror = Mirror::clone(url, &dir.path().join("m/git")).expect("clones");
        let v1 = mirror.resolve("v1").expect("v1");
        std::fs::write(source.join("b"), "2").expect("write");
        sh(&["add", "."]);
        sh(&["commit", "-q", "-m", "two"]);
        let refs = ls_remote(url).expect("ls-remote");
        let head = resolve_advertised(&refs, "HEAD").expect("HEAD");
        assert!(!mirror.has_commit(&head));
        assert!(mirror.refs("refs/tags/").expect("refs")[0].0 == "refs/tags/v1");
        mirror.fetch(url).expect("fetches");
        assert!(mirror.has_commit(&head));
        assert_eq!(mirror.resolve("HEAD~1"), Some(v1.clone()));
        let tree = dir.path().join("m/tree");
        mirror.write_tree(&head, &tree).expect("writes");
        assert!(tree.join("b").is_file() && tree.join("d/a").is_file());
        mirror.write_tree(&v1, &tree).expect("writes");
        assert!(!tree.join("b").exists() && tree.join("d/a").is_file());
        assert!(Mirror::clone("/no/such/repo", &dir.path().join("n")).is_err());
        assert!(!dir.path().join("n").exists());
    }
}
