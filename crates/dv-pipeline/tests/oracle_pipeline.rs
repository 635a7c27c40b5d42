//! A pipeline run by the pinned real DVC, compared with what this crate computes from the same
//! workspace: the `dvc.lock` files byte for byte, the run-cache entries, the `repro` order and
//! `dvc status` (text and JSON) after a series of changes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use dv_pipeline::files::{FileContent, WorkingTree};
use dv_pipeline::graph::{Selection, StageGraph};
use dv_pipeline::lock::record;
use dv_pipeline::resolve::{LoadOptions, load};
use dv_pipeline::run_cache::{RunCacheEntry, can_save};
use dv_pipeline::stage::{EntryPath, Stage};
use dv_pipeline::status::{
    CheckMode, CheckOptions, EntryHash, EntryRole, HashValue, StageReport, StatusReport, Workspace,
    WorkspaceError, check,
};
use dv_schema::dir_manifest::{DirEntry, DirManifest, RelPath};
use dv_schema::hash::{HashName, Md5, ObjectId};
use dv_schema::lock_file::{LockFile, update_stages};
use dv_schema::repo_path::RepoPath;
use dv_test::{TestRepo, run};

/// The workspace of a test repository, hashed without any cache.
struct Disk {
    root: PathBuf,
}

impl Disk {
    fn full(&self, path: &RepoPath) -> PathBuf {
        path.components()
            .fold(self.root.clone(), |full, part| full.join(part))
    }

    fn object_path(&self, id: &ObjectId) -> PathBuf {
        let hex = id.md5.to_string();
        let suffix = if id.is_tree() { ".dir" } else { "" };
        self.root
            .join(".dvc/cache/files/md5")
            .join(&hex[..2])
            .join(format!("{}{suffix}", &hex[2..]))
    }
}

fn walk(dir: &Path, prefix: &str, entries: &mut Vec<DirEntry>, size: &mut u64) {
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .expect("read a directory")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    children.sort();
    for child in children {
        let name = child
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let relpath = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if child.is_dir() {
            walk(&child, &relpath, entries, size);
        } else {
            let bytes = std::fs::read(&child).expect("read a file");
            *size += bytes.len() as u64;
            entries.push(DirEntry::md5(
                RelPath::new(relpath).expect("a valid relpath"),
                Md5::digest(&bytes),
            ));
        }
    }
}

impl Workspace for Disk {
    fn hash(
        &mut self,
        path: &EntryPath,
        _hash_name: HashName,
        _role: EntryRole,
    ) -> Result<Option<EntryHash>, WorkspaceError> {
        let EntryPath::Repo(path) = path else {
            return Ok(None);
        };
        let full = self.full(path);
        let Ok(metadata) = std::fs::metadata(&full) else {
            return Ok(None);
        };
        if metadata.is_dir() {
            let mut entries = Vec::new();
            let mut size = 0;
            walk(&full, "", &mut entries, &mut size);
            let nfiles = entries.len() as u64;
            let manifest = DirManifest::new(entries);
            return Ok(Some(EntryHash {
                value: HashValue::Md5(manifest.object_id()),
                hash_name: HashName::Md5,
                size: Some(size),
                nfiles: Some(nfiles),
                isexec: false,
            }));
        }
        let bytes = std::fs::read(&full)?;
        Ok(Some(EntryHash {
            value: HashValue::Md5(ObjectId::file(Md5::digest(&bytes))),
            hash_name: HashName::Md5,
            size: Some(bytes.len() as u64),
            nfiles: None,
            isexec: metadata.permissions().mode() & 0o111 != 0,
        }))
    }

    fn read(&mut self, path: &EntryPath) -> Result<FileContent, WorkspaceError> {
        let EntryPath::Repo(path) = path else {
            return Ok(FileContent::Missing);
        };
        let full = self.full(path);
        Ok(match std::fs::metadata(&full) {
            Ok(metadata) if metadata.is_dir() => FileContent::Directory,
            Ok(_) => FileContent::File(std::fs::read(&full)?),
            Err(_) => FileContent::Missing,
        })
    }

    fn in_cache(&mut self, id: &ObjectId, _hash_name: HashName) -> Result<bool, WorkspaceError> {
        let path = self.object_path(id);
        if !path.exists() {
            return Ok(false);
        }
        if !id.is_tree() {
            return Ok(true);
        }
        let manifest = DirManifest::from_bytes(&std::fs::read(&path)?)?;
        Ok(manifest.entries().iter().all(|entry| {
            entry
                .hash
                .md5()
                .is_some_and(|md5| self.object_path(&ObjectId::file(md5)).exists())
        }))
    }
}

const DVC_YAML: &str = r#"stages:
  prep:
    cmd: mkdir -p prepared && cp -r data/* prepared/ && cat in.txt > prepared/in.txt
    deps:
    - data
    - in.txt
    params:
    - lr
    - train.opt
    - small
    - p2.json:
      - seed
      - nested
    - p3.toml:
      - model.depth
    - conf.py:
      - BATCH
      - Conf.lr
    - whole.yaml:
    outs:
    - prepared
  train:
    cmd: cat prepared/in.txt > model.bin && echo 1 > metrics.json && echo x,y > plot.csv
    deps:
    - prepared/in.txt
    - exe.sh
    outs:
    - model.bin
    metrics:
    - metrics.json:
        cache: false
    plots:
    - plot.csv
  fe:
    foreach: ${models}
    do:
      cmd: echo ${item} > fe-${item}.txt
      deps: [model.bin]
      outs:
      - fe-${item}.txt
  persist:
    cmd: echo p >> p.txt
    deps: [in.txt]
    outs:
    - p.txt:
        persist: true
  nocache:
    cmd: echo n > n.txt
    deps: [in.txt]
    outs:
    - n.txt:
        cache: false
  sub:
    wdir: subdir
    cmd: cat ../in.txt > out.txt
    deps: [../in.txt]
    outs: [out.txt]
"#;

fn setup() -> TestRepo {
    let repo = TestRepo::new();
    run(repo.dvc().args(["init", "-q"])).success();
    repo.write(
        "params.yaml",
        "lr: 0.1\nsmall: 1.0e-05\ntrain:\n  epochs: 5\n  opt: {name: adam, beta: 0.9}\nmodels: [a, b]\n",
    );
    repo.write("p2.json", r#"{"seed": 7, "nested": {"b": 1, "a": 2}}"#);
    repo.write("p3.toml", "title = \"t\"\n[model]\ndepth = 3\n");
    repo.write("conf.py", "BATCH = 64\nclass Conf:\n    lr = 0.3\n");
    repo.write("whole.yaml", "x: 1\ny: [1, 2.5]\n");
    repo.write("in.txt", "in\n");
    repo.write("data/a.txt", "a\n");
    repo.write("data/sub/b.txt", "b\n");
    repo.write("exe.sh", "#!/bin/sh\n");
    std::fs::set_permissions(repo.path("exe.sh"), std::fs::Permissions::from_mode(0o755))
        .expect("make exe.sh executable");
    repo.write("subdir/.keep", "");
    repo.write("dvc.yaml", DVC_YAML);
    repo.write(
        "nested/dvc.yaml",
        "stages:\n  n1:\n    cmd: cat ../in.txt > o.txt\n    deps: [../in.txt]\n    params: [k]\n    outs: [o.txt]\n",
    );
    repo.write("nested/params.yaml", "k: v\n");
    repo
}

/// Every stage of the repository's two `dvc.yaml` files, in DVC's collection order.
fn load_stages(repo: &TestRepo) -> Vec<Stage> {
    let files = WorkingTree::new(repo.root());
    let mut stages = Vec::new();
    for path in ["dvc.yaml", "nested/dvc.yaml"] {
        let file = load(
            &files,
            &RepoPath::new(path).expect("valid"),
            &LoadOptions::default(),
        )
        .expect("the pipeline loads");
        stages.extend(Stage::all(&file).expect("stages"));
    }
    stages
}

fn status(repo: &TestRepo) -> StatusReport {
    let stages = load_stages(repo);
    let mut workspace = Disk {
        root: repo.root().to_path_buf(),
    };
    let mut report = StatusReport::default();
    let cwd = RepoPath::root();
    for stage in &stages {
        let lock_path = stage.file.parent().join("dvc.lock");
        let lock_text = match lock_path {
            dv_schema::repo_path::Joined::Inside(path) => {
                std::fs::read_to_string(workspace.full(&path)).ok()
            }
            dv_schema::repo_path::Joined::Outside { .. } => None,
        };
        let lock = lock_text.map(|text| LockFile::from_yaml(&text).expect("a valid lock file"));
        let entry = lock.as_ref().and_then(|lock| lock.stage(&stage.name));
        let changes = check(stage, entry, &mut workspace, CheckOptions::default(), &[])
            .expect("the stage can be checked");
        if let Some(stage_report) =
            StageReport::from_changes(&stage.addressing(&cwd), &changes, entry.is_some(), &cwd)
        {
            report.push(stage_report);
        }
    }
    report
}

fn compare_status(repo: &TestRepo, step: &str) {
    let report = status(repo);
    let text = run(repo.dvc().arg("status")).success().stdout.clone();
    let expected_text = if report.is_empty() {
        "Data and pipelines are up to date.\n".to_owned()
    } else {
        report.to_text()
    };
    assert_eq!(expected_text, text, "status text after {step}");
    let json = run(repo.dvc().args(["status", "--json"]))
        .success()
        .stdout
        .clone();
    let expected: serde_json::Value = serde_json::from_str(&json).expect("dvc prints JSON");
    assert_eq!(report.to_json(), expected, "status --json after {step}");
    // JSON objects compare regardless of order: compare the key order too
    assert_eq!(
        report.to_json().to_string(),
        expected.to_string(),
        "status --json order after {step}"
    );
}

#[test]
fn lock_files_run_cache_and_status_match_dvc() {
    let repo = setup();
    compare_status(&repo, "setup (never run)");
    run(repo.dvc().args(["repro", "-q", "-P"])).success();

    // dvc.lock files, byte for byte, stages in repro order
    let stages = load_stages(&repo);
    let cwd = RepoPath::root();
    let nodes: Vec<_> = stages.iter().map(|stage| stage.graph_node(&cwd)).collect();
    let graph = StageGraph::build(&nodes).expect("a valid graph");
    let order = graph.plan(
        &[],
        Selection {
            all_pipelines: true,
            ..Selection::default()
        },
    );
    let names: Vec<&str> = order.iter().map(|&i| stages[i].name.as_str()).collect();
    assert_eq!(
        names,
        [
            "prep", "train", "fe@a", "fe@b", "persist", "nocache", "sub", "n1"
        ]
    );
    assert_eq!(
        graph.dependencies(1),
        [0],
        "train depends on prep's output directory"
    );
    let mut workspace = Disk {
        root: repo.root().to_path_buf(),
    };
    let locks: Vec<_> = order
        .iter()
        .map(|&i| {
            (
                i,
                record(&stages[i], None, &mut workspace).expect("the stage is recorded"),
            )
        })
        .collect();
    for (file, lock_path) in [
        ("dvc.yaml", "dvc.lock"),
        ("nested/dvc.yaml", "nested/dvc.lock"),
    ] {
        let entries: Vec<(&str, &dv_schema::lock_file::LockStage)> = locks
            .iter()
            .filter(|(i, _)| stages[*i].file.as_str() == file)
            .map(|(i, lock)| (stages[*i].name.as_str(), lock))
            .collect();
        let written = update_stages(None, &entries).expect("lock text");
        assert_eq!(written.text, repo.read(lock_path), "{lock_path}");
    }

    // run-cache entries
    let mut expected: Vec<String> = locks
        .iter()
        .filter(|(i, lock)| can_save(&stages[*i], lock, true))
        .map(|(_, lock)| RunCacheEntry::of(lock).relative_path())
        .collect();
    expected.sort();
    let mut actual = Vec::new();
    let runs = repo.path(".dvc/cache/runs");
    for prefix in std::fs::read_dir(&runs).expect("runs directory") {
        let prefix = prefix.expect("entry").path();
        for key in std::fs::read_dir(&prefix).expect("key directories") {
            let key = key.expect("entry").path();
            for value in std::fs::read_dir(&key).expect("values") {
                let value = value.expect("entry").path();
                actual.push(
                    value
                        .strip_prefix(repo.path(".dvc/cache"))
                        .expect("inside the cache")
                        .to_string_lossy()
                        .into_owned(),
                );
                // the entry file is the lock entry
                let text = std::fs::read_to_string(&value).expect("a run-cache entry");
                assert!(locks.iter().any(|(_, lock)| lock.to_yaml() == text));
            }
        }
    }
    actual.sort();
    assert_eq!(expected, actual, "run-cache entries");

    compare_status(&repo, "repro");

    repo.write(
        "params.yaml",
        "lr: 0.2\nsmall: 1.0e-05\ntrain:\n  epochs: 6\n  opt: {name: sgd, beta: 0.9}\nmodels: [a, b]\n",
    );
    repo.write("whole.yaml", "x: 1\nz: 3\n");
    repo.write("p2.json", r#"{"seed": 7, "nested": {"b": 1, "a": 3}}"#);
    repo.write("conf.py", "BATCH = 64.0\nclass Conf:\n    lr = 0.4\n");
    repo.write("in.txt", "changed\n");
    compare_status(&repo, "changing params and a dependency");

    std::fs::remove_file(repo.path("model.bin")).expect("delete an output");
    std::fs::remove_file(repo.path("p3.toml")).expect("delete a params file");
    let fe_a = repo.read("fe-a.txt");
    let id = ObjectId::file(Md5::digest(fe_a.as_bytes()));
    let object = workspace.object_path(&id);
    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::remove_file(&object).expect("delete a cache object");
    compare_status(
        &repo,
        "deleting an output, a params file and a cache object",
    );

    repo.write(
        "dvc.yaml",
        DVC_YAML
            .replace("cmd: echo p >> p.txt", "cmd: echo q >> p.txt")
            .replace(
                "    cmd: echo n > n.txt\n",
                "    cmd: echo n > n.txt\n    always_changed: true\n",
            )
            .replace("    wdir: subdir\n", "    wdir: subdir\n    frozen: true\n"),
    );
    compare_status(&repo, "changing a command, always_changed and frozen");

    // `repro` decisions: the first reason only
    let stages = load_stages(&repo);
    let persist = stages
        .iter()
        .find(|stage| stage.name == "persist")
        .expect("stage");
    let lock = LockFile::from_yaml(&repo.read("dvc.lock")).expect("valid");
    let changes = check(
        persist,
        lock.stage("persist"),
        &mut workspace,
        CheckOptions {
            mode: CheckMode::FirstChange,
            allow_missing: false,
        },
        &[],
    )
    .expect("checked");
    assert!(changes.changed && changes.command.is_some() && changes.deps.is_empty());
}
