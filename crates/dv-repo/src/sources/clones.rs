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
//! bounded by hand: every entry can be deleted at any time (`rm -r <site cache>/dv-clones-*`),
//! and is cloned again when next needed.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use dv_schema::config::Table;
use dv_scm::mirror::{Mirror, ls_remote, resolve_advertised};

use crate::environment::Environment;
use crate::error::CommandError;

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

/// DVC's message for a source that cannot be cloned.
pub(crate) fn clone_error(url: &str, reason: &str) -> anyhow::Error {
    CommandError(format!("SCM error: Failed to clone repo '{url}': {reason}")).into()
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
    // A recorded commit already cloned needs no network.
    if let (Wanted::Locked(commit), Some(mirror)) = (&wanted, &existing)
        && mirror.has_commit(commit)
    {
        let clone = Clone {
            mirror: mirror.clone(),
            tree: entry.join("tree"),
            _lock: lock,
        };
        return Ok((clone, (*commit).to_owned()));
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
    let entry = clones_dir(&site)?.join(key(url));
    std::fs::create_dir_all(&entry)?;
    let lock = lock(&entry.join("lock"))?;
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
