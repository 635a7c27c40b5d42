//! The repository lock `.dvc/tmp/lock`, compatible with DVC's (spec §12.3): an exclusive
//! `flock` on the file, whose content becomes `" <pid>\n"`. DVC retries for about three
//! seconds before giving up; so does dv.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// DVC's message when the lock is held by another process.
pub const FAILED_TO_LOCK_MESSAGE: &str = "Unable to acquire lock. Most likely another DVC process is running or was terminated abruptly. Check the page <https://dvc.org/doc/user-guide/troubleshooting#lock-issue> for other possible reasons and to learn how to resolve this.";

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
    /// Takes the lock at `path`, retrying for up to three seconds.
    pub fn acquire(path: &Path) -> Result<RepoLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let deadline = Instant::now() + Duration::from_secs(3);
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
}
