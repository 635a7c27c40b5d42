//! Azure Blob Storage remotes against a loopback Azurite (the oracle has no dvc-azure, so these
//! tests check dv against itself): what one clone pushes another pulls with the connection
//! string in `config.local`, `status -c` agrees, `gc -c` deletes unused objects, and a missing
//! account is a clear error.
//!
//! They need the pinned Azurite (`DV_VENV_DIR`, see `dv_test::venv`).

use crate::support::{commit_all, dv, init_and_add};
use dv_test::{AzureServer, TestRepo, workspace_files};

fn use_connection_string(repo: &TestRepo, server: &AzureServer) {
    let connection_string = server.connection_string();
    dv(
        repo,
        &[
            "remote",
            "modify",
            "--local",
            "store",
            "connection_string",
            &connection_string,
        ],
    )
    .success();
}

#[test]
fn what_dv_pushes_to_azure_a_clone_pulls_and_gc_cloud_cleans() {
    let server = AzureServer::start();
    server.create_container("bucket");
    let repo = TestRepo::new();
    repo.write("data/f1.txt", "one\n");
    repo.write("data/sub/f2.txt", "two\r\n");
    repo.write("a.txt", "hello\n");
    repo.write("b.txt", "bee\n");
    init_and_add(&repo, "dv", &["data", "a.txt", "b.txt"]);
    dv(
        &repo,
        &["remote", "add", "-d", "store", "azure://bucket/store"],
    )
    .success();
    commit_all(&repo, "tracked");

    // No account: a clear error naming the remote.
    let out = dv(&repo, &["push"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains(
            "authentication with remote `store` (`azure://bucket/store`) failed: Azure Blob \
             Storage needs `account_name` or `connection_string`"
        ),
        "{out}"
    );

    use_connection_string(&repo, &server);
    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "5 files pushed\n", "{out}");
    assert!(!out.stderr.contains(server.account_key()), "{out}");
    assert_eq!(
        dv(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );

    let clone = repo.git_clone();
    use_connection_string(&clone, &server);
    let out = dv(&clone, &["pull"]);
    assert_eq!(
        out.stdout,
        "A       data/\nA       a.txt\nA       b.txt\n5 files fetched and 4 files added\n",
        "{out}"
    );
    assert_eq!(workspace_files(&clone), workspace_files(&repo));

    // gc -c removes b.txt's object from the container: a fresh clone of the old commit misses it.
    dv(&repo, &["remove", "-q", "b.txt.dvc"]).success();
    dv(&repo, &["gc", "-w", "-c", "-f"]).success();
    let old = clone.git_clone();
    use_connection_string(&old, &server);
    let out = dv(&old, &["status", "-c"]);
    assert!(out.stdout.contains("missing:            b.txt"), "{out}");
    assert!(out.stdout.contains("deleted:            a.txt"), "{out}");
}
