//! The tokio runtime that network backends (S3 remotes, [`ExternalFs`](crate::ExternalFs))
//! create on first use, and batches of per-item async tasks on it: `jobs` tasks take items in
//! turn, their progress events reach the caller's [`TransferProgress`] on the calling thread
//! (gathered, as `batch` does for threads, so that small objects do not wake that thread one by
//! one), and a remote-wide failure makes the remaining items fail without being tried.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::batch::{Collector, Event, REPORT_BYTES, REPORT_INTERVAL, REPORT_ITEMS, Stop};
use crate::error::{RemoteError, RemoteLabel};
use crate::progress::TransferProgress;

/// Creates the runtime in `cell` on first use.
pub(crate) fn start_runtime<'a>(
    cell: &'a OnceLock<Runtime>,
    label: &RemoteLabel,
) -> Result<&'a Runtime, RemoteError> {
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("dv-remote")
        .build()
        .map_err(|source| RemoteError::Io {
            remote: label.clone(),
            action: "start the network runtime",
            path: PathBuf::new(),
            source,
        })?;
    Ok(cell.get_or_init(|| runtime))
}

/// Reports bytes of one item from a task, and gives it the state of its batch. Small amounts
/// are kept until they add up or the item ends.
pub(crate) struct TaskReporter<R = ()> {
    item: usize,
    sender: mpsc::UnboundedSender<Event<R>>,
    stop: Arc<Stop>,
    /// Bytes not yet sent; shared with the task, which sends the rest with the item's end.
    pending: Arc<AtomicU64>,
}

impl<R> Clone for TaskReporter<R> {
    fn clone(&self) -> Self {
        TaskReporter {
            item: self.item,
            sender: self.sender.clone(),
            stop: Arc::clone(&self.stop),
            pending: Arc::clone(&self.pending),
        }
    }
}

impl<R> TaskReporter<R> {
    /// The batch this item belongs to.
    pub(crate) fn batch(&self) -> &Stop {
        &self.stop
    }

    /// `bytes` more bytes of this item were transferred.
    pub(crate) fn transferred(&self, bytes: u64) {
        let pending = self.pending.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if pending >= REPORT_BYTES {
            let pending = self.pending.swap(0, Ordering::Relaxed);
            // The receiver outlives every task; a failed send only means nobody listens.
            let _ = self.sender.send(Event::Transferred(self.item, pending));
        }
    }
}

/// Runs `work` on every item with `jobs` tasks on the runtime in `cell` (started if needed),
/// delivering events to `progress` on the calling thread; the per-item results in item order.
pub(crate) fn run_tasks<T, R, F, Fut>(
    cell: &OnceLock<Runtime>,
    label: &RemoteLabel,
    items: Vec<T>,
    jobs: usize,
    progress: &mut dyn TransferProgress,
    work: F,
) -> Vec<Result<R, RemoteError>>
where
    T: Clone + Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(T, TaskReporter<R>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, RemoteError>> + Send + 'static,
{
    let count = items.len();
    let mut collector = Collector::new(count, progress);
    if count == 0 {
        return collector.finish(label);
    }
    let runtime = match start_runtime(cell, label) {
        Ok(runtime) => runtime,
        Err(error) => {
            let detail = error.to_string();
            return (0..count)
                .map(|_| {
                    Err(RemoteError::Storage {
                        remote: label.clone(),
                        action: "transfer",
                        object: String::new(),
                        detail: detail.clone(),
                    })
                })
                .collect();
        }
    };
    let items = Arc::new(items);
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(Stop::default());
    let (sender, mut receiver) = mpsc::unbounded_channel();
    runtime.block_on(async {
        for _ in 0..jobs.clamp(1, count) {
            let (items, work, next, stop) = (
                Arc::clone(&items),
                Arc::clone(&work),
                Arc::clone(&next),
                Arc::clone(&stop),
            );
            let sender = sender.clone();
            tokio::spawn(async move {
                let pending = Arc::new(AtomicU64::new(0));
                let mut done = Vec::new();
                let mut last_sent = Instant::now();
                loop {
                    let item = next.fetch_add(1, Ordering::Relaxed);
                    let Some(value) = items.get(item) else {
                        break;
                    };
                    let result = match stop.check() {
                        Some(fatal) => Err(fatal),
                        None => {
                            let reporter = TaskReporter {
                                item,
                                sender: sender.clone(),
                                stop: Arc::clone(&stop),
                                pending: Arc::clone(&pending),
                            };
                            work(value.clone(), reporter).await
                        }
                    };
                    if let Err(error) = &result {
                        stop.record(error);
                    }
                    done.push((item, pending.swap(0, Ordering::Relaxed), result));
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
        while let Some(event) = receiver.recv().await {
            collector.handle(event);
        }
    });
    collector.finish(label)
}
