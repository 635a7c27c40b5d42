//! `dv repro` beyond the basics, against the real dvc: `.dvc` files in the plan, `.dvcignore`
//! in pipeline discovery, `--downstream`, `-p`, `-P`, `-R`, `--force-downstream`,
//! `-k`/`--ignore-errors`, `--allow-missing`, `--no-commit`, `--pull` and Ctrl-C during a
//! stage. Each test sets up twin repositories the same way with dvc, then runs `dv` in one and
//! `dvc` in the other and compares exit codes, stdout, stderr and the files written.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dv_test::Outcome;
use dv_test::TestRepo;
use dv_test::twins::{Twins, normalized};

/// `data` tracked by `data.dvc`, `a` copies it, `b` doubles `a`.
const CHAIN: &str = "echo data > data && $DVC add -q data && printf 'stages:\\n  a:\\n    \
    cmd: cp data a\\n    deps: [data]\\n    outs: [a]\\n  b:\\n    cmd: cat a a > b\\n    \
    deps: [a]\\n    outs: [b]\\n' > dvc.yaml && git add -A && git commit -qm setup";

#[test]
fn data_sources_take_part_in_the_plan_like_dvc() {
    let twins = Twins::new(CHAIN);
    let first = twins.same(&["repro"]);
    assert!(
        first
            .stdout
            .starts_with("'data.dvc' didn't change, skipping\nRunning stage 'a':\n")
    );
    twins.same(&["repro"]);
    twins.same(&["repro", "data.dvc"]);
    twins.same(&["repro", "-s", "data.dvc"]);

    // a changed data source is verified, saved and written again, then its dependents run
    twins.each("echo changed > data");
    twins.same(&["repro", "--dry"]);
    let changed = twins.same(&["repro"]);
    assert!(
        changed
            .stdout
            .starts_with("Verifying data sources in stage: 'data.dvc'\n\nRunning stage 'a':\n")
    );
    for file in ["data.dvc", "dvc.lock", "a", "b"] {
        twins.same_file(file);
    }
    twins.same_cache();

    // objects missing from the cache: saved again, the `.dvc` file tracked though unchanged
    twins.each("rm -rf .dvc/cache");
    twins.same(&["repro", "data.dvc"]);
    twins.same_cache();

    // a deleted data source fails the run
    twins.each("rm data");
    let failed = twins.same(&["repro"]);
    assert_eq!(failed.code, 255);
    assert_eq!(
        failed.stderr,
        "ERROR: failed to reproduce 'data.dvc': missing data 'source': data\n"
    );
    twins.same(&["repro", "--dry"]);

    // frozen: a warning, and a change is verified as outputs of a frozen stage
    twins.each("git checkout -q data.dvc && echo again > data");
    twins.same(&["freeze", "data.dvc"]);
    let frozen = twins.same(&["repro"]);
    assert!(
        frozen
            .stderr
            .contains("WARNING: stage: 'data.dvc' is frozen.")
    );
    assert!(
        frozen
            .stdout
            .starts_with("Verifying outputs in frozen stage: 'data.dvc'\n")
    );
    twins.same_file("data.dvc");
}

#[test]
fn imports_take_part_in_the_plan_like_dvc() {
    let twins = Twins::new(
        "echo src > ../src.txt && $DVC import-url -q ../src.txt imp.txt && printf \
         'stages:\\n  a:\\n    cmd: cp imp.txt a\\n    deps: [imp.txt]\\n    outs: [a]\\n' > \
         dvc.yaml && git add -A && git commit -qm setup",
    );
    twins.same(&["repro"]);
    // frozen (as `import-url` writes it): a changed source is not looked at
    twins.each("echo src2 > ../src.txt");
    twins.same(&["repro"]);
    // a modified output is recorded again, with the source hashed again
    twins.each("chmod u+w imp.txt && echo mod > imp.txt");
    twins.same(&["repro", "imp.txt.dvc"]);
    twins.same_file("imp.txt.dvc");
    // not frozen: imported again
    twins.each("git checkout -q imp.txt.dvc");
    twins.same(&["unfreeze", "imp.txt.dvc"]);
    twins.same(&["repro", "--dry"]);
    let imported = twins.same(&["repro"]);
    assert!(
        imported
            .stdout
            .starts_with("Importing '[TMP]/src.txt' -> 'imp.txt'\n")
    );
    for file in ["imp.txt", "imp.txt.dvc", "dvc.lock"] {
        twins.same_file(file);
    }
}

#[test]
fn dvcignored_pipelines_are_left_out_like_dvc() {
    let twins = Twins::new(
        "mkdir sub ign && printf 'stages:\\n  s:\\n    cmd: echo s > s\\n    outs: [s]\\n' > \
         sub/dvc.yaml && printf 'stages:\\n  i:\\n    cmd: echo i > i\\n    outs: [i]\\n' > \
         ign/dvc.yaml && echo ign >> .dvcignore && git add -A && git commit -qm setup",
    );
    let status = twins.same(&["status"]);
    assert!(!status.stdout.contains("ign"));
    twins.same(&["repro", "-P"]);
    let ignored = twins.same(&["repro", "ign/dvc.yaml"]);
    assert_eq!(
        ignored.stderr,
        "ERROR: '[ROOT]/ign/dvc.yaml' is dvc-ignored\n"
    );
    twins.same(&["repro", "ign/dvc.yaml:i"]);
    twins.same(&["repro", "-R", "."]);
    twins.same(&["repro", "-R", "ign"]);
    twins.same(&["status"]);
    twins.same_in("ign", &["repro"]);
    assert!(!twins.ours.exists("ign/i"));
}

/// A diamond fed by `data.dvc`, a stage on its own, another data source, and a `dvc.yaml` in
/// `sub` downstream of the diamond.
const DIAMOND: &str = "printf 'stages:\\n  a:\\n    cmd: cp data a\\n    deps: [data]\\n    \
    outs: [a]\\n  b:\\n    cmd: cp a b\\n    deps: [a]\\n    outs: [b]\\n  c:\\n    \
    cmd: cp a c\\n    deps: [a]\\n    outs: [c]\\n  d:\\n    cmd: cat b c > d\\n    \
    deps: [b, c]\\n    outs: [d]\\n  lone:\\n    cmd: echo > lone\\n    outs: [lone]\\n' > \
    dvc.yaml && mkdir sub && printf 'stages:\\n  s1:\\n    cmd: cp ../d s1out\\n    \
    deps: [../d]\\n    outs: [s1out]\\n  s2:\\n    cmd: echo > s2out\\n    outs: [s2out]\\n' > \
    sub/dvc.yaml && echo data > data && $DVC add -q data && echo other > other && \
    $DVC add -q other && git add -A && git commit -qm setup";

#[test]
fn stage_selection_flags_like_dvc() {
    let twins = Twins::new(DIAMOND);
    for args in [
        &["repro", "--dry"][..],
        &["repro", "-P", "--dry"],
        &["repro", "-p", "b", "--dry"],
        &["repro", "-p", "other.dvc", "--dry"],
        &["repro", "--downstream", "b", "--dry"],
        &["repro", "--downstream", "a", "lone", "--dry"],
        &["repro", "--downstream", "-p", "lone", "--dry"],
        &["repro", "-s", "-p", "b", "--dry"],
        &["repro", "-R", "sub", "--dry"],
        &["repro", "-R", ".", "--dry"],
        &["repro", "sub", "--dry"],
        &["repro", "sub/dvc.yaml", "--dry"],
        &["repro", "-P", "nope", "--dry"],
    ] {
        twins.same(args);
    }
    twins.same_in("sub", &["repro", "--dry"]);
    twins.same_in("sub", &["repro", "-P", "--dry"]);

    twins.same(&["repro", "-P"]);
    for file in ["dvc.lock", "sub/dvc.lock", "d", "sub/s1out"] {
        twins.same_file(file);
    }
    // --downstream: `b` and what depends on it, not `a` upstream of it
    twins.each("chmod u+w a && echo y > a");
    let downstream = twins.same(&["repro", "--downstream", "b", "--dry"]);
    assert_eq!(
        downstream.stdout,
        "Stage 'b' is cached - skipping run, checking out outputs\nRunning stage 'b':\n> cp a \
         b\n\nStage 'd' didn't change, skipping\nStage \
         'sub/dvc.yaml:s1' didn't change, skipping\nUse `dvc push` to send your updates to \
         remote storage.\n"
    );
    // --force-downstream: once a stage ran, everything downstream runs
    // (`a` and `b` were changed by hand: dv moves them aside where dvc deletes them)
    twins.each("touch a");
    twins.same_trashing(&["repro", "--force-downstream"], &["a"]);
    twins.each("chmod u+w b && echo x > b");
    let forced = twins.same_trashing(&["repro", "--force-downstream"], &["b"]);
    assert!(forced.stdout.contains("Running stage 'd':"));
    twins.same(&["repro", "--force-downstream", "-f", "b"]);
    twins.same_file("dvc.lock");
    // a data source as the start of --downstream
    twins.each("echo changed > data");
    twins.same(&["repro", "--downstream", "data.dvc"]);
    for file in ["data.dvc", "dvc.lock", "sub/dvc.lock"] {
        twins.same_file(file);
    }
}

#[test]
fn glob_targets_like_dvc() {
    let twins = Twins::new(
        "printf 'stages:\\n  train-a:\\n    cmd: echo a > a\\n    outs: [a]\\n  train-b:\\n    \
         cmd: cat a > b\\n    deps: [a]\\n    outs: [b]\\n  eval:\\n    cmd: echo e > e\\n    \
         outs: [e]\\n  fe:\\n    foreach: [x, y]\\n    do:\\n      cmd: echo ${item} > \
         fe-${item}\\n      outs: [\"fe-${item}\"]\\n' > dvc.yaml && mkdir sub && printf \
         'stages:\\n  s1:\\n    cmd: echo s > s\\n    outs: [s]\\n' > sub/dvc.yaml && echo d \
         > d && $DVC add -q d && git add -A && git commit -qm setup",
    );
    for args in [
        &["repro", "--glob", "train*", "--dry"][..],
        &["repro", "--glob", "tr?in-[b]", "--dry"],
        &["repro", "--glob", "nomatch*", "-s", "--dry"],
        &["repro", "--glob", "fe", "-s", "--dry"],
        &["repro", "--glob", "sub/dvc.yaml:s*", "--dry"],
        &["repro", "--glob", "d.dvc", "--dry"],
        &["repro", "--glob", "nope/dvc.yaml:*", "--dry"],
        &["repro", "--glob", "train[", "--dry"],
        &["repro", "--glob", "-s", "e*", "tr*b", "--dry"],
    ] {
        twins.same(args);
    }
    let matched = twins.same(&["repro", "--glob", "-s", "*-a"]);
    assert!(matched.stdout.starts_with("Running stage 'train-a':\n"));
}

/// `a` fails, `b` depends on it, `x` succeeds, `y` fails on its own.
const FAILING: &str = "printf 'stages:\\n  a:\\n    cmd: echo a > a && false\\n    outs: [a]\\n  \
    b:\\n    cmd: cat a > b\\n    deps: [a]\\n    outs: [b]\\n  x:\\n    cmd: echo x > x\\n    \
    outs: [x]\\n  y:\\n    cmd: exit 3\\n    outs: [y]\\n' > dvc.yaml && git add -A && git \
    commit -qm setup";

#[test]
fn keep_going_and_ignore_errors_like_dvc() {
    let twins = Twins::new(FAILING);
    let failed = twins.same(&["repro"]);
    assert_eq!(failed.code, 255);
    assert_eq!(
        failed.stderr,
        "ERROR: failed to reproduce 'a': failed to run: echo a > a && false, exited with 1\n"
    );

    // (the output the failed run left is moved aside by dv, deleted by dvc)
    let kept_going = twins.same_trashing(&["repro", "-k"], &["a"]);
    assert_eq!(kept_going.code, 255);
    assert_eq!(
        kept_going.stderr,
        "WARNING: failed to run: echo a > a && false, exited with 1\nWARNING: Stage 'b' will \
         be skipped due to this failure\nWARNING: failed to run: exit 3, exited with 3\nERROR: \
         failed to reproduce stages: 'a' and 'y'\n"
    );
    // the lock keeps what ran; the `.gitignore` entries of a failed run are taken back
    twins.same_file("dvc.lock");
    twins.same_file(".gitignore");
    assert!(!twins.ours.exists(".gitignore"));

    twins.each("rm -f dvc.lock x");
    let ignored = twins.same_trashing(&["repro", "--ignore-errors"], &["a"]);
    assert_eq!(ignored.code, 0);
    assert!(
        ignored
            .stderr
            .contains("WARNING: failed to run: exit 3, exited with 3 (ignored)\n")
    );
    for file in ["dvc.lock", ".gitignore", "b"] {
        twins.same_file(file);
    }
    // the later of -k and --ignore-errors wins; -s has no graph to skip dependents in
    twins.same(&["repro", "-k", "--ignore-errors", "y"]);
    twins.same(&["repro", "--ignore-errors", "-k", "y"]);
    twins.same(&["repro", "-k", "a", "x"]);
    twins.same(&["repro", "-s", "-k", "a", "b"]);
    twins.same(&["repro", "-k", "--dry"]);
}

#[test]
fn missing_dependencies_fail_like_dvc() {
    let twins = Twins::new(
        "printf 'stages:\\n  a:\\n    cmd: echo a > a\\n    deps: [x]\\n    outs: [a]\\n  b:\\n    \
         cmd: echo b > b\\n    deps: [x]\\n    outs: [b]\\n    always_changed: true\\n' > \
         dvc.yaml && git add -A && git commit -qm setup",
    );
    let hashed = twins.same(&["repro", "a"]);
    assert_eq!(
        hashed.stderr,
        "ERROR: failed to reproduce 'a': [Errno 2] No such file or directory: '[ROOT]/x'\n"
    );
    twins.same(&["repro", "--dry", "a"]);
    twins.same(&["repro", "--no-run-cache", "a"]);
    let saved = twins.same(&["repro", "b"]);
    assert_eq!(
        saved.stderr,
        "ERROR: failed to reproduce 'b': dependency 'x' does not exist\n"
    );
    twins.same(&["repro", "--dry", "b"]);
    twins.same(&["repro", "-f", "a"]);
}

#[test]
fn missing_params_fail_like_dvc() {
    let twins = Twins::new(
        "echo 'lr: 1' > params.yaml && echo 'x: 1' > p2.yaml && printf 'stages:\n  a:\n    \
         cmd: echo a > a\n    params: [lr]\n    outs: [a]\n  w:\n    cmd: echo w > w\n    \
         params:\n    - p2.yaml:\n    outs: [w]\n  al:\n    cmd: echo al > al\n    \
         params: [lr]\n    outs: [al]\n    always_changed: true\n' > dvc.yaml && $DVC repro \
         -q && git add -A && git commit -qm setup",
    );
    twins.each("rm params.yaml p2.yaml");
    twins.same(&["repro", "--allow-missing", "--dry"]);
    twins.same(&["status"]);
    let missing = twins.same(&["repro", "a"]);
    assert_eq!(
        missing.stderr,
        "ERROR: failed to reproduce 'a': Parameters 'lr' are missing from 'params.yaml'.\n"
    );
    twins.same(&["repro", "al"]);
    twins.same(&["repro", "--dry", "-k"]);
    // the outputs of the failed stages are gone, as with DVC
    twins.same(&["repro", "-k"]);
    assert!(!twins.ours.exists("a"));
    twins.each("echo 'x: 1' > p2.yaml && echo 'lr: 1' > params.yaml");
    twins.same(&["repro"]);
    twins.same_file("dvc.lock");
}

#[test]
fn allow_missing_like_dvc() {
    let twins = Twins::new(&format!(
        "{CHAIN} && $DVC repro -q && git add -A && git commit -qm ran"
    ));
    // a fresh clone: no data, no cache
    twins.each("rm -rf .dvc/cache data a b");
    let skipped = twins.same(&["repro", "--allow-missing", "--dry"]);
    assert!(
        skipped
            .stdout
            .ends_with("Stage 'b' didn't change, skipping\nData and pipelines are up to date.\n")
    );
    twins.same(&["repro", "--allow-missing"]);
    // status says what is missing; not in the cache comes before modified
    twins.same(&["status"]);
    twins.each("echo data > data");
    twins.same(&["repro", "--allow-missing", "--dry"]);
    twins.each("echo data2 > data");
    twins.same(&["status"]);
    twins.same(&["repro", "--allow-missing", "--dry"]);
    twins.same(&["repro", "--allow-missing"]);
    for file in ["data.dvc", "dvc.lock", "a", "b"] {
        twins.same_file(file);
    }
}

#[test]
fn no_commit_like_dvc() {
    let twins = Twins::new(
        "echo data > data && printf 'stages:\\n  a:\\n    cmd: cp data a && echo {} > m.json\\n    \
         deps: [data]\\n    outs: [a]\\n    metrics:\\n    - m.json:\\n        cache: false\\n' \
         > dvc.yaml && git add -A && git commit -qm setup",
    );
    twins.same(&["repro", "--no-commit"]);
    // the lock and the `.gitignore` are written, nothing goes to the cache or the run-cache
    for file in ["dvc.lock", ".gitignore"] {
        twins.same_file(file);
    }
    assert!(!twins.ours.exists(".dvc/cache"));
    twins.same(&["status"]);
    twins.same(&["repro"]);
    twins.same_cache();
    twins.same(&["repro", "--no-commit", "-f"]);
    twins.each("echo more >> data");
    twins.same(&["repro", "--no-commit"]);
    twins.same_cache();
    twins.same(&["status"]);
    // a data source saved without committing
    twins.each("echo y > d2 && $DVC add -q d2 && echo z > d2");
    twins.same(&["repro", "--no-commit", "d2.dvc"]);
    twins.same_file("d2.dvc");
    twins.same_cache();
}

/// [`CHAIN`] run and its data pushed to a local remote outside the repository.
const PUSHED: &str = "$DVC remote add -q -d store ../remote && echo data > data && $DVC add -q \
    data && printf 'stages:\\n  a:\\n    cmd: cp data a\\n    deps: [data]\\n    outs: [a]\\n  \
    b:\\n    cmd: cat a a > b\\n    deps: [a]\\n    outs: [b]\\n  x:\\n    cmd: cp nothere x\\n    \
    deps: [nothere]\\n    outs: [x]\\n' > dvc.yaml && $DVC repro -q a b && $DVC push -q && git \
    add -A && git commit -qm setup";

#[test]
fn pull_like_dvc() {
    let twins = Twins::new(PUSHED);
    // everything on the remote: pulled instead of reproduced
    twins.each("rm -rf .dvc/cache data a b");
    let pulled = twins.same(&["repro", "--pull", "a", "b"]);
    assert_eq!(
        pulled.stdout,
        "Pulling data for stage: 'data.dvc'\nPulling data for stage: 'a'\nPulling data for \
         stage: 'b'\nData and pipelines are up to date.\n"
    );
    for file in ["data", "a", "b"] {
        twins.same_file(file);
    }
    twins.same(&["repro", "--pull", "a", "b"]);

    // `b` is not on the remote: it runs after all
    twins.each("rm -rf ../remote/files/md5/e4 .dvc/cache data a b");
    twins.same(&["repro", "--pull", "a", "b"]);
    twins.same_file("b");
    // a stage never run has nothing to pull; its missing dependency names nothing
    twins.same(&["repro", "--pull", "x"]);
    twins.same(&["repro", "--pull", "x", "-k"]);
    twins.same(&["repro", "--pull", "x", "--dry"]);

    // unsaved workspace content is never replaced
    twins.each("rm -rf .dvc/cache data && chmod u+w a && echo x > a");
    twins.same(&["repro", "--pull", "-s", "a"]);
    // a missing dependency that cannot be pulled
    twins.each("rm -rf .dvc/cache data a");
    twins.same(&["repro", "--pull", "-s", "a", "--no-run-cache"]);

    // without a remote: a warning for the run-cache, and nothing can be pulled
    twins.same(&["remote", "remove", "store"]);
    twins.same(&["repro", "--pull", "a"]);
    twins.same(&["repro", "--pull", "--no-run-cache", "a"]);
}

/// Starts `dv repro` or `dvc repro` in its own process group; waits until the stage command
/// wrote `started`, sends SIGINT to the whole group (a Ctrl-C at the terminal) or to the
/// process alone, and returns the outcome.
fn interrupted(repo: &TestRepo, is_dv: bool, whole_group: bool) -> Outcome {
    use std::os::unix::process::CommandExt;
    let mut command = if is_dv {
        repo.dv_process()
    } else {
        repo.dvc_process()
    };
    let child = command
        .arg("repro")
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !repo.exists("started") {
        assert!(Instant::now() < deadline, "the stage never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id().to_string();
    let target = if whole_group { format!("-{pid}") } else { pid };
    assert!(
        Command::new("kill")
            .args(["-INT", "--", &target])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();
    normalized(
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
        .redacted(repo),
    )
}

#[test]
fn ctrl_c_during_a_stage_fails_it_like_dvc() {
    let twins = Twins::new(
        "printf 'stages:\\n  a:\\n    cmd: echo a > a\\n    outs: [a]\\n  b:\\n    cmd: echo \
         started > started && sleep 30 && echo b > b\\n    deps: [a]\\n    outs: [b]\\n' > \
         dvc.yaml && git add -A && git commit -qm setup",
    );
    let ours = interrupted(&twins.ours, true, true);
    let theirs = interrupted(&twins.theirs, false, true);
    assert_eq!(ours, theirs);
    assert_eq!(ours.code, 255);
    assert_eq!(
        ours.stderr,
        "ERROR: failed to reproduce 'b': failed to run: echo started > started && sleep 30 && \
         echo b > b, exited with -2\n"
    );
    // the lock has the stage that finished, not the interrupted one
    twins.same_file("dvc.lock");
    assert!(!twins.ours.read("dvc.lock").contains("  b:"));

    // SIGINT to dv alone is left to the command, which finishes: the stage completes
    twins.each("rm started");
    let shortened = "sed -i 's/sleep 30/sleep 2/' dvc.yaml";
    twins.each(shortened);
    let ours = interrupted(&twins.ours, true, false);
    let theirs = interrupted(&twins.theirs, false, false);
    assert_eq!(ours.code, 0, "{ours}");
    assert_eq!(ours, theirs);
    twins.same_file("dvc.lock");
}
