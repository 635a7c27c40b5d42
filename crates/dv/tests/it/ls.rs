//! `dv ls` and `dv du` against dvc on one source registry built by dvc: a tracked directory
//! with a subdirectory, an executable tracked file, a git-only README, a local remote
//! holding everything, a tag `v1` and a second commit, and an uncommitted file in the
//! working tree. Both tools run side by side from the directory holding the source, on the
//! local path (read in place, its working tree), its `file://` URL and `--rev` (read from a
//! clone): stdout, stderr and exit code must be equal. `du` rows come in a set's order in
//! DVC, so they compare sorted. Also: a plain git repository, a repository nested in another,
//! a pipeline stage never run, and the clone cache reused by a second `ls` of a URL.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use dv_test::{Outcome, TestRepo, run};

use crate::support::{commit_all, sorted_lines, succeed};

/// `args` run by dv and by dvc in `cwd`, with the footer dvc adds to unexpected errors (dv
/// leaves it out) taken off.
fn both_in(repo: &TestRepo, cwd: &Path, args: &[&str]) -> (Outcome, Outcome) {
    let ours = run(repo.dv().current_dir(cwd).args(args)).redacted(repo);
    let mut theirs = run(repo.dvc().current_dir(cwd).args(args)).redacted(repo);
    if let Some(at) = theirs.stderr.find("\n\nHaving any troubles?") {
        theirs.stderr.truncate(at + 1);
    }
    (ours, theirs)
}

/// Runs `args` from the directory holding the source (where `work` names it).
#[track_caller]
fn assert_same(repo: &TestRepo, args: &[&str]) {
    assert_same_in(repo, repo.temp_dir(), args);
}

#[track_caller]
fn assert_same_in(repo: &TestRepo, cwd: &Path, args: &[&str]) {
    let (ours, theirs) = both_in(repo, cwd, args);
    assert_eq!(
        ours, theirs,
        "{args:?} in {cwd:?}:\n--- dv\n{ours}\n--- dvc\n{theirs}"
    );
}

/// The same exit code and stderr, and stdout equal as a set of lines.
#[track_caller]
fn assert_same_sorted(repo: &TestRepo, args: &[&str]) {
    let (ours, theirs) = both_in(repo, repo.temp_dir(), args);
    assert_eq!(
        (ours.code, &ours.stderr),
        (theirs.code, &theirs.stderr),
        "{args:?}:\n--- dv\n{ours}\n--- dvc\n{theirs}"
    );
    assert_eq!(
        sorted_lines(&ours.stdout),
        sorted_lines(&theirs.stdout),
        "{args:?}:\n--- dv\n{ours}\n--- dvc\n{theirs}"
    );
}

/// The source registry (see the module documentation); `work` in its temporary directory.
fn registry() -> TestRepo {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("data/a.txt", "a\n");
    repo.write("data/sub/b.txt", "bb\n");
    repo.write("model.bin", "model\n");
    let model = repo.path("model.bin");
    let mut permissions = std::fs::metadata(&model).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&model, permissions).unwrap();
    repo.write("README.md", "readme\n");
    succeed(&repo, "dvc", &["add", "-q", "data", "model.bin"]);
    let remote = repo.temp_dir().join("remote");
    succeed(
        &repo,
        "dvc",
        &[
            "remote",
            "add",
            "-q",
            "-d",
            "store",
            remote.to_str().unwrap(),
        ],
    );
    succeed(&repo, "dvc", &["push", "-q"]);
    commit_all(&repo, "one");
    repo.git(&["tag", "v1"]);
    repo.write("data/c.txt", "c\n");
    succeed(&repo, "dvc", &["add", "-q", "data"]);
    succeed(&repo, "dvc", &["push", "-q"]);
    commit_all(&repo, "two");
    // Not committed, not tracked: only the working tree has it.
    repo.write("data/new.txt", "new\n");
    repo
}

fn file_url(repo: &TestRepo) -> String {
    format!("file://{}", repo.root().display())
}

#[test]
fn local_source_lists_its_working_tree() {
    let repo = registry();
    for args in [
        &["ls", "work"][..],
        &["list", "work"],
        &["ls", "work", "-R"],
        &["ls", "work", "-R", "--json"],
        &["ls", "work", "--json"],
        &["ls", "work", "--dvc-only"],
        &["ls", "work", "--dvc-only", "-R", "--json"],
        &["ls", "work", "--dvc-only", "-R", "--size", "--show-hash"],
        &["ls", "work", "--size"],
        &["ls", "work", "--show-hash"],
        &["ls", "work", "--size", "--show-hash", "-R"],
        &["ls", "work", "--tree"],
        &["ls", "work", "--tree", "--size", "--show-hash"],
        &["ls", "work", "--tree", "-L", "1", "--size"],
        &["ls", "work", "--tree", "--dvc-only"],
        &["ls", "work", "-R", "-L", "1"],
        &["ls", "work", "-R", "-L", "2", "--json"],
        &["ls", "work", "-R", "-L", "0"],
        &["ls", "work", "-L", "1"],
        &["ls", "work", "data"],
        &["ls", "work", "data", "-R", "--json"],
        &["ls", "work", "data/sub", "--size", "--show-hash"],
        &["ls", "work", "data/a.txt", "--json"],
        &["ls", "work", "data/", "--tree"],
        &["ls", "work", "model.bin", "--size", "--show-hash"],
        &["ls", "work/data"],
        &["ls", "-q", "work"],
        &["ls", "-q", "work", "--size"],
    ] {
        assert_same(&repo, args);
    }
    // From inside the source, paths are taken from the working directory, and an empty
    // path names entries from there (`../x`).
    let inside = repo.path("data");
    for args in [
        &["ls", ".."][..],
        &["ls", "..", "-R"],
        &["ls", "..", "."],
        &["ls", "..", "sub", "--json"],
        &["ls", "..", "--tree"],
    ] {
        assert_same_in(&repo, &inside, args);
    }
}

#[test]
fn revisions_and_urls_are_read_from_a_clone() {
    let repo = registry();
    let url = file_url(&repo);
    for args in [
        &["ls", "work", "--rev", "v1"][..],
        &["ls", "work", "--rev", "v1", "--size", "--show-hash"],
        &["ls", "work", "-R", "--json", "--rev", "v1"],
        &["ls", "work", "-R", "--json", "--rev", "HEAD"],
        &["ls", "work", "data", "-R", "--rev", "HEAD~1"],
        &[
            "ls",
            "work",
            "--tree",
            "--size",
            "--show-hash",
            "--rev",
            "HEAD",
        ],
        &["ls", "work", "--dvc-only", "-R", "--json", "--rev", "v1"],
        &["ls", "work", "data/sub", "--rev", "v1", "--json"],
        &["ls", "work/data", "--rev", "HEAD", "-R"],
        &["ls", &url],
        &["ls", &url, "-R", "--size", "--show-hash"],
        &["ls", &url, "--json"],
        &["ls", &url, "--tree", "--size"],
        &["ls", &url, "data", "--rev", "v1", "--show-hash"],
    ] {
        assert_same(&repo, args);
    }
}

#[test]
fn missing_paths_and_bad_arguments_fail_as_in_dvc() {
    let repo = registry();
    let url = file_url(&repo);
    for args in [
        &["ls", "work", "nope"][..],
        &["ls", "work", "data/nope"],
        &["ls", "work", "nope", "--rev", "v1"],
        &["ls", "work", "it's", "--rev", "v1"],
        &["ls", &url, "data/nope"],
        &["ls", "work", "README.md/x", "--rev", "HEAD"],
        &["ls", "work", "model.bin/x"],
        &["ls", "work", "--tree", "--json"],
        &["ls", "work", "--rev", "nosuch"],
        &["ls", "work", "-R", "-L", "-1"],
        &["du", "work", "nope"],
        &["du", "work", "nope", "--rev", "v1"],
        &["du", "work", "--rev", "nosuch"],
        &["ls", "work", "--config", "nonexist.cfg"],
        &["du", "work", "--config", "nonexist.cfg"],
        &["ls", "work", "--rev", "v1", "--remote", "nosuch"],
        &["du", "work", "--rev", "v1", "--remote", "nosuch"],
        &["ls", "work", "--remote-config", "foo"],
    ] {
        assert_same(&repo, args);
    }
}

#[test]
fn du_sums_files_and_recorded_sizes() {
    let repo = registry();
    let url = file_url(&repo);
    for args in [
        &["du", "work"][..],
        &["du", "work", "-s"],
        &["du", "work", "data"],
        &["du", "work", "data/"],
        &["du", "work", "data/sub"],
        &["du", "work", "model.bin"],
        &["du", "work", "--rev", "v1"],
        &["du", "work", "data", "--rev", "v1"],
        &["du", "work", "-s", "--rev", "v1"],
        &["du", &url],
        &["du", "-q", "work", "-s"],
    ] {
        assert_same_sorted(&repo, args);
    }
}

#[test]
fn a_plain_git_repository_lists_its_files() {
    let repo = TestRepo::new();
    repo.write("f", "f\n");
    repo.write("d/g", "g\n");
    commit_all(&repo, "files");
    repo.write("untracked", "u\n");
    for args in [
        &["ls", "work"][..],
        &["ls", "work", "--dvc-only"],
        &["ls", "work", "-R", "--size", "--json"],
        &["ls", "work", "--tree", "--size"],
        &["ls", "work", "--rev", "HEAD", "-R"],
        &["ls", "work/d"],
    ] {
        assert_same(&repo, args);
    }
    assert_same_sorted(&repo, &["du", "work"]);
}

#[test]
fn a_directory_outside_git_is_listed_in_place_but_has_no_revisions() {
    let repo = TestRepo::without_git();
    succeed(&repo, "dvc", &["init", "-q", "--no-scm"]);
    repo.write("y", "y\n");
    succeed(&repo, "dvc", &["add", "-q", "y"]);
    for args in [
        &["ls", "work", "-R", "--json"][..],
        &["ls", "work", "--tree", "--size", "--show-hash"],
        &["ls", "work", "--rev", "HEAD"],
        &["du", "work", "--rev", "HEAD"],
    ] {
        assert_same(&repo, args);
    }
    assert_same_sorted(&repo, &["du", "work"]);
}

#[test]
fn nested_repositories_answer_for_their_own_paths() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("top.txt", "top\n");
    std::fs::create_dir(repo.path("proj")).unwrap();
    let proj = repo.path("proj");
    run(repo
        .dvc()
        .current_dir(&proj)
        .args(["init", "-q", "--subdir"]))
    .success();
    repo.write("proj/s.txt", "s\n");
    repo.write("proj/d/x", "x\n");
    run(repo
        .dvc()
        .current_dir(&proj)
        .args(["add", "-q", "s.txt", "d"]))
    .success();
    commit_all(&repo, "nested");
    for args in [
        &["ls", "work"][..],
        &["ls", "work", "-R", "--json"],
        &["ls", "work", "proj", "--size", "--show-hash"],
        &["ls", "work", "proj", "-R", "--json", "--rev", "HEAD"],
        &["ls", "work", "proj/d", "--rev", "HEAD"],
    ] {
        assert_same(&repo, args);
    }
    assert_same_sorted(&repo, &["du", "work"]);
}

#[test]
fn pipelines_ignores_and_links_are_listed_as_in_dvc() {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("raw/a", "a\n");
    repo.write("ign/i", "i\n");
    repo.write("src/x.tmp", "t\n");
    repo.write("src/deep/x.py", "print(1)\n");
    repo.write(".dvcignore", "ign/\n*.tmp\n");
    repo.write(
        "dvc.yaml",
        "stages:\n  s1:\n    cmd: mkdir -p out && echo o > out/o.txt && echo m > metrics.json\n    \
         deps: [raw]\n    outs: [out]\n    metrics: [{metrics.json: {cache: false}}]\n  \
         s2:\n    cmd: echo never > never.txt\n    outs: [never.txt, sub/deep/n2.txt]\n",
    );
    succeed(&repo, "dvc", &["repro", "-q", "s1"]);
    std::os::unix::fs::symlink("src/deep", repo.path("linkdir")).unwrap();
    std::os::unix::fs::symlink("nowhere", repo.path("broken")).unwrap();
    commit_all(&repo, "pipeline");
    for args in [
        &["ls", "work"][..],
        &["ls", "work", "-R", "--json"],
        &["ls", "work", "--size", "--show-hash"],
        &["ls", "work", "--dvc-only", "-R", "--json"],
        &["ls", "work", "-R", "--rev", "HEAD", "--size", "--show-hash"],
        &["ls", "work", "--tree", "--size", "--rev", "HEAD"],
        &["ls", "work", "sub", "--json"],
        &["ls", "work", "linkdir", "-R", "--json"],
        &["ls", "work", "ign"],
    ] {
        assert_same(&repo, args);
    }
    assert_same_sorted(&repo, &["du", "work", "--rev", "HEAD"]);
    assert_same_sorted(&repo, &["du", "work", "src"]);
}

/// The mirror clones under the site cache (`dv-clones-<uid>/<key>/git`).
fn mirrors(repo: &TestRepo) -> Vec<PathBuf> {
    let site = repo.temp_dir().join("site-cache");
    let mut found = Vec::new();
    for users in std::fs::read_dir(&site).unwrap().filter_map(Result::ok) {
        if !users
            .file_name()
            .to_string_lossy()
            .starts_with("dv-clones-")
        {
            continue;
        }
        for entry in std::fs::read_dir(users.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let git = entry.path().join("git");
            if git.is_dir() {
                found.push(git);
            }
        }
    }
    found
}

#[test]
fn a_second_ls_of_a_url_does_not_clone_again() {
    let repo = registry();
    let url = file_url(&repo);
    let first = run(repo.dv().current_dir(repo.temp_dir()).args(["ls", &url]));
    first.success();
    let clones = mirrors(&repo);
    assert_eq!(clones.len(), 1, "{clones:?}");
    // The mirror is the same directory, and nothing was fetched into it (the files of the
    // revision are written out again beside it, which touches only its index).
    let stamps = |git: &Path| -> Vec<(u64, i64, i64)> {
        ["", "objects", "objects/pack", "refs", "packed-refs"]
            .iter()
            .map(|part| {
                let metadata = std::fs::metadata(git.join(part)).unwrap();
                let (mtime, nsec) = if part.is_empty() {
                    (0, 0)
                } else {
                    (metadata.mtime(), metadata.mtime_nsec())
                };
                (metadata.ino(), mtime, nsec)
            })
            .collect()
    };
    let before = stamps(&clones[0]);
    let second = run(repo.dv().current_dir(repo.temp_dir()).args(["ls", &url]));
    second.success();
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(mirrors(&repo), clones);
    assert_eq!(
        before,
        stamps(&clones[0]),
        "the mirror was cloned or fetched again"
    );
}
