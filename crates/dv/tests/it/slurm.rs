//! `dv repro --executor slurm` against a real single-node SLURM (one throwaway cluster per
//! test): the lock file, `.gitignore` and outputs are those of a local `dv repro` and of
//! `dvc repro`; a failing stage cancels its descendants while its siblings finish and are
//! recorded; `dv status` tells what happened and merges; a second run while one is in flight
//! is refused; foreach groups run as array jobs; `kill -9` of a job and of the controller,
//! restarted during the run; per-stage resources from `meta.slurm`.

use std::time::{Duration, Instant};

use dv_test::{Outcome, SlurmCluster, TestRepo, run};

use crate::support::{commit_all, succeed};

/// `dv args…` in `repo` against `cluster`.
fn dv_on(repo: &TestRepo, cluster: &SlurmCluster, args: &[&str]) -> Outcome {
    run(repo.dv().env("SLURM_CONF", cluster.conf()).args(args)).redacted(repo)
}

/// The seed's chain (params, a dependency per stage, a metric) plus a diamond around it.
const PIPELINE: &str = "\
stages:
  prepare:
    cmd: seq ${prepare.count} > data.txt
    params: [prepare.count]
    outs: [data.txt]
  train:
    cmd: wc -l < data.txt > model.txt
    deps: [data.txt]
    outs: [model.txt]
  side:
    cmd: sort -r data.txt > side.txt
    deps: [data.txt]
    outs: [side.txt]
  evaluate:
    cmd: cat model.txt side.txt > score.txt
    deps: [model.txt, side.txt]
    metrics:
    - score.txt:
        cache: false
";

fn pipeline_repo(tool: &str, dvc_yaml: &str) -> TestRepo {
    let repo = TestRepo::new();
    succeed(&repo, tool, &["init", "-q"]);
    repo.write("params.yaml", "prepare:\n  count: 5\n");
    repo.write("dvc.yaml", dvc_yaml);
    commit_all(&repo, "pipeline");
    repo
}

/// What a run leaves in the work tree that git sees (lock, `.gitignore`, outputs).
fn results(repo: &TestRepo, files: &[&str]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|file| (file.to_string(), repo.read(file)))
        .collect()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn chain_and_diamond_give_the_lock_of_a_local_run() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let ours = pipeline_repo("dv", PIPELINE);
    let local = pipeline_repo("dv", PIPELINE);
    let theirs = pipeline_repo("dvc", PIPELINE);
    let submitted = dv_on(&ours, &cluster, &["repro", "--executor", "slurm", "--wait"]);
    assert_eq!(submitted.code, 0, "{submitted}");
    assert!(
        submitted
            .stdout
            .contains("Submitted stage 'evaluate' as SLURM job "),
        "{submitted}"
    );
    assert!(
        submitted.stdout.contains("Generating lock file 'dvc.lock'"),
        "{submitted}"
    );
    succeed(&local, "dv", &["repro", "-q"]);
    succeed(&theirs, "dvc", &["repro", "-q"]);
    let files = [
        "dvc.lock",
        ".gitignore",
        "data.txt",
        "model.txt",
        "side.txt",
        "score.txt",
    ];
    assert_eq!(results(&ours, &files), results(&local, &files));
    assert_eq!(results(&ours, &files), results(&theirs, &files));
    // dvc reads the merged lock and finds everything up to date, and so does dv.
    let status = run(ours.dvc().args(["status"]));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
    let status = dv_on(&ours, &cluster, &["status"]);
    assert!(
        status.stdout.contains(": finished, merged into dvc.lock\n"),
        "{status}"
    );
    assert!(
        status
            .stdout
            .ends_with("Data and pipelines are up to date.\n"),
        "{status}"
    );
    // The jobs logged their runs: the provenance export says which dv ran each stage, where.
    let exported = dv_on(&ours, &cluster, &["export", "ro-crate", "-o", "crate"]);
    assert_eq!(exported.code, 0, "{exported}");
    let metadata = ours.read("crate/ro-crate-metadata.json");
    assert_eq!(metadata.matches("\\nran by dv ").count(), 4, "{metadata}");
    // The cache holds the outputs: a checkout after deleting them restores them.
    std::fs::remove_file(ours.path("model.txt")).unwrap();
    succeed(&ours, "dvc", &["checkout", "-q"]);
    assert_eq!(ours.read("model.txt"), local.read("model.txt"));

    // A changed param: only what depends on it is submitted again; unchanged stages are
    // reported as a local run reports them.
    for repo in [&ours, &local] {
        repo.write("params.yaml", "prepare:\n  count: 7\n");
    }
    let again = dv_on(&ours, &cluster, &["repro", "--executor", "slurm", "--wait"]);
    assert_eq!(again.code, 0, "{again}");
    succeed(&local, "dv", &["repro", "-q"]);
    assert_eq!(results(&ours, &files), results(&local, &files));
    let up_to_date = dv_on(&ours, &cluster, &["repro", "--executor", "slurm"]);
    assert_eq!(
        up_to_date.stdout,
        "Stage 'prepare' didn't change, skipping\nStage 'train' didn't change, skipping\n\
         Stage 'side' didn't change, skipping\nStage 'evaluate' didn't change, skipping\n\
         Data and pipelines are up to date.\n",
        "{up_to_date}"
    );
}

#[test]
fn failing_stage_cancels_descendants_and_siblings_are_recorded() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let failing = PIPELINE.replace("sort -r data.txt > side.txt", "exit 3");
    let repo = pipeline_repo("dv", &failing);
    let outcome = dv_on(&repo, &cluster, &["repro", "--executor", "slurm", "--wait"]);
    assert_eq!(outcome.code, 255, "{outcome}");
    assert!(
        outcome.stderr.contains(
            "WARNING: Stage 'evaluate' cancelled: a stage it depends on failed\n\
             ERROR: failed to reproduce 'side': failed to run: exit 3, exited with 3 (log '.dvc/tmp/dv/cluster/"
        ),
        "{outcome}"
    );
    // The sibling and the upstream stage finished and are recorded.
    let lock = repo.read("dvc.lock");
    assert!(
        lock.contains("\n  prepare:\n") && lock.contains("\n  train:\n"),
        "{lock}"
    );
    assert!(
        !lock.contains("side:") && !lock.contains("evaluate:"),
        "{lock}"
    );
    assert!(repo.exists("model.txt") && !repo.exists("score.txt"));
    let status = dv_on(&repo, &cluster, &["status"]);
    assert!(
        status
            .stdout
            .contains(": ended with failures, merged into dvc.lock\n"),
        "{status}"
    );
    let line = |stage: &str| {
        status
            .stdout
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{stage} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("train").ends_with(" ran"), "{status}");
    assert!(
        line("side").contains("failed: failed to reproduce 'side'"),
        "{status}"
    );
    assert!(
        line("side").contains("(log '.dvc/tmp/dv/cluster/"),
        "{status}"
    );
    assert!(
        line("evaluate").ends_with("cancelled: a stage it depends on failed"),
        "{status}"
    );
    // The failed job's log has the stage's own output.
    let log = line("side");
    let log = log.split("(log '").nth(1).unwrap().trim_end_matches("')");
    assert!(
        repo.read(log).contains("Running stage 'side':\n> exit 3\n"),
        "{}",
        repo.read(log)
    );

    // Fixed, the next cluster run picks up where it failed.
    repo.write("dvc.yaml", PIPELINE);
    let fixed = dv_on(&repo, &cluster, &["repro", "--executor", "slurm", "--wait"]);
    assert_eq!(fixed.code, 0, "{fixed}");
    assert!(
        fixed
            .stdout
            .contains("Stage 'train' didn't change, skipping\n"),
        "{fixed}"
    );
    let status = run(repo.dvc().args(["status"]));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
}

#[test]
fn submission_returns_refuses_a_second_run_and_status_merges() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let slow = PIPELINE.replace(
        "seq ${prepare.count} > data.txt",
        "sleep 3 && seq ${prepare.count} > data.txt",
    );
    let repo = pipeline_repo("dv", &slow);
    let started = Instant::now();
    let submitted = dv_on(&repo, &cluster, &["repro", "--executor", "slurm"]);
    assert_eq!(submitted.code, 0, "{submitted}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "submission waited for the jobs"
    );
    assert!(submitted.stdout.contains("you may log out"), "{submitted}");
    assert!(!repo.exists("dvc.lock"));
    for args in [&["repro", "--executor", "slurm"][..], &["repro"][..]] {
        let refused = dv_on(&repo, &cluster, args);
        assert_eq!(refused.code, 255, "{refused}");
        assert!(
            refused.stderr.contains(" is still in flight: "),
            "{refused}"
        );
        assert!(
            refused
                .stderr
                .contains("dv repro --executor slurm --cancel"),
            "{refused}"
        );
    }
    let status = dv_on(&repo, &cluster, &["status"]);
    assert!(status.stdout.contains("): in flight\n"), "{status}");
    assert!(
        status
            .stdout
            .contains("pending (waiting for upstream stages)"),
        "{status}"
    );
    // Nobody waits: the merge job, or else `dv status`, writes the lock once all jobs ended.
    wait_for("the merge", Duration::from_secs(60), || {
        dv_on(&repo, &cluster, &["status"])
            .stdout
            .contains(": finished, merged into dvc.lock\n")
    });
    let local = pipeline_repo("dv", &slow);
    succeed(&local, "dv", &["repro", "-q"]);
    assert_eq!(repo.read("dvc.lock"), local.read("dvc.lock"));
    assert_eq!(repo.read(".gitignore"), local.read(".gitignore"));
}

#[test]
fn foreach_group_runs_as_one_array_job() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let items: Vec<String> = (0..20).map(|n| format!("i{n:02}")).collect();
    let dvc_yaml = format!(
        "stages:\n  source:\n    cmd: echo src > src.txt\n    outs: [src.txt]\n  \
         item:\n    foreach: [{}]\n    do:\n      cmd: cat src.txt > out-${{item}}.txt\n      \
         deps: [src.txt]\n      outs:\n      - out-${{item}}.txt\n",
        items.join(", ")
    );
    let repo = pipeline_repo("dv", &dvc_yaml);
    let local = pipeline_repo("dv", &dvc_yaml);
    let outcome = dv_on(
        &repo,
        &cluster,
        &["repro", "--executor", "slurm", "--wait", "-j", "2"],
    );
    assert_eq!(outcome.code, 0, "{outcome}");
    assert!(outcome.stdout.contains("Cluster run "), "{outcome}");
    assert!(
        outcome.stdout.contains(": 21 stages in 2 jobs; "),
        "{outcome}"
    );
    assert!(
        outcome
            .stdout
            .contains("Submitted stage 'item@i19' as SLURM job "),
        "{outcome}"
    );
    assert!(outcome.stdout.contains("_19 (log '"), "{outcome}");
    succeed(&local, "dv", &["repro", "-q"]);
    assert_eq!(repo.read("dvc.lock"), local.read("dvc.lock"));
    assert_eq!(repo.read(".gitignore"), local.read(".gitignore"));
}

#[test]
fn killed_job_and_restarted_controller() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let slow = PIPELINE
        .replace(
            "wc -l < data.txt > model.txt",
            "sleep 60 && wc -l < data.txt > model.txt",
        )
        .replace(
            "sort -r data.txt > side.txt",
            "sleep 4 && sort -r data.txt > side.txt",
        );
    let repo = pipeline_repo("dv", &slow);
    let submitted = dv_on(&repo, &cluster, &["repro", "--executor", "slurm"]);
    assert_eq!(submitted.code, 0, "{submitted}");
    // The controller dies while `side` and `train` run: dv says SLURM cannot be asked and
    // counts the run as in flight.
    wait_for("train to run", Duration::from_secs(30), || {
        dv_on(&repo, &cluster, &["status"])
            .stdout
            .lines()
            .any(|line| line.trim_start().starts_with("train ") && line.ends_with(" running"))
    });
    let controller = cluster.controller_pid().unwrap().to_string();
    run(repo.command("kill").args(["-9", &controller]));
    wait_for("the controller to stop", Duration::from_secs(30), || {
        run(repo.command("kill").args(["-0", &controller])).code != 0
    });
    let status = dv_on(&repo, &cluster, &["status"]);
    assert!(
        status.stdout.contains("SLURM cannot be asked: "),
        "{status}"
    );
    let refused = dv_on(&repo, &cluster, &["repro"]);
    assert_eq!(refused.code, 255, "{refused}");
    cluster.restart_controller();
    // `kill -9` of train's job: its stage failed (no record), evaluate is cancelled, side
    // finishes and is recorded.
    let tasks_marker = format!("{}/.dvc/tmp/dv/cluster/", repo.root().display());
    wait_for("train's process", Duration::from_secs(30), || {
        let found = run(repo.command("pgrep").args(["-f", "sleep 60"]));
        !found.stdout.trim().is_empty()
    });
    let killed =
        run(repo
            .command("pkill")
            .args(["-9", "-f", &format!("{tasks_marker}.*tasks/1.json")]));
    assert_eq!(killed.code, 0, "{killed}");
    let _ = run(repo.command("pkill").args(["-9", "-f", "sleep 60"]));
    wait_for("the run to end", Duration::from_secs(90), || {
        dv_on(&repo, &cluster, &["status"])
            .stdout
            .contains(": ended with failures")
    });
    let status = dv_on(&repo, &cluster, &["status"]);
    let train = status
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("train "))
        .unwrap_or_default();
    assert!(train.contains(" failed: "), "{status}");
    let evaluate = status
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("evaluate "))
        .unwrap_or_default();
    assert!(
        evaluate.contains("cancelled: a stage it depends on failed")
            || evaluate.contains(" failed: "),
        "{status}"
    );
    let lock = repo.read("dvc.lock");
    assert!(
        lock.contains("\n  side:\n") && !lock.contains("train:"),
        "{lock}"
    );
}

#[test]
fn stage_resources_come_from_meta_and_defaults() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let dvc_yaml = "stages:\n  train:\n    cmd: sleep 2 && echo done > out.txt\n    outs: [out.txt]\n    \
                    meta:\n      slurm:\n        time: '00:05:00'\n        cpus-per-task: 1\n";
    let repo = pipeline_repo("dv", dvc_yaml);
    repo.write(
        ".dvc/slurm.yaml",
        "partition: debug\ntime: '00:10:00'\nsbatch: [--comment=dv-test]\n",
    );
    let submitted = dv_on(&repo, &cluster, &["repro", "--executor", "slurm"]);
    assert_eq!(submitted.code, 0, "{submitted}");
    let job = submitted
        .stdout
        .split("as SLURM job ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let shown = run(repo
        .command("scontrol")
        .env("SLURM_CONF", cluster.conf())
        .args(["show", "job", &job]));
    assert!(shown.stdout.contains("TimeLimit=00:05:00"), "{shown}");
    assert!(shown.stdout.contains("Partition=debug"), "{shown}");
    assert!(shown.stdout.contains("Comment=dv-test"), "{shown}");
    // dvc still reads the stage (it ignores `meta`).
    let dvc_status = run(repo.dvc().args(["stage", "list"]));
    assert_eq!(dvc_status.code, 0, "{dvc_status}");
    wait_for("the run", Duration::from_secs(60), || {
        dv_on(&repo, &cluster, &["status"])
            .stdout
            .contains(", merged into dvc.lock\n")
    });

    // A flag that would make SLURM write where dv did not choose is refused before anything
    // is submitted.
    repo.write(".dvc/slurm.yaml", "sbatch: ['--output=/tmp/elsewhere']\n");
    repo.write("dvc.yaml", dvc_yaml.replace("sleep 2", "sleep 1"));
    let refused = dv_on(&repo, &cluster, &["repro", "--executor", "slurm"]);
    assert_eq!(refused.code, 255, "{refused}");
    assert!(
        refused.stderr.contains(
            "ERROR: .dvc/slurm.yaml: '--output=/tmp/elsewhere' is set by dv and cannot be given as an sbatch flag"
        ),
        "{refused}"
    );
}

#[test]
fn queued_sweep_runs_as_slurm_jobs() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let repo = crate::experiments::baseline_repo();
    let queued = dv_on(
        &repo,
        &cluster,
        &[
            "exp",
            "run",
            "--queue",
            "-S",
            "train.lr=0.2,0.3",
            "-n",
            "sw",
        ],
    );
    assert_eq!(queued.code, 0, "{queued}");
    let started = dv_on(&repo, &cluster, &["queue", "start", "--executor", "slurm"]);
    assert_eq!(started.code, 0, "{started}");
    assert!(
        started
            .stdout
            .contains("Submitted experiment 'sw-1' as SLURM job ")
            && started
                .stdout
                .contains("Submitted experiment 'sw-2' as SLURM job "),
        "{started}"
    );
    wait_for("both experiments", Duration::from_secs(90), || {
        dv_on(&repo, &cluster, &["queue", "status"])
            .stdout
            .matches("Success")
            .count()
            == 2
    });
    // The results are experiment refs dvc lists, each with its own params.
    let listed = run(repo.dvc().args(["exp", "ls", "--name-only"]));
    assert_eq!(listed.stdout, "sw-1\nsw-2\n", "{listed}");
    let shown = run(repo.dvc().args(["exp", "show", "--json"]));
    assert!(shown.stdout.contains("\"lr\": 0.3"), "{shown}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn ctrl_c_while_waiting_cancels_the_jobs() {
    if !SlurmCluster::available() {
        return;
    }
    let cluster = SlurmCluster::start();
    let slow = PIPELINE.replace(
        "seq ${prepare.count} > data.txt",
        "sleep 30 && seq ${prepare.count} > data.txt",
    );
    let repo = pipeline_repo("dv", &slow);
    let mut child = repo
        .dv_process()
        .env("SLURM_CONF", cluster.conf())
        .args(["repro", "--executor", "slurm", "--wait"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the run's jobs", Duration::from_secs(30), || {
        repo.path(".dvc/tmp/dv/cluster").is_dir()
            && dv_on(&repo, &cluster, &["status"])
                .stdout
                .contains(" running")
    });
    crate::support::send_signal(&child, "-INT");
    let (status, stderr) = crate::support::wait_with_stderr(&mut child);
    assert_eq!(status.code(), Some(252), "{stderr}");
    assert!(
        stderr.contains("ERROR: interrupted by the user: the jobs of cluster run "),
        "{stderr}"
    );
    wait_for("the cancellation", Duration::from_secs(30), || {
        !dv_on(&repo, &cluster, &["status"])
            .stdout
            .contains(" running")
    });
    let status = dv_on(&repo, &cluster, &["status"]);
    assert!(status.stdout.contains(": ended with failures"), "{status}");
    assert!(!repo.exists("dvc.lock"));
    // Nothing is in flight any more: a new run may start.
    let dry = dv_on(&repo, &cluster, &["repro", "--executor", "slurm", "--dry"]);
    assert_eq!(dry.code, 0, "{dry}");
    assert!(
        dry.stdout
            .starts_with("Running stage 'prepare':\n> sleep 30"),
        "{dry}"
    );
}

#[test]
fn a_run_file_with_option_like_job_ids_is_refused() {
    // No SLURM needed: the file is refused before any SLURM command runs.
    let repo = pipeline_repo("dv", PIPELINE);
    repo.write(
        ".dvc/tmp/dv/cluster/20260101T000000-1/run.json",
        r#"{"id": "20260101T000000-1", "executor": "slurm", "submitted": "2026-01-01T00:00:00+00:00",
            "stages": [{"stage": "prepare", "job": "--user=root", "log": "x", "record": "0.json"}],
            "merge_job": null, "merged": null}"#,
    );
    for args in [
        &["status"][..],
        &["repro"][..],
        &["repro", "--executor", "slurm", "--cancel"][..],
    ] {
        let refused = run(repo.dv().args(args)).redacted(&repo);
        assert_eq!(refused.code, 255, "{refused}");
        assert!(
            refused
                .stderr
                .contains("run.json' is not a cluster run file: invalid job id '--user=root'"),
            "{refused}"
        );
    }
}
