//! Running a batch of per-object operations with bounded concurrency: the events workers send to
//! the calling thread, their collection into per-item results, the stop that turns a remote-wide
//! failure (bad credentials, missing bucket, unreachable endpoint) into an immediate failure of
//! every remaining item, and the thread pool used for local-directory remotes.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use crate::error::{RemoteError, RemoteLabel};
use crate::progress::TransferProgress;

/// What a transfer worker tells the calling thread; `T` is what a finished item yields.
pub(crate) enum Event<T = ()> {
    /// More bytes of item `.0` were transferred.
    Transferred(usize, u64),
    /// These items are done, each with its bytes not yet reported by `Transferred`.
    FinishedMany(Vec<(usize, u64, Result<T, RemoteError>)>),
}

/// Collects the events of a batch into per-item results, forwarding them to the caller's
/// [`TransferProgress`].
pub(crate) struct Collector<'a, T = ()> {
    progress: &'a mut dyn TransferProgress,
    results: Vec<Option<Result<T, RemoteError>>>,
}

impl<'a, T> Collector<'a, T> {
    pub(crate) fn new(count: usize, progress: &'a mut dyn TransferProgress) -> Self {
        Collector {
            progress,
            results: (0..count).map(|_| None).collect(),
        }
    }

    pub(crate) fn handle(&mut self, event: Event<T>) {
        match event {
            Event::Transferred(item, bytes) => self.progress.transferred(item, bytes),
            Event::FinishedMany(items) => {
                for (item, bytes, result) in items {
                    if bytes > 0 {
                        self.progress.transferred(item, bytes);
                    }
                    self.finished(item, result);
                }
            }
        }
    }

    fn finished(&mut self, item: usize, result: Result<T, RemoteError>) {
        self.progress.finished(item, result.as_ref().map(|_| ()));
        if let Some(slot) = self.results.get_mut(item) {
            *slot = Some(result);
        }
    }

    /// The results in item order; an item whose worker died without reporting fails.
    pub(crate) fn finish(self, label: &RemoteLabel) -> Vec<Result<T, RemoteError>> {
        self.results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(RemoteError::Storage {
                        remote: label.clone(),
                        action: "transfer",
                        object: String::new(),
                        detail: "the transfer worker stopped unexpectedly".to_owned(),
                    })
                })
            })
            .collect()
    }
}

/// Remembers the first remote-wide failure of a batch so that the remaining items fail fast
/// with the same error instead of each waiting for its own retries; or, for backends that
/// count an unusable remote as "not there" (dvc-http), that the batch gave up asking.
#[derive(Default)]
pub(crate) struct Stop {
    fatal: Mutex<Option<RemoteError>>,
    gave_up: AtomicBool,
}

impl Stop {
    /// Records that the rest of the batch need not ask the remote anything.
    pub(crate) fn give_up(&self) {
        self.gave_up.store(true, Ordering::Relaxed);
    }

    /// Whether [`give_up`](Self::give_up) was called.
    pub(crate) fn given_up(&self) -> bool {
        self.gave_up.load(Ordering::Relaxed)
    }

    /// Records `error` if it concerns the whole remote.
    pub(crate) fn record(&self, error: &RemoteError) {
        if let Some(copy) = copy_fatal(error) {
            let mut fatal = self.fatal.lock().unwrap_or_else(PoisonError::into_inner);
            fatal.get_or_insert(copy);
        }
    }

    /// A copy of the recorded failure, if any.
    pub(crate) fn check(&self) -> Option<RemoteError> {
        let fatal = self.fatal.lock().unwrap_or_else(PoisonError::into_inner);
        fatal.as_ref().and_then(copy_fatal)
    }
}

/// A copy of a remote-wide error (those hold only strings), `None` for any other.
fn copy_fatal(error: &RemoteError) -> Option<RemoteError> {
    match error {
        RemoteError::Credentials { remote, detail } => Some(RemoteError::Credentials {
            remote: remote.clone(),
            detail: detail.clone(),
        }),
        RemoteError::MissingBucket { remote, bucket } => Some(RemoteError::MissingBucket {
            remote: remote.clone(),
            bucket: bucket.clone(),
        }),
        RemoteError::Unreachable {
            remote,
            endpoint,
            detail,
        } => Some(RemoteError::Unreachable {
            remote: remote.clone(),
            endpoint: endpoint.clone(),
            detail: detail.clone(),
        }),
        _ => None,
    }
}

/// Bytes of one item reported to the calling thread at once, at least (fewer are kept and sent
/// with the item's end).
pub(crate) const REPORT_BYTES: u64 = 1 << 20;
/// Finished items a worker sends together, at most.
pub(crate) const REPORT_ITEMS: usize = 64;
/// How long a worker keeps finished items before sending them, at most.
pub(crate) const REPORT_INTERVAL: Duration = Duration::from_millis(50);

/// Reports bytes of one item from a worker thread. Small amounts are kept until they add up
/// or the item ends, so that a batch of small objects does not wake the calling thread for
/// each one.
pub(crate) struct ThreadReporter<'a, R = ()> {
    item: usize,
    sender: &'a mpsc::Sender<Event<R>>,
    pending: Cell<u64>,
}

impl<R> ThreadReporter<'_, R> {
    pub(crate) fn transferred(&self, bytes: u64) {
        let pending = self.pending.get() + bytes;
        if pending >= REPORT_BYTES {
            self.pending.set(0);
            // The receiver outlives every worker; a failed send only means nobody listens.
            let _ = self.sender.send(Event::Transferred(self.item, pending));
        } else {
            self.pending.set(pending);
        }
    }
}

/// Runs `work` on every item on `jobs` threads, delivering events to `progress` on the calling
/// thread, and returns the per-item results in item order.
pub(crate) fn run_threads<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    label: &RemoteLabel,
    progress: &mut dyn TransferProgress,
    work: impl Fn(&T, &ThreadReporter<'_, R>) -> Result<R, RemoteError> + Sync,
) -> Vec<Result<R, RemoteError>> {
    let mut collector = Collector::new(items.len(), progress);
    let next = AtomicUsize::new(0);
    let stop = Stop::default();
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            let sender = sender.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                let mut done = Vec::new();
                let mut last_sent = Instant::now();
                loop {
                    let item = next.fetch_add(1, Ordering::Relaxed);
                    let Some(value) = items.get(item) else {
                        break;
                    };
                    let reporter = ThreadReporter {
                        item,
                        sender: &sender,
                        pending: Cell::new(0),
                    };
                    let result = match stop.check() {
                        Some(fatal) => Err(fatal),
                        None => work(value, &reporter),
                    };
                    if let Err(error) = &result {
                        stop.record(error);
                    }
                    done.push((item, reporter.pending.get(), result));
                    if done.len() >= REPORT_ITEMS || last_sent.elapsed() >= REPORT_INTERVAL {
                        let _ = sender.send(Event::FinishedMany(std::mem::take(&mut done)));
                        last_sent = Instant::now();
                    }
                }
                if !done.is_empty() {
                    let _ = sender.send(Event::FinishedMany(done));
                }
            });
        }
        drop(sender);
        for event in receiver {
            collector.handle(event);
        }
    });
    collector.finish(label)
}
