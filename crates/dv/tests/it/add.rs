//! `dv add`, `dv status`, `dv checkout`: byte-identical files and cache objects against the
//! real dvc, interop both ways, legacy 2.x outputs, link types and bad input.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use dv_test::{Outcome, TestRepo, files_under, run};

/// A corpus of awkward trees: nested dirs, empty files and dirs, exec bits, unicode and glob
/// characters in names, names that sort differently as strings and as paths, CRLF text.
fn write_corpus(repo: &TestRepo) {
    repo.write("data/f1.txt", "one\n");
    repo.write("data/sub/f2.txt", "two\r\n");
    repo.write("data/empty", "");
    repo.write("data/a-b/x", "dash\n");
    repo.write("data/a/b", "slash\n");
    repo.write("data/B", "upper\n");
    repo.write("data/.hidden", "h\n");
    repo.write("data/é.txt", "accent\n");
    repo.write("data/日本/😀", "emoji\n");
    std::fs::create_dir_all(repo.path("data/emptydir")).unwrap();
    repo.write("a.txt", "hello\n");
    repo.write("my file#1 [x].txt", "glob\n");
    repo.write("run.sh", "#!/bin/sh\necho hi\n");
    std::fs::set_permissions(repo.path("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.write("deep/er/leaf.bin", [0u8, 1, 2, 3, 255]);
}

const TARGETS: &[&str] = &[
    "data",
    "a.txt",
    "my file#1 [x].txt",
    "run.sh",
    "deep/er/leaf.bin",
];

/// The git-add hint lists files in an unspecified order in dvc; compare it as a set.
fn normalized(out: Outcome) -> Outcome {
    let stdout = out
        .stdout
        .lines()
        .map(|line| match line.strip_prefix("\tgit add ") {
            Some(files) => {
                let mut files: Vec<&str> = files.split(' ').collect();
                files.sort();
                format!("\tgit add {}", files.join(" "))
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    // The order of targets in "Checkout failed" follows dvc's directory walk; compare as a set.
    let stderr = match out.stderr.split_once("targets:\n") {
        Some((head, rest)) => match rest.split_once("Is your cache") {
            Some((list, tail)) => {
                let mut lines: Vec<&str> = list.lines().collect();
                lines.sort();
                format!("{head}targets:\n{}\nIs your cache{tail}", lines.join("\n"))
            }
            None => out.stderr.clone(),
        },
        None => out.stderr.clone(),
    };
    Outcome {
        stdout,
        stderr,
        ..out
    }
}

#[test]
fn add_writes_what_dvc_writes() {
    let ours = TestRepo::new();
    let theirs = TestRepo::new();
    for (repo, is_dv) in [(&ours, true), (&theirs, false)] {
        write_corpus(repo);
        let mut init = if is_dv { repo.dv() } else { repo.dvc() };
        run(init.args(["init", "-q"])).success();
    }
    let a = normalized(run(ours.dv().arg("add").args(TARGETS)));
    let b = normalized(run(theirs.dvc().arg("add").args(TARGETS)));
    assert_eq!(a, b);
    // .dvc files, .gitignore files, cache objects (names and bytes): identical.
    assert_eq!(files_under(ours.root()), files_under(theirs.root()));
    // Cache objects are read-only.
    let object = ours.path(".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184");
    assert_eq!(
        std::fs::metadata(object).unwrap().permissions().mode() & 0o777,
        0o444
    );
    assert_eq!(
        ours.read("run.sh.dvc"),
        "outs:\n- md5: 46bbbe8aa98cc0714426e948474eaaf4\n  size: 18\n  isexec: true\n  hash: md5\n  path: run.sh\n"
    );
}

#[test]
fn status_and_checkout_match_dvc_step_by_step() {
    let ours = TestRepo::new();
    let theirs = TestRepo::new();
    for (repo, is_dv) in [(&ours, true), (&theirs, false)] {
        write_corpus(repo);
        let mut init = if is_dv { repo.dv() } else { repo.dvc() };
        run(init.args(["init", "-q"])).success();
    }
    let steps: &[&[&str]] = &[
        &["status"],
        &["add", "a.txt", "data"],
        &["status"],
        &["add", "a.txt"],
        &["!", "modify"],
        &["status"],
        &["status", "--json"],
        &["status", "-q"],
        &["checkout"],
        &["checkout", "-f"],
        &["status"],
        &["!", "delete"],
        &["status"],
        &["status", "a.txt.dvc"],
        &["checkout", "a.txt"],
        &["checkout"],
        &["checkout"],
        &["!", "drop-cache"],
        &["status"],
        &["checkout"],
        &["!", "delete"],
        &["checkout"],
        &["status", "nonexistent"],
    ];
    for step in steps {
        if step[0] == "!" {
            for repo in [&ours, &theirs] {
                match step[1] {
                    "modify" => {
                        repo.write("a.txt", "changed\n");
                        repo.write("data/new", "new\n");
                        std::fs::remove_file(repo.path("data/f1.txt")).unwrap();
                    }
                    "delete" => {
                        let _ = std::fs::remove_dir_all(repo.path("data"));
                        let _ = std::fs::remove_file(repo.path("a.txt"));
                    }
                    "drop-cache" => std::fs::remove_dir_all(repo.path(".dvc/cache")).unwrap(),
                    other => panic!("unknown step {other}"),
                }
            }
            continue;
        }
        let a = normalized(run(ours.dv().args(*step)).redacted(&ours));
        let b = normalized(run(theirs.dvc().args(*step)).redacted(&theirs));
        assert_eq!(a, b, "{step:?}\n--- dv:\n{a}\n--- dvc:\n{b}");
        assert_eq!(
            files_under(ours.root()),
            files_under(theirs.root()),
            "after {step:?}"
        );
    }
}

#[test]
fn dvc_reads_what_dv_adds_and_the_reverse() {
    // dv writes, dvc reads.
    let repo = TestRepo::new();
    write_corpus(&repo);
    run(repo.dv().args(["init", "-q"])).success();
    run(repo.dv().arg("add").args(TARGETS)).success();
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
    let before = files_under(repo.root());
    for target in TARGETS {
        let path = repo.path(target);
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        } else {
            std::fs::remove_file(path).unwrap();
        }
    }
    run(repo.dvc().arg("checkout")).success();
    assert_eq!(files_under(repo.root()), before);

    // dvc writes, dv reads.
    let repo = TestRepo::new();
    write_corpus(&repo);
    run(repo.dvc().args(["init", "-q"])).success();
    run(repo.dvc().arg("add").args(TARGETS)).success();
    let status = run(repo.dv().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
    let before = files_under(repo.root());
    std::fs::remove_dir_all(repo.path("data")).unwrap();
    std::fs::remove_file(repo.path("run.sh")).unwrap();
    let out = run(repo.dv().arg("checkout"));
    out.success();
    assert_eq!(files_under(repo.root()), before);
    let mode = std::fs::metadata(repo.path("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o100, 0o100, "isexec restored");
}

#[test]
fn hardlink_and_symlink_caches() {
    for kind in ["hardlink", "symlink"] {
        let repo = TestRepo::new();
        write_corpus(&repo);
        run(repo.dv().args(["init", "-q"])).success();
        run(repo.dv().args(["config", "cache.type", kind])).success();
        run(repo.dv().args(["add", "data", "a.txt"])).success();
        let meta = std::fs::symlink_metadata(repo.path("a.txt")).unwrap();
        match kind {
            "hardlink" => {
                use std::os::unix::fs::MetadataExt;
                assert_eq!(meta.nlink(), 2);
                assert_eq!(meta.permissions().mode() & 0o777, 0o444);
            }
            _ => assert!(meta.file_type().is_symlink()),
        }
        assert_eq!(repo.read("a.txt"), "hello\n");
        assert_eq!(
            run(repo.dvc().arg("status")).stdout,
            "Data and pipelines are up to date.\n"
        );
        std::fs::remove_dir_all(repo.path("data")).unwrap();
        run(repo.dv().arg("checkout")).success();
        assert_eq!(repo.read("data/sub/f2.txt"), "two\r\n");
        run(repo.dv().args(["checkout", "--relink"])).success();
    }
}

#[test]
fn legacy_outputs_stay_legacy_until_changed() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dv-schema/tests/fixtures/legacy");
    let handwritten =
        std::fs::read_to_string(fixtures.join("crlf.txt.dvc.2x-handwritten")).unwrap();
    let after_modified =
        std::fs::read_to_string(fixtures.join("crlf.txt.dvc.after-modified-readd")).unwrap();
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("crlf.txt", "a\r\nb\r\n");
    repo.write("crlf.txt.dvc", &handwritten);
    // The 2.x object lives at the cache root, keyed by the md5-dos2unix hash.
    repo.write(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c", "a\r\nb\r\n");
    let status = run(repo.dv().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
    run(repo.dv().args(["add", "crlf.txt"])).success();
    assert_eq!(repo.read("crlf.txt.dvc"), handwritten);
    std::fs::remove_file(repo.path("crlf.txt")).unwrap();
    run(repo.dv().arg("checkout")).success();
    assert_eq!(repo.read("crlf.txt"), "a\r\nb\r\n");
    // Modified: upgraded to DVC 3 with `hash: md5` appended after `path`.
    repo.write("crlf.txt", "a\r\nb\r\nc\r\n");
    run(repo.dv().args(["add", "crlf.txt"])).success();
    let written = repo.read("crlf.txt.dvc");
    assert!(
        written.ends_with("  path: crlf.txt\n  hash: md5\n"),
        "{written}"
    );
    assert_eq!(written.lines().count(), after_modified.lines().count());
    assert_eq!(
        run(repo.dvc().arg("status")).stdout,
        "Data and pipelines are up to date.\n"
    );
}

#[test]
fn readd_keeps_comments_and_extra_fields() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("a.txt", "one\n");
    run(repo.dv().args(["add", "a.txt"])).success();
    let text = repo.read("a.txt.dvc");
    let annotated = format!(
        "# keep me\n{}  desc: the data # inline\n  remote: store\n",
        text
    );
    repo.write("a.txt.dvc", &annotated);
    repo.write("a.txt", "two\n");
    run(repo.dv().args(["add", "a.txt"])).success();
    let updated = repo.read("a.txt.dvc");
    assert!(updated.starts_with("# keep me\n"), "{updated}");
    assert!(updated.contains("desc: the data # inline"), "{updated}");
    assert!(
        updated.contains("md5: c193497a1a06b2c72230e6146ff47080"),
        "{updated}"
    );
}

#[test]
fn unsaved_workspace_changes_are_never_lost() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("data/f", "v1\n");
    run(repo.dv().args(["add", "data"])).success();
    repo.write("data/f", "precious\n");
    repo.write("data/extra", "also precious\n");
    let out = run(repo.dv().arg("checkout")).redacted(&repo);
    insta::assert_snapshot!(out, @r"
    exit: 255
    ----- stdout -----
    ----- stderr -----
    ERROR: Can't remove the following unsaved files without confirmation. Use `--force` to force.
    [ROOT]/data/extra
    [ROOT]/data/f
    ");
    assert_eq!(repo.read("data/f"), "precious\n");
    assert_eq!(repo.read("data/extra"), "also precious\n");
    run(repo.dv().args(["checkout", "-f"])).success();
    assert_eq!(repo.read("data/f"), "v1\n");
    assert!(!repo.exists("data/extra"));
}

#[test]
fn bad_targets() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("tracked.txt", "t\n");
    repo.git(&["add", "tracked.txt"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["add", "missing"],
            "ERROR: output 'missing' does not exist",
        ),
        (
            &["add", "../outside"],
            "ERROR: Cached output(s) outside of DVC project",
        ),
        (&["add", ".dvc/config"], "ERROR: Path '"),
        (
            &["add", "tracked.txt"],
            "ERROR:  output 'tracked.txt' is already tracked by SCM (e.g. Git).",
        ),
        (
            &["status", "nope"],
            "ERROR: 'nope' does not exist as an output or a stage name",
        ),
    ];
    for (args, message) in cases {
        let out = run(repo.dv().args(*args));
        assert_eq!(out.code, 1, "{args:?} {out}");
        assert!(out.stderr.starts_with(message), "{args:?} {out}");
    }
    assert!(!repo.exists(".dvc/cache"));
}

#[test]
fn malformed_dvc_file_names_file_and_line() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("a.txt.dvc", "outs:\n- md5: [unclosed\n  path: a.txt\n");
    let out = run(repo.dv().arg("status"));
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.starts_with("ERROR: 'a.txt.dvc' is invalid: "),
        "{out}"
    );
    assert!(out.stderr.contains("line 2"), "{out}");
    repo.write(
        "a.txt.dvc",
        "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  bogus: 1\n  path: a.txt\n",
    );
    let out = run(repo.dv().arg("status"));
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("extra keys not allowed, in outs -> 0 -> bogus"),
        "{out}"
    );
}

#[test]
fn add_from_a_subdirectory_and_nested_outputs() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("sub/dir/f.txt", "f\n");
    let out = run(repo.dv().args(["--cd", "sub", "add", "dir/f.txt"]));
    out.success();
    assert!(
        out.stdout.contains("git add dir/.gitignore dir/f.txt.dvc"),
        "{out}"
    );
    assert_eq!(repo.read("sub/dir/.gitignore"), "/f.txt\n");
    assert_eq!(
        repo.read("sub/dir/f.txt.dvc"),
        "outs:\n- md5: 9a8ad92c50cae39aa2c5604fd0ab6d8c\n  size: 2\n  hash: md5\n  path: f.txt\n"
    );
    let status = run(repo.dvc().arg("status"));
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );
}

#[test]
fn autostage_stages_the_files() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    run(repo.dv().args(["config", "core.autostage", "true"])).success();
    repo.write("a.txt", "a\n");
    let out = run(repo.dv().args(["add", "a.txt"]));
    assert_eq!(out.stdout, "", "{out}");
    let staged = repo.git(&["diff", "--cached", "--name-only"]);
    assert!(
        staged.contains("a.txt.dvc") && staged.contains(".gitignore"),
        "{staged}"
    );
}

/// `add d/x` inside a tracked directory `d` updates only that entry of `d`'s manifest (with
/// `size` as dvc keeps it) instead of creating an overlapping `d/x.dvc`.
#[test]
fn adding_a_path_inside_a_tracked_directory_updates_it() {
    let ours = TestRepo::new();
    let theirs = TestRepo::new();
    for (repo, is_dv) in [(&ours, true), (&theirs, false)] {
        repo.write("d/a", "1\n");
        repo.write("d/s/b", "2\n");
        let tool = |repo: &TestRepo| if is_dv { repo.dv() } else { repo.dvc() };
        run(tool(repo).args(["init", "-q"])).success();
        run(tool(repo).args(["add", "d"])).success();
        repo.write("d/a", "changed\n");
        repo.write("d/new", "not added\n");
        repo.write("d/t/x", "t\n");
        run(tool(repo).args(["add", "d/a"])).success();
        run(tool(repo).args(["add", "d/t"])).success();
    }
    assert_eq!(files_under(ours.root()), files_under(theirs.root()));
    assert!(!ours.exists("d/a.dvc"));
    let status = run(ours.dvc().arg("status"));
    assert!(status.stdout.contains("modified:           d"), "{status}");
}

/// Deleting one object from the cache is noticed even though complete trees are remembered.
#[test]
fn a_missing_cache_object_is_noticed() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("d/a", "1\n");
    repo.write("d/b", "2\n");
    run(repo.dv().args(["add", "d"])).success();
    assert_eq!(
        run(repo.dv().arg("status")).stdout,
        "Data and pipelines are up to date.\n"
    );
    let object = repo.path(".dvc/cache/files/md5/b0/26324c6904b2a9cb4b88d6d61c81d1");
    std::fs::remove_file(object).unwrap();
    let out = run(repo.dv().arg("status"));
    assert_eq!(
        out.stdout, "d.dvc:\n\tchanged outs:\n\t\tnot in cache:       d\n",
        "{out}"
    );
    assert_eq!(out.stdout, run(repo.dvc().arg("status")).stdout);
}

/// A cache object whose content no longer matches its name (and that is not read-only, so it
/// is not trusted) is never checked out as if it were good.
#[test]
fn a_corrupted_cache_object_is_not_checked_out() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("a.txt", "hello\n");
    run(repo.dv().args(["add", "a.txt"])).success();
    let object = repo.path(".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184");
    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&object, "tampered\n").unwrap();
    std::fs::remove_file(repo.path("a.txt")).unwrap();
    let out = run(repo.dv().arg("checkout"));
    assert_eq!(out.code, 255, "{out}");
    assert!(
        out.stderr
            .contains("Checkout failed for following targets:\na.txt"),
        "{out}"
    );
    assert!(!repo.exists("a.txt"));
}

/// Mode of every directory and file under `dir` (relative path → octal mode), sorted.
fn modes(dir: &Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let mode = std::fs::symlink_metadata(&path)
                .unwrap()
                .permissions()
                .mode()
                & 0o7777;
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                stack.push(path.clone());
            }
            if !name.ends_with(".tmp") {
                out.push((name, mode));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_group_shared_cache_gets_dvc_modes() {
    let (ours, theirs) = (TestRepo::new(), TestRepo::new());
    for (repo, tool) in [(&ours, "dv"), (&theirs, "dvc")] {
        write_corpus(repo);
        let invoke = |args: &[&str]| match tool {
            "dv" => run(repo.dv().args(args)),
            _ => run(repo.dvc().args(args)),
        };
        invoke(&["init", "-q"]).success();
        invoke(&["config", "cache.shared", "group"]).success();
        invoke(&["add", "-q", "data", "a.txt"]).success();
    }
    let ours_modes = modes(&ours.path(".dvc/cache"));
    assert_eq!(ours_modes, modes(&theirs.path(".dvc/cache")));
    assert!(
        ours_modes.iter().any(|(_, mode)| *mode == 0o2775),
        "{ours_modes:?}"
    );
}
