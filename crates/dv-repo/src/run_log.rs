//! dv's run log: what a `dv repro` knows about each stage it ran and `dvc.lock` does not keep
//! (when it started and ended, how it ended, why it ran, which dv ran it, on which host). One
//! JSON file per stage under `.dvc/tmp/dv/runs/` (dvc ignores `.dvc/tmp`), the stage's latest
//! run; a record names the `dvc.lock` entry it produced by a digest of that entry, so
//! `dv export ro-crate` uses it only for the run that entry records.

use std::path::{Path, PathBuf};

use dv_schema::yaml::Value;
use serde::{Deserialize, Serialize};

/// How a stage's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Its command ran and succeeded.
    Completed,
    /// Its outputs were restored from the run-cache instead of running the command.
    Restored,
    /// It failed.
    Failed,
}

/// One stage's latest run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// The stage's `dvc.yaml` (repository path).
    pub dvc_yaml: String,
    /// The stage's name.
    pub stage: String,
    /// A digest of the `dvc.lock` entry the run wrote (none when it failed).
    pub entry_digest: Option<String>,
    /// When it started (ISO 8601).
    pub started: String,
    /// When it ended (ISO 8601).
    pub ended: String,
    /// How it ended.
    pub status: RunStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// Why it ran (the `--explain` lines).
    pub reasons: Vec<String>,
    /// The dv that ran it.
    pub dv_version: String,
    /// The host it ran on.
    pub host: Option<String>,
}

/// The digest naming a `dvc.lock` entry: md5 of `json.dumps(entry, sort_keys=True)`.
pub fn entry_digest(entry: &Value) -> String {
    use md5::{Digest, Md5};
    let text = dv_schema::python_json::dumps_sorted(entry);
    Md5::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn record_path(tmp_dir: &Path, dvc_yaml: &str, stage: &str) -> PathBuf {
    use md5::{Digest, Md5};
    let key: String = Md5::digest(format!("{dvc_yaml}:{stage}").as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    tmp_dir.join("dv").join("runs").join(format!("{key}.json"))
}

/// Writes `record` as its stage's latest run (errors are ignored: the log is an extra).
pub fn write(tmp_dir: &Path, record: &RunRecord) {
    let path = record_path(tmp_dir, &record.dvc_yaml, &record.stage);
    if let Some(parent) = path.parent()
        && std::fs::create_dir_all(parent).is_ok()
        && let Ok(text) = serde_json::to_vec_pretty(record)
    {
        let _ = dv_fs::atomic::write_atomic(&path, &text);
    }
}

/// The latest run of a stage, if one was logged.
pub fn read(tmp_dir: &Path, dvc_yaml: &str, stage: &str) -> Option<RunRecord> {
    let text = std::fs::read(record_path(tmp_dir, dvc_yaml, stage)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// A time as ISO 8601 in UTC (`2026-12-07T17:23:38+00:00`).
pub fn iso8601(time: std::time::SystemTime) -> String {
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default();
    crate::clock::iso8601(seconds, 0)
}

/// This machine's host name, when known.
pub fn host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_digests() {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_765_128_218);
        assert_eq!(iso8601(time), "2025-12-07T17:23:38+00:00");
        let entry = dv_schema::yaml::parse("a:\n  cmd: echo\n").expect("entry");
        assert_eq!(entry_digest(&entry).len(), 32);
        let dir = tempfile::tempdir().expect("tempdir");
        let record = RunRecord {
            dvc_yaml: "dvc.yaml".into(),
            stage: "a".into(),
            entry_digest: Some(entry_digest(&entry)),
            started: iso8601(time),
            ended: iso8601(time),
            status: RunStatus::Completed,
            error: None,
            reasons: vec!["always".into()],
            dv_version: "0".into(),
            host: None,
        };
        write(dir.path(), &record);
        let back = read(dir.path(), "dvc.yaml", "a").expect("read");
        assert_eq!(back.entry_digest, record.entry_digest);
    }
}
