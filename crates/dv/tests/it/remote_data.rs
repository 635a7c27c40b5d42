//! `dv push`, `dv fetch`, `dv pull` and `dv status -c` against the real dvc: what one pushes the
//! other pulls (local directory and S3 remotes, in fresh `git clone`s that share no files),
//! the same output step by step, and clear failures (corrupted objects, unreachable endpoints,
//! missing buckets) that leave nothing half-written.
//!
//! The S3 tests need the pinned `moto_server` (`DV_VENV_DIR`, see `dv_test::venv`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{
    add_local_remote, closed_port, commit_all, dv, dvc, files_skipping, hello_repo, init_and_add,
    s3_with_bucket,
};
use dv_test::{Outcome, S3Server, TestRepo, run};

/// A small tree with the awkward cases: nested and empty files, CRLF text, unicode names,
/// binary content, an executable.
fn write_corpus(repo: &TestRepo) {
    repo.write("data/f1.txt", "one\n");
    repo.write("data/sub/f2.txt", "two\r\n");
    repo.write("data/empty", "");
    repo.write("data/é 日本.txt", "accent\n");
    repo.write("data/dup.txt", "hello\n");
    repo.write("a.txt", "hello\n");
    repo.write("bin/leaf.bin", [0u8, 1, 2, 3, 255]);
    repo.write("run.sh", "#!/bin/sh\necho hi\n");
    std::fs::set_permissions(repo.path("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

const TARGETS: &[&str] = &["data", "a.txt", "bin/leaf.bin", "run.sh"];

/// The workspace as a user sees it: everything but `.git` and `.dvc`.
fn workspace(repo: &TestRepo) -> Vec<(String, Vec<u8>)> {
    files_skipping(repo.root(), &[".git", ".dvc"])
}

/// The objects of a cache or local remote directory.
fn objects(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_skipping(dir, &["runs", "tmp"])
}

/// Relative paths of every file under `dir` whose name marks an unfinished transfer
/// (`.<random>.tmp`).
fn temporary_files(dir: &Path) -> Vec<String> {
    files_skipping(dir, &[])
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}

/// A repository with the corpus tracked by `tool` (`dv` or `dvc`) and a local default remote
/// `store` outside it, everything committed.
fn tracked_repo(tool: &str) -> (TestRepo, PathBuf) {
    let repo = TestRepo::new();
    write_corpus(&repo);
    init_and_add(&repo, tool, TARGETS);
    let remote = add_local_remote(&repo, tool);
    commit_all(&repo, "tracked");
    (repo, remote)
}

#[test]
fn what_dv_pushes_dvc_pulls_into_a_fresh_clone() {
    let (repo, remote) = tracked_repo("dv");
    let cache = repo.path(".dvc/cache");
    let cached = objects(&cache);
    // 8 files (two share content) + 1 `.dir`: 8 objects.
    assert_eq!(
        cached.len(),
        8,
        "{:?}",
        cached.iter().map(|o| &o.0).collect::<Vec<_>>()
    );

    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "8 files pushed\n", "{out}");
    assert_eq!(out.stderr, "");
    // The remote mirrors the cache layout, objects read-only.
    assert_eq!(objects(&remote), cached);
    for (name, _) in objects(&remote) {
        let mode = std::fs::metadata(remote.join(&name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o444, "{name}");
    }
    assert!(temporary_files(&remote).is_empty());

    // Nothing left to do, for dv and for dvc.
    assert_eq!(dv(&repo, &["push"]).stdout, "Everything is up to date.\n");
    assert_eq!(dvc(&repo, &["push"]).stdout, "Everything is up to date.\n");
    assert_eq!(
        dvc(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );

    let clone = repo.git_clone();
    assert!(!clone.exists("a.txt"));
    let out = dvc(&clone, &["pull"]);
    out.success();
    assert_eq!(workspace(&clone), workspace(&repo));
    assert_eq!(objects(&clone.path(".dvc/cache")), cached);
}

#[test]
fn what_dvc_pushes_dv_pulls_with_dvc_output() {
    let (repo, _remote) = tracked_repo("dvc");
    dvc(&repo, &["push"]).success();

    let ours = repo.git_clone();
    let theirs = repo.git_clone();
    for args in [
        &["status", "-c"][..],
        &["pull"],
        &["pull"],
        &["status", "-c"],
    ] {
        let a = normalized(dv(&ours, args), args[0] == "status");
        let b = normalized(dvc(&theirs, args), args[0] == "status");
        assert_eq!(a, b, "{args:?}\n--- dv:\n{a}\n--- dvc:\n{b}");
        assert_eq!(workspace(&ours), workspace(&theirs), "after {args:?}");
    }
    assert_eq!(workspace(&ours), workspace(&repo));
    assert_eq!(
        objects(&ours.path(".dvc/cache")),
        objects(&theirs.path(".dvc/cache"))
    );
    let mode = std::fs::metadata(ours.path("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o100, 0o100, "isexec restored");
    let object = ours.path(".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184");
    let mode = std::fs::metadata(object).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o444, "fetched cache objects are read-only");

    // fetch alone fills the cache and nothing else.
    let fetcher = repo.git_clone();
    let out = dv(&fetcher, &["fetch"]);
    assert_eq!(out.stdout, "8 files fetched\n", "{out}");
    assert!(!fetcher.exists("a.txt"));
    assert_eq!(
        objects(&fetcher.path(".dvc/cache")),
        objects(&repo.path(".dvc/cache"))
    );
    assert_eq!(
        dv(&fetcher, &["fetch"]).stdout,
        "Everything is up to date.\n"
    );
}

/// dvc lists `status -c` objects and unsaved files in an unspecified order: compare those
/// lines as multisets, and JSON objects as maps.
fn normalized(out: Outcome, sort_stdout: bool) -> Outcome {
    let sort = |text: &str| {
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort();
        lines.join("\n")
    };
    let stdout =
        match serde_json::from_str::<std::collections::BTreeMap<String, String>>(out.stdout.trim())
        {
            Ok(map) if out.stdout.starts_with('{') => format!("{map:?}"),
            _ if sort_stdout => sort(&out.stdout),
            _ => out.stdout.clone(),
        };
    Outcome {
        stdout,
        stderr: sort(&out.stderr),
        code: out.code,
    }
}

/// Runs the same steps with dv in one repository and dvc in a twin (each with its own local
/// remote `[TMP]/remote`), asserting identical outcomes, workspaces, caches and remotes.
fn differential(setup: impl Fn(&TestRepo), steps: &[&[&str]]) {
    let ours = TestRepo::new();
    let theirs = TestRepo::new();
    for (repo, is_dv) in [(&ours, true), (&theirs, false)] {
        let mut init = if is_dv { repo.dv() } else { repo.dvc() };
        run(init.args(["init", "-q"])).success();
        setup(repo);
    }
    for step in steps {
        if step[0] == "!" {
            for repo in [&ours, &theirs] {
                edit(repo, step[1]);
            }
            continue;
        }
        let sort_stdout = step[0] == "status";
        let a = normalized(dv(&ours, step), sort_stdout);
        let b = normalized(dvc(&theirs, step), sort_stdout);
        assert_eq!(a, b, "{step:?}\n--- dv:\n{a}\n--- dvc:\n{b}");
        assert_eq!(workspace(&ours), workspace(&theirs), "after {step:?}");
        assert_eq!(
            objects(&ours.path(".dvc/cache")),
            objects(&theirs.path(".dvc/cache")),
            "cache after {step:?}"
        );
        for remote in ["remote", "remote-b"] {
            assert_eq!(
                objects(&ours.temp_dir().join(remote)),
                objects(&theirs.temp_dir().join(remote)),
                "{remote} after {step:?}"
            );
        }
    }
}

fn remove(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

fn edit(repo: &TestRepo, what: &str) {
    match what {
        "add-remote" => {
            add_local_remote(repo, "dv");
        }
        "drop-cache" => remove(&repo.path(".dvc/cache")),
        "drop-leaf" => {
            let dvc_file = repo.read("bin/leaf.bin.dvc");
            let md5 = dvc_file.split("md5: ").nth(1).unwrap()[..32].to_owned();
            remove(&repo.path(&format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..])));
        }
        "drop-a" => remove(&repo.path(".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184")),
        "delete" => {
            remove(&repo.path("data"));
            remove(&repo.path("a.txt"));
        }
        "modify" => {
            for name in ["data/f1.txt", "data/sub/f2.txt", "a.txt"] {
                remove(&repo.path(name));
            }
            repo.write("data/f1.txt", "changed\n");
            repo.write("data/new", "new\n");
            repo.write("a.txt", "changed too\n");
        }
        other => panic!("unknown edit {other}"),
    }
}

#[test]
fn push_fetch_pull_and_status_match_dvc_step_by_step() {
    let setup = |repo: &TestRepo| {
        write_corpus(repo);
        run(repo.dv().args([&["add", "-q"][..], TARGETS].concat())).success();
    };
    differential(
        setup,
        &[
            // No remote yet.
            &["push"],
            &["fetch"],
            &["pull"],
            &["status", "-c"],
            &["!", "add-remote"],
            &["status", "-c"],
            &["status", "--cloud", "--json"],
            &["push", "a.txt"],
            &["status", "-c"],
            &["push"],
            &["push"],
            &["status", "-c"],
            &["status", "-r", "store"],
            &["fetch"],
            // An empty cache: the `.dir` is fetched first.
            &["!", "drop-cache"],
            &["status", "-c"],
            &["status", "-c", "-q"],
            &["fetch", "data"],
            &["fetch"],
            &["!", "drop-cache"],
            &["!", "delete"],
            &["pull"],
            &["pull"],
            &["!", "delete"],
            &["pull", "a.txt.dvc"],
            &["pull"],
            // Unsaved changes are not overwritten without -f.
            &["!", "modify"],
            &["pull"],
            &["pull", "-f"],
            // Unknown remotes and targets.
            &["push", "-r", "nope"],
            &["pull", "-r", "nope"],
            &["fetch", "-r", "nope"],
            &["status", "-c", "-r", "nope"],
            &["push", "nope"],
            &["pull", "nope"],
        ],
    );
}

#[test]
fn objects_missing_everywhere_are_reported_like_dvc() {
    let setup = |repo: &TestRepo| {
        write_corpus(repo);
        run(repo.dv().args([&["add", "-q"][..], TARGETS].concat())).success();
        edit(repo, "add-remote");
    };
    differential(
        setup,
        &[
            &["!", "drop-leaf"],
            &["status", "-c"],
            &["push"],
            &["status", "-c"],
            &["push"],
            &["!", "delete"],
            &["pull"],
        ],
    );
}

#[test]
fn a_directory_is_not_pushed_while_one_of_its_files_is_missing() {
    let (repo, remote) = tracked_repo("dv");
    // `hello\n` is both `a.txt` and `data/dup.txt`.
    edit(&repo, "drop-a");
    let out = dv(&repo, &["push"]);
    // 8 objects, minus the missing file, minus the `.dir` that lists it. (dvc counts the
    // skipped `.dir` as pushed: `7 files pushed`.)
    assert_eq!(out.stdout, "6 files pushed\n", "{out}");
    assert_eq!(
        out.stderr,
        "WARNING: Some of the cache files do not exist neither locally nor on remote. Missing \
         cache files:\nmd5: b1946ac92492d2347c6235b4d2611184\n"
    );
    assert!(
        objects(&remote)
            .iter()
            .all(|(name, _)| !name.ends_with(".dir"))
    );
    // Both name shared content once, after one of the files that have it.
    for status in [dv(&repo, &["status", "-c"]), dvc(&repo, &["status", "-c"])] {
        let lines: Vec<&str> = status.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{status}");
        assert_eq!(lines[0], "\tnew:                data", "{status}");
        assert!(
            [
                "\tmissing:            a.txt",
                "\tmissing:            data/dup.txt"
            ]
            .contains(&lines[1]),
            "{status}"
        );
    }
    // Once the file is back, the directory goes up.
    run(repo.dv().args(["add", "-q", "a.txt"])).success();
    assert_eq!(dv(&repo, &["push"]).stdout, "2 files pushed\n");
    assert_eq!(
        dvc(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );
}

#[test]
fn push_false_and_per_output_remotes_match_dvc() {
    let setup = |repo: &TestRepo| {
        repo.write("p.txt", "p\n");
        repo.write("q.txt", "q\n");
        repo.write("s.txt", "s\n");
        run(repo.dv().args(["add", "-q", "p.txt", "q.txt", "s.txt"])).success();
        let q = repo.read("q.txt.dvc");
        repo.write("q.txt.dvc", format!("{q}  push: false\n"));
        let s = repo.read("s.txt.dvc");
        repo.write("s.txt.dvc", format!("{s}  remote: b\n"));
        for (name, dir) in [("store", "remote"), ("b", "remote-b")] {
            let path = repo.temp_dir().join(dir);
            run(repo
                .dv()
                .args(["remote", "add", name, path.to_str().unwrap()]))
            .success();
        }
    };
    differential(
        setup,
        &[
            // No default remote: only outputs with their own remote can be pushed.
            &["push", "s.txt"],
            &["remote", "default", "store"],
            &["status", "-c"],
            &["push", "-r", "b"],
            &["push"],
            &["status", "-c"],
            &["!", "drop-cache"],
            &["fetch"],
            &["fetch", "-r", "b"],
            // Last: a failed push leaves dvc's index cache stale (a later `push -r b` would
            // skip `p.txt`).
            &["remote", "default", "--unset"],
            &["push"],
        ],
    );
}

/// The permission bits (setgid included) of everything under `dir`, sorted by path.
fn modes(dir: &Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((rel, metadata.permissions().mode() & 0o7777));
            if metadata.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A DVC 2.x output `crlf.txt`: its `.dvc` file with an md5-dos2unix hash and its object at
/// the cache root (the legacy layout), the file itself in the workspace.
fn write_legacy_output(repo: &TestRepo) {
    repo.write("crlf.txt", "a\r\nb\r\n");
    repo.write(
        "crlf.txt.dvc",
        "outs:\n- md5: dd8c6a395b5dd36c56d23275028f526c\n  size: 6\n  path: crlf.txt\n",
    );
    repo.write(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c", "a\r\nb\r\n");
}

#[test]
fn downloads_into_a_group_shared_cache_get_dvc_modes() {
    let (repo, _remote) = tracked_repo("dvc");
    // A DVC 2.x output too: its object goes to the legacy layout at the cache root.
    write_legacy_output(&repo);
    repo.write(".gitignore", "/crlf.txt\n");
    run(repo.dvc().args(["config", "cache.shared", "group"])).success();
    dvc(&repo, &["push"]).success();
    commit_all(&repo, "shared");
    for command in ["pull", "fetch"] {
        let ours = repo.git_clone();
        let theirs = repo.git_clone();
        dv(&ours, &[command]).success();
        dvc(&theirs, &[command]).success();
        let cache = modes(&ours.path(".dvc/cache"));
        assert_eq!(cache, modes(&theirs.path(".dvc/cache")), "{command}");
        assert!(
            cache.contains(&("files/md5".to_owned(), 0o2775)),
            "{command}: {cache:?}"
        );
        assert!(
            cache.contains(&("dd".to_owned(), 0o2775)),
            "{command}: {cache:?}"
        );
        let workspace_modes = |repo: &TestRepo| {
            modes(repo.root())
                .into_iter()
                .filter(|(path, _)| !path.starts_with(".git") && !path.starts_with(".dvc"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            workspace_modes(&ours),
            workspace_modes(&theirs),
            "{command}"
        );
    }
}

#[test]
fn legacy_outputs_use_the_remote_root() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    // A DVC 2.x output: md5-dos2unix hash, object at the cache root.
    write_legacy_output(&repo);
    repo.write(".gitignore", "/crlf.txt\n");
    let remote = add_local_remote(&repo, "dv");
    commit_all(&repo, "legacy");

    assert_eq!(dv(&repo, &["push"]).stdout, "1 file pushed\n");
    assert_eq!(
        objects(&remote),
        vec![(
            "dd/8c6a395b5dd36c56d23275028f526c".to_owned(),
            b"a\r\nb\r\n".to_vec()
        )]
    );
    assert_eq!(
        dvc(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );
    let clone = repo.git_clone();
    dvc(&clone, &["pull"]).success();
    assert_eq!(clone.read("crlf.txt"), "a\r\nb\r\n");
    let clone = repo.git_clone();
    let out = dv(&clone, &["pull"]);
    assert_eq!(
        out.stdout, "A       crlf.txt\n1 file fetched and 1 file added\n",
        "{out}"
    );
    assert!(clone.exists(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c"));
}

#[test]
fn a_corrupted_remote_object_is_never_checked_out() {
    let (repo, remote) = tracked_repo("dv");
    dv(&repo, &["push"]).success();
    let object = remote.join("files/md5/b1/946ac92492d2347c6235b4d2611184");
    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&object, "tampered\n").unwrap();

    let clone = repo.git_clone();
    let out = dv(&clone, &["pull"]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(out.stdout, "");
    let expected = format!(
        "ERROR: failed to transfer 'b1946ac92492d2347c6235b4d2611184' - object \
         `files/md5/b1/946ac92492d2347c6235b4d2611184` of remote `store` (`{}`) is corrupted",
        remote.display()
    );
    assert!(out.stderr.contains(&expected), "{out}");
    assert!(
        out.stderr
            .ends_with("ERROR: failed to pull data from the cloud - 1 files failed to download\n"),
        "{out}"
    );
    // Nothing was checked out, the bad object did not enter the cache, nothing half-written.
    assert!(
        workspace(&clone)
            .iter()
            .all(|(name, _)| !name.starts_with("data/") && name != "a.txt")
    );
    let cache = clone.path(".dvc/cache");
    assert!(
        !cache
            .join("files/md5/b1/946ac92492d2347c6235b4d2611184")
            .exists()
    );
    assert!(
        temporary_files(&cache).is_empty(),
        "{:?}",
        temporary_files(&cache)
    );

    let out = dv(&clone, &["fetch"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .ends_with("ERROR: failed to fetch data from the cloud - 1 files failed to download\n"),
        "{out}"
    );
}

#[test]
fn s3_seed_workflow_round_trips_with_dvc() {
    let server = s3_with_bucket();
    let repo = TestRepo::new();
    write_corpus(&repo);
    init_and_add(&repo, "dv", TARGETS);
    repo.use_s3_remote("bucket", &server.endpoint);
    commit_all(&repo, "tracked");

    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "8 files pushed\n", "{out}");
    // Same layout as the cache, under the remote's prefix.
    let expected: Vec<String> = objects(&repo.path(".dvc/cache"))
        .into_iter()
        .map(|(name, _)| format!("store/{name}"))
        .collect();
    assert_eq!(server.list_keys("bucket", "store/"), expected);
    assert_eq!(
        server.get_object(
            "bucket",
            "store/files/md5/b1/946ac92492d2347c6235b4d2611184"
        ),
        b"hello\n"
    );
    assert_eq!(dv(&repo, &["push"]).stdout, "Everything is up to date.\n");
    assert_eq!(
        dv(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );
    assert_eq!(
        dvc(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );

    // A fresh clone has no config.local: credentials come from the environment.
    let clone = repo.git_clone();
    let out = run(clone.dvc().arg("pull").envs(server.credentials_env()));
    out.success();
    assert_eq!(workspace(&clone), workspace(&repo));

    // dvc pushes a new file from the clone; dv pulls it into another clone.
    clone.write("b.txt", "from dvc\n");
    run(clone.dvc().args(["add", "-q", "b.txt"])).success();
    run(clone.dvc().arg("push").envs(server.credentials_env())).success();
    commit_all(&clone, "b");
    let second = clone.git_clone();
    let out = run(second.dv().arg("pull").envs(server.credentials_env()));
    assert_eq!(
        out.stdout,
        "A       data/\nA       a.txt\nA       b.txt\nA       bin/leaf.bin\nA       run.sh\n\
         9 files fetched and 9 files added\n",
        "{out}"
    );
    assert_eq!(workspace(&second), workspace(&clone));
}

#[test]
fn s3_corrupted_object_is_detected_on_pull() {
    let server = s3_with_bucket();
    let repo = hello_repo();
    repo.use_s3_remote("bucket", &server.endpoint);
    commit_all(&repo, "tracked");
    dv(&repo, &["push"]).success();
    server.put_object(
        "bucket",
        "store/files/md5/b1/946ac92492d2347c6235b4d2611184",
        b"tampered\n",
    );
    let clone = repo.git_clone();
    let out = run(clone.dv().arg("pull").envs(server.credentials_env()));
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("is corrupted"), "{out}");
    assert!(!clone.exists("a.txt"));
    assert!(temporary_files(&clone.path(".dvc/cache")).is_empty());
}

#[test]
fn s3_missing_bucket_and_unreachable_endpoint_are_clear_errors() {
    let server = S3Server::start();
    let (repo, _) = tracked_repo("dv");
    run(repo.dv().args(["remote", "remove", "store"])).success();
    repo.use_s3_remote("nobucket", &server.endpoint);
    commit_all(&repo, "s3");

    let out = dv(&repo, &["push"]);
    assert_eq!(out.code, 255, "{out}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "ERROR: failed to push data to the cloud - bucket `nobucket` of remote `store` \
         (`s3://nobucket/store`) does not exist\nhint: create the bucket, or point the remote at \
         an existing one with `dv remote modify store url s3://BUCKET/PATH`\n"
    );
    let out = dv(&repo, &["status", "-c"]);
    assert_eq!(out.code, 255, "{out}");
    assert!(
        out.stderr
            .starts_with("ERROR: bucket `nobucket` of remote `store`"),
        "{out}"
    );
    let clone = repo.git_clone();
    let out = run(clone.dv().arg("pull").envs(server.credentials_env()));
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.starts_with(
            "ERROR: failed to pull data from the cloud - bucket `nobucket` of remote `store`"
        ),
        "{out}"
    );
    assert!(!clone.exists("a.txt"));

    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    run(repo
        .dv()
        .args(["remote", "modify", "store", "endpointurl", &endpoint]))
    .success();
    repo.git(&["commit", "-q", "-a", "-m", "unreachable"]);
    let out = dv(&repo, &["push"]);
    assert_eq!(out.code, 255, "{out}");
    assert!(
        out.stderr.starts_with(&format!(
            "ERROR: failed to push data to the cloud - cannot reach remote `store` \
             (`s3://nobucket/store`) at `{endpoint}`"
        )),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("\nhint: check that the storage server is running"),
        "{out}"
    );
    let clone = repo.git_clone();
    let out = run(clone.dv().arg("pull").envs(server.credentials_env()));
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("cannot reach remote `store`"), "{out}");
    assert!(!clone.exists("a.txt"));
    assert!(temporary_files(&clone.path(".dvc/cache")).is_empty());
}

#[test]
fn remote_references_and_recursive_targets_match_dvc() {
    let setup = |repo: &TestRepo| {
        repo.write("nested/x.txt", "x\n");
        repo.write("nested/deeper/y.txt", "y\n");
        repo.write("top.txt", "top\n");
        run(repo.dv().args([
            "add",
            "-q",
            "nested/x.txt",
            "nested/deeper/y.txt",
            "top.txt",
        ]))
        .success();
        let base = repo.temp_dir().join("remote");
        run(repo
            .dv()
            .args(["remote", "add", "base", base.to_str().unwrap()]))
        .success();
        // `remote://base/sub`: remote `base`'s URL and options, one directory down.
        run(repo
            .dv()
            .args(["remote", "add", "-d", "sub", "remote://base/sub"]))
        .success();
    };
    differential(
        setup,
        &[
            &["push", "-R", "nested"],
            &["status", "-c"],
            &["push"],
            &["status", "-c"],
            &["!", "drop-cache"],
            &["fetch", "-R", "nested/deeper"],
            &["pull"],
        ],
    );
}

/// `cp -a`: copies a directory with its modes.
fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn gc_cloud_deletes_the_same_remote_objects_as_dvc() {
    let (repo, remote) = tracked_repo("dv");
    // A used legacy (2.x) output next to the DVC 3 ones.
    write_legacy_output(&repo);
    dv(&repo, &["push"]).success();
    // Then the workspace moves on: a changed directory, a dropped output.
    repo.write("data/f1.txt", "one, changed\n");
    dv(&repo, &["add", "-q", "data"]).success();
    dv(&repo, &["push"]).success();
    std::fs::remove_file(repo.path("run.sh.dvc")).unwrap();
    // Things gc must leave alone, and an unused legacy object.
    let stray = [
        ("runs/ab/cd/entry", "run cache\n"),
        ("files/md5/zz", "not an object\n"),
        ("notes.txt", "hello\n"),
    ];
    for (path, content) in stray {
        let path = remote.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let legacy = remote.join("77/36575c4934b5b45685150b1c7498e5");
    std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
    std::fs::write(&legacy, "legacy\n").unwrap();

    // dvc collects a copy of the remote and a copy of the cache ...
    let other = repo.temp_dir().join("other");
    copy_dir(&remote, &other);
    let cache_backup = repo.temp_dir().join("cache-backup");
    copy_dir(&repo.path(".dvc/cache"), &cache_backup);
    run(repo
        .dv()
        .args(["remote", "add", "other", other.to_str().unwrap()]))
    .success();
    let expected = dvc(&repo, &["gc", "-w", "-c", "-f", "-r", "other"]);
    expected.success();
    assert_eq!(
        expected.stdout,
        "Removed 3 objects from repo cache.\nNo unused 'legacy' cache to remove.\n\
         Removed 3 objects from remote.\nRemoved 1 objects from remote.\n",
        "{expected}"
    );
    let cache_after_dvc = objects(&repo.path(".dvc/cache"));

    // ... dv the original ones.
    std::fs::remove_dir_all(repo.path(".dvc/cache")).unwrap();
    copy_dir(&cache_backup, &repo.path(".dvc/cache"));
    let out = dv(&repo, &["gc", "-w", "-c", "-f"]);
    assert_eq!(out, expected);
    assert_eq!(files_skipping(&remote, &[]), files_skipping(&other, &[]));
    assert_eq!(objects(&repo.path(".dvc/cache")), cache_after_dvc);
    assert!(remote.join("runs/ab/cd/entry").exists());

    // Nothing left to collect; the remote still serves the workspace. Unlike dvc, which
    // deletes every file in a shard directory that is not a used object, dv leaves temporary
    // files (another push may be writing them) and other non-object names alone.
    let temporary = remote.join("files/md5/b1/.0123abcd.tmp");
    std::fs::write(&temporary, "unfinished\n").unwrap();
    let out = dv(&repo, &["gc", "-w", "-c", "-f", "-r", "store"]);
    assert!(temporary.exists());
    assert_eq!(out, dvc(&repo, &["gc", "-w", "-c", "-f", "-r", "other"]));
    assert_eq!(
        out.stdout,
        "No unused 'repo' cache to remove.\nNo unused 'legacy' cache to remove.\n\
         No unused cache to remove from remote.\nNo unused cache to remove from remote.\n"
    );
    assert_eq!(
        dvc(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );
}

#[test]
fn gc_cloud_without_a_usable_remote_fails_like_dvc() {
    let repo = hello_repo();
    for args in [
        &["gc", "-w", "-c", "-f"][..],
        &["gc", "-w", "-c", "-f", "-r", "nope"],
    ] {
        assert_eq!(dv(&repo, args), dvc(&repo, args), "{args:?}");
    }
    let remote = repo.temp_dir().join("remote");
    run(repo
        .dv()
        .args(["remote", "add", "store", remote.to_str().unwrap()]))
    .success();
    let args = &["gc", "-w", "-c", "-f"];
    assert_eq!(dv(&repo, args), dvc(&repo, args));
    assert!(repo.exists(".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184"));
}

#[test]
fn s3_gc_cloud_deletes_unused_objects_in_a_batch() {
    let server = s3_with_bucket();
    let repo = TestRepo::new();
    write_corpus(&repo);
    init_and_add(&repo, "dv", TARGETS);
    repo.use_s3_remote("bucket", &server.endpoint);
    dv(&repo, &["push"]).success();
    server.put_object("bucket", "store/runs/ab/cd/entry", b"run cache\n");
    std::fs::remove_file(repo.path("data.dvc")).unwrap();
    let out = dv(&repo, &["gc", "-w", "-c", "-f"]);
    assert_eq!(
        out.stdout,
        "Removed 5 objects from repo cache.\nNo unused 'legacy' cache to remove.\n\
         Removed 5 objects from remote.\nNo unused cache to remove from remote.\n",
        "{out}"
    );
    let expected: Vec<String> = objects(&repo.path(".dvc/cache"))
        .into_iter()
        .map(|(name, _)| format!("store/{name}"))
        .chain(["store/runs/ab/cd/entry".to_owned()])
        .collect();
    let mut keys = server.list_keys("bucket", "store/");
    keys.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(
        dvc(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );
}
