//! HTTP(S) remotes (dvc-http) against the real dvc, through a loopback web server that serves
//! `GET`/`HEAD` and stores `POST`/`PUT` bodies: what one pushes the other pulls in fresh
//! clones, `status -c` agrees, `method` and basic authentication, corrupted objects and
//! unreachable servers, and `gc -c`, which HTTP cannot do.

use dv_test::{
    HttpServerOptions, cache_objects, files_under, tracked_with_remote, workspace_files,
};

use crate::support::{ServedHttp, closed_port, commit_all, dv, dvc, sorted_lines, stored_names};

#[test]
fn what_dv_pushes_over_http_dvc_pulls_and_the_reverse() {
    let http = ServedHttp::writable();
    let (served, server) = (&http.dir, &http.server);
    let url = http.url("/store");
    let repo = tracked_with_remote(&url, &[]);

    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "6 files pushed\n", "{out}");
    assert_eq!(out.stderr, "");
    // The server holds the cache's layout under the remote's path; POST is the default.
    assert_eq!(files_under(&served.join("store")), cache_objects(&repo));
    assert!(
        server.requests().iter().any(
            |line| line.starts_with("POST /store/files/md5/b1/946ac92492d2347c6235b4d2611184 ")
        ),
        "{:?}",
        server.requests()
    );
    for args in [&["push"][..], &["status", "-c"]] {
        let ours = dv(&repo, args);
        let theirs = dvc(&repo, args);
        assert_eq!(
            ours, theirs,
            "{args:?}\n--- dv:\n{ours}\n--- dvc:\n{theirs}"
        );
    }
    assert_eq!(
        dv(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );

    let clone = repo.git_clone();
    dvc(&clone, &["pull"]).success();
    assert_eq!(workspace_files(&clone), workspace_files(&repo));

    // dvc pushes a new file; dv sees it missing, then pulls it into another clone.
    clone.write("b.txt", "from dvc\n");
    dvc(&clone, &["add", "-q", "b.txt"]).success();
    commit_all(&clone, "b");
    let second = clone.git_clone();
    let ours = dv(&second, &["status", "-c"]);
    let theirs = dvc(&second, &["status", "-c"]);
    assert_eq!(
        ours.code, theirs.code,
        "--- dv:\n{ours}\n--- dvc:\n{theirs}"
    );
    assert_eq!(sorted_lines(&ours.stdout), sorted_lines(&theirs.stdout));
    dvc(&clone, &["push"]).success();
    let third = clone.git_clone();
    dvc(&third, &["status", "-c"]).success();
    let ours = dv(&second, &["pull"]);
    let theirs = dvc(&third, &["pull"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert_eq!(
        sorted_lines(&ours.stdout),
        sorted_lines(&theirs.stdout),
        "--- dv:\n{ours}\n--- dvc:\n{theirs}"
    );
    assert_eq!(workspace_files(&second), workspace_files(&clone));
}

#[test]
fn put_method_and_basic_authentication_work_with_dvc() {
    let http = ServedHttp::start(HttpServerOptions {
        writable: true,
        basic_auth: Some(("alice".to_owned(), "s3cret".to_owned())),
        ..HttpServerOptions::default()
    });
    let server = &http.server;
    let url = http.url("/store");
    let repo = tracked_with_remote(&url, &[&["store", "method", "PUT"]]);

    // No credentials yet: every upload is refused, and reported, as with dvc (exit 1).
    let out = dv(&repo, &["push"]);
    let theirs = dvc(&repo, &["push"]);
    assert_eq!(out.code, 1, "--- dv:\n{out}\n--- dvc:\n{theirs}");
    assert_eq!(theirs.code, 1, "--- dv:\n{out}\n--- dvc:\n{theirs}");
    assert!(
        out.stderr.contains(&format!(
            "authentication with remote `store` (`{url}`) failed: HTTP status 401 Unauthorized"
        )),
        "{out}"
    );
    assert!(
        out.stderr
            .ends_with("ERROR: failed to push data to the cloud - 6 files failed to upload\n"),
        "{out}"
    );

    // `basic` needs both `user` and `password`.
    dv(&repo, &["remote", "modify", "store", "auth", "basic"]).success();
    repo.git(&["commit", "-q", "-a", "-m", "basic auth"]);
    // A configuration error as dvc reports it: exit 251, the message twice and a pointer,
    // after a warning where dvc meets it while collecting the outputs (fetch and pull).
    for command in [&["push"][..], &["pull"], &["fetch"], &["status", "-c"]] {
        let (ours, theirs) = (dv(&repo, command), dvc(&repo, command));
        assert_eq!((ours.code, theirs.code), (251, 251), "{ours}\n{theirs}");
        let shape = |out: &dv_test::Outcome| {
            out.stderr
                .lines()
                .map(|line| line.split(" - ").next().unwrap_or_default().to_owned())
                .map(|line| {
                    line.split_once(": ")
                        .map_or(line.clone(), |(head, _)| head.to_owned())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&ours), shape(&theirs), "{ours}\n{theirs}");
        assert!(
            ours.stderr
                .contains("`basic` authentication requires both `user` and `password`"),
            "{ours}"
        );
    }

    for args in [
        &["--local", "store", "user", "alice"][..],
        &["--local", "store", "password", "s3cret"],
    ] {
        dv(&repo, &[&["remote", "modify"][..], args].concat()).success();
    }
    let out = dv(&repo, &["push"]);
    assert_eq!(out.stdout, "6 files pushed\n", "{out}");
    assert!(!out.stderr.contains("s3cret"));
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|line| line.starts_with("PUT /store/files/md5/")),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|line| line.starts_with("POST ")),
        "{requests:?}"
    );
    assert_eq!(
        dvc(&repo, &["status", "-c"]).stdout,
        "Cache and remote 'store' are in sync.\n"
    );

    let clone = repo.git_clone();
    for args in [
        &["--local", "store", "user", "alice"][..],
        &["--local", "store", "password", "s3cret"],
    ] {
        dvc(&clone, &[&["remote", "modify"][..], args].concat()).success();
    }
    dvc(&clone, &["pull"]).success();
    assert_eq!(workspace_files(&clone), workspace_files(&repo));
}

#[test]
fn a_corrupted_http_object_is_never_checked_out() {
    let http = ServedHttp::writable();
    let served = &http.dir;
    let url = http.url("/store");
    let repo = tracked_with_remote(&url, &[]);
    dv(&repo, &["push"]).success();
    std::fs::write(
        served.join("store/files/md5/b1/946ac92492d2347c6235b4d2611184"),
        "tampered\n",
    )
    .unwrap();
    let clone = repo.git_clone();
    let out = dv(&clone, &["pull", "a.txt"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains(
            "object `files/md5/b1/946ac92492d2347c6235b4d2611184` of remote `store` \
             (`{url}`) is corrupted"
                .replace("{url}", &url)
                .as_str()
        ),
        "{out}"
    );
    assert!(!clone.exists("a.txt"));
    let leftovers: Vec<String> = stored_names(&clone.path(".dvc/cache"))
        .into_iter()
        .filter(|name| name.contains("b1/"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn unreachable_http_remotes_fail_like_dvc() {
    let origin = format!("http://127.0.0.1:{}", closed_port());
    let url = format!("{origin}/store");
    let repo = tracked_with_remote(&url, &[&["store", "connect_timeout", "2"]]);

    // Like dvc-http, a failed existence check counts as "not there": every upload is tried
    // and reported.
    let ours = dv(&repo, &["push"]);
    let theirs = dvc(&repo, &["push"]);
    assert_eq!(ours.code, 1, "--- dv:\n{ours}\n--- dvc:\n{theirs}");
    assert_eq!(theirs.code, 1, "--- dv:\n{ours}\n--- dvc:\n{theirs}");
    assert!(
        ours.stderr.contains(&format!(
            "cannot reach remote `store` (`{url}`) at `{origin}`"
        )),
        "{ours}"
    );
    assert!(
        ours.stderr
            .ends_with("ERROR: failed to push data to the cloud - 6 files failed to upload\n"),
        "{ours}"
    );

    let ours = dv(&repo, &["status", "-c"]);
    let theirs = dvc(&repo, &["status", "-c"]);
    assert_eq!(
        ours.code, theirs.code,
        "--- dv:\n{ours}\n--- dvc:\n{theirs}"
    );
    assert_eq!(sorted_lines(&ours.stdout), sorted_lines(&theirs.stdout));

    // A clone with an empty cache: like dvc, objects that cannot be checked count as missing
    // from the remote, which `fetch` warns about and `pull` fails on.
    let clone = repo.git_clone();
    for args in [&["fetch"][..], &["pull"]] {
        let ours = dv(&clone, args);
        let theirs = dvc(&clone, args);
        assert_eq!(
            ours.code, theirs.code,
            "--- dv:\n{ours}\n--- dvc:\n{theirs}"
        );
        assert_eq!(
            sorted_lines(&ours.stderr),
            sorted_lines(&theirs.stderr),
            "--- dv:\n{ours}\n--- dvc:\n{theirs}"
        );
    }
    assert!(files_under(&clone.path(".dvc/cache")).is_empty());
}

#[test]
fn gc_cloud_on_an_http_remote_fails_like_dvc() {
    let http = ServedHttp::writable();
    let served = &http.dir;
    let repo = tracked_with_remote(&http.url("/store"), &[]);
    dv(&repo, &["push"]).success();
    let before = files_under(served);
    let ours = dv(&repo, &["gc", "-w", "-c", "-f"]);
    let theirs = dvc(&repo, &["gc", "-w", "-c", "-f"]);
    eprintln!("--- dv:\n{ours}\n--- dvc:\n{theirs}");
    assert_eq!(
        ours.code, theirs.code,
        "--- dv:\n{ours}\n--- dvc:\n{theirs}"
    );
    assert_eq!(files_under(served), before);
}
