//! `exp run --queue`, `exp run --run-all`/`--temp`, `queue start/status/logs/remove/kill/stop`:
//! experiments run outside the workspace, each in its own temporary clone under
//! `.dvc/tmp/exps/` sharing the repository's cache, any number at once. A clone is made with
//! `git clone --shared` (objects borrowed, nothing copied), its outputs checked out from the
//! shared cache, then `dv exp run` runs there; on success the experiment ref is fetched back
//! into the repository (an atomic ref update: a killed run leaves no ref) and the clone is
//! removed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use dv_data::progress::Progress;

use crate::environment::Environment;
use crate::error::DvcError;
use crate::experiments::names::random_name;
use crate::experiments::overrides::{self, PathOverrides};
use crate::experiments::queue::{Entry, Queue, Status, entry_ref, signal};
use crate::experiments::refs::ExpRef;
use crate::ops::checkout::{CheckoutOptions, checkout_available};
use crate::workspace::Workspace;

use super::manage::git_of;
use super::run::{baseline, new_name};

/// What `exp run --queue` queues.
#[derive(Debug, Clone, Default)]
pub struct QueueRequest {
    /// `-S` values (a sweep queues one entry per combination).
    pub set_params: Vec<String>,
    /// `-n` (a sweep's entries get `-1`, `-2`, ...).
    pub name: Option<String>,
    /// `repro` targets.
    pub targets: Vec<String>,
    /// `-m`.
    pub message: Option<String>,
    /// `-f`.
    pub force: bool,
    /// `-C`.
    pub copy_paths: Vec<String>,
}

/// One entry queued.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The entry.
    pub entry: Entry,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

/// A new entry id: microseconds since the epoch then random digits, so ids sort in the order
/// entries were queued.
fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_micros())
        .unwrap_or_default();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(micros);
    hasher.write_u32(std::process::id());
    format!("{micros:014x}{:04x}", hasher.finish() & 0xffff)
}

/// The queue of `workspace`.
pub fn queue_of(workspace: &Workspace) -> Queue {
    Queue::open(&workspace.repo().tmp_dir())
}

/// Queues one experiment per combination of the overrides.
pub fn enqueue(workspace: &Workspace, request: &QueueRequest) -> anyhow::Result<Vec<Queued>> {
    let git = git_of(workspace)?;
    let baseline = baseline(workspace)?;
    let grouped = overrides::by_path(&request.set_params);
    let sweep = overrides::is_sweep(&grouped);
    let combos: Vec<PathOverrides> = if sweep {
        overrides::expand_sweeps(&grouped)
    } else {
        vec![grouped]
    };
    let queue = queue_of(workspace);
    let pending: Vec<String> = queue
        .entries()?
        .into_iter()
        .filter(|entry| matches!(entry.status, Status::Queued | Status::Running))
        .map(|entry| entry.name)
        .collect();
    // The workspace's tracked files as they are now, on top of the baseline.
    let stash = git.commit_work_tree(&baseline, &[], "dv: queued experiment workspace")?;
    let mut queued = Vec::new();
    let mut taken: Vec<String> = pending;
    for (index, combo) in combos.into_iter().enumerate() {
        let name = match &request.name {
            Some(name) if sweep => new_name(
                workspace,
                &baseline,
                Some(&format!("{name}-{}", index + 1)),
                request.force,
            )?,
            Some(name) => new_name(workspace, &baseline, Some(name), request.force)?,
            None => random_name(|candidate| {
                taken.iter().any(|known| known == candidate)
                    || git
                        .resolve_commit(&ExpRef::new(&baseline, candidate).full())
                        .is_some()
            }),
        };
        taken.push(name.clone());
        let entry = Entry {
            id: new_id(),
            name,
            baseline: baseline.clone(),
            stash: stash.clone(),
            overrides: combo,
            targets: request.targets.clone(),
            message: request.message.clone(),
            force: request.force,
            copy_paths: request.copy_paths.clone(),
            created: now(),
            status: Status::Queued,
            pid: None,
            host: None,
            result: None,
        };
        git.update_ref(
            &entry_ref(&entry.id),
            &stash,
            Some(""),
            "dv: queue experiment",
        )?;
        queue.save(&entry)?;
        queued.push(Queued { entry });
    }
    Ok(queued)
}

/// How one queued experiment ended.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The entry, with its final status.
    pub entry: Entry,
    /// What its run printed.
    pub log: String,
}

/// What [`run_queued`] runs.
#[derive(Debug, Clone)]
pub struct RunQueued {
    /// The `dv` executable that runs each experiment.
    pub executable: PathBuf,
    /// How many run at once.
    pub jobs: usize,
    /// Only these entries (ids); every queued one when empty.
    pub only: Vec<String>,
    /// Keep taking entries queued while running (a background worker).
    pub keep_taking: bool,
}

/// Runs queued experiments, `jobs` at a time, each in its own clone; returns how each ended.
pub fn run_queued(
    workspace: &Workspace,
    options: &RunQueued,
    finished: &(dyn Fn(&Finished) + Sync),
) -> anyhow::Result<Vec<Finished>> {
    let queue = queue_of(workspace);
    queue.clear_stop();
    let worker = queue.register_worker()?;
    let results: Mutex<Vec<Finished>> = Mutex::new(Vec::new());
    let next = || -> Option<Entry> {
        if queue.stop_requested() {
            return None;
        }
        let entries = queue.entries().ok()?;
        entries.into_iter().find(|entry| {
            entry.status == Status::Queued
                && (options.only.is_empty() || options.only.contains(&entry.id))
                && queue.claim(&entry.id)
        })
    };
    let next = Mutex::new(next);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let entry = { (next.lock().expect("queue lock"))() };
                    let Some(entry) = entry else {
                        if options.keep_taking && !queue.stop_requested() {
                            std::thread::sleep(std::time::Duration::from_millis(500));
                            continue;
                        }
                        break;
                    };
                    worker.running(&entry.id);
                    let done = run_entry(workspace, &queue, entry, &options.executable);
                    finished(&done);
                    results.lock().expect("results").push(done);
                    worker.running("");
                }
            });
        }
    });
    Ok(results.into_inner().expect("results"))
}

/// Runs one claimed entry to its end.
fn run_entry(
    workspace: &Workspace,
    queue: &Queue,
    mut entry: Entry,
    executable: &Path,
) -> Finished {
    let log_path = queue.log_path(&entry.id);
    let outcome = run_in_clone(workspace, queue, &mut entry, executable, &log_path);
    let mut log = std::fs::read_to_string(&log_path).unwrap_or_default();
    match outcome {
        Ok(commit) => {
            entry.status = Status::Success;
            entry.result = Some(commit);
        }
        Err(error) => {
            entry.status = Status::Failed;
            let line = format!("ERROR: {error:#}\n");
            log.push_str(&line);
            let _ = std::fs::write(&log_path, &log);
        }
    }
    entry.pid = None;
    entry.host = None;
    let _ = queue.save(&entry);
    if entry.status == Status::Success
        && let Some(git) = workspace.git()
    {
        let _ = git.delete_ref(&entry_ref(&entry.id));
    }
    Finished { entry, log }
}

/// Clones the repository at the entry's workspace commit, runs `dv exp run` there and fetches
/// the experiment ref back; the experiment commit.
fn run_in_clone(
    workspace: &Workspace,
    queue: &Queue,
    entry: &mut Entry,
    executable: &Path,
    log_path: &Path,
) -> anyhow::Result<String> {
    let root = workspace.root();
    let dir = queue.dir().join(format!("run-{}", entry.id));
    let _ = std::fs::remove_dir_all(&dir);
    let result = (|| -> anyhow::Result<String> {
        dv_scm::Git::clone_shared_at(root, &dir, &entry.stash)?;
        // The clone uses the repository's cache and local settings (remotes, credentials).
        let dvc_dir = dir.join(".dvc");
        let local = workspace.repo().dvc_dir().join("config.local");
        if local.is_file() {
            std::fs::copy(&local, dvc_dir.join("config.local"))?;
        }
        let mut cache = workspace.cache_dir();
        if cache.is_relative() {
            cache = workspace.repo().dvc_dir().join(cache);
        }
        let status = Command::new(executable)
            .current_dir(&dir)
            .args(["config", "--local", "cache.dir"])
            .arg(&cache)
            .stdin(Stdio::null())
            .output()?;
        if !status.status.success() {
            anyhow::bail!(
                "failed to set the cache of the experiment's clone: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            );
        }
        for path in &entry.copy_paths {
            // Only paths of the repository, copied into the same place of the clone.
            let inside = dv_schema::repo_path::RepoPath::new(path).map_err(|_| {
                DvcError(format!(
                    "'{path}' (--copy-paths) is outside of the repository"
                ))
            })?;
            copy_path(&root.join(inside.as_str()), &dir.join(inside.as_str()))?;
        }
        {
            let environment = Environment::with_vars(
                dir.clone(),
                workspace
                    .environment()
                    .vars()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            let clone_workspace = Workspace::open(&environment)?;
            checkout_available(
                &clone_workspace,
                &CheckoutOptions {
                    force: true,
                    ..CheckoutOptions::default()
                },
                &Progress::default(),
            )?;
        }
        let log = std::fs::File::create(log_path)?;
        let mut command = Command::new(executable);
        command.current_dir(&dir).args([
            "exp",
            "run",
            "--dv-baseline",
            &entry.baseline,
            "-n",
            &entry.name,
        ]);
        for (path, list) in &entry.overrides {
            for item in list {
                command.arg("-S").arg(format!("{path}:{item}"));
            }
        }
        if let Some(message) = &entry.message {
            command.arg("-m").arg(message);
        }
        if entry.force {
            command.arg("-f");
        }
        command.arg("--").args(&entry.targets);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        entry.status = Status::Running;
        entry.pid = Some(child.id());
        entry.host = crate::run_log::host();
        queue.save(entry)?;
        let status = child.wait()?;
        if !status.success() {
            return Err(DvcError(format!("experiment '{}' failed", entry.name)).into());
        }
        let reference = ExpRef::new(&entry.baseline, &entry.name).full();
        let git = git_of(workspace)?;
        git.fetch_refspecs(
            &dir.to_string_lossy(),
            &[format!("{reference}:{reference}")],
            entry.force,
        )?;
        git.resolve_commit(&reference)
            .ok_or_else(|| DvcError(format!("experiment '{}' was not recorded", entry.name)).into())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Copies a file or directory; symbolic links are not followed (left out).
fn copy_path(from: &Path, to: &Path) -> anyhow::Result<()> {
    let Ok(metadata) = std::fs::symlink_metadata(from) else {
        return Ok(());
    };
    if metadata.is_dir() {
        std::fs::create_dir_all(to)?;
        for item in std::fs::read_dir(from)? {
            let item = item?;
            copy_path(&item.path(), &to.join(item.file_name()))?;
        }
    } else if metadata.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, to)?;
    }
    Ok(())
}

/// Starts a background worker process running `jobs` experiments at a time.
pub fn start(workspace: &Workspace, executable: &Path, jobs: usize) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    let queue = queue_of(workspace);
    std::fs::create_dir_all(queue.dir())?;
    let log = std::fs::File::create(queue.dir().join("worker.log"))?;
    Command::new(executable)
        .current_dir(workspace.root())
        .args(["queue", "worker", "-j", &jobs.to_string()])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()?;
    Ok(())
}

/// `queue start --executor slurm`: each queued experiment submitted as one SLURM job running
/// `dv queue worker --entry ID` on the shared filesystem (its own clone, its result fetched back
/// as an experiment ref, as a local worker does); (name, job id) of each.
pub fn start_on_slurm(
    workspace: &Workspace,
    executable: &Path,
) -> anyhow::Result<Vec<(String, String)>> {
    let queue = queue_of(workspace);
    let defaults = crate::cluster::resources::defaults(workspace)?;
    let mut submitted = Vec::new();
    for entry in queue.entries()? {
        if entry.status != Status::Queued {
            continue;
        }
        let job = crate::cluster::slurm::sbatch(&crate::cluster::slurm::Submission {
            name: entry.name.clone(),
            output: queue
                .dir()
                .join(format!("{}.slurm.out", entry.id))
                .display()
                .to_string(),
            chdir: workspace.root().display().to_string(),
            arguments: defaults.arguments(),
            script: crate::cluster::slurm::script(&[
                executable.display().to_string(),
                "queue".to_owned(),
                "worker".to_owned(),
                "--entry".to_owned(),
                entry.id.clone(),
            ]),
            ..Default::default()
        })?;
        submitted.push((entry.name.clone(), job));
    }
    Ok(submitted)
}

/// The entries `names` (a name, an id or a workspace-commit prefix) select.
fn matching(entries: &[Entry], names: &[String]) -> (Vec<Entry>, Vec<String>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        let hits: Vec<&Entry> = entries
            .iter()
            .filter(|entry| {
                entry.name == *name
                    || entry.id == *name
                    || (name.len() >= 4 && entry.stash.starts_with(name.as_str()))
            })
            .collect();
        if hits.is_empty() {
            missing.push(name.clone());
        }
        found.extend(hits.into_iter().cloned());
    }
    (found, missing)
}

/// What `queue status` shows.
#[derive(Debug, Clone)]
pub struct QueueStatus {
    /// Every entry, oldest first.
    pub entries: Vec<Entry>,
    /// The live workers: (pid, whether it runs an entry now).
    pub workers: Vec<(u32, bool)>,
}

/// `queue status`.
pub fn status(workspace: &Workspace) -> anyhow::Result<QueueStatus> {
    let queue = queue_of(workspace);
    Ok(QueueStatus {
        entries: queue.entries()?,
        workers: queue.workers(),
    })
}

/// `queue logs TASK`: the entry and its log file.
pub fn logs(workspace: &Workspace, task: &str) -> anyhow::Result<(Entry, PathBuf)> {
    let queue = queue_of(workspace);
    let (found, _) = matching(&queue.entries()?, &[task.to_string()]);
    let entry = found
        .into_iter()
        .next()
        .ok_or_else(|| DvcError(format!("'{task}' is not a valid queued experiment name")))?;
    let path = queue.log_path(&entry.id);
    Ok((entry, path))
}

/// Which entries `queue remove` removes.
#[derive(Debug, Clone, Default)]
pub struct RemoveQueued {
    /// By name.
    pub names: Vec<String>,
    /// `--queued`.
    pub queued: bool,
    /// `--success`.
    pub success: bool,
    /// `--failed`.
    pub failed: bool,
}

/// `queue remove` (and `exp remove --queue`): the names removed.
pub fn remove(workspace: &Workspace, options: &RemoveQueued) -> anyhow::Result<Vec<String>> {
    let queue = queue_of(workspace);
    let entries = queue.entries()?;
    let chosen: Vec<Entry> = if options.names.is_empty() {
        entries
            .into_iter()
            .filter(|entry| match entry.status {
                Status::Queued => options.queued,
                Status::Success => options.success,
                Status::Failed => options.failed,
                Status::Running => false,
            })
            .collect()
    } else {
        matching(&entries, &options.names)
            .0
            .into_iter()
            .filter(|entry| entry.status != Status::Running)
            .collect()
    };
    let git = git_of(workspace)?;
    let mut removed = Vec::new();
    for entry in chosen {
        let _ = git.delete_ref(&entry_ref(&entry.id));
        queue.forget(&entry.id);
        removed.push(entry.name);
    }
    Ok(removed)
}

/// `queue kill`: interrupts the running entries named (SIGINT, or SIGKILL with `force`).
pub fn kill(workspace: &Workspace, names: &[String], force: bool) -> anyhow::Result<()> {
    let queue = queue_of(workspace);
    let (found, missing) = matching(&queue.entries()?, names);
    if !missing.is_empty() {
        return Err(DvcError(format!(
            "'{}' is not a valid queued experiment name",
            missing.join("; ")
        ))
        .into());
    }
    for entry in found {
        if entry.status == Status::Running
            && let Some(pid) = entry.pid
        {
            signal(pid, if force { "KILL" } else { "INT" });
        }
    }
    Ok(())
}

/// `queue stop [--kill]`: workers take no new entries; with `kill`, running ones are killed.
pub fn stop(workspace: &Workspace, kill_running: bool) -> anyhow::Result<()> {
    let queue = queue_of(workspace);
    queue.request_stop()?;
    if kill_running {
        for entry in queue.entries()? {
            if entry.status == Status::Running
                && let Some(pid) = entry.pid
            {
                signal(pid, "INT");
            }
        }
    }
    Ok(())
}
