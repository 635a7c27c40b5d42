//! Transfers that die half-way: `dv` killed (`SIGKILL`) in the middle of a push to and a pull
//! from a local-directory remote, and an S3 server killed in the middle of a push. Afterwards
//! no object exists under its final name with the wrong content, the failure is a clear error,
//! and a rerun completes so that the real dvc agrees.
//!
//! `dv` is killed as soon as a temporary file appears next to the final path of a 32 MiB object,
//! while it copies that (or another) object.
//!
//! The S3 test needs the pinned `moto_server` (`DV_VENV_DIR`, see `dv_test::venv`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    add_local_remote, assert_objects_consistent, commit_all, init_and_add, md5_hex, s3_with_bucket,
    send_signal, wait_with_stderr,
};
use dv_test::{S3Server, TestRepo, run};

/// `count` files of 4 KiB with distinct content under `data/`, and a 32 MiB `data/big` (its
/// copy takes long enough to be caught in the middle).
fn write_data(repo: &TestRepo, count: usize) -> Vec<u8> {
    for i in 0..count {
        repo.write(&format!("data/f{i:04}"), format!("file {i}\n").repeat(512));
    }
    let big: Vec<u8> = (0..(32u32 << 20)).map(|i| (i % 251) as u8).collect();
    repo.write("data/big", &big);
    big
}

/// The path of the object with content `bytes` under a cache or remote directory `dir`.
fn object_path(dir: &Path, bytes: &[u8]) -> PathBuf {
    let hex = md5_hex(bytes);
    dir.join("files/md5").join(&hex[..2]).join(&hex[2..])
}

/// Spawns `command` and kills it with SIGKILL as soon as a temporary file (`.<random>.tmp`)
/// appears in `dir`, i.e. while it copies an object there. Returns `false` if the command
/// exited before that could happen.
fn kill_mid_copy(command: &mut Command, dir: &Path) -> bool {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let copying = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.filter_map(Result::ok).any(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.starts_with('.') && name.ends_with(".tmp")
            })
        });
        if copying {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            let (status, stderr) = wait_with_stderr(&mut child);
            assert!(status.success(), "{stderr}");
            return false;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "dv hangs");
    }
    send_signal(&child, "-9");
    let status: ExitStatus = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt as _;
    status.signal() == Some(9)
}

#[test]
fn killed_push_and_pull_with_a_local_remote_leave_only_complete_objects() {
    let repo = TestRepo::new();
    let big = write_data(&repo, 300);
    init_and_add(&repo, "dv", &["data"]);
    let remote = add_local_remote(&repo, "dv");
    commit_all(&repo, "tracked");

    // Push, killed while copying an object (`big` if the timing allows).
    let remote_big = object_path(&remote, &big);
    let killed = (0..5).any(|_| {
        if remote.exists() {
            std::fs::remove_dir_all(&remote).unwrap();
        }
        kill_mid_copy(
            repo.dv_process().args(["push", "-j", "1"]),
            remote_big.parent().unwrap(),
        )
    });
    assert!(killed, "dv push always finished before it could be killed");
    let pushed = assert_objects_consistent(&remote);

    // The rerun pushes the rest; dvc agrees.
    let out = run(repo.dv().arg("push"));
    out.success();
    let expected = match 302 - pushed {
        0 => "Everything is up to date.\n".to_owned(),
        rest => format!("{rest} files pushed\n"),
    };
    assert_eq!(out.stdout, expected, "{out}");
    assert_eq!(assert_objects_consistent(&remote), 302);
    let out = run(repo.dvc().args(["status", "-c"]));
    assert_eq!(
        out.stdout, "Cache and remote 'store' are in sync.\n",
        "{out}"
    );

    // Pull into a clone, killed while copying an object into the cache.
    let mut clones = Vec::new();
    let killed = (0..5).any(|_| {
        let clone = repo.git_clone();
        let cache_big = object_path(&clone.path(".dvc/cache"), &big);
        let killed = kill_mid_copy(
            clone.dv_process().args(["pull", "-j", "1"]),
            cache_big.parent().unwrap(),
        );
        clones.push(clone);
        killed
    });
    assert!(killed, "dv pull always finished before it could be killed");
    let clone = clones.pop().unwrap();
    assert_objects_consistent(&clone.path(".dvc/cache"));

    // The rerun completes; dvc sees the same data.
    let out = run(clone.dv().arg("pull"));
    out.success();
    assert!(out.stdout.ends_with("files added\n"), "{out}");
    assert_eq!(assert_objects_consistent(&clone.path(".dvc/cache")), 302);
    assert_eq!(std::fs::read(clone.path("data/big")).unwrap(), big);
    let out = run(clone.dvc().arg("status"));
    assert_eq!(out.stdout, "Data and pipelines are up to date.\n", "{out}");
    let out = run(clone.dvc().arg("pull"));
    out.success();
    assert_eq!(out.stdout, "Everything is up to date.\n", "{out}");
    let out = run(clone.dvc().args(["status", "-c"]));
    assert_eq!(
        out.stdout, "Cache and remote 'store' are in sync.\n",
        "{out}"
    );
}

#[test]
fn s3_server_dying_mid_push_is_a_clear_error_and_a_rerun_completes() {
    let server = s3_with_bucket();
    let repo = TestRepo::new();
    write_data(&repo, 400);
    init_and_add(&repo, "dv", &["data"]);
    repo.use_s3_remote("bucket", &server.endpoint);

    let mut child = repo
        .dv_process()
        .args(["push", "-j", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.list_keys("bucket", "store/").len() < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no object appeared on the remote"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "dv finished before the server was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(server);
    let (status, stderr) = wait_with_stderr(&mut child);
    assert_eq!(status.code(), Some(255), "{stderr}");
    assert!(
        stderr.starts_with("ERROR: failed to push data to the cloud - "),
        "{stderr}"
    );
    assert!(stderr.contains("cannot reach remote `store`"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A new server: the rerun pushes everything, every object under its md5.
    let server = S3Server::start();
    server.create_bucket("bucket");
    run(repo
        .dv()
        .args(["remote", "modify", "store", "endpointurl", &server.endpoint]))
    .success();
    let out = run(repo.dv().arg("push"));
    out.success();
    assert_eq!(out.stdout, "402 files pushed\n", "{out}");
    let keys = server.list_keys("bucket", "store/");
    assert_eq!(keys.len(), 402);
    for key in &keys {
        let name = key.strip_prefix("store/files/md5/").unwrap();
        let expected = name.replace('/', "");
        let expected = expected.trim_end_matches(".dir");
        assert_eq!(
            md5_hex(&server.get_object("bucket", key)),
            expected,
            "{key}"
        );
    }
    let out = run(repo
        .dvc()
        .args(["status", "-c"])
        .envs(server.credentials_env()));
    assert_eq!(
        out.stdout, "Cache and remote 'store' are in sync.\n",
        "{out}"
    );
}
