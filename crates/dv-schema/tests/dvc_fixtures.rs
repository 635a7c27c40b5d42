//! `.dvc` files and `.dir` manifests against files written by DVC 3.67.1 (`tests/fixtures/`).

use std::path::{Path, PathBuf};

use dv_schema::dir_manifest::{DirEntry, DirManifest, EntryHash, RelPath};
use dv_schema::dvc_file::{DvcFile, Output};
use dv_schema::hash::{HashName, Md5, ObjectId};

fn fixture_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

fn fixture(relative: &str) -> String {
    std::fs::read_to_string(fixture_path(relative)).expect("fixture exists")
}

fn fixture_bytes(relative: &str) -> Vec<u8> {
    std::fs::read(fixture_path(relative)).expect("fixture exists")
}

fn id(text: &str) -> ObjectId {
    text.parse().expect("valid object id")
}

fn entry(relpath: &str, md5: &str) -> DirEntry {
    DirEntry::md5(
        RelPath::new(relpath).expect("valid relpath"),
        md5.parse::<Md5>().expect("valid md5"),
    )
}

#[test]
fn add_outputs_are_written_byte_for_byte() {
    let mut a = Output::new("a.txt", id("b1946ac92492d2347c6235b4d2611184"));
    a.size = Some(6);
    assert_eq!(DvcFile::with_output(a).to_yaml(), fixture("add/a.txt.dvc"));

    let mut data = Output::new("data", id("0cf062ac48ebbf8b92810fe5a3734acb.dir"));
    data.size = Some(9);
    data.nfiles = Some(3);
    assert_eq!(
        DvcFile::with_output(data).to_yaml(),
        fixture("add/data.dvc")
    );

    let mut exe = Output::new("exe.sh", id("401b30e3b8b5d629635a5c613cdb7919"));
    exe.size = Some(2);
    exe.isexec = true;
    assert_eq!(
        DvcFile::with_output(exe).to_yaml(),
        fixture("add/exe.sh.dvc")
    );

    let mut d = Output::new("d", id("464cc66a8ff1f4e01823d7b46212c6ec.dir"));
    d.size = Some(12);
    d.nfiles = Some(6);
    assert_eq!(DvcFile::with_output(d).to_yaml(), fixture("dirsort/d.dvc"));
}

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    for name in [
        "add/a.txt.dvc",
        "add/data.dvc",
        "add/exe.sh.dvc",
        "dirsort/d.dvc",
        "importlocal/file.txt.dvc",
        "importlocal/imported_dir.dvc",
        "importlocal/nodl.txt.dvc",
        "imports3/file.csv.dvc",
        "imports3/sdir.dvc",
        "imports3/vd.dvc",
        "imports3/vf.txt.dvc",
        "legacy/crlf.txt.dvc.2x-handwritten",
        "legacy/crlf.txt.dvc.after-modified-readd",
        "vaware/a.txt.dvc",
        "vaware/data.dvc",
    ] {
        let text = fixture(name);
        let file = DvcFile::from_yaml(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(
            file.update_yaml(&text).expect("valid text"),
            text,
            "{name}: update with unchanged content"
        );
        let reparsed = DvcFile::from_yaml(&file.to_yaml()).expect("own output parses");
        assert_eq!(reparsed, file, "{name}: parse(to_yaml(x)) == x");
    }
}

#[test]
fn new_files_match_fixtures_written_in_one_go() {
    // Files DVC wrote fresh (not updated in place) come out identical from `to_yaml`.
    for name in [
        "add/a.txt.dvc",
        "add/data.dvc",
        "add/exe.sh.dvc",
        "dirsort/d.dvc",
        "importlocal/file.txt.dvc",
        "importlocal/imported_dir.dvc",
        "importlocal/nodl.txt.dvc",
        "imports3/file.csv.dvc",
        "imports3/sdir.dvc",
        "imports3/vd.dvc",
        "imports3/vf.txt.dvc",
    ] {
        let text = fixture(name);
        let file = DvcFile::from_yaml(&text).expect("valid fixture");
        assert_eq!(file.to_yaml(), text, "{name}");
    }
}

#[test]
fn parsed_fields() {
    let file = DvcFile::from_yaml(&fixture("imports3/vf.txt.dvc")).expect("valid fixture");
    assert!(file.frozen);
    assert_eq!(
        file.md5.map(|md5| md5.to_string()).as_deref(),
        Some("a406437d622eab6e3cd8bcd1f6b872ab")
    );
    let dep = &file.deps[0];
    assert_eq!(
        dep.etag.as_deref(),
        Some("e30260020baeb0398ff07b37dd33ed16")
    );
    assert_eq!(dep.md5, None);
    assert_eq!(dep.path, "s3://vsrc/f.txt");
    assert!(dep.fs_config.is_some());
    assert!(!file.outs[0].push);

    let data = DvcFile::from_yaml(&fixture("add/data.dvc")).expect("valid fixture");
    let out = &data.outs[0];
    assert!(out.is_dir());
    assert!(!out.is_legacy());
    assert_eq!((out.size, out.nfiles), (Some(9), Some(3)));

    let legacy =
        DvcFile::from_yaml(&fixture("legacy/crlf.txt.dvc.2x-handwritten")).expect("valid fixture");
    assert!(legacy.outs[0].is_legacy());
    assert_eq!(legacy.outs[0].hash_name, HashName::Md5Dos2Unix);
}

#[test]
fn legacy_entry_unchanged_on_readd_and_upgraded_when_modified() {
    let previous = fixture("legacy/crlf.txt.dvc.2x-handwritten");
    let file = DvcFile::from_yaml(&previous).expect("valid fixture");

    // Unchanged data: the entry stays legacy and the file is identical.
    assert_eq!(
        file.update_yaml(&previous).expect("valid text"),
        fixture("legacy/crlf.txt.dvc.after-unchanged-readd")
    );

    // Modified data: a DVC 3 entry; `hash: md5` is appended after the existing keys.
    let mut upgraded = file.clone();
    let out = &mut upgraded.outs[0];
    out.md5 = Some(id("34f5e296d915dd7ced8c96e9a18fc554"));
    out.size = Some(6);
    out.hash_name = HashName::Md5;
    assert_eq!(
        upgraded.update_yaml(&previous).expect("valid text"),
        fixture("legacy/crlf.txt.dvc.after-modified-readd")
    );
}

#[test]
fn update_keeps_unknown_keys_and_order_and_appends_new_keys() {
    let previous = "outs:\n- path: data\n  custom: 1\n  md5: 0cf062ac48ebbf8b92810fe5a3734acb.dir\n  hash: md5\nzz_top: keep me\n";
    let mut file = DvcFile::from_yaml(previous).expect("valid file");
    assert_eq!(file.extra.len(), 1);
    assert_eq!(file.outs[0].extra.len(), 1);
    file.outs[0].md5 = Some(id("464cc66a8ff1f4e01823d7b46212c6ec.dir"));
    file.outs[0].size = Some(12);
    file.outs[0].nfiles = Some(6);
    assert_eq!(
        file.update_yaml(previous).expect("valid text"),
        "outs:\n- path: data\n  custom: 1\n  md5: 464cc66a8ff1f4e01823d7b46212c6ec.dir\n  hash: md5\n  size: 12\n  nfiles: 6\nzz_top: keep me\n"
    );
}

#[test]
fn add_manifest_matches_fixture() {
    let manifest = DirManifest::new(vec![
        entry("sub/f2.txt", "11fb069f7f29124c833020fb42120d64"),
        entry("f1.txt", "5bbf5a52328e7439ae6e719dfe712200"),
        entry("empty", "d41d8cd98f00b204e9800998ecf8427e"),
    ]);
    let name = "add/cache/files/md5/0c/f062ac48ebbf8b92810fe5a3734acb.dir";
    assert_eq!(manifest.to_bytes(), fixture_bytes(name));
    assert_eq!(manifest.to_bytes().len(), 201);
    assert_eq!(
        manifest.object_id().to_string(),
        "0cf062ac48ebbf8b92810fe5a3734acb.dir"
    );
    assert_eq!(
        DirManifest::from_bytes(&fixture_bytes(name)).expect("valid manifest"),
        manifest
    );
}

#[test]
fn dirsort_manifest_sorting_and_escaping_match_fixture() {
    let manifest = DirManifest::new(vec![
        entry("😀", "f4d5d0c0671be202bc241807c243e80b"),
        entry("é.txt", "9ffbf43126e33be52cd2bf7e01d627f9"),
        entry("a/b", "401b30e3b8b5d629635a5c613cdb7919"),
        entry("a-b/x", "009520053b00386d1173f3988c55d192"),
        entry("B", "a8a78d0ff555c931f045b6f448129846"),
        entry(".hidden", "f5302386464f953ed581edac03556e55"),
    ]);
    let name = "dirsort/cache/files/md5/46/4cc66a8ff1f4e01823d7b46212c6ec.dir";
    assert_eq!(manifest.to_bytes(), fixture_bytes(name));
    assert_eq!(
        manifest.object_id().to_string(),
        "464cc66a8ff1f4e01823d7b46212c6ec.dir"
    );
    let parsed = DirManifest::from_bytes(&fixture_bytes(name)).expect("valid manifest");
    assert_eq!(parsed, manifest);
    assert_eq!(parsed.entries()[5].relpath.as_str(), "😀");
}

#[test]
fn every_fixture_manifest_round_trips_and_matches_its_name() {
    for name in [
        "add/cache/files/md5/0c/f062ac48ebbf8b92810fe5a3734acb.dir",
        "dirsort/cache/files/md5/46/4cc66a8ff1f4e01823d7b46212c6ec.dir",
        "imports3/cache/files/md5/27/d309bc4a686a2f91b257b96978e1b6.dir",
        "imports3/cache/files/md5/37/12e6fa6375b81855d20c80a73b62d7.dir",
        "imports3/cache/files/md5/6d/6d835c2c8de13c00e171231a50c311.dir",
        "imports3/cache/files/md5/ce/be2b0ebc9e04405bc615a465ad8655.dir",
    ] {
        let bytes = fixture_bytes(name);
        let manifest = DirManifest::from_bytes(&bytes).expect("valid manifest");
        assert_eq!(manifest.to_bytes(), bytes, "{name}");
        let file_name = Path::new(name)
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name");
        let shard = Path::new(name)
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .expect("utf-8 shard");
        assert_eq!(
            manifest.object_id().to_string(),
            format!("{shard}{file_name}"),
            "{name}"
        );
    }
    let etags = DirManifest::from_bytes(&fixture_bytes(
        "imports3/cache/files/md5/27/d309bc4a686a2f91b257b96978e1b6.dir",
    ))
    .expect("valid manifest");
    assert_eq!(
        etags.entries()[0].hash,
        EntryHash::Etag("401b30e3b8b5d629635a5c613cdb7919".to_owned())
    );
}

#[test]
fn update_keeps_comments_and_annotations_like_dvc() {
    let previous = fixture("comments/a.txt.dvc.before");
    let mut file = DvcFile::from_yaml(&previous).expect("valid fixture");
    assert_eq!(file.desc.as_deref(), Some("top level description"));
    // unchanged content: identical text
    assert_eq!(file.update_yaml(&previous).expect("valid text"), previous);
    let out = &mut file.outs[0];
    assert_eq!(
        out.labels.as_deref(),
        Some(&["one".to_owned(), "two".to_owned()][..])
    );
    assert_eq!(out.remote.as_deref(), Some("myremote"));
    assert!(!out.push);
    out.md5 = Some(id("d4162ac45c70f648a4bac4d1082b32e9"));
    out.size = Some(22);
    assert_eq!(
        file.update_yaml(&previous).expect("valid text"),
        fixture("comments/a.txt.dvc.after-modified-readd")
    );
}

#[test]
fn update_with_comments_appends_and_removes_keys() {
    let previous = "# keep me\nouts:\n- md5: dd8c6a395b5dd36c56d23275028f526c # inline\n  size: 6\n  path: crlf.txt\n  persist: true\n";
    let mut file = DvcFile::from_yaml(previous).expect("valid file");
    let out = &mut file.outs[0];
    out.md5 = Some(id("34f5e296d915dd7ced8c96e9a18fc554"));
    out.hash_name = HashName::Md5;
    out.persist = false;
    assert_eq!(
        file.update_yaml(previous).expect("valid text"),
        "# keep me\nouts:\n- md5: 34f5e296d915dd7ced8c96e9a18fc554 # inline\n  size: 6\n  path: crlf.txt\n  hash: md5\n"
    );
}

#[test]
fn import_stage_md5_matches_every_import_fixture() {
    for name in [
        "importlocal/file.txt.dvc",
        "importlocal/imported_dir.dvc",
        "importlocal/nodl.txt.dvc",
        "imports3/file.csv.dvc",
        "imports3/sdir.dvc",
        "imports3/vf.txt.dvc",
        "imports3/vd.dvc",
    ] {
        let file = DvcFile::from_yaml(&fixture(name)).expect("valid fixture");
        assert!(file.is_import(), "{name}");
        assert_eq!(Some(file.stage_md5()), file.md5, "{name}");
    }
    let added = DvcFile::from_yaml(&fixture("add/a.txt.dvc")).expect("valid fixture");
    assert!(!added.is_import());
}

/// Run-cache entries DVC 3.67.1 wrote (`run-cache/runs/…`): a file output with params, and a
/// directory output with an uncached metric.
const RUN_CACHE_ENTRIES: [&str; 2] = [
    "run-cache/runs/96/96292fdeec63ce03ed5e1803b236a4780432c24db3c989d04b3cd954f7cd331f/f5c15a561e31dbe4ad9e7a9544e71ec22171c5b0c189964faf91f6bf4cb6aee8",
    "run-cache/runs/47/47044d39a4825d331ca6924416f36832d7be64a9edf1206c94eb3780e894fc0b/2c50910e330a5ceb36d5e691c4d5516d8e8813ce5da98809fa949dbc812b665b",
];

#[test]
fn run_cache_entries_round_trip_byte_for_byte() {
    use dv_schema::lock_file::LockStage;
    for name in RUN_CACHE_ENTRIES {
        let text = fixture(name);
        let entry = LockStage::from_yaml(&text).expect("valid entry");
        assert_eq!(entry.to_yaml(), text, "{name}");
    }
    let bad = LockStage::from_yaml("cmd: x\nbogus: 1\n").expect_err("extra key");
    assert_eq!(bad.to_string(), "extra keys not allowed, in bogus");
}

#[test]
fn repo_imports_are_read_and_written_back_byte_for_byte() {
    for name in ["importrepo/dimp.dvc", "importrepo/frev.txt.dvc"] {
        let text = fixture(name);
        let file = DvcFile::from_yaml(&text).expect("dvc import files are valid");
        assert_eq!(file.schema_problem(), None, "{name}");
        assert!(file.is_repo_import(), "{name}");
        assert_eq!(file.deps[0].repo_url(), Some("../src"), "{name}");
        assert_eq!(file.to_yaml(), text, "{name}");
        assert_eq!(file.update_yaml(&text).expect("valid"), text, "{name}");
        assert_eq!(file.md5, Some(file.stage_md5()), "{name}");
    }
    let with_rev = DvcFile::from_yaml(&fixture("importrepo/frev.txt.dvc")).expect("valid");
    assert_eq!(with_rev.deps[0].repo_field("rev"), Some("main"));
}

#[test]
fn repo_mappings_are_checked_as_dvc_checks_them() {
    let problem = |repo: &str| {
        let text = format!("deps:\n- path: d\n  repo:{repo}\nouts:\n- path: o\n");
        DvcFile::from_yaml(&text)
            .expect("readable")
            .schema_problem()
    };
    assert_eq!(
        problem("\n    url: u\n    bogus: 1"),
        Some("extra keys not allowed, in deps -> 0 -> repo -> bogus".to_owned())
    );
    assert_eq!(
        problem("\n    rev: main"),
        Some("required key not provided, in deps -> 0 -> repo -> url".to_owned())
    );
    assert_eq!(
        problem("\n    url: 3"),
        Some("expected str, in deps -> 0 -> repo -> url".to_owned())
    );
    assert_eq!(
        problem(" ../src"),
        Some("expected a dictionary, in deps -> 0 -> repo".to_owned())
    );
    assert_eq!(
        problem("\n    url: u\n    remote: 3"),
        Some("expected str, in deps -> 0 -> repo -> remote".to_owned())
    );
    assert_eq!(
        problem("\n    url: u\n    rev: main\n    config: {a: 1}\n    remote: {url: /x}"),
        None
    );
    let on_output = DvcFile::from_yaml("outs:\n- path: o\n  repo:\n    url: u\n")
        .expect("readable")
        .schema_problem();
    assert_eq!(
        on_output,
        Some("extra keys not allowed, in outs -> 0 -> repo".to_owned())
    );
}
