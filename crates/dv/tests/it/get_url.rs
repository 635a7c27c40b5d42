//! `dv get-url` against the real dvc: the same files for local, S3 (plain `s3://` with the
//! environment's endpoint, `remote://NAME/...` with an endpoint and `--local` keys) and HTTP
//! sources, inside a repository (nothing tracked, cached or ignored) and outside one (where
//! `remote://` names a global remote), and dvc's exit codes and `ERROR` lines for existing
//! outputs, missing sources and bad URLs.
//!
//! The S3 tests need the pinned `moto_server` (`DV_VENV_DIR`, see `dv_test::venv`).

use crate::support::{
    add_s3_source_remote, external_tree, initialised_twins, s3_source, twins_with_s3_source,
    write_file,
};
use dv_test::{HttpServer, Outcome, TestRepo, run};

/// The workspace files outside `.dvc/` and `.git/` except `init`'s `.dvcignore` (relative
/// path → bytes), sorted.
fn data_files(repo: &TestRepo) -> Vec<(String, Vec<u8>)> {
    dv_test::files_under(repo.root())
        .into_iter()
        .filter(|(name, _)| {
            !name.starts_with(".dvc/") && !name.starts_with(".git/") && name != ".dvcignore"
        })
        .collect()
}

/// Everything under `.dvc/` except the files `init` writes and dvc's own scratch directory.
fn dvc_dir_extras(repo: &TestRepo) -> Vec<String> {
    dv_test::files_under(&repo.path(".dvc"))
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| !["config", "config.local", ".gitignore"].contains(&name.as_str()))
        .filter(|name| !name.starts_with("tmp/"))
        .collect()
}

/// Runs `args` with dv in `ours` and dvc in `theirs`, both redacted with both repositories.
fn both(ours: &TestRepo, theirs: &TestRepo, args: &[&str]) -> (Outcome, Outcome) {
    let a = run(ours.dv().args(args)).redacted(ours).redacted(theirs);
    let b = run(theirs.dvc().args(args)).redacted(ours).redacted(theirs);
    (a, b)
}

/// The `ERROR` line and what follows it (dvc's hint lines), without dvc's support footer.
fn error_text(outcome: &Outcome) -> Option<String> {
    let start = outcome.stderr.find("ERROR")?;
    let text = &outcome.stderr[start..];
    let end = text.find("\n\nHaving any troubles?").unwrap_or(text.len());
    Some(text[..end].trim_end().to_owned())
}

/// Runs each step with both tools and asserts the same exit code, stdout and error text.
fn assert_steps_match(ours: &TestRepo, theirs: &TestRepo, steps: &[&[&str]]) {
    for step in steps {
        let (a, b) = both(ours, theirs, step);
        assert_eq!(
            (a.code, &a.stdout, error_text(&a)),
            (b.code, &b.stdout, error_text(&b)),
            "{step:?}\n{a}\n{b}"
        );
    }
}

/// Local sources (`ext/file.txt`, `ext/dir/...`, an empty `ext/empty`) in `repo`'s temporary
/// directory.
fn local_sources(repo: &TestRepo) -> std::path::PathBuf {
    let ext = repo.temp_dir().join("ext");
    external_tree(&ext, "file.txt", "external\n");
    std::fs::create_dir_all(ext.join("empty")).unwrap();
    ext
}

#[test]
fn local_files_and_directories_match_dvc_and_track_nothing() {
    let (ours, theirs) = initialised_twins();
    for repo in [&ours, &theirs] {
        local_sources(repo);
        std::fs::create_dir_all(repo.path("into")).unwrap();
    }
    // Relative to each root, so both tools read their own copy with the same arguments.
    assert_steps_match(
        &ours,
        &theirs,
        &[
            &["get-url", "../ext/file.txt"],
            &["get-url", "../ext/file.txt", "into"],
            &["get-url", "../ext/file.txt", "renamed.txt"],
            &["get-url", "../ext/file.txt", "new/parents/f.txt"],
            &["get-url", "../ext/dir"],
            &["get-url", "../ext/dir/", "copy"],
            &["get-url", "-j", "1", "../ext/dir", "into"],
            &["get-url", "../ext/empty"],
        ],
    );
    assert_eq!(data_files(&ours), data_files(&theirs));
    assert_eq!(ours.read("into/dir/sub/b.txt"), "b\n");
    assert_eq!(ours.read("new/parents/f.txt"), "external\n");
    assert!(ours.path("empty").is_dir());
    // Not tracked: no `.dvc` file, no `.gitignore`, nothing cached.
    assert!(
        data_files(&ours)
            .iter()
            .all(|(name, _)| !name.ends_with(".dvc") && !name.ends_with(".gitignore")),
        "{:?}",
        data_files(&ours)
    );
    assert_eq!(dvc_dir_extras(&ours), Vec::<String>::new());
    assert_eq!(dvc_dir_extras(&theirs), Vec::<String>::new());
}

#[test]
fn existing_outputs_need_force_like_dvc() {
    let (ours, theirs) = initialised_twins();
    for repo in [&ours, &theirs] {
        local_sources(repo);
        repo.write("file.txt", "mine\n");
        repo.write("dir/extra.txt", "kept\n");
        repo.write("into/file.txt", "mine\n");
        repo.write("plain", "a file\n");
    }
    assert_steps_match(
        &ours,
        &theirs,
        &[
            // Refused without -f, naming the file or directory as dvc does.
            &["get-url", "../ext/file.txt"],
            &["get-url", "../ext/file.txt", "into"],
            &["get-url", "../ext/dir"],
            &["get-url", "../ext/dir", "plain"],
        ],
    );
    assert_eq!(ours.read("file.txt"), "mine\n");
    let (a, _) = both(&ours, &theirs, &["get-url", "../ext/dir"]);
    assert_eq!(
        error_text(&a).as_deref(),
        Some(
            "ERROR: failed to get '../ext/dir' - The directory 'dir' already exists locally. \nTo override it, re-run with '--force'."
        )
    );
    // -f replaces a file and merges a directory into the existing one.
    assert_steps_match(
        &ours,
        &theirs,
        &[
            &["get-url", "-f", "../ext/file.txt"],
            &["get-url", "-f", "../ext/file.txt", "into"],
            &["get-url", "-f", "../ext/dir"],
        ],
    );
    assert_eq!(ours.read("file.txt"), "external\n");
    assert_eq!(ours.read("into/file.txt"), "external\n");
    assert_eq!(ours.read("dir/extra.txt"), "kept\n");
    assert_eq!(ours.read("dir/sub/b.txt"), "b\n");
    // A directory cannot replace a file: dvc fails with an unexpected error (255).
    let (a, b) = both(&ours, &theirs, &["get-url", "-f", "../ext/dir", "plain"]);
    assert_eq!((a.code, b.code), (255, 255), "{a}\n{b}");
    assert!(a.stderr.starts_with("ERROR: unexpected error - "), "{a}");
    assert_eq!(ours.read("plain"), "a file\n");
    assert_eq!(data_files(&ours), data_files(&theirs));
}

#[test]
fn bad_sources_fail_like_dvc_and_write_nothing() {
    let (ours, theirs) = initialised_twins();
    for repo in [&ours, &theirs] {
        local_sources(repo);
        repo.write("b", "taken\n");
    }
    assert_steps_match(
        &ours,
        &theirs,
        &[
            &["get-url", "../ext/missing.txt"],
            &["get-url", "foo://host/a"],
            // The output check comes first, as in dvc.
            &["get-url", "foo://host/b"],
            &["get-url", "remote://nope/a"],
            &[
                "get-url",
                "../ext/file.txt",
                "x.txt",
                "--fs-config",
                "bogus=1",
            ],
            &[
                "get-url",
                "../ext/file.txt",
                "x.txt",
                "--fs-config",
                "jobs=many",
            ],
        ],
    );
    let (a, _) = both(&ours, &theirs, &["get-url", "../ext/missing.txt"]);
    assert_eq!(
        a.stderr,
        "ERROR: failed to get '../ext/missing.txt' - The path '../ext/missing.txt' does not exist\n"
    );
    let (a, _) = both(&ours, &theirs, &["get-url", "foo://host/a"]);
    assert_eq!(
        a.stderr,
        "ERROR: failed to get 'foo://host/a' - config file error: Unsupported URL type foo://\n"
    );
    assert_eq!(
        data_files(&ours),
        vec![("b".to_owned(), b"taken\n".to_vec())]
    );
    assert_eq!(data_files(&ours), data_files(&theirs));
}

#[test]
fn s3_through_remote_urls_matches_dvc() {
    let server = s3_source();
    let (ours, theirs) = twins_with_s3_source(&server);
    for repo in [&ours, &theirs] {
        std::fs::create_dir_all(repo.path("into")).unwrap();
    }
    assert_steps_match(
        &ours,
        &theirs,
        &[
            &["get-url", "remote://src/data/file.csv"],
            &["get-url", "remote://src/data/file.csv", "into"],
            &["get-url", "remote://src/data/dir"],
            &["get-url", "-j", "2", "remote://src/data/dir/", "copy"],
            &["get-url", "remote://src/data/nothere.csv"],
            &["get-url", "remote://src/data/file.csv"],
            // The bucket root is named `.`, which exists.
            &["get-url", "remote://src"],
        ],
    );
    assert_eq!(data_files(&ours), data_files(&theirs));
    assert_eq!(ours.read("file.csv"), "a,b\n1,2\n");
    assert_eq!(ours.read("copy/y/z.txt"), "zz\n");
    assert_eq!(dvc_dir_extras(&ours), Vec::<String>::new());
    let (a, _) = both(
        &ours,
        &theirs,
        &["get-url", "remote://src/data/nothere.csv"],
    );
    assert_eq!(
        a.stderr,
        "ERROR: failed to get 'remote://src/data/nothere.csv' - The path 'remote://src/data/nothere.csv' does not exist\n"
    );

    // A new version of the source replaces the download with -f.
    server.put_object("src", "data/file.csv", b"a,b\n3,4\n");
    assert_steps_match(
        &ours,
        &theirs,
        &[&["get-url", "-f", "remote://src/data/file.csv"]],
    );
    assert_eq!(ours.read("file.csv"), "a,b\n3,4\n");
    assert_eq!(data_files(&ours), data_files(&theirs));
}

#[test]
fn plain_s3_urls_use_the_environment_endpoint_like_dvc() {
    let server = s3_source();
    let (ours, theirs) = initialised_twins();
    let steps: &[&[&str]] = &[
        &["get-url", "s3://src/data/file.csv"],
        &["get-url", "s3://src/data/dir", "sdir"],
        &["get-url", "s3://src/data/missing"],
        &["get-url", "s3://nobucket/key"],
    ];
    for step in steps {
        let mut a = ours.dv();
        let mut b = theirs.dvc();
        for command in [&mut a, &mut b] {
            command
                .args(*step)
                .envs(server.credentials_env())
                .env("AWS_ENDPOINT_URL", &server.endpoint);
        }
        let (a, b) = (run(&mut a), run(&mut b));
        assert_eq!(
            (a.code, &a.stdout, error_text(&a)),
            (b.code, &b.stdout, error_text(&b)),
            "{step:?}\n{a}\n{b}"
        );
    }
    assert_eq!(data_files(&ours), data_files(&theirs));
    assert_eq!(ours.read("sdir/x.txt"), "x\n");
}

#[test]
fn http_downloads_match_dvc() {
    let (ours, theirs) = initialised_twins();
    let served = ours.temp_dir().join("served");
    write_file(&served.join("files/model.bin"), "weights\n");
    let server = HttpServer::start(&served);
    let url = format!("{}/files/model.bin", server.url);
    let missing = format!("{}/files/missing.bin", server.url);
    let with_query = format!("{url}?download=1");
    assert_steps_match(
        &ours,
        &theirs,
        &[
            &["get-url", &url],
            &["get-url", &with_query, "second.bin"],
            &["get-url", &missing],
        ],
    );
    assert_eq!(data_files(&ours), data_files(&theirs));
    assert_eq!(ours.read("model.bin"), "weights\n");
    assert_eq!(ours.read("second.bin"), "weights\n");

    // An unreachable server: dvc's HTTP `exists` is false (exit 1); dv adds the cause.
    drop(server);
    let (a, b) = both(&ours, &theirs, &["get-url", &url, "third.bin"]);
    assert_eq!((a.code, b.code), (1, 1), "{a}\n{b}");
    let expected = format!("ERROR: failed to get '{url}' - The path '{url}' does not exist");
    assert_eq!(error_text(&b).as_deref(), Some(expected.as_str()), "{b}");
    assert!(a.stderr.starts_with(&expected), "{a}");
}

#[test]
fn outside_a_repository_local_and_global_remote_sources_work_like_dvc() {
    let server = s3_source();
    let ours = TestRepo::without_git();
    let theirs = TestRepo::without_git();
    for repo in [&ours, &theirs] {
        local_sources(repo);
    }
    assert_steps_match(
        &ours,
        &theirs,
        &[
            &["get-url", "../ext/file.txt"],
            &["get-url", "../ext/dir", "d"],
            // No repository and no such global remote.
            &["get-url", "remote://src/data/file.csv"],
        ],
    );
    // `remote://` names a remote of the global config.
    add_s3_source_remote(&ours, &server, "dv", "--global", "--global");
    add_s3_source_remote(&theirs, &server, "dvc", "--global", "--global");
    assert_steps_match(
        &ours,
        &theirs,
        &[
            &["get-url", "remote://src/data/file.csv"],
            &["get-url", "remote://src/data/dir", "sdir"],
            &["get-url", "remote://src/data/missing"],
        ],
    );
    assert_eq!(data_files(&ours), data_files(&theirs));
    assert_eq!(ours.read("file.csv"), "a,b\n1,2\n");
    assert_eq!(ours.read("sdir/y/z.txt"), "zz\n");
    assert!(!ours.exists(".dvc"));
}
