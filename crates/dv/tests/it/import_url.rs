//! `dv import-url` and `dv update` against the real dvc: the same `.dvc` and `.gitignore`
//! files for local, S3 (plain `s3://` and `remote://NAME/...` with an endpoint and `--local`
//! keys) and HTTP sources, each tool reading the other's imports clean, batch registration
//! writing exactly what single calls write, and dvc's errors for bad input.
//!
//! The S3 tests need the pinned `moto_server` (`DV_VENV_DIR`, see `dv_test::venv`).

use crate::support::{
    add_s3_source_remote, commit_all, dv, dvc, external_tree, initialised_twins, s3_source,
    sorted_lines, twins_with_s3_source, write_file,
};
use dv_test::{HttpServer, Outcome, S3Server, TestRepo, run};

/// Every `.dvc` and `.gitignore` file of the repository (relative path → text), sorted.
fn metafiles(repo: &TestRepo) -> Vec<(String, String)> {
    dv_test::files_under(repo.root())
        .into_iter()
        .filter(|(name, _)| {
            !name.starts_with(".dvc/")
                && !name.starts_with(".git/")
                && (name.ends_with(".dvc") || name.ends_with(".gitignore"))
        })
        .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
        .collect()
}

/// The workspace files outside `.dvc/` and `.git/`.
fn data_files(repo: &TestRepo) -> Vec<(String, Vec<u8>)> {
    dv_test::files_under(repo.root())
        .into_iter()
        .filter(|(name, _)| !name.starts_with(".dvc/") && !name.starts_with(".git/"))
        .collect()
}

#[test]
fn local_file_and_directory_imports_match_dvc_both_ways() {
    let (ours, theirs) = initialised_twins();
    let ext = ours.temp_dir().join("ext");
    let (file, dir) = external_tree(&ext, "file.txt", "external\n");
    let steps: &[&[&str]] = &[
        &["import-url", &file],
        &["import-url", &dir, "imported_dir"],
        &["import-url", "--no-download", &file, "nodl.txt"],
    ];
    for step in steps {
        let a = run(ours.dv().args(*step)).redacted(&ours);
        let b = run(theirs.dvc().args(*step)).redacted(&ours);
        assert_eq!(a.code, b.code, "{a}\n{b}");
        assert_eq!(a.stdout.lines().next(), b.stdout.lines().next(), "{a}\n{b}");
    }
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    assert_eq!(data_files(&ours), data_files(&theirs));

    // Each tool reads the other's imports: frozen, so only the missing no-download output.
    for (repo, label) in [(&ours, "dvc on dv's"), (&theirs, "dv on dvc's")] {
        let out = if label.starts_with("dvc") {
            dvc(repo, &["status"])
        } else {
            dv(repo, &["status"])
        };
        assert_eq!(
            out.stdout, "nodl.txt.dvc:\n\tchanged outs:\n\t\tdeleted:            nodl.txt\n",
            "{label}: {out}"
        );
        assert_eq!(
            sorted_lines(&out.stderr),
            sorted_lines(
                "WARNING: stage: 'file.txt.dvc' is frozen. Its dependencies are not going to be shown in the status output.\n\
                 WARNING: stage: 'imported_dir.dvc' is frozen. Its dependencies are not going to be shown in the status output.\n\
                 WARNING: stage: 'nodl.txt.dvc' is frozen. Its dependencies are not going to be shown in the status output.\n"
            ),
            "{label}: {out}"
        );
    }

    // `update` downloads the no-download import and rewrites the file as dvc does; an
    // unchanged import is skipped.
    for step in [&["update", "nodl.txt.dvc"][..], &["update", "file.txt.dvc"]] {
        let a = run(ours.dv().args(step)).redacted(&ours);
        let b = run(theirs.dvc().args(step)).redacted(&ours);
        assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
    }
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    write_file(&ext.join("file.txt"), "changed\n");
    write_file(&ext.join("dir/c.txt"), "c\n");
    for step in [&["update", "file.txt.dvc"][..], &["update", "imported_dir"]] {
        let a = run(ours.dv().args(step)).redacted(&ours);
        let b = run(theirs.dvc().args(step)).redacted(&ours);
        assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
    }
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    assert_eq!(data_files(&ours), data_files(&theirs));
    let out = dvc(&ours, &["status", "-q"]);
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn imports_with_a_relative_source_record_it_relative_to_the_dvc_file() {
    let (ours, theirs) = initialised_twins();
    for repo in [&ours, &theirs] {
        write_file(&repo.path("../ext-rel/f.txt"), "f\n");
        std::fs::create_dir_all(repo.path("sub")).unwrap();
    }
    let a = run(ours
        .dv()
        .current_dir(ours.path("sub"))
        .args(["import-url", "../../ext-rel/f.txt"]));
    let b = run(theirs
        .dvc()
        .current_dir(theirs.path("sub"))
        .args(["import-url", "../../ext-rel/f.txt"]));
    assert_eq!(a.code, b.code, "{a}\n{b}");
    assert_eq!(ours.read("sub/f.txt.dvc"), theirs.read("sub/f.txt.dvc"));
    assert!(
        ours.read("sub/f.txt.dvc")
            .contains("path: ../../ext-rel/f.txt")
    );
}

#[test]
fn bad_input_fails_like_dvc_and_writes_nothing() {
    let (ours, theirs) = initialised_twins();
    let ext = ours.temp_dir().join("ext-bad");
    write_file(&ext.join("f.txt"), "f\n");
    let file = ext.join("f.txt").display().to_string();
    let missing = ext.join("missing.txt").display().to_string();
    for repo in [&ours, &theirs] {
        repo.write("exists.txt", "mine\n");
    }
    let steps: &[&[&str]] = &[
        &["import-url", &missing, "m.txt"],
        &["import-url", "foo://a/b", "x.txt"],
        &["import-url", "remote://nope/a", "x.txt"],
        &["import-url", &file, "exists.txt"],
        &["import-url", &file, "../outside.txt"],
        &["import-url", "--to-remote", &file, "r.txt"],
    ];
    for step in steps {
        // The source sits in `ours`' temporary directory: redact both with both.
        let a = run(ours.dv().args(*step)).redacted(&ours).redacted(&theirs);
        let b = run(theirs.dvc().args(*step))
            .redacted(&ours)
            .redacted(&theirs);
        assert_eq!(a.code, b.code, "{step:?}\n{a}\n{b}");
        let last_error = |o: &Outcome| {
            o.stderr
                .lines()
                .find(|l| l.starts_with("ERROR"))
                .map(str::to_owned)
        };
        assert_eq!(last_error(&a), last_error(&b), "{step:?}\n{a}\n{b}");
    }
    assert_eq!(metafiles(&ours), Vec::new());
    assert_eq!(ours.read("exists.txt"), "mine\n");
    assert!(!ours.temp_dir().join("outside.txt").exists());
}

/// [`s3_source`]'s bucket with a small catalog of images besides.
fn s3_catalog() -> S3Server {
    let server = s3_source();
    for i in 0..4 {
        server.put_object(
            "src",
            &format!("cat/img{i}.tif"),
            format!("img{i}").as_bytes(),
        );
    }
    server
}

#[test]
fn s3_imports_through_remote_urls_match_dvc_both_ways() {
    let server = s3_catalog();
    let (ours, theirs) = twins_with_s3_source(&server);
    for repo in [&ours, &theirs] {
        std::fs::create_dir_all(repo.path("data")).unwrap();
    }
    let steps: &[&[&str]] = &[
        &["import-url", "remote://src/data/file.csv", "file.csv"],
        &["import-url", "remote://src/data/dir", "sdir"],
        &[
            "import-url",
            "--no-download",
            "remote://src/cat/img0.tif",
            "data/",
        ],
    ];
    for step in steps {
        let a = dv(&ours, step);
        let b = dvc(&theirs, step);
        assert_eq!(
            (a.code, a.stdout.lines().next()),
            (b.code, b.stdout.lines().next()),
            "{a}\n{b}"
        );
    }
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    assert_eq!(data_files(&ours), data_files(&theirs));
    assert!(
        ours.read("file.csv.dvc")
            .contains("etag: e5ebd4c02cefbe7955977c67ada242b7")
    );

    // Each reads the other's imports clean (apart from the no-download output).
    let expected = "data/img0.tif.dvc:\n\tchanged outs:\n\t\tdeleted:            data/img0.tif\n";
    assert_eq!(dvc(&ours, &["status"]).stdout, expected);
    assert_eq!(dv(&theirs, &["status"]).stdout, expected);

    // A new version of the source: both update to the same file.
    server.put_object("src", "data/file.csv", b"a,b\n3,4\n");
    let a = dv(&ours, &["update", "file.csv.dvc"]);
    let b = dvc(&theirs, &["update", "file.csv.dvc"]);
    assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
    assert_eq!(ours.read("file.csv.dvc"), theirs.read("file.csv.dvc"));
    assert_eq!(ours.read("file.csv"), "a,b\n3,4\n");
    let a = dv(&ours, &["update", "data/img0.tif.dvc"]);
    let b = dvc(&theirs, &["update", "data/img0.tif.dvc"]);
    assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    assert_eq!(data_files(&ours), data_files(&theirs));
}

#[test]
fn s3_imports_push_and_pull_across_tools() {
    let server = s3_catalog();
    server.create_bucket("store");
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    add_s3_source_remote(&repo, &server, "dv", "--project", "--local");
    run(repo
        .dv()
        .args(["import-url", "-q", "remote://src/data/dir", "sdir"]))
    .success();
    run(repo
        .dv()
        .args(["import-url", "-q", "remote://src/data/file.csv"]))
    .success();
    repo.use_s3_remote("store", &server.endpoint);
    run(repo.dv().args(["push", "-q"])).success();
    commit_all(&repo, "imports");

    let clone = repo.git_clone();
    let out = run(clone.dvc().arg("pull").envs(server.credentials_env()));
    out.success();
    assert_eq!(clone.read("sdir/y/z.txt"), "zz\n");
    assert_eq!(clone.read("file.csv"), "a,b\n1,2\n");

    // dvc imports and pushes; dv pulls into a fresh clone.
    run(clone
        .dvc()
        .args(["import-url", "-q", "s3://src/cat/img1.tif"])
        .envs(server.credentials_env())
        .env("AWS_ENDPOINT_URL", &server.endpoint))
    .success();
    run(clone.dvc().arg("push").envs(server.credentials_env())).success();
    commit_all(&clone, "img1");
    let second = clone.git_clone();
    run(second
        .dv()
        .args(["pull", "-q"])
        .envs(server.credentials_env()))
    .success();
    assert_eq!(second.read("img1.tif"), "img1");
    assert_eq!(second.read("sdir/x.txt"), "x\n");
    let out = run(second.dv().arg("status"));
    assert_eq!(out.stdout, "Data and pipelines are up to date.\n", "{out}");
}

#[test]
fn plain_s3_urls_use_the_environment_endpoint_like_dvc() {
    let server = s3_catalog();
    let (ours, theirs) = initialised_twins();
    let args = ["import-url", "--no-download", "s3://src/cat/img2.tif"];
    let env = |cmd: &mut assert_cmd::Command| {
        cmd.envs(server.credentials_env())
            .env("AWS_ENDPOINT_URL", &server.endpoint);
    };
    let mut a = ours.dv();
    env(a.args(args));
    let mut b = theirs.dvc();
    env(b.args(args));
    let (a, b) = (run(&mut a), run(&mut b));
    assert_eq!(
        (a.code, a.stdout.lines().next()),
        (b.code, b.stdout.lines().next()),
        "{a}\n{b}"
    );
    assert_eq!(metafiles(&ours), metafiles(&theirs));
}

#[test]
fn batch_registration_writes_what_single_calls_write() {
    let server = s3_catalog();
    let (ours, theirs) = twins_with_s3_source(&server);
    for repo in [&ours, &theirs] {
        std::fs::create_dir_all(repo.path("data")).unwrap();
    }
    // dvc: one call per object.
    for i in 0..4 {
        let url = format!("remote://src/cat/img{i}.tif");
        run(theirs
            .dvc()
            .args(["import-url", "-q", "--no-download", &url, "data/"]))
        .success();
    }
    // dv: two URLs on the command line, two from a CSV catalog.
    ours.write(
        "catalog.csv",
        "id,location\n2,remote://src/cat/img2.tif\n3,\"remote://src/cat/img3.tif\"\n",
    );
    let out = dv(
        &ours,
        &[
            "import-url",
            "--no-download",
            "remote://src/cat/img0.tif",
            "remote://src/cat/img1.tif",
            "data/",
        ],
    );
    out.success();
    assert!(out.stdout.contains("Imported 2 URLs."), "{out}");
    let out = dv(
        &ours,
        &[
            "import-url",
            "--no-download",
            "--from-list",
            "catalog.csv",
            "--column",
            "location",
            "data",
        ],
    );
    out.success();
    std::fs::remove_file(ours.path("catalog.csv")).unwrap();
    assert_eq!(metafiles(&ours), metafiles(&theirs));

    // One bad URL does not lose the others.
    let out = dv(
        &ours,
        &[
            "import-url",
            "--no-download",
            "-f",
            "remote://src/cat/img0.tif",
            "remote://src/cat/nothere.tif",
            "data/",
        ],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains(
            "ERROR: failed to import remote://src/cat/nothere.tif. You could also try downloading it manually, and adding it with `dvc add`. - dependency 'remote://src/cat/nothere.tif' does not exist"
        ),
        "{out}"
    );
    assert!(
        out.stdout.contains("Imported 1 of 2 URLs; 1 failed."),
        "{out}"
    );
    assert!(!ours.exists("data/nothere.tif.dvc"));
    assert_eq!(metafiles(&ours), metafiles(&theirs));
}

#[test]
fn http_imports_match_dvc_both_ways() {
    let (ours, theirs) = initialised_twins();
    let served = ours.temp_dir().join("served");
    write_file(&served.join("files/model.bin"), "weights\n");
    let server = HttpServer::start(&served);
    let url = format!("{}/files/model.bin", server.url);
    let a = dv(&ours, &["import-url", &url]);
    let b = dvc(&theirs, &["import-url", &url]);
    assert_eq!(
        (a.code, a.stdout.lines().next()),
        (b.code, b.stdout.lines().next()),
        "{a}\n{b}"
    );
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    assert!(
        ours.read("model.bin.dvc").contains("checksum: '\""),
        "{}",
        ours.read("model.bin.dvc")
    );
    assert_eq!(ours.read("model.bin"), "weights\n");
    assert_eq!(dvc(&ours, &["status", "-q"]).code, 0);
    let a = dv(&ours, &["update", "model.bin.dvc"]);
    let b = dvc(&ours, &["update", "model.bin.dvc"]);
    assert_eq!(a.stdout, "'model.bin.dvc' didn't change, skipping\n", "{a}");
    assert_eq!(b.stdout, a.stdout, "{b}");
}

#[test]
fn version_aware_imports_match_dvc() {
    let server = S3Server::start();
    server.create_bucket("vsrc");
    server.enable_versioning("vsrc");
    server.put_object("vsrc", "f.txt", b"v1\n");
    server.put_object("vsrc", "d/a.txt", b"a1\n");
    server.put_object("vsrc", "d/b.txt", b"b1\n");
    let (ours, theirs) = initialised_twins();
    for args in [
        &["import-url", "--version-aware", "s3://vsrc/f.txt", "vf.txt"][..],
        &["import-url", "--version-aware", "s3://vsrc/d", "vd"],
    ] {
        let mut a = ours.dv();
        a.args(args)
            .envs(server.credentials_env())
            .env("AWS_ENDPOINT_URL", &server.endpoint);
        let mut b = theirs.dvc();
        b.args(args)
            .envs(server.credentials_env())
            .env("AWS_ENDPOINT_URL", &server.endpoint);
        let (a, b) = (run(&mut a), run(&mut b));
        assert_eq!(
            (a.code, a.stdout.lines().next()),
            (b.code, b.stdout.lines().next()),
            "{a}\n{b}"
        );
    }
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    assert_eq!(data_files(&ours), data_files(&theirs));
    assert!(ours.read("vf.txt.dvc").contains("version_id: "));
    assert!(ours.read("vf.txt.dvc").contains("push: false"));

    // Version-aware imports are checked although frozen: a new version is an update.
    let status = |repo: &TestRepo, tool: &str, json: bool| {
        let mut command = if tool == "dv" { repo.dv() } else { repo.dvc() };
        command.arg("status");
        if json {
            command.arg("--json");
        }
        command
            .envs(server.credentials_env())
            .env("AWS_ENDPOINT_URL", &server.endpoint);
        run(&mut command)
    };
    assert_eq!(
        status(&ours, "dvc", false).stdout,
        "Data and pipelines are up to date.\n"
    );
    assert_eq!(
        status(&ours, "dv", false).stdout,
        "Data and pipelines are up to date.\n"
    );
    server.put_object("vsrc", "f.txt", b"v2\n");
    server.put_object("vsrc", "d/a.txt", b"a2\n");
    for json in [false, true] {
        for repo in [&ours, &theirs] {
            let a = status(repo, "dv", json);
            let b = status(repo, "dvc", json);
            assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{a}\n{b}");
        }
    }
    assert!(
        status(&ours, "dv", false)
            .stdout
            .contains("update available:   s3://vsrc/f.txt")
    );
}

#[test]
fn pull_downloads_no_download_imports_from_their_source_like_dvc() {
    let server = s3_catalog();
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    add_s3_source_remote(&repo, &server, "dv", "--project", "--local");
    let ext = repo.temp_dir().join("ext-pull");
    write_file(&ext.join("dir/a.txt"), "a\n");
    let dir = ext.join("dir").display().to_string();
    run(repo.dv().args([
        "import-url",
        "-q",
        "--no-download",
        "remote://src/data/file.csv",
    ]))
    .success();
    run(repo
        .dv()
        .args(["import-url", "-q", "--no-download", &dir, "d"]))
    .success();
    commit_all(&repo, "registered");
    for tool in ["dv", "dvc"] {
        let clone = repo.git_clone();
        for args in [
            &[
                "remote",
                "modify",
                "--local",
                "src",
                "access_key_id",
                "test",
            ][..],
            &[
                "remote",
                "modify",
                "--local",
                "src",
                "secret_access_key",
                "test",
            ],
        ] {
            run(clone.dv().args(args)).success();
        }
        let out = match tool {
            "dv" => run(clone.dv().arg("pull")),
            _ => run(clone.dvc().arg("pull")),
        };
        assert_eq!(out.code, 0, "{tool}: {out}");
        assert_eq!(clone.read("file.csv"), "a,b\n1,2\n", "{tool}");
        // dvc 3.67.1 creates the directory of a local no-download import but leaves it empty
        // ("1 file fetched"); dv downloads its files.
        if tool == "dv" {
            assert_eq!(clone.read("d/a.txt"), "a\n", "{out}");
        }
        assert!(clone.path("d").is_dir(), "{tool}: {out}");
        let a = run(clone.dv().arg("status"));
        let b = run(clone.dvc().arg("status"));
        assert_eq!(a.stdout, b.stdout, "{tool}: {a}\n{b}");
        assert_eq!(
            sorted_lines(&a.stdout),
            sorted_lines(
                "d.dvc:\n\tchanged outs:\n\t\tmodified:           d\nfile.csv.dvc:\n\tchanged outs:\n\t\tmodified:           file.csv\n"
            )
        );
    }
}

#[test]
fn to_remote_imports_go_straight_to_the_remote_like_dvc() {
    let (ours, theirs) = initialised_twins();
    let ext = ours.temp_dir().join("ext-remote");
    let (file, dir) = external_tree(&ext, "big.bin", "payload\n");
    for (repo, tool) in [(&ours, "dv"), (&theirs, "dvc")] {
        let remote = repo.temp_dir().join("remote");
        let args = ["remote", "add", "-d", "store", remote.to_str().unwrap()];
        match tool {
            "dv" => run(repo.dv().args(args)),
            _ => run(repo.dvc().args(args)),
        }
        .success();
    }
    for step in [
        &["import-url", "--to-remote", &file][..],
        &["import-url", "--to-remote", &dir, "d"],
    ] {
        let a = run(ours.dv().args(step)).redacted(&ours);
        let b = run(theirs.dvc().args(step)).redacted(&ours);
        assert_eq!(
            (a.code, a.stdout.lines().next()),
            (b.code, b.stdout.lines().next()),
            "{a}\n{b}"
        );
    }
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    // Nothing in the workspace or the cache; the remote has what dvc's has.
    assert!(!ours.exists("big.bin") && !ours.exists("d"));
    let cache = |repo: &TestRepo| -> Vec<String> {
        if !repo.path(".dvc/cache").exists() {
            return Vec::new();
        }
        dv_test::files_under(&repo.path(".dvc/cache"))
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| !name.ends_with(".tmp"))
            .collect()
    };
    assert_eq!(cache(&ours), cache(&theirs));
    let remote_objects = |repo: &TestRepo| -> Vec<String> {
        dv_test::files_under(&repo.temp_dir().join("remote"))
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| !name.ends_with(".tmp"))
            .collect()
    };
    assert_eq!(remote_objects(&ours), remote_objects(&theirs));
    assert_eq!(
        dv(&ours, &["status"]).stdout,
        dvc(&theirs, &["status"]).stdout
    );
    // dvc pulls what dv sent.
    let out = dvc(&ours, &["pull"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(ours.read("big.bin"), "payload\n");
    assert_eq!(ours.read("d/sub/b.txt"), "b\n");
}

#[test]
fn add_to_remote_matches_dvc() {
    let (ours, theirs) = initialised_twins();
    let ext = ours.temp_dir().join("ext-add");
    write_file(&ext.join("dir/a.txt"), "a\n");
    write_file(&ext.join("dir/sub/b.txt"), "b\n");
    let dir = ext.join("dir").display().to_string();
    for repo in [&ours, &theirs] {
        repo.write("loc.txt", "local\n");
    }
    let no_remote: &[&str] = &["add", "--to-remote", "loc.txt"];
    let a = run(ours.dv().args(no_remote)).redacted(&ours);
    let b = run(theirs.dvc().args(no_remote)).redacted(&theirs);
    assert_eq!((a.code, &a.stderr), (b.code, &b.stderr), "{a}\n{b}");
    for (repo, tool) in [(&ours, "dv"), (&theirs, "dvc")] {
        let remote = repo.temp_dir().join("remote");
        let args = ["remote", "add", "-d", "store", remote.to_str().unwrap()];
        match tool {
            "dv" => run(repo.dv().args(args)),
            _ => run(repo.dvc().args(args)),
        }
        .success();
    }
    let steps: &[&[&str]] = &[
        &["add", "--to-remote", &dir],
        &["add", "--to-remote", "loc.txt"],
        &["add", "--to-remote", &dir, "-o", "sub/d"],
        &["add", "--to-remote", &dir, "-o", "d2", "-r", "nope"],
        &["add", "--to-remote", "loc.txt", "a.txt"],
        &["add", "-r", "store", "loc.txt"],
    ];
    for step in steps {
        let a = run(ours.dv().args(*step)).redacted(&ours).redacted(&theirs);
        let b = run(theirs.dvc().args(*step))
            .redacted(&ours)
            .redacted(&theirs);
        assert_eq!(
            (a.code, &a.stderr),
            (b.code, &b.stderr),
            "{step:?}\n{a}\n{b}"
        );
    }
    assert_eq!(metafiles(&ours), metafiles(&theirs));
    let remote_objects = |repo: &TestRepo| -> Vec<(String, Vec<u8>)> {
        dv_test::files_under(&repo.temp_dir().join("remote"))
            .into_iter()
            .filter(|(name, _)| !name.ends_with(".tmp"))
            .collect()
    };
    assert_eq!(remote_objects(&ours), remote_objects(&theirs));
    assert_eq!(
        dv(&ours, &["status"]).stdout,
        dvc(&theirs, &["status"]).stdout
    );
}

#[test]
fn a_plain_s3_url_that_cannot_be_read_suggests_the_matching_remote() {
    let server = s3_catalog();
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    add_s3_source_remote(&repo, &server, "dv", "--project", "--local");
    // No credentials or endpoint in the environment: only the remote `src` has them.
    let out = dv(
        &repo,
        &["import-url", "--no-download", "s3://src/data/file.csv"],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .starts_with("ERROR: failed to import s3://src/data/file.csv."),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "remote 'src' is configured for bucket 'src' (with its endpoint and credentials); to read through it, use 'remote://src/data/file.csv'"
        ),
        "{out}"
    );
    assert!(!repo.exists("file.csv.dvc"));
    // The suggested form works.
    dv(
        &repo,
        &["import-url", "--no-download", "remote://src/data/file.csv"],
    )
    .success();
}
