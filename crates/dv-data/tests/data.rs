//! Building trees, the cache and checkout on real directories, checked against the hashes DVC
//! 3.67.1 produced for the same content (spec fixtures `add`, `dirsort`, `legacy`, §1.4).

use std::num::NonZeroUsize;
use std::path::Path;

use dv_data::build::{self, BuildOptions, Built};
use dv_data::checkout::{self, CheckoutError, CheckoutOptions};
use dv_data::odb::{CacheLayout, Inserted, ObjectState, Odb, OdbError};
use dv_data::progress::{Phase, Progress, Snapshot};
use dv_data::walk;
use dv_fs::link::LinkType;
use dv_schema::dir_manifest::DirManifest;
use dv_schema::hash::{HashName, Md5, ObjectId};

fn write(path: &Path, content: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent");
    }
    std::fs::write(path, content).expect("write file");
}

fn jobs(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).expect("non-zero")
}

fn options(n: usize) -> BuildOptions {
    BuildOptions {
        hash_name: HashName::Md5,
        jobs: jobs(n),
    }
}

fn id(text: &str) -> ObjectId {
    text.parse().expect("valid id")
}

/// The `data` directory of fixtures/add.
fn add_fixture(root: &Path) {
    write(&root.join("data/f1.txt"), b"one\n");
    write(&root.join("data/sub/f2.txt"), b"two\r\n");
    write(&root.join("data/empty"), b"");
}

#[test]
fn builds_the_add_fixture_tree() {
    let repo = tempfile::tempdir().expect("temp dir");
    add_fixture(repo.path());
    for n in [1, 2] {
        let built = build::build(
            repo.path(),
            &repo.path().join("data"),
            &options(n),
            &mut dv_data::state::State::in_memory(),
        )
        .expect("build");
        let Built::Tree {
            id: tree_id,
            size,
            nfiles,
            manifest,
            ..
        } = &built
        else {
            panic!("expected a tree");
        };
        assert_eq!(
            *tree_id,
            id("0cf062ac48ebbf8b92810fe5a3734acb.dir"),
            "jobs={n}"
        );
        assert_eq!((*size, *nfiles), (9, 3));
        assert_eq!(manifest.to_bytes().len(), 201);
    }
}

#[test]
fn builds_the_dirsort_fixture_tree() {
    let repo = tempfile::tempdir().expect("temp dir");
    let d = repo.path().join("d");
    write(&d.join("a/b"), b"x\n");
    write(&d.join("a-b/x"), b"y\n");
    write(&d.join("B"), b"z\n");
    write(&d.join("é.txt"), b"e\n");
    write(&d.join("😀"), b"s\n");
    write(&d.join(".hidden"), b"g\n");
    std::fs::create_dir_all(d.join("emptydir")).expect("mkdir");
    let built = build::build(
        repo.path(),
        &d,
        &options(2),
        &mut dv_data::state::State::in_memory(),
    )
    .expect("build");
    assert_eq!(
        built.object_id(),
        id("464cc66a8ff1f4e01823d7b46212c6ec.dir")
    );
    assert_eq!(built.size(), 12);
}

#[test]
fn builds_files_with_exec_bit_and_legacy_hash() {
    let repo = tempfile::tempdir().expect("temp dir");
    let exe = repo.path().join("exe.sh");
    write(&exe, b"x\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let built = build::build(
        repo.path(),
        &exe,
        &options(1),
        &mut dv_data::state::State::in_memory(),
    )
    .expect("build");
    assert_eq!(
        built,
        Built::File {
            md5: "401b30e3b8b5d629635a5c613cdb7919".parse().expect("md5"),
            size: 2,
            isexec: cfg!(unix),
        }
    );

    let crlf = repo.path().join("crlf.txt");
    write(&crlf, b"a\r\nb\r\n");
    let legacy = BuildOptions {
        hash_name: HashName::Md5Dos2Unix,
        jobs: jobs(1),
    };
    let built = build::build(
        repo.path(),
        &crlf,
        &legacy,
        &mut dv_data::state::State::in_memory(),
    )
    .expect("build");
    assert_eq!(built.object_id(), id("dd8c6a395b5dd36c56d23275028f526c"));
    assert_eq!(built.size(), 6);
}

#[test]
fn dvcignore_and_builtin_ignores() {
    // spec §1.4: `.dvcignore` with `*.log` and `/d/tmp`; `d` holds a.log, keep, .git/x, tmp/t,
    // sub/b.log → the tree has the single entry `keep`.
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    write(&root.join(".dvcignore"), b"# comment\n*.log\n/d/tmp\n");
    let d = root.join("d");
    write(&d.join("a.log"), b"1");
    write(&d.join("keep"), b"2");
    write(&d.join(".git/x"), b"3");
    write(&d.join("tmp/t"), b"4");
    write(&d.join("sub/b.log"), b"5");
    for n in [1, 3] {
        let files = walk::walk_dir(root, &d, jobs(n)).expect("walk");
        let names: Vec<&str> = files.iter().map(|f| f.relpath.as_str()).collect();
        assert_eq!(names, ["keep"], "jobs={n}");
    }
}

/// The same tree real dvc 3.67.1 collected into `9839fb0a5f9340a12277f69406538a07.dir`
/// (size 16, 5 files): built-in ignores, nested repositories, a root `.dvcignore` with an
/// anchored pattern, `.gitignore` not honoured, file symlinks followed, dir symlinks skipped.
#[cfg(unix)]
#[test]
fn matches_dvc_on_a_tree_with_every_kind_of_ignore() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    write(&root.join(".dvcignore"), b"# comment\n*.log\n/d/tmp\n");
    let d = root.join("d");
    write(&d.join("a.log"), b"1");
    write(&d.join("keep"), b"2");
    write(&d.join(".git/x"), b"3");
    write(&d.join("tmp/t"), b"4");
    write(&d.join("sub/b.log"), b"5");
    write(&d.join("sub/only-here"), b"6");
    write(&d.join("sub/deeper/only-here"), b"7");
    write(&d.join(".hg/store"), b"8");
    write(&d.join("x/.dvc/config"), b"9");
    write(&d.join("nested/.dvc/config"), b"");
    write(&d.join("nested/data"), b"10");
    write(&d.join(".gitignore"), b"keep\n");
    write(&root.join("outside/f"), b"content\n");
    std::os::unix::fs::symlink(root.join("outside/f"), d.join("link")).expect("symlink");
    std::os::unix::fs::symlink(root.join("outside"), d.join("dirlink")).expect("symlink");
    for n in [1, 2] {
        let built = build::build(
            root,
            &d,
            &options(n),
            &mut dv_data::state::State::in_memory(),
        )
        .expect("build");
        assert_eq!(
            built.object_id(),
            id("9839fb0a5f9340a12277f69406538a07.dir"),
            "jobs={n}"
        );
        assert_eq!(built.size(), 16);
    }
}

#[test]
fn dvcignore_inside_the_collected_directory_is_an_error() {
    let repo = tempfile::tempdir().expect("temp dir");
    let d = repo.path().join("d");
    write(&d.join("sub/.dvcignore"), b"x\n");
    write(&d.join("f"), b"1");
    let error = walk::walk_dir(repo.path(), &d, jobs(1)).expect_err("dvc refuses this");
    assert!(
        matches!(&error, walk::WalkError::DvcignoreInside(dir) if dir.ends_with("d/sub")),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn symlinked_files_are_followed_and_symlinked_dirs_skipped() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    write(&root.join("outside/f"), b"content\n");
    let d = root.join("d");
    std::fs::create_dir_all(&d).expect("mkdir");
    std::os::unix::fs::symlink(root.join("outside/f"), d.join("link")).expect("symlink");
    std::os::unix::fs::symlink(root.join("outside"), d.join("dirlink")).expect("symlink");
    let files = walk::walk_dir(root, &d, jobs(1)).expect("walk");
    let names: Vec<&str> = files.iter().map(|f| f.relpath.as_str()).collect();
    assert_eq!(names, ["link"]);
    assert_eq!(files[0].size, 8);
}

#[test]
fn cache_layouts() {
    let odb = Odb::new("/repo/.dvc/cache", CacheLayout::Files);
    assert_eq!(
        odb.object_path(&id("0cf062ac48ebbf8b92810fe5a3734acb.dir")),
        Path::new("/repo/.dvc/cache/files/md5/0c/f062ac48ebbf8b92810fe5a3734acb.dir")
    );
    assert_eq!(
        odb.object_path(&id("b1946ac92492d2347c6235b4d2611184")),
        Path::new("/repo/.dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184")
    );
    let legacy = Odb::new(
        "/repo/.dvc/cache",
        CacheLayout::for_hash_name(HashName::Md5Dos2Unix),
    );
    assert_eq!(
        legacy.object_path(&id("dd8c6a395b5dd36c56d23275028f526c")),
        Path::new("/repo/.dvc/cache/dd/8c6a395b5dd36c56d23275028f526c")
    );
    assert_eq!(legacy.hash_name(), HashName::Md5Dos2Unix);
}

#[test]
fn progress_counts_every_file_and_byte_of_each_phase() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    add_fixture(root);
    let data = root.join("data");
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    for n in [1, 2] {
        let progress = Progress::watched();
        let mut state = dv_data::state::State::in_memory();
        build::build_with_progress(root, &data, &options(n), &mut state, &progress).expect("build");
        let all = |phase| Snapshot {
            phase: Some(phase),
            files: 3,
            files_total: 3,
            bytes: 9,
            bytes_total: 9,
        };
        assert_eq!(progress.snapshot(), all(Phase::Hashing));
        // Hashes known to the state are counted as done too.
        build::build_into_with_progress(root, &data, &options(n), &mut state, &odb, &progress)
            .expect("build into the cache");
        assert_eq!(progress.snapshot(), all(Phase::Caching));
        let built = build::build_with_progress(root, &data, &options(n), &mut state, &progress)
            .expect("build again");
        assert_eq!(
            (progress.snapshot().files, progress.snapshot().files_total),
            (6, 6)
        );
        let dest = root.join(format!("copy{n}"));
        let manifest = odb.read_tree(&built.object_id()).expect("read tree");
        let link_options = CheckoutOptions {
            links: vec![LinkType::Copy],
            jobs: jobs(n),
        };
        checkout::checkout_tree(&odb, &manifest, &dest, &link_options, &progress)
            .expect("checkout");
        assert_eq!(
            progress.snapshot(),
            Snapshot {
                phase: Some(Phase::Linking),
                files: 3,
                files_total: 3,
                bytes: 0,
                bytes_total: 0,
            }
        );
    }
}

#[test]
fn commit_then_checkout_round_trip() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    add_fixture(root);
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    let data = root.join("data");
    let built = build::build(
        root,
        &data,
        &options(2),
        &mut dv_data::state::State::in_memory(),
    )
    .expect("build");
    build::commit(&odb, &data, &built, jobs(2), &Progress::default()).expect("commit");

    // Objects are where DVC puts them, read-only, and the manifest is byte-identical.
    let manifest_path = root.join(".dvc/cache/files/md5/0c/f062ac48ebbf8b92810fe5a3734acb.dir");
    let bytes = std::fs::read(&manifest_path).expect("manifest in cache");
    assert_eq!(
        Md5::digest(&bytes).to_string(),
        "0cf062ac48ebbf8b92810fe5a3734acb"
    );
    let f2 = root.join(".dvc/cache/files/md5/11/fb069f7f29124c833020fb42120d64");
    assert_eq!(std::fs::read(&f2).expect("object"), b"two\r\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f2).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o444);
    }
    assert_eq!(
        odb.check(&built.object_id(), false).expect("check"),
        ObjectState::Valid
    );
    assert_eq!(
        odb.read_tree(&built.object_id()).expect("read tree"),
        DirManifest::from_bytes(&bytes).expect("parse")
    );
    // A second commit finds everything present.
    assert_eq!(
        odb.add_file(
            &data.join("f1.txt"),
            &id("5bbf5a52328e7439ae6e719dfe712200")
        )
        .expect("add"),
        Inserted::Existing
    );

    // Remove the workspace copy and check it out again with each link type.
    for links in [
        vec![LinkType::Reflink, LinkType::Copy],
        vec![LinkType::Hardlink],
        vec![LinkType::Symlink],
        vec![LinkType::Copy],
    ] {
        std::fs::remove_dir_all(&data).expect("remove workspace copy");
        let options = CheckoutOptions {
            links: links.clone(),
            jobs: jobs(2),
        };
        checkout::checkout(&odb, &built.object_id(), &data, false, &options).expect("checkout");
        assert_eq!(
            std::fs::read(data.join("sub/f2.txt")).expect("read"),
            b"two\r\n"
        );
        assert_eq!(std::fs::read(data.join("empty")).expect("read"), b"");
        let rebuilt = build::build(
            root,
            &data,
            &self::options(1),
            &mut dv_data::state::State::in_memory(),
        )
        .expect("rebuild");
        assert_eq!(rebuilt.object_id(), built.object_id(), "{links:?}");
        if links == [LinkType::Symlink] {
            assert!(
                std::fs::symlink_metadata(data.join("f1.txt"))
                    .expect("stat")
                    .file_type()
                    .is_symlink()
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn file_checkout_sets_exec_bit_on_copies() {
    use std::os::unix::fs::PermissionsExt;
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    let exe = root.join("exe.sh");
    write(&exe, b"x\n");
    let (object, size, inserted) = odb.insert_file(&exe).expect("insert");
    assert_eq!(object, id("401b30e3b8b5d629635a5c613cdb7919"));
    assert_eq!((size, inserted), (2, Inserted::New));
    std::fs::remove_file(&exe).expect("remove");
    let used =
        checkout::checkout_file(&odb, &object, &exe, true, &[LinkType::Copy]).expect("checkout");
    assert_eq!(used, LinkType::Copy);
    let mode = std::fs::metadata(&exe).expect("stat").permissions().mode();
    assert_eq!(mode & 0o100, 0o100, "u+x set: {mode:o}");
    assert_ne!(mode & 0o200, 0, "copy is writable: {mode:o}");
    // the cache object keeps its read-only mode
    let object_mode = std::fs::metadata(odb.object_path(&object))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(object_mode & 0o777, 0o444);
}

#[test]
fn checkout_refuses_escaping_relpaths() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    let content = root.join("payload");
    write(&content, b"evil\n");
    let (file_id, _, _) = odb.insert_file(&content).expect("insert");
    let manifest = format!(r#"[{{"md5": "{}", "relpath": "../escaped"}}]"#, file_id.md5);
    let tree_id = ObjectId::tree(Md5::digest(manifest.as_bytes()));
    odb.add_bytes(&tree_id, manifest.as_bytes())
        .expect("store malicious tree");

    let dest = root.join("work/out");
    let error = checkout::checkout(&odb, &tree_id, &dest, false, &CheckoutOptions::default())
        .expect_err("must refuse");
    assert!(
        matches!(error, CheckoutError::Odb(OdbError::BadManifest { .. })),
        "{error}"
    );
    assert!(!root.join("work/escaped").exists());
}

#[cfg(unix)]
#[test]
fn checkout_refuses_to_write_through_symlinked_directories() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    let data = root.join("data");
    write(&data.join("sub/f"), b"f\n");
    let built = build::build(
        root,
        &data,
        &options(1),
        &mut dv_data::state::State::in_memory(),
    )
    .expect("build");
    build::commit(&odb, &data, &built, jobs(1), &Progress::default()).expect("commit");

    std::fs::remove_dir_all(data.join("sub")).expect("remove");
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, data.join("sub")).expect("symlink");
    let error = checkout::checkout(
        &odb,
        &built.object_id(),
        &data,
        false,
        &CheckoutOptions::default(),
    )
    .expect_err("must refuse");
    assert!(matches!(error, CheckoutError::Escapes { .. }), "{error}");
    assert!(!elsewhere.join("f").exists());
}

#[test]
fn checkout_of_a_missing_object_writes_nothing() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    let dest = root.join("a.txt");
    let error = checkout::checkout_file(
        &odb,
        &id("b1946ac92492d2347c6235b4d2611184"),
        &dest,
        false,
        &[LinkType::Copy],
    )
    .expect_err("missing");
    assert!(
        matches!(error, CheckoutError::MissingObject { .. }),
        "{error}"
    );
    assert!(!dest.exists());
}

#[test]
fn interrupted_or_failed_inserts_leave_no_final_object() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    let src = root.join("a.txt");
    write(&src, b"hello\n");
    let expected = id("b1946ac92492d2347c6235b4d2611184");

    // An insert killed after writing its temporary file: only a `.tmp` sibling exists, and the
    // object is not considered present.
    let shard = root.join(".dvc/cache/files/md5/b1");
    std::fs::create_dir_all(&shard).expect("mkdir");
    write(&shard.join(".0123456789abcdefghijkl.tmp"), b"hel");
    assert!(!odb.contains(&expected));
    assert_eq!(
        odb.check(&expected, true).expect("check"),
        ObjectState::Missing
    );

    // The file changed after it was hashed: the insert fails and leaves no object behind
    // (when the content is copied; a reflink is trusted).
    let wrong = id("d41d8cd98f00b204e9800998ecf8427e");
    match odb.add_file(&src, &wrong) {
        Err(OdbError::HashMismatch { .. }) => assert!(!odb.contains(&wrong)),
        Ok(_) => assert!(odb.contains(&wrong)), // reflink filesystems
        Err(other) => panic!("unexpected error: {other}"),
    }
    let leftovers: Vec<_> = std::fs::read_dir(root.join(".dvc/cache/files/md5/d4"))
        .map(|dir| dir.map(|e| e.expect("entry").file_name()).collect())
        .unwrap_or_default();
    assert!(
        leftovers
            .iter()
            .all(|name| !name.to_string_lossy().ends_with(".tmp")),
        "{leftovers:?}"
    );

    // A normal insert completes and replaces nothing but the final name.
    assert_eq!(odb.add_file(&src, &expected).expect("add"), Inserted::New);
    assert_eq!(
        odb.check(&expected, false).expect("check"),
        ObjectState::Valid
    );
}

#[test]
fn corrupted_objects_are_detected_and_replaced() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Files);
    let expected = id("b1946ac92492d2347c6235b4d2611184");
    let object = odb.object_path(&expected);
    write(&object, b"garbage");
    assert_eq!(
        odb.check(&expected, true).expect("check"),
        ObjectState::Corrupted
    );
    let src = root.join("a.txt");
    write(&src, b"hello\n");
    assert_eq!(odb.add_file(&src, &expected).expect("add"), Inserted::New);
    assert_eq!(std::fs::read(&object).expect("read"), b"hello\n");
}

#[test]
fn legacy_objects_verify_with_dos2unix() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    let odb = Odb::new(root.join(".dvc/cache"), CacheLayout::Legacy);
    let src = root.join("crlf.txt");
    write(&src, b"a\r\nb\r\n");
    let legacy_id = id("dd8c6a395b5dd36c56d23275028f526c");
    assert_eq!(odb.add_file(&src, &legacy_id).expect("add"), Inserted::New);
    assert!(
        root.join(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c")
            .is_file()
    );
    assert_eq!(
        odb.check(&legacy_id, false).expect("check"),
        ObjectState::Valid
    );
    // checkout restores the raw bytes (CRLF kept)
    std::fs::remove_file(&src).expect("remove");
    checkout::checkout_file(&odb, &legacy_id, &src, false, &[LinkType::Copy]).expect("checkout");
    assert_eq!(std::fs::read(&src).expect("read"), b"a\r\nb\r\n");
}

#[test]
fn contains_many_lists_shards_and_agrees_with_contains() {
    let dir = tempfile::tempdir().expect("temp dir");
    let odb = Odb::new(dir.path().join("cache"), CacheLayout::Files);
    // enough objects for the listing path, half of them stored, and a tree
    let ids: Vec<ObjectId> = (0..1200u32)
        .map(|i| {
            let bytes = i.to_le_bytes();
            ObjectId::file(Md5::digest(&bytes))
        })
        .collect();
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        odb.add_bytes(id, &(i as u32).to_le_bytes())
            .expect("stored");
    }
    let tree = ObjectId::tree(ids[1].md5);
    odb.add_bytes(&tree, b"[]").expect("stored");
    let mut asked = ids.clone();
    asked.push(tree);
    let expected: Vec<bool> = asked.iter().map(|id| odb.contains(id)).collect();
    assert_eq!(odb.contains_many(&asked), expected);
    assert_eq!(expected.iter().filter(|&&present| present).count(), 601);
}
