//! `get`, `import`, `update`, `fetch`/`pull` of paths of other repositories: a source
//! registry made by dvc (a tracked directory and file, a git-only file, a local remote, two
//! tagged versions), twin importing repositories where dv and dvc run the same commands and
//! must agree (output, exit code, `.dvc` files byte for byte, `.gitignore`, cache), interop both
//! ways, the clone cache, and hostile sources.

use dv_test::twins::{Twins, normalized, sh};
use dv_test::{Outcome, TestRepo, run};

/// The source registry: `data/` (`a.txt`, `sub/b.txt`) and `model.bin` tracked and pushed to
/// `../remote` (configured with its absolute path, which dvc needs to read a clone), `README.md` in git; tagged `v1`, then `data/a.txt` changed and tagged `v2`.
fn registry() -> TestRepo {
    let source = TestRepo::new();
    sh(
        &source,
        "$DVC init -q && mkdir -p data/sub && echo a > data/a.txt && echo b > data/sub/b.txt \
         && echo model > model.bin && echo readme > README.md && $DVC add -q data model.bin \
         && $DVC remote add -q -d store \"$(cd .. && pwd)/remote\" && $DVC push -q && git add -A \
         && git commit -qm one && git tag v1 && echo a2 > data/a.txt && $DVC add -q data \
         && $DVC push -q && git commit -qam two && git tag v2",
    );
    source
}

/// DVC names the files to `git add` in a random order: sort them.
fn hint_sorted(mut outcome: Outcome) -> Outcome {
    let lines: Vec<String> = outcome
        .stdout
        .lines()
        .map(|line| match line.strip_prefix("\tgit add ") {
            Some(files) => {
                let mut files: Vec<&str> = files.split(' ').collect();
                files.sort_unstable();
                format!("\tgit add {}", files.join(" "))
            }
            None => line.to_owned(),
        })
        .collect();
    outcome.stdout = lines.join("\n")
        + if outcome.stdout.ends_with('\n') {
            "\n"
        } else {
            ""
        };
    outcome
}

/// The same outcome from `dv args` and `dvc args` (the `git add` hint sorted).
#[track_caller]
fn same(twins: &Twins, args: &[&str]) -> Outcome {
    let (ours, theirs) = twins.both_in(".", args);
    let (ours, theirs) = (hint_sorted(ours), hint_sorted(theirs));
    assert_eq!(ours, theirs, "`{}`", args.join(" "));
    ours
}

fn url(source: &TestRepo) -> String {
    source.root().display().to_string()
}

#[test]
fn import_writes_the_files_dvc_writes() {
    let source = registry();
    let url = url(&source);
    let file_url = format!("file://{url}");
    let twins = Twins::new("git commit -qm init");
    for args in [
        &["import", &url, "data", "-o", "imp"][..],
        &["import", &url, "data/sub", "--rev", "v1"],
        &["import", &url, "data/a.txt", "-o", "a1.txt", "--rev", "v1"],
        &["import", &url, "README.md"],
        &["import", &url, "model.bin", "-o", "nd.bin", "--no-download"],
        &["import", &url, "model.bin", "-o", "ne.bin", "--no-exec"],
        &["import", &file_url, "data", "-o", "fimp", "--rev", "v1"],
        &["import", &file_url, "model.bin", "-o", "head.bin"],
    ] {
        same(&twins, args);
    }
    for file in [
        "imp.dvc",
        "sub.dvc",
        "a1.txt.dvc",
        "README.md.dvc",
        "nd.bin.dvc",
        "ne.bin.dvc",
        "fimp.dvc",
        "head.bin.dvc",
        ".gitignore",
        "imp/a.txt",
        "sub/b.txt",
        "a1.txt",
        "fimp/a.txt",
        "README.md",
        "head.bin",
    ] {
        twins.same_file(file);
    }
    assert_eq!(twins.ours.read("fimp/a.txt"), "a\n");
    twins.same_cache();
    // Errors: an existing output, a revision or path the source lacks, a target inside an
    // output directory that git ignores.
    same(&twins, &["import", &url, "data", "-o", "imp"]);
    same(&twins, &["import", &url, "data/a.txt", "--rev", "nosuch"]);
    same(&twins, &["import", &url, "model.bin", "-o", "head.bin"]);
    same(
        &twins,
        &["import", &url, "model.bin", "-o", "head.bin", "-f"],
    );
    twins.same_file("head.bin.dvc");
    let (ours, theirs) = twins.both_in(".", &["import", &url, "nope"]);
    // dvc fails with an unexpected error (255); dv names the path.
    assert_eq!((ours.code, theirs.code), (1, 255), "{ours}\n{theirs}");
    assert!(
        ours.stderr.contains(&format!(
            "ERROR: failed to import 'nope' from '{url}'. - [Errno 2] No such file or \
             directory: '{url}/nope'"
        )),
        "{ours}"
    );
    let missing = source.temp_dir().join("nowhere").display().to_string();
    let (ours, theirs) = twins.both_in(".", &["import", &missing, "data"]);
    assert_eq!(ours.code, theirs.code);
    let prefix =
        format!("ERROR: failed to import 'data' - SCM error: Failed to clone repo '{missing}'");
    assert!(ours.stderr.starts_with(&prefix), "{ours}");
    assert!(theirs.stderr.starts_with(&prefix), "{theirs}");
    assert!(
        ours.stderr
            .ends_with(&format!("No git repository was found at {missing}\n")),
        "{ours}"
    );
    // Both repositories are readable by the other tool.
    twins.each("git add -A && git commit -qm imports");
    run(twins.ours.dvc().arg("status")).success();
    run(twins.theirs.dv().arg("status")).success();
}

#[test]
fn update_fetch_and_pull_work_both_ways() {
    let source = registry();
    let url = url(&source);
    let twins = Twins::new("git commit -qm init");
    same(
        &twins,
        &["import", &url, "data", "-o", "imp", "--rev", "v1"],
    );
    same(&twins, &["import", &url, "data/sub"]);
    same(
        &twins,
        &["import", &url, "model.bin", "-o", "nd.bin", "--no-download"],
    );
    twins.each("git add -A && git commit -qm imports");
    same(&twins, &["update", "sub.dvc"]);
    same(&twins, &["update", "imp.dvc"]);
    same(&twins, &["update", "imp.dvc", "--rev", "v2"]);
    twins.same_file("imp.dvc");
    assert_eq!(twins.ours.read("imp/a.txt"), "a2\n");
    same(&twins, &["update", "nd.bin.dvc"]);
    twins.same_file("nd.bin.dvc");
    // The source moves on: `update` follows its HEAD.
    sh(
        &source,
        "echo c > data/sub/c.txt && $DVC add -q data && $DVC push -q && git add -A \
         && git commit -qm three",
    );
    same(&twins, &["update", "sub.dvc"]);
    twins.same_file("sub.dvc");
    // dv keeps the manifest of the source's `data/` it read to find `data/sub`; dvc does not.
    let objects = |repo: &TestRepo| dv_test::cache_objects(repo).into_iter().map(|(p, _)| p);
    let ours: Vec<String> = objects(&twins.ours).collect();
    for object in objects(&twins.theirs) {
        assert!(ours.contains(&object), "{object} missing from {ours:?}");
    }
    // A fresh clone of each: `pull` fetches the imports from the source.
    for (repo, tool) in [(&twins.ours, "dv"), (&twins.theirs, "dvc")] {
        sh(repo, "git add -A && git commit -qm updated");
        let clone = repo.git_clone();
        let mut command = match tool {
            "dv" => clone.dv(),
            _ => clone.dvc(),
        };
        let pulled = normalized(run(command.arg("pull")).redacted(&clone));
        assert_eq!(pulled.code, 0, "{tool}: {pulled}");
        assert!(pulled.stdout.contains("A       imp/\n"), "{tool}: {pulled}");
        assert_eq!(clone.read("imp/a.txt"), "a2\n");
        assert_eq!(clone.read("sub/c.txt"), "c\n");
        assert_eq!(clone.read("nd.bin"), "model\n");
        // The other tool reads what this one pulled, and says what this one says.
        let ours = run(clone.dv().arg("status")).redacted(&clone);
        let theirs = run(clone.dvc().arg("status")).redacted(&clone);
        assert_eq!(ours, theirs, "{tool}");
        assert!(
            ours.stdout.contains("update available:   model.bin ("),
            "{ours}"
        );
    }
}

#[test]
fn get_copies_what_dvc_copies() {
    let source = registry();
    let url = url(&source);
    let twins = Twins::new("git commit -qm init");
    for args in [
        &["get", &url, "data", "-o", "g1"][..],
        &["get", &url, "data/sub/b.txt", "--rev", "v1"],
        &["get", &url, "README.md", "-o", "r.md"],
        &["get", &url, "model.bin"],
        &["get", &url, "data/sub", "-o", "g1"],
        &["get", &url, "model.bin"],
        &["get", &url, "model.bin", "-f"],
        &["get", &url, "data/a.txt", "--rev", "v1", "--show-url"],
        &["get", &url, "data", "--show-url"],
        &["get", &url, "data/a.txt", "--rev", "nosuch"],
    ] {
        same(&twins, args);
    }
    for file in [
        "g1/a.txt",
        "g1/sub/b.txt",
        "g1/sub/sub/b.txt",
        "b.txt",
        "r.md",
        "model.bin",
    ] {
        twins.same_file(file);
    }
    // Ordinary files, not read-only links into a cache.
    let meta = std::fs::metadata(twins.ours.path("g1/a.txt")).unwrap();
    assert!(!meta.permissions().readonly());
    // No scratch directory is left behind.
    let names: Vec<String> = std::fs::read_dir(twins.ours.root())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|name| name.contains("dv-get")),
        "{names:?}"
    );
    // Outside any repository too.
    let outside = TestRepo::without_git();
    let got = run(outside.dv().args(["get", &url, "data"]));
    assert_eq!(got.code, 0, "{got}");
    assert_eq!(outside.read("data/a.txt"), "a2\n");
}

#[test]
fn the_clone_cache_serves_the_second_call_without_cloning() {
    let source = registry();
    let url = format!("file://{}", url(&source));
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    run(repo.dv().args(["get", &url, "model.bin", "--rev", "v1"])).success();
    let site = repo.temp_dir().join("site-cache");
    let clones: Vec<_> = std::fs::read_dir(&site)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("dv-clones-")
        })
        .collect();
    assert_eq!(clones.len(), 1, "{site:?}");
    let entries: Vec<_> = std::fs::read_dir(clones[0].path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
    let git_dir = entries[0].as_ref().unwrap().path().join("git");
    let inode = |path: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().ino()
    };
    let before = inode(&git_dir);
    // The source is unreachable: a commit the clone has still works (its data comes from the
    // source's remote).
    let commit = source.git(&["rev-parse", "v1"]);
    let moved = source.temp_dir().join("moved");
    std::fs::rename(source.root(), &moved).unwrap();
    let imported = run(repo
        .dv()
        .args(["import", &url, "data", "--rev", commit.trim()]));
    std::fs::rename(&moved, source.root()).unwrap();
    assert_eq!(imported.code, 0, "{imported}");
    assert_eq!(inode(&git_dir), before, "cloned again");
    assert_eq!(repo.read("data/a.txt"), "a\n");
}

/// A source whose `.dir` manifest names a path outside the output, and whose git files
/// include a link to a file outside the source: nothing is written outside `-o`, nothing
/// outside the source is read.
#[test]
fn hostile_sources_write_nothing_outside_the_output() {
    let source = registry();
    let url = url(&source);
    // A link in git to a file outside the source.
    let secret = source.temp_dir().join("secret.txt");
    std::fs::write(&secret, "secret\n").unwrap();
    std::os::unix::fs::symlink(&secret, source.path("leak.txt")).unwrap();
    sh(&source, "git add leak.txt && git commit -qm leak");
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    let got = run(repo.dv().args(["get", &url, "leak.txt"]));
    assert_eq!(got.code, 1, "{got}");
    assert!(
        got.stderr.contains("outside the source repository"),
        "{got}"
    );
    assert!(!repo.exists("leak.txt"));
    // A manifest escaping its directory, put in the source's cache and remote under its
    // true hash.
    let manifest =
        r#"[{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "../../escaped.txt"}]"#;
    let md5 = md5_hex(manifest.as_bytes());
    for root in [
        source.path(".dvc/cache/files/md5"),
        source.temp_dir().join("remote/files/md5"),
    ] {
        let dir = root.join(&md5[..2]);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{}.dir", &md5[2..])), manifest).unwrap();
    }
    source.write(
        "evil.dvc",
        format!("outs:\n- md5: {md5}.dir\n  size: 2\n  nfiles: 1\n  hash: md5\n  path: evil\n"),
    );
    sh(&source, "git add evil.dvc && git commit -qm evil");
    let got = run(repo.dv().args(["get", &url, "evil", "-o", "out/evil"]));
    assert_ne!(got.code, 0, "{got}");
    assert!(!repo.temp_dir().join("escaped.txt").exists());
    assert!(!repo.path("escaped.txt").exists());
    let imported = run(repo.dv().args(["import", &url, "evil"]));
    assert_ne!(imported.code, 0, "{imported}");
    assert!(!repo.temp_dir().join("escaped.txt").exists());
    assert!(!repo.exists("evil.dvc"));
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest as _, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn two_processes_share_one_clone() {
    let source = registry();
    let url = format!("file://{}", url(&source));
    let repo = TestRepo::without_git();
    let spawn = |out: &str| {
        repo.dv_process()
            .args(["get", &url, "data", "--rev", "v1", "-o", out])
            .spawn()
            .unwrap()
    };
    let (mut first, mut second) = (spawn("one"), spawn("two"));
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    assert_eq!(repo.read("one/a.txt"), "a\n");
    assert_eq!(repo.read("two/sub/b.txt"), "b\n");
    let site = repo.temp_dir().join("site-cache");
    let clones = std::fs::read_dir(&site)
        .unwrap()
        .filter_map(Result::ok)
        .find(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("dv-clones-")
        })
        .unwrap();
    assert_eq!(std::fs::read_dir(clones.path()).unwrap().count(), 1);
}

#[test]
fn remote_options_are_recorded_and_used_like_dvc() {
    let source = registry();
    // A second remote holding the same objects, chosen with `--remote`; options for it with
    // `--remote-config`.
    sh(
        &source,
        "$DVC remote add -q other \"$(cd .. && pwd)/other\" && $DVC push -q -r other \
         && git add -A && git commit -qm other",
    );
    // Only `other` has the data: neither the default remote nor the source's cache.
    std::fs::remove_dir_all(source.temp_dir().join("remote")).unwrap();
    std::fs::remove_dir_all(source.path(".dvc/cache")).unwrap();
    let url = format!("file://{}", url(&source));
    let twins = Twins::new("git commit -qm init");
    same(&twins, &["import", &url, "model.bin", "--remote", "other"]);
    twins.same_file("model.bin.dvc");
    assert!(
        twins
            .ours
            .read("model.bin.dvc")
            .contains("  remote: other\n")
    );
    same(
        &twins,
        &[
            "import",
            &url,
            "data",
            "--remote",
            "other",
            "--remote-config",
            "jobs=2",
        ],
    );
    twins.same_file("data.dvc");
    assert_eq!(twins.ours.read("data/a.txt"), "a2\n");
    // Fresh clones pull through the recorded remote.
    twins.each("git add -A && git commit -qm imports");
    let clone = twins.ours.git_clone();
    let pulled = run(clone.dv().arg("pull"));
    assert_eq!(pulled.code, 0, "{pulled}");
    assert_eq!(clone.read("model.bin"), "model\n");
}

/// A `.dvc` file of a cloned repository chooses the source URL: option injection into git
/// and git's command-running `ext::` transport run nothing.
#[test]
fn hostile_source_urls_run_nothing() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    let marker = repo.temp_dir().join("pwned");
    let marker = marker.display();
    for url in [
        format!("--upload-pack=touch {marker}"),
        format!("ext::sh -c touch% {marker}"),
        format!("-oProxyCommand=touch {marker}"),
    ] {
        let text = format!(
            "md5: 0\nfrozen: true\ndeps:\n- path: f\n  repo:\n    url: '{url}'\n    rev_lock: \
             {}\nouts:\n- md5: 9a8ad92c50cae39aa2c5604fd0ab6d8c\n  size: 2\n  hash: md5\n  path: f\n",
            "a".repeat(40)
        );
        repo.write("f.dvc", text);
        for args in [&["pull"][..], &["update", "f.dvc"], &["status"]] {
            let outcome = run(repo.dv().args(args));
            assert_ne!(outcome.code, 0, "{args:?}: {outcome}");
        }
        let got = run(repo.dv().args(["get", &url, "f"]));
        assert_ne!(got.code, 0, "{got}");
        assert!(!repo.temp_dir().join("pwned").exists(), "{url}");
    }
}
