//! Setup the command-line tests share: running `dv` or the oracle `dvc` with redacted output,
//! repositories with data tracked and a local remote, loopback S3 and HTTP servers ready for a
//! remote or an import source, listings of remote and cache directories, and waiting for
//! spawned processes. Everything runs the real binaries, git and servers.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};

use dv_test::{HttpServer, HttpServerOptions, Outcome, S3Server, TestRepo, files_under, run};

/// The object of `bin/leaf.bin` (`[0, 1, 2, 3, 255]`) under a cache or remote root, as
/// [`dv_test::tracked_with_remote`] tracks it.
pub const LEAF_OBJECT: &str = "files/md5/b5/9121341ab26766729b7f1d7f7e0c2f";

/// `dv args…` in `repo`, its output redacted.
pub fn dv(repo: &TestRepo, args: &[&str]) -> Outcome {
    run(repo.dv().args(args)).redacted(repo)
}

/// The oracle `dvc args…` in `repo`, its output redacted.
pub fn dvc(repo: &TestRepo, args: &[&str]) -> Outcome {
    run(repo.dvc().args(args)).redacted(repo)
}

/// The `dv` binary [`TestRepo::dv`] runs: `$DV_BIN` if set, else the one cargo built.
pub fn dv_binary() -> PathBuf {
    match std::env::var_os("DV_BIN") {
        Some(binary) if !binary.is_empty() => PathBuf::from(binary),
        _ => assert_cmd::cargo::cargo_bin("dv"),
    }
}

/// `tool` (`"dv"` or `"dvc"`) as a command in `repo`.
///
/// # Panics
///
/// If `tool` is neither.
pub fn tool(repo: &TestRepo, tool: &str) -> assert_cmd::Command {
    match tool {
        "dv" => repo.dv(),
        "dvc" => repo.dvc(),
        other => panic!("no such tool {other:?}"),
    }
}

/// Runs `tool args…` in `repo` and checks that it succeeds.
pub fn succeed(repo: &TestRepo, tool_name: &str, args: &[&str]) {
    run(tool(repo, tool_name).args(args)).success();
}

/// `git add -A` and a commit with `message`.
pub fn commit_all(repo: &TestRepo, message: &str) {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", message]);
}

/// `tool init -q` and `tool add -q targets…` in `repo`.
pub fn init_and_add(repo: &TestRepo, tool_name: &str, targets: &[&str]) {
    succeed(repo, tool_name, &["init", "-q"]);
    succeed(repo, tool_name, &[&["add", "-q"][..], targets].concat());
}

/// A new repository, initialised by dv, with `a.txt` (`hello\n`) added.
pub fn hello_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("a.txt", "hello\n");
    init_and_add(&repo, "dv", &["a.txt"]);
    repo
}

/// Adds the default remote `store` at the directory `remote` next to `repo` with `tool` and
/// returns the directory.
pub fn add_local_remote(repo: &TestRepo, tool_name: &str) -> PathBuf {
    let remote = repo.temp_dir().join("remote");
    succeed(
        repo,
        tool_name,
        &["remote", "add", "-d", "store", remote.to_str().unwrap()],
    );
    remote
}

/// A loopback S3 server with an empty bucket `bucket`.
pub fn s3_with_bucket() -> S3Server {
    let server = S3Server::start();
    server.create_bucket("bucket");
    server
}

/// A loopback S3 server with a `src` bucket holding a file (`data/file.csv`) and a directory
/// (`data/dir/`): what imports and downloads read.
pub fn s3_source() -> S3Server {
    let server = S3Server::start();
    server.create_bucket("src");
    server.put_object("src", "data/file.csv", b"a,b\n1,2\n");
    server.put_object("src", "data/dir/x.txt", b"x\n");
    server.put_object("src", "data/dir/y/z.txt", b"zz\n");
    server
}

/// Adds remote `src` (`s3://src`) for [`s3_source`]'s server with `tool`: URL and endpoint in
/// the config `level` (`--project`, `--global`), the keys in `keys_level` (`--local`, …).
pub fn add_s3_source_remote(
    repo: &TestRepo,
    server: &S3Server,
    tool_name: &str,
    level: &str,
    keys_level: &str,
) {
    for args in [
        &["remote", "add", level, "src", "s3://src"][..],
        &[
            "remote",
            "modify",
            level,
            "src",
            "endpointurl",
            &server.endpoint,
        ],
        &[
            "remote",
            "modify",
            keys_level,
            "src",
            "access_key_id",
            "test",
        ],
        &[
            "remote",
            "modify",
            keys_level,
            "src",
            "secret_access_key",
            "test",
        ],
    ] {
        succeed(repo, tool_name, args);
    }
}

/// A loopback HTTP server serving a new directory of its own (`served`, kept alive by the
/// returned holder); `options` as [`HttpServer::start_with`] takes them.
pub struct ServedHttp {
    /// The temporary directory `dir` lives in.
    _holder: TestRepo,
    /// The directory the server serves (and stores uploads in).
    pub dir: PathBuf,
    /// The running server.
    pub server: HttpServer,
}

impl ServedHttp {
    /// Starts a server over a new empty directory.
    pub fn start(options: HttpServerOptions) -> Self {
        let holder = TestRepo::new();
        let dir = holder.temp_dir().join("served");
        std::fs::create_dir_all(&dir).unwrap();
        let server = HttpServer::start_with(&dir, options);
        ServedHttp {
            _holder: holder,
            dir,
            server,
        }
    }

    /// A server that stores `POST`/`PUT` bodies: an HTTP remote.
    pub fn writable() -> Self {
        Self::start(HttpServerOptions {
            writable: true,
            ..HttpServerOptions::default()
        })
    }

    /// The URL of `path` (`/store`, …) on the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }
}

/// The relative names of the files under `dir` (a remote's or a cache's root), sorted.
pub fn stored_names(dir: &Path) -> Vec<String> {
    files_under(dir).into_iter().map(|(name, _)| name).collect()
}

/// Every file under `dir` (relative path → bytes), sorted, skipping the entries named in
/// `skip` at any depth. Nothing when `dir` does not exist.
pub fn files_skipping(dir: &Path, skip: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if skip.iter().any(|s| name == *s) {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Writes `text` to `path`, creating its parent directories.
pub fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// The lines of `text`, sorted (dvc lists some in no particular order).
pub fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Waits for `child` (spawned with a piped stderr) and returns its exit status and stderr.
pub fn wait_with_stderr(child: &mut Child) -> (ExitStatus, String) {
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}

/// Sends `signal` (`-INT`, `-9`, …) to `child` with `kill`.
pub fn send_signal(child: &Child, signal: &str) {
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// Checks that the remote at `root` (holding what [`dv_test::tracked_with_remote`] pushed) lost
/// `bin/leaf.bin`'s object to `gc -c` and kept the other five.
pub fn assert_only_leaf_collected(root: &Path) {
    let stored = stored_names(root);
    assert_eq!(stored.len(), 5, "{stored:?}");
    assert!(!stored.iter().any(|name| name == LEAF_OBJECT), "{stored:?}");
}

/// Two new repositories, the first initialised by dv and the second by dvc.
pub fn initialised_twins() -> (TestRepo, TestRepo) {
    let ours = TestRepo::new();
    let theirs = TestRepo::new();
    succeed(&ours, "dv", &["init", "-q"]);
    succeed(&theirs, "dvc", &["init", "-q"]);
    (ours, theirs)
}

/// The MD5 of `bytes` in hex.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Asserts that every object under `dir/files/md5` (a cache or a local remote) hashes to its
/// name: no half-written object under a final name. Temporary files (`.<random>.tmp`) are
/// skipped. Returns how many objects were checked (none when `dir` has no objects).
pub fn assert_objects_consistent(dir: &Path) -> usize {
    let root = dir.join("files/md5");
    let mut checked = 0;
    for (relative, bytes) in files_skipping(&root, &[]) {
        let path = Path::new(&relative);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") {
            continue;
        }
        let shard = path.parent().unwrap().to_string_lossy().into_owned();
        let expected = format!("{shard}{}", name.trim_end_matches(".dir"));
        assert_eq!(
            md5_hex(&bytes),
            expected,
            "object {relative} under {} has content that does not match its name",
            root.display()
        );
        checked += 1;
    }
    checked
}

/// Writes an external source tree at `ext` (outside any repository): the file `file` with
/// `content`, and a directory `dir/` with `a.txt` and `sub/b.txt`. Returns the paths of the
/// file and of the directory, as arguments for `import-url`/`get-url`.
pub fn external_tree(ext: &Path, file: &str, content: &str) -> (String, String) {
    write_file(&ext.join(file), content);
    write_file(&ext.join("dir/a.txt"), "a\n");
    write_file(&ext.join("dir/sub/b.txt"), "b\n");
    (
        ext.join(file).display().to_string(),
        ext.join("dir").display().to_string(),
    )
}

/// [`initialised_twins`] with remote `src` for `server` (an [`s3_source`]), keys in
/// `config.local`, each added by its own tool.
pub fn twins_with_s3_source(server: &S3Server) -> (TestRepo, TestRepo) {
    let (ours, theirs) = initialised_twins();
    add_s3_source_remote(&ours, server, "dv", "--project", "--local");
    add_s3_source_remote(&theirs, server, "dvc", "--project", "--local");
    (ours, theirs)
}
