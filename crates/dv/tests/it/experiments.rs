//! `exp run/save/apply/branch/ls/remove/rename` against dvc: twin repositories with the same
//! baseline commit (same files, author and time, so the same commit id) run the same
//! experiment with dv and with dvc; the experiment refs, commit messages (DVC's experiment
//! hash), trees, workspace files and printed lines must be the same, and each tool must read,
//! apply, branch, rename and remove what the other made.

use dv_test::{Outcome, TestRepo, run};

use crate::support::{dv, dvc, succeed, tool};

const TRAIN: &str = "\
import json, yaml
p = yaml.safe_load(open('params.yaml'))
json.dump({'acc': round(0.5 + p['train']['lr'], 4), 'loss': 1 - p['train']['lr']}, open('metrics.json', 'w'))
open('model.bin', 'w').write(str(p))
";

const PARAMS: &str =
    "train:\n  lr: 0.1   # learning rate\n  epochs: 3\n  layers: [64, 32]\nseed: 7\n";

pub(crate) fn git_out(repo: &TestRepo, args: &[&str]) -> String {
    let outcome = run(repo.command("git").args(args));
    outcome.success();
    outcome.stdout.trim().to_string()
}

/// A repository with a one-stage pipeline reproduced and committed at a fixed time by dvc.
pub(crate) fn baseline_repo() -> TestRepo {
    let repo = TestRepo::new();
    succeed(&repo, "dvc", &["init", "-q"]);
    repo.write("train.py", TRAIN);
    repo.write("params.yaml", PARAMS);
    succeed(
        &repo,
        "dvc",
        &[
            "stage",
            "add",
            "-q",
            "-n",
            "train",
            "-d",
            "train.py",
            "-p",
            "train",
            "-o",
            "model.bin",
            "-M",
            "metrics.json",
            "python3 train.py",
        ],
    );
    succeed(&repo, "dvc", &["repro", "-q"]);
    repo.git(&["add", "-A"]);
    repo.command("git")
        .args(["commit", "-q", "-m", "base"])
        .env("GIT_COMMITTER_DATE", "2024-05-01T12:00:00Z")
        .env("GIT_AUTHOR_DATE", "2024-05-01T12:00:00Z")
        .assert()
        .success();
    repo
}

pub(crate) fn exp_ref(repo: &TestRepo, name: &str) -> String {
    let head = git_out(repo, &["rev-parse", "HEAD"]);
    format!("refs/exps/{}/{}/{name}", &head[..2], &head[2..])
}

pub(crate) fn run_tool(repo: &TestRepo, name: &str, args: &[&str]) -> Outcome {
    run(tool(repo, name).args(args)).redacted(repo)
}

#[test]
fn exp_run_records_what_dvc_records() {
    let ours = baseline_repo();
    let theirs = baseline_repo();
    assert_eq!(
        git_out(&ours, &["rev-parse", "HEAD"]),
        git_out(&theirs, &["rev-parse", "HEAD"])
    );
    let args = ["exp", "run", "-S", "train.lr=0.5", "-n", "lr05"];
    let a = dv(&ours, &args);
    let b = dvc(&theirs, &args);
    assert_eq!(a.code, 0, "{a}");
    assert_eq!(b.code, 0, "{b}");
    assert_eq!(a.stdout, b.stdout);
    let reference = exp_ref(&ours, "lr05");
    for (what, spec) in [("tree", "^{tree}"), ("parent", "^")] {
        assert_eq!(
            git_out(&ours, &["rev-parse", &format!("{reference}{spec}")]),
            git_out(&theirs, &["rev-parse", &format!("{reference}{spec}")]),
            "{what}"
        );
    }
    assert_eq!(
        git_out(&ours, &["log", "-1", "--format=%B", &reference]),
        git_out(&theirs, &["log", "-1", "--format=%B", &reference])
    );
    for file in ["params.yaml", "dvc.lock", "metrics.json"] {
        assert_eq!(ours.read(file), theirs.read(file), "{file}");
    }
    assert_eq!(
        git_out(&ours, &["status", "--porcelain"]),
        git_out(&theirs, &["status", "--porcelain"])
    );
    assert_eq!(
        git_out(&ours, &["symbolic-ref", "HEAD"]),
        "refs/heads/master".replace("master", &git_out(&ours, &["branch", "--show-current"]))
    );

    // Without a name: a random adjective-noun name; the same name again needs -f.
    let unnamed = dv(&ours, &["exp", "run", "-S", "train.lr=0.3"]);
    assert_eq!(unnamed.code, 0, "{unnamed}");
    let name = unnamed
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("Ran experiment(s): "))
        .expect("a name")
        .to_string();
    assert!(name.split('-').count() >= 2, "{name}");
    for tool_name in ["dv", "dvc"] {
        let repo = if tool_name == "dv" { &ours } else { &theirs };
        let again = run_tool(repo, tool_name, &args);
        assert_eq!(again.code, 255, "{again}");
        assert!(
            again
                .stderr
                .contains("Experiment conflicts with existing experiment 'lr05'"),
            "{again}"
        );
    }
}

#[test]
fn each_tool_reads_and_manages_the_others_experiments() {
    let ours = baseline_repo();
    succeed(
        &ours,
        "dv",
        &["exp", "run", "-S", "train.lr=0.5", "-n", "by-dv"],
    );
    succeed(
        &ours,
        "dvc",
        &["exp", "run", "-S", "train.lr=0.3", "-n", "by-dvc"],
    );

    let listed = dvc(&ours, &["exp", "ls", "--name-only"]);
    let mine = dv(&ours, &["exp", "ls", "--name-only"]);
    assert_eq!(mine.stdout, listed.stdout);
    assert_eq!(
        dv(&ours, &["exp", "ls"]).stdout,
        dvc(&ours, &["exp", "ls"]).stdout
    );
    let shown = dvc(&ours, &["exp", "show", "--json"]);
    assert!(shown.stdout.contains("\"by-dv\""), "{shown}");

    // dv applies dvc's experiment, dvc applies dv's.
    let applied = dv(&ours, &["exp", "apply", "by-dvc"]);
    assert_eq!(applied.code, 0, "{applied}");
    assert_eq!(
        applied.stdout,
        "Changes for experiment 'by-dvc' have been applied to your current workspace.\n"
    );
    assert!(ours.read("params.yaml").contains("lr: 0.3"));
    assert!(ours.read("metrics.json").contains("0.8"));
    succeed(&ours, "dvc", &["exp", "apply", "by-dv"]);
    assert!(ours.read("params.yaml").contains("lr: 0.5"));
    let applied = dv(&ours, &["exp", "apply", "by-dvc"]);
    assert_eq!(applied.code, 0, "{applied}");
    let status = dvc(&ours, &["status", "-q"]);
    assert_eq!(status.code, 0, "{status}");

    // Branch, rename, remove: same lines as dvc.
    let branched = dv(&ours, &["exp", "branch", "by-dvc"]);
    assert_eq!(
        branched.stdout,
        "Git branch 'by-dvc-branch' has been created from experiment 'by-dvc'.\nTo switch to \
         the new branch run:\n\n\tgit checkout by-dvc-branch\n"
    );
    assert_eq!(
        git_out(&ours, &["rev-parse", "by-dvc-branch"]),
        git_out(&ours, &["rev-parse", &exp_ref(&ours, "by-dvc")])
    );
    let renamed = dv(&ours, &["exp", "rename", "by-dv", "renamed"]);
    assert_eq!(
        renamed.stdout, "Renamed experiments: 'by-dv'\n",
        "{renamed}"
    );
    assert!(
        dvc(&ours, &["exp", "ls", "--name-only"])
            .stdout
            .contains("renamed")
    );

    for args in [
        &["exp", "remove", "nope"][..],
        &["exp", "apply", "nope"][..],
        &["exp", "rename", "nope", "x"][..],
    ] {
        let a = dv(&ours, args);
        let b = dvc(&ours, args);
        assert_eq!((a.code, &a.stderr), (b.code, &b.stderr), "{args:?}");
    }
    let removed = dv(&ours, &["exp", "remove", "renamed", "by-dvc"]);
    assert_eq!(
        removed.stdout,
        "Removed experiments: 'renamed' and 'by-dvc'\n"
    );
    assert_eq!(dvc(&ours, &["exp", "ls", "--name-only"]).stdout, "");
}

#[test]
fn failures_leave_no_experiment() {
    let ours = baseline_repo();
    let theirs = baseline_repo();
    // A key that does not exist: DVC's message and exit code, nothing changed.
    let args = ["exp", "run", "-S", "train.nope=1"];
    let a = dv(&ours, &args);
    let b = dvc(&theirs, &args);
    assert_eq!((a.code, &a.stderr), (b.code, &b.stderr));
    assert_eq!(ours.read("params.yaml"), PARAMS);
    // A sweep without --queue.
    let args = ["exp", "run", "-S", "train.lr=0.1,0.2"];
    let a = dv(&ours, &args);
    let b = dvc(&theirs, &args);
    assert_eq!((a.code, &a.stderr), (b.code, &b.stderr));
    // A params file outside the repository, or behind a symbolic link, is never written.
    std::os::unix::fs::symlink(ours.temp_dir(), ours.path("linked")).expect("link");
    for target in ["../outside.yaml", "linked/params.yaml"] {
        let args = format!("{target}:+a=1");
        let refused = dv(&ours, &["exp", "run", "-S", &args, "-n", "hostile"]);
        assert_eq!(refused.code, 255, "{refused}");
        assert!(
            refused.stderr.starts_with("ERROR: refusing to write"),
            "{refused}"
        );
    }
    assert!(!ours.root().join("../outside.yaml").exists());
    assert!(!ours.temp_dir().join("params.yaml").exists());
    std::fs::remove_file(ours.path("linked")).expect("unlink");
    // A failing stage: no ref, the overrides stay in the workspace, HEAD unchanged.
    for repo in [&ours, &theirs] {
        repo.write("train.py", "import sys\nsys.exit(3)\n");
    }
    let args = ["exp", "run", "-S", "train.lr=0.7", "-n", "broken"];
    let a = dv(&ours, &args);
    let b = dvc(&theirs, &args);
    assert_eq!(a.code, b.code, "{a}\n{b}");
    assert_eq!(
        git_out(&ours, &["for-each-ref", "refs/exps/"])
            .lines()
            .filter(|l| l.contains("broken"))
            .count(),
        0
    );
    assert_eq!(ours.read("params.yaml"), theirs.read("params.yaml"));
    assert_eq!(
        git_out(&ours, &["status", "--porcelain"]),
        git_out(&theirs, &["status", "--porcelain"])
    );
}

#[test]
fn exp_save_records_the_workspace() {
    let ours = baseline_repo();
    let theirs = baseline_repo();
    for repo in [&ours, &theirs] {
        repo.write("params.yaml", PARAMS.replace("0.1", "0.9"));
        run(repo.command("python3").arg("train.py")).success();
    }
    let args = ["exp", "save", "-n", "saved"];
    let a = dv(&ours, &args);
    let b = dvc(&theirs, &args);
    assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
    let reference = exp_ref(&ours, "saved");
    // dvc's commit also holds its pickled run arguments (`.dvc/tmp/repro.dat`), which only
    // dvc reads; every other file must be the same.
    let files = |repo: &TestRepo| -> Vec<String> {
        git_out(repo, &["ls-tree", "-r", &reference])
            .lines()
            .filter(|line| !line.ends_with(".dvc/tmp/repro.dat"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(files(&ours), files(&theirs));
    assert_eq!(
        git_out(&ours, &["log", "-1", "--format=%B", &reference]),
        git_out(&theirs, &["log", "-1", "--format=%B", &reference])
    );
}

/// `exp push` by one tool and `exp pull` by the other, through a bare git remote and a local
/// DVC remote: the experiment ref and its cached outputs arrive.
#[test]
fn exp_push_and_pull_between_tools() {
    for (pusher, puller) in [("dv", "dvc"), ("dvc", "dv")] {
        let ours = baseline_repo();
        let bare = ours.temp_dir().join("origin.git");
        run(ours
            .command("git")
            .args(["init", "-q", "--bare"])
            .arg(&bare))
        .success();
        ours.git(&["remote", "add", "origin", bare.to_str().expect("utf-8")]);
        ours.git(&["push", "-q", "origin", "HEAD"]);
        let storage = ours.temp_dir().join("storage");
        succeed(
            &ours,
            "dvc",
            &[
                "remote",
                "add",
                "-d",
                "store",
                storage.to_str().expect("utf-8"),
            ],
        );
        ours.git(&["commit", "-qam", "remote"]);
        ours.git(&["push", "-q", "origin", "HEAD"]);
        succeed(
            &ours,
            pusher,
            &["exp", "run", "-S", "train.lr=0.5", "-n", "shared"],
        );
        let pushed = run_tool(&ours, pusher, &["exp", "push", "origin", "shared"]);
        assert_eq!(pushed.code, 0, "{pushed}");
        assert!(
            pushed
                .stdout
                .starts_with("Pushed experiment shared to Git remote 'origin'.\n"),
            "{pushed}"
        );
        let again = run_tool(&ours, pusher, &["exp", "push", "origin", "shared"]);
        assert!(
            again
                .stdout
                .starts_with("Experiment shared is up to date on Git remote 'origin'.\n"),
            "{again}"
        );

        let theirs = TestRepo::new();
        std::fs::remove_dir_all(theirs.root()).expect("empty clone target");
        run(ours
            .command("git")
            .args(["clone", "-q"])
            .arg(&bare)
            .arg(theirs.root()))
        .success();
        let listed = run_tool(&theirs, puller, &["exp", "ls", "origin"]);
        assert!(listed.stdout.contains("\tshared\n"), "{listed}");
        let pulled = run_tool(&theirs, puller, &["exp", "pull", "origin", "shared"]);
        assert_eq!(pulled.code, 0, "{pulled}");
        assert_eq!(
            pulled.stdout, "Pulled experiment '['shared']' from Git remote 'origin'.\n",
            "{pusher} -> {puller}"
        );
        assert_eq!(
            git_out(&theirs, &["rev-parse", &exp_ref(&theirs, "shared")]),
            git_out(&ours, &["rev-parse", &exp_ref(&ours, "shared")])
        );
        // The experiment's model is in the puller's cache: applying it needs no remote.
        std::fs::remove_dir_all(&storage).expect("remote removed");
        succeed(&theirs, puller, &["exp", "apply", "shared"]);
        assert_eq!(theirs.read("model.bin"), ours.read("model.bin"));
    }
}

/// Uncommitted changes to tracked files are part of the experiment, as with dvc; an untracked
/// file is not.
#[test]
fn a_dirty_workspace_is_part_of_the_experiment() {
    let ours = baseline_repo();
    let theirs = baseline_repo();
    for repo in [&ours, &theirs] {
        repo.write("train.py", format!("{TRAIN}# tuned\n"));
        repo.write("notes.txt", "untracked\n");
    }
    let args = ["exp", "run", "-S", "seed=8", "-n", "dirty"];
    let a = dv(&ours, &args);
    let b = dvc(&theirs, &args);
    assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
    let reference = exp_ref(&ours, "dirty");
    assert_eq!(
        git_out(&ours, &["rev-parse", &format!("{reference}^{{tree}}")]),
        git_out(&theirs, &["rev-parse", &format!("{reference}^{{tree}}")])
    );
    assert!(!git_out(&ours, &["ls-tree", "-r", "--name-only", &reference]).contains("notes.txt"));
}

/// Ctrl-C while the stage runs (the signal reaches dv and the stage's command, as from a
/// terminal): the same exit code as dvc, no experiment ref, `HEAD` and the branch unchanged.
#[test]
fn an_interrupted_run_leaves_no_ref() {
    use std::os::unix::process::CommandExt;
    let mut codes = Vec::new();
    for tool_name in ["dv", "dvc"] {
        let repo = baseline_repo();
        repo.write("train.py", "import time\ntime.sleep(30)\n");
        let head = git_out(&repo, &["rev-parse", "HEAD"]);
        let mut command = if tool_name == "dv" {
            repo.dv_process()
        } else {
            repo.dvc_process()
        };
        let mut child = command
            .args(["exp", "run", "-n", "stopped"])
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(3000));
        run(repo
            .command("kill")
            .args(["-INT", "--", &format!("-{}", child.id())]))
        .success();
        let (status, stderr) = crate::support::wait_with_stderr(&mut child);
        codes.push((status.code(), tool_name));
        let refs = git_out(&repo, &["for-each-ref", "refs/exps/"]);
        assert!(!refs.contains("stopped"), "{tool_name}: {refs}\n{stderr}");
        assert_eq!(git_out(&repo, &["rev-parse", "HEAD"]), head);
    }
    assert_eq!(codes[0].0, codes[1].0, "{codes:?}");
}
