//! External file systems (`import-url` sources) against real servers: the loopback S3 server
//! (`moto`, pinned, see `dv_test::venv`), the loopback HTTP file server, and scripted loopback
//! servers for statuses and concurrency those cannot produce.
#![allow(clippy::unwrap_used)]

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use dv_remote::{
    ExternalChild, ExternalEntry, ExternalFile, ExternalFs, RemoteConfig, RemoteError, Retries,
    TransferProgress,
};
use dv_test::{HttpServer, S3Server};
use md5::Digest as _;

fn md5_hex(content: &[u8]) -> String {
    md5::Md5::digest(content)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A config for `url` with `options`, named `name` (empty: a plain URL), retrying quickly.
fn config(name: &str, url: &str, options: &[(&str, &str)], home: &Path) -> RemoteConfig {
    let mut config = RemoteConfig::new(
        name,
        options
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string())),
        [("HOME".to_owned(), home.display().to_string())],
    );
    config.options.insert("url".to_owned(), url.to_owned());
    config.retries = Retries {
        max_retries: 1,
        min_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(100),
    };
    config
}

fn s3_fs(server: &S3Server, url: &str, options: &[(&str, &str)], home: &Path) -> ExternalFs {
    let mut options = options.to_vec();
    options.push(("endpointurl", &server.endpoint));
    let mut config = config("", url, &options, home);
    config.environment.extend(
        server
            .credentials_env()
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
    );
    ExternalFs::open(&config).unwrap()
}

fn file(entry: Option<ExternalEntry>) -> ExternalFile {
    match entry {
        Some(ExternalEntry::File(file)) => file,
        other => panic!("expected a file, got {other:?}"),
    }
}

/// Counts bytes and finished items.
#[derive(Default)]
struct Recorder {
    bytes: u64,
    finished: usize,
    failed: usize,
}

impl TransferProgress for Recorder {
    fn transferred(&mut self, _item: usize, bytes: u64) {
        self.bytes += bytes;
    }

    fn finished(&mut self, _item: usize, result: Result<(), &RemoteError>) {
        self.finished += 1;
        if result.is_err() {
            self.failed += 1;
        }
    }
}

/// Every file under `dir`, relative, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    dv_test::files_under(dir)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// A bucket `src` with files under `data/`, a directory marker and a file outside the prefix.
fn s3_source() -> S3Server {
    let server = S3Server::start();
    server.create_bucket("src");
    server.put_object("src", "data/file.csv", b"a,b\n1,2\n");
    server.put_object("src", "data/dir/b.txt", b"bee\n");
    server.put_object("src", "data/dir/a.txt", b"a\n");
    server.put_object("src", "data/dir/A.txt", b"upper\n");
    server.put_object("src", "data/dir/a/z.txt", b"zed\n");
    server.put_object("src", "data/dir/marker/", b"");
    server.put_object("src", "data/dirx/not-in-dir.txt", b"x\n");
    server.put_object("src", "other.txt", b"outside\n");
    server
}

#[test]
fn s3_stat_tells_files_directories_and_nothing() {
    let server = s3_source();
    let home = tempfile::tempdir().unwrap();
    let fs = s3_fs(&server, "s3://src/data", &[], home.path());

    let found = file(fs.stat("file.csv").unwrap());
    assert_eq!(
        found,
        ExternalFile {
            relpath: "file.csv".to_owned(),
            size: Some(8),
            // A single PUT: the ETag is the md5 of the body, without quotes.
            etag: Some(md5_hex(b"a,b\n1,2\n")),
            version_id: None,
            checksum: None,
        }
    );
    assert_eq!(fs.stat("dir").unwrap(), Some(ExternalEntry::Directory));
    assert_eq!(fs.stat("/dir/").unwrap(), Some(ExternalEntry::Directory));
    assert_eq!(fs.stat("dir/a").unwrap(), Some(ExternalEntry::Directory));
    assert_eq!(fs.stat("").unwrap(), Some(ExternalEntry::Directory));
    assert_eq!(fs.stat("missing").unwrap(), None);
    assert_eq!(fs.stat("di").unwrap(), None);
    // Outside the prefix.
    assert_eq!(fs.stat("other.txt").unwrap(), None);

    let bucket = s3_fs(&server, "s3://src", &[], home.path());
    assert_eq!(file(bucket.stat("other.txt").unwrap()).size, Some(8));
    assert_eq!(
        file(bucket.stat("data/dir/a.txt").unwrap()).relpath,
        "data/dir/a.txt"
    );
    let empty = s3_fs(&server, "s3://src/nothing/here", &[], home.path());
    assert_eq!(empty.stat("").unwrap(), None);
}

#[test]
fn s3_stat_many_answers_every_path_in_order() {
    let server = s3_source();
    let home = tempfile::tempdir().unwrap();
    let fs = s3_fs(&server, "s3://src/data", &[], home.path());
    let mut paths = Vec::new();
    for round in 0..10 {
        paths.push("file.csv".to_owned());
        paths.push(format!("missing-{round}"));
        paths.push("dir/a.txt".to_owned());
        paths.push("dir".to_owned());
    }
    let results = fs.stat_many(&paths, Some(8));
    assert_eq!(results.len(), paths.len());
    for (path, result) in paths.iter().zip(results) {
        let entry = result.unwrap();
        match path.as_str() {
            "file.csv" => assert_eq!(file(entry).size, Some(8)),
            "dir/a.txt" => {
                let found = file(entry);
                assert_eq!(found.relpath, "dir/a.txt");
                assert_eq!(found.etag, Some(md5_hex(b"a\n")));
            }
            "dir" => assert_eq!(entry, Some(ExternalEntry::Directory)),
            _ => assert_eq!(entry, None, "{path}"),
        }
    }
    assert!(fs.stat_many(&[], None).is_empty());
}

#[test]
fn s3_list_files_is_recursive_sorted_and_skips_directory_markers() {
    let server = s3_source();
    let home = tempfile::tempdir().unwrap();
    let fs = s3_fs(&server, "s3://src/data", &[], home.path());
    let files = fs.list_files("dir").unwrap();
    let listed: Vec<(&str, Option<u64>, Option<&str>)> = files
        .iter()
        .map(|file| (file.relpath.as_str(), file.size, file.etag.as_deref()))
        .collect();
    let (upper, a, z, b) = (
        md5_hex(b"upper\n"),
        md5_hex(b"a\n"),
        md5_hex(b"zed\n"),
        md5_hex(b"bee\n"),
    );
    assert_eq!(
        listed,
        [
            ("A.txt", Some(6), Some(upper.as_str())),
            ("a.txt", Some(2), Some(a.as_str())),
            ("a/z.txt", Some(4), Some(z.as_str())),
            ("b.txt", Some(4), Some(b.as_str())),
        ]
    );
    assert!(files.iter().all(|file| file.version_id.is_none()));
    assert_eq!(fs.list_files("/dir/").unwrap(), files);

    let everything: Vec<String> = fs
        .list_files("")
        .unwrap()
        .into_iter()
        .map(|file| file.relpath)
        .collect();
    assert_eq!(
        everything,
        [
            "dir/A.txt",
            "dir/a.txt",
            "dir/a/z.txt",
            "dir/b.txt",
            "dirx/not-in-dir.txt",
            "file.csv"
        ]
    );
    assert!(fs.list_files("missing").unwrap().is_empty());
}

/// `list_directory`'s files (name, size) and subdirectories, each in listing order.
fn one_level(fs: &ExternalFs, dir: &str) -> (Vec<(String, Option<u64>)>, Vec<String>) {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for child in fs.list_directory(dir).unwrap() {
        match child {
            ExternalChild::File(file) => files.push((file.relpath, file.size)),
            ExternalChild::Directory(name) => dirs.push(name),
        }
    }
    (files, dirs)
}

#[test]
fn s3_list_directory_lists_one_level_with_its_own_marker() {
    let server = s3_source();
    let home = tempfile::tempdir().unwrap();
    let fs = s3_fs(&server, "s3://src/data", &[], home.path());
    let owned = |files: &[(&str, Option<u64>)]| -> Vec<(String, Option<u64>)> {
        files
            .iter()
            .map(|(name, size)| ((*name).to_owned(), *size))
            .collect()
    };
    assert_eq!(
        one_level(&fs, "dir"),
        (
            owned(&[("A.txt", Some(6)), ("a.txt", Some(2)), ("b.txt", Some(4))]),
            vec!["a".to_owned(), "marker".to_owned()]
        )
    );
    assert_eq!(one_level(&fs, "/dir/"), one_level(&fs, "dir"));
    assert_eq!(
        one_level(&fs, ""),
        (
            owned(&[("file.csv", Some(8))]),
            vec!["dir".to_owned(), "dirx".to_owned()]
        )
    );
    // A directory marker object is listed inside its directory, with an empty name.
    assert_eq!(
        one_level(&fs, "dir/marker"),
        (owned(&[("", Some(0))]), Vec::new())
    );
    assert_eq!(one_level(&fs, "missing"), (Vec::new(), Vec::new()));
}

#[test]
fn s3_download_many_writes_files_and_returns_their_md5() {
    let server = s3_source();
    let home = tempfile::tempdir().unwrap();
    let fs = s3_fs(&server, "s3://src/data", &[], home.path());
    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir(out.path().join("existing")).unwrap();
    std::fs::write(out.path().join("existing/file.csv"), b"old content").unwrap();
    let items = vec![
        (
            "file.csv".to_owned(),
            None,
            out.path().join("existing/file.csv"),
        ),
        (
            "dir/a/z.txt".to_owned(),
            None,
            out.path().join("new/deep/z.txt"),
        ),
        (
            "missing.txt".to_owned(),
            None,
            out.path().join("gone/missing.txt"),
        ),
    ];
    let mut progress = Recorder::default();
    let results = fs.download_many(&items, Some(2), &mut progress);
    assert_eq!(results[0].as_ref().unwrap(), &md5_hex(b"a,b\n1,2\n"));
    assert_eq!(results[1].as_ref().unwrap(), &md5_hex(b"zed\n"));
    let error = results[2].as_ref().unwrap_err();
    assert!(
        matches!(error, RemoteError::MissingObject { .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "object `missing.txt` is missing from `s3://src/data`"
    );
    assert_eq!(
        std::fs::read(out.path().join("existing/file.csv")).unwrap(),
        b"a,b\n1,2\n"
    );
    assert_eq!(
        std::fs::read(out.path().join("new/deep/z.txt")).unwrap(),
        b"zed\n"
    );
    // Nothing left for the missing object: no file, no temporary file.
    assert_eq!(
        files_in(out.path()),
        ["existing/file.csv", "new/deep/z.txt"]
    );
    assert_eq!(progress.bytes, 8 + 4);
    assert_eq!((progress.finished, progress.failed), (3, 1));
}

#[test]
fn s3_refused_credentials_are_errors_not_absence() {
    let server = S3Server::start_refusing_credentials();
    let home = tempfile::tempdir().unwrap();
    let secret = "very-secret-value-123";
    let fs = ExternalFs::open(&config(
        "",
        "s3://src/data",
        &[
            ("endpointurl", &server.endpoint),
            ("access_key_id", "AKIAWRONGKEY"),
            ("secret_access_key", secret),
        ],
        home.path(),
    ))
    .unwrap();
    // `HEAD` answers a bare 403.
    let error = fs.stat("file.csv").unwrap_err();
    assert!(
        matches!(error, RemoteError::Credentials { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("authentication with `s3://src/data` failed"),
        "{message}"
    );
    assert!(!message.contains(secret), "{message}");
    assert!(error.hint().unwrap().contains("AWS_ACCESS_KEY_ID"));

    let error = fs.list_files("dir").unwrap_err();
    assert!(
        matches!(error, RemoteError::Credentials { .. }),
        "{error:?}"
    );
    let paths: Vec<String> = (0..5).map(|index| format!("f{index}")).collect();
    for result in fs.stat_many(&paths, Some(2)) {
        let error = result.unwrap_err();
        assert!(
            matches!(error, RemoteError::Credentials { .. }),
            "{error:?}"
        );
    }
    let out = tempfile::tempdir().unwrap();
    let results = fs.download_many(
        &[("file.csv".to_owned(), None, out.path().join("file.csv"))],
        None,
        &mut (),
    );
    assert!(matches!(results[0], Err(RemoteError::Credentials { .. })));
    assert!(files_in(out.path()).is_empty());
}

#[test]
fn s3_missing_bucket_is_named() {
    let server = S3Server::start();
    let home = tempfile::tempdir().unwrap();
    let fs = s3_fs(&server, "s3://no-such-bucket/data", &[], home.path());
    let error = fs.stat("file.csv").unwrap_err();
    assert!(
        matches!(error, RemoteError::MissingBucket { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "bucket `no-such-bucket` of `s3://no-such-bucket/data` does not exist"
    );
}

#[test]
fn s3_version_aware_sources_report_and_fetch_versions() {
    let server = S3Server::start();
    server.create_bucket("vsrc");
    server.enable_versioning("vsrc");
    server.put_object("vsrc", "d/f.txt", b"first\n");
    let home = tempfile::tempdir().unwrap();
    let fs = s3_fs(
        &server,
        "s3://vsrc",
        &[("version_aware", "true")],
        home.path(),
    );
    let old = file(fs.stat("d/f.txt").unwrap());
    let old_version = old.version_id.clone().expect("a version id");
    assert_eq!(old.etag, Some(md5_hex(b"first\n")));

    server.put_object("vsrc", "d/f.txt", b"second\n");
    let new = file(fs.stat("d/f.txt").unwrap());
    let new_version = new.version_id.clone().expect("a version id");
    assert_ne!(old_version, new_version);
    assert_eq!(new.etag, Some(md5_hex(b"second\n")));

    // Listing gives the current version only.
    let listed = fs.list_files("d").unwrap();
    assert_eq!(
        listed,
        [ExternalFile {
            relpath: "f.txt".to_owned(),
            size: Some(7),
            etag: Some(md5_hex(b"second\n")),
            version_id: Some(new_version.clone()),
            checksum: None,
        }]
    );

    let out = tempfile::tempdir().unwrap();
    let items = vec![
        (
            "d/f.txt".to_owned(),
            Some(old_version),
            out.path().join("old"),
        ),
        (
            "d/f.txt".to_owned(),
            Some(new_version),
            out.path().join("new"),
        ),
        ("d/f.txt".to_owned(), None, out.path().join("latest")),
    ];
    let results = fs.download_many(&items, None, &mut ());
    assert_eq!(results[0].as_ref().unwrap(), &md5_hex(b"first\n"));
    assert_eq!(std::fs::read(out.path().join("old")).unwrap(), b"first\n");
    assert_eq!(std::fs::read(out.path().join("new")).unwrap(), b"second\n");
    assert_eq!(
        std::fs::read(out.path().join("latest")).unwrap(),
        b"second\n"
    );

    // Without `version_aware`, no version ids are reported.
    let plain = s3_fs(&server, "s3://vsrc", &[], home.path());
    assert_eq!(file(plain.stat("d/f.txt").unwrap()).version_id, None);
    assert_eq!(plain.list_files("d").unwrap()[0].version_id, None);
}

/// A file tree served over HTTP: `file.csv`, `sub/a b.txt`.
fn http_source() -> (tempfile::TempDir, HttpServer) {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("file.csv"), b"a,b\n1,2\n").unwrap();
    std::fs::create_dir(root.path().join("sub")).unwrap();
    std::fs::write(root.path().join("sub/a b.txt"), b"spaced\n").unwrap();
    let server = HttpServer::start(root.path());
    (root, server)
}

#[test]
fn http_stat_reports_the_etag_verbatim_as_checksum() {
    let (_root, server) = http_source();
    let home = tempfile::tempdir().unwrap();
    let fs = ExternalFs::open(&config("", &server.url, &[], home.path())).unwrap();
    assert_eq!(
        file(fs.stat("file.csv").unwrap()),
        ExternalFile {
            relpath: "file.csv".to_owned(),
            size: Some(8),
            etag: None,
            version_id: None,
            checksum: Some(format!("\"{}\"", md5_hex(b"a,b\n1,2\n"))),
        }
    );
    assert_eq!(file(fs.stat("sub/a%20b.txt").unwrap()).size, Some(7));
    assert_eq!(fs.stat("missing.csv").unwrap(), None);
    assert!(
        server
            .requests()
            .contains(&"HEAD /file.csv HTTP/1.1".to_owned())
    );

    // The URL of the file itself as the root.
    let url = format!("{}/file.csv", server.url);
    let single = ExternalFs::open(&config("", &url, &[], home.path())).unwrap();
    assert_eq!(file(single.stat("").unwrap()).size, Some(8));

    let results = fs.stat_many(
        &[
            "file.csv".to_owned(),
            "nope".to_owned(),
            "sub/a%20b.txt".to_owned(),
        ],
        Some(3),
    );
    assert_eq!(file(results[0].as_ref().unwrap().clone()).size, Some(8));
    assert_eq!(results[1].as_ref().unwrap(), &None);
    assert_eq!(file(results[2].as_ref().unwrap().clone()).size, Some(7));

    let error = fs.list_files("sub").unwrap_err();
    assert!(
        matches!(error, RemoteError::UnsupportedOperation { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "listing directory `sub` is not supported for `{}`",
            server.url
        )
    );
}

#[test]
fn http_download_many_writes_files_and_returns_their_md5() {
    let (_root, server) = http_source();
    let home = tempfile::tempdir().unwrap();
    let fs = ExternalFs::open(&config("", &server.url, &[], home.path())).unwrap();
    let out = tempfile::tempdir().unwrap();
    let items = vec![
        ("file.csv".to_owned(), None, out.path().join("a/file.csv")),
        ("sub/a%20b.txt".to_owned(), None, out.path().join("b.txt")),
        ("missing".to_owned(), None, out.path().join("c/missing")),
    ];
    let mut progress = Recorder::default();
    let results = fs.download_many(&items, None, &mut progress);
    assert_eq!(results[0].as_ref().unwrap(), &md5_hex(b"a,b\n1,2\n"));
    assert_eq!(results[1].as_ref().unwrap(), &md5_hex(b"spaced\n"));
    let error = results[2].as_ref().unwrap_err();
    assert!(
        matches!(error, RemoteError::MissingObject { .. }),
        "{error:?}"
    );
    assert_eq!(
        std::fs::read(out.path().join("a/file.csv")).unwrap(),
        b"a,b\n1,2\n"
    );
    assert_eq!(files_in(out.path()), ["a/file.csv", "b.txt"]);
    assert_eq!(progress.bytes, 8 + 7);
    assert_eq!((progress.finished, progress.failed), (3, 1));
}

#[test]
fn http_unreachable_and_refused_are_errors() {
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.local_addr().unwrap().port()
    };
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/data");
    let mut closed = config("", &url, &[], home.path());
    closed.retries.max_retries = 0;
    let fs = ExternalFs::open(&closed).unwrap();
    let error = fs.stat("file.csv").unwrap_err();
    assert!(
        matches!(error, RemoteError::Unreachable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot reach `{url}` at `http://127.0.0.1:{port}`"
        )),
        "{message}"
    );
    assert!(message.to_lowercase().contains("refused"), "{message}");

    const FORBIDDEN: &str =
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (endpoint, server) = scripted_server(vec![FORBIDDEN], Duration::ZERO);
    let fs = ExternalFs::open(&config("", &endpoint, &[], home.path())).unwrap();
    let error = fs.stat("secret.csv").unwrap_err();
    assert!(
        matches!(error, RemoteError::Credentials { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "authentication with `{endpoint}` failed: HTTP status 403 Forbidden for \
             `{endpoint}/secret.csv`"
        )
    );
    let requests = server.join().unwrap();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("HEAD /secret.csv HTTP/1.1\r\n"),
        "{requests:?}"
    );
}

#[test]
fn http_basic_authentication_is_sent() {
    const FOUND: &str = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-MD5: bWQ1\r\n\
                         Connection: close\r\n\r\n";
    let (endpoint, server) = scripted_server(vec![FOUND], Duration::ZERO);
    let home = tempfile::tempdir().unwrap();
    let fs = ExternalFs::open(&config(
        "web",
        &endpoint,
        &[("auth", "basic"), ("user", "me"), ("password", "pw")],
        home.path(),
    ))
    .unwrap();
    // No ETag: the checksum is `Content-MD5`.
    assert_eq!(
        file(fs.stat("f").unwrap()).checksum.as_deref(),
        Some("bWQ1")
    );
    let requests = server.join().unwrap();
    // base64 of `me:pw`.
    assert!(
        requests[0]
            .to_lowercase()
            .contains("\r\nauthorization: basic bwu6chc="),
        "{requests:?}"
    );
    // `digest` is refused up front.
    let error = ExternalFs::open(&config(
        "web",
        &endpoint,
        &[("auth", "digest")],
        home.path(),
    ))
    .unwrap_err();
    assert!(
        matches!(error, RemoteError::InvalidOption { .. }),
        "{error:?}"
    );
}

/// `jobs` requests must be in flight at the same time: the server answers none of them until
/// all have arrived (or 10 s passed, then with `500`, so a sequential client fails).
fn assert_concurrent(open: impl FnOnce(&str) -> ExternalFs, found: &'static str) {
    const JOBS: usize = 4;
    let (endpoint, server) = scripted_server(vec![found; JOBS], Duration::from_secs(10));
    let fs = open(&endpoint);
    let paths: Vec<String> = (0..JOBS).map(|index| format!("f{index}")).collect();
    for result in fs.stat_many(&paths, Some(JOBS)) {
        assert!(
            matches!(result, Ok(Some(ExternalEntry::File(_)))),
            "{result:?}"
        );
    }
    let requests = server.join().unwrap();
    assert_eq!(requests.len(), JOBS);
}

#[test]
fn stat_many_sends_its_requests_concurrently() {
    const S3_FOUND: &str = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nETag: \"e\"\r\n\
                            Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n\
                            Connection: close\r\n\r\n";
    const HTTP_FOUND: &str =
        "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nETag: \"e\"\r\nConnection: close\r\n\r\n";
    let home = tempfile::tempdir().unwrap();
    assert_concurrent(
        |endpoint| {
            let mut config = config(
                "",
                "s3://bucket/data",
                &[
                    ("endpointurl", endpoint),
                    ("access_key_id", "test"),
                    ("secret_access_key", "test"),
                ],
                home.path(),
            );
            config.retries.max_retries = 0;
            ExternalFs::open(&config).unwrap()
        },
        S3_FOUND,
    );
    assert_concurrent(
        |endpoint| {
            let mut config = config("", endpoint, &[], home.path());
            config.retries.max_retries = 0;
            ExternalFs::open(&config).unwrap()
        },
        HTTP_FOUND,
    );
}

/// Serves `responses`, one per connection, on a loopback port: reads each request head, and
/// when `gather` is not zero first waits (up to `gather`) until all connections are open,
/// answering `500` instead if they do not all arrive. Returns the endpoint and a handle
/// yielding the request heads received.
fn scripted_server(
    responses: Vec<&'static str>,
    gather: Duration,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + gather;
        listener.set_nonblocking(!gather.is_zero()).unwrap();
        let mut open: Vec<(TcpStream, String)> = Vec::new();
        let mut requests = Vec::new();
        let mut answer = |(mut stream, line): (TcpStream, String), response: &str| {
            requests.push(line);
            stream.write_all(response.as_bytes()).unwrap();
        };
        for response in &responses {
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break Some(stream),
                    Err(_) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => break None,
                }
            };
            let Some(mut stream) = stream else {
                break;
            };
            stream.set_nonblocking(false).unwrap();
            let line = request_head(&mut stream);
            if gather.is_zero() {
                answer((stream, line), response);
            } else {
                open.push((stream, line));
            }
        }
        let complete = open.len() == responses.len();
        for (connection, response) in open.into_iter().zip(&responses) {
            let error = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\
                         Connection: close\r\n\r\n";
            answer(connection, if complete { response } else { error });
        }
        requests
    });
    (endpoint, handle)
}

/// Reads a request head (without the blank line).
fn request_head(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).trim_end().to_owned()
}
