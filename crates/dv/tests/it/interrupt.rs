//! Ctrl-C: exit code 252 with DVC's message, and the cache and repository stay consistent so
//! that a rerun completes.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use dv_test::{TestRepo, run};

/// Every object in the cache hashes to its name (no half-written object under a final name).
fn assert_cache_consistent(repo: &TestRepo) {
    let files = repo.path(".dvc/cache/files/md5");
    let Ok(shards) = std::fs::read_dir(&files) else {
        return;
    };
    for shard in shards {
        let shard = shard.unwrap();
        if !shard.path().is_dir() {
            continue;
        }
        for object in std::fs::read_dir(shard.path()).unwrap() {
            let object = object.unwrap();
            let name = object.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue; // a temporary file, never mistaken for an object
            }
            let hex = format!(
                "{}{}",
                shard.file_name().to_string_lossy(),
                name.trim_end_matches(".dir")
            );
            let bytes = std::fs::read(object.path()).unwrap();
            let output = Command::new("md5sum")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            output.stdin.as_ref().unwrap().write_all(&bytes).unwrap();
            let out = output.wait_with_output().unwrap();
            let actual = String::from_utf8(out.stdout).unwrap();
            assert!(
                actual.starts_with(&hex),
                "object {hex} has content {actual}"
            );
        }
    }
}

#[test]
fn interrupted_add_exits_252_and_a_rerun_completes() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    for i in 0..50 {
        repo.write(&format!("data/f{i:02}"), format!("file {i}\n"));
    }
    // Hashing and caching 8 GiB (a sparse file, so nothing is on disk until dv copies it)
    // takes far longer than the wait below: `dv add` is reliably mid-way when the signal
    // arrives. (A FIFO would block for ever, but dv refuses FIFOs in tracked data.)
    let big = repo.path("data/zz-big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(8 << 30)
        .unwrap();

    let mut child = repo
        .dv_process()
        .args(["add", "-j", "1", "data"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "dv add should still be hashing the big file"
    );
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(252), "{stderr}");
    assert_eq!(stderr, "ERROR: interrupted by the user\n");
    assert!(
        !repo.exists("data.dvc"),
        "no .dvc file for an unfinished add"
    );
    assert_cache_consistent(&repo);

    std::fs::remove_file(&big).unwrap();
    run(repo.dv().args(["add", "data"])).success();
    assert_cache_consistent(&repo);
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
}
