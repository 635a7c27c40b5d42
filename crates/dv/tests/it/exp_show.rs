//! `exp show` and `exp diff` against the oracle: one repository with a pipeline, data added
//! with `dvc add` (a file and a directory), two experiments run by dvc, and workspace edits;
//! dv must print what dvc prints (stdout, stderr, exit code) for the table, `--md`, `--csv`,
//! `--json` and the flags that shape them. Both run within the same minute, so even the
//! `Created` column (`05:07 PM` today) matches. DVC orders `exp diff` JSON keys at random, so
//! that JSON is compared parsed.

use dv_test::{Outcome, TestRepo};

use crate::support::{commit_all, dv, dvc, sorted_lines, succeed};

const DVC_YAML: &str = "\
stages:
  train:
    cmd: mkdir -p model && cp src.json model/m && cp src.json metrics.json
    deps:
    - src.json
    params:
    - train.lr
    - train.layers
    outs:
    - model
    metrics:
    - metrics.json:
        cache: false
";

fn experiments_repo() -> TestRepo {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("dvc.yaml", DVC_YAML);
    repo.write(
        "params.yaml",
        "train:\n  lr: 0.1\n  layers: [64, 32]\n  epochs: 3\nseed: 7\nname: base\n",
    );
    repo.write(
        "src.json",
        "{\"acc\": 0.6, \"loss\": 0.4, \"nested\": {\"f1\": 0.55}}",
    );
    repo.write("data.txt", "data\n");
    repo.write("images/a.txt", "a\n");
    repo.write("images/b.txt", "b\n");
    succeed(&repo, "dvc", &["add", "-q", "data.txt", "images"]);
    succeed(&repo, "dvc", &["repro", "-q"]);
    commit_all(&repo, "base");
    repo.git(&["tag", "v1"]);

    repo.write(
        "src.json",
        "{\"acc\": 0.75, \"loss\": 0.25, \"nested\": {\"f1\": 0.7}}",
    );
    succeed(
        &repo,
        "dvc",
        &["exp", "run", "-q", "-n", "lr05", "-S", "train.lr=0.5"],
    );
    repo.write(
        "src.json",
        "{\"acc\": 0.123456789, \"loss\": 1, \"nested\": {\"f1\": \"n/a\"}}",
    );
    succeed(
        &repo,
        "dvc",
        &[
            "exp",
            "run",
            "-q",
            "-n",
            "lr03",
            "-S",
            "train.lr=0.3",
            "-S",
            "seed=8",
        ],
    );
    // The workspace differs from both.
    repo.write(
        "params.yaml",
        "train:\n  lr: 0.2\n  layers: [128, 32]\n  epochs: 3\nseed: 7\nname: ws\n",
    );
    repo
}

fn both(repo: &TestRepo, args: &[&str]) -> (Outcome, Outcome) {
    (dv(repo, args), dvc(repo, args))
}

/// The same exit code, stdout and stderr, byte for byte.
fn assert_same(repo: &TestRepo, args: &[&str]) {
    let (ours, theirs) = both(repo, args);
    assert_eq!(ours.code, theirs.code, "{args:?}: {ours:?} vs {theirs:?}");
    assert_eq!(
        ours.stdout, theirs.stdout,
        "{args:?} stdout:\n{}\nvs\n{}",
        ours.stdout, theirs.stdout
    );
    assert_eq!(ours.stderr, theirs.stderr, "{args:?} stderr");
}

/// The same exit code and stderr, and stdout equal as a set of lines.
fn assert_same_lines(repo: &TestRepo, args: &[&str]) {
    let (ours, theirs) = both(repo, args);
    assert_eq!(ours.code, theirs.code, "{args:?}: {ours:?} vs {theirs:?}");
    assert_eq!(
        sorted_lines(&ours.stdout),
        sorted_lines(&theirs.stdout),
        "{args:?} stdout:\n{}\nvs\n{}",
        ours.stdout,
        theirs.stdout
    );
    assert_eq!(ours.stderr, theirs.stderr, "{args:?} stderr");
}

/// The same exit code and stderr, and stdout equal as JSON (key order ignored).
fn assert_same_json(repo: &TestRepo, args: &[&str]) {
    let (ours, theirs) = both(repo, args);
    assert_eq!(ours.code, theirs.code, "{args:?}: {ours:?} vs {theirs:?}");
    let parse = |text: &str| -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_else(|error| panic!("{args:?}: {error}: {text}"))
    };
    assert_eq!(
        parse(&ours.stdout),
        parse(&theirs.stdout),
        "{args:?} stdout:\n{}\nvs\n{}",
        ours.stdout,
        theirs.stdout
    );
    assert_eq!(ours.stderr, theirs.stderr, "{args:?} stderr");
}

#[test]
fn exp_show_matches_dvc() {
    let repo = experiments_repo();
    for args in [
        &["exp", "show", "--json"][..],
        &["exp", "show"],
        &["exp", "show", "--md"],
        &["exp", "show", "--csv"],
        &["exp", "show", "--only-changed", "--md"],
        &["exp", "show", "--only-changed", "--csv"],
        &["exp", "show", "--sort-by", "acc", "--md"],
        &[
            "exp",
            "show",
            "--sort-by",
            "metrics.json:loss",
            "--sort-order",
            "desc",
        ],
        &["exp", "show", "--sort-by", "train.lr", "--csv"],
        &["exp", "show", "--sort-by", "nope"],
        &[
            "exp", "show", "--drop", "train", "--keep", "train.lr", "--md",
        ],
        &["exp", "show", "--drop", "nested|seed", "--csv"],
        &["exp", "show", "--sha", "--md"],
        &["exp", "show", "--hide-workspace", "--md"],
        &["exp", "show", "--param-deps", "--json"],
        &["exp", "show", "--param-deps", "--md"],
        &["exp", "show", "-A", "--json"],
        &["exp", "show", "-T", "--md"],
        &["exp", "show", "--rev", "v1", "--csv", "--precision", "2"],
        &["exp", "show", "--rev", "nope"],
        &["exp", "show", "--rev", "lr05", "-n", "2", "--md"],
        &[
            "exp",
            "show",
            "-f",
            "--hide-queued",
            "--hide-failed",
            "--md",
        ],
    ] {
        assert_same(&repo, args);
    }
    // dv never pages, so `--no-pager` prints the same natural-width table (dvc fits it into
    // the terminal's width, 80 columns when piped, instead).
    assert_eq!(
        dv(&repo, &["exp", "show", "--no-pager"]).stdout,
        dvc(&repo, &["exp", "show"]).stdout
    );
}

#[test]
fn exp_diff_matches_dvc() {
    let repo = experiments_repo();
    for args in [
        &["exp", "diff"][..],
        &["exp", "diff", "lr05", "lr03"],
        &["exp", "diff", "lr05"],
        &["exp", "diff", "--all", "lr03"],
        &["exp", "diff", "--md", "HEAD", "lr05"],
        &["exp", "diff", "--no-path", "lr05", "lr03"],
        &["exp", "diff", "--param-deps", "--all"],
        &["exp", "diff", "--precision", "2", "lr05", "lr03"],
        &["exp", "diff", "nope"],
        &["exp", "diff", "lr05", "nope"],
    ] {
        assert_same_lines(&repo, args);
    }
    for args in [
        &["exp", "diff", "--json"][..],
        &["exp", "diff", "lr05", "lr03", "--json"],
        &["exp", "diff", "--all", "--json", "v1", "lr03"],
    ] {
        assert_same_json(&repo, args);
    }
}

/// A repository without commits: nothing to show or compare.
#[test]
fn exp_show_without_commits() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    for args in [
        &["exp", "show"][..],
        &["exp", "show", "--json"],
        &["exp", "show", "--md"],
        &["exp", "show", "--csv"],
        &["exp", "diff"],
        &["exp", "diff", "--json"],
    ] {
        assert_same(&repo, args);
    }
}

const PIPELINE_YAML: &str = "\
vars:
  - config.yaml
stages:
  train:
    cmd: cp src.json metrics.json && cp scores.src scores.yaml && echo ${opt.depth}
    deps:
    - src.json
    - scores.src
    params:
    - train.lr
    - train.layers
    - config.json:
      - model
    metrics:
    - metrics.json
    - scores.yaml:
        cache: false
  fe:
    foreach: [a, b]
    do:
      cmd: echo ${item} > out_${item}.txt
      outs:
      - out_${item}.txt
metrics:
- extra/top.json
params:
- top.toml
";

/// Params from several files (tracked keys, whole files, top-level `params`, variables from
/// `vars`), top-level metrics, a `foreach` stage, and experiments that change other files
/// than `params.yaml` (`-S file:key=value`).
#[test]
fn exp_show_reads_every_params_and_metrics_source() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("dvc.yaml", PIPELINE_YAML);
    repo.write("config.yaml", "opt:\n  depth: 3\n  unused: 1\n");
    repo.write(
        "params.yaml",
        "train:\n  lr: 0.1\n  layers: [64, 32]\n  epochs: 10\nseed: 42\nflag: true\n",
    );
    repo.write(
        "config.json",
        "{\"model\": {\"depth\": 3, \"name\": \"resnet\"}, \"other\": 1}",
    );
    repo.write("top.toml", "[opt]\nmomentum = 0.9\n");
    repo.write(
        "src.json",
        "{\"acc\": 0.6, \"loss\": 0.4, \"nested\": {\"val\": {\"acc\": 0.55}, \"count\": 3}}",
    );
    repo.write("scores.src", "auc: 0.3\nname: run\n");
    repo.write("extra/top.json", "{\"t\": 1}");
    succeed(&repo, "dvc", &["repro", "-q"]);
    commit_all(&repo, "one");
    repo.write(
        "src.json",
        "{\"acc\": 0.7, \"loss\": 0.3, \"nested\": {\"val\": {\"acc\": 0.65}, \"count\": 3}}",
    );
    succeed(
        &repo,
        "dvc",
        &[
            "exp",
            "run",
            "-q",
            "-n",
            "e1",
            "-S",
            "train.lr=0.2",
            "-S",
            "config.json:model.depth=5",
        ],
    );
    succeed(
        &repo,
        "dvc",
        &[
            "exp",
            "run",
            "-q",
            "-n",
            "e2",
            "-S",
            "train.layers=[1,2,3]",
            "-S",
            "top.toml:opt.momentum=0.5",
        ],
    );
    for args in [
        &["exp", "show", "--json"][..],
        &["exp", "show"],
        &["exp", "show", "--csv"],
        &["exp", "show", "--md", "--only-changed"],
        &["exp", "show", "--param-deps", "--md"],
        &[
            "exp",
            "show",
            "--sort-by",
            "config.json:model.depth",
            "--md",
        ],
    ] {
        assert_same(&repo, args);
    }
    for args in [
        &["exp", "diff", "e1", "e2"][..],
        &["exp", "diff", "--all", "e1"],
        &["exp", "diff", "--param-deps", "--all", "e1", "e2"],
    ] {
        assert_same_lines(&repo, args);
    }
    assert_same_json(&repo, &["exp", "diff", "--all", "--json", "e1", "e2"]);
}

/// Outside git, both commands fail as dvc's do (exit code 1).
#[test]
fn exp_show_outside_git() {
    let repo = TestRepo::without_git();
    succeed(&repo, "dvc", &["init", "-q", "--no-scm"]);
    for args in [&["exp", "show"][..], &["exp", "diff"]] {
        assert_same(&repo, args);
    }
}

/// Files that do not parse: a metrics file in a commit (`!` cells, DVC's doubled message named
/// from the current directory) and `params.yaml` in the workspace (the whole workspace fails,
/// as it is read as `vars`), from the root and from a subdirectory.
#[test]
fn exp_show_reports_unreadable_files_as_dvc() {
    let repo = experiments_repo();
    repo.write("metrics.json", "{bad");
    commit_all(&repo, "bad metrics");
    repo.write("params.yaml", "a: [1\n");
    repo.write("sub/keep", "");
    for args in [
        &["exp", "show", "--json"][..],
        &["exp", "show", "--md"],
        &["exp", "show", "--csv"],
    ] {
        assert_same(&repo, args);
        let (ours, theirs) = (
            crate::support::tool(&repo, "dv")
                .current_dir(repo.path("sub"))
                .args(args)
                .output()
                .expect("dv runs"),
            crate::support::tool(&repo, "dvc")
                .current_dir(repo.path("sub"))
                .args(args)
                .output()
                .expect("dvc runs"),
        );
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{args:?} in sub/"
        );
    }
}

/// Two hundred experiments recorded within a few seconds (as git plumbing writes them, the
/// way a queue fills up): dv lists them in DVC's order (newest first, ties by commit id,
/// descending) with the same values, reading every commit from git without a checkout.
#[test]
fn exp_show_lists_many_experiments_like_dvc() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("dvc.yaml", DVC_YAML);
    repo.write(
        "params.yaml",
        "train:\n  lr: 0.1\n  layers: [64, 32]\n  epochs: 3\nseed: 7\nname: base\n",
    );
    repo.write("src.json", "{\"acc\": 0.6, \"loss\": 0.4}");
    succeed(&repo, "dvc", &["repro", "-q"]);
    commit_all(&repo, "base");
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let index = repo.path(".git/plumbing-index");
    let git = |args: &[&str], input: Option<&str>| -> String {
        let mut command = repo.command("git");
        command.args(args).env("GIT_INDEX_FILE", &index);
        if let Some(input) = input {
            command.write_stdin(input.to_string());
        }
        let output = command.output().expect("git runs");
        assert!(output.status.success(), "git {args:?}");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    for n in 0..200 {
        git(&["read-tree", &base], None);
        let params = format!("train:\n  lr: 0.{n:03}\n  layers: [64, 32]\n  epochs: 3\nseed: 7\n");
        let metrics = format!("{{\"acc\": 0.{:03}, \"loss\": {n}}}", 999 - n);
        for (path, text) in [("params.yaml", params), ("metrics.json", metrics)] {
            let blob = git(&["hash-object", "-w", "--stdin"], Some(&text));
            git(
                &[
                    "update-index",
                    "--cacheinfo",
                    &format!("100644,{blob},{path}"),
                ],
                None,
            );
        }
        let tree = git(&["write-tree"], None);
        let commit = git(
            &[
                "commit-tree",
                &tree,
                "-p",
                &base,
                "-m",
                "dvc: commit experiment",
            ],
            None,
        );
        let reference = format!("refs/exps/{}/{}/exp{n:03}", &base[..2], &base[2..]);
        git(&["update-ref", &reference, &commit], None);
    }
    for args in [
        &["exp", "show", "--json"][..],
        &["exp", "show", "--csv"],
        &[
            "exp",
            "show",
            "--sort-by",
            "loss",
            "--sort-order",
            "desc",
            "--md",
        ],
    ] {
        assert_same(&repo, args);
    }
}
