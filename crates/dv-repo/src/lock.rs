//! The repository lock `.dvc/tmp/lock`, compatible with DVC's (spec §12.3): an exclusive
//! `flock` on the file, whose content becomes `" <pid>\n"`. DVC retries for about three
//! seconds before giving up; so does dv.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// DVC's message when the lock is held by another process.
pub const FAILED_TO_LOCK_MESSAGE: &str = "Unable to acquire lock. Most likely another DVC process is running or was terminated abruptly. Check the page <https://dvc.org/doc/user-guide/troubleshooting#lock-issue> for other possible reasons and to learn how to resolve this.";

/// How long [`RepoLock::acquire`] retries, in milliseconds (three seconds, as DVC).
static PATIENCE_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(3000);

/// Makes this process wait up to `patience` for the lock instead of three seconds: cluster
/// jobs of one run, which take it in turn for the short parts of their stages.
pub fn set_patience(patience: Duration) {
    PATIENCE_MS.store(
        patience.as_millis().try_into().unwrap_or(u64::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// Held while a command works on the repository; released on drop.
#[derive(Debug)]
pub struct RepoLock {
    _file: File,
}

/// The lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{FAILED_TO_LOCK_MESSAGE}")]
    Busy,
    /// The lock file, `.dvc/tmp` or `.dvc` is a symbolic link (a repository could point it at
    /// any file of the user's, which taking the lock would truncate).
    #[error("'{0}' is a symbolic link: dv does not write through links in '.dvc'")]
    Symlink(std::path::PathBuf),
    /// The lock file could not be opened.
    #[error("failed to open the lock file '{path}': {source}")]
    Io {
        /// The lock file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl RepoLock {
    /// Takes the lock at `path`, retrying for up to three seconds (see [`set_patience`]).
    pub fn acquire(path: &Path) -> Result<RepoLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        // `.dvc/tmp/lock`: neither `.dvc/tmp` nor `.dvc` may be a link.
        for dir in path.ancestors().skip(1).take(2) {
            if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(LockError::Symlink(dir.to_path_buf()));
            }
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|source| {
                if source.raw_os_error() == Some(libc::ELOOP) {
                    LockError::Symlink(path.to_path_buf())
                } else {
                    io(source)
                }
            })?;
        let patience = PATIENCE_MS.load(std::sync::atomic::Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_millis(patience);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Err(LockError::Busy),
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        file.set_len(0).map_err(io)?;
        writeln!(file, " {}", std::process::id()).map_err(io)?;
        Ok(RepoLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn second_lock_waits_then_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tmp/lock");
        let held = RepoLock::acquire(&path).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(' '));
        let started = Instant::now();
        assert!(matches!(RepoLock::acquire(&path), Err(LockError::Busy)));
        assert!(started.elapsed() >= Duration::from_secs(2));
        drop(held);
        RepoLock::acquire(&path).unwrap();
    }

    #[test]
    fn refuses_links_instead_of_truncating_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let tmp = dir.path().join(".dvc/tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        std::os::unix::fs::symlink(&victim, tmp.join("lock")).unwrap();
        assert!(matches!(
            RepoLock::acquire(&tmp.join("lock")),
            Err(LockError::Symlink(_))
        ));
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::remove_dir_all(&tmp).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &tmp).unwrap();
        assert!(matches!(
            RepoLock::acquire(&tmp.join("lock")),
            Err(LockError::Symlink(_))
        ));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!elsewhere.join("lock").exists());
    }
}
