//! `dv dag`, `dv stage list`, `dv freeze` / `dv unfreeze` and frozen stages in `dv status`,
//! against the real dvc: the same exit code, stdout and stderr, and the same `dvc.yaml` and
//! `.dvc` bytes after freezing.

use dv_test::{Outcome, TestRepo, run};

/// A repository initialised by dvc, with `setup` applied.
fn repo_with(setup: impl Fn(&TestRepo)) -> TestRepo {
    let repo = TestRepo::new();
    run(repo.dvc().args(["init", "-q"])).success();
    setup(&repo);
    repo
}

/// Runs `args` with dv and with dvc in `dir` (relative to the root) of `repo`.
fn both(repo: &TestRepo, dir: &str, args: &[&str]) -> (Outcome, Outcome) {
    let cwd = repo.path(dir);
    let ours = run(repo.dv().current_dir(&cwd).args(args)).redacted(repo);
    let theirs = run(repo.dvc().current_dir(&cwd).args(args)).redacted(repo);
    (ours, theirs)
}

/// Asserts that dv and dvc give the same exit code, stdout and stderr for each command line
/// (read-only commands, run in the same repository).
fn assert_same(repo: &TestRepo, dir: &str, cases: &[&[&str]]) {
    for args in cases {
        let (ours, theirs) = both(repo, dir, args);
        assert_eq!(ours, theirs, "`{}` in `{dir}`", args.join(" "));
    }
}

/// A diamond fed by `data.dvc`, a stage on its own, and a `dvc.yaml` in `sub` with a
/// `foreach` group downstream of the diamond.
fn corpus(repo: &TestRepo) {
    repo.write(
        "dvc.yaml",
        "stages:\n  a:\n    cmd: cp data a\n    deps: [data]\n    outs: [a]\n  b:\n    \
         cmd: cp a b\n    deps: [a]\n    outs: [b]\n  c:\n    cmd: cp a c && cp a c2\n    \
         deps: [a]\n    outs: [c, c2]\n  d:\n    cmd: cat b c > d\n    \
         deps: [b, c, params.yaml]\n    outs: [d]\n  lone:\n    cmd: echo > lone\n    \
         outs: [lone]\n",
    );
    repo.write(
        "sub/dvc.yaml",
        "stages:\n  s1:\n    cmd: cp ../d s1out\n    deps: [../d]\n    outs: [s1out]\n  fe:\n    \
         foreach: [x, y]\n    do:\n      cmd: echo ${item} > fe-${item}\n      deps: [s1out]\n      \
         outs: [\"fe-${item}\"]\n",
    );
    repo.write("data", "data\n");
    run(repo.dvc().args(["add", "-q", "data"])).success();
}

#[test]
fn dag_draws_a_chain_like_dvc() {
    let repo = repo_with(|repo| {
        repo.write(
            "dvc.yaml",
            "stages:\n  prepare:\n    cmd: echo a > a\n    outs: [a]\n  train:\n    \
             cmd: cat a > b\n    deps: [a]\n    outs: [b]\n  evaluate:\n    cmd: cat b > c\n    \
             deps: [b]\n    outs: [c]\n",
        );
    });
    assert_same(
        &repo,
        ".",
        &[
            &["dag"],
            &["dag", "--dot"],
            &["dag", "--mermaid"],
            &["dag", "--md"],
            &["dag", "--outs"],
            &["dag", "-o", "--dot"],
            &["dag", "train"],
            &["dag", "train", "--full", "--mermaid"],
        ],
    );
    let drawn = run(repo.dv().arg("dag"));
    assert!(drawn.stdout.starts_with("+---------+  \n| prepare |  \n"));
}

#[test]
fn dag_of_pipelines_with_data_sources_subdirectories_and_foreach_like_dvc() {
    let repo = repo_with(corpus);
    assert_same(
        &repo,
        ".",
        &[
            &["dag"],
            &["dag", "--dot"],
            &["dag", "--mermaid"],
            &["dag", "--md"],
            &["dag", "--outs"],
            &["dag", "--outs", "--dot"],
            &["dag", "--outs", "--md"],
            &["dag", "b"],
            &["dag", "d", "--dot"],
            &["dag", "--full", "b"],
            &["dag", "c", "--outs"],
            &["dag", "--outs", "--full", "c"],
            &["dag", "--dot", "--mermaid"],
            &["dag", "--md", "--mermaid"],
        ],
    );
    // a data source appears as a node of its own
    let dot = run(repo.dv().args(["dag", "--dot"]));
    assert!(dot.stdout.contains("\"data.dvc\" -> \"a\";\n"));
}

#[test]
fn dag_from_a_subdirectory_like_dvc() {
    let repo = repo_with(corpus);
    // seen from the subdirectory, stages are addressed relative to it
    assert_same(
        &repo,
        "sub",
        &[
            &["dag", "--dot"],
            &["dag", "s1", "--dot"],
            &["dag", "fe", "--mermaid"],
            &["dag", "../dvc.yaml:a"],
            &["dag", "--outs", "--dot"],
        ],
    );
}

#[test]
fn dag_targets_stage_files_outputs_and_groups_like_dvc() {
    let repo = repo_with(corpus);
    assert_same(
        &repo,
        ".",
        &[
            &["dag", "sub/dvc.yaml:s1"],
            &["dag", "sub/dvc.yaml:fe"],
            &["dag", "sub/dvc.yaml:fe@x", "--full", "--mermaid"],
            &["dag", "sub/dvc.yaml", "--dot"],
            &["dag", "dvc.yaml"],
            &["dag", "data.dvc"],
            &["dag", "data"],
            &["dag", "sub/s1out"],
            &["dag", "lone", "--full"],
            &["dag", "--collapse-foreach-matrix"],
            &["dag", "--collapse-foreach-matrix", "--dot"],
            &["dag", "--collapse-foreach-matrix", "--mermaid"],
        ],
    );
}

#[test]
fn dag_targets_that_name_nothing_fail_like_dvc() {
    let repo = repo_with(corpus);
    assert_same(
        &repo,
        ".",
        &[
            &["dag", "nope"],
            &["dag", "fe@x"],
            &["dag", "sub"],
            &["dag", "sub/dvc.yaml:nope"],
            &["dag", "nope.dvc"],
            &["dag", "x/dvc.yaml:a"],
            &["dag", "dvc.lock"],
            &["dag", "--outs", "--collapse-foreach-matrix"],
        ],
    );
    let empty = repo_with(|_| {});
    assert_same(
        &empty,
        ".",
        &[
            &["dag"],
            &["dag", "--dot"],
            &["dag", "--mermaid"],
            &["dag", "--md"],
            &["dag", "x"],
        ],
    );
}

#[test]
fn dag_draws_each_pipeline_and_long_edges_like_dvc() {
    let repo = repo_with(|repo| {
        repo.write(
            "dvc.yaml",
            "stages:\n  train:\n    cmd: x\n    deps: [features]\n    outs: [model]\n  \
             featurize:\n    cmd: x\n    outs: [features]\n  evaluate:\n    cmd: x\n    \
             deps: [model, features]\n    metrics: [scores.json]\n  report:\n    cmd: x\n    \
             deps: [scores.json]\n    outs: [report.html]\n  other:\n    cmd: x\n    \
             outs: [o]\n  other-use:\n    cmd: x\n    deps: [o]\n    outs: [o2]\n",
        );
    });
    assert_same(
        &repo,
        ".",
        &[
            &["dag"],
            &["dag", "--outs"],
            &["dag", "--dot"],
            &["dag", "--mermaid"],
            &["dag", "report"],
            &["dag", "other", "--full"],
        ],
    );
}

#[test]
fn stage_list_matches_dvc() {
    let repo = repo_with(|repo| {
        repo.write(
            "dvc.yaml",
            "stages:\n  prepare:\n    desc: |\n\n      Prepare the data\n      second line\n    \
             cmd: x\n    deps: [raw]\n    outs: [a]\n  only-deps:\n    cmd: x\n    \
             deps: [a, raw]\n    params: [lr]\n  nothing:\n    cmd: x\n  reports:\n    cmd: x\n    \
             outs: [o1, o2]\n    metrics: [m.json]\n    plots: [p.csv]\n  onlymetrics:\n    \
             cmd: x\n    metrics: [m2.json]\n  long:\n    desc: \"{}\"\n    cmd: x\n  fe:\n    \
             foreach: [x, y]\n    do:\n      cmd: echo ${item}\n      outs: [\"fe-${item}\"]\n"
                .replace("{}", &"a".repeat(95)),
        );
        repo.write("params.yaml", "lr: 1\n");
        repo.write(
            "sub/dvc.yaml",
            "stages:\n  s:\n    cmd: echo s\n    outs: [so]\n",
        );
        repo.write("sub/deep/dvc.yaml", "stages:\n  t:\n    cmd: echo t\n");
        repo.write("raw", "r\n");
        run(repo.dvc().args(["add", "-q", "raw"])).success();
    });
    assert_same(
        &repo,
        ".",
        &[
            &["stage", "list"],
            &["stage", "list", "--name-only"],
            &["stage", "list", "--names-only"],
            &["stage", "list", "prepare"],
            &["stage", "list", "fe"],
            &["stage", "list", "fe@x"],
            &["stage", "list", "prepare", "fe", "prepare"],
            &["stage", "list", "-R", "sub"],
            &["stage", "list", "-R", "."],
            &["stage", "list", "sub/dvc.yaml"],
            &["stage", "list", "sub/dvc.yaml:s"],
            &["stage", "list", "raw.dvc"],
            &["stage", "list", "raw.dvc:foo"],
            &["stage", "list", "--all"],
            &["stage", "list", "--all", "--name-only"],
            &["stage", "list", "nope"],
            &["stage", "list", "raw"],
            &["stage", "list", "sub"],
            &["stage", "list", "sub:s"],
            &["stage", "list", "dvc.yaml:nope"],
            &["stage", "list", "dvc.lock"],
            &["stage", "list", "-R", "nonexistent"],
        ],
    );
    assert_same(
        &repo,
        "sub",
        &[
            &["stage", "list"],
            &["stage", "list", "-R", "."],
            &["stage", "list", "--all"],
            &["stage", "list", "../dvc.yaml:prepare"],
        ],
    );
    let listed = run(repo.dv().args(["stage", "list"]));
    assert!(listed.stdout.starts_with(
        "prepare      Prepare the data\nonly-deps    Depends on a, raw, params.yaml\n"
    ));
    let empty = repo_with(|_| {});
    assert_same(
        &empty,
        ".",
        &[
            &["stage", "list"],
            &["stage", "list", "--all"],
            &["stage", "list", "x"],
        ],
    );
}

/// A `dvc.yaml` with comments, flow lists, flags and templated stages, a `dvc.yaml` in `sub`
/// and a `.dvc` file.
fn freeze_corpus(repo: &TestRepo) {
    repo.write(
        "dvc.yaml",
        "# top comment\nvars:\n- v: 1\nstages:\n  prepare:  # the first\n    cmd: echo a > a\n    \
         deps:\n    - z\n    - in\n    outs:\n    - a\n  train:\n    cmd: cat a > b\n    \
         deps: [a, in]   # flow\n    params:\n    - lr\n    outs:\n    - b:\n        \
         cache: false\n    always_changed: false\n    frozen: false\n    meta:\n      \
         owner: me\n  tmpl:\n    cmd: echo ${v}\n  fe:\n    foreach: [x, y]\n    do:\n      \
         cmd: echo ${item}\n  mx:\n    matrix:\n      a: [1, 2]\n    cmd: echo ${item.a}\n",
    );
    repo.write("sub/dvc.yaml", "stages:\n  s:\n    cmd: echo s\n");
    for file in ["in", "z", "data"] {
        repo.write(file, format!("{file}\n"));
    }
    run(repo.dvc().args(["add", "-q", "data"])).success();
}

#[test]
fn freeze_and_unfreeze_write_what_dvc_writes() {
    let ours = repo_with(freeze_corpus);
    let theirs = repo_with(freeze_corpus);
    let steps: &[&[&str]] = &[
        &["freeze", "prepare"],
        &["freeze", "train"],
        &["unfreeze", "prepare", "train"],
        &["freeze", "train"],
        &["freeze", "data.dvc"],
        &["freeze", "data.dvc:foo"],
        &["unfreeze", "data.dvc"],
        &["freeze", "dvc.yaml:prepare"],
        &["freeze", "sub/dvc.yaml:s"],
        &["freeze", "-q", "prepare"],
        &["unfreeze", "dvc.yaml:prepare"],
        // unknown and unwritable targets: each reported, the others still done, exit code 1
        &["freeze", "nope", "prepare"],
        &["freeze", "nope.dvc", "data"],
        &["freeze", "dvc.yaml"],
        &["freeze", "tmpl", "fe", "fe@x", "mx@1"],
        &[
            "freeze",
            "dvc.lock:prepare",
            "dvc.lock",
            "sub:s",
            "sub/dvc.yaml:nope",
        ],
        &["unfreeze", "../x", "prepare:x"],
    ];
    for args in steps {
        let dv = run(ours.dv().args(*args)).redacted(&ours);
        let dvc = run(theirs.dvc().args(*args)).redacted(&theirs);
        assert_eq!(dv, dvc, "`{}`", args.join(" "));
        for file in ["dvc.yaml", "sub/dvc.yaml", "data.dvc"] {
            assert_eq!(
                ours.read(file),
                theirs.read(file),
                "{file} after `{}`",
                args.join(" ")
            );
        }
    }
    // from a subdirectory, its own dvc.yaml is the default
    for (repo, tool) in [(&ours, "dv"), (&theirs, "dvc")] {
        let mut command = if tool == "dv" { repo.dv() } else { repo.dvc() };
        let outcome = run(command
            .current_dir(repo.path("sub"))
            .args(["unfreeze", "s"]));
        assert_eq!(
            (outcome.code, outcome.stdout.as_str()),
            (0, "Modifying stage 's' in 'dvc.yaml'\n"),
            "{tool}"
        );
    }
    assert_eq!(ours.read("sub/dvc.yaml"), theirs.read("sub/dvc.yaml"));
    assert!(ours.read("dvc.yaml").contains("    frozen: true\n"));
    assert!(ours.read("dvc.yaml").starts_with("# top comment\n"));
}

#[test]
fn frozen_stages_in_status_like_dvc() {
    let repo = repo_with(|repo| {
        repo.write("in", "a\n");
        repo.write(
            "dvc.yaml",
            "stages:\n  s1:\n    cmd: cat in > mid\n    deps: [in]\n    outs: [mid]\n  s2:\n    \
             cmd: cat mid > out\n    deps: [mid]\n    outs: [out]\n",
        );
        run(repo.dvc().args(["repro", "-q"])).success();
        for name in ["d1", "zz", "aa"] {
            repo.write(name, format!("{name}\n"));
            run(repo.dvc().args(["add", "-q", name])).success();
        }
    });
    // frozen by dv: the dependency changes are not shown, the frozen stages are named
    run(repo.dv().args(["freeze", "s1", "zz.dvc"])).success();
    repo.write("in", "b\n");
    assert_same(
        &repo,
        ".",
        &[
            &["status"],
            &["status", "--json"],
            &["status", "s1"],
            &["status", "zz.dvc", "s1"],
            &["status", "s1", "zz.dvc", "d1.dvc"],
        ],
    );
    let status = run(repo.dv().arg("status"));
    assert_eq!(status.stdout, "Data and pipelines are up to date.\n");
    assert!(status.stderr.contains(
        "WARNING: stage: 's1' is frozen. Its dependencies are not going to be shown in the \
         status output.\n"
    ));
    // unfrozen by dvc: the change shows again
    run(repo.dvc().args(["unfreeze", "s1"])).success();
    run(repo.dvc().args(["freeze", "s2"])).success();
    assert_same(&repo, ".", &[&["status"], &["status", "--json"]]);
    assert!(
        run(repo.dv().arg("status"))
            .stdout
            .contains("s1:\n\tchanged deps:\n\t\tmodified:           in\n")
    );
}
