//! `dv install` and `dv git-hook`: the hook scripts, merge driver and pre-commit entry dvc
//! writes (with `dv` in place of `dvc` in what git runs), its errors, and the hooks at work in
//! real `git checkout`, `git commit` and `git merge` runs with `dv` on `PATH`.

use std::ffi::OsString;
use std::path::Path;

use dv_test::twins::Twins;
use dv_test::{Outcome, TestRepo, run};

use crate::support::{commit_all, dv, dv_binary, dvc, init_and_add, succeed};

const HOOKS: [&str; 3] = ["post-checkout", "pre-commit", "pre-push"];

/// `PATH` with a directory holding `tool` (the `dv` under test, or the oracle's `dvc`) first.
fn path_with(repo: &TestRepo, tool: &str) -> OsString {
    let dir = if tool == "dv" {
        let dir = repo.temp_dir().join("dv-bin");
        std::fs::create_dir_all(&dir).unwrap();
        let binary = dv_binary();
        let link = dir.join("dv");
        if !link.exists() {
            std::os::unix::fs::symlink(binary, &link).unwrap();
        }
        dir
    } else {
        dv_test::venv::dvc_bin().parent().unwrap().to_path_buf()
    };
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(&inherited));
    std::env::join_paths(paths).unwrap()
}

/// `git args…` in `repo` with `tool` on `PATH` (so that the hooks find it); its outcome.
fn git_with(repo: &TestRepo, tool: &str, args: &[&str]) -> Outcome {
    run(repo
        .command("git")
        .env("PATH", path_with(repo, tool))
        .args(args))
    .redacted(repo)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn git_config(repo: &TestRepo, key: &str) -> String {
    repo.git(&["config", "--get", key])
}

#[test]
fn install_writes_dvcs_hooks_and_merge_driver_calling_dv() {
    // From a subdirectory, without a hooks directory (which is created).
    let twins = Twins::new("mkdir sub && rm -rf .git/hooks");
    let outcome = twins.same_in("sub", &["install"]);
    assert_eq!(outcome.code, 0);
    assert_eq!((outcome.stdout.as_str(), outcome.stderr.as_str()), ("", ""));
    for hook in HOOKS {
        let ours = twins.ours.read(&format!(".git/hooks/{hook}"));
        let theirs = twins.theirs.read(&format!(".git/hooks/{hook}"));
        assert_eq!(
            ours,
            theirs.replace("\nexec dvc git-hook ", "\nexec dv git-hook ")
        );
        assert!(
            ours.ends_with(&format!("\nexec dv git-hook {hook} $@\n")),
            "{ours}"
        );
        assert_eq!(mode(&twins.ours.path(&format!(".git/hooks/{hook}"))), 0o777);
        assert_eq!(
            mode(&twins.theirs.path(&format!(".git/hooks/{hook}"))),
            0o777
        );
    }
    assert_eq!(
        mode(&twins.ours.path(".git/hooks")),
        mode(&twins.theirs.path(".git/hooks"))
    );
    assert_eq!(
        git_config(&twins.ours, "merge.dvc.name"),
        git_config(&twins.theirs, "merge.dvc.name")
    );
    let driver = git_config(&twins.ours, "merge.dvc.driver");
    assert_eq!(
        driver,
        "dv git-hook merge-driver --ancestor %O --our %A --their %B \n"
    );
    assert_eq!(
        format!("dv {}", driver.strip_prefix("dv ").unwrap()),
        git_config(&twins.theirs, "merge.dvc.driver").replacen("dvc ", "dv ", 1)
    );
    // Nothing else changes in the work tree.
    assert_eq!(
        twins.ours.git(&["status", "--porcelain"]),
        twins.theirs.git(&["status", "--porcelain"])
    );
}

#[test]
fn install_refuses_a_hook_already_there_as_dvc_does() {
    let twins = Twins::new("true");
    twins.same(&["install"]);
    twins
        .ours
        .write(".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    let outcome = twins.same(&["install"]);
    insta::assert_snapshot!(outcome, @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    ERROR: failed to install DVC Git hooks - Hook 'post-checkout' already exists. Please refer to <https://man.dvc.org/install> for more info.
    ");
    assert_eq!(
        twins.ours.read(".git/hooks/pre-commit"),
        "#!/bin/sh\necho mine\n"
    );

    // Only a later hook there: it is named, nothing is written, and the merge driver is set
    // (DVC sets it before it looks at the hooks).
    for repo in [&twins.ours, &twins.theirs] {
        for hook in HOOKS {
            std::fs::remove_file(repo.path(&format!(".git/hooks/{hook}"))).unwrap();
        }
        repo.write(".git/hooks/pre-push", "#!/bin/sh\n");
        repo.git(&["config", "--remove-section", "merge.dvc"]);
    }
    let outcome = twins.same(&["install"]);
    assert!(
        outcome.stderr.contains("Hook 'pre-push' already exists."),
        "{outcome}"
    );
    assert!(!twins.ours.exists(".git/hooks/post-checkout"));
    assert_eq!(
        git_config(&twins.ours, "merge.dvc.name"),
        "DVC merge driver\n"
    );
}

#[test]
fn install_outside_a_dvc_repository_or_without_git() {
    let plain = TestRepo::new();
    let ours = dv(&plain, &["install"]);
    assert_eq!(ours, dvc(&plain, &["install"]));
    assert_eq!(ours.code, 253, "{ours}");

    let ours = TestRepo::without_git();
    let theirs = TestRepo::without_git();
    succeed(&ours, "dv", &["init", "--no-scm", "-q"]);
    succeed(&theirs, "dvc", &["init", "--no-scm", "-q"]);
    let outcome = dv(&ours, &["install"]);
    assert_eq!(outcome, dvc(&theirs, &["install"]));
    assert_eq!(outcome.code, 0);
    assert_eq!(
        dv_test::files_under(ours.root()),
        dv_test::files_under(theirs.root())
    );
}

/// The entry dvc appends to `.pre-commit-config.yaml` (in ruamel's block style).
const DVC_ENTRY: &str = "\
- repo: https://github.com/treeverse/dvc
  rev: 3.67.1
  hooks:
  - id: dvc-pre-commit
    additional_dependencies:
    - .[all]
    language_version: python3
    stages:
    - pre-commit
  - id: dvc-pre-push
    additional_dependencies:
    - .[all]
    language_version: python3
    stages:
    - pre-push
  - id: dvc-post-checkout
    additional_dependencies:
    - .[all]
    language_version: python3
    stages:
    - post-checkout
    always_run: true
";

/// The entry dv appends in its place: a local repository running `dv git-hook`.
const DV_ENTRY: &str = "\
- repo: local
  hooks:
  - id: dv-pre-commit
    name: dv pre-commit
    entry: dv git-hook pre-commit
    language: system
    stages:
    - pre-commit
    require_serial: true
    verbose: true
  - id: dv-pre-push
    name: dv pre-push
    entry: dv git-hook pre-push
    language: system
    stages:
    - pre-push
    require_serial: true
  - id: dv-post-checkout
    name: dv post-checkout
    entry: dv git-hook post-checkout
    language: system
    stages:
    - post-checkout
    require_serial: true
    always_run: true
";

/// `install --use-pre-commit-tool` in both twins, `.pre-commit-config.yaml` holding `config`
/// first (`None`: no file); the outcome and both files.
fn install_pre_commit(twins: &Twins, config: Option<&str>) -> (Outcome, Outcome, String, String) {
    for repo in [&twins.ours, &twins.theirs] {
        match config {
            Some(text) => repo.write(".pre-commit-config.yaml", text),
            None => {
                let _ = std::fs::remove_file(repo.path(".pre-commit-config.yaml"));
            }
        }
    }
    let (ours, theirs) = twins.both_in(".", &["install", "--use-pre-commit-tool"]);
    (
        ours,
        theirs,
        twins.ours.read(".pre-commit-config.yaml"),
        twins.theirs.read(".pre-commit-config.yaml"),
    )
}

#[test]
fn pre_commit_tool_config_is_dvcs_with_a_dv_entry() {
    let twins = Twins::new("true");
    // No file; an existing file with comments and a key after `repos`; a document Python reads
    // as false (`{}`), written anew; the entry already there.
    let existing = "# checks\nrepos:\n- repo: https://github.com/x/lint\n  rev: v1\n  hooks:\n  - id: lint\n\n# stop early\nfail_fast: true\n";
    let mut first = None;
    for config in [None, Some(existing), Some("{}\n")] {
        let (ours, theirs, our_file, their_file) = install_pre_commit(&twins, config);
        assert_eq!(ours, theirs, "{config:?}");
        assert_eq!((ours.code, ours.stderr.as_str()), (0, ""), "{config:?}");
        assert!(their_file.contains(DVC_ENTRY), "{config:?}: {their_file}");
        assert_eq!(
            our_file,
            their_file.replace(DVC_ENTRY, DV_ENTRY),
            "{config:?}"
        );
        first.get_or_insert(our_file);
    }
    let first = first.expect("a first run");
    assert_eq!(first, format!("repos:\n{DV_ENTRY}"));
    // As ruamel attaches comment lines to the entry before them, the entry comes after them.
    let (_, _, ours, _) = install_pre_commit(&twins, Some(existing));
    assert!(
        ours.ends_with(&format!(
            "  - id: lint\n\n# stop early\n{DV_ENTRY}fail_fast: true\n"
        )),
        "{ours}"
    );
    // A second run adds nothing.
    twins.ours.write(".pre-commit-config.yaml", &first);
    let outcome = dv(&twins.ours, &["install", "--use-pre-commit-tool"]);
    assert_eq!(outcome.code, 0, "{outcome}");
    assert_eq!(twins.ours.read(".pre-commit-config.yaml"), first);
    // No hook scripts; the merge driver is set.
    assert!(!twins.ours.exists(".git/hooks/pre-commit"));
    assert_eq!(
        git_config(&twins.ours, "merge.dvc.driver"),
        "dv git-hook merge-driver --ancestor %O --our %A --their %B \n"
    );

    // Not YAML: dvc's failure (the parser's own words differ); `repos: null` and a document
    // that is a list: Python's errors, escaping as unexpected ones. Nothing is written.
    let (ours, theirs, our_file, their_file) = install_pre_commit(&twins, Some("repos: [\n"));
    assert_eq!((ours.code, our_file), (theirs.code, their_file));
    let prefix = "ERROR: failed to install DVC Git hooks - unable to read: '.pre-commit-config.yaml', YAML file structure is corrupted: ";
    assert!(ours.stderr.starts_with(prefix), "{ours}");
    assert!(theirs.stderr.starts_with(prefix), "{theirs}");
    for (config, message) in [
        ("repos:\n", "argument of type 'NoneType' is not iterable"),
        ("- 1\n", "'CommentedSeq' object has no attribute 'get'"),
    ] {
        let (ours, theirs, our_file, their_file) = install_pre_commit(&twins, Some(config));
        assert_eq!((ours.code, our_file), (255, config.to_owned()), "{ours}");
        assert_eq!(
            (theirs.code, their_file),
            (255, config.to_owned()),
            "{theirs}"
        );
        let line = format!("ERROR: unexpected error - {message}\n");
        assert_eq!(ours.stderr, line);
        assert!(theirs.stderr.starts_with(&line), "{theirs}");
    }
}

/// A DVC repository with `data.txt` tracked and committed, hooks installed by `tool` (the
/// setup is dv's, equal to dvc's, to keep the oracle's start-up time out of it).
fn repo_with_hooks(tool: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("data.txt", "one\n");
    init_and_add(&repo, "dv", &["data.txt"]);
    commit_all(&repo, "one");
    succeed(&repo, tool, &["install"]);
    repo
}

#[test]
fn git_checkout_of_a_branch_runs_checkout() {
    let mut outcomes = Vec::new();
    for tool in ["dv", "dvc"] {
        let repo = TestRepo::new();
        repo.write("data.txt", "one\n");
        init_and_add(&repo, "dv", &["data.txt"]);
        commit_all(&repo, "one");
        repo.git(&["checkout", "-q", "-b", "two"]);
        repo.write("data.txt", "two\n");
        succeed(&repo, "dv", &["add", "-q", "data.txt"]);
        commit_all(&repo, "two");
        repo.git(&["checkout", "-q", "main"]);
        succeed(&repo, "dv", &["checkout", "-q"]);
        succeed(&repo, tool, &["install"]);

        let switch = git_with(&repo, tool, &["checkout", "-q", "two"]);
        assert_eq!(repo.read("data.txt"), "two\n", "{tool}: {switch}");
        // Checking out a file (flag 0) leaves the data alone.
        let file = git_with(
            &repo,
            tool,
            &["checkout", "-q", "main", "--", "data.txt.dvc"],
        );
        assert_eq!(repo.read("data.txt"), "two\n", "{tool}: {file}");
        // A branch checkout during a rebase leaves the data alone too.
        std::fs::create_dir(repo.path(".git/rebase-merge")).unwrap();
        let rebasing = git_with(&repo, tool, &["checkout", "-q", "-f", "main"]);
        assert_eq!(rebasing.code, 0, "{rebasing}");
        assert_eq!(repo.read("data.txt"), "two\n", "{tool}: {rebasing}");
        outcomes.push((switch, file, rebasing));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    let (switch, file, rebasing) = &outcomes[0];
    assert_eq!(
        (switch.code, switch.stderr.as_str()),
        (0, "M       data.txt\n"),
        "{switch}"
    );
    assert_eq!(file.stderr, "", "{file}");
    assert_eq!(rebasing.stderr, "", "{rebasing}");
}

#[test]
fn git_push_runs_push_in_the_pre_push_hook() {
    let mut outcomes = Vec::new();
    for tool in ["dv", "dvc"] {
        let repo = repo_with_hooks(tool);
        let origin = repo.temp_dir().join("origin.git");
        run(repo
            .command("git")
            .args(["init", "-q", "--bare"])
            .arg(&origin))
        .success();
        repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
        // Without a DVC remote the hook fails, and so does the push.
        let refused = git_with(&repo, tool, &["push", "-q", "origin", "main"]);
        let store = repo.temp_dir().join("store");
        succeed(
            &repo,
            "dv",
            &["remote", "add", "-d", "store", store.to_str().unwrap()],
        );
        let pushed = git_with(&repo, tool, &["push", "-q", "origin", "main"]);
        assert_eq!(pushed.code, 0, "{tool}: {pushed}");
        assert!(
            store
                .join("files/md5/5b/bf5a52328e7439ae6e719dfe712200")
                .is_file(),
            "{tool}: {pushed}"
        );
        outcomes.push((refused, pushed));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    let (refused, pushed) = &outcomes[0];
    assert_eq!(pushed.stdout, "1 file pushed\n", "{pushed}");
    assert_eq!(refused.code, 1, "{refused}");
    assert!(
        refused.stderr.starts_with(
            "ERROR: failed to push data to the cloud - config file error: no remote specified in [ROOT]."
        ),
        "{refused}"
    );
}

#[test]
fn git_commit_runs_status_in_the_pre_commit_hook() {
    let mut outcomes = Vec::new();
    for tool in ["dv", "dvc"] {
        let repo = repo_with_hooks(tool);
        repo.write("data.txt", "changed\n");
        repo.write("notes.md", "notes\n");
        repo.git(&["add", "notes.md"]);
        let commit = git_with(&repo, tool, &["commit", "-q", "-m", "notes"]);
        assert_eq!(commit.code, 0, "{commit}");
        outcomes.push(commit);
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert!(
        outcomes[0]
            .stderr
            .contains("\t\tmodified:           data.txt"),
        "{}",
        outcomes[0]
    );
}

#[test]
fn git_hooks_do_nothing_outside_a_dvc_repository() {
    let repo = TestRepo::new();
    for args in [
        &["git-hook", "pre-commit"][..],
        &["git-hook", "post-checkout", "a", "b", "1"],
        &["git-hook", "pre-push", "origin", "url"],
        &[
            "git-hook",
            "merge-driver",
            "--ancestor",
            "a",
            "--our",
            "b",
            "--their",
            "c",
        ],
    ] {
        let ours = dv(&repo, args);
        assert_eq!(ours, dvc(&repo, args), "{args:?}");
        assert_eq!(ours.code, 0);
        assert_eq!((ours.stdout.as_str(), ours.stderr.as_str()), ("", ""));
    }
}

/// A repository with the directory `data` (`a`) tracked on `main`, `.dvc` files merged by
/// the driver `dvc`; branch `x` adds `x`, `main` then adds `y` (set up by dv); then the merge
/// driver and hooks installed by `tool`.
fn diverged_directories(tool: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("data/a", "a\n");
    init_and_add(&repo, "dv", &["data"]);
    repo.write(".gitattributes", "*.dvc merge=dvc\n");
    commit_all(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "x"]);
    repo.write("data/x", "x\n");
    succeed(&repo, "dv", &["add", "-q", "data"]);
    commit_all(&repo, "x");
    repo.git(&["checkout", "-q", "main"]);
    std::fs::remove_file(repo.path("data/x")).unwrap();
    repo.write("data/y", "y\n");
    succeed(&repo, "dv", &["add", "-q", "data"]);
    commit_all(&repo, "y");
    succeed(&repo, tool, &["install"]);
    repo
}

#[test]
fn git_merge_of_directories_uses_the_merge_driver() {
    let ours = diverged_directories("dv");
    let theirs = diverged_directories("dvc");
    let merge = git_with(&ours, "dv", &["merge", "-q", "-m", "merge", "x"]);
    assert_eq!(merge.code, 0, "{merge}");
    git_with(&theirs, "dvc", &["merge", "-q", "-m", "merge", "x"]).success();
    let merged = ours.read("data.dvc");
    assert_eq!(merged, theirs.read("data.dvc"));
    assert!(merged.contains("  nfiles: 3\n"), "{merged}");
    // The merged manifest is in the cache: checking out gives all three files.
    succeed(&ours, "dv", &["checkout", "-q"]);
    assert_eq!(ours.read("data/x"), "x\n");
    assert_eq!(ours.read("data/y"), "y\n");
    assert_eq!(ours.read("data/a"), "a\n");
}

#[test]
fn merge_driver_conflicts_fail_as_in_dvc() {
    // Set up by dv (whose `add` writes what dvc's does), to keep the oracle's start-up time out.
    let twins = Twins::new(&format!(
        "DV='{}' && mkdir data && echo a > data/a && echo b > data/b && $DV add -q data && cp data.dvc base \
         && echo A > data/a && $DV add -q data && cp data.dvc ours \
         && echo Z > data/a && $DV add -q data && cp data.dvc theirs \
         && rm -r data && rm data.dvc && : > empty \
         && printf 'outs:\\n- md5: 1d2d3c1f4e0fb6a9d2bcb9c5ed2c1c2f\\n  size: 2\\n  hash: md5\\n  path: f\\n' > file",
        dv_binary().display()
    ));
    let cases: [[&str; 3]; 4] = [
        ["base", "ours", "theirs"],
        ["empty", "ours", "theirs"],
        ["base", "file", "theirs"],
        ["base", "ours", "missing"],
    ];
    for [ancestor, our, their] in cases {
        twins.each(&format!("cp {our} result 2>/dev/null || true"));
        let outcome = twins.same(&[
            "git-hook",
            "merge-driver",
            "--ancestor",
            ancestor,
            "--our",
            "result",
            "--their",
            their,
        ]);
        assert_eq!(outcome.code, 255, "{outcome}");
        assert_eq!(twins.ours.read("result"), twins.theirs.read("result"));
    }
    let outcome = twins.same(&[
        "git-hook",
        "merge-driver",
        "--ancestor",
        "base",
        "--our",
        "result",
        "--their",
        "theirs",
    ]);
    insta::assert_snapshot!(outcome, @r"
    exit: 255
    ----- stdout -----
    ----- stderr -----
    ERROR: unable to auto-merge the following paths:
    a: unable to auto-merge the following paths:
    a
    ");
}
