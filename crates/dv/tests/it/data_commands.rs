//! `dv checkout` targets, `commit`, `remove`, `move`, `gc`, `unprotect`, `destroy`,
//! `data status` and `check-ignore`: differential tests against the real dvc (the same steps in twin repositories
//! give the same exit codes, output, `.dvc`/`.gitignore` files and cache objects), interop both
//! ways, and bad input.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use dv_test::{Outcome, TestRepo, files_under, run};

/// Makes dvc's unordered output comparable: the files of the git-add hint, the lines of one
/// indented block of `data status` and the lists of its JSON are sorted (dvc prints them in
/// hash-set order, which changes from run to run).
fn normalized(out: Outcome) -> Outcome {
    let mut lines: Vec<String> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    for line in out.stdout.lines() {
        if line.starts_with("        ") {
            block.push(line.to_string());
            continue;
        }
        block.sort();
        lines.append(&mut block);
        if let Some(files) = line.strip_prefix("\tgit add ") {
            let mut files: Vec<&str> = files.split(' ').collect();
            files.sort();
            lines.push(format!("\tgit add {}", files.join(" ")));
        } else if line.starts_with('{') {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            sort_lists(&mut value);
            lines.push(value.to_string());
        } else {
            lines.push(line.to_string());
        }
    }
    block.sort();
    lines.append(&mut block);
    Outcome {
        stdout: lines.join("\n"),
        ..out
    }
}

fn sort_lists(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(sort_lists);
            items.sort_by_key(ToString::to_string);
        }
        serde_json::Value::Object(map) => map.values_mut().for_each(sort_lists),
        _ => {}
    }
}

/// Twin repositories: `ours` run by dv, `theirs` by dvc, prepared identically by `setup`
/// (which gets the tool to use for DVC commands of the setup).
struct Twins {
    ours: TestRepo,
    theirs: TestRepo,
}

impl Twins {
    fn new(setup: impl Fn(&TestRepo)) -> Twins {
        let twins = Twins {
            ours: TestRepo::new(),
            theirs: TestRepo::new(),
        };
        for repo in [&twins.ours, &twins.theirs] {
            run(repo.dvc().args(["init", "-q"])).success();
            setup(repo);
        }
        twins
    }

    fn both(&self, action: impl Fn(&TestRepo)) {
        action(&self.ours);
        action(&self.theirs);
    }

    /// Runs `args` with dv and dvc and asserts the same outcome and the same files.
    #[track_caller]
    fn step(&self, args: &[&str]) -> Outcome {
        let a = normalized(run(self.ours.dv().args(args)).redacted(&self.ours));
        let b = normalized(run(self.theirs.dvc().args(args)).redacted(&self.theirs));
        assert_eq!(a, b, "{args:?}\n--- dv:\n{a}\n--- dvc:\n{b}");
        assert_eq!(
            files_under(self.ours.root()),
            files_under(self.theirs.root()),
            "files differ after {args:?}"
        );
        a
    }
}

/// `a.txt` and `data/` (with a sub-directory) added and committed to git.
fn tracked(repo: &TestRepo) {
    repo.write("a.txt", "hello\n");
    repo.write("data/f1", "one\n");
    repo.write("data/sub/f2", "two\n");
    run(repo.dvc().args(["add", "-q", "a.txt", "data"])).success();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "tracked"]);
}

/// [`tracked`], plus a pipeline in `sub/` (stage `gen` writing `sub/out.txt`, run) and
/// `sub/inner/x` tracked by a `.dvc` file.
fn tracked_with_pipeline(repo: &TestRepo) {
    tracked(repo);
    repo.write(
        "sub/dvc.yaml",
        "stages:\n  gen:\n    cmd: echo generated > out.txt\n    outs:\n    - out.txt\n",
    );
    repo.write("sub/inner/x", "x\n");
    run(repo.dvc().args(["add", "-q", "sub/inner/x"])).success();
    run(repo.dvc().args(["repro", "-q", "sub/dvc.yaml"])).success();
}

fn remove_all(repo: &TestRepo, paths: &[&str]) {
    for path in paths {
        let full = repo.path(path);
        if full.is_dir() {
            std::fs::remove_dir_all(full).unwrap();
        } else if full.exists() {
            std::fs::remove_file(full).unwrap();
        }
    }
}

fn mode(repo: &TestRepo, rel: &str) -> (u64, u32) {
    let metadata = std::fs::symlink_metadata(repo.path(rel)).unwrap();
    (metadata.nlink(), metadata.permissions().mode() & 0o777)
}

#[test]
fn checkout_targets_and_recursive_match_dvc() {
    let twins = Twins::new(tracked_with_pipeline);
    let outputs = ["a.txt", "data", "sub/out.txt", "sub/inner/x"];
    twins.both(|repo| remove_all(repo, &outputs));
    // A directory with `-R`: the `.dvc` files and `dvc.yaml` stages under it.
    twins.step(&["checkout", "-R", "sub"]);
    twins.step(&["checkout", "--recursive", "data"]);
    twins.step(&["checkout", "-R", "a.txt"]);
    twins.step(&["checkout", "-R", "."]);
    twins.both(|repo| remove_all(repo, &outputs));
    twins.step(&["checkout", "-R"]);
    // Stage files and names.
    twins.both(|repo| remove_all(repo, &outputs));
    twins.step(&["checkout", "sub/dvc.yaml:gen"]);
    twins.step(&["checkout", "sub/dvc.yaml", "sub/inner/x.dvc"]);
    twins.step(&["checkout", "a.txt.dvc:ignored"]);
    // Targets that name nothing, in DVC's words and exit codes.
    for target in [
        "nope",
        "nope.dvc",
        "gen",
        "dvc.yaml:gen",
        "sub/dvc.yaml:nope",
        "sub/dvc.lock",
        "sub/nope/dvc.yaml",
    ] {
        twins.step(&["checkout", target]);
        twins.step(&["checkout", "-R", target]);
    }
    twins.step(&["status"]);
}

#[test]
fn checkout_of_a_path_inside_a_tracked_directory_matches_dvc() {
    let twins = Twins::new(tracked_with_pipeline);
    // The directory missing: only the named part comes back, the output is added.
    twins.both(|repo| remove_all(repo, &["data"]));
    twins.step(&["checkout", "data/sub"]);
    twins.step(&["checkout", "data/sub/f2"]);
    twins.step(&["checkout", "data/f1"]);
    // Changes outside the named part are left alone; inside, unsaved files need `-f`.
    twins.both(|repo| {
        repo.write("data/f1", "edited\n");
        repo.write("data/sub/extra", "extra\n");
        std::fs::remove_file(repo.path("data/sub/f2")).unwrap();
    });
    twins.step(&["checkout", "data/sub/f2"]);
    twins.step(&["checkout", "data/sub/nope"]);
    twins.step(&["checkout", "data/sub"]);
    twins.step(&["checkout", "-f", "data/sub", "data/sub/f2"]);
    twins.step(&["checkout", "--relink", "data/sub"]);
    twins.step(&["status"]);
    twins.step(&["checkout", "-f", "data/f1"]);
    twins.step(&["checkout", "sub/out.txt"]);
    twins.step(&["status"]);
}

#[test]
fn commit_matches_dvc() {
    let twins = Twins::new(tracked);
    twins.step(&["commit"]);
    twins.both(|repo| {
        repo.write("a.txt", "changed\n");
        repo.write("data/sub/f3", "three\n");
    });
    let refused = twins.step(&["commit"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("unable to commit changed stage"),
        "{refused}"
    );
    twins.step(&["commit", "a.txt"]);
    twins.step(&["commit", "nope"]);
    twins.step(&["commit", "-f", "a.txt"]);
    twins.step(&["commit", "data.dvc", "-f"]);
    twins.step(&["status"]);
    twins.both(|repo| std::fs::remove_file(repo.path("a.txt")).unwrap());
    twins.step(&["commit", "a.txt.dvc"]);
    twins.step(&["commit", "-f"]);
    // An output without a hash yet (hand-written) is committed in place.
    twins.both(|repo| {
        repo.write("a.txt", "back\n");
        repo.write("foo", "foo\n");
        repo.write("bar.dvc", "# keep me\nouts:\n- path: foo  # inline\n");
    });
    twins.step(&["commit", "bar.dvc"]);
    twins.step(&["commit", "-f", "bar.dvc"]);
    assert!(twins.ours.read("bar.dvc").starts_with("# keep me\n"));
    twins.step(&["status"]);
}

#[test]
fn granular_commit_of_a_path_inside_a_tracked_directory_matches_dvc() {
    let twins = Twins::new(|repo| {
        run(repo.dvc().args(["config", "cache.type", "hardlink"])).success();
        tracked(repo);
    });
    twins.step(&["unprotect", "data"]);
    twins.both(|repo| {
        repo.write("data/f1", "edited\n");
        repo.write("data/sub/f2", "edited two\n");
        repo.write("data/sub/f3", "three\n");
    });
    // The whole stage changed: refused without `-f`, whatever part is named.
    let refused = twins.step(&["commit", "data/sub/f2"]);
    assert_eq!(refused.code, 1, "{refused}");
    twins.step(&["commit", "data/nope"]);
    twins.step(&["commit", "nope/inside"]);
    // `-f`: the `.dvc` file records the whole directory, but only the files under the target
    // are stored and relinked (so dvc reports the directory as not in cache).
    twins.step(&["commit", "-f", "data/sub"]);
    let links =
        |repo: &TestRepo| ["data/f1", "data/sub/f2", "data/sub/f3"].map(|rel| mode(repo, rel));
    assert_eq!(links(&twins.ours), links(&twins.theirs));
    assert_eq!(mode(&twins.ours, "data/f1").0, 1);
    assert_eq!(mode(&twins.ours, "data/sub/f3").0, 2);
    let status = twins.step(&["status"]);
    assert!(status.stdout.contains("not in cache"), "{status}");
    // Unchanged now: committed without asking, a single file this time.
    twins.step(&["commit", "data/f1"]);
    assert_eq!(links(&twins.ours), links(&twins.theirs));
    twins.step(&["status"]);
    twins.step(&["commit", "--no-relink", "data/sub/f2"]);
    twins.step(&["commit", "-f"]);
    twins.step(&["status"]);
}

#[test]
fn commit_keeps_unchanged_legacy_outputs_and_upgrades_changed_ones() {
    // A DVC 2.x `.dvc` file: md5-dos2unix hash, object in the legacy layout.
    let legacy = |repo: &TestRepo| {
        repo.write("crlf.txt", "a\r\nb\r\n");
        repo.write(
            "crlf.txt.dvc",
            "outs:\n- md5: dd8c6a395b5dd36c56d23275028f526c\n  size: 6\n  path: crlf.txt\n",
        );
        repo.write(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c", "a\r\nb\r\n");
        repo.write(".gitignore", "/crlf.txt\n");
    };
    let twins = Twins::new(legacy);
    twins.step(&["commit", "-f"]);
    assert!(!twins.ours.read("crlf.txt.dvc").contains("hash"));
    twins.both(|repo| repo.write("crlf.txt", "a\r\nc\r\n"));
    twins.step(&["commit", "-f"]);
    assert!(
        twins
            .ours
            .read("crlf.txt.dvc")
            .ends_with("  path: crlf.txt\n  hash: md5\n")
    );
    twins.step(&["gc", "-w", "-f"]);
}

/// `imp.txt` and `impdir` imported with `import-url` from `../src/` (outside the root, the
/// same relative path in every test repository), and `a.txt` added, its `.dvc` file with a
/// stray stage checksum (as old DVC versions wrote).
fn imported(repo: &TestRepo) {
    let source = repo.temp_dir().join("src");
    std::fs::create_dir_all(source.join("dir")).unwrap();
    std::fs::write(source.join("s.txt"), "source\n").unwrap();
    std::fs::write(source.join("dir/f"), "f\n").unwrap();
    run(repo
        .dvc()
        .args(["import-url", "-q", "../src/s.txt", "imp.txt"]))
    .success();
    run(repo
        .dvc()
        .args(["import-url", "-q", "../src/dir", "impdir"]))
    .success();
    repo.write("a.txt", "a\n");
    run(repo.dvc().args(["add", "-q", "a.txt"])).success();
    let text = repo.read("a.txt.dvc");
    repo.write(
        "a.txt.dvc",
        format!("md5: 0123456789abcdef0123456789abcdef\n{text}"),
    );
}

#[test]
fn commit_of_imports_matches_dvc() {
    let twins = Twins::new(imported);
    // A stray stage checksum is a change.
    let refused = twins.step(&["commit", "a.txt"]);
    assert_eq!(refused.code, 1, "{refused}");
    twins.step(&["commit", "-f", "a.txt"]);
    assert!(!twins.ours.read("a.txt.dvc").contains("0123456789abcdef"));
    twins.step(&["commit"]);
    twins.step(&["commit", "-f"]);
    // The imported output edited.
    twins.both(|repo| repo.write("imp.txt", "edited\n"));
    let refused = twins.step(&["commit", "imp.txt"]);
    assert_eq!(refused.code, 1, "{refused}");
    twins.step(&["commit", "-f", "imp.txt"]);
    // The source changed: the dependency is a change, and is recorded anew with `-f`.
    twins.both(|repo| {
        std::fs::write(repo.temp_dir().join("src/s.txt"), "new source\n").unwrap();
        std::fs::write(repo.temp_dir().join("src/dir/g"), "g\n").unwrap();
    });
    let refused = twins.step(&["commit", "imp.txt.dvc"]);
    assert_eq!(refused.code, 1, "{refused}");
    twins.step(&["commit", "-f", "imp.txt.dvc"]);
    twins.step(&["commit", "-f", "impdir"]);
    twins.step(&["status"]);
    // A source gone: `-f` fails with dvc's message.
    twins.both(|repo| std::fs::remove_file(repo.temp_dir().join("src/s.txt")).unwrap());
    let failed = twins.step(&["commit", "-f", "imp.txt"]);
    assert_eq!(failed.code, 1, "{failed}");
}

#[test]
fn move_of_imports_matches_dvc() {
    let twins = Twins::new(|repo| {
        imported(repo);
        std::fs::create_dir(repo.path("sub")).unwrap();
    });
    // Renamed with its `.dvc` file: the relative source path is re-based.
    twins.step(&["move", "impdir", "sub/moved"]);
    assert!(
        twins
            .ours
            .read("sub/moved.dvc")
            .contains("path: ../../src/dir\n")
    );
    twins.step(&["move", "imp.txt", "sub/"]);
    // In place (the `.dvc` file is not named after the output): the checksum is recomputed.
    twins.step(&["move", "sub/imp.txt", "sub/renamed.txt"]);
    twins.step(&["move", "a.txt", "b.txt"]);
    twins.step(&["status"]);
    twins.step(&["commit"]);
    twins.step(&["data", "status", "--json"]);
}

#[test]
fn remove_and_move_match_dvc() {
    let twins = Twins::new(|repo| {
        tracked(repo);
        std::fs::create_dir(repo.path("sub")).unwrap();
        repo.write("b.bin", [0u8, 1, 2]);
        run(repo.dvc().args(["add", "-q", "b.bin"])).success();
    });
    twins.step(&["move", "a.txt", "b.txt"]);
    twins.step(&["mv", "data", "sub"]);
    twins.step(&["move", "b.txt", "sub/c.txt"]);
    twins.step(&["move", "nope", "x"]);
    twins.step(&["move", "sub/c.txt.dvc", "x"]);
    twins.step(&["move", "sub/c.txt", "nodir/x"]);
    twins.step(&["move", "b.bin", "sub/c.txt"]);
    twins.step(&["data", "status", "--json"]);
    twins.step(&["status"]);
    twins.step(&["remove", "sub/c.txt"]);
    twins.step(&["remove", "nope"]);
    twins.step(&["remove", "nope.dvc"]);
    twins.step(&["remove", "sub/c.txt.dvc"]);
    twins.step(&["rm", "--outs", "sub/data.dvc", "b.bin.dvc"]);
    twins.step(&["status"]);
    let usage = run(twins.ours.dv().arg("remove"));
    assert_eq!(usage.code, run(twins.theirs.dvc().arg("remove")).code);
}

#[test]
fn gc_matches_dvc() {
    let twins = Twins::new(|repo| {
        tracked(repo);
        repo.write("a.txt", "second\n");
        run(repo.dvc().args(["add", "-q", "a.txt"])).success();
        // An unused DVC 2.x object.
        repo.write(".dvc/cache/aa/0123456789abcdef0123456789abcd", "old");
    });
    twins.step(&["gc"]);
    let asked = twins.step(&["gc", "-w"]);
    assert_eq!(asked.code, 1);
    assert!(
        asked
            .stdout
            .contains("Are you sure you want to proceed? [y/n]:")
    );
    twins.step(&["gc", "-w", "-f"]);
    twins.step(&["gc", "-w", "-f"]);
    twins.step(&["status"]);
    twins.step(&["checkout"]);
}

#[test]
fn gc_answers_from_stdin_and_leaves_run_cache_and_temporary_files() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    tracked(&repo);
    repo.write(".dvc/cache/runs/ab/cd/entry", "run");
    repo.write(".dvc/cache/files/md5/5b/.writer.tmp", "partial");
    repo.write(
        ".dvc/cache/files/md5/00/11111111111111111111111111111",
        "unused",
    );
    let out = run(repo.dv().args(["gc", "-w"]).write_stdin("maybe\ny\n"));
    assert_eq!(
        out.stdout,
        "Are you sure you want to proceed? [y/n]: Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again.\n\
         Are you sure you want to proceed? [y/n]: Removed 1 objects from repo cache.\n\
         No unused 'legacy' cache to remove.\n",
        "{out}"
    );
    assert!(repo.exists(".dvc/cache/runs/ab/cd/entry"));
    assert!(repo.exists(".dvc/cache/files/md5/5b/.writer.tmp"));
    assert!(!repo.exists(".dvc/cache/files/md5/00/11111111111111111111111111111"));
    // Everything the workspace uses is still there.
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
}

#[test]
fn data_status_matches_dvc() {
    let twins = Twins::new(tracked);
    twins.step(&["data", "status"]);
    twins.step(&["data", "status", "--json"]);
    twins.step(&["data", "status", "--granular", "--unchanged"]);
    twins.both(|repo| {
        repo.write("data/f1", "modified\n");
        repo.write("data/sub/f3", "new\n");
        std::fs::remove_file(repo.path("data/sub/f2")).unwrap();
    });
    twins.step(&["data", "status"]);
    twins.step(&["data", "status", "--granular"]);
    twins.step(&["data", "status", "--granular", "--json", "--unchanged"]);
    twins.step(&["move", "a.txt", "b.txt"]);
    twins.step(&["data", "status"]);
    twins.step(&["data", "status", "--json"]);
    twins.both(|repo| {
        std::fs::remove_file(repo.path("b.txt")).unwrap();
        // Objects of the recorded data gone, `.dir` included.
        std::fs::remove_dir_all(repo.path(".dvc/cache/files")).unwrap();
    });
    twins.step(&["data", "status"]);
    twins.step(&["data", "status", "--json", "--unchanged"]);
}

#[test]
fn data_status_without_commits_and_without_git() {
    let twins = Twins::new(|_| {});
    twins.step(&["data", "status"]);
    twins.both(|repo| {
        repo.write("a.txt", "a\n");
        run(repo.dvc().args(["add", "-q", "a.txt"])).success();
    });
    twins.step(&["data", "status"]);
    twins.step(&["data", "status", "--json"]);

    let ours = TestRepo::without_git();
    let theirs = TestRepo::without_git();
    for repo in [&ours, &theirs] {
        run(repo.dvc().args(["init", "-q", "--no-scm"])).success();
        repo.write("a.txt", "a\n");
        run(repo.dvc().args(["add", "-q", "a.txt"])).success();
        std::fs::remove_file(repo.path("a.txt")).unwrap();
    }
    for args in [&["data", "status"][..], &["data", "status", "--json"]] {
        let a = run(ours.dv().args(args));
        let b = run(theirs.dvc().args(args));
        assert_eq!(a, b, "{args:?}");
    }
}

#[test]
fn check_ignore_matches_dvc() {
    let twins = Twins::new(|repo| {
        repo.write(
            ".dvcignore",
            "# comment\n*.log\nfoo.log\n!keep.log\nbuild/\n",
        );
        repo.write("sub/.dvcignore", "*.tmp\n/x\nign\n");
        repo.write("sub/ign/.dvcignore", "y\n");
        std::fs::create_dir_all(repo.path("build")).unwrap();
    });
    twins.step(&["check-ignore", "a.log", "foo.log", "keep.log", "a.txt"]);
    twins.step(&[
        "check-ignore",
        "-d",
        "a.log",
        "foo.log",
        "keep.log",
        "a.txt",
    ]);
    twins.step(&["check-ignore", "-d", "-n", "a.log", "a.txt"]);
    twins.step(&[
        "check-ignore",
        "-d",
        "-a",
        "build/x",
        "sub/a.tmp",
        "sub/x",
        "sub/y/x",
        ".git",
        ".dvc/config",
        "sub/ign/y",
    ]);
    twins.step(&[
        "check-ignore",
        "-d",
        "../x",
        "/tmp",
        "sub/../a.log",
        "./a.log",
        ".",
    ]);
    twins.step(&["check-ignore", "a.txt"]);
    twins.step(&["check-ignore"]);
    twins.step(&["check-ignore", "-n", "a.txt"]);
    twins.step(&["check-ignore", "-a", "a.txt"]);
    twins.step(&["check-ignore", "--stdin", "a.txt"]);
}

#[test]
fn unprotect_remove_and_destroy_with_hardlinks_match_dvc() {
    let twins = Twins::new(|repo| {
        run(repo.dvc().args(["config", "cache.type", "hardlink"])).success();
        tracked(repo);
        repo.write("run.sh", "#!/bin/sh\n");
        std::fs::set_permissions(repo.path("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        run(repo.dvc().args(["add", "-q", "run.sh"])).success();
    });
    let modes =
        |repo: &TestRepo| ["a.txt", "data/f1", "data/sub/f2", "run.sh"].map(|rel| mode(repo, rel));
    assert_eq!(modes(&twins.ours), modes(&twins.theirs));
    twins.step(&["unprotect", "a.txt", "data"]);
    assert_eq!(mode(&twins.ours, "a.txt").0, 1);
    assert_eq!(modes(&twins.ours), modes(&twins.theirs));
    // dvc adds a support footer to this unexpected error; the first line and code match.
    let ours = run(twins.ours.dv().args(["unprotect", "nope"]));
    let theirs = run(twins.theirs.dvc().args(["unprotect", "nope"]));
    assert_eq!(ours.code, theirs.code);
    assert_eq!(ours.stderr.lines().next(), theirs.stderr.lines().next());
    twins.step(&["commit"]);
    assert_eq!(mode(&twins.ours, "a.txt"), (2, 0o444), "relinked");
    assert_eq!(modes(&twins.ours), modes(&twins.theirs));
    twins.step(&["remove", "run.sh.dvc"]);
    assert_eq!(modes(&twins.ours), modes(&twins.theirs));
    twins.step(&["destroy"]);
    twins.step(&["destroy", "-f"]);
    assert_eq!(modes(&twins.ours), modes(&twins.theirs));
    assert!(!twins.ours.exists(".dvc"));
}

#[test]
fn destroy_with_pipelines_matches_dvc() {
    let twins = Twins::new(|repo| {
        run(repo.dvc().args(["config", "cache.type", "hardlink"])).success();
        tracked_with_pipeline(repo);
        // A second stage in the same file, never run, and a directory output.
        repo.write(
            "sub/dvc.yaml",
            "stages:\n  gen:\n    cmd: echo generated > out.txt\n    outs:\n    - out.txt\n  \
             tree:\n    cmd: mkdir -p t && echo t > t/f\n    outs:\n    - t\n  \
             never:\n    cmd: echo n > n\n    outs:\n    - n\n",
        );
        run(repo.dvc().args(["repro", "-q", "sub/dvc.yaml:tree"])).success();
        // A `dvc.yaml` without stages, and the root `.dvcignore`.
        repo.write("plots/dvc.yaml", "plots:\n- p.csv\n");
        repo.write(".dvcignore", "*.tmp\n");
    });
    let outputs = ["a.txt", "data/f1", "sub/out.txt", "sub/t/f", "sub/inner/x"];
    let modes = |repo: &TestRepo| outputs.map(|rel| mode(repo, rel));
    assert_eq!(modes(&twins.ours), modes(&twins.theirs));
    assert_eq!(mode(&twins.ours, "sub/t/f").0, 2, "hardlinked");
    twins.step(&["destroy", "-f"]);
    assert_eq!(modes(&twins.ours), modes(&twins.theirs));
    assert_eq!(mode(&twins.ours, "sub/t/f"), (1, 0o644), "unprotected");
    assert!(!twins.ours.exists("sub/dvc.yaml"));
    assert!(!twins.ours.exists("sub/dvc.lock"));
    assert!(twins.ours.exists("plots/dvc.yaml"));
    assert!(twins.ours.exists("sub/.gitignore"));

    // A broken `dvc.yaml`: nothing is destroyed.
    let twins = Twins::new(|repo| {
        tracked(repo);
        repo.write("bad/dvc.yaml", "stages:\n  s:\n    outs: [x]\n");
    });
    // (dvc renders the validation error without `ERROR: failed to destroy DVC`.)
    let before = files_under(twins.ours.root());
    let ours = run(twins.ours.dv().args(["destroy", "-f"]));
    let theirs = run(twins.theirs.dvc().args(["destroy", "-f"]));
    assert_eq!((ours.code, theirs.code), (1, 1), "{ours}\n{theirs}");
    assert!(
        ours.stderr
            .starts_with("ERROR: failed to destroy DVC - './bad/dvc.yaml' validation failed."),
        "{ours}"
    );
    assert_eq!(files_under(twins.ours.root()), before);
    assert_eq!(files_under(twins.theirs.root()), before);
}

#[test]
fn dvc_reads_what_dv_writes_and_the_reverse() {
    // dv writes, dvc reads.
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    tracked(&repo);
    repo.write("a.txt", "changed\n");
    repo.write("data/new", "new\n");
    run(repo.dv().args(["commit", "-f"])).success();
    run(repo.dv().args(["move", "data", "moved"])).success();
    run(repo.dv().args(["gc", "-w", "-f"])).success();
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
    std::fs::remove_dir_all(repo.path("moved")).unwrap();
    std::fs::remove_file(repo.path("a.txt")).unwrap();
    let checkout = run(repo.dvc().args(["checkout"]));
    checkout.success();
    assert_eq!(repo.read("moved/new"), "new\n");
    assert_eq!(repo.read("a.txt"), "changed\n");
    run(repo.dv().args(["remove", "moved.dvc"])).success();
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );

    // dvc writes, dv reads.
    let repo = TestRepo::new();
    run(repo.dvc().args(["init", "-q"])).success();
    tracked(&repo);
    repo.write("data/f1", "edited\n");
    run(repo.dvc().args(["commit", "-f", "data"])).success();
    run(repo.dvc().args(["move", "a.txt", "b.txt"])).success();
    let out = run(repo.dv().args(["data", "status", "--json"]));
    assert_eq!(
        out.stdout,
        "{\"committed\": {\"modified\": [\"data/\"], \"renamed\": [{\"old\": \"a.txt\", \"new\": \"b.txt\"}]}}\n",
        "{out}"
    );
    run(repo.dv().arg("commit")).success();
    let out = run(repo.dv().args(["gc", "-w", "-f"]));
    assert_eq!(
        out.stdout, "Removed 2 objects from repo cache.\nNo unused 'legacy' cache to remove.\n",
        "{out}"
    );
    assert_eq!(
        run(repo.dvc().arg("status")).stdout,
        "Data and pipelines are up to date.\n"
    );
}

#[test]
fn bad_input_is_refused_without_touching_anything() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    tracked(&repo);
    let before = files_under(repo.root());

    // A `.dvc` file outside the repository is never removed (dvc would delete it).
    let outside = repo.temp_dir().join("outside.dvc");
    std::fs::write(&outside, "outs:\n- path: x\n").unwrap();
    let out = run(repo.dv().args(["remove", "../outside.dvc"]));
    out.expect_code(1);
    assert!(out.stderr.contains("outside of the repository"), "{out}");
    assert!(outside.exists());

    for args in [
        &["commit", "/tmp"][..],
        &["commit", "../"],
        &["move", "a.txt", "/tmp/a.txt"],
        &["move", "a.txt", "../a.txt"],
        &["remove", "nope.dvc"],
    ] {
        let ours = run(repo.dv().args(args));
        let theirs = run(repo.dvc().args(args));
        assert_eq!(ours.code, theirs.code, "{args:?}\n{ours}\n{theirs}");
        assert_eq!(ours.redacted(&repo), theirs.redacted(&repo), "{args:?}");
    }
    assert_eq!(files_under(repo.root()), before);

    // A malformed `.dvc` file: the same exit codes as dvc, nothing written.
    repo.write("bad.dvc", "outs: [\n");
    let before = files_under(repo.root());
    for args in [
        &["commit"][..],
        &["commit", "bad.dvc"],
        &["remove", "bad.dvc"],
        &["gc", "-w", "-f"],
        &["move", "a.txt", "b.txt"],
    ] {
        let ours = run(repo.dv().args(args));
        let theirs = run(repo.dvc().args(args));
        assert_eq!(ours.code, theirs.code, "{args:?}\n{ours}\n{theirs}");
        assert!(ours.stderr.contains("bad.dvc"), "{args:?}\n{ours}");
        assert_eq!(files_under(repo.root()), before, "{args:?}");
    }
}
