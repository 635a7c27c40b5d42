//! Everyday data commands in repositories with pipelines, against dvc in twin repositories:
//! `gc -w [-c]` keeps every `dvc.lock` output, `commit` saves pipeline stages, `remove STAGE`
//! takes a stage out of `dvc.yaml` and `dvc.lock`.

use dv_test::TestRepo;
use dv_test::twins::Twins;

/// A tracked directory, and a two-stage pipeline with params run twice (the first run's
/// output is only in the run-cache), plus a stray object nothing uses.
const PIPELINE: &str = r#"
mkdir -p data && echo a > data/a && echo b > data/b && $DVC add -q data &&
echo 'x: 1' > params.yaml &&
$DVC stage add -q -n gen -p x -o gen.txt 'cat params.yaml > gen.txt' &&
$DVC stage add -q -n use -d gen.txt -d data -o out 'mkdir -p out && cat gen.txt data/a > out/all' &&
$DVC repro -q && echo 'x: 2' > params.yaml && $DVC repro -q &&
echo stray > stray && $DVC add -q stray && rm stray.dvc stray && git add -A && git commit -qm pipeline
"#;

fn cache_listing(repo: &TestRepo, dir: &str) -> Vec<String> {
    let root = repo.path(dir);
    let mut found: Vec<String> = dv_test::files_under(&root)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    found.sort();
    found
}

#[test]
fn gc_workspace_keeps_lock_outputs_and_run_cache_like_dvc() {
    let twins = Twins::new(PIPELINE);
    twins.same(&["gc", "-w", "-f"]);
    twins.same_cache();
    assert_eq!(
        cache_listing(&twins.ours, ".dvc/cache/runs"),
        cache_listing(&twins.theirs, ".dvc/cache/runs")
    );
    assert!(!cache_listing(&twins.ours, ".dvc/cache/runs").is_empty());
    // Everything the workspace uses is still there: a fresh checkout restores it.
    twins.each("rm -rf out gen.txt data");
    twins.same(&["checkout"]);
    twins.same(&["status"]);
}

#[test]
fn gc_cloud_keeps_lock_outputs_on_the_remote_like_dvc() {
    let twins = Twins::new(&format!(
        "{} && $DVC remote add -q -d store ../store && $DVC push -q",
        PIPELINE.trim()
    ));
    twins.each("echo 'x: 3' > params.yaml && $DVC repro -q && $DVC push -q");
    twins.same(&["gc", "-w", "-c", "-f"]);
    twins.same_cache();
    let store = |repo: &TestRepo| {
        let mut found: Vec<String> = dv_test::files_under(&repo.temp_dir().join("store"))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        found.sort();
        found
    };
    assert_eq!(store(&twins.ours), store(&twins.theirs));
}

#[test]
fn commit_saves_pipeline_stages_like_dvc() {
    let twins = Twins::new(PIPELINE);
    // An output edited by hand: commit asks (no terminal: refuses), -f saves.
    twins.each("chmod -R u+w out && echo edited > out/all");
    twins.same(&["status"]);
    twins.same(&["commit"]);
    twins.same(&["commit", "-f"]);
    twins.same_file("dvc.lock");
    twins.same(&["status"]);
    twins.same_cache();
    // A params change committed by stage name, without running it.
    twins.each("echo 'x: 5' > params.yaml");
    twins.same(&["commit", "gen"]);
    twins.same(&["commit", "-f", "gen"]);
    twins.same_file("dvc.lock");
    twins.same(&["commit", "-f", "dvc.yaml:use"]);
    twins.same_file("dvc.lock");
    twins.same(&["status"]);
    // Nothing changed: nothing to say, nothing rewritten.
    twins.same(&["commit"]);
    twins.same_file("dvc.lock");
    // A stage never run: committed from what is in the workspace.
    twins.each("$DVC stage add -q -n late -d gen.txt -o late.txt 'cp gen.txt late.txt' && cp gen.txt late.txt");
    twins.same(&["commit", "-f", "late"]);
    twins.same_file("dvc.lock");
    twins.same_file(".gitignore");
    twins.same(&["status"]);
}

#[test]
fn remove_takes_a_stage_out_of_the_pipeline_like_dvc() {
    let twins = Twins::new(PIPELINE);
    twins.same(&["remove", "use"]);
    for file in ["dvc.yaml", "dvc.lock", ".gitignore"] {
        twins.same_file(file);
    }
    assert!(twins.ours.exists("out/all"));
    twins.same(&["remove", "--outs", "dvc.yaml:gen"]);
    for file in ["dvc.yaml", "dvc.lock", ".gitignore", "gen.txt"] {
        twins.same_file(file);
    }
    twins.same(&["remove", "nosuchstage"]);
    twins.same(&["status"]);
}

/// `data status --json` of both twins, with lists sorted (dvc prints some in hash-set order).
#[track_caller]
fn same_data_status(twins: &Twins, args: &[&str]) {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Array(items) => {
                let mut items: Vec<_> = items.into_iter().map(sorted).collect();
                items.sort_by_key(ToString::to_string);
                serde_json::Value::Array(items)
            }
            serde_json::Value::Object(map) => {
                serde_json::Value::Object(map.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            other => other,
        }
    }
    let full: Vec<&str> = [&["data", "status", "--json"][..], args].concat();
    let (ours, theirs) = twins.both_in(".", &full);
    assert_eq!(ours.code, theirs.code, "{args:?}\n{ours}\n{theirs}");
    let parse = |text: &str| sorted(serde_json::from_str(text.trim()).unwrap());
    assert_eq!(parse(&ours.stdout), parse(&theirs.stdout), "{args:?}");
}

#[test]
fn data_status_reports_pipeline_outputs_like_dvc() {
    let twins = Twins::new(&format!(
        "{} && $DVC stage add -q -n never -o never.txt 'echo n > never.txt' && git add -A && git commit -qm never && $DVC remote add -q -d store ../store",
        PIPELINE.trim()
    ));
    same_data_status(&twins, &[]);
    // Modified, deleted and never-run outputs, an object missing from the cache, untracked
    // files, targets and the remote.
    twins.each(
        "chmod -R u+w out && echo edited > out/all && rm gen.txt && echo n > never.txt && echo u > untracked.txt",
    );
    same_data_status(&twins, &[]);
    same_data_status(&twins, &["--granular"]);
    same_data_status(&twins, &["--untracked-files"]);
    same_data_status(&twins, &["out"]);
    same_data_status(&twins, &["never.txt", "--untracked-files"]);
    same_data_status(&twins, &["--not-in-remote"]);
    twins.each("$DVC push -q data.dvc");
    same_data_status(&twins, &["--not-in-remote", "--unchanged"]);
    // Committed changes: the lock file in git differs from the workspace's.
    twins.each("cat params.yaml > gen.txt && $DVC commit -f -q");
    same_data_status(&twins, &[]);
    // An invalid dvc.yaml fails as in dvc.
    twins.each("echo 'stages: [' >> dvc.yaml");
    let (ours, theirs) = twins.both_in(".", &["data", "status"]);
    assert_eq!(ours.code, theirs.code, "{ours}\n{theirs}");
}

/// A stage that reads an object of an S3 remote (`remote://src/...`) and one that only writes
/// to S3 (`-O remote://...`, not cached): `dvc.lock` records their `etag` and `size`, and a
/// changed object makes the stage `modified`, in both tools alike.
#[test]
fn external_s3_dependencies_and_outputs_match_dvc() {
    let server = dv_test::S3Server::start();
    server.create_bucket("src");
    server.put_object("src", "in/data.csv", b"a,b\n1,2\n");
    server.put_object("src", "out/result.csv", b"result\n");
    let twins = Twins::new(&format!(
        "$DVC remote add src s3://src && $DVC remote modify src endpointurl {} && \
         $DVC remote modify --local src access_key_id test && \
         $DVC remote modify --local src secret_access_key test && \
         $DVC stage add -q -n fetch -d remote://src/in/data.csv -O remote://src/out/result.csv -o local.txt \
         'echo ran >> local.txt && sh put.sh local.txt src/out/result.csv'",
        server.endpoint
    ));
    // The stage's own upload: a plain PUT the loopback server accepts.
    let put = format!(
        "curl -sf -X PUT --data-binary @\"$1\" -H 'Content-Type: application/octet-stream' \
         -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
         -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={}' \
         {}/\"$2\"\n",
        "0".repeat(64),
        server.endpoint
    );
    twins.ours.write("put.sh", &put);
    twins.theirs.write("put.sh", &put);
    twins.same(&["status"]);
    twins.same(&["repro"]);
    twins.same_file("dvc.lock");
    assert!(twins.ours.read("dvc.lock").contains("etag:"));
    twins.same(&["status"]);
    twins.same(&["repro"]);
    // The objects change on the server: both stages see it.
    server.put_object("src", "in/data.csv", b"a,b\n3,4\n");
    twins.same(&["status"]);
    twins.same(&["status", "--json"]);
    twins.same(&["repro"]);
    twins.same_file("dvc.lock");
    server.put_object("src", "out/result.csv", b"changed by hand\n");
    twins.same(&["status"]);
    // Each tool reads the other's lock file as up to date.
    twins.each("$DVC repro -q");
    twins.same(&["status"]);
    std::fs::copy(twins.theirs.path("dvc.lock"), twins.ours.path("dvc.lock")).unwrap();
    twins.same(&["status"]);
}
