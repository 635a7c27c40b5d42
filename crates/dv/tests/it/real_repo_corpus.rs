//! A realistic repository with everything at once, built in the test (nothing downloaded): a
//! path imported from another DVC repository with the real `dvc import`, a tracked directory,
//! a `prepare → featurize → train → evaluate` pipeline with params, metrics and plots, a stage
//! that reads an object of an S3 remote and one that writes to it, in a subdirectory of the
//! repository, and a local remote. Every implemented command runs in twin repositories, dv in
//! one and dvc in the other, and must agree.

use dv_test::twins::{Twins, sh};
use dv_test::{S3Server, TestRepo};

/// The registry the import comes from: `labels/` tracked by dvc and pushed beside it.
fn registry() -> TestRepo {
    let source = TestRepo::new();
    sh(
        &source,
        "$DVC init -q && mkdir labels && echo cat > labels/a && echo dog > labels/b \
         && $DVC add -q labels && $DVC remote add -q -d s ../store && $DVC push -q \
         && git add -A && git commit -qm registry",
    );
    source
}

const PIPELINE: &str = r#"stages:
  prepare:
    cmd: mkdir -p prepared && cat data/images/* labels/* > prepared/all.txt
    deps:
    - data/images
    - labels
    outs:
    - prepared
  featurize:
    cmd: wc -l prepared/all.txt > features.txt && echo ${featurize.dim} >> features.txt
    deps:
    - prepared
    params:
    - featurize.dim
    outs:
    - features.txt
  train:
    cmd: cat features.txt > model.bin && echo ${train.lr} >> model.bin
    deps:
    - features.txt
    params:
    - train.lr
    outs:
    - model.bin
  evaluate:
    cmd: echo '{"acc":0.9}' > metrics.json && printf 'x,y\n1,2\n' > roc.csv
    deps:
    - model.bin
    metrics:
    - metrics.json:
        cache: false
    plots:
    - roc.csv:
        cache: false
  scan:
    cmd: echo scanned >> scan.txt && sh put.sh scan.txt out/scan.txt
    deps:
    - remote://src/in/catalog.csv
    outs:
    - scan.txt
    - remote://src/out/scan.txt:
        cache: false
"#;

#[test]
fn every_implemented_command_agrees_with_dvc_on_a_realistic_repository() {
    let registry = registry();
    let server = S3Server::start();
    server.create_bucket("src");
    server.put_object("src", "in/catalog.csv", b"id,url\n1,a\n");
    let put = format!(
        "curl -sf -X PUT --data-binary @\"$1\" -H 'Content-Type: application/octet-stream' \
         -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
         -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={}' \
         {}/src/\"$2\"\n",
        "0".repeat(64),
        server.endpoint
    );
    let twins = Twins::new(&format!(
        "mkdir -p project/data/images && cd project && \
         echo one > data/images/1.txt && echo two > data/images/2.txt && \
         $DVC add -q data/images && \
         $DVC import -q {} labels -o labels && \
         $DVC remote add -q -d store \"$(cd ../.. && pwd)/store\" && \
         $DVC remote add -q src s3://src && $DVC remote modify -q src endpointurl {} && \
         $DVC remote modify -q --local src access_key_id test && \
         $DVC remote modify -q --local src secret_access_key test && \
         printf 'featurize:\\n  dim: 8\\ntrain:\\n  lr: 0.1\\n' > params.yaml && \
         cd .. && git add -A && git commit -qm start",
        registry.root().display(),
        server.endpoint
    ));
    for repo in [&twins.ours, &twins.theirs] {
        repo.write("project/dvc.yaml", PIPELINE);
        repo.write("project/put.sh", &put);
    }
    let same = |args: &[&str]| twins.same_in("project", args);
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["dag"],
        &["stage", "list"],
        &["repro", "--dry"],
        &["repro"],
        &["status"],
        &["data", "status"],
        &["push"],
        &["status", "-c"],
    ] {
        same(args);
    }
    for file in ["dvc.lock", "data/.gitignore", ".gitignore", "labels.dvc"] {
        twins.same_file(&format!("project/{file}"));
    }
    twins.same_cache();
    twins.each("cd project && git add -A && git commit -qm run");

    // A new param value, a new object in the bucket: both tools see the same stages change.
    twins.each(
        "cd project && printf 'featurize:\\n  dim: 16\\ntrain:\\n  lr: 0.1\\n' > params.yaml",
    );
    server.put_object("src", "in/catalog.csv", b"id,url\n1,a\n2,b\n");
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["repro", "--dry"],
        &["repro"],
        &["status"],
    ] {
        same(args);
    }
    twins.same_file("project/dvc.lock");

    // Workspace commands.
    twins.each("cd project && rm -rf prepared model.bin data/images/1.txt");
    for args in [
        &["status"][..],
        &["checkout"],
        &["status"],
        &["commit", "-f", "train"],
        &["freeze", "train"],
        &["unfreeze", "train"],
    ] {
        same(args);
    }
    twins.same_file("project/dvc.yaml");
    twins.same_file("project/dvc.lock");
    twins.same_cache();
    // gc: dvc deletes the imported objects (it can download them again from the registry);
    // dv keeps them, since it cannot yet. Everything else is collected alike.
    let (ours, theirs) = twins.both_in("project", &["gc", "-w", "-f"]);
    assert_eq!((ours.code, &ours.stderr), (theirs.code, &theirs.stderr));
    assert!(ours.stdout.starts_with("Removed 4 objects"), "{ours}");
    assert!(theirs.stdout.starts_with("Removed 7 objects"), "{theirs}");
    let kept = dv_test::cache_objects(&twins.ours);
    let collected = dv_test::cache_objects(&twins.theirs);
    assert!(collected.iter().all(|object| kept.contains(object)));
    assert_eq!(
        kept.len(),
        collected.len() + 3,
        "the import's .dir and its two files"
    );
    let status = dv_test::run(
        twins
            .ours
            .dv()
            .current_dir(twins.ours.path("project"))
            .arg("status"),
    );
    assert_eq!(
        status.stdout, "Data and pipelines are up to date.\n",
        "{status}"
    );

    // Another machine: a clone pulls what was pushed (the import is not on the user's remote,
    // as with dvc, and stays in the clone's cache only if fetched from its source).
    twins.each("cd project && $DVC push -q data/images.dvc && git add -A && git commit -qm more");
    let clones = Twins {
        ours: twins.ours.git_clone(),
        theirs: twins.theirs.git_clone(),
    };
    for repo in [&clones.ours, &clones.theirs] {
        sh(
            repo,
            "cd project && $DVC remote modify -q --local src access_key_id test && \
             $DVC remote modify -q --local src secret_access_key test",
        );
    }
    let (ours, theirs) = clones.both_in("project", &["pull", "data/images.dvc"]);
    assert_eq!(ours, theirs);
    clones.same_in("project", &["status", "data/images.dvc"]);
    assert_eq!(clones.ours.read("project/data/images/2.txt"), "two\n");
}
