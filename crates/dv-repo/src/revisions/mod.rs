//! Revisions: which commits a command looks at (DVC's revision scopes and their names), and
//! the files of the repository at each of them, read from git (gix) through the same
//! [`FileSource`] trait the working tree is read through.
//!
//! - here: [`Scope`] (`--rev`/`-n`, `-a`, `-T`, `-A`, `--all-experiments`, `--date`), [`select`]
//!   (DVC's brancher: `workspace` first, one entry per distinct commit named by every name
//!   that reached it), [`Revisions`] (the git history of a workspace, opened once);
//! - `tree`: a commit's tree as a [`FileSource`].

mod snapshot;
mod tree;
pub(crate) mod used;
pub(crate) mod values;

use std::path::Path;

use dv_pipeline::files::{FileSource, WorkingTree};
use dv_scm::history::{History, HistoryError, ObjectId};

pub(crate) use snapshot::{Snapshot, join};
pub use tree::TreeFiles;

use crate::error::DvcError;
use crate::workspace::Workspace;

/// Which revisions a command reads, as DVC's options select them.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `--rev` values (or positional revisions), in the order given.
    pub revs: Vec<String>,
    /// `-n`: how many first-parent commits from each of `revs` and branch tips (1 when 0 is
    /// not meant: the caller passes DVC's default of 1).
    pub num: usize,
    /// `-a`: every local branch tip.
    pub all_branches: bool,
    /// `-T`: every tag.
    pub all_tags: bool,
    /// `-A`: every commit reachable from HEAD, branches, remote branches and tags.
    pub all_commits: bool,
    /// `--all-experiments`: every experiment commit.
    pub all_experiments: bool,
    /// `--date YYYY-MM-DD`: every commit made on or after that day.
    pub date: Option<String>,
}

impl Scope {
    /// Whether any revision option is set (without one, only the workspace is read and it is
    /// named `""`, as DVC names it).
    pub fn is_set(&self) -> bool {
        !self.revs.is_empty()
            || self.all_branches
            || self.all_tags
            || self.all_commits
            || self.all_experiments
            || self.date.is_some()
    }
}

/// Where a revision's files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The working tree.
    Workspace,
    /// A commit.
    Commit(ObjectId),
}

/// One selected revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// DVC's name for it: `""` (no scope given), `workspace`, or the names that reached the
    /// commit joined by `,` (a full hash for `-A`).
    pub name: String,
    /// Where its files are.
    pub at: At,
}

/// The git history of a workspace, opened once for a command.
pub struct Revisions {
    history: Option<History>,
    /// The DVC repository's directory inside the git work tree (`""` at its root).
    prefix: String,
}

impl Revisions {
    /// The history of `workspace`'s git repository (none outside git).
    pub fn open(workspace: &Workspace) -> anyhow::Result<Revisions> {
        let Some(git) = workspace.git() else {
            return Ok(Revisions {
                history: None,
                prefix: String::new(),
            });
        };
        let history = History::open(git.root()).map_err(|error| {
            anyhow::anyhow!(
                "failed to open the git repository at '{}': {error}",
                git.root().display()
            )
        })?;
        let prefix = prefix_of(workspace.root(), git.root());
        Ok(Revisions {
            history: Some(history),
            prefix,
        })
    }

    /// The git history, if the workspace is in git.
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// Whether the repository has at least one commit.
    pub fn has_commits(&self) -> bool {
        self.history
            .as_ref()
            .is_some_and(|history| !history.is_unborn())
    }

    /// The files of the repository at `at`, with the working tree at `root`.
    pub fn files(&self, root: &Path, at: At) -> anyhow::Result<Box<dyn FileSource + '_>> {
        match at {
            At::Workspace => Ok(Box::new(WorkingTree::new(root))),
            At::Commit(commit) => {
                let history = self.history_or_fail()?;
                let tree = history.tree_of(commit).map_err(to_anyhow)?;
                Ok(Box::new(TreeFiles::new(history, tree, &self.prefix)))
            }
        }
    }

    /// Whether the commit holds the DVC repository (a `.dvc` directory at the prefix); DVC
    /// skips revisions that do not (commits before a subdirectory repository was made).
    pub fn holds_repo(&self, commit: ObjectId) -> anyhow::Result<bool> {
        let history = self.history_or_fail()?;
        let tree = history.tree_of(commit).map_err(to_anyhow)?;
        if self.prefix.is_empty() {
            return Ok(true);
        }
        Ok(matches!(
            history.entry(tree, &self.prefix).map_err(to_anyhow)?,
            dv_scm::history::PathEntry::Tree(_)
        ))
    }

    /// The commit `rev` names, with DVC's error when there is none.
    pub fn resolve(&self, rev: &str) -> anyhow::Result<ObjectId> {
        let Some(history) = &self.history else {
            return Err(DvcError(format!("unknown Git revision '{rev}'")).into());
        };
        history.resolve(rev).map_err(to_anyhow)
    }

    pub(crate) fn history_or_fail(&self) -> anyhow::Result<&History> {
        self.history
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("not a git repository"))
    }
}

/// A history error as DVC reports it (`unknown Git revision 'x'`).
pub(crate) fn to_anyhow(error: HistoryError) -> anyhow::Error {
    match error {
        HistoryError::UnknownRevision(_) => DvcError(error.to_string()).into(),
        HistoryError::Git(message) => anyhow::anyhow!(message),
    }
}

fn prefix_of(root: &Path, git_root: &Path) -> String {
    let canonical = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let (root, git_root) = (canonical(root), canonical(git_root));
    root.strip_prefix(&git_root)
        .map(|relative| {
            relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default()
}

/// The revisions `scope` selects, in DVC's order: the workspace first (named `workspace`, or
/// alone and named `""` when no scope is set; left out when `workspace` is false), then each
/// distinct commit once, named by the names that reached it joined with `,`.
pub fn select(
    revisions: &Revisions,
    scope: &Scope,
    workspace: bool,
) -> anyhow::Result<Vec<Revision>> {
    if !scope.is_set() {
        return Ok(vec![Revision {
            name: String::new(),
            at: At::Workspace,
        }]);
    }
    let mut selected = Vec::new();
    if workspace {
        selected.push(Revision {
            name: "workspace".to_owned(),
            at: At::Workspace,
        });
    }
    let named = named_commits(revisions, scope)?;
    // Group by commit, keeping the order commits were first reached and each name once.
    let mut grouped: Vec<(ObjectId, Vec<String>)> = Vec::new();
    for (name, id) in named {
        match grouped.iter_mut().find(|(known, _)| *known == id) {
            Some((_, names)) => {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            None => grouped.push((id, vec![name])),
        }
    }
    for (id, names) in grouped {
        if !revisions.holds_repo(id)? {
            continue;
        }
        selected.push(Revision {
            name: names.join(","),
            at: At::Commit(id),
        });
    }
    Ok(selected)
}

/// Every (name, commit) the scope reaches, in DVC's discovery order (`iter_revs`).
fn named_commits(revisions: &Revisions, scope: &Scope) -> anyhow::Result<Vec<(String, ObjectId)>> {
    let revs: Vec<&String> = scope
        .revs
        .iter()
        .filter(|rev| *rev != "workspace")
        .collect();
    if revs.is_empty()
        && !scope.all_branches
        && !scope.all_tags
        && !scope.all_commits
        && !scope.all_experiments
        && scope.date.is_none()
    {
        return Ok(Vec::new());
    }
    let history = revisions.history_or_fail()?;
    let mut named = Vec::new();
    let first_parents = |named: &mut Vec<(String, ObjectId)>, rev: &str| -> anyhow::Result<()> {
        if scope.num == 0 {
            return Ok(());
        }
        named.push((rev.to_owned(), history.resolve(rev).map_err(to_anyhow)?));
        for n in 1..scope.num {
            match history.resolve(&format!("{rev}~{n}")) {
                Ok(id) => named.push((id.to_string(), id)),
                Err(_) => break,
            }
        }
        Ok(())
    };
    for rev in revs {
        first_parents(&mut named, rev)?;
    }
    let hexed = |ids: Vec<ObjectId>| ids.into_iter().map(|id| (id.to_string(), id));
    if scope.all_commits {
        named.extend(hexed(history.all_commits().map_err(to_anyhow)?));
    } else {
        if scope.all_branches {
            for branch in history.branches().map_err(to_anyhow)? {
                first_parents(&mut named, &branch)?;
            }
        }
        if scope.all_tags {
            for tag in history.tags().map_err(to_anyhow)? {
                let id = history.resolve(&tag).map_err(to_anyhow)?;
                named.push((tag, id));
            }
        }
        if let Some(date) = &scope.date {
            let since = parse_date(date)?;
            let all = history.all_commits().map_err(to_anyhow)?;
            for id in all {
                if history.commit_time(id).map_err(to_anyhow)? >= since {
                    named.push((id.to_string(), id));
                }
            }
        }
    }
    if scope.all_experiments {
        named.extend(hexed(history.experiment_commits().map_err(to_anyhow)?));
    }
    Ok(named)
}

/// `YYYY-MM-DD` as seconds since the epoch at the start of that day (UTC).
fn parse_date(date: &str) -> anyhow::Result<i64> {
    let bad = || {
        DvcError(format!(
            "time data '{date}' does not match format '%Y-%m-%d'"
        ))
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts[..] else {
        return Err(bad().into());
    };
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<i64>(),
        month.parse::<i64>(),
        day.parse::<i64>(),
    ) else {
        return Err(bad().into());
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad().into());
    }
    let days = crate::clock::days_from_civil(year, month, day);
    Ok(days * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_since_the_epoch() {
        assert_eq!(parse_date("1970-01-01").expect("date"), 0);
        assert_eq!(parse_date("2000-03-01").expect("date"), 951_868_800);
        assert!(parse_date("2000-13-01").is_err());
        assert!(parse_date("yesterday").is_err());
    }
}
