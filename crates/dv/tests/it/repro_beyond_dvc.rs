//! What `dv repro` does beyond dvc: `-j N` runs independent stages at once (same `dvc.lock` as
//! dvc's one-at-a-time run), `--explain` says why each stage runs, outputs whose content exists
//! nowhere else are moved aside instead of deleted, dependencies changed while a stage runs are
//! reported; and what it does as dvc does but had to be built anew for it: `-i`, and the
//! repository lock released while a stage's command runs.

use dv_test::twins::{Twins, sh};
use dv_test::{TestRepo, run};

/// A repository initialised by dvc with `setup` run in it.
fn repo(setup: &str) -> TestRepo {
    let repo = TestRepo::new();
    sh(&repo, &format!("$DVC init -q && {setup}"));
    repo
}

/// Two stages that can only finish if they run at the same time: each waits (up to 10 s) for
/// the other to have started.
const RENDEZVOUS: &str = "printf 'stages:\\n  left:\\n    cmd: touch left.started; i=0; while [ \
    ! -e right.started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; test -e \
    right.started && echo left > left && echo left says hi && echo left warns >&2\\n    outs: \
    [left]\\n  right:\\n    cmd: touch right.started; i=0; while [ ! -e left.started ] && [ $i \
    -lt 100 ]; do sleep 0.1; i=$((i+1)); done; test -e left.started && echo right > right\\n    \
    outs: [right]\\n  both:\\n    cmd: cat left right > both\\n    deps: [left, right]\\n    \
    outs: [both]\\n' > dvc.yaml && git add -A && git commit -qm setup";

#[test]
fn jobs_run_independent_stages_at_the_same_time_with_prefixed_output() {
    let repo = repo(RENDEZVOUS);
    let outcome = run(repo.dv().args(["repro", "-j", "2"]));
    assert_eq!(outcome.code, 0, "{outcome}");
    assert_eq!(repo.read("both"), "left\nright\n");
    // the commands' own output, prefixed by their stage
    assert!(
        outcome.stdout.contains("[left] left says hi\n"),
        "{outcome}"
    );
    assert!(outcome.stderr.contains("[left] left warns\n"), "{outcome}");
    assert!(outcome.stdout.contains("Running stage 'left':\n"));
    assert!(outcome.stdout.contains("Running stage 'right':\n"));
    // `both` waited for the two
    let both = outcome.stdout.find("Running stage 'both':").unwrap();
    assert!(outcome.stdout.find("Running stage 'right':").unwrap() < both);
    // dvc reads the result clean
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
    let again = run(repo.dv().args(["repro", "-j", "2"]));
    assert!(
        again.stdout.ends_with(
            "Stage 'both' didn't change, skipping\nData and pipelines are up to date.\n"
        ),
        "{again}"
    );
}

/// A fan-out and fan-in with stages of different lengths, so that with `-j` they finish in
/// another order than dvc runs them.
const FAN: &str = "echo data > data && printf 'stages:\\n  slow:\\n    cmd: sleep 1 && cat data > \
    slow\\n    deps: [data]\\n    outs: [slow]\\n  fast:\\n    cmd: cat data data > fast\\n    \
    deps: [data]\\n    outs: [fast]\\n  after_fast:\\n    cmd: cat fast > after_fast\\n    \
    deps: [fast]\\n    outs: [after_fast]\\n  other:\\n    cmd: echo other > other\\n    outs: \
    [other]\\n  join:\\n    cmd: cat slow after_fast other > join\\n    deps: [slow, \
    after_fast, other]\\n    outs: [join]\\n' > dvc.yaml && git add -A && git commit -qm setup";

#[test]
fn jobs_write_the_lock_file_dvc_writes_running_one_stage_at_a_time() {
    let twins = Twins::new(FAN);
    let ours = run(twins.ours.dv().args(["repro", "-j", "3"]));
    assert_eq!(ours.code, 0, "{ours}");
    let theirs = run(twins.theirs.dvc().arg("repro"));
    assert_eq!(theirs.code, 0, "{theirs}");
    for file in ["dvc.lock", ".gitignore", "join"] {
        twins.same_file(file);
    }
    twins.same_cache();
    twins.same(&["status"]);
    let clean = run(twins.ours.dvc().arg("status"));
    assert_eq!(clean.stdout, "Data and pipelines are up to date.\n");

    // a change upstream reruns the same stages as dvc, lock again identical
    twins.each("echo more >> data");
    let ours = run(twins.ours.dv().args(["repro", "-j", "2"]));
    assert_eq!(ours.code, 0, "{ours}");
    run(twins.theirs.dvc().arg("repro")).success();
    twins.same_file("dvc.lock");
    assert!(!ours.stdout.contains("Running stage 'other'"), "{ours}");
}

#[test]
fn jobs_let_running_stages_finish_when_one_fails() {
    let repo = repo(
        "printf 'stages:\\n  bad:\\n    cmd: sleep 0.2 && exit 4\\n    outs: [bad]\\n  good:\\n    \
         cmd: sleep 1 && echo good > good\\n    outs: [good]\\n  later:\\n    cmd: cp good \
         later\\n    deps: [good, bad]\\n    outs: [later]\\n' > dvc.yaml && git add -A && git \
         commit -qm setup",
    );
    let outcome = run(repo.dv().args(["repro", "-j", "2"]));
    assert_eq!(outcome.code, 255, "{outcome}");
    assert_eq!(
        outcome.stderr,
        "ERROR: failed to reproduce 'bad': failed to run: sleep 0.2 && exit 4, exited with 4\n"
    );
    // `good` was running: it finished and is recorded; `later` never started
    let lock = repo.read("dvc.lock");
    assert!(lock.contains("  good:\n"), "{lock}");
    assert!(!lock.contains("bad:") && !lock.contains("later:"), "{lock}");
    assert!(!repo.exists("later"));

    // -k: the failure's dependents are skipped, the rest carries on
    let kept_going = run(repo.dv().args(["repro", "-j", "2", "-k"]));
    assert_eq!(kept_going.code, 255, "{kept_going}");
    assert!(
        kept_going
            .stderr
            .contains("WARNING: Stage 'later' will be skipped due to this failure\n"),
        "{kept_going}"
    );
}

/// `train` uses a params key and a data file; `report` follows it.
const EXPLAINED: &str = "printf 'train:\\n  lr: 0.01\\n  epochs: 3\\n' > params.yaml && echo \
    1,2 > data.csv && printf 'stages:\\n  train:\\n    cmd: cat data.csv > model\\n    deps: \
    [data.csv]\\n    params: [train.lr, train.epochs]\\n    outs: [model]\\n  report:\\n    \
    cmd: wc -c model > report.txt\\n    deps: [model]\\n    metrics:\\n    - report.txt:\\n        \
    cache: false\\n' > dvc.yaml && $DVC repro -q && git add -A && git commit -qm ran";

#[test]
fn explain_says_what_changed_from_what_to_what() {
    let repo = repo(EXPLAINED);
    let unchanged = run(repo.dv().args(["repro", "--explain", "--dry"]));
    assert_eq!(
        unchanged.stdout,
        "Stage 'train' didn't change, skipping\nStage 'report' didn't change, skipping\nData and \
         pipelines are up to date.\n"
    );
    let old_data = md5_prefix(&repo, "data.csv");
    sh(
        &repo,
        "printf 'train:\\n  lr: 0.02\\n  epochs: 3\\n' > params.yaml && echo 3,4 > data.csv",
    );
    let new_data = md5_prefix(&repo, "data.csv");
    let dry = run(repo.dv().args(["repro", "--explain", "--dry"]));
    assert_eq!(dry.code, 0, "{dry}");
    assert!(
        dry.stdout.starts_with(&format!(
            "Stage 'train' will run because:\n  dep 'data.csv' modified: {old_data} -> \
             {new_data}\n  param 'train.lr' (params.yaml) modified: 0.01 -> 0.02\nStage \
             'train' is cached - skipping run, checking out outputs\n"
        )),
        "{dry}"
    );
    // status says the same under `why:`
    let status = run(repo.dv().args(["status", "--explain"]));
    assert_eq!(
        status.stdout,
        format!(
            "train:\n\tchanged deps:\n\t\tmodified:           data.csv\n\t\tparams.yaml:\n\t\t\t\
             modified:           train.lr\n\twhy:\n\t\tdep 'data.csv' modified: {old_data} -> \
             {new_data}\n\t\tparam 'train.lr' (params.yaml) modified: 0.01 -> 0.02\n"
        )
    );
    // without --explain, status is dvc's
    let plain = run(repo.dv().arg("status"));
    assert_eq!(plain.stdout, run(repo.dvc().arg("status")).stdout);

    // a changed command, a forced stage, and -v shows the reasons as debug lines
    sh(
        &repo,
        "git checkout -q params.yaml data.csv && sed -i 's/cat data.csv > model/cp data.csv \
         model/' dvc.yaml",
    );
    let command = run(repo.dv().args(["repro", "--explain", "--dry", "train"]));
    assert!(
        command.stdout.starts_with(
            "Stage 'train' will run because:\n  cmd changed: 'cat data.csv > model' -> 'cp \
             data.csv model'\n"
        ),
        "{command}"
    );
    let forced = run(repo
        .dv()
        .args(["repro", "--explain", "--dry", "-f", "report"]));
    assert!(
        forced
            .stdout
            .contains("Stage 'report' will run because:\n  forced (--force)\n"),
        "{forced}"
    );
    let verbose = run(repo.dv().args(["-v", "repro", "--dry", "train"]));
    assert!(
        verbose.stderr.contains("Stage 'train' will run because:"),
        "{verbose}"
    );
}

/// The first eight hex digits of the md5 of `file`.
fn md5_prefix(repo: &TestRepo, file: &str) -> String {
    let out = run(repo.command("md5sum").arg(file));
    out.stdout[..8].to_owned()
}

#[test]
fn outputs_existing_nowhere_else_are_moved_aside_not_deleted() {
    let twins = Twins::new(EXPLAINED);
    // an output edited by hand: dvc deletes it, dv moves it aside and says where
    twins.each("chmod u+w model && echo precious > model && echo by hand > report.txt");
    let ours = twins.same_trashing(&["repro"], &["model", "report.txt"]);
    assert_eq!(ours.code, 0);
    twins.same_file("dvc.lock");
    twins.same_file("model");
    let (_, _) = (ours.stdout, ours.stderr);
    let warnings = run(twins.ours.dv().args(["repro", "-f"]));
    // outputs whose content is in the cache or in the lock file go silently, as with dvc
    assert_eq!(warnings.stderr, "", "{warnings}");
    let trash = twins.ours.path(".dvc/tmp/dv/trash");
    let kept: Vec<(String, Vec<u8>)> = dv_test::files_under(&trash);
    let mut names: Vec<String> = kept
        .iter()
        .map(|(path, _)| path.split_once('/').unwrap().1.to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["model", "report.txt"]);
    for (path, content) in kept {
        let expected: &[u8] = if path.ends_with("model") {
            b"precious\n"
        } else {
            b"by hand\n"
        };
        assert_eq!(content, expected, "{path}");
    }
}

#[test]
fn the_warning_names_where_the_output_went() {
    let repo = repo(EXPLAINED);
    sh(&repo, "chmod u+w model && echo precious > model");
    let outcome = run(repo.dv().args(["repro", "train"]));
    assert_eq!(outcome.code, 0, "{outcome}");
    let line = outcome.stderr.lines().next().unwrap();
    let to = line
        .strip_prefix(
            "WARNING: 'model' is neither in the cache nor recorded in the lock file: moved to '",
        )
        .and_then(|rest| {
            rest.strip_suffix(
                "' instead of deleting it before running stage 'train' (move it back to \
                 restore it)",
            )
        })
        .unwrap_or_else(|| panic!("{outcome}"));
    assert!(to.starts_with(".dvc/tmp/dv/trash/"), "{to}");
    assert_eq!(repo.read(to), "precious\n");
}

#[test]
fn a_dependency_changed_while_its_stage_ran_is_reported_and_rerun() {
    let repo = repo(
        "echo one > data && printf 'stages:\\n  grow:\\n    cmd: cat data > out && echo two >> \
         data\\n    deps: [data]\\n    outs: [out]\\n' > dvc.yaml && git add -A && git commit \
         -qm setup",
    );
    let outcome = run(repo.dv().arg("repro"));
    assert_eq!(outcome.code, 0, "{outcome}");
    assert_eq!(
        outcome.stderr,
        "WARNING: 'data' changed while stage 'grow' was running: the lock file records it as \
         it was when the stage started, so the next repro runs it again\n"
    );
    // the lock records `data` as the command read it: the stage is out of date
    let lock = repo.read("dvc.lock");
    let one = run(repo.command("sh").args(["-c", "echo one | md5sum"]));
    assert!(lock.contains(&one.stdout[..32]), "{lock}");
    let status = run(repo.dv().arg("status"));
    assert_eq!(
        status.stdout,
        "grow:\n\tchanged deps:\n\t\tmodified:           data\n"
    );
    assert_eq!(status.stdout, run(repo.dvc().arg("status")).stdout);
}

#[test]
fn interactive_without_a_terminal_aborts_like_dvc() {
    let twins = Twins::new(EXPLAINED);
    twins.each("echo 5,6 > data.csv");
    let aborted = twins.same(&["repro", "-i"]);
    assert_eq!(aborted.code, 255);
    assert_eq!(
        aborted.stderr,
        "ERROR: failed to reproduce 'train': reproduction aborted by the user\n"
    );
    twins.same_file("dvc.lock");
}

#[test]
fn a_stage_can_run_dv_on_its_own_repository() {
    // the lock is released while the command runs, as dvc does: a `dv status` inside the
    // stage would otherwise fail to take it
    let repo = repo("echo data > data");
    repo.write(
        "dvc.yaml",
        "stages:\n  nested:\n    cmd: '\"$TOOL\" status > seen'\n    deps: [data]\n    outs: \
         [seen]\n",
    );
    sh(&repo, "git add -A && git commit -qm setup");
    let outcome = run(repo.dv().env("TOOL", env!("CARGO_BIN_EXE_dv")).arg("repro"));
    assert_eq!(outcome.code, 0, "{outcome}");
    assert!(
        repo.read("seen").contains("nested:"),
        "{}",
        repo.read("seen")
    );
    let parallel = run(repo
        .dv()
        .env("TOOL", env!("CARGO_BIN_EXE_dv"))
        .args(["repro", "-f", "-j", "2"]));
    assert_eq!(parallel.code, 0, "{parallel}");
}
