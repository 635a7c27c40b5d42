//! Ctrl-C while a stage's command runs (spec §9.2): DVC ignores the interrupt in its own
//! process for as long as the command runs, so the command decides — a Ctrl-C at the terminal
//! reaches it too, it dies, and the stage fails like any failing command. The binary's signal
//! handler asks [`Interrupts::take_deferred`] before exiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a command killed by SIGINT waits for the signal handler to see the same
/// interrupt (a terminal's Ctrl-C reaches dv and the command together; the handler runs on its
/// own thread, maybe after the command is gone).
const SETTLE: Duration = Duration::from_millis(500);

/// Whether an interrupt should be left to a running child process; shared between the signal
/// handler and the operations that run commands.
#[derive(Debug, Clone, Default)]
pub struct Interrupts {
    children: Arc<AtomicUsize>,
    deferred: Arc<AtomicUsize>,
}

impl Interrupts {
    /// Whether an interrupt arriving now is left to a running command (then it is counted as
    /// such): the signal handler's question.
    pub fn take_deferred(&self) -> bool {
        if self.children.load(Ordering::SeqCst) > 0 {
            self.deferred.fetch_add(1, Ordering::SeqCst);
            true
        } else {
            false
        }
    }

    /// Defers interrupts until the returned guard is settled or dropped.
    pub(crate) fn defer(&self) -> Deferral<'_> {
        self.children.fetch_add(1, Ordering::SeqCst);
        Deferral {
            interrupts: self,
            deferred_before: self.deferred.load(Ordering::SeqCst),
        }
    }
}

/// Interrupts are deferred while this lives.
pub(crate) struct Deferral<'a> {
    interrupts: &'a Interrupts,
    deferred_before: usize,
}

impl Deferral<'_> {
    /// Ends the deferral once the command finished. When it was killed by SIGINT, first waits
    /// (briefly) for the signal handler to have deferred that interrupt, so that the handler
    /// does not take it for one of dv's own.
    pub(crate) fn settle(self, killed_by_interrupt: bool) {
        if killed_by_interrupt {
            let deadline = Instant::now() + SETTLE;
            while self.interrupts.deferred.load(Ordering::SeqCst) == self.deferred_before
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

impl Deferral<'_> {
    /// Whether an interrupt arrived (and was left to this deferral) since it began.
    pub(crate) fn interrupted(&self) -> bool {
        self.interrupts.deferred.load(Ordering::SeqCst) != self.deferred_before
    }
}

impl Drop for Deferral<'_> {
    fn drop(&mut self) {
        self.interrupts.children.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_while_a_guard_lives() {
        let interrupts = Interrupts::default();
        let handler = interrupts.clone();
        assert!(!handler.take_deferred());
        {
            let running = interrupts.defer();
            assert!(handler.take_deferred());
            // the handler already saw the interrupt: no wait
            let started = Instant::now();
            running.settle(true);
            assert!(started.elapsed() < SETTLE);
        }
        assert!(!handler.take_deferred());
    }
}
