//! `.dvc` files written by `dvc import` (a path of another DVC repository, `repo: {url,
//! rev_lock}`, spec §6.7): twin repositories where the real dvc made the imports, then dv and
//! dvc run the same commands and must agree (`repo_sources` has imports dv makes).

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
    // Unfrozen, `repro` downloads the recorded commit again.
    twins.same(&["unfreeze", "dimp.dvc"]);
    twins.same(&["repro", "--dry", "dimp.dvc"]);
    std::fs::remove_dir_all(twins.ours.path("dimp")).unwrap();
    std::fs::remove_dir_all(twins.theirs.path("dimp")).unwrap();
    twins.same(&["repro", "dimp.dvc"]);
    twins.same_file("dimp.dvc");
    assert_eq!(twins.ours.read("dimp/a"), "a\n");
    assert!(!twins.ours.exists("dimp/c"));
    twins.same(&["status"]);
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
fn fetching_an_import_downloads_it_from_its_source_like_dvc() {
    let source = source();
    let twins = importers(&source);
    twins.same(&["push"]);
    // Fresh clones: nothing in the caches. Both download the imports from the source and
    // `mine.txt` from the remote.
    let clone = |repo: &TestRepo| {
        let clone = repo.git_clone();
        let store = repo.temp_dir().join("store").display().to_string();
        let config = repo.read(".dvc/config").replace("../../store", &store);
        std::fs::write(clone.path(".dvc/config"), config).unwrap();
        clone
    };
    let (ours, theirs) = (clone(&twins.ours), clone(&twins.theirs));
    let fetched = run(ours.dv().arg("fetch"));
    let expected = run(theirs.dvc().arg("fetch"));
    assert_eq!(fetched.code, 0, "{fetched}");
    assert_eq!(fetched.stdout, expected.stdout, "{fetched}\n{expected}");
    let pulled = run(ours.dv().arg("pull"));
    assert_eq!(pulled.code, 0, "{pulled}");
    assert_eq!(ours.read("mine.txt"), "mine\n");
    assert_eq!(ours.read("dimp/a"), "a\n");
    assert_eq!(ours.read("f.txt"), "hi\n");
    run(ours.dvc().arg("status")).success();
}

#[test]
fn update_of_a_repo_import_matches_dvc() {
    let source = source();
    let twins = importers(&source);
    twins.same(&["update", "dimp.dvc"]);
    sh(
        &source,
        "echo c > d/c && $DVC add -q d && $DVC push -q && git add -A && git commit -qm more",
    );
    // dvc updates the targets in no fixed order.
    let (ours, theirs) = twins.both_in(".", &["update", "dimp.dvc", "f.txt.dvc"]);
    let lines = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    assert_eq!((ours.code, &ours.stderr), (theirs.code, &theirs.stderr));
    assert_eq!(lines(&ours.stdout), lines(&theirs.stdout));
    twins.same_file("dimp.dvc");
    twins.same_file("f.txt.dvc");
    twins.same(&["status"]);
    assert_eq!(twins.ours.read("dimp/c"), "c\n");
}

/// dvc's `gc -w` deletes the objects of `dvc import` outputs (it can download them from the
/// source again); dv keeps them: data the workspace uses is never deleted by `gc`.
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
