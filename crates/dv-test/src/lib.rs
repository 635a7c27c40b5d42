//! Test harness for `dv`: isolated repositories, the pinned real `dvc` as oracle, a loopback
//! S3 server, a loopback HTTP file server, a loopback SFTP server and a loopback WebDAV server.
//!
//! The command-line tests in `crates/dv/tests/it/` build a [`TestRepo`] (a temporary directory
//! with its own `HOME`, git and DVC config locations), run `dv` and the oracle `dvc` in it with
//! [`TestRepo::dv`] and [`TestRepo::dvc`], capture the result with [`run`] and snapshot the
//! [`Outcome`] (exit code, stdout and stderr) after [`redact`]ing temporary paths.
//!
//! The oracle `dvc` and `moto_server` come from the pinned virtual environments that
//! `scripts/test` creates under `$DV_VENV_DIR` (default `<workspace>/.venv`); see [`venv`].
//!
//! Modules:
//! - `test_repo`, `environment`: the repository directory and the isolated process environment
//!   (`HOME`, git and DVC config files inside the test's temporary directory).
//! - `outcome`, `redaction`: running a command and its redacted, snapshot-ready result.
//! - [`twins`]: the same setup in two repositories, `dv` in one and `dvc` in the other.
//! - [`venv`]: where the pinned tools live under `$DV_VENV_DIR`.
//! - `http_server`, `sftp_server`, `webdav_server`: loopback servers for remotes serving a
//!   directory the test names; `s3_server`, `gcs_server`, `azure_server`: emulators keeping
//!   their state in a temporary directory of their own (`http`: the client that seeds S3;
//!   `loopback`: starting a server process on a free port); `slurm_cluster`: a throwaway
//!   single-node SLURM for the cluster executor's tests.
//!
//! This crate is test code: it panics, with a message saying what failed, instead of returning
//! errors.

mod azure_server;
mod environment;
mod gcs_server;
mod http;
mod http_server;
mod loopback;
mod outcome;
mod redaction;
mod s3_server;
mod sftp_server;
mod slurm_cluster;
mod test_repo;
pub mod twins;
pub mod venv;
mod webdav_server;

pub use azure_server::AzureServer;
pub use gcs_server::GcsServer;
pub use http_server::{HttpServer, HttpServerOptions};
pub use outcome::{Outcome, run};
pub use redaction::redact;
pub use s3_server::S3Server;
pub use sftp_server::SftpServer;
pub use slurm_cluster::SlurmCluster;
pub use test_repo::TestRepo;
pub use webdav_server::WebDavServer;

/// Every file under `dir` (relative path → bytes), sorted, skipping `.git` and `.dvc/tmp`
/// (private state), without descending into symlinked directories: what twin-repository
/// tests compare between dv and dvc. Nothing when `dir` does not exist.
///
/// # Panics
///
/// If a directory or file cannot be read.
pub fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    if !dir.exists() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            let rel = path
                .strip_prefix(dir)
                .expect("entries are under the walked directory")
                .to_string_lossy()
                .into_owned();
            if rel == ".git" || rel == ".dvc/tmp" {
                continue;
            }
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                out.push((rel, std::fs::read(&path).expect("readable file")));
            }
        }
    }
    out.sort();
    out
}

/// The workspace of `repo`: its files but `.git/` and `.dvc/`, as [`files_under`] lists them.
pub fn workspace_files(repo: &TestRepo) -> Vec<(String, Vec<u8>)> {
    files_under(repo.root())
        .into_iter()
        .filter(|(name, _)| !name.starts_with(".dvc/"))
        .collect()
}

/// The objects in `repo`'s cache (`files/md5/…` under `.dvc/cache`), as [`files_under`] lists
/// them.
pub fn cache_objects(repo: &TestRepo) -> Vec<(String, Vec<u8>)> {
    files_under(&repo.path(".dvc/cache"))
        .into_iter()
        .filter(|(name, _)| name.starts_with("files/"))
        .collect()
}

/// A committed repository with a small tree tracked by dv (nested directories, an empty file,
/// CRLF text, binary bytes) and a default remote `store` at `url`; `settings` are extra
/// `dv remote modify` arguments (`--local` ones too). What the remote-type tests push and pull.
///
/// # Panics
///
/// If a dv or git command fails.
pub fn tracked_with_remote(url: &str, settings: &[&[&str]]) -> TestRepo {
    let repo = TestRepo::new();
    track_with_remote(&repo, url, settings);
    repo
}

/// [`tracked_with_remote`] with a local directory remote: the repository and the remote's
/// directory (`remote` in the repository's temporary directory, not created yet).
///
/// # Panics
///
/// If a dv or git command fails.
pub fn tracked_with_local_remote() -> (TestRepo, std::path::PathBuf) {
    let repo = TestRepo::new();
    let remote = repo.temp_dir().join("remote");
    track_with_remote(
        &repo,
        remote.to_str().expect("temporary paths are UTF-8"),
        &[],
    );
    (repo, remote)
}

fn track_with_remote(repo: &TestRepo, url: &str, settings: &[&[&str]]) {
    repo.write("data/f1.txt", "one\n");
    repo.write("data/sub/f2.txt", "two\r\n");
    repo.write("data/empty", "");
    repo.write("a.txt", "hello\n");
    repo.write("bin/leaf.bin", [0u8, 1, 2, 3, 255]);
    let dv = |args: &[&str]| {
        run(repo.dv().args(args)).success();
    };
    dv(&["init", "-q"]);
    dv(&["add", "-q", "data", "a.txt", "bin/leaf.bin"]);
    dv(&["remote", "add", "-d", "store", url]);
    for args in settings {
        dv(&[&["remote", "modify"][..], args].concat());
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "tracked"]);
}
