//! The SLURM commands dv uses, kept to what is stable across SLURM 21.08–25.x: `sbatch
//! --parsable` (the script on standard input), `squeue -h -r -t all -o` (one query for all of
//! a run's jobs) and `scancel`. `SLURM_CONF` and `SBATCH_*` variables of the environment reach
//! them as usual.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::DvcError;

/// One job to submit.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// `-J`.
    pub name: String,
    /// `-o` (absolute; `%a` stands for the array task).
    pub output: String,
    /// `-D`: where the job starts.
    pub chdir: String,
    /// Jobs that must succeed first (`afterok`).
    pub after_ok: Vec<String>,
    /// Jobs that must end first, however they end (`afterany`).
    pub after_any: Vec<String>,
    /// `--array=0-(n-1)[%limit]`, when an array of `n` tasks.
    pub array: Option<(usize, Option<usize>)>,
    /// Further `sbatch` arguments (resources).
    pub arguments: Vec<String>,
    /// The batch script.
    pub script: String,
}

/// Submits `job`; its job id.
pub fn sbatch(job: &Submission) -> anyhow::Result<String> {
    let mut command = Command::new("sbatch");
    command
        .arg("--parsable")
        .arg(format!("--job-name={}", job.name))
        .arg(format!("--output={}", job.output))
        .arg(format!("--chdir={}", job.chdir))
        .arg("--export=ALL");
    let mut dependencies = Vec::new();
    if !job.after_ok.is_empty() {
        dependencies.push(format!("afterok:{}", job.after_ok.join(":")));
    }
    if !job.after_any.is_empty() {
        dependencies.push(format!("afterany:{}", job.after_any.join(":")));
    }
    if !dependencies.is_empty() {
        command
            .arg(format!("--dependency={}", dependencies.join(",")))
            .arg("--kill-on-invalid-dep=yes");
    }
    if let Some((tasks, limit)) = job.array {
        let limit = limit.map(|n| format!("%{n}")).unwrap_or_default();
        command.arg(format!("--array=0-{}{limit}", tasks.saturating_sub(1)));
    }
    command.args(&job.arguments);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|error| {
        DvcError(format!(
            "cannot run 'sbatch' ({error}): is this a SLURM login node?"
        ))
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(job.script.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(DvcError(format!(
            "sbatch refused job '{}': {}",
            job.name,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
        .into());
    }
    // `--parsable` prints `id` or `id;cluster`.
    let id = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(DvcError(format!(
            "sbatch printed no job id for '{}': {stdout}",
            job.name
        ))
        .into());
    }
    Ok(id)
}

/// What SLURM says of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, ...
    pub state: String,
    /// Why it is in that state (`Dependency`, `DependencyNeverSatisfied`, `NonZeroExitCode`).
    pub reason: String,
}

impl JobState {
    /// Whether the job may still run or is running.
    pub fn is_active(&self) -> bool {
        matches!(
            self.state.as_str(),
            "PENDING"
                | "RUNNING"
                | "CONFIGURING"
                | "COMPLETING"
                | "SUSPENDED"
                | "REQUEUED"
                | "REQUEUE_HOLD"
                | "REQUEUE_FED"
                | "RESIZING"
                | "SIGNALING"
                | "STAGE_OUT"
                | "STOPPED"
        )
    }
}

/// The states of `jobs` (ids as submitted: `123` or `123_4`) that SLURM still knows, in one
/// `squeue` call. Jobs it forgot are absent.
pub fn squeue(jobs: &[String]) -> anyhow::Result<HashMap<String, JobState>> {
    let mut base: Vec<&str> = jobs
        .iter()
        .map(|job| job.split('_').next().unwrap_or(job))
        .collect();
    base.sort_unstable();
    base.dedup();
    let mut states = HashMap::new();
    if base.is_empty() {
        return Ok(states);
    }
    let output = Command::new("squeue")
        .args(["-h", "-r", "-t", "all", "-o", "%i|%T|%r", "-j"])
        .arg(base.join(","))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| DvcError(format!("cannot run 'squeue': {error}")))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        // Every id is unknown to SLURM (purged after `MinJobAge`).
        if stderr.contains("Invalid job id") {
            return Ok(states);
        }
        return Err(DvcError(format!("squeue failed: {}", stderr.trim())).into());
    }
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let mut fields = line.split('|');
        let (Some(id), Some(state), reason) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        states.insert(
            id.trim().to_owned(),
            JobState {
                state: state.trim().to_owned(),
                reason: reason.unwrap_or_default().trim().to_owned(),
            },
        );
    }
    Ok(states)
}

/// Cancels `jobs` (errors are reported, not fatal: a job may have ended meanwhile).
pub fn scancel(jobs: &[String]) -> anyhow::Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let output = Command::new("scancel")
        .args(jobs)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| DvcError(format!("cannot run 'scancel': {error}")))?;
    if !output.status.success() {
        return Err(DvcError(format!(
            "scancel failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
        .into());
    }
    Ok(())
}

/// A batch script running `arguments` (quoted for the shell).
pub fn script(arguments: &[String]) -> String {
    let quoted: Vec<String> = arguments.iter().map(|a| shell_quote(a)).collect();
    format!("#!/bin/sh\nexec {}\n", quoted.join(" "))
}

/// `text` as one single-quoted shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
