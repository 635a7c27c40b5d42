//! dv's experiment queue: a small local queue instead of DVC's Celery one. Each entry is a
//! JSON file under `.dvc/tmp/exps/dv-queue/` (dvc ignores it) plus the commit holding the
//! workspace it was queued from, kept alive by `refs/dv/queue/<id>` (outside `refs/exps/`, so
//! dvc never mistakes it for an experiment). Workers claim entries with an exclusive create,
//! so any number of them can run at once; a worker that died (`kill -9`) leaves an entry whose
//! process is gone, which reads as failed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::experiments::overrides::PathOverrides;

/// Where queue state lives, under the repository's `.dvc/tmp`.
pub fn queue_dir(tmp_dir: &Path) -> PathBuf {
    tmp_dir.join("exps").join("dv-queue")
}

/// The ref keeping an entry's workspace commit.
pub fn entry_ref(id: &str) -> String {
    format!("refs/dv/queue/{id}")
}

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for a worker.
    Queued,
    /// A worker runs it.
    Running,
    /// Its experiment was recorded.
    Success,
    /// It failed (or its worker died).
    Failed,
}

impl Status {
    /// As `queue status` shows it.
    pub fn shown(self) -> &'static str {
        match self {
            Status::Queued => "Queued",
            Status::Running => "Running",
            Status::Success => "Success",
            Status::Failed => "Failed",
        }
    }
}

/// One queued experiment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Its id (also the name of its files).
    pub id: String,
    /// The experiment's name.
    pub name: String,
    /// The baseline commit.
    pub baseline: String,
    /// The commit of the workspace it was queued from (tracked files).
    pub stash: String,
    /// `-S` overrides for it.
    pub overrides: PathOverrides,
    /// `repro` targets.
    pub targets: Vec<String>,
    /// `-m`.
    pub message: Option<String>,
    /// `-f`.
    pub force: bool,
    /// Untracked or ignored paths copied into its directory (`-C`).
    pub copy_paths: Vec<String>,
    /// When it was queued (seconds since the epoch).
    pub created: i64,
    /// Its state.
    pub status: Status,
    /// The process running it, while running.
    pub pid: Option<u32>,
    /// The host that process runs on (a cluster node for `queue start --executor slurm`):
    /// whether it still lives can only be told there.
    #[serde(default)]
    pub host: Option<String>,
    /// The experiment commit, once recorded.
    pub result: Option<String>,
}

/// The queue of one repository.
#[derive(Debug, Clone)]
pub struct Queue {
    dir: PathBuf,
}

/// Whether process `pid` of `host` may still run: on this host, whether it exists and is not
/// a zombie; on another host (a cluster node), it is taken to live.
pub fn alive_on(pid: u32, host: Option<&str>) -> bool {
    match host {
        Some(host) if crate::run_log::host().as_deref() != Some(host) => true,
        _ => alive(pid),
    }
}

/// Whether process `pid` exists and is not a zombie (Linux `/proc`).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

impl Queue {
    /// The queue under `tmp_dir` (`.dvc/tmp`).
    pub fn open(tmp_dir: &Path) -> Queue {
        Queue {
            dir: queue_dir(tmp_dir),
        }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Where an entry's output goes.
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.log"))
    }

    /// Writes `entry` (atomically).
    pub fn save(&self, entry: &Entry) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let text = serde_json::to_vec_pretty(entry)?;
        dv_fs::atomic::write_atomic(&self.entry_path(&entry.id), &text)?;
        Ok(())
    }

    /// Every entry, oldest first; a running entry whose process is gone reads as failed.
    pub fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return Ok(entries);
        };
        for item in listing {
            let path = item?.path();
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let Ok(text) = std::fs::read(&path) else {
                continue;
            };
            let Ok(mut entry) = serde_json::from_slice::<Entry>(&text) else {
                continue;
            };
            if entry.status == Status::Running
                && !entry
                    .pid
                    .is_some_and(|pid| alive_on(pid, entry.host.as_deref()))
            {
                entry.status = Status::Failed;
            }
            entries.push(entry);
        }
        entries.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(entries)
    }

    /// Claims a queued entry for this process: only one claimer wins. A claim left by a
    /// process that is gone (killed between claiming and starting) is taken over.
    pub fn claim(&self, id: &str) -> bool {
        use std::io::Write;
        let path = self.dir.join(format!("{id}.claim"));
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    let host = crate::run_log::host().unwrap_or_default();
                    let _ = write!(file, "{} {host}", std::process::id());
                    return true;
                }
                Err(_) => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut words = text.split_whitespace();
                    let holder = words.next().and_then(|pid| pid.parse::<u32>().ok());
                    let host = words.next();
                    // An empty claim is being written right now; a dead holder's is stale.
                    match holder {
                        Some(pid) if !alive_on(pid, host) => {
                            let _ = std::fs::remove_file(&path);
                        }
                        _ => return false,
                    }
                }
            }
        }
        false
    }

    /// Forgets an entry (its files and any clone a killed worker left; the caller deletes its
    /// ref).
    pub fn forget(&self, id: &str) {
        let _ = std::fs::remove_dir_all(self.dir.join(format!("run-{id}")));
        for suffix in ["json", "log", "claim"] {
            let _ = std::fs::remove_file(self.dir.join(format!("{id}.{suffix}")));
        }
    }

    /// Asks workers to take no new entries.
    pub fn request_stop(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        std::fs::write(self.dir.join("stop"), b"")?;
        Ok(())
    }

    /// Whether workers were asked to stop.
    pub fn stop_requested(&self) -> bool {
        self.dir.join("stop").exists()
    }

    /// Clears a stop request (a new worker starts).
    pub fn clear_stop(&self) {
        let _ = std::fs::remove_file(self.dir.join("stop"));
    }

    /// Registers this process as a worker until the guard is dropped.
    pub fn register_worker(&self) -> anyhow::Result<WorkerGuard> {
        let dir = self.dir.join("workers");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(std::process::id().to_string());
        std::fs::write(&path, b"")?;
        Ok(WorkerGuard { path })
    }

    /// Live workers: (pid, whether it runs an entry now).
    pub fn workers(&self) -> Vec<(u32, bool)> {
        let entries = self.entries().unwrap_or_default();
        let Ok(listing) = std::fs::read_dir(self.dir.join("workers")) else {
            return Vec::new();
        };
        let mut workers = Vec::new();
        for item in listing.flatten() {
            let Some(pid) = item
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if !alive(pid) {
                let _ = std::fs::remove_file(item.path());
                continue;
            }
            let busy = std::fs::read_to_string(item.path()).ok().is_some_and(|id| {
                entries
                    .iter()
                    .any(|e| e.id == id.trim() && e.status == Status::Running)
            });
            workers.push((pid, busy));
        }
        workers.sort_unstable();
        workers
    }
}

/// A worker's registration; removed when dropped.
pub struct WorkerGuard {
    path: PathBuf,
}

impl WorkerGuard {
    /// Records which entry the worker runs (empty: idle).
    pub fn running(&self, id: &str) {
        let _ = std::fs::write(&self.path, id.as_bytes());
    }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Sends `signal` (`INT`, `KILL`) to a process (`queue kill`, `queue stop --kill`).
pub fn signal(pid: u32, signal: &str) -> bool {
    std::process::Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
