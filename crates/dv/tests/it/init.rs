//! `dv init`: the files DVC creates, its messages and errors, and interop with real dvc.

use dv_test::{TestRepo, run};

const DVC_GITIGNORE: &str = "/config.local\n/tmp\n/cache\n";
const DVCIGNORE: &str = "# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n";

#[test]
fn init_creates_what_dvc_creates_and_stages_it() {
    let repo = TestRepo::new();
    let out = run(repo.dv().arg("init"));
    insta::assert_snapshot!(out, @r"
    exit: 0
    ----- stdout -----
    Initialized DVC repository.

    You can now commit the changes to git.

    What's next?
    ------------
    - Check out the documentation: <https://dvc.org/doc>
    - Get help and share ideas: <https://dvc.org/chat>
    - Star us on GitHub: <https://github.com/treeverse/dvc>
    ----- stderr -----
    ");
    assert_eq!(repo.read(".dvc/.gitignore"), DVC_GITIGNORE);
    assert_eq!(repo.read(".dvc/config"), "");
    assert_eq!(repo.read(".dvcignore"), DVCIGNORE);
    assert!(repo.exists(".dvc/tmp/btime"));
    assert!(!repo.exists(".dvc/cache"));
    assert_eq!(
        repo.git(&["diff", "--cached", "--name-only"]),
        ".dvc/.gitignore\n.dvc/config\n.dvcignore\n"
    );
}

#[test]
fn init_matches_the_oracle_byte_for_byte() {
    let ours = TestRepo::new();
    let theirs = TestRepo::new();
    run(ours.dv().arg("init")).success();
    run(theirs.dvc().arg("init")).success();
    for file in [".dvc/.gitignore", ".dvc/config", ".dvcignore"] {
        assert_eq!(ours.read(file), theirs.read(file), "{file}");
    }
    assert_eq!(
        ours.git(&["status", "--porcelain"]),
        theirs.git(&["status", "--porcelain"])
    );
}

#[test]
fn init_twice_needs_force() {
    let repo = TestRepo::new();
    run(repo.dv().arg("init")).success();
    repo.write(".dvc/config", "[core]\n    autostage = true\n");
    let out = run(repo.dv().arg("init"));
    insta::assert_snapshot!(out, @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    ERROR: failed to initiate DVC - '.dvc' exists. Use `-f` to force.
    ");
    assert_eq!(repo.read(".dvc/config"), "[core]\n    autostage = true\n");
    run(repo.dv().args(["init", "-f", "-q"])).success();
    assert_eq!(repo.read(".dvc/config"), "");
}

#[test]
fn init_outside_git_needs_no_scm() {
    let repo = TestRepo::without_git();
    let out = run(repo.dv().arg("init")).redacted(&repo);
    insta::assert_snapshot!(out, @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    ERROR: failed to initiate DVC - [ROOT] is not tracked by any supported SCM tool (e.g. Git). Use `--no-scm` if you don't want to use any SCM or `--subdir` if initializing inside a subdirectory of a parent SCM repository.
    ");
    assert!(!repo.exists(".dvc"));

    let out = run(repo.dv().args(["init", "--no-scm"]));
    insta::assert_snapshot!(out, @r"
    exit: 0
    ----- stdout -----
    Initialized DVC repository.

    What's next?
    ------------
    - Check out the documentation: <https://dvc.org/doc>
    - Get help and share ideas: <https://dvc.org/chat>
    - Star us on GitHub: <https://github.com/treeverse/dvc>
    ----- stderr -----
    ");
    assert_eq!(repo.read(".dvc/config"), "[core]\n    no_scm = True\n");
    assert!(!repo.exists(".dvc/.gitignore"));
    // The real dvc accepts it.
    run(repo.dvc().arg("status")).success();
}

#[test]
fn init_in_a_git_subdirectory_needs_subdir() {
    let repo = TestRepo::new();
    repo.write("proj/keep", "");
    let out = run(repo.dv().args(["--cd", "proj", "init", "-q"]));
    assert_eq!(out.code, 1);
    assert!(!repo.exists("proj/.dvc"));
    run(repo.dv().args(["--cd", "proj", "init", "--subdir"])).success();
    assert_eq!(repo.read("proj/.dvc/.gitignore"), DVC_GITIGNORE);
    let staged = repo.git(&["diff", "--cached", "--name-only"]);
    assert_eq!(
        staged,
        "proj/.dvc/.gitignore\nproj/.dvc/config\nproj/.dvcignore\n"
    );
    run(repo.dvc().args(["--cd", "proj", "status"])).success();
}

#[test]
fn init_keeps_an_existing_dvcignore() {
    let repo = TestRepo::new();
    repo.write(".dvcignore", "*.log\n");
    run(repo.dv().arg("init")).success();
    assert_eq!(repo.read(".dvcignore"), "*.log\n");
}

#[test]
fn dvc_reads_a_repo_made_by_dv_and_the_reverse() {
    let ours = TestRepo::new();
    run(ours.dv().arg("init")).success();
    let status = run(ours.dvc().arg("status"));
    status.success();
    assert!(
        status
            .stdout
            .contains("There are no data or pipelines tracked"),
        "{status}"
    );

    let theirs = TestRepo::new();
    run(theirs.dvc().arg("init")).success();
    run(theirs.dv().args(["remote", "add", "-d", "s", "s3://b/p"])).success();
    let ours_list = run(theirs.dv().args(["config", "-l"]));
    let dvc_list = run(theirs.dvc().args(["config", "-l"]));
    assert_eq!(ours_list, dvc_list);
}

#[test]
fn commands_outside_a_repo_exit_253() {
    let repo = TestRepo::without_git();
    let out = run(repo.dv().arg("root")).redacted(&repo);
    assert_eq!(out.code, 253, "{out}");
    assert!(
        out.stderr.starts_with(
            "ERROR: you are not inside of a DVC repository (checked up to mount point '"
        ),
        "{out}"
    );
}
