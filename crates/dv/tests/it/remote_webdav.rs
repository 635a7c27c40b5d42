//! WebDAV remotes against a loopback `wsgidav` (the oracle has no dvc-webdav, so these tests
//! check dv against itself and the remote layout): what one clone pushes another pulls,
//! objects land under `files/md5/xx/…` with content matching their names, `gc -c` deletes
//! unused objects, and basic authentication with `user` and `password`.
//!
//! They need the pinned `wsgidav` (`DV_VENV_DIR`, see `dv_test::venv`).

use crate::support::{assert_only_leaf_collected, dv};
use dv_test::{WebDavServer, cache_objects, files_under, tracked_with_remote, workspace_files};

#[test]
fn what_dv_pushes_over_webdav_a_clone_pulls_and_gc_cloud_cleans() {
    let dir = tempfile::tempdir().unwrap();
    let server = WebDavServer::start(dir.path().join("dav"));
    let repo = tracked_with_remote(&server.url("/remote/store"), &[]);

    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "6 files pushed\n", "{out}\n{}", server.log());
    assert_eq!(out.stderr, "");
    assert_eq!(
        files_under(&server.root.join("remote/store")),
        cache_objects(&repo)
    );
    assert_eq!(dv(&repo, &["push"]).stdout, "Everything is up to date.\n");
    assert_eq!(
        dv(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );

    let clone = repo.git_clone();
    let out = dv(&clone, &["pull"]);
    assert_eq!(
        out.stdout,
        "A       data/\nA       a.txt\nA       bin/leaf.bin\n6 files fetched and 5 files added\n",
        "{out}"
    );
    assert_eq!(workspace_files(&clone), workspace_files(&repo));

    // A corrupted object is never checked out.
    let object = server
        .root
        .join("remote/store/files/md5/b1/946ac92492d2347c6235b4d2611184");
    std::fs::write(&object, "tampered\n").unwrap();
    let other = repo.git_clone();
    let out = dv(&other, &["pull", "a.txt"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("is corrupted"), "{out}");
    assert!(!other.exists("a.txt"));
    std::fs::write(&object, "hello\n").unwrap();

    dv(&repo, &["remove", "-q", "bin/leaf.bin.dvc"]).success();
    dv(&repo, &["gc", "-w", "-c", "-f"]).success();
    assert_only_leaf_collected(&server.root.join("remote/store"));
}

#[test]
fn webdav_basic_authentication_uses_user_and_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = WebDavServer::start_with_user(dir.path().join("dav"), "alice", "s3cret");
    let url = server.url("/store");
    let repo = tracked_with_remote(&url, &[]);

    let out = dv(&repo, &["push"]);
    assert_eq!(out.code, 255, "{out}");
    assert!(
        out.stderr.starts_with(&format!(
            "ERROR: failed to push data to the cloud - authentication with remote `store` \
             (`{url}`) failed"
        )),
        "{out}"
    );
    assert!(
        out.stderr.contains("hint: set `user` and `password`"),
        "{out}"
    );

    for args in [
        &["store", "user", "alice"][..],
        &["--local", "store", "password", "s3cret"],
    ] {
        dv(&repo, &[&["remote", "modify"][..], args].concat()).success();
    }
    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "6 files pushed\n", "{out}");
    assert!(!out.stderr.contains("s3cret"));
    assert_eq!(
        files_under(&server.root.join("store")),
        cache_objects(&repo)
    );
}
