//! The harness itself: isolation, the git helpers, the oracle and the loopback S3 and HTTP
//! servers.

use dv_test::{HttpServer, Outcome, S3Server, TestRepo, redact, run};

#[test]
fn commands_see_only_the_isolated_home_and_config() {
    let repo = TestRepo::new();
    let outcome = run(repo.command("sh").args([
        "-c",
        r#"printf '%s\n' "$HOME" "$XDG_CONFIG_HOME" "$DVC_GLOBAL_CONFIG_DIR" "$DVC_SYSTEM_CONFIG_DIR" "$DVC_SITE_CACHE_DIR" "$GIT_CONFIG_GLOBAL" "$PWD""#,
    ]));
    outcome.success();
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    let temp = repo.temp_dir().display().to_string();
    assert_eq!(
        lines,
        [
            format!("{temp}/home"),
            format!("{temp}/home/.config"),
            format!("{temp}/config/global"),
            format!("{temp}/config/system"),
            format!("{temp}/site-cache"),
            format!("{temp}/home/.gitconfig"),
            repo.root().display().to_string(),
        ]
    );
    assert_eq!(repo.home(), repo.temp_dir().join("home"));
    if let Some(real_home) = std::env::var_os("HOME") {
        assert_ne!(repo.home().as_os_str(), real_home);
    }

    let environment = run(&mut repo.command("env")).success().stdout.clone();
    let leaked: Vec<&str> = environment
        .lines()
        .filter(|line| line.starts_with("AWS_") || line.starts_with("DVC_CONFIG"))
        .collect();
    assert!(leaked.is_empty(), "inherited variables leaked: {leaked:?}");
}

#[test]
fn new_is_a_git_repository_on_main_with_an_identity() {
    let repo = TestRepo::new();
    assert_eq!(repo.git(&["symbolic-ref", "--short", "HEAD"]), "main\n");
    repo.write("dir/file.txt", "content\n");
    assert!(repo.exists("dir/file.txt"));
    assert_eq!(repo.read("dir/file.txt"), "content\n");
    repo.git(&["add", "dir/file.txt"]);
    repo.git(&["commit", "-q", "-m", "first"]);
    assert_eq!(
        repo.git(&["log", "--format=%an <%ae> %s"]),
        "dv test <dv-test@example.com> first\n"
    );
}

#[test]
fn without_git_is_not_a_git_repository() {
    let repo = TestRepo::without_git();
    assert!(repo.root().is_dir());
    assert!(!repo.exists(".git"));
    let outcome = run(repo.command("git").args(["rev-parse", "--git-dir"]));
    assert_ne!(outcome.code, 0, "{outcome}");
}

#[test]
fn git_clone_is_a_separate_copy() {
    let repo = TestRepo::new();
    repo.write("file.txt", "committed\n");
    repo.git(&["add", "file.txt"]);
    repo.git(&["commit", "-q", "-m", "add file"]);

    let clone = repo.git_clone();
    assert_ne!(clone.root(), repo.root());
    assert_ne!(clone.temp_dir(), repo.temp_dir());
    assert_eq!(clone.read("file.txt"), "committed\n");

    clone.write("file.txt", "changed in the clone\n");
    assert_eq!(repo.read("file.txt"), "committed\n");
}

#[test]
fn oracle_init_writes_the_repository_config() {
    let repo = TestRepo::new();
    let outcome = run(repo.dvc().arg("init"));
    outcome.success();
    assert!(repo.exists(".dvc/config"), "{outcome}");
    assert!(repo.exists(".dvcignore"), "{outcome}");

    // The global level is the isolated one.
    run(repo
        .dvc()
        .args(["config", "--global", "core.autostage", "true"]))
    .success();
    let global = fs_err::read_to_string(repo.global_config_dir().join("config"))
        .expect("the oracle wrote the isolated global config");
    assert!(global.contains("autostage = true"), "{global}");
}

#[test]
fn failing_commands_are_outcomes_not_panics() {
    let repo = TestRepo::without_git();
    let outcome = run(repo.dvc().arg("status"));
    outcome.expect_code(253);
    assert!(outcome.stdout.is_empty(), "{outcome}");
    assert!(
        outcome
            .stderr
            .contains("you are not inside of a DVC repository"),
        "{outcome}"
    );
}

#[test]
fn redacted_outcomes_are_stable() {
    let repo = TestRepo::without_git();
    let outcome = Outcome {
        code: 1,
        stdout: String::new(),
        stderr: format!("ERROR: failed to read `{}/x`\n", repo.root().display()),
    };
    assert_eq!(
        outcome.redacted(&repo).to_string(),
        "exit: 1\n----- stdout -----\n----- stderr -----\nERROR: failed to read `[ROOT]/x`\n"
    );
    assert_eq!(
        redact(&repo.home().display().to_string(), &repo),
        "[TMP]/home"
    );
}

#[test]
fn s3_server_stores_and_lists_objects() {
    let server = S3Server::start();
    assert!(
        server.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        server.endpoint
    );
    server.create_bucket("fixtures");
    server.put_object("fixtures", "store/files/md5/ab/cdef", b"first");
    server.put_object("fixtures", "store/a key with spaces & +", b"second");
    server.put_object("fixtures", "elsewhere/file", b"third");

    assert_eq!(
        server.list_keys("fixtures", "store/"),
        ["store/a key with spaces & +", "store/files/md5/ab/cdef"]
    );
    assert_eq!(server.list_keys("fixtures", "").len(), 3);
    assert!(server.list_keys("fixtures", "missing/").is_empty());
    assert_eq!(
        server.get_object("fixtures", "store/a key with spaces & +"),
        b"second"
    );
}

#[test]
fn oracle_pushes_to_the_s3_server() {
    let server = S3Server::start();
    server.create_bucket("remote");
    let repo = TestRepo::new();
    run(repo.dvc().arg("init")).success();
    run(repo
        .dvc()
        .args(["remote", "add", "-d", "origin", "s3://remote/store"]))
    .success();
    run(repo.dvc().args([
        "remote",
        "modify",
        "origin",
        "endpointurl",
        &server.endpoint,
    ]))
    .success();
    repo.write("data.txt", "hello\n");
    run(repo.dvc().args(["add", "data.txt"])).success();

    let outcome = run(repo.dvc().arg("push").envs(server.credentials_env()));
    outcome.success();
    // md5("hello\n") = b1946ac92492d2347c6235b4d2611184
    assert_eq!(
        server.list_keys("remote", "store/"),
        ["store/files/md5/b1/946ac92492d2347c6235b4d2611184"],
        "{outcome}\n{}",
        server.log()
    );
}

#[test]
fn oracle_imports_from_the_http_server() {
    let source = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(source.path().join("dir")).expect("create dir");
    std::fs::write(source.path().join("dir/data.csv"), "a,b\n1,2\n").expect("write file");
    let server = HttpServer::start(source.path());
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );

    let repo = TestRepo::new();
    run(repo.dvc().arg("init")).success();
    let url = format!("{}/dir/data.csv", server.url);
    let outcome = run(repo.dvc().args(["import-url", &url, "data.csv"]));
    outcome.success();
    assert_eq!(repo.read("data.csv"), "a,b\n1,2\n");
    // The dependency's checksum is the ETag verbatim: md5("a,b\n1,2\n") in double quotes.
    let stage = repo.read("data.csv.dvc");
    assert!(
        stage.contains("- checksum: '\"e5ebd4c02cefbe7955977c67ada242b7\"'"),
        "{stage}\n{outcome}"
    );
    let requests = server.requests();
    assert!(
        requests.contains(&"HEAD /dir/data.csv HTTP/1.1".to_owned()),
        "{requests:?}"
    );
    assert!(
        requests.contains(&"GET /dir/data.csv HTTP/1.1".to_owned()),
        "{requests:?}"
    );
}
