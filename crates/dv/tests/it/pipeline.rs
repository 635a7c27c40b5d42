//! `dv stage add`, `dv repro` and pipeline stages in `dv status`, against the real dvc: the
//! files written are byte-identical, each tool reads what the other wrote.

use dv_test::{TestRepo, run};

const PREP_CMD: &str = "mkdir -p data && cp raw.txt data/a && echo $(cat raw.txt) > data/b";
const TRAIN_CMD: &str = "cat data/a data/b > model.txt && echo '{\"acc\": 1}' > metrics.json";

/// A repository with params, a stage tracking `dim` that writes a directory, and a stage
/// consuming that directory; stages added by dv or by dvc.
fn seed(is_dv: bool) -> TestRepo {
    let repo = TestRepo::new();
    run(repo.dvc().args(["init", "-q"])).success();
    repo.write("params.yaml", "dim: 3\nlr: 0.1\n");
    repo.write("raw.txt", "a\n");
    let tool = |repo: &TestRepo| if is_dv { repo.dv() } else { repo.dvc() };
    run(tool(&repo).args([
        "stage", "add", "-n", "prep", "-d", "raw.txt", "-p", "dim", "-o", "data", PREP_CMD,
    ]))
    .success();
    run(tool(&repo).args([
        "stage",
        "add",
        "-n",
        "train",
        "-d",
        "data",
        "-o",
        "model.txt",
        "-M",
        "metrics.json",
        TRAIN_CMD,
    ]))
    .success();
    repo
}

#[test]
fn stage_add_writes_what_dvc_writes() {
    let ours = seed(true);
    let theirs = seed(false);
    for file in ["dvc.yaml", ".gitignore"] {
        assert_eq!(ours.read(file), theirs.read(file), "{file}");
    }
    let add = run(ours.dv().args([
        "stage",
        "add",
        "-n",
        "z",
        "-p",
        "p2.yaml:a,b",
        "-O",
        "zy",
        "--outs-persist",
        "zp",
        "-m",
        "m2",
        "--plots-no-cache",
        "pn",
        "--always-changed",
        "--desc",
        "d",
        "echo",
        "a b",
    ]));
    add.success();
    assert!(add.stdout.starts_with("Added stage 'z' in 'dvc.yaml'\n"));
    run(theirs.dvc().args([
        "stage",
        "add",
        "-n",
        "z",
        "-p",
        "p2.yaml:a,b",
        "-O",
        "zy",
        "--outs-persist",
        "zp",
        "-m",
        "m2",
        "--plots-no-cache",
        "pn",
        "--always-changed",
        "--desc",
        "d",
        "echo",
        "a b",
    ]))
    .success();
    for file in ["dvc.yaml", ".gitignore"] {
        assert_eq!(ours.read(file), theirs.read(file), "{file}");
    }
}

#[test]
fn stage_add_errors_like_dvc() {
    let ours = seed(true);
    let theirs = seed(false);
    let cases: &[&[&str]] = &[
        &["stage", "add", "-n", "train", "-d", "x", "echo"],
        &["stage", "add", "-n", "other", "-o", "model.txt", "echo"],
        &["stage", "add", "-n", "y", "-o", "data/inner", "echo"],
        &["stage", "add", "-n", "a.b", "echo"],
        &["stage", "add", "-n", "x"],
    ];
    for args in cases {
        let dv = run(ours.dv().args(*args));
        let dvc = run(theirs.dvc().args(*args));
        assert_eq!((dv.code, &dv.stderr), (dvc.code, &dvc.stderr), "{args:?}");
    }
    assert_eq!(ours.read("dvc.yaml"), theirs.read("dvc.yaml"));
}

#[test]
fn status_of_stages_never_run_matches_dvc() {
    let repo = seed(true);
    for args in [&["status"][..], &["status", "--json"][..]] {
        let dv = run(repo.dv().args(args));
        let dvc = run(repo.dvc().args(args));
        assert_eq!((dv.code, &dv.stdout), (dvc.code, &dvc.stdout), "{args:?}");
    }
}

#[test]
fn repro_writes_the_lock_dvc_writes() {
    let ours = seed(true);
    let theirs = seed(false);
    let repro = run(ours.dv().arg("repro"));
    repro.success();
    let expected = run(theirs.dvc().arg("repro"));
    expected.success();
    assert_eq!(repro.stdout, expected.stdout);
    for file in [
        "dvc.lock",
        "dvc.yaml",
        ".gitignore",
        "data/a",
        "data/b",
        "model.txt",
    ] {
        assert_eq!(ours.read(file), theirs.read(file), "{file}");
    }
    let status = run(ours.dvc().arg("status"));
    status.success();
    assert_eq!(status.stdout, "Data and pipelines are up to date.\n");

    // nothing changed: every stage is skipped
    let again = run(ours.dv().arg("repro"));
    again.success();
    assert_eq!(
        again.stdout,
        "Stage 'prep' didn't change, skipping\nStage 'train' didn't change, skipping\n\
         Data and pipelines are up to date.\n"
    );

    // a param change reruns the stage tracking it; its unchanged output skips the next one
    for repo in [&ours, &theirs] {
        repo.write("params.yaml", "dim: 4\nlr: 0.1\n");
    }
    let status = run(ours.dv().arg("status"));
    assert_eq!(status.stdout, run(ours.dvc().arg("status")).stdout);
    assert!(status.stdout.contains("modified:           dim"));
    let rerun = run(ours.dv().arg("repro"));
    rerun.success();
    assert!(rerun.stdout.starts_with("Running stage 'prep':\n"));
    assert!(
        rerun
            .stdout
            .contains("\nStage 'train' didn't change, skipping\n")
    );
    run(theirs.dvc().arg("repro")).success();
    assert_eq!(ours.read("dvc.lock"), theirs.read("dvc.lock"));
}

#[test]
fn dv_reads_what_dvc_repro_wrote() {
    let repo = seed(false);
    run(repo.dvc().arg("repro")).success();
    let status = run(repo.dv().arg("status"));
    status.success();
    assert_eq!(status.stdout, "Data and pipelines are up to date.\n");
    let repro = run(repo.dv().arg("repro"));
    repro.success();
    assert!(
        repro
            .stdout
            .ends_with("Data and pipelines are up to date.\n")
    );
    repo.write("raw.txt", "b\n");
    let status = run(repo.dv().arg("status"));
    assert_eq!(status.stdout, run(repo.dvc().arg("status")).stdout);
    run(repo.dv().arg("repro")).success();
    assert_eq!(repo.read("model.txt"), "b\nb\n");
    let status = run(repo.dvc().arg("status"));
    assert_eq!(status.stdout, "Data and pipelines are up to date.\n");
}

#[test]
fn failing_command_fails_like_dvc_and_keeps_the_lock() {
    let repo = seed(true);
    run(repo.dv().arg("repro")).success();
    let lock = repo.read("dvc.lock");
    run(repo.dv().args([
        "stage",
        "add",
        "-n",
        "bad",
        "-d",
        "model.txt",
        "echo hi; exit 3",
    ]))
    .success();
    let failed = run(repo.dv().args(["repro", "bad"]));
    failed.expect_code(255);
    assert_eq!(
        failed.stderr,
        "ERROR: failed to reproduce 'bad': failed to run: echo hi; exit 3, exited with 3\n"
    );
    assert!(
        failed
            .stdout
            .ends_with("Running stage 'bad':\n> echo hi; exit 3\nhi\n")
    );
    assert_eq!(repo.read("dvc.lock"), lock);
}

#[test]
fn frozen_stages_are_verified_not_run_like_dvc() {
    let make = |is_dv: bool| {
        let repo = TestRepo::new();
        run(repo.dvc().args(["init", "-q"])).success();
        repo.write("in.txt", "1\n");
        repo.write(
            "dvc.yaml",
            "stages:\n  s1:\n    cmd: cp in.txt mid.txt && echo s1 >> log\n    deps:\n    - in.txt\n    outs:\n    - mid.txt\n  s2:\n    cmd: cp mid.txt fin.txt && echo s2 >> log\n    deps:\n    - mid.txt\n    outs:\n    - fin.txt\n",
        );
        let tool = |repo: &TestRepo| if is_dv { repo.dv() } else { repo.dvc() };
        run(tool(&repo).args(["repro", "-q"])).success();
        run(tool(&repo).args(["freeze", "s2"])).success();
        repo
    };
    let (ours, theirs) = (make(true), make(false));
    assert_eq!(ours.read("dvc.yaml"), theirs.read("dvc.yaml"));
    type Edit = fn(&TestRepo);
    let steps: &[(Edit, &[&str])] = &[
        (|repo| repo.write("in.txt", "2\n"), &["repro"]),
        (|repo| repo.write("fin.txt", "edited\n"), &["repro"]),
        (|_| {}, &["repro", "-f", "s2"]),
        (|_| {}, &["repro", "--dry"]),
        (
            |repo| std::fs::remove_file(repo.path("fin.txt")).unwrap(),
            &["repro"],
        ),
    ];
    for (edit, args) in steps {
        edit(&ours);
        edit(&theirs);
        let a = run(ours.dv().args(*args)).redacted(&ours);
        let b = run(theirs.dvc().args(*args)).redacted(&theirs);
        assert_eq!(a.code, b.code, "{args:?}\n{a}\n{b}");
        assert_eq!(a.stdout, b.stdout, "{args:?}\n{a}\n{b}");
        let first_line = |text: &str| text.lines().next().map(str::to_owned);
        assert_eq!(
            first_line(&a.stderr),
            first_line(&b.stderr),
            "{args:?}\n{a}\n{b}"
        );
        assert_eq!(ours.read("log"), theirs.read("log"), "{args:?}");
        if ours.exists("dvc.lock") {
            assert_eq!(ours.read("dvc.lock"), theirs.read("dvc.lock"), "{args:?}");
        }
    }
}
