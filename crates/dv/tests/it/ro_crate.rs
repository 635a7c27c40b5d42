//! `dv export ro-crate`: a pipeline run by the real dvc, described as a Process Run Crate 0.5
//! (and a Workflow Run Crate 0.5), checked by the pinned RO-Crate validator (roc-validator
//! 0.13.0, run offline with the vendored JSON-LD contexts) and against the files themselves.

use std::path::{Path, PathBuf};

use dv_test::{TestRepo, run};
use md5::{Digest as _, Md5};
use serde_json::Value;
use sha2::Sha256;

const PREPARE: &str = "mkdir -p prepared && sort data/catalog.csv > prepared/sorted.csv && \
                       wc -l < data/catalog.csv > prepared/count.txt";

/// A three-stage chain run by dvc and committed: `prepare` (a directory output, params from
/// JSON), `train` (params from YAML and TOML, a metric), `report` (a `foreach` of two).
fn pipeline() -> TestRepo {
    let repo = TestRepo::new();
    run(repo.dvc().args(["init", "-q"])).success();
    repo.write("data/catalog.csv", "b\na\nc\n");
    repo.write("params.yaml", "train:\n  epochs: 3\n  lr: 0.01\n");
    repo.write("extra.json", "{\"seed\": 42}\n");
    repo.write("cfg.toml", "depth = 2\n");
    let dvc_yaml = format!(
        r#"stages:
  prepare:
    cmd: {PREPARE}
    deps:
      - data/catalog.csv
    params:
      - extra.json:
          - seed
    outs:
      - prepared
  train:
    cmd: >-
      cat prepared/count.txt > model.txt && echo '{{"acc": 0.9}}' > metrics.json
    deps:
      - prepared
    params:
      - train.epochs
      - train.lr
      - cfg.toml:
          - depth
    outs:
      - model.txt
    metrics:
      - metrics.json:
          cache: false
  report:
    foreach: [a, b]
    do:
      cmd: cat model.txt > report-${{item}}.txt
      deps:
        - model.txt
      outs:
        - report-${{item}}.txt
"#
    );
    repo.write("dvc.yaml", dvc_yaml);
    run(repo.dvc().args(["repro", "-q"])).success();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "run the pipeline"]);
    repo
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ro-crate")
}

/// Runs the validator on `crate_dir` with `profile` at the REQUIRED level and asserts that it
/// reports no issue.
fn assert_valid(repo: &TestRepo, crate_dir: &Path, profile: &str) {
    let python = dv_test::venv::roc_validator_python();
    let report = repo.temp_dir().join(format!("report-{profile}.json"));
    let outcome = run(repo
        .command(&python)
        .arg(fixtures().join("validate-offline.py"))
        .args(["-y", "validate", "-p", profile, "--skip-availability-check"])
        .args(["-l", "REQUIRED", "-f", "json", "-o"])
        .arg(&report)
        .arg(crate_dir));
    let text = std::fs::read_to_string(&report).unwrap_or_else(|_| {
        panic!(
            "the validator wrote no report ({}): {}",
            outcome.code, outcome.stderr
        )
    });
    let report: Value = serde_json::from_str(&text).expect("a JSON report");
    let issues = report["issues"].as_array().expect("issues");
    let shown: Vec<String> = issues
        .iter()
        .map(|issue| {
            format!(
                "{} {}: {}",
                issue["severity"], issue["check"]["identifier"], issue["message"]
            )
        })
        .collect();
    assert!(shown.is_empty(), "{profile}: {shown:#?}");
    assert_eq!(report["passed"], Value::Bool(true), "{profile}: {text}");
    assert_eq!(outcome.code, 0, "{profile}: {}", outcome.stderr);
}

fn read_crate(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("ro-crate-metadata.json")).expect("metadata");
    let document: Value = serde_json::from_str(&text).expect("JSON");
    document["@graph"].as_array().expect("a graph").clone()
}

fn entity<'g>(graph: &'g [Value], id: &str) -> &'g Value {
    graph
        .iter()
        .find(|entity| entity["@id"] == id)
        .unwrap_or_else(|| panic!("no entity {id} in {graph:#?}"))
}

fn refs(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(refs).collect(),
        Value::Object(map) => map
            .get("@id")
            .and_then(Value::as_str)
            .map(|id| vec![id.to_owned()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn actions(graph: &[Value]) -> Vec<&Value> {
    graph
        .iter()
        .filter(|entity| entity["@type"] == "CreateAction")
        .collect()
}

#[test]
fn process_run_crate_describes_each_stage_run() {
    let repo = pipeline();
    run(repo.dv().args(["export", "ro-crate"])).success();
    let dir = repo.path("ro-crate");
    assert_valid(&repo, &dir, "process-run-crate-0.5");
    let graph = read_crate(&dir);

    let root = entity(&graph, "./");
    assert_eq!(
        root["conformsTo"]["@id"],
        "https://w3id.org/ro/wfrun/process/0.5"
    );
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(entity(&graph, "../dvc.yaml")["version"], head.as_str());

    let runs = actions(&graph);
    let names: Vec<&str> = runs.iter().filter_map(|run| run["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "dv repro: prepare",
            "dv repro: train",
            "dv repro: report@a",
            "dv repro: report@b"
        ]
    );
    let mentioned = refs(&root["mentions"]);
    for run in &runs {
        assert!(mentioned.contains(&run["@id"].as_str().unwrap().to_owned()));
        assert_eq!(
            run["actionStatus"]["@id"],
            "http://schema.org/CompletedActionStatus"
        );
        assert_eq!(
            entity(&graph, refs(&run["agent"])[0].as_str())["name"],
            "dv test"
        );
        let instrument = entity(&graph, refs(&run["instrument"])[0].as_str());
        assert_eq!(instrument["@type"], "SoftwareApplication");
    }

    let prepare = entity(&graph, "#run-prepare");
    assert_eq!(prepare["description"], PREPARE);
    assert_eq!(
        refs(&prepare["object"]),
        ["../data/catalog.csv", "#param-extra.json:seed"]
    );
    assert_eq!(refs(&prepare["result"]), ["../prepared/"]);
    assert_eq!(entity(&graph, "#param-extra.json:seed")["value"], 42);

    let train = entity(&graph, "#run-train");
    assert_eq!(
        refs(&train["object"]),
        [
            "../prepared/",
            "#param-train.epochs",
            "#param-train.lr",
            "#param-cfg.toml:depth"
        ]
    );
    assert_eq!(refs(&train["result"]), ["../metrics.json", "../model.txt"]);
    assert_eq!(entity(&graph, "#param-train.lr")["@type"], "PropertyValue");
    assert_eq!(entity(&graph, "#param-train.lr")["value"], 0.01);
    assert_eq!(entity(&graph, "#param-cfg.toml:depth")["value"], 2);

    // Every file's identifier is the MD5 of its bytes, its size theirs.
    for file in [
        "data/catalog.csv",
        "prepared/sorted.csv",
        "prepared/count.txt",
        "model.txt",
        "metrics.json",
        "report-a.txt",
    ] {
        let bytes = std::fs::read(repo.path(file)).expect("file");
        let described = entity(&graph, &format!("../{file}"));
        assert_eq!(described["@type"], "File", "{file}");
        assert_eq!(
            described["identifier"],
            format!("md5:{}", md5_hex(&bytes)),
            "{file}"
        );
        assert_eq!(described["contentSize"], bytes.len().to_string(), "{file}");
    }
    // The directory: its `.dir` hash as recorded, its files from the manifest.
    let lock = repo.read("dvc.lock");
    let prepared = entity(&graph, "../prepared/");
    assert_eq!(prepared["@type"], "Dataset");
    let dir_md5 = prepared["identifier"].as_str().unwrap();
    assert!(dir_md5.ends_with(".dir"), "{dir_md5}");
    assert!(lock.contains(dir_md5.trim_start_matches("md5:")), "{lock}");
    assert_eq!(
        refs(&prepared["hasPart"]),
        ["../prepared/count.txt", "../prepared/sorted.csv"]
    );
}

#[test]
fn workflow_run_crate_with_sha256_and_data() {
    let repo = pipeline();
    let dir = repo.path("crate");
    run(repo.dv().args([
        "export",
        "ro-crate",
        "-o",
        "crate",
        "--workflow",
        "--sha256",
        "--include-data",
        "--license",
        "CC-BY-4.0",
    ]))
    .success();
    assert_valid(&repo, &dir, "workflow-run-crate-0.5");
    assert_valid(&repo, &dir, "process-run-crate-0.5");
    let graph = read_crate(&dir);

    let root = entity(&graph, "./");
    assert_eq!(root["mainEntity"]["@id"], "dvc.yaml");
    let profiles = refs(&root["conformsTo"]);
    for profile in [
        "https://w3id.org/ro/wfrun/process/0.5",
        "https://w3id.org/ro/wfrun/workflow/0.5",
        "https://w3id.org/workflowhub/workflow-ro-crate/1.0",
    ] {
        assert!(profiles.contains(&profile.to_owned()), "{profiles:?}");
    }
    let workflow = entity(&graph, "dvc.yaml");
    assert_eq!(
        workflow["@type"],
        serde_json::json!(["File", "SoftwareSourceCode", "ComputationalWorkflow"])
    );
    // Inputs: the data no stage writes and the params; outputs: what no stage reads.
    let inputs: Vec<String> = refs(&workflow["input"])
        .iter()
        .map(|param| refs(&entity(&graph, param)["workExample"])[0].clone())
        .collect();
    assert_eq!(
        inputs,
        [
            "data/catalog.csv",
            "#param-extra.json:seed",
            "#param-train.epochs",
            "#param-train.lr",
            "#param-cfg.toml:depth"
        ]
    );
    let outputs: Vec<String> = refs(&workflow["output"])
        .iter()
        .map(|param| refs(&entity(&graph, param)["workExample"])[0].clone())
        .collect();
    assert_eq!(outputs, ["metrics.json", "report-a.txt", "report-b.txt"]);
    let whole = entity(&graph, "#run-workflow");
    assert_eq!(whole["instrument"]["@id"], "dvc.yaml");

    // The data is in the crate, byte for byte, with its SHA-256.
    for file in [
        "data/catalog.csv",
        "prepared/count.txt",
        "model.txt",
        "metrics.json",
        "dvc.yaml",
        "dvc.lock",
    ] {
        let bytes = std::fs::read(repo.path(file)).expect("file");
        assert_eq!(
            std::fs::read(dir.join(file)).expect("copied"),
            bytes,
            "{file}"
        );
        if !file.starts_with("dvc.") {
            assert_eq!(entity(&graph, file)["sha256"], sha256_hex(&bytes), "{file}");
        }
    }
    assert_eq!(
        entity(&graph, "#license")["url"]["@id"],
        "https://spdx.org/licenses/CC-BY-4.0"
    );
}

#[test]
fn rev_describes_the_run_recorded_at_a_commit() {
    let repo = pipeline();
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.write("params.yaml", "train:\n  epochs: 5\n  lr: 0.02\n");
    run(repo.dv().args(["repro", "-q"])).success();
    repo.git(&["commit", "-q", "-a", "-m", "more epochs"]);
    repo.write("data/catalog.csv", "workspace only\n");

    run(repo
        .dv()
        .args(["export", "ro-crate", "--rev", &first, "-o", "old"]))
    .success();
    let dir = repo.path("old");
    assert_valid(&repo, &dir, "process-run-crate-0.5");
    let graph = read_crate(&dir);
    assert_eq!(entity(&graph, "#param-train.epochs")["value"], 3);
    assert_eq!(entity(&graph, "../dvc.yaml")["version"], first.as_str());
    let catalog = entity(&graph, "../data/catalog.csv");
    assert_eq!(
        catalog["identifier"],
        format!("md5:{}", md5_hex(b"b\na\nc\n"))
    );

    // With the data, the bytes come from git and the cache, not from the workspace.
    run(repo.dv().args([
        "export",
        "ro-crate",
        "--rev",
        "HEAD~1",
        "-o",
        "old-data",
        "--include-data",
        "--sha256",
    ]))
    .success();
    let dir = repo.path("old-data");
    assert_valid(&repo, &dir, "process-run-crate-0.5");
    assert_eq!(
        std::fs::read(dir.join("data/catalog.csv")).expect("copied"),
        b"b\na\nc\n"
    );
}

#[test]
fn targets_select_stages() {
    let repo = pipeline();
    run(repo
        .dv()
        .args(["export", "ro-crate", "train", "report", "-o", "some"]))
    .success();
    let graph = read_crate(&repo.path("some"));
    let names: Vec<&str> = actions(&graph)
        .iter()
        .filter_map(|run| run["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "dv repro: train",
            "dv repro: report@a",
            "dv repro: report@b"
        ]
    );
    run(repo
        .dv()
        .args(["export", "ro-crate", "dvc.yaml:prepare", "-o", "one"]))
    .success();
    assert_eq!(actions(&read_crate(&repo.path("one"))).len(), 1);
    run(repo
        .dv()
        .args(["export", "ro-crate", "dvc.yaml", "-o", "all"]))
    .success();
    assert_eq!(actions(&read_crate(&repo.path("all"))).len(), 4);
    let missing = run(repo.dv().args(["export", "ro-crate", "nope"]));
    assert_ne!(missing.code, 0);
    assert!(
        missing.stderr.contains("'nope' does not exist"),
        "{}",
        missing.stderr
    );
}

#[test]
fn remote_dependencies_are_web_entities() {
    let repo = TestRepo::new();
    run(repo.dv().args(["init", "-q"])).success();
    run(repo
        .dv()
        .args(["remote", "add", "store", "s3://bucket/base"]))
    .success();
    repo.write(
        "dvc.yaml",
        "stages:\n  fetch:\n    cmd: echo fetched > local.txt\n    deps:\n      - s3://bucket/raw/data.csv\n      - remote://store/more.csv\n    outs:\n      - local.txt\n",
    );
    repo.write("local.txt", "fetched\n");
    let md5 = md5_hex(b"fetched\n");
    repo.write(
        "dvc.lock",
        format!(
            "schema: '2.0'\nstages:\n  fetch:\n    cmd: echo fetched > local.txt\n    deps:\n    - path: s3://bucket/raw/data.csv\n      etag: 0123abcd\n      size: 10\n    - path: remote://store/more.csv\n      etag: 4567ef\n      version_id: v2\n    outs:\n    - path: local.txt\n      hash: md5\n      md5: {md5}\n      size: 8\n"
        ),
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "remote dep"]);
    run(repo.dv().args(["export", "ro-crate", "--workflow"])).success();
    let dir = repo.path("ro-crate");
    assert_valid(&repo, &dir, "process-run-crate-0.5");
    assert_valid(&repo, &dir, "workflow-run-crate-0.5");
    let graph = read_crate(&dir);
    let remote = entity(&graph, "s3://bucket/raw/data.csv");
    assert_eq!(remote["identifier"], "0123abcd");
    assert_eq!(remote["contentUrl"], "s3://bucket/raw/data.csv");
    let through_remote = entity(&graph, "s3://bucket/base/more.csv");
    assert_eq!(through_remote["identifier"], "v2");
    assert_eq!(through_remote["version"], "v2");
    assert_eq!(through_remote["alternateName"], "remote://store/more.csv");
    assert_eq!(
        refs(&entity(&graph, "#run-fetch")["object"]),
        ["s3://bucket/raw/data.csv", "s3://bucket/base/more.csv"]
    );
}

#[test]
fn crate_at_the_repository_root_copies_nothing_onto_itself() {
    let repo = pipeline();
    let before = repo.read("model.txt");
    run(repo.dv().args([
        "export",
        "ro-crate",
        "-o",
        ".",
        "--include-data",
        "--sha256",
    ]))
    .success();
    assert_valid(&repo, repo.root(), "process-run-crate-0.5");
    let graph = read_crate(repo.root());
    let model = entity(&graph, "model.txt");
    assert_eq!(model["sha256"], sha256_hex(before.as_bytes()));
    assert_eq!(repo.read("model.txt"), before);
    assert!(!repo.exists(".dvcignore") || !repo.read(".dvcignore").contains("dv export"));
}

#[test]
fn copied_pipeline_files_are_no_stages_of_the_repository() {
    let repo = pipeline();
    run(repo
        .dv()
        .args(["export", "ro-crate", "--include-data", "-o", "crate"]))
    .success();
    assert!(repo.exists("crate/dvc.yaml"));
    // dv and dvc see the same four stages as before the export.
    for tool in [repo.dv(), repo.dvc()] {
        let mut tool = tool;
        let listed = run(tool.args(["stage", "list", "--name-only"]));
        listed.success();
        assert_eq!(
            listed.stdout.lines().collect::<Vec<_>>(),
            ["prepare", "train", "report@a", "report@b"]
        );
    }
}

#[test]
fn a_repository_without_git_has_no_agent() {
    let repo = TestRepo::without_git();
    run(repo.dvc().args(["init", "-q", "--no-scm"])).success();
    repo.write("a.txt", "hi\n");
    run(repo.dvc().args([
        "stage",
        "add",
        "-q",
        "-n",
        "copy",
        "-d",
        "a.txt",
        "-o",
        "b.txt",
        "cp a.txt b.txt",
    ]))
    .success();
    run(repo.dvc().args(["repro", "-q"])).success();
    run(repo.dv().args(["export", "ro-crate", "--workflow"])).success();
    let dir = repo.path("ro-crate");
    assert_valid(&repo, &dir, "workflow-run-crate-0.5");
    let graph = read_crate(&dir);
    assert!(entity(&graph, "#run-copy").get("agent").is_none());
    assert_eq!(
        entity(&graph, "../b.txt")["identifier"],
        format!("md5:{}", md5_hex(b"hi\n"))
    );
}

/// A stage `dv repro` ran carries what dv's run log recorded (start and end, why it ran, the dv
/// and host that ran it); a stage whose `dvc.lock` entry dvc wrote keeps the lock's time; the
/// crate still validates.
#[test]
fn the_run_log_adds_times_and_reasons() {
    let repo = pipeline();
    repo.write("params.yaml", "train:\n  epochs: 4\n  lr: 0.01\n");
    let ran = run(repo.dv().args(["repro", "train"]));
    ran.success();
    run(repo.dv().args(["export", "ro-crate"])).success();
    let dir = repo.path("ro-crate");
    assert_valid(&repo, &dir, "process-run-crate-0.5");
    let graph = read_crate(&dir);
    let train = entity(&graph, "#run-train");
    let text = train["description"].as_str().expect("description");
    assert!(
        text.contains("because: param 'train.epochs' (params.yaml) modified: 3 -> 4"),
        "{text}"
    );
    assert!(text.contains("ran by dv "), "{text}");
    let started = train["startTime"].as_str().expect("start");
    assert!(
        started.ends_with("+00:00") && started.len() == 25,
        "{started}"
    );
    // `prepare` was last run by dvc: no log record, the description is its command alone.
    let prepare = entity(&graph, "#run-prepare");
    assert!(
        !prepare["description"]
            .as_str()
            .unwrap_or("")
            .contains("ran by dv")
    );
    // A log record of an older run is not used once dvc reran the stage.
    repo.write("params.yaml", "train:\n  epochs: 5\n  lr: 0.01\n");
    run(repo.dvc().args(["repro", "-q", "train"])).success();
    run(repo.dv().args(["export", "ro-crate", "-o", "again"])).success();
    let graph = read_crate(&repo.path("again"));
    let train = entity(&graph, "#run-train");
    assert!(
        !train["description"]
            .as_str()
            .unwrap_or("")
            .contains("ran by dv")
    );
}

/// A stage whose latest `dv repro` failed appears as a failed run (with its error, start and
/// end) beside the run `dvc.lock` records; a stage that never succeeded appears with its
/// failed run alone; both profiles still validate.
#[test]
fn failed_stage_runs_are_failed_actions() {
    let repo = pipeline();
    repo.write(
        "dvc.yaml",
        repo.read("dvc.yaml").replace(
            "cat prepared/count.txt > model.txt",
            "cat prepared/count.txt > model.txt && exit 3",
        ) + "  never:\n    cmd: exit 4\n    outs:\n      - never.txt\n",
    );
    let ran = run(repo.dv().args(["repro", "-k"]));
    assert_ne!(ran.code, 0, "{ran}");
    run(repo.dv().args(["export", "ro-crate", "--workflow"])).success();
    let dir = repo.path("ro-crate");
    assert_valid(&repo, &dir, "process-run-crate-0.5");
    assert_valid(&repo, &dir, "workflow-run-crate-0.5");
    let graph = read_crate(&dir);
    let failed = entity(&graph, "#run-train-failed");
    assert_eq!(
        failed["actionStatus"]["@id"],
        "http://schema.org/FailedActionStatus"
    );
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or("")
            .contains("exited with 3"),
        "{failed}"
    );
    // The run dvc.lock records is still there.
    assert_eq!(
        entity(&graph, "#run-train")["actionStatus"]["@id"],
        "http://schema.org/CompletedActionStatus"
    );
    let never = entity(&graph, "#run-never-failed");
    assert!(
        never["error"]
            .as_str()
            .unwrap_or("")
            .contains("exited with 4")
    );
    assert!(graph.iter().all(|node| node["@id"] != "#run-never"));
}
