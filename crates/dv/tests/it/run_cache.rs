//! The run-cache (spec §9.4) against the real dvc: `dv repro` saves the entries dvc saves,
//! byte for byte; each tool restores a stage from the other's entries instead of running its
//! command; `--no-run-cache` and `-f` run it; `push`/`pull`/`fetch --run-cache` move the
//! entries between tools through local and S3 remotes.
//!
//! Every stage command appends to `log.txt`, which no stage tracks: its line count says how
//! many times a command really ran.

use crate::support::commit_all;
use dv_test::{Outcome, S3Server, TestRepo, files_under, run};

const CACHED: &str = "Stage 's1' is cached - skipping run, checking out outputs\n";

/// `s1` copies `in.txt` and tracks param `lr`; the command does not use `lr`, so runs with
/// different `lr` produce the same output object.
const PIPELINE: &str = "stages:
  s1:
    cmd: cat in.txt > out1.txt && echo s1 >> log.txt
    deps:
    - in.txt
    params:
    - lr
    outs:
    - out1.txt
";

/// A directory output with an uncached metric, and a stage downstream of it.
const DIRECTORY_PIPELINE: &str = "stages:
  a:
    cmd: mkdir -p d && cp in.txt d/x && cp in.txt m.json && echo a >> log.txt
    deps:
    - in.txt
    outs:
    - d
    metrics:
    - m.json:
        cache: false
  b:
    cmd: cat d/x > b.txt && echo b >> log.txt
    deps:
    - d
    outs:
    - b.txt
";

/// Stages DVC never saves: no dependency, always changed, persistent output, uncached
/// regular output; and one it does save.
const UNSAVED_PIPELINE: &str = "stages:
  nodeps:
    cmd: echo x > n.txt
    outs:
    - n.txt
  always:
    cmd: cp in.txt al.txt
    deps:
    - in.txt
    outs:
    - al.txt
    always_changed: true
  persist:
    cmd: cp in.txt p.txt
    deps:
    - in.txt
    outs:
    - p.txt:
        persist: true
  uncached:
    cmd: cp in.txt u.txt
    deps:
    - in.txt
    outs:
    - u.txt:
        cache: false
  saved:
    cmd: cp in.txt s.txt
    deps:
    - in.txt
    outs:
    - s.txt
";

fn tool(repo: &TestRepo, is_dv: bool) -> assert_cmd::Command {
    if is_dv { repo.dv() } else { repo.dvc() }
}

/// A repository (initialised by dvc) with `pipeline` in `dvc.yaml`, `in.txt` = `hi` and
/// `lr: 0.1`.
fn seed(pipeline: &str) -> TestRepo {
    let repo = TestRepo::new();
    run(repo.dvc().args(["init", "-q"])).success();
    repo.write("dvc.yaml", pipeline);
    repo.write("in.txt", "hi\n");
    repo.write("params.yaml", "lr: 0.1\n");
    repo
}

fn repro(repo: &TestRepo, is_dv: bool, args: &[&str]) -> Outcome {
    let out = run(tool(repo, is_dv).arg("repro").args(args));
    out.success();
    out
}

/// The run-cache entries of a repository's cache: `runs/…` path → content.
fn runs(repo: &TestRepo) -> Vec<(String, String)> {
    let dir = repo.path(".dvc/cache/runs");
    if !dir.exists() {
        return Vec::new();
    }
    files_under(&dir)
        .into_iter()
        .map(|(name, bytes)| (format!("runs/{name}"), String::from_utf8(bytes).unwrap()))
        .collect()
}

fn runs_of_remote(dir: &std::path::Path) -> Vec<(String, String)> {
    files_under(&dir.join("runs"))
        .into_iter()
        .map(|(name, bytes)| (format!("runs/{name}"), String::from_utf8(bytes).unwrap()))
        .collect()
}

fn log_lines(repo: &TestRepo) -> usize {
    repo.read("log.txt").lines().count()
}

fn up_to_date(repo: &TestRepo) {
    let status = run(repo.dvc().arg("status"));
    status.success();
    assert_eq!(status.stdout, "Data and pipelines are up to date.\n");
}

#[test]
fn repro_saves_the_entries_dvc_saves() {
    for pipeline in [PIPELINE, DIRECTORY_PIPELINE] {
        let ours = seed(pipeline);
        let theirs = seed(pipeline);
        for (repo, is_dv) in [(&ours, true), (&theirs, false)] {
            repro(repo, is_dv, &[]);
            repo.write("in.txt", "bye\n");
            repro(repo, is_dv, &[]);
        }
        let saved = runs(&ours);
        assert_eq!(saved.len(), if pipeline == PIPELINE { 2 } else { 4 });
        assert_eq!(saved, runs(&theirs));
        // the uncached metric's object is in the cache too, for the run to be restorable
        assert_eq!(
            files_under(&ours.path(".dvc/cache/files")),
            files_under(&theirs.path(".dvc/cache/files"))
        );
    }
}

#[test]
fn stages_dvc_never_saves_are_not_saved() {
    let ours = seed(UNSAVED_PIPELINE);
    let theirs = seed(UNSAVED_PIPELINE);
    repro(&ours, true, &[]);
    repro(&theirs, false, &[]);
    let saved = runs(&ours);
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(saved[0].1.starts_with("cmd: cp in.txt s.txt\n"));
    assert_eq!(saved, runs(&theirs));
}

/// Runs `s1` with `in.txt` = `hi`, then `bye`, then `hi` again with `first`, then `second`
/// reproduces; returns the last outcome.
fn revert_and_repro(first: bool, second: bool, args: &[&str]) -> (TestRepo, Outcome) {
    let repo = seed(PIPELINE);
    repro(&repo, first, &[]);
    repo.write("in.txt", "bye\n");
    repro(&repo, first, &[]);
    assert_eq!(log_lines(&repo), 2);
    repo.write("in.txt", "hi\n");
    let out = repro(&repo, second, args);
    (repo, out)
}

#[test]
fn dv_restores_a_run_dvc_saved() {
    let (repo, out) = revert_and_repro(false, true, &[]);
    // the same output as dvc's own restore
    let (_, expected) = revert_and_repro(false, false, &[]);
    assert_eq!(out.stdout, expected.stdout);
    assert!(out.stdout.starts_with(CACHED), "{out}");
    assert_eq!(log_lines(&repo), 2, "the command must not run");
    assert_eq!(repo.read("out1.txt"), "hi\n");
    up_to_date(&repo);
    assert_eq!(
        run(repo.dv().arg("repro")).stdout,
        "Stage 's1' didn't change, skipping\nData and pipelines are up to date.\n"
    );
}

#[test]
fn dvc_restores_a_run_dv_saved() {
    let (repo, out) = revert_and_repro(true, false, &[]);
    assert!(out.stdout.starts_with(CACHED), "{out}");
    assert_eq!(log_lines(&repo), 2, "the command must not run");
    assert_eq!(repo.read("out1.txt"), "hi\n");
    up_to_date(&repo);
}

#[test]
fn restored_lock_matches_dvc() {
    let (ours, _) = revert_and_repro(true, true, &[]);
    let (theirs, _) = revert_and_repro(false, false, &[]);
    for file in ["dvc.lock", "out1.txt", ".gitignore", "log.txt"] {
        assert_eq!(ours.read(file), theirs.read(file), "{file}");
    }
    assert_eq!(runs(&ours), runs(&theirs));
}

#[test]
fn no_run_cache_and_force_run_the_command() {
    for args in [&["--no-run-cache"][..], &["-f"][..]] {
        let (repo, out) = revert_and_repro(true, true, args);
        assert!(out.stdout.starts_with("Running stage 's1':\n"), "{out}");
        assert_eq!(log_lines(&repo), 3, "{args:?}");
        let (_, expected) = revert_and_repro(false, false, args);
        assert_eq!(out.stdout, expected.stdout, "{args:?}");
    }
}

#[test]
fn missing_outputs_come_back_from_the_lock_entry_even_without_run_cache() {
    for args in [&[][..], &["--no-run-cache"][..]] {
        let repo = seed(PIPELINE);
        repro(&repo, true, &[]);
        std::fs::remove_file(repo.path("out1.txt")).unwrap();
        std::fs::remove_dir_all(repo.path(".dvc/cache/runs")).unwrap();
        let out = repro(&repo, true, args);
        assert_eq!(
            out.stdout,
            format!("{CACHED}Use `dvc push` to send your updates to remote storage.\n"),
            "{args:?}"
        );
        assert_eq!(log_lines(&repo), 1);
        assert_eq!(repo.read("out1.txt"), "hi\n");
        // like dvc, the restored run is saved again
        assert_eq!(runs(&repo).len(), 1);
    }
}

#[test]
fn directory_outputs_and_uncached_metrics_are_restored() {
    let ours = seed(DIRECTORY_PIPELINE);
    let theirs = seed(DIRECTORY_PIPELINE);
    let mut outcomes = Vec::new();
    for (repo, is_dv) in [(&ours, true), (&theirs, false)] {
        repro(repo, is_dv, &[]);
        repo.write("in.txt", "bye\n");
        repro(repo, is_dv, &[]);
        repo.write("in.txt", "hi\n");
        outcomes.push(repro(repo, is_dv, &[]));
    }
    assert_eq!(outcomes[0].stdout, outcomes[1].stdout);
    assert!(outcomes[0].stdout.starts_with(
        "Stage 'a' is cached - skipping run, checking out outputs\nUpdating lock file 'dvc.lock'\n\n\
         Stage 'b' is cached - skipping run, checking out outputs\n"
    ));
    assert_eq!(log_lines(&ours), 4);
    assert_eq!(
        files_under(ours.root())
            .into_iter()
            .filter(|(name, _)| !name.starts_with(".dvc/"))
            .collect::<Vec<_>>(),
        files_under(theirs.root())
            .into_iter()
            .filter(|(name, _)| !name.starts_with(".dvc/"))
            .collect::<Vec<_>>()
    );
    up_to_date(&ours);
}

#[test]
fn dry_run_of_a_cached_stage_prints_like_dvc() {
    let ours = seed(PIPELINE);
    repro(&ours, true, &[]);
    ours.write("in.txt", "bye\n");
    let dv = repro(&ours, true, &["--dry"]);
    let dvc = repro(&ours, false, &["--dry"]);
    assert_eq!(dv.stdout, dvc.stdout);
    assert!(
        dv.stdout
            .starts_with(&format!("{CACHED}Running stage 's1':\n"))
    );
    assert_eq!(log_lines(&ours), 1);
}

#[test]
fn corrupted_entry_is_removed_with_a_warning() {
    let (repo, _) = revert_and_repro(true, true, &[]);
    repo.write("in.txt", "bye\n");
    let (name, _) = runs(&repo)
        .into_iter()
        .find(|(_, text)| !text.contains("764efa883dda1e11db47671c4a3bbd9e"))
        .unwrap();
    let path = repo.path(&format!(".dvc/cache/{name}"));
    std::fs::write(&path, "cmd: [\n").unwrap();
    let out = repro(&repo, true, &[]);
    assert!(out.stdout.starts_with("Running stage 's1':\n"), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "WARNING: corrupted cache file '.dvc/cache/{name}'."
        )),
        "{out}"
    );
    // the run saved again after running
    assert_eq!(runs(&repo).len(), 2);
}

/// A repository where `s1` ran with `lr: 0.1` and `lr: 0.2` (same output object) by `is_dv`,
/// committed with `lr: 0.1` and pushed with its run-cache by `is_dv` to its default local
/// remote `store`.
fn pushed_runs(is_dv: bool, remote_dir: &std::path::Path) -> TestRepo {
    let repo = seed(PIPELINE);
    let url = remote_dir.to_str().unwrap();
    run(repo.dvc().args(["remote", "add", "-q", "-d", "store", url])).success();
    repro(&repo, is_dv, &[]);
    repo.write("params.yaml", "lr: 0.2\n");
    repro(&repo, is_dv, &[]);
    repo.write("params.yaml", "lr: 0.1\n");
    let back = repro(&repo, is_dv, &[]);
    assert!(back.stdout.starts_with(CACHED), "{back}");
    assert_eq!(runs(&repo).len(), 2);
    commit_all(&repo, "runs");
    let pushed = run(tool(&repo, is_dv).args(["push", "--run-cache"]));
    pushed.success();
    // two entries and the output's object
    assert_eq!(pushed.stdout, "3 files pushed\n", "{pushed}");
    assert_eq!(runs_of_remote(remote_dir), runs(&repo));
    repo
}

/// In a clone whose run-cache came from the remote, `lr: 0.2` is restored, not run.
fn restores_after_pull(clone: &TestRepo, is_dv: bool) {
    let before = log_lines(clone);
    clone.write("params.yaml", "lr: 0.2\n");
    let out = repro(clone, is_dv, &[]);
    assert!(out.stdout.starts_with(CACHED), "{out}");
    assert_eq!(log_lines(clone), before, "the command must not run");
}

#[test]
fn dvc_pulls_the_run_cache_dv_pushed() {
    let remote = tempfile::tempdir().unwrap();
    let repo = pushed_runs(true, remote.path());
    // entries are pushed again every time, like dvc does
    for (args, expected) in [
        (&["push", "--run-cache"][..], "2 files pushed\n"),
        (
            &["push", "--run-cache", "--no-run-cache"][..],
            "Everything is up to date.\n",
        ),
        (&["push"][..], "Everything is up to date.\n"),
    ] {
        let dv = run(repo.dv().args(args));
        assert_eq!(dv.stdout, expected, "{args:?}");
        assert_eq!(dv.stdout, run(repo.dvc().args(args)).stdout, "{args:?}");
    }
    let clone = repo.git_clone();
    run(clone.dvc().args(["pull", "--run-cache"])).success();
    assert_eq!(runs(&clone), runs(&repo));
    restores_after_pull(&clone, false);
}

#[test]
fn dv_pulls_and_fetches_the_run_cache_dvc_pushed() {
    let remote = tempfile::tempdir().unwrap();
    let repo = pushed_runs(false, remote.path());

    let clone = repo.git_clone();
    let fetched = run(clone.dv().args(["fetch", "--run-cache"]));
    // dvc does not count run-cache entries as fetched files
    assert_eq!(fetched.stdout, "1 file fetched\n", "{fetched}");
    assert_eq!(runs(&clone), runs(&repo));

    let clone = repo.git_clone();
    let pulled = run(clone.dv().args(["pull", "--run-cache"]));
    let expected = run(repo.git_clone().dvc().args(["pull", "--run-cache"]));
    assert_eq!(pulled.stdout, expected.stdout);
    assert_eq!(
        pulled.stdout,
        "A       out1.txt\n1 file fetched and 1 file added\n"
    );
    assert_eq!(runs(&clone), runs(&repo));
    restores_after_pull(&clone, true);
}

#[test]
fn pipeline_outputs_are_checked_out_and_compared_with_the_remote() {
    let remote = tempfile::tempdir().unwrap();
    let repo = pushed_runs(true, remote.path());
    for args in [&["status", "-c"][..], &["checkout"][..]] {
        let dv = run(repo.dv().args(args));
        assert_eq!(dv.stdout, run(repo.dvc().args(args)).stdout, "{args:?}");
    }
    std::fs::remove_file(repo.path("out1.txt")).unwrap();
    let dv = run(repo.dv().arg("checkout"));
    assert_eq!(dv.stdout, "A       out1.txt\n", "{dv}");
    assert_eq!(repo.read("out1.txt"), "hi\n");
    up_to_date(&repo);
}

#[test]
fn run_cache_without_a_remote_is_skipped_like_dvc() {
    let repo = seed(PIPELINE);
    repro(&repo, true, &[]);
    for args in [&["fetch", "--run-cache"][..], &["push", "--run-cache"][..]] {
        let dv = run(repo.dv().args(args));
        let dvc = run(repo.dvc().args(args));
        assert_eq!((dv.code, &dv.stdout), (dvc.code, &dvc.stdout), "{args:?}");
    }
}

#[test]
fn s3_run_cache_round_trips_with_dvc() {
    let server = S3Server::start();
    server.create_bucket("bucket");
    let repo = seed(PIPELINE);
    repo.use_s3_remote("bucket", &server.endpoint);
    repro(&repo, true, &[]);
    repo.write("params.yaml", "lr: 0.2\n");
    repro(&repo, true, &[]);
    repo.write("params.yaml", "lr: 0.1\n");
    repro(&repo, true, &[]);
    commit_all(&repo, "runs");
    let pushed = run(repo.dv().args(["push", "--run-cache"]));
    assert_eq!(pushed.stdout, "3 files pushed\n", "{pushed}");
    let mut expected: Vec<String> = runs(&repo)
        .into_iter()
        .map(|(name, _)| format!("store/{name}"))
        .collect();
    expected.insert(
        0,
        "store/files/md5/76/4efa883dda1e11db47671c4a3bbd9e".to_owned(),
    );
    assert_eq!(server.list_keys("bucket", "store/"), expected);
    for (name, text) in runs(&repo) {
        assert_eq!(
            server.get_object("bucket", &format!("store/{name}")),
            text.as_bytes()
        );
    }

    // dvc reads what dv pushed
    let clone = repo.git_clone();
    run(clone
        .dvc()
        .args(["pull", "--run-cache"])
        .envs(server.credentials_env()))
    .success();
    assert_eq!(runs(&clone), runs(&repo));
    restores_after_pull(&clone, false);

    // dv fetches what dvc pushed from another repository
    let other = seed(PIPELINE);
    other.use_s3_remote("bucket", &server.endpoint);
    repo.write("params.yaml", "lr: 0.3\n");
    repro(&repo, false, &[]);
    run(repo.dvc().args(["push", "--run-cache"])).success();
    let fetched = run(other.dv().args(["fetch", "--run-cache"]));
    fetched.success();
    assert_eq!(runs(&other), runs(&repo));
}
