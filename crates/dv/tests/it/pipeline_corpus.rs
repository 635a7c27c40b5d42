//! A pipeline corpus run end to end by `dv repro` and `dvc repro` in twin repositories: a
//! four-stage prepare/featurize/train/evaluate pipeline with params, metrics and plots,
//! `vars`, `foreach`, `matrix`, `wdir`, a `persist` output of an `always_changed` stage, a
//! frozen stage and a second `dvc.yaml` in a subdirectory. After each step the output, the lock
//! files, `.gitignore` files and outputs must be the same, and each tool must read what the
//! other wrote as up to date.

use dv_test::run;
use dv_test::twins::Twins;

const PARAMS: &str = "prepare:\n  split: 0.2\nfeaturize:\n  max_features: 100\n  ngrams: 2\n\
    train:\n  seed: 20170428\n  n_est: 50\nmodels:\n- a\n- b\n";

const DVC_YAML: &str = r#"vars:
- params.yaml
- local:
    greeting: hello
stages:
  prepare:
    cmd: mkdir -p data/prepared && cp data/raw.txt data/prepared/train.txt && echo ${prepare.split} > data/prepared/split.txt
    deps:
    - data/raw.txt
    params:
    - prepare.split
    outs:
    - data/prepared
  featurize:
    cmd: mkdir -p data/features && wc -l < data/prepared/train.txt > data/features/count.txt && echo ${local.greeting} > data/features/greeting.txt
    deps:
    - data/prepared
    params:
    - featurize.max_features
    - featurize.ngrams
    outs:
    - data/features
  train:
    foreach: ${models}
    do:
      cmd: cat data/features/count.txt > model-${item}.pkl && echo ${item} >> model-${item}.pkl
      deps:
      - data/features
      params:
      - train.seed
      - train.n_est
      outs:
      - model-${item}.pkl
  evaluate:
    cmd: mkdir -p eval && cat model-a.pkl model-b.pkl | wc -l | sed 's/.*/{"lines":&}/' > eval/metrics.json && printf 'x,y\n1,2\n2,3\n' > eval/prc.csv
    deps:
    - model-a.pkl
    - model-b.pkl
    metrics:
    - eval/metrics.json:
        cache: false
    plots:
    - eval/prc.csv:
        cache: false
        x: x
        y: y
  grid:
    matrix:
      lr: [1, 2]
      opt: [sgd, adam]
    cmd: echo ${item.lr}-${item.opt} > grid-${item.lr}-${item.opt}.txt
    outs:
    - grid-${item.lr}-${item.opt}.txt
  journal:
    cmd: echo entry >> journal.txt
    always_changed: true
    outs:
    - journal.txt:
        persist: true
metrics:
- eval/metrics.json
plots:
- eval/prc.csv
"#;

const SUB_DVC_YAML: &str = r#"stages:
  summary:
    wdir: ..
    cmd: cat model-a.pkl > sub/summary.txt
    deps:
    - model-a.pkl
    outs:
    - sub/summary.txt
  constant:
    cmd: echo constant > constant.txt
    outs:
    - constant.txt
"#;

fn corpus() -> Twins {
    let twins =
        Twins::new("mkdir -p data sub && echo one > data/raw.txt && echo two >> data/raw.txt");
    for repo in [&twins.ours, &twins.theirs] {
        repo.write("params.yaml", PARAMS);
        repo.write("dvc.yaml", DVC_YAML);
        repo.write("sub/dvc.yaml", SUB_DVC_YAML);
    }
    twins.each("git add -A && git commit -qm corpus");
    twins
}

/// Files both runs must have written identically.
const WRITTEN: &[&str] = &[
    "dvc.lock",
    "sub/dvc.lock",
    ".gitignore",
    "data/.gitignore",
    "sub/.gitignore",
    "data/features/count.txt",
    "model-a.pkl",
    "model-b.pkl",
    "eval/metrics.json",
    "eval/prc.csv",
    "grid-2-adam.txt",
    "journal.txt",
    "sub/summary.txt",
    "sub/constant.txt",
];

/// Each tool reads what the other wrote: `dvc status` in ours, `dv status` in theirs, both
/// the same as the tool's own.
#[track_caller]
fn cross_status(twins: &Twins) {
    let in_ours = run(twins.ours.dvc().arg("status"));
    let in_theirs = run(twins.theirs.dv().arg("status"));
    assert_eq!(in_ours.code, 0, "{in_ours}");
    assert_eq!(in_ours.stdout, in_theirs.stdout);
    assert_eq!(in_ours.stdout, run(twins.ours.dv().arg("status")).stdout);
}

#[test]
fn the_corpus_reproduces_as_with_dvc() {
    let twins = corpus();
    twins.same(&["status"]);
    twins.same(&["dag", "--dot"]);
    twins.same(&["stage", "list", "--all"]);
    let first = twins.same(&["repro", "-P"]);
    assert_eq!(first.code, 0, "{first}");
    for file in WRITTEN {
        twins.same_file(file);
    }
    twins.same_cache();
    cross_status(&twins);
    // only the always-changed stage reports a change, in both tools
    let status = run(twins.ours.dv().arg("status"));
    assert_eq!(status.stdout, "journal:\n\talways changed\n");

    // nothing changed: only `journal` runs again, its persistent output kept and appended to
    twins.same(&["repro", "-P"]);
    assert_eq!(twins.ours.read("journal.txt"), "entry\nentry\n");
    twins.same_file("dvc.lock");

    // a params change reruns the foreach stages that track it, not what follows them
    twins.each("sed -i 's/n_est: 50/n_est: 60/' params.yaml");
    twins.same(&["status"]);
    let rerun = twins.same(&["repro"]);
    assert!(rerun.stdout.contains("Running stage 'train@a':"), "{rerun}");
    assert!(
        rerun
            .stdout
            .contains("Stage 'evaluate' didn't change, skipping"),
        "{rerun}"
    );
    twins.same_file("dvc.lock");
    cross_status(&twins);

    // new data flows through every stage; dv runs it two stages at a time and writes the
    // lock files dvc writes one stage at a time
    twins.each("echo three >> data/raw.txt");
    twins.same(&["status"]);
    let parallel = run(twins.ours.dv().args(["repro", "-P", "-j", "2"]));
    assert_eq!(parallel.code, 0, "{parallel}");
    run(twins.theirs.dvc().args(["repro", "-P"])).success();
    for file in WRITTEN {
        twins.same_file(file);
    }
    twins.same_cache();
    cross_status(&twins);

    // a frozen stage is verified, not run; its dependencies are not looked at
    twins.same(&["freeze", "sub/dvc.yaml:constant"]);
    twins.each("chmod u+w sub/constant.txt && echo edited > sub/constant.txt");
    twins.same(&["status"]);
    // (dvc orders a few stages of a larger graph by Python's set order, different in each
    // run: the lines are compared as a set, without the blank lines that follow a stage that
    // ran, whose number depends on that order)
    let (ours, theirs) = twins.both_in(".", &["repro", "sub/dvc.yaml"]);
    assert_eq!((ours.code, &ours.stderr), (theirs.code, &theirs.stderr));
    let lines = |text: &str| {
        let mut lines: Vec<String> = text
            .lines()
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(lines(&ours.stdout), lines(&theirs.stdout));
    twins.same_file("sub/dvc.lock");
    twins.same(&["unfreeze", "sub/dvc.yaml:constant"]);
    twins.same_file("sub/dvc.yaml");

    // the other tool carries on from there
    twins.each("echo four >> data/raw.txt");
    let theirs_by_dv = run(twins.theirs.dv().args(["repro", "-P"]));
    assert_eq!(theirs_by_dv.code, 0, "{theirs_by_dv}");
    let ours_by_dvc = run(twins.ours.dvc().args(["repro", "-P"]));
    assert_eq!(ours_by_dvc.code, 0, "{ours_by_dvc}");
    for file in WRITTEN {
        twins.same_file(file);
    }
    cross_status(&twins);
}

#[test]
fn a_malformed_dvc_yaml_fails_with_dvcs_exit_codes_naming_file_and_line() {
    let twins = Twins::new(
        "printf 'stages:\\n  a:\\n    cmd: echo a: b > a\\n    outs: [a]\\n' > dvc.yaml",
    );
    for (args, code) in [
        (&["status"][..], 1),
        (&["repro"], 255),
        (&["dag"], 255),
        (&["stage", "list"], 255),
    ] {
        let (ours, theirs) = twins.both_in(".", args);
        assert_eq!((ours.code, theirs.code), (code, code), "{args:?}");
        assert_eq!(
            ours.stderr,
            "ERROR: './dvc.yaml' is invalid: mapping values are not allowed in this context at \
             line 3 column 16\n",
            "{args:?}"
        );
        assert!(theirs.stderr.contains("in line 3, column 16"), "{theirs}");
    }
}

#[test]
fn the_seed_pipeline_with_a_stage_in_a_subdirectory_writing_to_its_parent() {
    // as the seed's README runs it: `cd embed && dvc stage add ... -o ../vectors python embed.py`
    let twins = Twins::new(
        "mkdir -p embed data && echo x > data/a && printf 'dim: 8\\n' > embed/params.yaml && \
         echo '{}' > embed/index.json && git add -A && git commit -qm seed",
    );
    twins.same_in(
        "embed",
        &[
            "stage",
            "add",
            "-n",
            "embeddings",
            "-d",
            "index.json",
            "-p",
            "dim",
            "-o",
            "../vectors",
            "mkdir -p ../vectors && cat index.json > ../vectors/v.txt",
        ],
    );
    twins.same(&[
        "stage",
        "add",
        "-n",
        "cluster",
        "-d",
        "vectors",
        "-o",
        "clusters.txt",
        "ls vectors > clusters.txt",
    ]);
    twins.same_file("embed/dvc.yaml");
    twins.same_file("dvc.yaml");
    let first = twins.same(&["repro", "-P"]);
    assert_eq!(first.code, 0, "{first}");
    for file in ["embed/dvc.lock", "dvc.lock", ".gitignore", "clusters.txt"] {
        twins.same_file(file);
    }
    cross_status(&twins);
    // a param change reruns the stage tracking it; its unchanged directory skips the next one
    twins.each("printf 'dim: 16\\n' > embed/params.yaml");
    let rerun = twins.same(&["repro", "-P"]);
    assert!(
        rerun
            .stdout
            .contains("Running stage 'embed/dvc.yaml:embeddings':"),
        "{rerun}"
    );
    assert!(
        rerun
            .stdout
            .contains("Stage 'cluster' didn't change, skipping"),
        "{rerun}"
    );
    twins.same_file("embed/dvc.lock");
    cross_status(&twins);
}
