//! `.dvc` files written by `dvc import` (a path of another DVC repository, `repo: {url,
//! rev_lock}`, spec §6.7): twin repositories where the real dvc made the imports, then dv and
//! dvc run the same commands and must agree. Where dv cannot do what dvc does yet (download
//! from the source repository, `update`) it says so in one line.

use dv_test::twins::{Twins, sh};
use dv_test::{TestRepo, cache_objects, run};

/// The source repository: `d/` (two files) and `f.txt` tracked by dvc, pushed to a local
/// remote beside it, committed.
fn source() -> TestRepo {
    let source = TestRepo::new();
    sh(
        &source,
        "$DVC init -q && mkdir d && echo a > d/a && echo b > d/b && echo hi > f.txt \
         && $DVC add -q d f.txt && $DVC remote add -q -d s ../store && $DVC push -q \
         && git add -A && git commit -qm source",
    );
    source
}

/// Twins that imported `d` as `dimp` and `f.txt` from `source` with the real dvc, track
/// `mine.txt` themselves, have a local remote `u`, and committed all of it.
fn importers(source: &TestRepo) -> Twins {
    let url = source.root().display();
    Twins::new(&format!(
        "$DVC import -q {url} d -o dimp && $DVC import -q {url} f.txt \
         && echo mine > mine.txt && $DVC add -q mine.txt && $DVC remote add -q -d u ../store \
         && git add -A && git commit -qm imported"
    ))
}

#[test]
fn imported_outputs_work_like_dvc_in_every_command() {
    let source = source();
    let twins = importers(&source);
    // The import files are the same in both (same source, same revision).
    twins.same_file("dimp.dvc");
    assert!(twins.ours.read("dimp.dvc").contains("  repo:\n    url: "));
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["status", "dimp.dvc"],
        &["dag"],
        &["repro", "--dry", "dimp.dvc", "f.txt.dvc"],
        &["repro", "dimp.dvc"],
        &["data", "status"],
        // Imports are not pushed to the user's remote: only `mine.txt` is.
        &["status", "-c"],
        &["push"],
        &["status", "-c"],
        &["fetch"],
        &["pull"],
        &["checkout"],
    ] {
        twins.same(args);
    }
    twins.same_cache();
    // Checked out from the cache like any output.
    for repo in [&twins.ours, &twins.theirs] {
        std::fs::remove_dir_all(repo.path("dimp")).unwrap();
        std::fs::remove_file(repo.path("f.txt")).unwrap();
    }
    twins.same(&["status"]);
    twins.same(&["checkout"]);
    twins.same(&["status"]);
    assert_eq!(twins.ours.read("dimp/b"), "b\n");
    // Rewritten byte for byte.
    twins.same(&["unfreeze", "dimp.dvc"]);
    twins.same_file("dimp.dvc");
    twins.same(&["freeze", "dimp.dvc", "f.txt.dvc"]);
    twins.same_file("dimp.dvc");
    twins.same_file("f.txt.dvc");
}

#[test]
fn status_asks_the_source_repository_like_dvc() {
    let source = source();
    let twins = importers(&source);
    sh(
        &source,
        "echo c > d/c && $DVC add -q d && $DVC push -q && git add -A && git commit -qm more",
    );
    let status = twins.same(&["status"]);
    assert!(
        status.stdout.contains("update available:   d ("),
        "{status}"
    );
    twins.same(&["status", "--json"]);
    twins.same(&["status", "-q"]);
    // Frozen: `repro` keeps the import.
    twins.same(&["repro", "--dry", "dimp.dvc"]);
    // Unfrozen, `repro` would import again: dvc downloads, dv says it cannot yet.
    twins.same(&["unfreeze", "dimp.dvc"]);
    twins.same(&["repro", "--dry", "dimp.dvc"]);
    let ours = run(twins.ours.dv().args(["repro", "dimp.dvc"]));
    assert_eq!(ours.code, 255, "{ours}");
    assert!(
        ours.stderr.contains(
            "importing 'dimp.dvc' (a `dvc import` from another repository) is not implemented \
             yet; run it with dvc (the repository is shared)"
        ),
        "{ours}"
    );
}

#[test]
fn an_unreachable_source_fails_status_as_in_dvc() {
    let source = source();
    let twins = importers(&source);
    let moved = source.temp_dir().join("moved");
    std::fs::rename(source.root(), &moved).unwrap();
    let (ours, theirs) = twins.both_in(".", &["status"]);
    std::fs::rename(&moved, source.root()).unwrap();
    assert_eq!((ours.code, theirs.code), (1, 1), "{ours}\n{theirs}");
    let url = source.root().display().to_string();
    let prefix = format!("ERROR: SCM error: Failed to clone repo '{url}'");
    assert!(ours.stderr.starts_with(&prefix), "{ours}");
    assert!(theirs.stderr.starts_with(&prefix), "{theirs}");
    assert_eq!(ours.stderr.lines().count(), 1, "{ours}");
}

#[test]
fn commands_that_need_no_source_work_while_it_is_unreachable() {
    let source = source();
    let twins = importers(&source);
    let moved = source.temp_dir().join("moved");
    std::fs::rename(source.root(), &moved).unwrap();
    for args in [
        &["dag"][..],
        &["repro", "--dry", "dimp.dvc"],
        &["push"],
        &["status", "-c"],
        &["checkout"],
        &["data", "status"],
    ] {
        twins.same(args);
    }
    std::fs::rename(&moved, source.root()).unwrap();
}

#[test]
fn fetching_an_import_from_its_source_is_not_implemented_yet() {
    let source = source();
    let twins = importers(&source);
    twins.same(&["push"]);
    // A fresh clone: nothing in the cache. dvc downloads the imports from the source and
    // `mine.txt` from the remote; dv fetches `mine.txt` and names each import it cannot get.
    let clone = twins.ours.git_clone();
    std::fs::write(
        clone.path(".dvc/config"),
        twins.ours.read(".dvc/config").replace(
            "../../store",
            &twins.ours.temp_dir().join("store").display().to_string(),
        ),
    )
    .unwrap();
    let fetched = run(clone.dv().arg("fetch"));
    assert_eq!(fetched.code, 1, "{fetched}");
    assert_eq!(fetched.stdout, "1 file fetched\n", "{fetched}");
    let url = source.root().display();
    assert!(
        fetched.stderr.contains(&format!(
            "ERROR: fetching 'dimp' from its source 'd ({url})' (a `dvc import`) is not \
             implemented yet; run it with dvc (the repository is shared)\n"
        )),
        "{fetched}"
    );
    assert!(
        fetched
            .stderr
            .ends_with("ERROR: failed to fetch data from the cloud - 2 files failed to download\n"),
        "{fetched}"
    );
    let pulled = run(clone.dv().arg("pull"));
    assert_eq!(pulled.code, 1, "{pulled}");
    assert_eq!(clone.read("mine.txt"), "mine\n");
    // Once dvc fetched them, dv checks them out from the cache.
    run(clone.dvc().arg("fetch")).success();
    run(clone.dv().arg("pull")).success();
    assert_eq!(clone.read("dimp/a"), "a\n");
}

#[test]
fn update_of_a_repo_import_is_not_implemented_yet() {
    let source = source();
    let twins = importers(&source);
    let before = twins.ours.read("dimp.dvc");
    let ours = run(twins.ours.dv().args(["update", "dimp.dvc"]));
    assert_eq!(ours.code, 1, "{ours}");
    assert_eq!(
        ours.stderr,
        "ERROR: failed update data - updating 'dimp.dvc' (a `dvc import` from another \
         repository) is not implemented yet; run it with dvc (the repository is shared)\n"
    );
    assert_eq!(twins.ours.read("dimp.dvc"), before);
}

/// dvc's `gc -w` deletes the objects of `dvc import` outputs (it can download them from the
/// source again); dv keeps them, because it cannot download them yet.
#[test]
fn gc_keeps_imported_objects_that_dv_could_not_download_again() {
    let source = source();
    let twins = importers(&source);
    let before = cache_objects(&twins.ours);
    let ours = run(twins.ours.dv().args(["gc", "-w", "-f"]));
    assert_eq!(ours.code, 0, "{ours}");
    assert_eq!(cache_objects(&twins.ours), before);
    run(twins.theirs.dvc().args(["gc", "-w", "-f"])).success();
    twins.same(&["status", "mine.txt.dvc"]);
}

#[test]
fn invalid_repo_entries_are_refused_like_dvc() {
    let source = source();
    let twins = importers(&source);
    let text = twins
        .ours
        .read("dimp.dvc")
        .replace("    url:", "    bogus: 1\n    url:");
    for repo in [&twins.ours, &twins.theirs] {
        repo.write("dimp.dvc", &text);
    }
    let (ours, theirs) = twins.both_in(".", &["status"]);
    assert_eq!(ours.code, theirs.code, "{ours}\n{theirs}");
    assert_eq!(
        ours.stderr,
        "ERROR: 'dimp.dvc' validation failed: extra keys not allowed, in deps -> 0 -> repo -> \
         bogus\n"
    );
}
