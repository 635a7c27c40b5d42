//! Remotes against real storage: temporary directories and loopback S3 (`moto`), Azure Blob
//! Storage (Azurite) and WebDAV (`wsgidav`) servers.
//!
//! The S3 tests need the pinned `moto_server` (`DV_VENV_DIR`, see `dv_test::venv`).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dv_remote::{
    Layout, ObjectDownload, ObjectKey, ObjectKind, Remote, RemoteConfig, RemoteError, RemoteKind,
    Retries, TransferProgress,
};
use dv_test::{AzureServer, GcsServer, S3Server, WebDavServer};
use md5::Digest as _;
use tempfile::TempDir;

/// A file's content and its object key.
struct Object {
    content: Vec<u8>,
    key: ObjectKey,
}

impl Object {
    fn new(content: &[u8], kind: ObjectKind) -> Self {
        Object {
            content: content.to_vec(),
            key: ObjectKey::new(md5::Md5::digest(content).into(), kind, Layout::Md5),
        }
    }
}

/// A few objects: small files, an empty file, a `.dir` manifest.
fn sample_objects() -> Vec<Object> {
    vec![
        Object::new(b"one\n", ObjectKind::File),
        Object::new(b"two\r\n", ObjectKind::File),
        Object::new(b"", ObjectKind::File),
        Object::new(
            br#"[{"md5": "5bbf5a52328e7439ae6e719dfe712200", "relpath": "f1"}]"#,
            ObjectKind::Tree,
        ),
    ]
}

/// Writes each object's content into `dir` (as a cache would hold it) and returns the upload
/// batch.
fn stage(dir: &Path, objects: &[Object]) -> Vec<(PathBuf, ObjectKey)> {
    objects
        .iter()
        .map(|object| {
            let path = dir.join(object.key.to_string());
            std::fs::write(&path, &object.content).unwrap();
            (path, object.key)
        })
        .collect()
}

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

fn s3_config(server: &S3Server, url: &str, home: &Path) -> RemoteConfig {
    let mut config = config("storage", url, &[("endpointurl", &server.endpoint)], home);
    config.environment.extend(
        server
            .credentials_env()
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
    );
    config
}

/// Records every progress event.
#[derive(Default)]
struct Recorder {
    bytes: u64,
    finished: BTreeSet<usize>,
    failed: usize,
}

impl TransferProgress for Recorder {
    fn transferred(&mut self, _item: usize, bytes: u64) {
        self.bytes += bytes;
    }

    fn finished(&mut self, item: usize, result: Result<(), &RemoteError>) {
        assert!(self.finished.insert(item), "item {item} finished twice");
        if result.is_err() {
            self.failed += 1;
        }
    }
}

fn all_ok(results: Vec<Result<(), RemoteError>>) {
    for (index, result) in results.into_iter().enumerate() {
        if let Err(error) = result {
            panic!("item {index} failed: {error}");
        }
    }
}

/// Uploads the sample objects, checks existence, downloads them into a fresh directory and
/// compares; returns the scratch directory so that callers can inspect it.
fn round_trip(remote: &Remote) -> TempDir {
    let scratch = tempfile::tempdir().unwrap();
    let source = scratch.path().join("source");
    std::fs::create_dir(&source).unwrap();
    let objects = sample_objects();
    let uploads = stage(&source, &objects);
    let absent = Object::new(b"never uploaded", ObjectKind::File).key;

    let mut keys: Vec<ObjectKey> = objects.iter().map(|object| object.key).collect();
    keys.push(absent);
    let before = remote.exists_many(&keys, None).unwrap();
    assert!(before.iter().all(|exists| !exists), "{before:?}");

    let mut progress = Recorder::default();
    all_ok(remote.upload_many(&uploads, Some(2), &mut progress));
    let total: u64 = objects.iter().map(|o| o.content.len() as u64).sum();
    assert_eq!(progress.bytes, total);
    assert_eq!(progress.finished.len(), objects.len());

    let after = remote.exists_many(&keys, None).unwrap();
    assert_eq!(after, vec![true, true, true, true, false]);
    // One key alone takes the single-object path.
    assert_eq!(remote.exists_many(&keys[..1], None).unwrap(), vec![true]);

    let listed: BTreeSet<ObjectKey> = remote.list_all().map(Result::unwrap).collect();
    let expected: BTreeSet<ObjectKey> = objects.iter().map(|object| object.key).collect();
    assert_eq!(listed, expected);

    let cache = scratch.path().join("cache");
    // Objects exactly as large as their recorded size are fine.
    let downloads: Vec<ObjectDownload> = objects
        .iter()
        .map(|object| {
            let hex = object.key.md5_hex();
            let name = object.key.to_string();
            ObjectDownload {
                key: object.key,
                size: Some(object.content.len() as u64),
                destination: cache.join(&hex[..2]).join(&name[2..]),
            }
        })
        .collect();
    let mut progress = Recorder::default();
    all_ok(remote.download_many(&downloads, None, &mut progress));
    assert_eq!(progress.bytes, total);
    for (object, download) in objects.iter().zip(&downloads) {
        let path = &download.destination;
        assert_eq!(
            std::fs::read(path).unwrap(),
            object.content,
            "{}",
            path.display()
        );
    }
    assert_no_temporary_files(&cache);

    // One byte more than recorded fails the object and leaves nothing behind.
    let elsewhere = scratch.path().join("elsewhere");
    let results = remote.download_many(
        &[ObjectDownload {
            key: objects[0].key,
            size: Some(objects[0].content.len() as u64 - 1),
            destination: elsewhere.join("object"),
        }],
        None,
        &mut (),
    );
    let error = results.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(error, RemoteError::TooLarge { .. }), "{error}");
    assert!(
        error.to_string().contains(&format!(
            "object `{}` of remote",
            objects[0].key.remote_path()
        )),
        "{error}"
    );
    assert_eq!(walk(&elsewhere), Vec::<PathBuf>::new());
    scratch
}

fn assert_no_temporary_files(dir: &Path) {
    for entry in walk(dir) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".tmp"),
            "temporary file left: {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Downloads `key` into an empty directory and expects [`RemoteError::Corrupted`], with
/// nothing left behind.
fn assert_corruption_detected(remote: &Remote, key: ObjectKey) {
    let scratch = tempfile::tempdir().unwrap();
    let destination = scratch.path().join("cache").join("object");
    let results = remote.download_many(
        &[ObjectDownload::new(key, destination.clone())],
        None,
        &mut (),
    );
    let error = results.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(error, RemoteError::Corrupted { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains(&key.remote_path()), "{message}");
    assert!(!destination.exists());
    assert_eq!(walk(scratch.path()), Vec::<PathBuf>::new());
}

// ---------------------------------------------------------------------------------------------
// Local directory remotes

#[test]
fn local_remote_round_trip_writes_read_only_objects_in_dvc_layout() {
    let home = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let url = store.path().join("remote");
    let remote = Remote::open(&config("backup", url.to_str().unwrap(), &[], home.path())).unwrap();
    assert_eq!(remote.kind(), RemoteKind::Local);
    round_trip(&remote);

    let tree = &sample_objects()[3];
    let hex = tree.key.md5_hex();
    let path = url
        .join("files/md5")
        .join(&hex[..2])
        .join(format!("{}.dir", &hex[2..]));
    assert_eq!(std::fs::read(&path).unwrap(), tree.content);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o444, "{}", path.display());
    }
    assert_no_temporary_files(&url);
}

#[test]
fn local_remote_via_file_url_and_reupload_over_a_read_only_object() {
    let home = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let url = format!("file://{}", store.path().display());
    let remote = Remote::open(&config("backup", &url, &[], home.path())).unwrap();
    let source = tempfile::tempdir().unwrap();
    let uploads = stage(source.path(), &sample_objects());
    all_ok(remote.upload_many(&uploads, None, &mut ()));
    all_ok(remote.upload_many(&uploads, None, &mut ()));
    assert_eq!(remote.list_all().count(), uploads.len());
}

#[test]
fn local_remote_detects_a_corrupted_object() {
    let home = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let remote = Remote::open(&config(
        "backup",
        store.path().to_str().unwrap(),
        &[],
        home.path(),
    ))
    .unwrap();
    let key = Object::new(b"expected content", ObjectKind::File).key;
    let path = store.path().join(key.remote_path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"tampered content").unwrap();
    assert_corruption_detected(&remote, key);
}

#[test]
fn local_remote_reports_missing_objects_per_item() {
    let home = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let remote = Remote::open(&config(
        "backup",
        store.path().to_str().unwrap(),
        &[],
        home.path(),
    ))
    .unwrap();
    let source = tempfile::tempdir().unwrap();
    let objects = sample_objects();
    all_ok(remote.upload_many(&stage(source.path(), &objects[..1]), None, &mut ()));
    let target = tempfile::tempdir().unwrap();
    let missing = objects[1].key;
    let mut progress = Recorder::default();
    let results = remote.download_many(
        &[
            ObjectDownload::new(objects[0].key, target.path().join("a")),
            ObjectDownload::new(missing, target.path().join("b")),
        ],
        None,
        &mut progress,
    );
    assert!(results[0].is_ok());
    let error = results[1].as_ref().unwrap_err();
    assert!(
        matches!(error, RemoteError::MissingObject { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains(&missing.remote_path()),
        "{error}"
    );
    assert_eq!(progress.failed, 1);
    assert!(!target.path().join("b").exists());
}

#[test]
fn legacy_objects_use_the_flat_layout_and_dos2unix_hash() {
    let home = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let remote = Remote::open(&config(
        "backup",
        store.path().to_str().unwrap(),
        &[],
        home.path(),
    ))
    .unwrap();
    // Spec §3.3: `a\r\nb\r\n` has dos2unix md5 dd8c6a395b5dd36c56d23275028f526c.
    let key = ObjectKey::parse("dd8c6a395b5dd36c56d23275028f526c", Layout::Legacy).unwrap();
    let source = tempfile::tempdir().unwrap();
    let file = source.path().join("crlf.txt");
    std::fs::write(&file, b"a\r\nb\r\n").unwrap();
    all_ok(remote.upload_many(&[(file, key)], None, &mut ()));
    assert!(
        store
            .path()
            .join("dd/8c6a395b5dd36c56d23275028f526c")
            .is_file()
    );
    assert_eq!(remote.list_all().count(), 0);
    let legacy: Vec<ObjectKey> = remote.list(Layout::Legacy).map(Result::unwrap).collect();
    assert_eq!(legacy, vec![key]);
    let destination = source.path().join("restored");
    all_ok(remote.download_many(
        &[ObjectDownload::new(key, destination.clone())],
        None,
        &mut (),
    ));
    assert_eq!(std::fs::read(destination).unwrap(), b"a\r\nb\r\n");
}

#[test]
fn unsupported_remote_types_are_named() {
    let home = tempfile::tempdir().unwrap();
    for url in ["hdfs://host/path", "oss://bucket/path", "gdrive://folder"] {
        let error = Remote::open(&config("other", url, &[], home.path())).unwrap_err();
        assert!(matches!(error, RemoteError::Unsupported { .. }), "{error}");
        assert!(error.to_string().contains("remote `other`"), "{error}");
    }
    let error = Remote::open(&config(
        "versioned",
        "s3://bucket/path",
        &[("version_aware", "true")],
        home.path(),
    ))
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("version-aware remotes are not supported yet"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// S3 remotes

#[test]
fn s3_remote_round_trip_in_dvc_layout() {
    let server = S3Server::start();
    server.create_bucket("dvc-store");
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&s3_config(
        &server,
        "s3://dvc-store/path/to/store",
        home.path(),
    ))
    .unwrap();
    assert_eq!(remote.kind(), RemoteKind::S3);
    round_trip(&remote);

    let objects = sample_objects();
    let mut expected: Vec<String> = objects
        .iter()
        .map(|object| format!("path/to/store/{}", object.key.remote_path()))
        .collect();
    expected.sort();
    assert_eq!(server.list_keys("dvc-store", ""), expected);
    let tree = &objects[3];
    assert_eq!(
        server.get_object(
            "dvc-store",
            &format!("path/to/store/{}", tree.key.remote_path())
        ),
        tree.content
    );
}

#[test]
fn s3_remote_uploads_large_files_in_parts() {
    let server = S3Server::start();
    server.create_bucket("big");
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&s3_config(&server, "s3://big", home.path())).unwrap();
    let content: Vec<u8> = (0..9 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    let object = Object::new(&content, ObjectKind::File);
    let scratch = tempfile::tempdir().unwrap();
    let uploads = stage(scratch.path(), std::slice::from_ref(&object));
    let mut progress = Recorder::default();
    all_ok(remote.upload_many(&uploads, None, &mut progress));
    assert_eq!(progress.bytes, content.len() as u64);
    assert_eq!(server.get_object("big", &object.key.remote_path()), content);
    let destination = scratch.path().join("downloaded");
    all_ok(remote.download_many(
        &[ObjectDownload::new(object.key, destination.clone())],
        None,
        &mut (),
    ));
    assert_eq!(std::fs::read(destination).unwrap(), content);
}

#[test]
fn s3_remote_detects_a_corrupted_object() {
    let server = S3Server::start();
    server.create_bucket("bucket");
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&s3_config(&server, "s3://bucket/store", home.path())).unwrap();
    let key = Object::new(b"expected content", ObjectKind::File).key;
    server.put_object(
        "bucket",
        &format!("store/{}", key.remote_path()),
        b"tampered content",
    );
    assert_eq!(remote.exists_many(&[key], None).unwrap(), vec![true]);
    assert_corruption_detected(&remote, key);

    let missing = Object::new(b"not on the remote", ObjectKind::File).key;
    let scratch = tempfile::tempdir().unwrap();
    let destination = scratch.path().join("object");
    let results = remote.download_many(
        &[ObjectDownload::new(missing, destination.clone())],
        None,
        &mut (),
    );
    let error = results.into_iter().next().unwrap().unwrap_err();
    assert!(
        matches!(error, RemoteError::MissingObject { .. }),
        "{error:?}"
    );
    assert!(!destination.exists());
}

#[test]
fn s3_existence_of_many_objects_is_answered_by_listing() {
    let server = S3Server::start();
    server.create_bucket("many");
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&s3_config(&server, "s3://many/store", home.path())).unwrap();
    let mut present = Vec::new();
    for index in 0..300 {
        let object = Object::new(format!("object {index}").as_bytes(), ObjectKind::File);
        server.put_object(
            "many",
            &format!("store/{}", object.key.remote_path()),
            &object.content,
        );
        present.push(object.key);
    }
    let absent: Vec<ObjectKey> = (0..300)
        .map(|index| Object::new(format!("absent {index}").as_bytes(), ObjectKind::File).key)
        .collect();
    let mut keys = present.clone();
    keys.extend(&absent);

    // The fixture's uploads are in the log: the request counting works.
    assert!(count_requests(&server, "PUT /many/store/files/md5/") >= 300);
    let heads_before = count_requests(&server, "HEAD");
    let lists_before = count_requests(&server, "GET /many?");
    let found = remote.exists_many(&keys, None).unwrap();
    assert_eq!(&found[..300], vec![true; 300].as_slice());
    assert_eq!(&found[300..], vec![false; 300].as_slice());
    // Answered by listing: no HEAD request, a handful of list requests (shard 00 + all).
    assert_eq!(
        count_requests(&server, "HEAD"),
        heads_before,
        "{}",
        server.log()
    );
    let lists = count_requests(&server, "GET /many?") - lists_before;
    assert!(
        (1..=4).contains(&lists),
        "{lists} listings:\n{}",
        server.log()
    );

    let listed: BTreeSet<ObjectKey> = remote.list_all().map(Result::unwrap).collect();
    assert_eq!(listed, present.iter().copied().collect());

    // A huge `jobs` is capped (a committed `jobs = 100000000` must not open that many
    // connections): the same answers, still by listing, with no more requests than the
    // 256 shards concurrently (which of the two listings wins is `existence::choose`'s call,
    // unit-tested there).
    let lists_before = count_requests(&server, "GET /many?");
    assert_eq!(remote.exists_many(&keys, Some(1000)).unwrap(), found);
    let lists = count_requests(&server, "GET /many?") - lists_before;
    assert!((1..=256).contains(&lists), "{lists}: {}", server.log());
    assert_eq!(count_requests(&server, "HEAD"), heads_before);
}

/// Lines of the server log for requests starting with `request` (e.g. `HEAD`).
fn count_requests(server: &S3Server, request: &str) -> usize {
    let needle = format!("\"{request}");
    server
        .log()
        .lines()
        .filter(|line| strip_ansi(line).contains(&needle))
        .count()
}

fn strip_ansi(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(character) = chars.next() {
        if character == '\u{1b}' {
            for next in chars.by_ref() {
                if next == 'm' {
                    break;
                }
            }
        } else {
            plain.push(character);
        }
    }
    plain
}

#[test]
fn s3_legacy_objects_live_at_the_remote_root() {
    let server = S3Server::start();
    server.create_bucket("legacy");
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&s3_config(&server, "s3://legacy/store", home.path())).unwrap();
    let key = ObjectKey::parse("dd8c6a395b5dd36c56d23275028f526c", Layout::Legacy).unwrap();
    let modern = Object::new(b"a\r\nb\r\n", ObjectKind::File);
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("crlf.txt");
    std::fs::write(&file, b"a\r\nb\r\n").unwrap();
    all_ok(remote.upload_many(&[(file.clone(), key), (file, modern.key)], None, &mut ()));
    assert_eq!(
        server.list_keys("legacy", "store/"),
        vec![
            "store/dd/8c6a395b5dd36c56d23275028f526c".to_owned(),
            format!("store/{}", modern.key.remote_path()),
        ]
    );
    assert_eq!(
        remote.exists_many(&[key, modern.key], None).unwrap(),
        vec![true, true]
    );
    let legacy: Vec<ObjectKey> = remote.list(Layout::Legacy).map(Result::unwrap).collect();
    assert_eq!(legacy, vec![key]);
    let destination = scratch.path().join("restored");
    all_ok(remote.download_many(
        &[ObjectDownload::new(key, destination.clone())],
        None,
        &mut (),
    ));
    assert_eq!(std::fs::read(destination).unwrap(), b"a\r\nb\r\n");
}

#[test]
fn s3_missing_bucket_is_reported_as_such() {
    let server = S3Server::start();
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&s3_config(
        &server,
        "s3://no-such-bucket/store",
        home.path(),
    ))
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let objects = sample_objects();
    let uploads = stage(scratch.path(), &objects);
    let mut progress = Recorder::default();
    let results = remote.upload_many(&uploads, Some(1), &mut progress);
    assert_eq!(progress.failed, objects.len());
    for result in &results {
        let error = result.as_ref().unwrap_err();
        assert!(
            matches!(error, RemoteError::MissingBucket { .. }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "bucket `no-such-bucket` of remote `storage` (`s3://no-such-bucket/store`) does not \
             exist"
        );
    }
    // Listing (several keys) reports the bucket too.
    let keys: Vec<ObjectKey> = objects.iter().map(|object| object.key).collect();
    let error = remote.exists_many(&keys, None).unwrap_err();
    assert!(
        matches!(error, RemoteError::MissingBucket { .. }),
        "{error}"
    );
    assert!(
        error
            .hint()
            .unwrap()
            .contains("dv remote modify storage url")
    );
}

#[test]
fn s3_unreachable_endpoint_is_reported_with_a_hint() {
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    let mut config = config(
        "storage",
        "s3://bucket/store",
        &[
            ("endpointurl", &endpoint),
            ("access_key_id", "test"),
            ("secret_access_key", "test"),
        ],
        home.path(),
    );
    config.retries.max_retries = 0;
    let remote = Remote::open(&config).unwrap();
    let keys: Vec<ObjectKey> = sample_objects().iter().map(|o| o.key).collect();
    let error = remote.exists_many(&keys, None).unwrap_err();
    assert!(
        matches!(error, RemoteError::Unreachable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(&endpoint), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(error.hint().unwrap().contains("endpointurl"));

    let scratch = tempfile::tempdir().unwrap();
    let results = remote.upload_many(&stage(scratch.path(), &sample_objects()), Some(1), &mut ());
    for result in results {
        let error = result.unwrap_err();
        assert!(matches!(error, RemoteError::Unreachable { .. }), "{error}");
    }
}

#[test]
fn s3_refused_credentials_are_reported_without_the_secret() {
    let server = S3Server::start_refusing_credentials();
    let home = tempfile::tempdir().unwrap();
    let secret = "very-secret-value-123";
    let config = config(
        "storage",
        "s3://bucket/store",
        &[
            ("endpointurl", &server.endpoint),
            ("access_key_id", "AKIAWRONGKEY"),
            ("secret_access_key", secret),
        ],
        home.path(),
    );
    assert!(!format!("{config:?}").contains(secret));
    let remote = Remote::open(&config).unwrap();
    assert!(!format!("{remote:?}").contains(secret));

    let keys: Vec<ObjectKey> = sample_objects().iter().map(|o| o.key).collect();
    // A single key is answered by HEAD (403 without a body), several by listing
    // (`InvalidAccessKeyId`).
    for keys in [&keys[..1], &keys[..]] {
        let error = remote.exists_many(keys, None).unwrap_err();
        assert!(
            matches!(error, RemoteError::Credentials { .. }),
            "{error:?}"
        );
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let hint = error.hint().unwrap();
        assert!(
            hint.contains("dv remote modify --local storage access_key_id"),
            "{hint}"
        );
    }

    let scratch = tempfile::tempdir().unwrap();
    let results = remote.upload_many(&stage(scratch.path(), &sample_objects()), Some(1), &mut ());
    for result in results {
        let error = result.unwrap_err();
        assert!(matches!(error, RemoteError::Credentials { .. }), "{error}");
        assert!(error.to_string().contains("InvalidAccessKeyId"), "{error}");
    }
}

#[test]
fn s3_credentials_come_from_the_shared_credentials_file() {
    let server = S3Server::start();
    server.create_bucket("profiles");
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[dvc]\naws_access_key_id = test\naws_secret_access_key = test\n",
    )
    .unwrap();
    let config = config(
        "storage",
        "s3://profiles/store",
        &[("endpointurl", &server.endpoint), ("profile", "dvc")],
        home.path(),
    );
    let remote = Remote::open(&config).unwrap();
    round_trip(&remote);
}

#[test]
fn s3_without_any_credentials_fails_before_sending() {
    let home = tempfile::tempdir().unwrap();
    // The endpoint is never contacted: signing fails first.
    let config = config(
        "storage",
        "s3://bucket/store",
        &[("endpointurl", "http://127.0.0.1:9")],
        home.path(),
    );
    let remote = Remote::open(&config).unwrap();
    let key = sample_objects()[0].key;
    let error = remote.exists_many(&[key], None).unwrap_err();
    assert!(
        matches!(error, RemoteError::Credentials { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("no usable AWS credentials"),
        "{error}"
    );
}

/// Serves `responses` in order, one per connection, on a loopback port; returns the endpoint
/// and a handle yielding the request lines received.
fn scripted_server(responses: &[&'static str]) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let responses = responses.to_vec();
    let handle = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for response in responses {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            requests.push(head.lines().next().unwrap_or_default().to_owned());
            stream.write_all(response.as_bytes()).unwrap();
        }
        requests
    });
    (endpoint, handle)
}

#[test]
fn s3_server_errors_are_retried() {
    const UNAVAILABLE: &str =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    const INTERNAL: &str =
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    const FOUND: &str = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nETag: \"e\"\r\n\
                         Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\nConnection: close\r\n\r\n";
    let (endpoint, server) = scripted_server(&[UNAVAILABLE, INTERNAL, FOUND]);
    let home = tempfile::tempdir().unwrap();
    let mut config = config(
        "storage",
        "s3://bucket/store",
        &[
            ("endpointurl", &endpoint),
            ("access_key_id", "test"),
            ("secret_access_key", "test"),
        ],
        home.path(),
    );
    config.retries.max_retries = 2;
    let remote = Remote::open(&config).unwrap();
    let key = sample_objects()[0].key;
    assert_eq!(remote.exists_many(&[key], None).unwrap(), vec![true]);
    let requests = server.join().unwrap();
    let expected = format!("HEAD /bucket/store/{} HTTP/1.1", key.remote_path());
    assert_eq!(requests, vec![expected; 3]);
}

// ---------------------------------------------------------------------------------------------
// Azure Blob Storage (Azurite) and WebDAV (wsgidav) remotes

/// Deletes the first of the sample objects a round trip left on `remote` and checks that a
/// listing shows exactly the others; returns the samples.
fn delete_the_first_sample_and_list(remote: &Remote) -> Vec<Object> {
    let objects = sample_objects();
    remote.delete_many(&[objects[0].key], None).unwrap();
    let listed: BTreeSet<ObjectKey> = remote.list_all().map(Result::unwrap).collect();
    let expected: BTreeSet<ObjectKey> = objects[1..].iter().map(|object| object.key).collect();
    assert_eq!(listed, expected);
    objects
}

#[test]
fn azure_remote_round_trip_listing_and_deletion() {
    let server = AzureServer::start();
    server.create_container("bucket");
    let home = tempfile::tempdir().unwrap();
    let connection_string = server.connection_string();
    let remote = Remote::open(&config(
        "storage",
        "azure://bucket/store",
        &[("connection_string", &connection_string)],
        home.path(),
    ))
    .unwrap();
    assert_eq!(remote.kind(), RemoteKind::Azure);
    let _scratch = round_trip(&remote);

    let objects = delete_the_first_sample_and_list(&remote);

    // The wrong key is refused, and never shown.
    let wrong = connection_string.replace(server.account_key(), "d3Jvbmc=");
    let remote = Remote::open(&config(
        "storage",
        "azure://bucket/store",
        &[("connection_string", &wrong)],
        home.path(),
    ))
    .unwrap();
    let error = remote.exists_many(&[objects[1].key], None).unwrap_err();
    assert!(
        matches!(error, RemoteError::Credentials { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("d3Jvbmc="), "{error}");
    assert!(error.hint().unwrap().contains("connection_string"));
}

#[test]
fn webdav_remote_round_trip_listing_and_deletion() {
    let root = tempfile::tempdir().unwrap();
    let server = WebDavServer::start(root.path().join("dav"));
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&config(
        "storage",
        &server.url("/a/store"),
        &[],
        home.path(),
    ))
    .unwrap();
    assert_eq!(remote.kind(), RemoteKind::WebDav);
    let _scratch = round_trip(&remote);
    let object = &sample_objects()[0];
    assert_eq!(
        std::fs::read(server.root.join("a/store").join(object.key.remote_path())).unwrap(),
        object.content
    );
    assert_no_temporary_files(&server.root);
    remote.delete_many(&[object.key], None).unwrap();
    assert_eq!(
        remote.exists_many(&[object.key], None).unwrap(),
        vec![false]
    );
}

#[test]
fn gcs_remote_round_trip_listing_and_deletion() {
    let server = GcsServer::start("bucket");
    let home = tempfile::tempdir().unwrap();
    let remote = Remote::open(&config(
        "storage",
        "gs://bucket/store",
        &[
            ("endpointurl", &server.endpoint),
            ("allow_anonymous_login", "true"),
        ],
        home.path(),
    ))
    .unwrap();
    assert_eq!(remote.kind(), RemoteKind::Gs);
    let _scratch = round_trip(&remote);
    delete_the_first_sample_and_list(&remote);
}
