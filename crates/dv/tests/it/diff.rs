//! `dv diff` against dvc on the same repositories: a tracked directory changing over three
//! commits (files added, deleted, modified and renamed, duplicates renamed in key order,
//! nested subdirectories, a file that became a directory), a single-file output renamed with
//! `mv`, a pipeline's outputs recorded in `dvc.lock` and one never run, and edits in the
//! workspace hashed through the hash cache. The repositories are built by dvc and by dv (the
//! twins), and every comparison runs both tools on the same repository: stdout, stderr and
//! exit code must be equal. DVC prints its sections sorted, so the outputs compare as they
//! are.

use dv_test::{Outcome, TestRepo, run};

use crate::support::{commit_all, succeed};

/// `args` run by dv and by dvc in `dir` (relative to the root), with the footer dvc adds to
/// unexpected errors (dv leaves it out) taken off.
fn both_in(repo: &TestRepo, dir: &str, args: &[&str]) -> (Outcome, Outcome) {
    let cwd = repo.path(dir);
    let ours = run(repo.dv().current_dir(&cwd).arg("diff").args(args)).redacted(repo);
    let mut theirs = run(repo.dvc().current_dir(&cwd).arg("diff").args(args)).redacted(repo);
    if let Some(at) = theirs.stderr.find("\n\nHaving any troubles?") {
        theirs.stderr.truncate(at + 1);
    }
    (ours, theirs)
}

#[track_caller]
fn assert_same_in(repo: &TestRepo, dir: &str, args: &[&str]) {
    let (ours, theirs) = both_in(repo, dir, args);
    assert_eq!(
        ours, theirs,
        "dv diff {args:?} in {dir:?}:\n--- dv\n{ours}\n--- dvc\n{theirs}"
    );
}

#[track_caller]
fn assert_same(repo: &TestRepo, args: &[&str]) {
    assert_same_in(repo, ".", args);
}

const DVC_YAML: &str = "\
stages:
  gen:
    cmd: mkdir -p out && cp src.txt out/copy && cp src.txt res.txt
    deps:
    - src.txt
    outs:
    - out
    - res.txt
  never:
    cmd: echo never > never.txt
    outs:
    - never.txt
";

/// Three commits made with `tool`, then edits in the workspace.
fn history_repo(tool: &str) -> TestRepo {
    let repo = TestRepo::new();
    succeed(&repo, tool, &["init", "-q"]);
    for (path, text) in [
        ("data/a.txt", "a\n"),
        ("data/sub/b.txt", "b\n"),
        ("data/sub/deep/d.txt", "d\n"),
        ("data/r1.txt", "same\n"),
        ("data/dup1", "dup\n"),
        ("data/dup2", "dup\n"),
        ("data/a b", "space\n"),
        ("data/x", "a file, then a directory\n"),
        ("model.bin", "m1\n"),
        ("src.txt", "s1\n"),
        ("dvc.yaml", DVC_YAML),
    ] {
        repo.write(path, text);
    }
    succeed(&repo, tool, &["add", "-q", "data", "model.bin"]);
    succeed(&repo, tool, &["repro", "-q", "gen"]);
    commit_all(&repo, "one");

    repo.write("data/a.txt", "a2\n");
    std::fs::remove_file(repo.path("data/sub/b.txt")).unwrap();
    repo.write("data/c.txt", "c\n");
    std::fs::rename(repo.path("data/r1.txt"), repo.path("data/sub/r2.txt")).unwrap();
    repo.write("data/sub/new/n.txt", "n\n");
    std::fs::remove_file(repo.path("data/x")).unwrap();
    repo.write("data/x/z", "z\n");
    std::fs::rename(repo.path("data/dup1"), repo.path("data/e1")).unwrap();
    std::fs::create_dir(repo.path("data/a")).unwrap();
    std::fs::rename(repo.path("data/dup2"), repo.path("data/a/d2")).unwrap();
    repo.write("model.bin", "m2\n");
    repo.write("src.txt", "s2\n");
    succeed(&repo, tool, &["add", "-q", "data", "model.bin"]);
    succeed(&repo, tool, &["repro", "-q", "gen"]);
    commit_all(&repo, "two");

    succeed(&repo, tool, &["move", "model.bin", "model2.bin"]);
    commit_all(&repo, "three");

    repo.write("data/a.txt", "a3\n");
    repo.write("data/w.txt", "w\n");
    std::fs::remove_file(repo.path("data/c.txt")).unwrap();
    repo.write("res.txt", "edited\n");
    repo
}

const COMPARISONS: &[&[&str]] = &[
    &[],
    &["HEAD~1"],
    &["HEAD~2"],
    &["HEAD~2", "HEAD~1"],
    &["HEAD~2", "HEAD"],
    &["HEAD~1", "HEAD~2"],
    &["HEAD", "HEAD"],
    &["HEAD", "main"],
    &["HEAD", "workspace"],
    &["workspace", "HEAD"],
    &["--json"],
    &["HEAD~2", "--json", "--show-hash"],
    &["HEAD~2", "HEAD~1", "--json"],
    &["--md"],
    &["HEAD~2", "HEAD", "--md", "--show-hash"],
    &["--show-hash"],
    &["HEAD~2", "--show-hash"],
    &["--hide-missing"],
    &["HEAD~1", "--hide-missing", "--json"],
    &["--targets", "data/sub"],
    &["HEAD~2", "--targets", "data/sub", "model.bin"],
    &["HEAD~2", "HEAD", "--targets", "data/x/z", "data/x"],
    &["HEAD~2", "--targets", "gen"],
    &["HEAD~2", "--targets", "dvc.yaml:gen", "--json"],
    &["HEAD~2", "--targets", "data.dvc"],
    &["HEAD~2", "--targets", "model2.bin"],
    &["HEAD~2", "--targets"],
    &["--targets", "never"],
    // With `--show-hash`, dvc fails on the hash an output never run does not have.
    &["--md", "--show-hash"],
    &["HEAD~2", "--targets", "nope"],
    &["nosuchrev"],
    &["HEAD", "nosuchrev"],
];

#[test]
fn diff_matches_dvc_in_a_repository_made_by_dvc() {
    let repo = history_repo("dvc");
    for args in COMPARISONS {
        assert_same(&repo, args);
    }
    assert_same_in(&repo, "data", &[]);
    assert_same_in(&repo, "data", &["HEAD~2", "--targets", "sub", "../res.txt"]);
    // The output of the stage never run appears: modified from no hash, which dvc cannot
    // shorten with `--show-hash` once it has printed the sections before it.
    repo.write("never.txt", "by hand\n");
    for args in [
        &["--show-hash"][..],
        &["--targets", "never", "--json", "--show-hash"],
        &["--md"],
    ] {
        assert_same(&repo, args);
    }
}

#[test]
fn diff_matches_dvc_in_a_repository_made_by_dv() {
    let repo = history_repo("dv");
    for args in COMPARISONS {
        assert_same(&repo, args);
    }
    // The workspace was hashed once: the hash cache knows its files.
    assert!(repo.exists(".dvc/tmp/dv/state"));
    assert_same(&repo, &["--show-hash"]);
}

/// A committed repository made by dv whose cache then loses objects: entries of HEAD
/// missing from it are "not in cache", and a directory whose `.dir` manifest is gone is
/// reported alone (as dvc does when it has not kept the directory's listing from an earlier
/// run).
#[test]
fn objects_missing_from_the_cache_match_dvc() {
    let repo = TestRepo::new();
    for (path, text) in [
        ("data/a.txt", "a\n"),
        ("data/sub/b.txt", "b\n"),
        ("model.bin", "m\n"),
    ] {
        repo.write(path, text);
    }
    succeed(&repo, "dv", &["init", "-q"]);
    succeed(&repo, "dv", &["add", "-q", "data", "model.bin"]);
    commit_all(&repo, "one");
    repo.write("data/a.txt", "a2\n");
    repo.write("data/c.txt", "c\n");

    // One file object gone.
    std::fs::remove_file(repo.path(".dvc/cache/files/md5/3b/5d5c3712955042212316173ccf37be"))
        .unwrap();
    for args in [
        &[][..],
        &["--json", "--show-hash"],
        &["--md"],
        &["--hide-missing"],
        &["HEAD", "workspace"],
    ] {
        assert_same(&repo, args);
    }

    // The whole cache gone, and with it the directory listing dvc kept from the runs above.
    std::fs::remove_dir_all(repo.path(".dvc/cache")).unwrap();
    forget_dvc_listings(&repo);
    for args in [
        &[][..],
        &["--json"],
        &["--show-hash"],
        &["--hide-missing", "--json"],
        &["--targets", "data/sub"],
    ] {
        assert_same(&repo, args);
    }

    // Nothing changed in the workspace, yet HEAD's objects are missing.
    repo.write("data/a.txt", "a\n");
    std::fs::remove_file(repo.path("data/c.txt")).unwrap();
    for args in [
        &[][..],
        &["--json"],
        &["--hide-missing"],
        &["--hide-missing", "--json"],
    ] {
        assert_same(&repo, args);
    }
}

/// Empties dvc's site cache, where it keeps the directory listings it loaded (its data
/// index), so that dvc reads `.dir` manifests from the cache again as on first use.
fn forget_dvc_listings(repo: &TestRepo) {
    let site_cache = repo.temp_dir().join("site-cache");
    std::fs::remove_dir_all(&site_cache).unwrap();
    std::fs::create_dir(&site_cache).unwrap();
}

#[test]
fn unchanged_data_prints_nothing() {
    let repo = TestRepo::new();
    repo.write("data/a.txt", "a\n");
    repo.write("model.bin", "m\n");
    succeed(&repo, "dv", &["init", "-q"]);
    succeed(&repo, "dv", &["add", "-q", "data", "model.bin"]);
    commit_all(&repo, "one");
    for args in [
        &[][..],
        &["--json"],
        &["--md"],
        &["--show-hash"],
        &["HEAD", "HEAD"],
    ] {
        assert_same(&repo, args);
    }
    let outcome = run(repo.dv().arg("diff"));
    assert_eq!((outcome.code, outcome.stdout.as_str()), (0, ""));
}

#[test]
fn repositories_without_commits_or_without_git() {
    let repo = TestRepo::new();
    repo.write("a.txt", "a\n");
    succeed(&repo, "dvc", &["init", "-q"]);
    succeed(&repo, "dvc", &["add", "-q", "a.txt"]);
    for args in [&[][..], &["--json"], &["--md"], &["nosuchrev"]] {
        assert_same(&repo, args);
    }

    let repo = TestRepo::without_git();
    repo.write("a.txt", "a\n");
    succeed(&repo, "dvc", &["init", "-q", "--no-scm"]);
    succeed(&repo, "dvc", &["add", "-q", "a.txt"]);
    for args in [&[][..], &["--json"]] {
        assert_same(&repo, args);
    }
}

/// A URL import registered with `--no-download` has no hash of its own: DVC's data index gives
/// it its source's hash, so it shows as deleted from the workspace and not in cache.
#[test]
fn imports_without_download_are_not_in_cache() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    let source = repo.temp_dir().join("source.txt");
    std::fs::write(&source, "hello\n").unwrap();
    succeed(
        &repo,
        "dvc",
        &[
            "import-url",
            "-q",
            "--no-download",
            source.to_str().unwrap(),
            "x.txt",
        ],
    );
    commit_all(&repo, "registered");
    for args in [
        &["diff"][..],
        &["diff", "--json"],
        &["diff", "--show-hash"],
        &["diff", "--show-hash", "--json"],
        &["diff", "--hide-missing"],
    ] {
        assert_same(&repo, args);
    }
}
