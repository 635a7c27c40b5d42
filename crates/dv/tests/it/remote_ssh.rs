//! SSH remotes over SFTP against a loopback `asyncssh` server (the oracle has no dvc-ssh, so
//! these tests check dv against itself and the remote layout): what one clone pushes another
//! pulls, objects land under `files/md5/xx/…` with content matching their names and no
//! temporary files left, `gc -c` deletes unused objects, and failures (corrupted objects,
//! unreachable servers, refused keys, passwords) are clear errors.

use crate::support::{assert_only_leaf_collected, closed_port, commit_all, dv};
use dv_test::{
    Outcome, SftpServer, TestRepo, cache_objects, files_under, run, tracked_with_remote,
    workspace_files,
};
use md5::{Digest as _, Md5};

/// Runs a command on a new pseudo-terminal, types `argv[1]` and Enter once the terminal shows
/// a line ending in `password:`, and prints everything the terminal showed; exits as the
/// command did.
const ON_A_TERMINAL: &str = r#"
import os, pty, select, sys
answer, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
shown, answered = b"", False
while select.select([fd], [], [], 60)[0]:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
    if not answered and shown.rstrip().lower().endswith(b"password:"):
        os.write(fd, answer.encode() + b"\n")
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

/// A loopback SFTP server over a new directory (removed with the returned holder) and a
/// repository tracking the corpus with the default remote `store` on the server, no key set.
fn sftp_store() -> (tempfile::TempDir, SftpServer, TestRepo) {
    let dir = tempfile::tempdir().unwrap();
    let server = SftpServer::start(dir.path().join("sftp"));
    let repo = tracked_with_remote(&server.url("/store"), &[]);
    (dir, server, repo)
}

/// Gives `repo`'s remote `store` the server's key (config.local, as a user would).
fn use_key(repo: &TestRepo, server: &SftpServer) {
    set_local(repo, "keyfile", server.client_key().to_str().unwrap());
}

#[test]
fn what_dv_pushes_over_sftp_a_clone_pulls() {
    let (_dir, server, repo) = sftp_store();
    use_key(&repo, &server);

    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "6 files pushed\n", "{out}");
    assert_eq!(out.stderr, "");
    // The remote mirrors the cache layout; every object hashes to its name; nothing temporary
    // is left behind.
    let stored = files_under(&server.path("store"));
    assert_eq!(stored, cache_objects(&repo));
    for (name, content) in &stored {
        let hex: String = Md5::digest(content)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let named = name
            .trim_start_matches("files/md5/")
            .replace('/', "")
            .trim_end_matches(".dir")
            .to_owned();
        assert_eq!(hex, named, "{name}");
    }
    assert_eq!(dv(&repo, &["push"]).stdout, "Everything is up to date.\n");
    assert_eq!(
        dv(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );

    let clone = repo.git_clone();
    use_key(&clone, &server);
    let out = dv(&clone, &["status", "-c"]);
    assert!(out.stdout.contains("deleted:"), "{out}");
    let out = dv(&clone, &["pull"]);
    assert_eq!(
        out.stdout,
        "A       data/\nA       a.txt\nA       bin/leaf.bin\n5 files fetched and 5 files added\n",
        "{out}"
    );
    assert_eq!(workspace_files(&clone), workspace_files(&repo));
    assert_eq!(cache_objects(&clone), cache_objects(&repo));

    // A new file pushed from the clone reaches the first repository.
    clone.write("b.txt", "from the clone\n");
    dv(&clone, &["add", "-q", "b.txt"]).success();
    assert_eq!(dv(&clone, &["push"]).stdout, "1 file pushed\n");
    commit_all(&clone, "b");
    let second = clone.git_clone();
    use_key(&second, &server);
    dv(&second, &["pull"]).success();
    assert_eq!(workspace_files(&second), workspace_files(&clone));
}

#[test]
fn gc_cloud_deletes_unused_objects_over_sftp() {
    let (_dir, server, repo) = sftp_store();
    use_key(&repo, &server);
    dv(&repo, &["push"]).success();
    dv(&repo, &["remove", "-q", "bin/leaf.bin.dvc"]).success();
    let out = dv(&repo, &["gc", "-w", "-c", "-f"]);
    out.success();
    // leaf.bin's object is gone from the remote, everything else stays.
    assert_only_leaf_collected(&server.path("store"));
    assert_eq!(cache_objects(&repo).len(), 5);
}

#[test]
fn a_corrupted_sftp_object_is_never_checked_out() {
    let (_dir, server, repo) = sftp_store();
    let url = format!("ssh://127.0.0.1:{}/store", server.port);
    use_key(&repo, &server);
    dv(&repo, &["push"]).success();
    let object = server.path("store/files/md5/b1/946ac92492d2347c6235b4d2611184");
    let mut permissions = std::fs::metadata(&object).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&object, permissions).unwrap();
    std::fs::write(&object, "tampered\n").unwrap();
    let clone = repo.git_clone();
    use_key(&clone, &server);
    let out = dv(&clone, &["pull", "a.txt"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "object `files/md5/b1/946ac92492d2347c6235b4d2611184` of remote `store` (`{url}`) \
             is corrupted"
        )),
        "{out}"
    );
    assert!(!clone.exists("a.txt"));
    assert!(
        !files_under(&clone.path(".dvc/cache"))
            .iter()
            .any(|(name, _)| name.contains("b1/")),
    );
}

#[test]
fn unreachable_servers_refused_keys_and_passwords_are_clear_errors() {
    let port = closed_port();
    let url = format!("ssh://tester@127.0.0.1:{port}/store");
    let repo = tracked_with_remote(&url, &[]);
    // Messages show the url without its user.
    let url = format!("ssh://127.0.0.1:{port}/store");
    let out = dv(&repo, &["push"]);
    assert_eq!(out.code, 255, "{out}");
    assert!(
        out.stderr.starts_with(&format!(
            "ERROR: failed to push data to the cloud - cannot reach remote `store` (`{url}`) at \
             `ssh://127.0.0.1:{port}`"
        )),
        "{out}"
    );
    let out = dv(&repo, &["status", "-c"]);
    assert_eq!(out.code, 255, "{out}");
    assert!(out.stderr.contains("cannot reach remote `store`"), "{out}");

    // A server that does not know the key.
    let dir = tempfile::tempdir().unwrap();
    let server = SftpServer::start(dir.path().join("sftp"));
    let other = SftpServer::start(dir.path().join("other"));
    dv(
        &repo,
        &["remote", "modify", "store", "url", &server.url("/store")],
    )
    .success();
    use_key(&repo, &other);
    let out = push_refused(&repo, &server);
    assert!(
        out.stderr
            .contains("or `password` (`dv remote modify --local store password ...`)"),
        "{out}"
    );
}

/// Pushes `repo` to `server`, which refuses the credentials: a clear error, nothing stored.
fn push_refused(repo: &TestRepo, server: &SftpServer) -> Outcome {
    let url = format!("ssh://127.0.0.1:{}/store", server.port);
    let out = dv(repo, &["push"]);
    assert_eq!(out.code, 255, "{out}");
    assert!(
        out.stderr.starts_with(&format!(
            "ERROR: failed to push data to the cloud - authentication with remote `store` \
             (`{url}`) failed:"
        )),
        "{out}"
    );
    assert!(out.stderr.contains("Permission denied"), "{out}");
    assert!(files_under(&server.path("")).is_empty());
    out
}

/// Sets `option` of remote `store` in `.dvc/config.local`.
fn set_local(repo: &TestRepo, option: &str, value: &str) {
    dv(
        repo,
        &["remote", "modify", "--local", "store", option, value],
    )
    .success();
}

#[test]
fn passwords_and_key_passphrases_from_the_config_log_in() {
    let (_dir, server, repo) = sftp_store();

    // A wrong password is refused, and no secret is shown.
    set_local(&repo, "password", "not it");
    let out = push_refused(&repo, &server);
    assert!(!out.stderr.contains("not it"), "{out}");

    // The right password (with spaces in it) logs in, with no key at all.
    set_local(&repo, "password", SftpServer::PASSWORD);
    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "6 files pushed\n", "{out}");
    assert_eq!(out.stderr, "");
    assert_eq!(files_under(&server.path("store")), cache_objects(&repo));

    // A clone logs in with a locked key and its passphrase.
    let clone = repo.git_clone();
    set_local(&clone, "keyfile", server.locked_key().to_str().unwrap());
    let out = dv(&clone, &["pull"]);
    assert_ne!(out.code, 0, "a locked key without its passphrase: {out}");
    assert!(
        out.stderr.contains("authentication with remote `store`"),
        "{out}"
    );
    set_local(&clone, "passphrase", SftpServer::PASSPHRASE);
    let out = dv(&clone, &["pull"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.ends_with("6 files fetched and 5 files added\n"),
        "{out}"
    );
    assert_eq!(workspace_files(&clone), workspace_files(&repo));

    // As with dvc-ssh, `password` also unlocks the key when there is no `passphrase`.
    dv(
        &clone,
        &[
            "remote",
            "modify",
            "--local",
            "store",
            "--unset",
            "passphrase",
        ],
    )
    .success();
    set_local(&clone, "password", SftpServer::PASSPHRASE);
    let out = dv(&clone, &["status", "-c"]);
    assert_eq!(
        out.stdout, "Cache and remote 'store' are in sync.\n",
        "{out}"
    );

    // `ask_password` without a terminal cannot prompt: authentication fails clearly.
    let other = repo.git_clone();
    set_local(&other, "ask_password", "true");
    let out = dv(&other, &["pull"]);
    assert_eq!(out.code, 1, "as for every failed pull: {out}");
    assert!(
        out.stderr.contains("authentication with remote `store`"),
        "{out}"
    );
}

#[test]
fn ask_password_lets_ssh_prompt_on_the_terminal() {
    let (_dir, server, repo) = sftp_store();
    use_key(&repo, &server);
    dv(&repo, &["push"]).success();

    let clone = repo.git_clone();
    set_local(&clone, "ask_password", "true");
    let dv_pull = clone.dv_process();
    let mut command = std::process::Command::new(dv_test::venv::dvc_python());
    command
        .arg("-c")
        .arg(ON_A_TERMINAL)
        .arg(SftpServer::PASSWORD)
        .arg(dv_pull.get_program())
        .arg("pull")
        .current_dir(clone.path(""));
    for (name, value) in dv_pull.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let out = run(&mut assert_cmd::Command::from_std(command));
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("tester@127.0.0.1) Password:"), "{out}");
    assert!(
        !out.stdout.contains(SftpServer::PASSWORD),
        "typed, not shown: {out}"
    );
    assert!(out.stdout.contains("5 files added"), "{out}");
    assert_eq!(workspace_files(&clone), workspace_files(&repo));
}
