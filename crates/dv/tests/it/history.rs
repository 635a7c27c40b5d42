//! Commands that read git history (`params diff`, `metrics show/diff`, `gc` scopes, `push`/
//! `fetch`/`status -c` scopes): run on one repository with a few commits, a branch, a tag and
//! edits in the workspace, dv must print what dvc prints (stdout, stderr, exit code). DVC's
//! diff commands order files and JSON keys at random, so those outputs are compared as sets of
//! lines or as parsed JSON.

use dv_test::{Outcome, TestRepo, run};

use crate::support::{commit_all, dv, dvc, sorted_lines, succeed};

const DVC_YAML: &str = "\
stages:
  train:
    cmd: cp src.json metrics.json && cp scores.src scores.yaml
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
metrics:
- extra/top.json
params:
- top.toml
";

/// A repository with three commits (a tag on the first, a branch on the second), a cached
/// metrics output read from the cache at old revisions, and workspace edits.
/// Commits everything with one fixed author and committer time, so that commits tie in time
/// (as commits made within a second do) and `-A` lists them in DVC's order for ties.
fn commit_at_one_time(repo: &TestRepo, message: &str) {
    repo.git(&["add", "-A"]);
    repo.command("git")
        .args(["commit", "-q", "-m", message])
        .env("GIT_COMMITTER_DATE", "2024-05-01T12:00:00Z")
        .env("GIT_AUTHOR_DATE", "2024-05-01T12:00:00Z")
        .assert()
        .success();
}

fn history_repo() -> TestRepo {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("dvc.yaml", DVC_YAML);
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
    commit_at_one_time(&repo, "one");
    repo.git(&["tag", "v1"]);

    repo.write(
        "params.yaml",
        "train:\n  lr: 0.2\n  layers: [64, 32]\n  epochs: 12\nseed: 42\nflag: false\n",
    );
    repo.write(
        "src.json",
        "{\"acc\": 0.7, \"loss\": 0.3, \"nested\": {\"val\": {\"acc\": 0.65}, \"count\": 3}}",
    );
    repo.write("scores.src", "auc: 0.35\nname: run\n");
    succeed(&repo, "dvc", &["repro", "-q"]);
    commit_at_one_time(&repo, "two");
    repo.git(&["branch", "exp1"]);

    repo.write(
        "config.json",
        "{\"model\": {\"depth\": 4, \"name\": \"resnet\"}, \"other\": 2}",
    );
    repo.write(
        "src.json",
        "{\"acc\": 0.75, \"loss\": 0.25, \"nested\": {\"val\": {\"acc\": 0.7}, \"count\": 4}}",
    );
    succeed(&repo, "dvc", &["repro", "-q"]);
    commit_at_one_time(&repo, "three");

    // The workspace differs from HEAD.
    repo.write(
        "params.yaml",
        "train:\n  lr: 0.3\n  layers: [128, 32]\n  epochs: 12\nseed: 42\nflag: false\nnewp: x\n",
    );
    repo.write("scores.yaml", "auc: 0.4\nname: run2\n");
    repo.write(
        "metrics.json",
        "{\"acc\": 0.8, \"loss\": 0.2, \"nested\": {\"val\": {\"acc\": 0.75}, \"count\": 4}}",
    );
    repo
}

fn both(repo: &TestRepo, args: &[&str]) -> (Outcome, Outcome) {
    (dv(repo, args), dvc(repo, args))
}

/// The same exit code and stderr, and stdout equal as it is.
fn assert_same(repo: &TestRepo, args: &[&str]) {
    let (ours, theirs) = both(repo, args);
    assert_eq!(ours.code, theirs.code, "{args:?}: {ours:?} vs {theirs:?}");
    assert_eq!(ours.stdout, theirs.stdout, "{args:?} stdout");
    assert_eq!(ours.stderr, theirs.stderr, "{args:?} stderr");
}

/// The same exit code and stderr, and stdout equal as a set of lines (DVC orders files at
/// random).
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
fn params_diff_matches_dvc() {
    let repo = history_repo();
    for args in [
        &["params", "diff"][..],
        &["params", "diff", "--all"],
        &["params", "diff", "HEAD~2", "HEAD", "--md"],
        &["params", "diff", "v1", "exp1"],
        &["params", "diff", "--deps"],
        &["params", "diff", "--no-path", "HEAD~1"],
        &["params", "diff", "--targets", "params.yaml"],
        &["params", "diff", "HEAD", "HEAD"],
    ] {
        assert_same_lines(&repo, args);
    }
    for args in [
        &["params", "diff", "--json"][..],
        &["params", "diff", "--all", "--json"],
        &["params", "diff", "v1", "--json"],
    ] {
        assert_same_json(&repo, args);
    }
    assert_same(&repo, &["params", "diff", "nosuchrev"]);
}

/// Variables a stage takes from `vars` files count as its params (DVC's tracked vars), and a
/// revision whose `dvc.yaml` cannot be resolved is warned about by name.
#[test]
fn params_diff_shows_tracked_vars_and_unloadable_revisions() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write(
        "config.yaml",
        "train:\n  lr: 0.1\n  layers: [1, 2]\n  unused: 5\nname: base\n",
    );
    repo.write("params.yaml", "seed: 1\n");
    repo.write("sub/other.yaml", "k: 1\n");
    repo.write(
        "dvc.yaml",
        "vars:\n  - config.yaml\n  - inline: 3\nstages:\n  train:\n    \
         cmd: echo ${train.lr} ${ train.layers } ${inline} ${name}\n  other:\n    vars:\n    \
         - sub/other.yaml\n    cmd: echo ${k} ${seed}\n    params: [seed]\n",
    );
    commit_all(&repo, "a list in cmd");
    let fixed = repo
        .read("dvc.yaml")
        .replace("${ train.layers }", "${ train.layers[1] }");
    repo.write("dvc.yaml", &fixed);
    commit_all(&repo, "fixed");
    repo.write(
        "config.yaml",
        "train:\n  lr: 0.3\n  layers: [1, 7]\n  unused: 6\nname: next\n",
    );
    repo.write("sub/other.yaml", "k: 3\n");
    for args in [
        &["params", "diff"][..],
        &["params", "diff", "--all"],
        &["params", "diff", "--deps"],
        &["params", "diff", "--targets", "config.yaml"],
        &["params", "diff", "HEAD~1"],
        &["params", "diff", "HEAD~1", "HEAD"],
    ] {
        assert_same_lines(&repo, args);
    }
    assert_same_json(&repo, &["params", "diff", "--json"]);
    assert_same_json(&repo, &["params", "diff", "HEAD~1", "--json"]);
}

#[test]
fn metrics_show_and_diff_match_dvc() {
    let repo = history_repo();
    for args in [
        &["metrics", "show"][..],
        &["metrics", "show", "--md"],
        &["metrics", "show", "-a"],
        &["metrics", "show", "-T"],
        &["metrics", "show", "-A", "--precision", "2"],
        &["metrics", "show", "scores.yaml"],
        &["metrics", "show", "--json"],
        &["metrics", "show", "-a", "--json"],
        &["metrics", "show", "-A", "--json"],
    ] {
        assert_same(&repo, args);
    }
    for args in [
        &["metrics", "diff"][..],
        &["metrics", "diff", "--all"],
        &[
            "metrics",
            "diff",
            "HEAD~2",
            "--md",
            "--no-path",
            "--precision",
            "2",
        ],
        &["metrics", "diff", "v1", "exp1"],
        &["metrics", "diff", "--targets", "scores.yaml"],
    ] {
        assert_same_lines(&repo, args);
    }
    for args in [
        &["metrics", "diff", "--json"][..],
        &["metrics", "diff", "v1", "HEAD", "--all", "--json"],
    ] {
        assert_same_json(&repo, args);
    }
    assert_same(&repo, &["metrics", "diff", "nosuchrev"]);
}

#[test]
fn broken_and_missing_files_are_reported_as_dvc_reports_them() {
    let repo = history_repo();
    repo.write("scores.yaml", "auc: [0.4\n");
    std::fs::remove_file(repo.path("extra/top.json")).unwrap();
    repo.write("config.json", "{not json");
    for args in [
        &["metrics", "show"][..],
        &["metrics", "show", "--json"],
        &["metrics", "show", "-a"],
    ] {
        assert_same(&repo, args);
    }
    assert_same_lines(&repo, &["metrics", "diff"]);
    assert_same_lines(&repo, &["params", "diff"]);
    assert_same_json(&repo, &["params", "diff", "--json"]);
}

#[test]
fn repositories_without_commits_or_on_a_detached_head() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("params.yaml", "a: 1\n");
    for args in [
        &["params", "diff"][..],
        &["metrics", "diff"],
        &["metrics", "show"],
        &["params", "diff", "--json"],
    ] {
        assert_same(&repo, args);
    }
    let repo = history_repo();
    repo.git(&["checkout", "-q", "HEAD~1"]);
    for args in [&["metrics", "show", "-a"][..], &["params", "diff"]] {
        assert_same_lines(&repo, args);
    }
    // A shallow clone: history ends at the boundary commit, as for git.
    repo.git(&["checkout", "-q", "-"]);
    let shallow = repo.temp_dir().join("shallow");
    let url = format!("file://{}", repo.path("").display());
    repo.git(&[
        "clone",
        "-q",
        "--depth",
        "2",
        &url,
        shallow.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(repo.path(".git")).unwrap();
    std::fs::rename(shallow.join(".git"), repo.path(".git")).unwrap();
    for args in [
        &["metrics", "show", "-A"][..],
        &["params", "diff", "HEAD~1"],
        &["metrics", "diff", "HEAD~2"],
    ] {
        assert_same_lines(&repo, args);
    }
}

/// Data committed on a branch and on a tag only: `gc` with each scope keeps what dvc keeps.
#[test]
fn gc_scopes_keep_what_dvc_keeps() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    commit_all(&repo, "init");
    for version in 1..=4 {
        repo.write("data/f", format!("v{version}\n"));
        repo.write(&format!("data/g{version}"), "x\n");
        repo.write("model.bin", format!("model {version}\n"));
        succeed(&repo, "dvc", &["add", "-q", "data", "model.bin"]);
        commit_all(&repo, &format!("v{version}"));
        match version {
            1 => drop(repo.git(&["tag", "t1"])),
            2 => drop(repo.git(&["branch", "b2"])),
            _ => {}
        }
    }
    // Back on main at v4, the commits of v3 reachable only from main's history.
    let cache = repo.path(".dvc/cache");
    let saved = repo.temp_dir().join("cache-saved");
    copy_dir(&cache, &saved);
    let listing = || {
        let mut names: Vec<String> = dv_test::files_under(&cache)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        names.sort();
        names
    };
    let restore = || {
        std::fs::remove_dir_all(&cache).unwrap();
        copy_dir(&saved, &cache);
    };
    for scope in [
        &["-w"][..],
        &["-a"],
        &["-T"],
        &["-A"],
        &["-a", "-T"],
        &["--rev", "HEAD~1"],
        &["--rev", "HEAD", "-n", "3"],
        &["-a", "-n", "2"],
        &["--all-experiments"],
        &["--date", "2000-01-01"],
    ] {
        restore();
        let theirs = run(repo.dvc().args([&["gc", "-f"][..], scope].concat()));
        let kept_by_dvc = listing();
        restore();
        let ours = run(repo.dv().args([&["gc", "-f"][..], scope].concat()));
        assert_eq!(ours.code, theirs.code, "{scope:?}: {ours:?} vs {theirs:?}");
        assert_eq!(ours.stdout, theirs.stdout, "{scope:?}");
        assert_eq!(ours.stderr, theirs.stderr, "{scope:?}");
        assert_eq!(listing(), kept_by_dvc, "{scope:?}");
    }
    // The objects of the tag and of the branch survive `-a -T` with main moved on.
    restore();
    run(repo.dv().args(["gc", "-f", "-a", "-T"])).success();
    for rev in ["t1", "b2"] {
        repo.git(&["checkout", "-q", rev]);
        run(repo.dv().args(["checkout", "-q"])).success();
        assert_eq!(
            repo.read("data/f"),
            if rev == "t1" { "v1\n" } else { "v2\n" }
        );
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `push -a`/`-T` send the data of other branches and tags; `status -c -A` and `fetch -A`
/// see them, as with dvc.
#[test]
fn push_fetch_and_status_scopes_cover_other_revisions() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    let remote = repo.temp_dir().join("remote");
    succeed(
        &repo,
        "dvc",
        &["remote", "add", "-d", "store", remote.to_str().unwrap()],
    );
    commit_all(&repo, "init");
    for version in 1..=3 {
        repo.write("data.txt", format!("v{version}\n"));
        succeed(&repo, "dvc", &["add", "-q", "data.txt"]);
        commit_all(&repo, &format!("v{version}"));
        if version == 1 {
            repo.git(&["tag", "t1"]);
        }
    }
    for args in [
        &["status", "-c"][..],
        &["status", "-c", "-T"],
        &["status", "-c", "-A"],
    ] {
        assert_same_lines(&repo, args);
    }
    run(repo.dv().args(["push", "-T"])).success();
    let pushed = dv_test::files_under(&remote).len();
    assert_eq!(pushed, 2, "the workspace's and the tag's objects");
    assert_same_lines(&repo, &["status", "-c", "-A"]);
    run(repo.dv().args(["push", "-A"])).success();
    assert_eq!(dv_test::files_under(&remote).len(), 3);
    std::fs::remove_dir_all(repo.path(".dvc/cache")).unwrap();
    let fetched = run(repo.dv().args(["fetch", "-A"]));
    fetched.success();
    assert_eq!(dv_test::cache_objects(&repo).len(), 3);
}

/// `gc --dry` lists what it would remove as dvc does, and a directory whose `.dir` object only
/// the default remote holds keeps its files: both tools fetch the manifest first. Without it
/// on the remote either, both warn and keep nothing of it.
#[test]
fn gc_dry_and_directories_whose_manifest_is_only_on_the_remote() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("data/a", "a\n");
    repo.write("data/b", "b\n");
    succeed(&repo, "dvc", &["add", "-q", "data"]);
    commit_all(&repo, "data");
    repo.write("data/a", "changed\n");
    succeed(&repo, "dvc", &["add", "-q", "data"]);
    let cache = repo.path(".dvc/cache");
    let saved = repo.temp_dir().join("cache-saved");
    copy_dir(&cache, &saved);
    let restore = || {
        std::fs::remove_dir_all(&cache).unwrap();
        copy_dir(&saved, &cache);
    };
    let (ours, theirs) = both(&repo, &["gc", "-w", "--dry"]);
    assert_eq!(ours.code, theirs.code, "{ours:?} vs {theirs:?}");
    assert_eq!(sorted_lines(&ours.stdout), sorted_lines(&theirs.stdout));
    assert!(ours.stdout.contains("Removing "), "{ours:?}");
    assert_eq!(dv_test::cache_objects(&repo).len(), 5, "nothing removed");

    // Back to the committed data: its manifest is only on the remote.
    let remote = repo.temp_dir().join("remote");
    succeed(
        &repo,
        "dvc",
        &["remote", "add", "-d", "store", remote.to_str().unwrap()],
    );
    repo.git(&["checkout", "-q", "--", "data.dvc"]);
    run(repo.dv().args(["push", "-q"])).success();
    let manifest = |repo: &TestRepo| {
        dv_test::files_under(&repo.path(".dvc/cache"))
            .into_iter()
            .map(|(name, _)| name)
            .find(|name| name.ends_with(".dir"))
    };
    let listing = || {
        let mut names: Vec<String> = dv_test::files_under(&cache)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        names.sort();
        names
    };
    let committed = manifest(&repo).expect("a manifest");
    copy_dir(&cache, &saved);
    for tool in ["dvc", "dv"] {
        restore();
        std::fs::remove_file(cache.join(&committed)).unwrap();
        let outcome = if tool == "dv" {
            run(repo.dv().args(["gc", "-w", "-f"]))
        } else {
            run(repo.dvc().args(["gc", "-w", "-f"]))
        };
        outcome.success();
        assert!(listing().contains(&committed), "{tool}: manifest fetched");
        assert_eq!(listing().len(), 3, "{tool}: the files of data/ kept");
    }
    // Gone from the remote too: both warn alike, and the files go.
    std::fs::remove_dir_all(&remote).unwrap();
    restore();
    std::fs::remove_file(cache.join(&committed)).unwrap();
    let dropped = repo.temp_dir().join("cache-dropped");
    copy_dir(&cache, &dropped);
    let theirs = run(repo.dvc().args(["gc", "-w", "-f"]));
    let kept_by_dvc = listing();
    std::fs::remove_dir_all(&cache).unwrap();
    copy_dir(&dropped, &cache);
    let ours = run(repo.dv().args(["gc", "-w", "-f"]));
    assert_eq!(ours.code, theirs.code);
    assert_eq!(ours.stdout, theirs.stdout);
    assert_eq!(ours.stderr, theirs.stderr);
    assert_eq!(listing(), kept_by_dvc);
}

/// `gc --not-in-remote` deletes, besides unused objects, the used ones the remote already has;
/// the same cache, output and exit code as dvc, also without a remote.
#[test]
fn gc_not_in_remote_keeps_only_what_the_remote_lacks() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    let remote = repo.temp_dir().join("remote");
    repo.write("data/a", "a\n");
    repo.write("data/b", "b\n");
    repo.write("model.bin", "m1\n");
    succeed(&repo, "dvc", &["add", "-q", "data", "model.bin"]);
    commit_all(&repo, "v1");
    let cache = repo.path(".dvc/cache");
    let saved = repo.temp_dir().join("cache-saved");
    let listing = || {
        let mut names: Vec<String> = dv_test::files_under(&cache)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        names.sort();
        names
    };
    let compare = |args: &[&str]| {
        std::fs::remove_dir_all(&cache).ok();
        copy_dir(&saved, &cache);
        let theirs = run(repo.dvc().args(args));
        let kept_by_dvc = listing();
        std::fs::remove_dir_all(&cache).unwrap();
        copy_dir(&saved, &cache);
        let ours = run(repo.dv().args(args));
        assert_eq!(ours.code, theirs.code, "{args:?}: {ours:?} vs {theirs:?}");
        // `--dry` lists objects in the cache directory's listing order.
        assert_eq!(
            sorted_lines(&ours.stdout),
            sorted_lines(&theirs.stdout),
            "{args:?}"
        );
        assert_eq!(ours.stderr, theirs.stderr, "{args:?}");
        assert_eq!(listing(), kept_by_dvc, "{args:?}");
    };
    copy_dir(&cache, &saved);
    compare(&["gc", "-w", "-f", "--not-in-remote"]);
    compare(&["gc", "-w", "-f", "--not-in-remote", "-c"]);
    succeed(
        &repo,
        "dvc",
        &["remote", "add", "-d", "store", remote.to_str().unwrap()],
    );
    run(repo.dv().args(["push", "-q", "data"])).success();
    repo.write("model.bin", "m2\n");
    succeed(&repo, "dvc", &["add", "-q", "model.bin"]);
    std::fs::remove_dir_all(&saved).unwrap();
    copy_dir(&cache, &saved);
    compare(&["gc", "-w", "-f", "--not-in-remote"]);
    assert_eq!(
        listing().len(),
        1,
        "only the new model is left: {:?}",
        listing()
    );
    compare(&["gc", "-w", "--dry", "--not-in-remote"]);
}

/// `gc -p` keeps what other repositories sharing the cache use: the same cache, output and exit
/// code as dvc.
#[test]
fn gc_projects_keep_what_other_repositories_sharing_the_cache_use() {
    let repo = TestRepo::new();
    let shared = repo.temp_dir().join("shared-cache");
    let other = repo.temp_dir().join("other");
    succeed(&repo, "dvc", &["init", "-q"]);
    succeed(&repo, "dvc", &["cache", "dir", shared.to_str().unwrap()]);
    repo.write("mine.txt", "mine\n");
    succeed(&repo, "dvc", &["add", "-q", "mine.txt"]);
    commit_all(&repo, "mine");
    std::fs::create_dir_all(&other).unwrap();
    let in_other = |tool: &str, args: &[&str]| {
        let mut command = if tool == "dv" { repo.dv() } else { repo.dvc() };
        command.current_dir(&other);
        run(command.args(args))
    };
    run(repo.command("git").current_dir(&other).args(["init", "-q"])).success();
    in_other("dvc", &["init", "-q"]).success();
    in_other("dvc", &["cache", "dir", shared.to_str().unwrap()]).success();
    std::fs::write(other.join("theirs.txt"), "theirs\n").unwrap();
    in_other("dvc", &["add", "-q", "theirs.txt"]).success();
    let saved = repo.temp_dir().join("cache-saved");
    copy_dir(&shared, &saved);
    let listing = || {
        let mut names: Vec<String> = dv_test::files_under(&shared)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        names.sort();
        names
    };
    for args in [
        &["gc", "-w", "-f", "-p", "../other"][..],
        &["gc", "-w", "-f"],
    ] {
        std::fs::remove_dir_all(&shared).unwrap();
        copy_dir(&saved, &shared);
        let theirs = run(repo.dvc().args(args));
        let kept_by_dvc = listing();
        std::fs::remove_dir_all(&shared).unwrap();
        copy_dir(&saved, &shared);
        let ours = run(repo.dv().args(args));
        assert_eq!(ours.code, theirs.code, "{args:?}: {ours:?} vs {theirs:?}");
        assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
        assert_eq!(ours.stderr, theirs.stderr, "{args:?}");
        assert_eq!(listing(), kept_by_dvc, "{args:?}");
    }
}

/// Floats in JSON metrics are read exactly, as Python reads them (`0.9299999999999999` stays
/// itself, not the nearest short decimal).
#[test]
fn json_floats_are_read_exactly() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("m.json", "{\"acc\": 0.9299999999999999, \"tiny\": 1e-310}");
    repo.write("dvc.yaml", "metrics:\n- m.json\n");
    let ours = dv(&repo, &["metrics", "show", "--json"]);
    let theirs = dvc(&repo, &["metrics", "show", "--json"]);
    assert_eq!(ours.stdout, theirs.stdout);
    assert!(ours.stdout.contains("0.9299999999999999"), "{ours}");
}
