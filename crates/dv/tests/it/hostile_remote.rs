//! A remote or a cache that does not behave: HTTP redirects to another origin never receive
//! the remote's credentials, objects larger than their recorded size are cut off, push refuses
//! cache objects whose content does not match their name, and what a broken or stale cache
//! leaves behind is reported and cleaned up.

use std::path::PathBuf;

use crate::support::{ServedHttp, dv};
use dv_test::{
    HttpServer, HttpServerOptions, TestRepo, tracked_with_local_remote, tracked_with_remote,
};

/// The heads a server received that mention `needle` (case-insensitive).
fn heads_with(server: &HttpServer, needle: &str) -> Vec<String> {
    let needle = needle.to_ascii_lowercase();
    server
        .request_heads()
        .into_iter()
        .filter(|head| head.to_ascii_lowercase().contains(&needle))
        .collect()
}

#[test]
fn http_credentials_do_not_follow_a_redirect_to_another_origin() {
    let http = ServedHttp::writable();
    let elsewhere = &http.server;
    let repo = tracked_with_remote(&http.url("/store"), &[]);
    dv(&repo, &["push"]).success();
    // The configured server sends every read to the other one (another port: another origin).
    let front = HttpServer::start_with(
        &http.dir,
        HttpServerOptions {
            redirect_to: Some(elsewhere.url.clone()),
            ..HttpServerOptions::default()
        },
    );
    let front_url = format!("{}/store", front.url);

    for (settings, secret) in [
        (
            &[
                &["auth", "custom"][..],
                &["custom_auth_header", "X-Secret-Token"],
                &["password", "hunter2-custom"],
            ][..],
            "hunter2-custom",
        ),
        (
            &[
                &["auth", "basic"][..],
                &["user", "alice"],
                &["password", "s3cret"],
            ],
            // base64("alice:s3cret")
            "YWxpY2U6czNjcmV0",
        ),
    ] {
        let clone = repo.git_clone();
        dv(&clone, &["remote", "modify", "store", "url", &front_url]).success();
        for setting in settings {
            dv(
                &clone,
                &[&["remote", "modify", "--local", "store"][..], setting].concat(),
            )
            .success();
        }
        let before_front = front.request_heads().len();
        let before_elsewhere = elsewhere.request_heads().len();
        let out = dv(&clone, &["pull"]);
        assert_eq!(out.code, 0, "{out}");
        assert_eq!(clone.read("a.txt"), "hello\n");
        let front_heads = &front.request_heads()[before_front..];
        let elsewhere_heads = &elsewhere.request_heads()[before_elsewhere..];
        assert!(!front_heads.is_empty() && !elsewhere_heads.is_empty());
        // The configured origin gets the credentials on every request, the other origin never.
        assert!(
            front_heads.iter().all(|head| head.contains(secret)),
            "{front_heads:?}"
        );
        assert!(
            heads_with(elsewhere, secret).is_empty(),
            "{elsewhere_heads:?}"
        );
        assert!(
            heads_with(elsewhere, "x-secret-token").is_empty()
                && heads_with(elsewhere, "authorization").is_empty(),
            "{elsewhere_heads:?}"
        );
    }
}

/// Every file under `dir`, recursively (nothing when it does not exist).
fn files_in(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_in(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn an_object_larger_than_its_recorded_size_is_cut_off_and_not_cached() {
    let http = ServedHttp::writable();
    let repo = tracked_with_remote(&http.url("/store"), &[]);
    dv(&repo, &["push"]).success();
    // `a.txt` is recorded with `size: 6`; the remote now serves 32 MiB under its name.
    let object = "files/md5/b1/946ac92492d2347c6235b4d2611184";
    std::fs::write(http.dir.join("store").join(object), vec![b'x'; 32 << 20]).unwrap();

    let clone = repo.git_clone();
    let out = dv(&clone, &["pull"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "ERROR: failed to transfer 'b1946ac92492d2347c6235b4d2611184' - object `{object}` \
             of remote `store`"
        )) && out
            .stderr
            .contains("is corrupted: it is larger than its recorded size (6 bytes)"),
        "{out}"
    );
    // The other objects arrived (a failed pull checks nothing out, as with dvc); nothing of
    // the oversized object stayed in the cache.
    let cache = clone.path(".dvc/cache");
    assert!(
        cache
            .join("files/md5/5b/bf5a52328e7439ae6e719dfe712200")
            .is_file()
    );
    assert!(!clone.exists("a.txt"));
    assert!(!cache.join(object).exists());
    let leftovers: Vec<PathBuf> = files_in(&cache)
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Replaces the cache object at `relative` (under `.dvc/cache/`) with `content`, read-only
/// like a real object.
fn plant(repo: &TestRepo, relative: &str, content: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let path = repo.path(".dvc/cache").join(relative);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
}

#[test]
fn push_refuses_cache_objects_whose_content_does_not_match_their_name() {
    let (repo, remote) = tracked_with_local_remote();
    // `a.txt` ("hello\n") and `data/f1.txt` ("one\n") hold something else in the cache.
    let a_txt = "files/md5/b1/946ac92492d2347c6235b4d2611184";
    let f1 = "files/md5/5b/bf5a52328e7439ae6e719dfe712200";
    plant(&repo, a_txt, "planted\n");
    plant(&repo, f1, "two\n");

    let out = dv(&repo, &["push"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains(
            "ERROR: failed to transfer 'b1946ac92492d2347c6235b4d2611184' - the cache object \
             of 'a.txt' ('.dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184') is \
             corrupted: its content hashes to"
        ),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "ERROR: failed to transfer '5bbf5a52328e7439ae6e719dfe712200' - the cache object \
             of 'data/f1.txt' ("
        ),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("not uploaded because some of its files failed to upload")
    );
    assert!(out.stderr.contains("files failed to upload"), "{out}");
    // Neither the planted objects nor the directory listing one of them reached the remote;
    // the sound objects did.
    assert!(!remote.join(a_txt).exists());
    assert!(!remote.join(f1).exists());
    let dirs = files_in(&remote)
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with(".dir"))
        .count();
    assert_eq!(dirs, 0);
    assert!(
        remote
            .join("files/md5/d4/1d8cd98f00b204e9800998ecf8427e")
            .is_file()
    );

    // Restored, they are pushed (and remembered: the next push has nothing to check).
    plant(&repo, a_txt, "hello\n");
    plant(&repo, f1, "one\n");
    let out = dv(&repo, &["push"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(remote.join(a_txt).is_file() && remote.join(f1).is_file());
}

#[test]
fn gc_collects_stale_temporary_files_in_the_cache_and_keeps_fresh_ones() {
    let (repo, _remote) = tracked_with_local_remote();
    let shard = repo.path(".dvc/cache/files/md5/b1");
    let (old, fresh) = (shard.join(".killed.tmp"), shard.join(".running.tmp"));
    std::fs::write(&fresh, "being written").unwrap();
    let file = std::fs::File::create(&old).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86_400))
        .unwrap();
    drop(file);

    let out = dv(&repo, &["gc", "-w", "-f"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!old.exists(), "{out}");
    assert!(fresh.exists());
    assert!(shard.join("946ac92492d2347c6235b4d2611184").is_file());
}

#[test]
fn a_corrupted_dir_object_in_the_cache_is_downloaded_again() {
    let (repo, _remote) = tracked_with_local_remote();
    dv(&repo, &["push"]).success();
    let clone = repo.git_clone();
    dv(&clone, &["pull"]).success();
    let data_dvc = clone.read("data.dvc");
    let tree = data_dvc
        .split_whitespace()
        .find(|word| word.ends_with(".dir"))
        .unwrap()
        .to_owned();
    let relative = format!("files/md5/{}/{}", &tree[..2], &tree[2..]);
    plant(&clone, &relative, "[{\"md5\": \"truncated");
    std::fs::remove_dir_all(clone.path("data")).unwrap();

    let out = dv(&clone, &["pull"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(clone.read("data/f1.txt"), "one\n");
    assert_eq!(
        std::fs::read(clone.path(".dvc/cache").join(&relative)).unwrap(),
        std::fs::read(repo.path(".dvc/cache").join(&relative)).unwrap()
    );
}
