//! Ctrl-C: exit code 252 with DVC's message, and the cache and repository stay consistent so
//! that a rerun completes.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{assert_objects_consistent, send_signal, wait_with_stderr};
use dv_test::{TestRepo, run};

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
    send_signal(&child, "-INT");
    let (status, stderr) = wait_with_stderr(&mut child);
    assert_eq!(status.code(), Some(252), "{stderr}");
    assert_eq!(stderr, "ERROR: interrupted by the user\n");
    assert!(
        !repo.exists("data.dvc"),
        "no .dvc file for an unfinished add"
    );
    assert_objects_consistent(&repo.path(".dvc/cache"));

    std::fs::remove_file(&big).unwrap();
    run(repo.dv().args(["add", "data"])).success();
    assert_objects_consistent(&repo.path(".dvc/cache"));
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
}
