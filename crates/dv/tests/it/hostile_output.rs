//! Repositories written by an attacker, against what dv writes next to outputs and prints:
//! a `.gitignore` that is a symbolic link (or lies behind one) is never read or written, an
//! output name with a line break never adds lines to a `.gitignore`, control characters from
//! `dvc.yaml` and `.dvc` files are shown escaped, and a full disk or read-only filesystem is
//! one clear error line. Each attack is committed to a git repository and run in a clone.

use crate::support::commit_all;
use dv_test::{Outcome, TestRepo, run};

const BASHRC: &str = "# the user's shell startup file\nexport PATH=/usr/bin\n";

/// A clone of a repository made by `build` (after `dvc init`), committed as it is, with a
/// fake `~/.bashrc` in the clone's temporary directory (outside the clone).
fn hostile_clone(build: impl FnOnce(&TestRepo)) -> TestRepo {
    let origin = TestRepo::new();
    run(origin.dvc().args(["init", "-q"])).success();
    build(&origin);
    commit_all(&origin, "hostile");
    let clone = origin.git_clone();
    std::fs::write(clone.temp_dir().join("bashrc"), BASHRC).unwrap();
    clone
}

/// The fake `~/.bashrc` of a [`hostile_clone`]: a `.gitignore` link two levels down reaches
/// it as `../../bashrc`.
fn bashrc(clone: &TestRepo) -> String {
    std::fs::read_to_string(clone.temp_dir().join("bashrc")).unwrap()
}

fn symlink(target: &str, link: &std::path::Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A failure with one `ERROR:` line mentioning `needle`.
#[track_caller]
fn refused(outcome: &Outcome, code: i32, needle: &str) {
    outcome.expect_code(code);
    let errors: Vec<&str> = outcome
        .stderr
        .lines()
        .filter(|line| line.starts_with("ERROR: "))
        .collect();
    assert_eq!(errors.len(), 1, "{outcome}");
    assert!(errors[0].contains(needle), "{outcome}");
}

/// No control character but the tab and line break reaches the terminal.
#[track_caller]
fn no_raw_controls(outcome: &Outcome) {
    for text in [&outcome.stdout, &outcome.stderr] {
        let hidden: Vec<char> = text
            .chars()
            .filter(|&c| c != '\n' && c != '\t' && (c.is_control()))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?} in\n{outcome:?}");
    }
}

#[test]
fn symlinked_gitignore_is_never_written_through() {
    let clone = hostile_clone(|origin| {
        std::fs::create_dir(origin.path("x")).unwrap();
        symlink("../../bashrc", &origin.path("x/.gitignore"));
        origin.write(
            "dvc.yaml",
            "stages:\n  s:\n    cmd: echo hi > x/out\n    outs:\n      - x/out\n",
        );
    });
    clone.write("x/data", "data\n");
    let ours = run(clone.dv().args(["add", "x/data"]));
    refused(&ours, 1, "x/.gitignore': it is a symbolic link");
    assert!(
        !clone.exists("x/data.dvc"),
        "nothing written before refusing"
    );
    assert_eq!(bashrc(&clone), BASHRC);
    // dvc refuses it too, with the same exit code.
    let theirs = run(clone.dvc().args(["add", "x/data"]));
    assert_eq!(theirs.code, 1, "{theirs}");
    assert_eq!(bashrc(&clone), BASHRC);

    let repro = run(clone.dv().args(["repro"]));
    refused(&repro, 1, "x/.gitignore': it is a symbolic link");
    assert_eq!(bashrc(&clone), BASHRC);
    assert!(
        std::fs::symlink_metadata(clone.path("x/.gitignore"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn gitignore_behind_a_symlinked_directory_is_not_written() {
    let clone = hostile_clone(|origin| {
        symlink("../elsewhere", &origin.path("link"));
    });
    let elsewhere = clone.temp_dir().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("sub")).unwrap();
    std::fs::write(elsewhere.join("sub/d"), "d\n").unwrap();
    let ours = run(clone.dv().args(["add", "link/sub/d"]));
    assert_eq!(ours.code, 1, "{ours}");
    assert!(ours.stderr.starts_with("ERROR: "), "{ours}");
    let mut left: Vec<_> = dv_test::files_under(&elsewhere)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    left.sort();
    assert_eq!(left, ["sub/d"]);
}

#[test]
fn output_names_with_line_breaks_add_no_gitignore_lines() {
    let evil = "x\nsh bashrc-payload\r";
    let clone = hostile_clone(|origin| {
        origin.write(".gitignore", "/kept\n");
        // JSON strings are YAML double-quoted strings.
        let quoted = serde_json::to_string(evil).unwrap();
        // One line of shell that writes the output (`printf` makes the line breaks).
        let cmd =
            serde_json::to_string(r#"printf hi > "$(printf 'x\nsh bashrc-payload\r')""#).unwrap();
        origin.write(
            "dvc.yaml",
            format!("stages:\n  s:\n    cmd: {cmd}\n    outs:\n      - {quoted}\n"),
        );
    });
    let repro = run(clone.dv().args(["repro"]));
    assert_ne!(repro.code, 0, "{repro}");
    assert!(repro.stderr.contains("ERROR: "), "{repro}");
    assert!(repro.stderr.contains("x\\nsh bashrc-payload\\r"), "{repro}");
    assert_eq!(clone.read(".gitignore"), "/kept\n");

    clone.write(evil, "data\n");
    let add = run(clone.dv().args(["add", evil]));
    refused(&add, 1, "contains a line break");
    no_raw_controls(&add);
    assert_eq!(clone.read(".gitignore"), "/kept\n");
    assert!(!clone.exists(&format!("{evil}.dvc")));
}

const SPOOFED_YAML: &str = "stages:\n  \"st\\e[31mred\\rx\\ay\":\n    cmd: \"echo safe\\r\\e[2Kecho evil \\x85 \\x9b\"\n    outs:\n      - \"o\\e[1mut\"\n";

#[test]
fn control_characters_from_dvc_yaml_are_shown_escaped() {
    let clone = hostile_clone(|origin| origin.write("dvc.yaml", SPOOFED_YAML));
    let dry = run(clone.dv().args(["repro", "--dry"]));
    dry.success();
    no_raw_controls(&dry);
    assert!(
        dry.stdout
            .contains("Running stage 'st\\x1b[31mred\\rx\\x07y':\n> echo safe\\r\\x1b[2Kecho evil \\u0085 \\u009b\n"),
        "{dry}"
    );
    for args in [
        &["status"][..],
        &["stage", "list"],
        &["dag"],
        &["data", "status"],
        &["repro", "-s", "nope"],
    ] {
        let outcome = run(clone.dv().args(args));
        no_raw_controls(&outcome);
    }
    let status = run(clone.dv().args(["status"]));
    assert!(
        status.stdout.starts_with("st\\x1b[31mred\\rx\\x07y:\n"),
        "{status}"
    );
    assert!(status.stdout.contains("o\\x1b[1mut"), "{status}");
    let list = run(clone.dv().args(["stage", "list"]));
    assert_eq!(
        list.stdout,
        "st\\x1b[31mred\\rx\\x07y  Outputs o\\x1b[1mut\n"
    );
    // The JSON keeps the real names.
    let json = run(clone.dv().args(["status", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(value.get("st\x1b[31mred\rx\x07y").is_some(), "{json}");
}

#[test]
fn data_status_shows_control_characters_escaped_and_refuses_line_breaks() {
    let clone = hostile_clone(|origin| {
        origin.write("c\x1bd", "1\n");
        run(origin.dvc().args(["add", "-q", "c\x1bd"])).success();
    });
    clone.write("c\x1bd", "2\n");
    let text = run(clone.dv().args(["data", "status"]));
    text.success();
    no_raw_controls(&text);
    assert!(
        text.stdout.contains("        modified: c\\x1bd\n"),
        "{text}"
    );
    let json = run(clone.dv().args(["data", "status", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["uncommitted"]["modified"][0], "c\x1bd");
    let status = run(clone.dv().args(["status"]));
    no_raw_controls(&status);

    // An output name with a line break (which dvc accepts) is refused wherever it is loaded,
    // named on one line.
    let md5 = clone
        .read("c\x1bd.dvc")
        .lines()
        .find_map(|line| line.strip_prefix("- md5: ").map(str::to_owned))
        .unwrap();
    clone.write(
        "ab.dvc",
        format!("outs:\n- md5: {md5}\n  size: 2\n  hash: md5\n  path: \"a\\nb\"\n"),
    );
    for args in [&["data", "status"][..], &["status"], &["checkout"]] {
        let out = run(clone.dv().args(args));
        assert_ne!(out.code, 0, "{out}");
        no_raw_controls(&out);
        assert!(
            out.stderr.contains("output 'a\\nb' contains a line break"),
            "{out}"
        );
    }
}

/// `dv args` inside a private mount namespace set up by `setup` (shell commands), when this
/// machine allows one (root); `None` otherwise.
fn in_mount_namespace(repo: &TestRepo, setup: &str, args: &[&str]) -> Option<Outcome> {
    let probe = run(repo.command("unshare").args(["--mount", "true"]));
    if probe.code != 0 {
        eprintln!(
            "skipped: no private mount namespace here ({})",
            probe.stderr
        );
        return None;
    }
    let dv = std::env::var("DV_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_dv").to_owned());
    let script = format!("{setup} && exec \"$0\" \"$@\"");
    Some(run(repo
        .command("unshare")
        .args(["--mount", "sh", "-c", &script, &dv])
        .args(args)))
}

#[test]
fn full_disk_and_read_only_filesystem_are_one_clear_line() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write("big", vec![7u8; 2 << 20]);
    std::fs::create_dir_all(repo.path(".dvc/cache")).unwrap();
    let cache = repo.path(".dvc/cache");
    let full = format!("mount -t tmpfs -o size=1m tmpfs '{}'", cache.display());
    let Some(outcome) = in_mount_namespace(&repo, &full, &["add", "big"]) else {
        return;
    };
    refused(&outcome, 255, "No space left on device");
    assert!(!outcome.stderr.contains("unexpected error"), "{outcome}");
    assert_eq!(
        outcome.stderr.matches("No space left").count(),
        1,
        "{outcome}"
    );
    assert!(outcome.stderr.contains("big"), "{outcome}");

    let root = repo.root().display().to_string();
    let read_only = format!("mount --bind '{root}' '{root}' && mount -o remount,bind,ro '{root}'");
    let outcome = in_mount_namespace(&repo, &read_only, &["status"]).unwrap();
    refused(&outcome, 255, "Read-only file system");
    assert!(!outcome.stderr.contains("unexpected error"), "{outcome}");
    assert!(!outcome.stderr.contains("os error"), "{outcome}");
    assert!(outcome.stderr.contains(".dvc/tmp/lock"), "{outcome}");
}
