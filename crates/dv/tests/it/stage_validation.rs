//! Pipelines dvc rejects are rejected by dv too, with dvc's messages and exit codes: `stage
//! add` of an output a `.dvc` file tracks (or one inside a tracked directory), of a stage file
//! as an output, of a path that is both a dependency and an output, and of names with `@`;
//! and every command on a hand-written `dvc.yaml` with such a name. Twin repositories, dv
//! against the real dvc.

use dv_test::twins::Twins;

/// `data.txt` and the directory `dd/` tracked by `.dvc` files, committed.
fn tracked() -> Twins {
    Twins::new(
        "echo x > data.txt && mkdir dd && echo 1 > dd/x && $DVC add -q data.txt dd \
         && git add -A && git commit -qm tracked",
    )
}

#[test]
fn stage_add_refuses_outputs_tracked_by_dvc_files() {
    let twins = tracked();
    for outs in [
        &["-o", "data.txt"][..],
        &["-O", "data.txt"],
        &["-m", "data.txt"],
        &["--outs-persist", "data.txt"],
        &["-o", "./data.txt"],
        &["-o", "dd"],
        &["-o", "dd/x"],
        &["-o", "dd/new"],
        &["-f", "-o", "data.txt"],
    ] {
        let mut args = vec!["stage", "add", "-n", "s1"];
        args.extend_from_slice(outs);
        args.push("echo hi");
        let outcome = twins.same(&args);
        assert_eq!(outcome.code, 255, "{args:?}: {outcome}");
        twins.same_file("dvc.yaml");
        assert!(!twins.ours.exists("dvc.yaml"), "{args:?}");
    }
}

#[test]
fn stage_add_refuses_stage_files_and_paths_that_are_also_dependencies() {
    let twins = tracked();
    for outs in [
        &["-o", "x.dvc"][..],
        &["-o", "data.txt.dvc"],
        &["-o", "dvc.yaml"],
        &["-d", "a", "-o", "a", "-o", "b"],
        &["-d", "q", "-O", "q"],
        &["-d", "q", "-m", "q"],
        &["-p", "lr", "-o", "params.yaml"],
        &["-d", "e", "-o", "e/f"],
    ] {
        let mut args = vec!["stage", "add", "-n", "s1"];
        args.extend_from_slice(outs);
        args.push("echo hi");
        let outcome = twins.same(&args);
        assert_eq!(outcome.code, 255, "{args:?}: {outcome}");
        assert!(!twins.ours.exists("dvc.yaml"), "{args:?}");
    }
}

#[test]
fn stage_add_with_an_output_in_a_missing_directory_warns_like_dvc() {
    let twins = tracked();
    twins.same(&[
        "stage", "add", "-n", "s1", "-o", "nd/x", "-o", "nd2/y", "echo hi",
    ]);
    twins.same_file("dvc.yaml");
    assert!(!twins.ours.exists("nd/.gitignore"));
    twins.same(&["stage", "add", "-n", "s2", "-o", "sub/dvc.lock", "echo hi"]);
    twins.same_file("dvc.yaml");
}

#[test]
fn stage_names_with_an_at_sign_are_refused_everywhere() {
    let twins = tracked();
    let outcome = twins.same(&["stage", "add", "-n", "a@b", "-o", "o.txt", "echo hi"]);
    assert_eq!(outcome.code, 255, "{outcome}");
    twins.each(
        "printf 'stages:\\n  a@b:\\n    cmd: echo hi > o.txt\\n    outs:\\n    - o.txt\\n  ok:\\n    \
         cmd: echo x > p.txt\\n    outs:\\n    - p.txt\\n' > dvc.yaml",
    );
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["dag"],
        &["repro"],
        &["repro", "--dry"],
        &["repro", "ok"],
        &["stage", "list"],
        &["checkout"],
        &["stage", "add", "-n", "c", "-o", "q.txt", "echo"],
    ] {
        let outcome = twins.same(args);
        assert_ne!(outcome.code, 0, "{args:?}: {outcome}");
        assert!(
            outcome
                .stderr
                .contains("Stage 'a@b' not found inside 'dvc.yaml' file"),
            "{args:?}: {outcome}"
        );
    }
    assert!(!twins.ours.exists("o.txt"));
    assert!(!twins.ours.exists("dvc.lock"));
}

/// `dvc status` does not build the stage graph: with overlapping or duplicated outputs, or a
/// cycle, it still reports every stage; `repro` and `dag` are the commands that fail.
#[test]
fn status_reports_stages_of_a_pipeline_repro_refuses() {
    for (pipeline, failing) in [
        // One output inside another's directory.
        (
            "stages:\\n  a:\\n    cmd: mkdir -p d && echo 1 > d/x\\n    outs:\\n    - d\\n  b:\\n    \
             cmd: echo 2 > d/y\\n    outs:\\n    - d/y\\n",
            "overlap and are thus in the same tracked directory",
        ),
        // A cycle.
        (
            "stages:\\n  a:\\n    cmd: cp y x\\n    deps:\\n    - y\\n    outs:\\n    - x\\n  b:\\n    \
             cmd: cp x y\\n    deps:\\n    - x\\n    outs:\\n    - y\\n",
            "Same item(s) are defined as both a dependency and an output in stages:",
        ),
        // The same output twice, and one inside a directory a `.dvc` file tracks.
        (
            "stages:\\n  a:\\n    cmd: echo 1 > o\\n    outs:\\n    - o\\n  b:\\n    cmd: echo 2 > o\\n    \
             outs:\\n    - o\\n  c:\\n    cmd: echo 2 > dd/z\\n    outs:\\n    - dd/z\\n",
            "output 'o' is specified in:",
        ),
    ] {
        let twins = tracked();
        twins.each(&format!("printf '{pipeline}' > dvc.yaml"));
        for args in [
            &["status"][..],
            &["status", "--json"],
            &["status", "a"],
            &["status", "-q"],
            &["status", "dd.dvc"],
        ] {
            let outcome = twins.same(args);
            assert!(outcome.code <= 1, "{args:?}: {outcome}");
            assert!(!outcome.stderr.contains("ERROR"), "{args:?}: {outcome}");
        }
        // dvc lists the stages of a cycle in hash-set order, which changes from run to run.
        let (ours, theirs) = twins.both_in(".", &["repro"]);
        assert_eq!((ours.code, theirs.code), (255, 255), "{ours}\n{theirs}");
        let words = |stderr: &str| {
            let mut words: Vec<String> = stderr
                .split_whitespace()
                .map(|word| word.trim_end_matches([',', '.']).to_owned())
                .collect();
            words.sort();
            words
        };
        assert_eq!(words(&ours.stderr), words(&theirs.stderr));
        assert!(ours.stderr.contains(failing), "{ours}");
    }
}
