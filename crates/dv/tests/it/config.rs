//! `dv config` and `dv remote`: differential tests against the real dvc (same commands in twin
//! repositories must give the same exit codes, output and files), interop both ways, and bad
//! input.

use dv_test::{Outcome, TestRepo, run};

enum Tool {
    Dv,
    Dvc,
}

fn invoke(repo: &TestRepo, tool: &Tool, args: &[&str]) -> Outcome {
    let mut command = match tool {
        Tool::Dv => repo.dv(),
        Tool::Dvc => repo.dvc(),
    };
    let out = run(command.args(args)).redacted(repo);
    Outcome {
        stdout: out.stdout.replace("dvc ", "TOOL ").replace("dv ", "TOOL "),
        ..out
    }
}

/// Files a config edit may touch, read back for comparison.
fn config_files(repo: &TestRepo) -> Vec<(String, Option<String>)> {
    let global = repo.global_config_dir().join("config");
    let system = repo.system_config_dir().join("config");
    [
        repo.path(".dvc/config"),
        repo.path(".dvc/config.local"),
        global,
        system,
    ]
    .into_iter()
    .map(|p| {
        (
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read_to_string(&p).ok(),
        )
    })
    .collect()
}

/// Runs every command with dv in one repository and dvc in a twin, asserting identical
/// outcomes and config files after each step. `setup` prepares both repos identically.
fn differential(setup: impl Fn(&TestRepo), commands: &[&[&str]]) {
    let ours = TestRepo::new();
    let theirs = TestRepo::new();
    for (repo, tool) in [(&ours, Tool::Dv), (&theirs, Tool::Dvc)] {
        invoke(repo, &tool, &["init", "-q"]).success();
        setup(repo);
    }
    for args in commands {
        let a = invoke(&ours, &Tool::Dv, args);
        let b = invoke(&theirs, &Tool::Dvc, args);
        assert_eq!(
            a, b,
            "outcomes differ for {args:?}\n--- dv:\n{a}\n--- dvc:\n{b}"
        );
        assert_eq!(
            config_files(&ours),
            config_files(&theirs),
            "config files differ after {args:?}"
        );
    }
}

#[test]
fn remote_commands_match_dvc() {
    differential(
        |_| {},
        &[
            &["remote", "add", "-d", "store", "s3://bucket/path"],
            &["remote", "add", "-d", "store", "s3://bucket/path"],
            &["remote", "add", "-f", "Store2", "../lrem"],
            &[
                "remote",
                "modify",
                "store",
                "endpointurl",
                "https://s3.example.org:9000",
            ],
            &["remote", "modify", "store", "region", "us-east-1"],
            &[
                "remote",
                "modify",
                "--local",
                "store",
                "access_key_id",
                "AKIAXXX",
            ],
            &[
                "remote",
                "modify",
                "--local",
                "store",
                "secret_access_key",
                "sec ret#x;y",
            ],
            &["remote", "modify", "store", "foo", "bar"],
            &["remote", "modify", "nope", "url", "x"],
            &["remote", "modify", "store", "use_ssl", "maybe"],
            &["remote", "modify", "store", "jobs", "0"],
            &["remote", "modify", "store", "version_aware", "true"],
            &["remote", "modify", "-u", "store", "region"],
            &["remote", "list"],
            &["remote", "default"],
            &["remote", "default", "nope"],
            &["remote", "default", "store2"],
            &["remote", "default", "--local", "store"],
            &["remote", "default"],
            &["remote", "default", "--local", "-u"],
            &["remote", "default", "-u"],
            &["remote", "default"],
            &["remote", "add", "--global", "g", "../gg"],
            &["remote", "add", "--system", "sys", "/abs/store"],
            &["remote", "list"],
            &["remote", "list", "--global"],
            &["remote", "list", "--project"],
            &["remote", "rename", "store2", "store"],
            &["remote", "rename", "store2", "s3"],
            &["remote", "rename", "nope", "other"],
            &["remote", "remove", "nope"],
            &["remote", "default", "s3"],
            &["remote", "remove", "s3"],
            &["remote", "default"],
            &["remote", "remove", "--global", "g"],
            &["remote", "list"],
        ],
    );
}

#[test]
fn config_commands_match_dvc() {
    differential(
        |_| {},
        &[
            &["config", "core.remote"],
            &["config", "core.autostage", "true"],
            &["config", "cache.type", "hardlink,symlink"],
            &["config", "cache.dir", "../mycache"],
            &["config", "--local", "core.checksum_jobs", "4"],
            &["config", "--global", "core.analytics", "false"],
            &["config", "-l"],
            &["config", "-l", "--show-origin"],
            &["config", "--local", "-l"],
            &["config", "--project", "-l", "--show-origin"],
            &["config", "cache.dir"],
            &["config", "--show-origin", "core.checksum_jobs"],
            &["config", "core.nope"],
            &["config", "--project", "core.nope"],
            &["config", "--project", "nosection.nope"],
            &["config", "foo.bar", "1"],
            &["config", "core.analytics", "maybe"],
            &["config", "core.checksum_jobs", "abc"],
            &["config", "cache.type", "bogus"],
            &["config", "-u", "core.remote"],
            &["config", "-u", "core.autostage"],
            &["config", "remote.r.url", "s3://b/x"],
            &["config", "remote.r.region", "eu-west-1"],
            &["config", "remote.r.url"],
            &["config", "-u", "remote.r.region"],
            &["config", "db.mydb.url", "postgresql://x"],
            &["config", "-l"],
            &["config", "--show-origin", "-u", "core.remote"],
            &["config", "-l", "core.remote"],
            &["config"],
        ],
    );
}

#[test]
fn paths_are_stored_relative_to_the_config_file() {
    let run_in_sub = |repo: &TestRepo, tool: Tool| {
        invoke(repo, &tool, &["init", "-q"]).success();
        repo.write("sub/keep", "");
        invoke(
            repo,
            &tool,
            &["--cd", "sub", "remote", "add", "other", "../../lrem2"],
        )
        .success();
        invoke(
            repo,
            &tool,
            &["--cd", "sub", "config", "cache.dir", "../mycache"],
        )
        .success();
        invoke(
            repo,
            &tool,
            &["--cd", "sub", "remote", "add", "ssh", "ssh://host/p"],
        )
        .success();
        invoke(
            repo,
            &tool,
            &["--cd", "sub", "remote", "modify", "ssh", "keyfile", "k/id"],
        )
        .success();
        (
            repo.read(".dvc/config"),
            invoke(repo, &tool, &["--cd", "sub", "config", "-l"]),
        )
    };
    let ours = run_in_sub(&TestRepo::new(), Tool::Dv);
    let theirs = run_in_sub(&TestRepo::new(), Tool::Dvc);
    assert_eq!(ours, theirs);
    assert_eq!(
        ours.0,
        "[cache]\n    dir = ../mycache\n['remote \"other\"']\n    url = ../../lrem2\n['remote \"ssh\"']\n    url = ssh://host/p\n    keyfile = ../sub/k/id\n"
    );
}

/// A config written by hand with comments, odd spacing and every quoting style is read by dv
/// exactly as dvc reads it, and an edit rewrites it exactly as dvc does.
#[test]
fn hand_written_config_reads_and_rewrites_like_dvc() {
    let text = "# team settings\n[core]   # the core\n    REMOTE = store  # inline comment\n    autostage = TRUE\n[cache]\n    type = \"reflink,copy\"\n['remote \"store\"']\n    url = s3://bucket/path # trailing\n    endpointurl = 'https://s3.example.org'\n    region = \"\"\"eu-west-1\"\"\"\n[remote \"backup\"]\n    url = ../backup\n";
    differential(
        |repo| repo.write(".dvc/config", text),
        &[
            &["config", "-l", "--show-origin"],
            &["remote", "list"],
            &["remote", "default"],
            &["config", "core.remote"],
            &["remote", "modify", "backup", "type", "copy"],
            &["config", "-l"],
        ],
    );
}

#[test]
fn dvc_reads_what_dv_writes() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    for args in [
        &["remote", "add", "-d", "store", "s3://bucket/data"][..],
        &[
            "remote",
            "modify",
            "store",
            "endpointurl",
            "http://127.0.0.1:9000",
        ],
        &[
            "remote",
            "modify",
            "--local",
            "store",
            "access_key_id",
            "AK",
        ],
        &[
            "remote",
            "modify",
            "--local",
            "store",
            "secret_access_key",
            "s#cret, x",
        ],
        &["remote", "add", "local", "../store"],
        &["remote", "add", "abs", "/srv/store"],
        &["remote", "add", "--global", "shared", "s3://team/cache"],
    ] {
        run(repo.dv().args(args)).success();
    }
    for args in [
        &["remote", "list"][..],
        &["remote", "default"],
        &["config", "-l", "--show-origin"],
        &["config", "remote.store.secret_access_key"],
    ] {
        assert_eq!(
            run(repo.dv().args(args)),
            run(repo.dvc().args(args)),
            "{args:?}"
        );
    }
    run(repo.dvc().arg("status")).success();
}

#[test]
fn secrets_go_to_config_local_which_git_ignores() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    run(repo
        .dv()
        .args(["remote", "add", "-d", "store", "s3://bucket"]))
    .success();
    run(repo.dv().args([
        "remote",
        "modify",
        "--local",
        "store",
        "secret_access_key",
        "TOPSECRET",
    ]))
    .success();
    assert!(!repo.read(".dvc/config").contains("TOPSECRET"));
    assert!(repo.read(".dvc/config.local").contains("TOPSECRET"));
    repo.git(&["add", "-A"]);
    let staged = repo.git(&["diff", "--cached", "--name-only"]);
    assert!(!staged.contains("config.local"), "{staged}");
    let list = run(repo.dv().args(["remote", "list"]));
    assert!(!list.stdout.contains("TOPSECRET"));
}

#[test]
fn remote_list_masks_passwords_in_urls() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    run(repo.dv().args([
        "remote",
        "add",
        "web",
        "https://user:hunter2@example.org/store",
    ]))
    .success();
    let out = run(repo.dv().args(["remote", "list"]));
    insta::assert_snapshot!(out, @r"
    exit: 0
    ----- stdout -----
    web     https://user:***@example.org/store
    ----- stderr -----
    ");
}

/// Malformed files: exit 251, an error naming the file and line, and nothing changed.
#[test]
fn malformed_config_files_are_reported_and_left_alone() {
    let cases = [
        (
            "[core\n    remote = x\n",
            "Invalid line ('[core') (matched as neither section nor keyword) at line 1 of '.dvc/config'",
        ),
        (
            "[core]\n    remote = \"x\n",
            "Parse error in value at line 2 of '.dvc/config'",
        ),
        (
            "[core]\n    remote = a\n    remote = b\n",
            "Duplicate keyword name at line 3 of '.dvc/config'",
        ),
        (
            "[core]\n[core]\n",
            "Duplicate section name at line 2 of '.dvc/config'",
        ),
    ];
    for (text, message) in cases {
        let repo = TestRepo::new();
        run(repo.dv().args(["init", "-q"])).success();
        repo.write(".dvc/config", text);
        for args in [
            &["remote", "list"][..],
            &["remote", "add", "x", "s3://b"],
            &["config", "-l"],
        ] {
            let out = run(repo.dv().args(args));
            assert_eq!(out.code, 251, "{args:?} {out}");
            assert_eq!(
                out.stderr,
                format!("ERROR: configuration error - config file error: {message}\n"),
                "{args:?}"
            );
            assert_eq!(repo.read(".dvc/config"), text);
        }
        // The oracle fails on it too.
        assert_eq!(run(repo.dvc().args(["config", "-l"])).code, 251);
    }
}

/// Schema errors name the value's file and line; the failing edit writes nothing.
#[test]
fn invalid_config_values_name_file_and_line() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    repo.write(".dvc/config", "[core]\n    checksum_jobs = many\n");
    let out = run(repo.dv().args(["remote", "add", "s", "s3://b"]));
    insta::assert_snapshot!(out, @r"
    exit: 251
    ----- stdout -----
    ----- stderr -----
    ERROR: configuration error - config file error: expected int for dictionary value @ data['core']['checksum_jobs'] (in '.dvc/config', line 2)
    ");
    assert_eq!(
        repo.read(".dvc/config"),
        "[core]\n    checksum_jobs = many\n"
    );

    repo.write(".dvc/config", "['remote \"s\"']\n    url = s3://b\n");
    repo.write(".dvc/config.local", "[core]\n    bogus = 1\n");
    let out = run(repo
        .dv()
        .args(["remote", "modify", "--local", "s", "region", "x"]));
    assert_eq!(out.code, 251);
    assert_eq!(
        out.stderr,
        "ERROR: configuration error - config file error: extra keys not allowed @ data['core']['bogus'] (in '.dvc/config.local', line 2)\n"
    );
    assert_eq!(repo.read(".dvc/config.local"), "[core]\n    bogus = 1\n");
}

#[test]
fn repo_levels_outside_a_repo() {
    let repo = TestRepo::without_git();
    for args in [
        &["config", "--local", "-l"][..],
        &["remote", "add", "x", "s3://b"],
    ] {
        let ours = run(repo.dv().args(args));
        let theirs = run(repo.dvc().args(args));
        assert_eq!(ours, theirs, "{args:?}");
        assert_eq!(ours.code, 251);
    }
    // Global config works anywhere.
    run(repo.dv().args(["remote", "add", "--global", "g", "s3://b"])).success();
    assert_eq!(
        run(repo.dv().args(["remote", "list"])),
        run(repo.dvc().args(["remote", "list"]))
    );
}

#[test]
fn quiet_and_arguments() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    let out = run(repo.dv().args(["remote", "add", "-q", "-d", "s", "s3://b"]));
    insta::assert_snapshot!(out, @r"
    exit: 0
    ----- stdout -----
    ----- stderr -----
    ");
    let out = run(repo.dv().args(["remote", "add"]));
    assert_eq!(out.code, 254, "{out}");
    assert!(out.stderr.starts_with("ERROR: "), "{out}");
    let out = run(repo.dv().args(["config", "core"]));
    assert_eq!(out.code, 254, "{out}");
    let out = run(repo.dv().args(["nosuchcommand"]));
    assert_eq!(out.code, 254, "{out}");
    let out = run(repo.dv().args(["--version"]));
    assert_eq!(out.code, 0);
    let out = run(repo.dv().args(["completion", "-s", "bash"]));
    assert!(out.stdout.contains("_dv"), "{out}");
}
