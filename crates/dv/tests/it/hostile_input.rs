//! Resource bounds on hostile repository content: files a cloned repository commits must not
//! make dv spin, exhaust memory or overflow its stack. Each command runs under a generous
//! timeout (to catch hangs, not to measure speed) and must fail with one `ERROR:` line naming
//! the file, with DVC's exit codes for invalid files (`status` 1, other commands 255), while
//! files DVC accepts keep working.

use std::time::{Duration, Instant};

use dv_test::{Outcome, TestRepo, run};

const TIMEOUT: Duration = Duration::from_secs(20);

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    run(repo.dvc().args(["init", "-q"])).success();
    repo
}

/// Runs dv with `args` under [`TIMEOUT`].
fn dv(repo: &TestRepo, args: &[&str]) -> Outcome {
    let started = Instant::now();
    let outcome = run(repo.dv().args(args).timeout(TIMEOUT));
    assert!(
        started.elapsed() < TIMEOUT,
        "dv {args:?} did not finish in {TIMEOUT:?}"
    );
    outcome
}

/// Asserts a failure with `code` and an `ERROR:` line containing every one of `needles`.
fn assert_error(outcome: &Outcome, code: i32, needles: &[&str]) {
    outcome.expect_code(code);
    assert!(
        outcome
            .stderr
            .lines()
            .any(|line| line.starts_with("ERROR: ")
                && needles.iter().all(|needle| line.contains(needle))),
        "expected an ERROR line with {needles:?}: {}",
        outcome.stderr
    );
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

#[test]
fn deep_yaml_flow_nesting_fails_fast_naming_the_file() {
    // 400 KB of nesting: the parser used to take minutes on these
    let depth = 200_000;
    let repo = repo();
    repo.write(
        "dvc.yaml",
        format!("stages: {}\n", nested("[", "", "]", depth)),
    );
    let message = "nesting deeper than 128 levels at line 1 column 137";
    assert_error(
        &dv(&repo, &["status"]),
        1,
        &["'./dvc.yaml' is invalid", message],
    );
    assert_error(
        &dv(&repo, &["repro", "--dry"]),
        255,
        &["'./dvc.yaml' is invalid", message],
    );

    let repo = self::repo();
    repo.write(
        "data.dvc",
        format!(
            "outs:\n- path: data\n  meta: {}\n",
            nested("{a: ", "1", "}", depth / 2)
        ),
    );
    assert_error(
        &dv(&repo, &["status"]),
        1,
        &["data.dvc", "nesting deeper than 128 levels at line 3"],
    );

    let repo = self::repo();
    repo.write("dvc.yaml", "stages:\n  s:\n    cmd: echo hi\n");
    repo.write(
        "dvc.lock",
        format!(
            "schema: '2.0'\nstages:\n  s:\n    cmd: {}\n",
            nested("[", "", "]", depth)
        ),
    );
    assert_error(
        &dv(&repo, &["status"]),
        1,
        &["dvc.lock", "nesting deeper than 128 levels at line 4"],
    );
}

#[test]
fn files_dvc_accepts_still_load() {
    let repo = repo();
    repo.write("params.yaml", "lr: 0.1\n");
    repo.write(
        "dvc.yaml",
        format!(
            "stages:\n  grid:\n    matrix:\n      a: [1, 2, 3]\n      b: [x, y]\n    cmd: echo ${{item.a}} ${{item.b}}\n    meta: {}\n  each:\n    foreach: [{{n: 1}}, {{n: 2}}]\n    do:\n      cmd: echo ${{item.n}} ${{lr}}\n",
            nested("[", "1", "]", 100)
        ),
    );
    for tool in [repo.dv(), repo.dvc()] {
        let mut tool = tool;
        let outcome = run(tool.args(["repro", "--dry"]).timeout(TIMEOUT));
        outcome.success();
        for stage in ["grid@3-y", "each@1"] {
            assert!(outcome.stdout.contains(stage), "{}", outcome.stdout);
        }
    }
}

#[test]
fn matrix_bomb_fails_before_expanding() {
    let repo = repo();
    let axis: Vec<String> = (0..1000).map(|n| n.to_string()).collect();
    let axis = format!("[{}]", axis.join(", "));
    repo.write(
        "dvc.yaml",
        format!(
            "stages:\n  bomb:\n    matrix:\n      a: {axis}\n      b: {axis}\n      c: {axis}\n      d: {axis}\n    cmd: echo ${{item.a}}\n"
        ),
    );
    let needles = [
        "'stages.bomb.matrix' in 'dvc.yaml'",
        "more than the 10000 dv allows in one group",
    ];
    assert_error(&dv(&repo, &["status"]), 1, &needles);
    assert_error(&dv(&repo, &["repro", "--dry"]), 255, &needles);
}

#[test]
fn deeply_nested_params_py_does_not_overflow_the_stack() {
    let repo = repo();
    repo.write(
        "dvc.yaml",
        "stages:\n  s:\n    cmd: echo hi\n    params:\n    - params.py:\n      - A\n",
    );
    repo.write(
        "params.py",
        format!("A = 1\nB = {}\n", nested("[", "", "]", 100_000)),
    );
    // the same error as any params file dv cannot read, not a crash
    assert_error(&dv(&repo, &["status"]), 1, &["params.py"]);
    assert_error(&dv(&repo, &["repro", "--dry"]), 255, &["params.py"]);
}

#[test]
fn huge_jobs_settings_are_capped_not_refused() {
    let repo = repo();
    let remote = repo.temp_dir().join("remote");
    repo.write(
        ".dvc/config",
        format!(
            "[core]\n    checksum_jobs = 100000000\n    remote = storage\n['remote \"storage\"']\n    url = {}\n    jobs = 100000000\n",
            remote.display()
        ),
    );
    for n in 0..64 {
        repo.write(&format!("data/{n}.txt"), format!("{n}\n"));
    }
    dv(&repo, &["add", "data"]).success();
    dv(&repo, &["push", "-j", "100000000"]).success();
    dv(&repo, &["status", "-c"]).success();
}
