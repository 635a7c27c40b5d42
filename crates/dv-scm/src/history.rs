//! Reading git history in process (gix): resolving revisions, the refs DVC's revision scopes
//! select (branches, tags, every commit, experiments), commit walks, and trees and blobs at a
//! commit. Tree listings are memoized by tree id, so reading the same directory at many commits
//! decodes it once.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

pub use gix::ObjectId;

/// A failure reading history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A revision git does not know (DVC: `unknown Git revision 'x'`).
    #[error("unknown Git revision '{0}'")]
    UnknownRevision(String),
    /// The repository could not be opened or read.
    #[error("{0}")]
    Git(String),
}

fn git_error(error: impl std::fmt::Display) -> HistoryError {
    HistoryError::Git(error.to_string())
}

/// What a tree entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeEntryKind {
    /// A file (blob), executable or not.
    Blob,
    /// A directory.
    Tree,
    /// A symbolic link.
    Link,
    /// A submodule.
    Commit,
}

/// One entry of a tree.
#[derive(Clone, Debug)]
pub struct TreeEntry {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: TreeEntryKind,
    /// Its object.
    pub id: ObjectId,
}

/// What is at a path of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEntry {
    /// A file, by blob id.
    Blob(ObjectId),
    /// A directory, by tree id.
    Tree(ObjectId),
    /// A link or a submodule.
    Other,
    /// Nothing.
    Missing,
}

/// An annotated tag: its name (without `refs/tags/`), the commit it points at, its tagger time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotatedTag {
    /// The tag's name.
    pub name: String,
    /// The commit the tag points at (peeled).
    pub target: ObjectId,
    /// When it was tagged, in seconds since the epoch.
    pub time: i64,
}

/// Who wrote a commit, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitAuthor {
    /// The author's name.
    pub name: String,
    /// The author's email.
    pub email: String,
    /// When it was authored, in seconds since the epoch.
    pub seconds: i64,
    /// The author's offset from UTC, in seconds.
    pub offset: i32,
}

/// A git repository opened for reading its history.
pub struct History {
    repo: gix::Repository,
    trees: RefCell<HashMap<ObjectId, Rc<Vec<TreeEntry>>>>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("History")
            .field("git_dir", &self.repo.git_dir())
            .finish()
    }
}

impl History {
    /// Opens the repository whose work tree (or git directory) is `dir`.
    pub fn open(dir: &Path) -> Result<History, HistoryError> {
        let mut repo = gix::open(dir).map_err(git_error)?;
        repo.object_cache_size_if_unset(64 << 20);
        Ok(History {
            repo,
            trees: RefCell::new(HashMap::new()),
        })
    }

    /// Whether the repository has no commit at HEAD yet.
    pub fn is_unborn(&self) -> bool {
        self.repo.head_id().is_err()
    }

    /// The commit `rev` names (a name, a hash, `HEAD~2`, an annotated tag peeled to its commit).
    pub fn resolve(&self, rev: &str) -> Result<ObjectId, HistoryError> {
        let unknown = || HistoryError::UnknownRevision(rev.to_owned());
        if rev.is_empty() || rev.starts_with('-') {
            return Err(unknown());
        }
        let id = self.repo.rev_parse_single(rev).map_err(|_| unknown())?;
        let commit = id
            .object()
            .map_err(|_| unknown())?
            .peel_to_commit()
            .map_err(|_| unknown())?;
        Ok(commit.id)
    }

    /// The name of the checked-out branch (`main`), `None` when HEAD is detached.
    pub fn active_branch(&self) -> Option<String> {
        let name = self.repo.head_name().ok()??;
        let full = name.as_bstr().to_string();
        full.strip_prefix("refs/heads/").map(str::to_owned)
    }

    /// Every ref under `prefix` (its name without the prefix) with the object it finally
    /// names (annotated tags peeled), sorted by name.
    pub fn names_under(&self, prefix: &str) -> Result<Vec<(String, ObjectId)>, HistoryError> {
        let platform = self.repo.references().map_err(git_error)?;
        let mut found = Vec::new();
        for reference in platform.prefixed(prefix).map_err(git_error)? {
            let mut reference = reference.map_err(git_error)?;
            let name = reference.name().as_bstr().to_string();
            let Ok(id) = reference.peel_to_id() else {
                continue;
            };
            let short = name.strip_prefix(prefix).unwrap_or(&name).to_owned();
            found.push((short, id.detach()));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    /// Local branch names, sorted.
    pub fn branches(&self) -> Result<Vec<String>, HistoryError> {
        Ok(self
            .names_under("refs/heads/")?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// Tag names, sorted.
    pub fn tags(&self) -> Result<Vec<String>, HistoryError> {
        Ok(self
            .names_under("refs/tags/")?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// Every annotated tag (lightweight tags left out), by name: the commit it points at and
    /// its tagger time (seconds since the epoch, 0 without a tagger).
    pub fn annotated_tags(&self) -> Result<Vec<AnnotatedTag>, HistoryError> {
        let platform = self.repo.references().map_err(git_error)?;
        let mut found = Vec::new();
        for reference in platform.prefixed("refs/tags/").map_err(git_error)? {
            let reference = reference.map_err(git_error)?;
            let Some(id) = reference.target().try_id().map(ToOwned::to_owned) else {
                continue;
            };
            let Ok(object) = self.repo.find_object(id) else {
                continue;
            };
            let Ok(tag) = object.try_into_tag() else {
                continue;
            };
            let time = tag
                .tagger()
                .ok()
                .flatten()
                .map_or(0, |tagger| tagger.seconds());
            let Some(target) = tag
                .target_id()
                .ok()
                .and_then(|target| self.commit_of(target.detach()))
            else {
                continue;
            };
            let name = reference.name().as_bstr().to_string();
            found.push(AnnotatedTag {
                name: name.strip_prefix("refs/tags/").unwrap_or(&name).to_owned(),
                target,
                time,
            });
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }

    /// The commit a peeled ref id points at, `None` when it is not a commit.
    fn commit_of(&self, id: ObjectId) -> Option<ObjectId> {
        let object = self.repo.find_object(id).ok()?;
        Some(object.peel_to_commit().ok()?.id)
    }

    /// Every commit reachable from HEAD, local branches, remote-tracking branches and tags
    /// (DVC's `-A`: experiments are not included), in DVC's order (see [`History::walk`]).
    pub fn all_commits(&self) -> Result<Vec<ObjectId>, HistoryError> {
        let mut tips = Vec::new();
        let head = self.repo.head_id().ok().map(|head| head.detach());
        tips.extend(head);
        for prefix in ["refs/heads/", "refs/tags/", "refs/remotes/"] {
            for (_, id) in self.names_under(prefix)? {
                if let Some(commit) = self.commit_of(id) {
                    tips.push(commit);
                }
            }
        }
        self.walk(tips, None)
    }

    /// The commits of every experiment (`refs/exps/...`, not DVC's internal refs), each from the
    /// experiment's tip back to, not including, its baseline.
    pub fn experiment_commits(&self) -> Result<Vec<ObjectId>, HistoryError> {
        let mut found = Vec::new();
        for (name, id) in self.names_under("refs/exps/")? {
            // refs/exps/<2>/<38>/<name>: the baseline is the 40 hex digits of the path.
            let parts: Vec<&str> = name.split('/').collect();
            let [head, tail, _exp] = parts[..] else {
                continue;
            };
            let baseline = ObjectId::from_hex(format!("{head}{tail}").as_bytes()).ok();
            let Some(tip) = self.commit_of(id) else {
                continue;
            };
            let walk = self
                .repo
                .rev_walk([tip])
                .with_hidden(baseline)
                .all()
                .map_err(git_error)?;
            for info in walk {
                let info = info.map_err(git_error)?;
                if !found.contains(&info.id) {
                    found.push(info.id);
                }
            }
        }
        Ok(found)
    }

    /// The commits reachable from `tips`, in the order DVC lists them for `-A` and `--date`
    /// (its git library's date-ordered walk): the newest commit time first, and among commits
    /// queued with equal time the smallest id first. Parents are queued only once a commit is
    /// taken, so a parent never comes before its child when times are equal. With `since`,
    /// commits older than it are left out.
    pub fn walk(
        &self,
        tips: Vec<ObjectId>,
        since: Option<i64>,
    ) -> Result<Vec<ObjectId>, HistoryError> {
        let mut queue: BinaryHeap<(i64, Reverse<ObjectId>)> = BinaryHeap::new();
        let mut queued: HashSet<ObjectId> = HashSet::new();
        let mut push = |id: ObjectId,
                        queue: &mut BinaryHeap<(i64, Reverse<ObjectId>)>|
         -> Result<(), HistoryError> {
            if queued.insert(id) {
                let time = self.commit_time(id)?;
                queue.push((time, Reverse(id)));
            }
            Ok(())
        };
        for tip in tips {
            push(tip, &mut queue)?;
        }
        // A shallow clone's boundary commits have no parents here, as for git.
        let shallow: HashSet<ObjectId> = self
            .repo
            .shallow_commits()
            .ok()
            .flatten()
            .map(|commits| commits.iter().copied().collect())
            .unwrap_or_default();
        let mut found = Vec::new();
        while let Some((time, Reverse(id))) = queue.pop() {
            if since.is_none_or(|since| time >= since) {
                found.push(id);
            }
            if shallow.contains(&id) {
                continue;
            }
            let commit = self.repo.find_commit(id).map_err(git_error)?;
            for parent in commit.parent_ids() {
                push(parent.detach(), &mut queue)?;
            }
        }
        Ok(found)
    }

    /// The commit time of `commit`, in seconds since the epoch.
    pub fn commit_time(&self, commit: ObjectId) -> Result<i64, HistoryError> {
        let commit = self.repo.find_commit(commit).map_err(git_error)?;
        Ok(commit.time().map_err(git_error)?.seconds)
    }

    /// The author of `commit`: name, email and authoring time (seconds since the epoch, and the
    /// offset from UTC in seconds).
    pub fn author(&self, commit: ObjectId) -> Result<CommitAuthor, HistoryError> {
        let commit = self.repo.find_commit(commit).map_err(git_error)?;
        let author = commit.author().map_err(git_error)?;
        let time = author.time().map_err(git_error)?;
        Ok(CommitAuthor {
            name: author.name.to_string(),
            email: author.email.to_string(),
            seconds: time.seconds,
            offset: time.offset,
        })
    }

    /// The root tree of `commit`.
    pub fn tree_of(&self, commit: ObjectId) -> Result<ObjectId, HistoryError> {
        let commit = self.repo.find_commit(commit).map_err(git_error)?;
        Ok(commit.tree_id().map_err(git_error)?.detach())
    }

    /// The entries of tree `tree` in git's order (memoized by tree id).
    pub fn list(&self, tree: ObjectId) -> Result<Rc<Vec<TreeEntry>>, HistoryError> {
        if let Some(entries) = self.trees.borrow().get(&tree) {
            return Ok(Rc::clone(entries));
        }
        let object = self.repo.find_tree(tree).map_err(git_error)?;
        let decoded = object.decode().map_err(git_error)?;
        let mut entries = Vec::with_capacity(decoded.entries.len());
        for entry in &decoded.entries {
            let Ok(name) = std::str::from_utf8(entry.filename) else {
                continue;
            };
            let mode = entry.mode;
            let kind = if mode.is_tree() {
                TreeEntryKind::Tree
            } else if mode.is_link() {
                TreeEntryKind::Link
            } else if mode.is_commit() {
                TreeEntryKind::Commit
            } else {
                TreeEntryKind::Blob
            };
            entries.push(TreeEntry {
                name: name.to_owned(),
                kind,
                id: entry.oid.to_owned(),
            });
        }
        let entries = Rc::new(entries);
        self.trees.borrow_mut().insert(tree, Rc::clone(&entries));
        Ok(entries)
    }

    /// What is at `path` (components joined by `/`, empty for the root) in tree `tree`.
    pub fn entry(&self, tree: ObjectId, path: &str) -> Result<PathEntry, HistoryError> {
        let mut current = PathEntry::Tree(tree);
        for part in path.split('/').filter(|part| !part.is_empty()) {
            let PathEntry::Tree(dir) = current else {
                return Ok(PathEntry::Missing);
            };
            let entries = self.list(dir)?;
            current = match entries.iter().find(|entry| entry.name == part) {
                None => PathEntry::Missing,
                Some(entry) => match entry.kind {
                    TreeEntryKind::Tree => PathEntry::Tree(entry.id),
                    TreeEntryKind::Blob => PathEntry::Blob(entry.id),
                    TreeEntryKind::Link | TreeEntryKind::Commit => PathEntry::Other,
                },
            };
        }
        Ok(current)
    }

    /// The size in bytes of object `id` as git stores it (a tree's size is its encoded
    /// entries', as DVC's git filesystem reports a directory's size).
    pub fn object_size(&self, id: ObjectId) -> Result<u64, HistoryError> {
        let header = self.repo.find_header(id).map_err(git_error)?;
        Ok(header.size())
    }

    /// The bytes of blob `blob`.
    pub fn blob(&self, blob: ObjectId) -> Result<Vec<u8>, HistoryError> {
        let mut object = self.repo.find_blob(blob).map_err(git_error)?;
        Ok(object.take_data())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }

    /// Commits of equal time come out smallest id first, as DVC lists them for `-A`; older
    /// commits after them.
    #[test]
    fn all_commits_in_dvc_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        let commit = |message: &str, date: &str| {
            std::fs::write(root.join("f"), message).expect("write");
            git(root, &["add", "f"]);
            let output = Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["-c", "user.name=t", "-c", "user.email=t@e"])
                .args(["commit", "-q", "-m", message])
                .env("GIT_COMMITTER_DATE", date)
                .env("GIT_AUTHOR_DATE", date)
                .output()
                .expect("git runs");
            assert!(output.status.success(), "{output:?}");
        };
        commit("base", "2024-01-01T00:00:00Z");
        for (branch, tagged) in [("zeta", false), ("alpha", true), ("mid", false)] {
            git(root, &["checkout", "-q", "-b", branch, "main"]);
            commit(branch, "2024-02-01T00:00:00Z");
            if tagged {
                git(root, &["tag", &format!("t-{branch}")]);
                git(root, &["checkout", "-q", "main"]);
                git(root, &["branch", "-D", branch]);
            }
        }
        git(root, &["checkout", "-q", "main"]);
        commit("head", "2024-02-01T00:00:00Z");
        let mut newest: Vec<String> = ["zeta", "t-alpha", "mid", "main"]
            .iter()
            .map(|name| git(root, &["rev-parse", &format!("{name}^{{commit}}")]))
            .collect();
        newest.sort();
        newest.push(git(root, &["rev-parse", "main~1"]));
        let expected = newest.join("\n");
        let history = History::open(root).expect("opens");
        let ours: Vec<String> = history
            .all_commits()
            .expect("walks")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ours.join("\n"), expected);
    }

    #[test]
    fn reads_revisions_refs_and_trees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        let history = History::open(root).expect("opens");
        assert!(history.is_unborn());
        std::fs::create_dir(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("sub/a.txt"), "one").expect("write");
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "one"]);
        std::fs::write(root.join("sub/a.txt"), "two").expect("write");
        git(root, &["commit", "-q", "-am", "two"]);
        git(root, &["tag", "-a", "v1", "-m", "v1"]);
        git(root, &["branch", "other", "HEAD~1"]);

        let history = History::open(root).expect("opens");
        let head = history.resolve("HEAD").expect("HEAD");
        assert_eq!(head.to_string(), git(root, &["rev-parse", "HEAD"]));
        assert_eq!(history.resolve("v1").expect("tag peels"), head);
        let first = history.resolve("HEAD~1").expect("parent");
        assert!(matches!(
            history.resolve("nope"),
            Err(HistoryError::UnknownRevision(_))
        ));
        assert_eq!(history.active_branch().as_deref(), Some("main"));
        assert_eq!(history.branches().expect("branches"), ["main", "other"]);
        assert_eq!(history.tags().expect("tags"), ["v1"]);
        // Commits made within one second tie in time: smallest id first, as DVC lists them.
        let mut expected = [head, first];
        if history.commit_time(head).expect("time") == history.commit_time(first).expect("time") {
            expected.sort();
        }
        assert_eq!(history.all_commits().expect("all"), expected);

        let tree = history.tree_of(first).expect("tree");
        let PathEntry::Blob(blob) = history.entry(tree, "sub/a.txt").expect("entry") else {
            panic!("a blob");
        };
        assert_eq!(history.blob(blob).expect("blob"), b"one");
        assert_eq!(history.object_size(blob).expect("size"), 3);
        let PathEntry::Tree(sub) = history.entry(tree, "sub").expect("entry") else {
            panic!("a tree");
        };
        // `100644 a.txt\0` and a 20-byte id.
        assert_eq!(history.object_size(sub).expect("size"), 13 + 20);
        assert_eq!(
            history.entry(tree, "sub/a.txt/x").expect("entry"),
            PathEntry::Missing
        );
        assert_eq!(history.list(tree).expect("list")[0].name, "sub");

        // Annotated tags only, peeled, with the tagger's time.
        git(root, &["tag", "light", "HEAD~1"]);
        let output = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["-c", "user.name=t", "-c", "user.email=t@e"])
            .args(["tag", "-a", "m#prod#1", "-m", "m", "HEAD~1"])
            .env("GIT_COMMITTER_DATE", "2024-02-01T00:00:00Z")
            .output()
            .expect("git runs");
        assert!(output.status.success(), "{output:?}");
        let history = History::open(root).expect("opens");
        let tags = history.annotated_tags().expect("tags");
        let names: Vec<&str> = tags.iter().map(|tag| tag.name.as_str()).collect();
        assert_eq!(names, ["m#prod#1", "v1"]);
        assert_eq!((tags[0].target, tags[0].time), (first, 1_706_745_600));
        assert_eq!(tags[1].target, head);
    }
}
