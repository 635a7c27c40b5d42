//! Hostile repositories: each attack is built as a git repository by an "attacker", cloned by a
//! "victim", and the victim runs the everyday commands (`status`, `checkout`, `pull`, `dag`,
//! `repro --dry`, `add`). dv must refuse with a clear `ERROR:` and a non-zero exit, and leave
//! everything outside the clone, `.git` and `.dvc/config` exactly as they were.

use std::path::{Path, PathBuf};

use dv_test::{TestRepo, files_under, run};

/// The attacker's repository: a tracked file `f` ("payload") pushed to a local remote that is
/// committed inside the repository (`store/`), so a clone can pull without any network.
fn attacker() -> TestRepo {
    let repo = TestRepo::new();
    let dv = |args: &[&str]| {
        run(repo.dv().args(args)).success();
    };
    dv(&["init", "-q"]);
    repo.write("f", "#!/bin/sh\necho pwned > /tmp/dv-pwned\n");
    repo.write("tree/a.txt", "a\n");
    repo.write("tree/sub/b.txt", "b\n");
    dv(&["add", "-q", "f", "tree"]);
    dv(&["remote", "add", "-d", "store", "../store"]);
    dv(&["push", "-q"]);
    repo
}

/// A `.dvc` file tracking the object of `f` at `path`.
fn hostile_dvc(attacker: &TestRepo, path: &str) -> String {
    attacker
        .read("f.dvc")
        .replace("path: f", &format!("path: {path}\n  isexec: true"))
}

/// Commits everything of the attacker's repository (the store included) and clones it.
fn publish(attacker: &TestRepo) -> TestRepo {
    attacker.git(&["add", "-A", "-f"]);
    attacker.git(&["commit", "-q", "-m", "innocent-looking change"]);
    attacker.git_clone()
}

/// What must not change: everything in the victim's temporary directory outside its
/// workspace (home, config, the attacker's side), the victim's `.git` (but its index, which
/// git refreshes), and the `.dvc` config files.
fn guarded(victim: &TestRepo, attacker: &TestRepo) -> Vec<(String, Vec<u8>)> {
    let mut files = listing(victim.temp_dir(), &["work"]);
    files.extend(listing(&victim.path(".git"), &["index"]));
    files.extend(listing(&victim.path(".dvc"), &["tmp", "cache"]));
    files.extend(listing(attacker.temp_dir(), &["work"]));
    files
}

/// Every entry under `dir` but the top-level names in `skip`: files with their bytes, links
/// with their target (never followed), directories by name.
fn listing(dir: &Path, skip: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if skip.contains(&rel.as_str()) {
                continue;
            }
            let shown = path.to_string_lossy().into_owned();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            if metadata.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.push((shown, target.to_string_lossy().as_bytes().to_vec()));
            } else if metadata.is_dir() {
                out.push((shown, Vec::new()));
                stack.push(path);
            } else {
                out.push((shown, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Runs `args` in the victim and asserts a refusal: non-zero exit, an `ERROR:` line that
/// contains `mention`, nothing guarded changed and no hook installed.
#[track_caller]
fn refused(victim: &TestRepo, attacker: &TestRepo, args: &[&str], mention: &str) {
    let before = guarded(victim, attacker);
    let out = run(victim.dv().args(args));
    assert_ne!(out.code, 0, "dv {args:?} should refuse:\n{out}");
    assert!(
        out.stderr
            .lines()
            .any(|line| line.starts_with("ERROR: ") && line.contains(mention)),
        "dv {args:?} should say ERROR: ... {mention}:\n{out}"
    );
    assert!(
        !out.stderr.contains("unexpected error"),
        "dv {args:?} failed unexpectedly:\n{out}"
    );
    assert_eq!(
        names(&before),
        names(&guarded(victim, attacker)),
        "dv {args:?} changed files outside the workspace"
    );
    assert!(
        before == guarded(victim, attacker),
        "dv {args:?} changed guarded content"
    );
    assert!(!victim.path(".git/hooks/post-checkout").exists());
    assert!(!Path::new("/tmp/dv-pwned").exists());
}

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(name, _)| name.as_str()).collect()
}

const EVERYDAY: &[&[&str]] = &[
    &["status"],
    &["dag"],
    &["checkout"],
    &["checkout", "-f"],
    &["pull"],
    &["pull", "-f"],
    &["fetch"],
    &["push"],
];

#[test]
fn dvc_file_outputs_outside_the_repository_or_in_git_and_dvc_are_refused() {
    let attacker = attacker();
    let outside = attacker.temp_dir().join("victim-file");
    let absolute = outside.to_str().unwrap().to_owned();
    for (path, mention) in [
        (".git/hooks/post-checkout", "'.git'"),
        ("sub/../.git/config", "'.git'"),
        (".git", "'.git'"),
        (".dvc", "'.dvc'"),
        (".dvc/config", "'.dvc'"),
        (".dvc/cache/files/md5/00", "'.dvc'"),
        ("../../outside", "outside of the repository"),
        (absolute.as_str(), "outside of the repository"),
    ] {
        let attacker = self::attacker();
        attacker.write("hook.dvc", hostile_dvc(&attacker, path));
        let victim = publish(&attacker);
        for args in EVERYDAY {
            refused(&victim, &attacker, args, mention);
        }
        refused(&victim, &attacker, &["status", "hook.dvc"], "hook.dvc");
        assert!(!outside.exists());
    }
}

#[test]
fn a_cache_directory_inside_the_workspace_is_no_place_for_outputs() {
    let attacker = attacker();
    run(attacker.dv().args(["config", "cache.dir", "mycache"])).success();
    attacker.write("hook.dvc", hostile_dvc(&attacker, "mycache/files/md5/ab"));
    let victim = publish(&attacker);
    refused(&victim, &attacker, &["status"], "cache directory");
    refused(&victim, &attacker, &["pull"], "cache directory");
}

#[test]
fn pipeline_outputs_outside_the_repository_or_in_git_are_refused() {
    for (out, mention) in [
        ("../evil", "outside of the repository"),
        (".git/hooks/post-checkout", "'.git'"),
        ("sub/../.dvc/config", "'.dvc'"),
    ] {
        let attacker = attacker();
        let md5 = attacker
            .read("f.dvc")
            .lines()
            .find_map(|line| line.strip_prefix("- md5: ").map(str::to_owned))
            .unwrap();
        attacker.write(
            "dvc.yaml",
            format!("stages:\n  s:\n    cmd: cp f out\n    outs:\n    - {out}\n"),
        );
        attacker.write(
            "dvc.lock",
            format!(
                "schema: '2.0'\nstages:\n  s:\n    cmd: cp f out\n    outs:\n    - path: {out}\n      hash: md5\n      md5: {md5}\n      size: 38\n      isexec: true\n"
            ),
        );
        let victim = publish(&attacker);
        for args in EVERYDAY {
            refused(&victim, &attacker, args, mention);
        }
        refused(&victim, &attacker, &["repro", "--dry"], mention);
        refused(&victim, &attacker, &["repro"], mention);
        assert!(!attacker.temp_dir().join("evil").exists());
        assert!(!victim.temp_dir().join("evil").exists());
    }
}

/// A committed symbolic link above an output would carry the write to wherever it points.
#[test]
fn outputs_below_a_committed_symlink_are_refused() {
    let attacker = attacker();
    let elsewhere = attacker.temp_dir().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, attacker.path("link")).unwrap();
    attacker.write("hook.dvc", hostile_dvc(&attacker, "link/payload"));
    let victim = publish(&attacker);
    for args in [&["checkout"][..], &["pull"], &["checkout", "-f"]] {
        refused(&victim, &attacker, args, "symbolic link 'link'");
    }
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

/// An output that is itself a symbolic link to a directory is replaced by the tracked
/// directory; nothing is read, removed or written through the link.
#[test]
fn a_directory_output_that_is_a_symlink_is_replaced_not_emptied() {
    let attacker = attacker();
    let precious = attacker.temp_dir().join("precious");
    std::fs::create_dir_all(&precious).unwrap();
    std::fs::write(precious.join("thesis.tex"), "years of work\n").unwrap();
    std::fs::write(precious.join("a.txt"), "mine\n").unwrap();
    std::fs::remove_dir_all(attacker.path("tree")).unwrap();
    std::os::unix::fs::symlink(&precious, attacker.path("tree")).unwrap();
    attacker.write(".gitignore", "");
    let victim = publish(&attacker);
    assert!(victim.path("tree").is_symlink());
    for args in [&["checkout", "-f"][..], &["pull", "-f"]] {
        run(victim.dv().args(args)).success();
        assert!(!victim.path("tree").is_symlink(), "dv {args:?}");
        assert_eq!(victim.read("tree/sub/b.txt"), "b\n");
        assert_eq!(
            files_under(&precious),
            vec![
                ("a.txt".to_owned(), b"mine\n".to_vec()),
                ("thesis.tex".to_owned(), b"years of work\n".to_vec()),
            ]
        );
        std::fs::remove_dir_all(victim.path("tree")).unwrap();
        std::os::unix::fs::symlink(&precious, victim.path("tree")).unwrap();
    }
}

/// `.dvc/tmp/lock` (or `.dvc/tmp`) committed as a link: taking the lock would truncate the
/// target on every command, read-only ones included.
#[test]
fn a_symlinked_lock_file_or_tmp_directory_is_refused() {
    for linked in [".dvc/tmp/lock", ".dvc/tmp"] {
        let attacker = attacker();
        let target = attacker.temp_dir().join("bashrc");
        std::fs::write(&target, "export PATH\n").unwrap();
        let link = attacker.path(linked);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        if link.is_dir() {
            std::fs::remove_dir_all(&link).unwrap();
        } else if link.exists() {
            std::fs::remove_file(&link).unwrap();
        }
        let points_to: PathBuf = if linked.ends_with("lock") {
            target.clone()
        } else {
            attacker.temp_dir().to_path_buf()
        };
        std::os::unix::fs::symlink(points_to, &link).unwrap();
        let victim = publish(&attacker);
        assert!(victim.path(linked).is_symlink());
        for args in [&["status"][..], &["dag"], &["checkout"]] {
            refused(&victim, &attacker, args, "is a symbolic link");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "export PATH\n");
        assert!(!attacker.temp_dir().join("lock").exists());
    }
}

/// `dv add` through a symlinked directory writes nothing: not the `.dvc` file, not a
/// `.gitignore`, not the cache (dvc refuses with the same message).
#[test]
fn add_through_a_symlinked_directory_writes_nothing() {
    let attacker = attacker();
    let elsewhere = attacker.temp_dir().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("data")).unwrap();
    std::fs::write(elsewhere.join("data/x"), "x\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, attacker.path("x")).unwrap();
    let victim = publish(&attacker);
    refused(
        &victim,
        &attacker,
        &["add", "x/data"],
        "Cannot add files inside symlinked directories",
    );
    assert_eq!(
        files_under(&elsewhere),
        vec![("data/x".to_owned(), b"x\n".to_vec())]
    );
}

/// A committed link to nothing where an output goes is a deleted output (checkout replaces the
/// link); a link to a device, or a FIFO, is refused at once instead of being read forever.
#[test]
fn dangling_and_special_files_at_output_paths() {
    let attacker = attacker();
    std::fs::remove_file(attacker.path("f")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/dv-target", attacker.path("f")).unwrap();
    attacker.write(".gitignore", "");
    let victim = publish(&attacker);
    let status = run(victim.dv().arg("status"));
    status.success();
    assert!(status.stdout.contains("deleted:            f"), "{status}");
    run(victim.dv().arg("pull")).success();
    assert!(!victim.path("f").is_symlink());
    assert!(victim.read("f").contains("pwned"));

    victim.git(&["rm", "-q", "--cached", "f"]);
    for special in ["/dev/zero", "fifo"] {
        std::fs::remove_file(victim.path("f")).unwrap();
        if special == "fifo" {
            let made = std::process::Command::new("mkfifo")
                .arg(victim.path("f"))
                .status()
                .unwrap();
            assert!(made.success());
        } else {
            std::os::unix::fs::symlink(special, victim.path("f")).unwrap();
        }
        for args in [&["status"][..], &["add", "f"], &["commit", "-f"]] {
            let started = std::time::Instant::now();
            refused(
                &victim,
                &attacker,
                args,
                "is not a regular file or directory",
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(20));
        }
    }
}

/// A checkout killed with `kill -9` leaves its temporary (`.<random>.tmp`) inside a tracked
/// directory: the next checkout removes it without asking, while a file of the user's with a
/// similar name still needs `--force`.
#[test]
fn a_killed_checkouts_leftover_is_removed_by_the_next_checkout() {
    let repo = attacker();
    repo.write("tree/.AbCdEfGhIjKlMnOpQrStUv.tmp", "half a file");
    run(repo.dv().arg("checkout")).success();
    assert!(!repo.exists("tree/.AbCdEfGhIjKlMnOpQrStUv.tmp"));
    assert_eq!(
        run(repo.dv().arg("status")).stdout,
        "Data and pipelines are up to date.\n"
    );
    repo.write("tree/.notes.tmp", "mine");
    let out = run(repo.dv().arg("checkout"));
    assert_ne!(out.code, 0, "{out}");
    assert!(repo.exists("tree/.notes.tmp"));
}
