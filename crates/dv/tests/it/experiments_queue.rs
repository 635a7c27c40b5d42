//! dv's experiment queue: `exp run --queue` (printed as dvc prints it), sweeps, `exp run
//! --run-all -j N` running experiments in parallel clones sharing the cache, the results as
//! experiment refs dvc lists, `queue status/logs/remove`, and a `kill -9` of a running
//! experiment or of its worker leaving no ref and a failed entry.

use std::time::{Duration, Instant};

use dv_test::run;

use crate::experiments::{baseline_repo, exp_ref, git_out, run_tool};
use crate::support::{dv, dvc};

#[test]
fn queued_sweep_runs_in_parallel_clones() {
    let ours = baseline_repo();
    let theirs = baseline_repo();
    let args = [
        "exp",
        "run",
        "--queue",
        "-S",
        "train.lr=0.2,0.3",
        "-n",
        "sw",
    ];
    let queued = dv(&ours, &args);
    assert_eq!(queued.code, 0, "{queued}");
    assert_eq!(
        queued.stdout,
        "Queueing with overrides '{'params.yaml': ['train.lr=0.2']}'.\nQueued experiment 'sw-1' \
         for future execution.\nQueueing with overrides '{'params.yaml': ['train.lr=0.3']}'.\n\
         Queued experiment 'sw-2' for future execution.\n"
    );
    let status = dv(&ours, &["queue", "status"]);
    assert_eq!(status.stdout.matches("Queued").count(), 2, "{status}");
    assert!(
        status
            .stdout
            .ends_with("\nWorker status: 0 active, 0 idle\n"),
        "{status}"
    );
    // The workspace is untouched by queueing.
    assert_eq!(git_out(&ours, &["status", "--porcelain"]), "");

    let ran = dv(&ours, &["exp", "run", "--run-all", "-j", "2"]);
    assert_eq!(ran.code, 0, "{ran}");
    assert!(ran.stdout.contains("\nRan experiment(s): "), "{ran}");
    assert_eq!(git_out(&ours, &["status", "--porcelain"]), "");
    // Each result is what a workspace run of the same override records.
    run_tool(
        &theirs,
        "dvc",
        &["exp", "run", "-S", "train.lr=0.3", "-n", "sw-2"],
    )
    .success();
    let tree = |repo, name| {
        git_out(
            repo,
            &["rev-parse", &format!("{}^{{tree}}", exp_ref(repo, name))],
        )
    };
    assert_eq!(tree(&ours, "sw-2"), tree(&theirs, "sw-2"));
    assert_eq!(
        git_out(
            &ours,
            &["log", "-1", "--format=%B", &exp_ref(&ours, "sw-2")]
        ),
        git_out(
            &theirs,
            &["log", "-1", "--format=%B", &exp_ref(&theirs, "sw-2")]
        )
    );
    let listed = dvc(&ours, &["exp", "ls", "--name-only"]);
    assert_eq!(listed.stdout, "sw-1\nsw-2\n");
    let status = dv(&ours, &["queue", "status"]);
    assert_eq!(status.stdout.matches("Success").count(), 2, "{status}");
    let logs = dv(&ours, &["queue", "logs", "sw-1"]);
    assert!(
        logs.stdout.contains("Reproducing experiment 'sw-1'"),
        "{logs}"
    );
    let removed = dv(&ours, &["queue", "remove", "--success"]);
    assert!(
        removed.stdout.starts_with("Removed tasks in queue: "),
        "{removed}"
    );
    assert!(
        dv(&ours, &["queue", "status"])
            .stdout
            .starts_with("No experiment tasks in the queue.\n")
    );
    // Nothing is left behind in the temporary area.
    let left: Vec<_> = std::fs::read_dir(ours.path(".dvc/tmp/exps/dv-queue"))
        .expect("queue dir")
        .flatten()
        .filter(|item| item.file_name().to_string_lossy().starts_with("run-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

fn entry_pid(repo: &dv_test::TestRepo) -> Option<u32> {
    let dir = repo.path(".dvc/tmp/exps/dv-queue");
    for item in std::fs::read_dir(dir).ok()?.flatten() {
        let path = item.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let text = std::fs::read_to_string(&path).ok()?;
            let value: serde_json::Value = serde_json::from_str(&text).ok()?;
            if value["status"] == "running"
                && let Some(pid) = value["pid"].as_u64()
            {
                return Some(pid as u32);
            }
        }
    }
    None
}

#[test]
fn killed_experiments_leave_no_ref_and_read_as_failed() {
    let ours = baseline_repo();
    ours.write("train.py", "import time\ntime.sleep(60)\n");
    ours.git(&["commit", "-qam", "slow"]);
    for (victim, name) in [("experiment", "slow-exp"), ("worker", "slow-worker")] {
        let queued = dv(&ours, &["exp", "run", "--queue", "-n", name]);
        assert_eq!(queued.code, 0, "{queued}");
        let mut worker = ours
            .dv_process()
            .args(["queue", "worker"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("worker");
        let deadline = Instant::now() + Duration::from_secs(60);
        let pid = loop {
            if let Some(pid) = entry_pid(&ours) {
                break pid;
            }
            assert!(Instant::now() < deadline, "the experiment never started");
            std::thread::sleep(Duration::from_millis(100));
        };
        std::thread::sleep(Duration::from_millis(500));
        let target = if victim == "worker" { worker.id() } else { pid };
        run(ours.command("kill").args(["-9", &target.to_string()])).success();
        if victim == "worker" {
            run(ours.command("kill").args(["-9", &pid.to_string()])).success();
        }
        let _ = worker.wait();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = dv(&ours, &["queue", "status"]);
            if status.stdout.contains("Failed") {
                break;
            }
            assert!(Instant::now() < deadline, "{victim}: {status}");
            std::thread::sleep(Duration::from_millis(200));
        }
        let refs = git_out(&ours, &["for-each-ref", "refs/exps/"]);
        assert!(!refs.contains(name), "{victim}: {refs}");
        let _ = exp_ref(&ours, name);
        dv(&ours, &["queue", "remove", "--failed"]).success();
    }
}

/// `exp run --temp` runs one experiment in a clone now: the ref is made, the workspace is left
/// alone; `queue start -j 2` runs the queue in the background and its worker goes away when
/// the queue is empty.
#[test]
fn temp_runs_and_background_workers() {
    let ours = baseline_repo();
    let temp = dv(
        &ours,
        &["exp", "run", "--temp", "-S", "train.lr=0.4", "-n", "t1"],
    );
    assert_eq!(temp.code, 0, "{temp}");
    assert!(
        temp.stdout.ends_with(
            "\nRan experiment(s): t1\nTo apply the results of an experiment to your workspace \
             run:\n\n\tdvc exp apply <exp>\n"
        ),
        "{temp}"
    );
    assert_eq!(git_out(&ours, &["status", "--porcelain"]), "");
    assert!(!git_out(&ours, &["rev-parse", &exp_ref(&ours, "t1")]).is_empty());

    let queued = dv(
        &ours,
        &[
            "exp",
            "run",
            "--queue",
            "-S",
            "train.lr=0.5,0.6",
            "-n",
            "bg",
        ],
    );
    assert_eq!(queued.code, 0, "{queued}");
    let started = dv(&ours, &["queue", "start", "-j", "2"]);
    assert_eq!(
        started.stdout, "Started '2' new experiments task queue workers.\n",
        "{started}"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = dv(&ours, &["queue", "status"]);
        if status.stdout.matches("Success").count() == 2
            && status.stdout.contains("Worker status: 0 active, 0 idle")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{status}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let names = dvc(&ours, &["exp", "ls", "--name-only"]);
    assert_eq!(names.stdout, "bg-1\nbg-2\nt1\n");
}
