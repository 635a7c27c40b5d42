//! `dv ls-url` / `dv list-url` against the real dvc, side by side on the same inputs: local
//! directories (flat, `-R`, `-L`, `--tree`, `--size`, links, an empty directory), a file URL,
//! `file://` URLs, missing paths and bad URLs (dvc's messages and exit codes), S3 through
//! `--fs-config endpointurl=`, through the environment's endpoint and through `remote://`
//! (directory marker objects included), local remotes, and HTTP files.
//!
//! Local listings are in the order the operating system lists a directory (dvc does not sort
//! them), so both tools list the very same directory and their outputs compare exactly.
//!
//! The S3 tests need the pinned `moto_server` (`DV_VENV_DIR`, see `dv_test::venv`).

use crate::support::{s3_source, succeed, twins_with_s3_source, write_file};
use dv_test::{HttpServer, Outcome, S3Server, TestRepo, run};

/// The `ERROR` line and what follows it, without dvc's support footer.
fn error_text(outcome: &Outcome) -> Option<String> {
    let start = outcome.stderr.find("ERROR")?;
    let text = &outcome.stderr[start..];
    let end = text.find("\n\nHaving any troubles?").unwrap_or(text.len());
    Some(text[..end].trim_end().to_owned())
}

/// Runs `args` (with `env`) with dv in `ours` and dvc in `theirs` and asserts the same exit
/// code, stdout and error text; returns dv's outcome.
fn assert_same(ours: &TestRepo, theirs: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut a = ours.dv();
    let mut b = theirs.dvc();
    for command in [&mut a, &mut b] {
        command.args(args).envs(env.iter().copied());
    }
    let (a, b) = (run(&mut a), run(&mut b));
    assert_eq!(
        (a.code, &a.stdout, error_text(&a)),
        (b.code, &b.stdout, error_text(&b)),
        "{args:?}\n{a}\n{b}"
    );
    a
}

/// A directory `ext` beside `repo`'s root with files of several sizes, a hidden file, nested
/// and empty directories, and links to a file, to a directory and to nothing.
fn local_tree(repo: &TestRepo) {
    let ext = repo.temp_dir().join("ext");
    write_file(&ext.join("a.txt"), "hello");
    write_file(&ext.join("big.bin"), &"x".repeat(5000));
    write_file(&ext.join(".hidden"), "");
    write_file(&ext.join("sub/s.txt"), "s");
    write_file(&ext.join("sub/deep/z"), "zz");
    std::fs::create_dir_all(ext.join("emptydir")).unwrap();
    std::os::unix::fs::symlink("a.txt", ext.join("link")).unwrap();
    std::os::unix::fs::symlink("sub", ext.join("dirlink")).unwrap();
    std::os::unix::fs::symlink("nowhere", ext.join("broken")).unwrap();
}

#[test]
fn local_directories_list_like_dvc() {
    // Outside a repository; both tools read the same directory.
    let repo = TestRepo::without_git();
    local_tree(&repo);
    let steps: &[&[&str]] = &[
        &["ls-url", "../ext"],
        &["list-url", "../ext"],
        &["ls-url", "../ext/"],
        &["ls-url", "-R", "../ext"],
        &["ls-url", "-L", "1", "../ext"],
        &["ls-url", "-R", "-L", "1", "../ext"],
        &["ls-url", "-R", "-L", "2", "../ext"],
        &["ls-url", "-L", "0", "../ext"],
        &["ls-url", "--size", "../ext"],
        &["ls-url", "-R", "--size", "../ext"],
        &["ls-url", "-T", "../ext"],
        &["ls-url", "--tree", "--size", "../ext"],
        &["ls-url", "-T", "-L", "1", "../ext/"],
        &["ls-url", "-T", "-L", "0", "--size", "../ext"],
        &["ls-url", "-T", "-L", "-1", "../ext"],
        &["ls-url", "../ext/sub/../sub"],
        &["ls-url", "../ext/dirlink"],
        &["ls-url", "-T", "../ext/dirlink"],
        &["ls-url", "../ext/emptydir"],
        &["ls-url", "-T", "--size", "../ext/emptydir"],
        &["ls-url", "-q", "../ext"],
        &["ls-url", ".."],
    ];
    for step in steps {
        assert_same(&repo, &repo, step, &[]);
    }
    let flat = assert_same(&repo, &repo, &["ls-url", "-R", "--size", "../ext"], &[]);
    let mut lines: Vec<&str> = flat.stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "    0  .hidden",
            "    0  broken",
            "    1  sub/s.txt",
            "    2  sub/deep/z",
            "    5  a.txt",
            "    5  link",
            "4.00k  dirlink",
            "4.88k  big.bin",
        ]
    );
    let tree = assert_same(&repo, &repo, &["ls-url", "-T", "../ext/sub"], &[]);
    assert_eq!(tree.stdout, "../ext/sub\n├── deep\n│   └── z\n└── s.txt\n");
}

#[test]
fn a_file_url_is_listed_as_itself() {
    let repo = TestRepo::without_git();
    local_tree(&repo);
    let file_url = format!("file://{}", repo.temp_dir().join("ext").display());
    let steps: &[&[&str]] = &[
        &["ls-url", "../ext/a.txt"],
        &["ls-url", "--size", "../ext/a.txt"],
        &["ls-url", "-R", "-L", "3", "../ext/a.txt"],
        &["ls-url", "-T", "--size", "../ext/a.txt"],
        &["ls-url", "../ext/link"],
        // A `file://` URL is read as the path it names, entries relative to the URL as text.
        &["ls-url", &file_url],
        &["ls-url", "-R", "-L", "2", &file_url],
        &["ls-url", "-T", &file_url],
    ];
    for step in steps {
        assert_same(&repo, &repo, step, &[]);
    }
    // The absolute path as written, not normalized.
    let outcome = assert_same(&repo, &repo, &["ls-url", "../ext/a.txt"], &[]);
    let expected = format!("{}/../ext/a.txt\n", repo.root().display());
    assert_eq!(outcome.stdout, expected);
}

#[test]
fn missing_paths_and_bad_urls_fail_like_dvc() {
    let repo = TestRepo::new();
    succeed(&repo, "dv", &["init", "-q"]);
    local_tree(&repo);
    let steps: &[&[&str]] = &[
        &["ls-url", "../ext/missing"],
        &["ls-url", "-T", "../ext/missing"],
        &["ls-url", "../ext/broken"],
        &["ls-url", "../ext/a.txt/x"],
        &["ls-url", "-T", "../ext/a.txt/x"],
        &["ls-url", "-L", "-1", "../ext"],
        &["ls-url", "-L", "-1", "../ext/a.txt"],
        &["ls-url", "foo://host/a"],
        &["ls-url", "remote://nope/a"],
        &["ls-url", "-T", "remote://nope/a"],
        &["ls-url", "../ext", "--fs-config", "bogus=1"],
        &["ls-url", "../ext", "--fs-config", "jobs=many"],
        &["ls-url", "../ext", "--fs-config", "novalue"],
    ];
    for step in steps {
        assert_same(&repo, &repo, step, &[]);
    }
    let missing = assert_same(&repo, &repo, &["ls-url", "../ext/missing"], &[]);
    assert_eq!(
        missing.redacted(&repo).stderr,
        "ERROR: The path '../ext/missing' does not exist: \
         [Errno 2] No such file or directory: '[ROOT]/../ext/missing'\n"
    );
    assert_eq!(missing.code, 255);
    let tree = assert_same(&repo, &repo, &["ls-url", "-T", "../ext/missing"], &[]);
    assert_eq!(
        tree.redacted(&repo).stderr,
        "ERROR: unexpected error - [Errno 2] No such file or directory: '[ROOT]/../ext/missing'\n"
    );
    let bad = assert_same(&repo, &repo, &["ls-url", "foo://host/a"], &[]);
    assert_eq!(bad.code, 251);
    assert_eq!(
        bad.stderr,
        "ERROR: configuration error - config file error: Unsupported URL type foo://\n"
    );
    // dvc adds its usage to argument errors; the error line is the same.
    let (a, b) = (
        run(repo.dv().args(["ls-url", "../ext", "--fs-config", "k="])),
        run(repo.dvc().args(["ls-url", "../ext", "--fs-config", "k="])),
    );
    assert_eq!((a.code, b.code), (254, 254), "{a}\n{b}");
    let line = "ERROR: argument --fs-config: Could not parse argument \"['k=']\" as k1=v1 k2=v2 ... format";
    assert_eq!(a.stderr, format!("{line}\n"));
    assert!(b.stderr.contains(line), "{b}");
}

/// [`s3_source`] with a top-level file, a bigger file and a directory marker object
/// (`data/empty/`, as S3 consoles create for folders).
fn s3_listing_source() -> S3Server {
    let server = s3_source();
    server.put_object("src", "top.txt", b"t");
    server.put_object("src", "data/big.bin", &[b'b'; 3000]);
    server.put_object("src", "data/empty/", b"");
    server
}

/// The flags every S3 and remote listing is compared with.
const S3_FLAGS: &[&[&str]] = &[
    &[],
    &["-R"],
    &["-R", "--size"],
    &["--size"],
    &["-R", "-L", "2"],
    &["-L", "0"],
    &["-T"],
    &["-T", "--size"],
    &["-T", "-L", "1"],
];

#[test]
fn s3_urls_through_fs_config_and_the_environment_match_dvc() {
    let server = s3_listing_source();
    let repo = TestRepo::without_git();
    let endpoint = format!("endpointurl={}", server.endpoint);
    let credentials = server.credentials_env();
    for url in [
        "s3://src",
        "s3://src/data",
        "s3://src/data/",
        "s3://src/data/empty",
    ] {
        for flags in S3_FLAGS {
            let mut args = vec!["ls-url", url];
            args.extend_from_slice(flags);
            args.extend(["--fs-config", &endpoint]);
            assert_same(&repo, &repo, &args, &credentials);
        }
    }
    for args in [
        &["ls-url", "s3://src/data/file.csv"][..],
        &["ls-url", "--size", "s3://src/data/file.csv"],
        &["ls-url", "-T", "--size", "s3://src/data/file.csv"],
        &["ls-url", "s3://src/data/nothere"],
        &["ls-url", "-T", "s3://src/data/nothere"],
        &["ls-url", "s3://src/da"],
        &["ls-url", "s3://nobucket/key"],
        &["ls-url", "s3://nobucket"],
        &["ls-url", "-T", "s3://nobucket/key"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--fs-config", &endpoint]);
        assert_same(&repo, &repo, &args, &credentials);
    }
    // The endpoint from the environment instead.
    let mut env = credentials.to_vec();
    env.push(("AWS_ENDPOINT_URL", server.endpoint.as_str()));
    for args in [
        &["ls-url", "s3://src/data"][..],
        &["ls-url", "-R", "--size", "s3://src/data"],
        &["ls-url", "-T", "s3://src"],
    ] {
        assert_same(&repo, &repo, args, &env);
    }
    let tree = assert_same(
        &repo,
        &repo,
        &["ls-url", "-T", "--size", "s3://src/data"],
        &env,
    );
    let expected = [
        "       src/data",
        "2.93k  ├── big.bin",
        "       ├── dir",
        "    2  │   ├── x.txt",
        "       │   └── y",
        "    3  │       └── z.txt",
        "       ├── empty",
        "    0  │   └──",
        "    8  └── file.csv",
    ];
    assert_eq!(tree.stdout, format!("{}\n", expected.join("\n")));
}

#[test]
fn remote_urls_match_dvc() {
    let server = s3_listing_source();
    let (ours, theirs) = twins_with_s3_source(&server);
    // A local remote both name: one directory, listed in the same order by both tools.
    let store = ours.temp_dir().join("store");
    write_file(&store.join("t"), "top\n");
    write_file(&store.join("sub/f"), "hi\n");
    let store = store.display().to_string();
    succeed(&ours, "dv", &["remote", "add", "loc", &store]);
    succeed(&theirs, "dvc", &["remote", "add", "loc", &store]);
    for url in [
        "remote://src",
        "remote://src/data",
        "remote://loc",
        "remote://loc/",
    ] {
        for flags in S3_FLAGS {
            let mut args = vec!["ls-url", url];
            args.extend_from_slice(flags);
            assert_same(&ours, &theirs, &args, &[]);
        }
    }
    for args in [
        &["ls-url", "remote://src/data/file.csv"][..],
        &["ls-url", "remote://src/data/nothere"],
        &["ls-url", "-T", "remote://src/data/nothere"],
        &["ls-url", "remote://loc/sub/f"],
        &["ls-url", "remote://loc/missing"],
        &["ls-url", "-T", "remote://loc/missing"],
        &["ls-url", "remote://src", "--fs-config", "bogus=1"],
    ] {
        assert_same(&ours, &theirs, args, &[]);
    }
    let flat = assert_same(&ours, &theirs, &["ls-url", "-R", "remote://src/data"], &[]);
    assert_eq!(
        flat.stdout,
        "big.bin\nfile.csv\ndir/x.txt\ndir/y/z.txt\nempty\n"
    );
}

#[test]
fn http_urls_are_single_files_like_dvc() {
    let repo = TestRepo::without_git();
    let served = repo.temp_dir().join("served");
    write_file(&served.join("files/model.bin"), &"w".repeat(2048));
    let server = HttpServer::start(&served);
    let url = format!("{}/files/model.bin", server.url);
    for args in [
        &["ls-url", url.as_str()][..],
        &["ls-url", "--size", &url],
        &["ls-url", "-R", "-L", "2", &url],
        &["ls-url", "-T", "--size", &url],
    ] {
        assert_same(&repo, &repo, args, &[]);
    }
    let tree = run(repo.dv().args(["ls-url", "-T", "--size", &url]));
    assert_eq!(tree.stdout, format!("2.00k  {url}\n"));
    // A missing file: the same exit code and message; dvc adds the server's answer.
    let missing = format!("{}/files/missing.bin", server.url);
    let (a, b) = (
        run(repo.dv().args(["ls-url", &missing])),
        run(repo.dvc().args(["ls-url", &missing])),
    );
    assert_eq!((a.code, b.code), (255, 255), "{a}\n{b}");
    let expected = format!("ERROR: The path '{missing}' does not exist");
    assert!(a.stderr.starts_with(&expected), "{a}");
    assert!(b.stderr.starts_with(&expected), "{b}");
}
