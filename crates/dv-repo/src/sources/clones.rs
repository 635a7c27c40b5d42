//! The clone cache: one mirror clone per source repository URL, kept between commands so that
//! the second `import`/`get`/`ls`/`update` of a repository does not clone it again (DVC clones
//! on every call).
//!
//! Layout, under DVC's site cache directory (`$DVC_SITE_CACHE_DIR`, else `core.site_cache_dir`,
//! else `/var/tmp/dvc`):
//!
//! ```text
//! <site cache>/dv-clones-<uid>/        mode 0700, owned by the user (the site cache is shared)
//!   <md5 of the URL>/git/              bare mirror (`git clone --mirror`), refreshed by `git fetch`
//!   <md5 of the URL>/tree/             the files of the commit last read (`git read-tree -u`)
//!   <md5 of the URL>/lock              flock held while a process uses the clone
//! ```
//!
//! A mirror is fetched only when the asked revision is not in it: a full commit id that is
//! there needs no network at all; a branch, tag or `HEAD` is looked up with `git ls-remote`
//! (one round trip, no transfer) and fetched only when the source has moved. The cache is
//! bounded by count: when a new source is cloned and more than [`MAX_CLONES`] entries exist,
//! the least recently used ones no process holds are deleted. Every entry can also be deleted
//! by hand at any time (`rm -r <site cache>/dv-clones-*`); it is cloned again when next needed.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use dv_schema::config::Table;
use dv_scm::mirror::{Mirror, ls_remote, resolve_advertised};

use crate::environment::Environment;
use crate::error::CommandError;

/// The most source repositories the clone cache keeps.
pub const MAX_CLONES: usize = 32;

/// One source repository's entry in the clone cache, locked while held.
#[derive(Debug)]
pub(crate) struct Clone {
    pub(crate) mirror: Mirror,
    pub(crate) tree: PathBuf,
    _lock: File,
}

/// DVC's site cache directory.
pub(crate) fn site_cache_dir(environment: &Environment, config: Option<&Table>) -> PathBuf {
    if let Some(dir) = environment
        .var("DVC_SITE_CACHE_DIR")
        .filter(|d| !d.is_empty())
    {
        return PathBuf::from(dir);
    }
    if let Some(dir) = config
        .and_then(|c| c.table("core"))
        .and_then(|core| core.str("site_cache_dir"))
    {
        return PathBuf::from(dir);
    }
    PathBuf::from("/var/tmp/dvc")
}

/// The user's directory of clones, created `0700`; refused when someone else owns it or can
/// write to it (the site cache is shared between users).
fn clones_dir(site: &Path) -> anyhow::Result<PathBuf> {
    let uid = current_uid(site)?;
    let dir = site.join(format!("dv-clones-{uid}"));
    if let Err(error) = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
    {
        return Err(CommandError(format!(
            "failed to create the clone cache '{}': {error}",
            dir.display()
        ))
        .into());
    }
    let metadata = std::fs::symlink_metadata(&dir)?;
    if !metadata.is_dir() || metadata.uid() != uid || metadata.permissions().mode() & 0o022 != 0 {
        return Err(CommandError(format!(
            "refusing the clone cache '{}': it must be a directory owned by the user and \
             writable by nobody else",
            dir.display()
        ))
        .into());
    }
    Ok(dir)
}

/// Takes the entry's lock, waiting for another process using it (a clone can take minutes).
fn lock(path: &Path) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|error| {
            CommandError(format!(
                "failed to open the lock '{}': {error}",
                path.display()
            ))
        })?;
    file.lock()
        .map_err(|error| CommandError(format!("failed to lock '{}': {error}", path.display())))?;
    Ok(file)
}

/// The user's id: the owner of a file this process creates in `site`.
fn current_uid(site: &Path) -> anyhow::Result<u32> {
    std::fs::create_dir_all(site).map_err(|error| {
        CommandError(format!(
            "failed to create the site cache '{}': {error}",
            site.display()
        ))
    })?;
    let probe = site.join(format!(".dv-uid-{}", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(|error| {
            CommandError(format!("failed to write in '{}': {error}", site.display()))
        })?;
    let uid = file.metadata()?.uid();
    drop(file);
    let _ = std::fs::remove_file(&probe);
    Ok(uid)
}

/// What a source repository's clone was asked for.
pub(crate) enum Wanted<'a> {
    /// A revision as the user wrote it (`None`: the source's `HEAD`).
    Rev(Option<&'a str>),
    /// A commit recorded before (`rev_lock`): no network when the mirror has it.
    Locked(&'a str),
}

/// A source that cannot be cloned or reached (DVC reports it without naming the path asked
/// for: `failed to get 'x' - SCM error: ...`).
#[derive(Debug, thiserror::Error)]
#[error("SCM error: Failed to clone repo '{url}': {reason}")]
pub struct CloneFailed {
    /// The URL as given.
    pub url: String,
    /// What git said.
    pub reason: String,
}

/// DVC's message for a source that cannot be cloned.
pub(crate) fn clone_error(url: &str, reason: &str) -> anyhow::Error {
    let reason = if !url.contains("://") && !url.contains(':') {
        // A local path: DVC's words for one that is not a git repository.
        format!("No git repository was found at {url}")
    } else {
        reason.to_owned()
    };
    CloneFailed {
        url: url.to_owned(),
        reason,
    }
    .into()
}

/// DVC's message for a revision the source does not have.
pub(crate) fn unknown_revision(rev: &str) -> anyhow::Error {
    CommandError(format!("unknown Git revision '{rev}'")).into()
}

/// Opens (cloning or fetching as needed) the clone of `url` and returns it locked, with the
/// commit `wanted` names.
pub(crate) fn open(
    environment: &Environment,
    config: Option<&Table>,
    url: &str,
    wanted: Wanted<'_>,
) -> anyhow::Result<(Clone, String)> {
    let (entry, lock) = enter(environment, config, url)?;
    let git_dir = entry.join("git");
    let existing = Mirror::open(&git_dir);
    // A recorded commit (or a full commit id asked for) already cloned needs no network.
    let pinned = match &wanted {
        Wanted::Locked(commit) => Some(*commit),
        Wanted::Rev(Some(rev)) if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(*rev)
        }
        Wanted::Rev(_) => None,
    };
    if let (Some(commit), Some(mirror)) = (pinned, &existing)
        && mirror.has_commit(commit)
    {
        let clone = Clone {
            mirror: mirror.clone(),
            tree: entry.join("tree"),
            _lock: lock,
        };
        return Ok((clone, commit.to_ascii_lowercase()));
    }
    let advertised = ls_remote(url).map_err(|error| clone_error(url, &reason(error)))?;
    let (target, shown) = match wanted {
        Wanted::Rev(None) => (resolve_advertised(&advertised, "HEAD"), "HEAD"),
        Wanted::Rev(Some(rev)) => (resolve_advertised(&advertised, rev), rev),
        Wanted::Locked(commit) => (Some(commit.to_owned()), commit),
    };
    let mirror = match existing {
        Some(mirror) => {
            let current = target.as_deref().is_some_and(|id| mirror.has_commit(id));
            if !current {
                mirror
                    .fetch(url)
                    .map_err(|error| clone_error(url, &reason(error)))?;
            }
            mirror
        }
        None => Mirror::clone(url, &git_dir).map_err(|error| clone_error(url, &reason(error)))?,
    };
    let commit = match target {
        Some(id) if mirror.has_commit(&id) => id,
        Some(_) => return Err(unknown_revision(shown)),
        None => mirror
            .resolve(shown)
            .ok_or_else(|| unknown_revision(shown))?,
    };
    Ok((
        Clone {
            mirror,
            tree: entry.join("tree"),
            _lock: lock,
        },
        commit,
    ))
}

/// Deletes the least recently used entries beyond [`MAX_CLONES`] (never `keep`, never one
/// another process holds).
fn prune(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut used: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && path != keep)
        .map(|path| {
            let time = std::fs::metadata(path.join("lock"))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
            (time, path)
        })
        .collect();
    if used.len() < MAX_CLONES {
        return;
    }
    used.sort();
    let mut excess = used.len() + 1 - MAX_CLONES;
    for (_, path) in used {
        if excess == 0 {
            break;
        }
        let Ok(file) = OpenOptions::new().write(true).open(path.join("lock")) else {
            continue;
        };
        if file.try_lock().is_ok() && std::fs::remove_dir_all(&path).is_ok() {
            excess -= 1;
        }
    }
}

/// The clone of `url` with every tag as the source has it now (a model registry's tags),
/// locked: fetched when a tag was added, moved or deleted since the last fetch.
pub(crate) fn open_with_tags(
    environment: &Environment,
    config: Option<&Table>,
    url: &str,
) -> anyhow::Result<Clone> {
    let (entry, lock) = enter(environment, config, url)?;
    let git_dir = entry.join("git");
    let advertised = ls_remote(url).map_err(|error| clone_error(url, &reason(error)))?;
    let mirror = match Mirror::open(&git_dir) {
        Some(mirror) => {
            if !same_tags(&mirror, &advertised) {
                mirror
                    .fetch(url)
                    .map_err(|error| clone_error(url, &reason(error)))?;
            }
            mirror
        }
        None => Mirror::clone(url, &git_dir).map_err(|error| clone_error(url, &reason(error)))?,
    };
    Ok(Clone {
        mirror,
        tree: entry.join("tree"),
        _lock: lock,
    })
}

/// The entry of `url` in the clone cache, created, and its lock.
fn enter(
    environment: &Environment,
    config: Option<&Table>,
    url: &str,
) -> anyhow::Result<(PathBuf, File)> {
    let site = site_cache_dir(environment, config);
    let dir = clones_dir(&site)?;
    let entry = dir.join(key(url));
    let new = !entry.exists();
    std::fs::create_dir_all(&entry)?;
    let lock = lock(&entry.join("lock"))?;
    // The lock file's time says when the entry was last used.
    let _ = lock.set_modified(std::time::SystemTime::now());
    if new {
        prune(&dir, &entry);
    }
    Ok((entry, lock))
}

/// What git said, without the command's name.
fn reason(error: dv_scm::ScmError) -> String {
    match error {
        dv_scm::ScmError::Git { message, .. } => message,
        other => other.to_string(),
    }
}

/// Whether the mirror's tags are the ones `advertised` (names and tag objects).
fn same_tags(mirror: &Mirror, advertised: &[(String, String)]) -> bool {
    let mut theirs: Vec<&(String, String)> = advertised
        .iter()
        .filter(|(name, _)| name.starts_with("refs/tags/") && !name.ends_with("^{}"))
        .collect();
    theirs.sort();
    let Ok(mut ours) = mirror.refs("refs/tags/") else {
        return false;
    };
    ours.sort();
    theirs.len() == ours.len() && theirs.iter().zip(&ours).all(|(a, b)| *a == b)
}

/// The entry name of `url`: the MD5 of the URL as written.
fn key(url: &str) -> String {
    dv_data::hashing::hash_bytes(url.as_bytes(), dv_schema::hash::HashName::Md5).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prunes_the_least_recently_used_entries_no_one_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let time = |n: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(1000 + n);
        for n in 0..MAX_CLONES + 2 {
            let entry = dir.path().join(format!("e{n:02}"));
            std::fs::create_dir(&entry).expect("mkdir");
            let file = File::create(entry.join("lock")).expect("lock");
            file.set_modified(time(n as u64)).expect("time");
        }
        // The oldest is in use by another process.
        let held = File::open(dir.path().join("e00/lock")).expect("open");
        held.lock().expect("lock");
        let keep = dir.path().join("new");
        std::fs::create_dir(&keep).expect("mkdir");
        prune(dir.path(), &keep);
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(left.contains(&"e00".to_owned()) && left.contains(&"new".to_owned()));
        assert!(!left.contains(&"e01".to_owned()) && !left.contains(&"e02".to_owned()));
        assert!(!left.contains(&"e03".to_owned()) && left.contains(&"e04".to_owned()));
        assert_eq!(left.len(), MAX_CLONES);
    }

    #[test]
    fn refuses_a_clone_cache_others_can_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let made = clones_dir(dir.path()).expect("made");
        assert_eq!(
            std::fs::metadata(&made).expect("stat").permissions().mode() & 0o777,
            0o700
        );
        std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(clones_dir(dir.path()).is_err());
    }
}
