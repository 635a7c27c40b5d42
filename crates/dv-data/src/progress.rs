//! [`Progress`]: counters that long data operations advance as they go, for a caller to poll
//! from another thread (the `dv` binary draws its progress bar from them). Advancing is a
//! relaxed atomic add, cheap enough for every file of a 100,000-file tree; nothing here draws
//! or prints.
//!
//! Work comes in [`Phase`]s, each with its own counters: an operation that alternates phases
//! (hash, store, link for each of several targets) keeps adding to the same totals instead of
//! starting over. The phase shown is the one most recently started.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// A kind of work a [`Progress`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Reading files to compute their hashes.
    Hashing,
    /// Storing files in the cache (hashing those the hash cache does not know on the way).
    Caching,
    /// Linking or copying files from the cache into the workspace.
    Linking,
    /// Asking a remote which objects it has, or listing them.
    Querying,
    /// Sending objects to a remote.
    Uploading,
    /// Receiving objects from a remote or from an import's source.
    Downloading,
    /// Deleting objects.
    Deleting,
}

impl Phase {
    const ALL: [Phase; 7] = [
        Phase::Hashing,
        Phase::Caching,
        Phase::Linking,
        Phase::Querying,
        Phase::Uploading,
        Phase::Downloading,
        Phase::Deleting,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Default)]
struct Counters {
    files: AtomicU64,
    files_total: AtomicU64,
    bytes: AtomicU64,
    bytes_total: AtomicU64,
}

/// Progress counters shared between the threads doing the work and one watching it.
///
/// A `Progress` nobody watches ([`Progress::default`]) costs the same atomic adds; callers may
/// skip work done only to improve the display (such as reading file sizes for a byte total)
/// when [`Progress::is_watched`] is false.
#[derive(Debug, Default)]
pub struct Progress {
    watched: bool,
    /// 0 before any phase started, else the index of the current phase + 1.
    current: AtomicU8,
    counters: [Counters; Phase::ALL.len()],
}

/// The counters of the current phase at one moment. Totals are 0 while unknown, and may grow
/// as more work of the phase is found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The phase most recently started, `None` before any.
    pub phase: Option<Phase>,
    /// Files (or objects) done.
    pub files: u64,
    /// Files (or objects) to do.
    pub files_total: u64,
    /// Bytes done.
    pub bytes: u64,
    /// Bytes to do.
    pub bytes_total: u64,
}

impl Progress {
    /// Counters a caller is going to display.
    pub fn watched() -> Self {
        Progress {
            watched: true,
            ..Progress::default()
        }
    }

    /// Whether anyone displays these counters.
    pub fn is_watched(&self) -> bool {
        self.watched
    }

    /// Starts (more) work of `phase`: makes it the phase shown and adds `files` and `bytes` to
    /// its totals (0 when not known).
    pub fn start(&self, phase: Phase, files: u64, bytes: u64) {
        let counters = &self.counters[phase.index()];
        if files > 0 {
            counters.files_total.fetch_add(files, Ordering::Relaxed);
        }
        if bytes > 0 {
            counters.bytes_total.fetch_add(bytes, Ordering::Relaxed);
        }
        self.current
            .store(phase.index() as u8 + 1, Ordering::Relaxed);
    }

    /// `files` more files (or objects) and `bytes` more bytes of `phase` are done.
    pub fn advance(&self, phase: Phase, files: u64, bytes: u64) {
        let counters = &self.counters[phase.index()];
        if files > 0 {
            counters.files.fetch_add(files, Ordering::Relaxed);
        }
        if bytes > 0 {
            counters.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// The current phase's counters.
    pub fn snapshot(&self) -> Snapshot {
        let current = self.current.load(Ordering::Relaxed);
        let Some(phase) = current
            .checked_sub(1)
            .and_then(|index| Phase::ALL.get(usize::from(index)))
            .copied()
        else {
            return Snapshot::default();
        };
        let counters = &self.counters[phase.index()];
        Snapshot {
            phase: Some(phase),
            files: counters.files.load(Ordering::Relaxed),
            files_total: counters.files_total.load(Ordering::Relaxed),
            bytes: counters.bytes.load(Ordering::Relaxed),
            bytes_total: counters.bytes_total.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_started_is_an_empty_snapshot() {
        assert_eq!(Progress::default().snapshot(), Snapshot::default());
    }

    #[test]
    fn phases_keep_their_own_counts() {
        let progress = Progress::watched();
        progress.start(Phase::Hashing, 3, 30);
        progress.advance(Phase::Hashing, 2, 20);
        progress.start(Phase::Linking, 3, 0);
        progress.advance(Phase::Linking, 1, 0);
        assert_eq!(
            progress.snapshot(),
            Snapshot {
                phase: Some(Phase::Linking),
                files: 1,
                files_total: 3,
                bytes: 0,
                bytes_total: 0,
            }
        );
        // Back to hashing (a second target): totals add up.
        progress.start(Phase::Hashing, 1, 5);
        progress.advance(Phase::Hashing, 2, 15);
        assert_eq!(
            progress.snapshot(),
            Snapshot {
                phase: Some(Phase::Hashing),
                files: 4,
                files_total: 4,
                bytes: 35,
                bytes_total: 35,
            }
        );
    }

    #[test]
    fn advancing_from_many_threads_loses_nothing() {
        let progress = Progress::watched();
        progress.start(Phase::Caching, 8000, 0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        progress.advance(Phase::Caching, 1, 3);
                    }
                });
            }
        });
        let snapshot = progress.snapshot();
        assert_eq!((snapshot.files, snapshot.bytes), (8000, 24000));
    }
}
