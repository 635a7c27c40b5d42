//! Resolution of whole `dvc.yaml` files through [`load`]: templating, generated stages,
//! errors and the names files are shown by.

use dv_schema::repo_path::RepoPath;

use super::*;
use crate::files::MemoryFiles;

fn resolve(files: &[(&str, &str)]) -> Result<PipelineFile, LoadError> {
    let files = MemoryFiles::new(files);
    load(
        &files,
        &RepoPath::new("dvc.yaml").expect("path"),
        &LoadOptions::default(),
    )
}

fn names(file: &PipelineFile) -> Vec<&str> {
    file.stages
        .iter()
        .map(|stage| stage.name.as_str())
        .collect()
}

fn cmd(file: &PipelineFile, name: &str) -> String {
    file.stage(name).expect("stage").definition.cmd.to_string()
}

#[test]
fn templating_fixture() {
    let file = resolve(&[
        (
            "dvc.yaml",
            include_str!("../../../dv-schema/tests/fixtures/templating/dvc.yaml"),
        ),
        (
            "params.yaml",
            include_str!("../../../dv-schema/tests/fixtures/templating/params.yaml"),
        ),
    ])
    .expect("resolves");
    assert_eq!(
        names(&file),
        [
            "fe@a", "fe@b", "fed@us", "fed@eu", "mx@x-1", "mx@x-2", "mx@y-1", "mx@y-2"
        ]
    );
    assert_eq!(cmd(&file, "fe@a"), "echo a hello > fe-a.txt");
    assert_eq!(cmd(&file, "fed@eu"), "echo eu 2 > fed-eu.txt");
    assert_eq!(cmd(&file, "mx@y-2"), "echo y 2 > mx-y-2.txt");
    assert_eq!(
        file.stage("mx@x-1").expect("stage").group.as_deref(),
        Some("mx")
    );
}

#[test]
fn exact_values_keep_their_type() {
    let file = resolve(&[(
        "dvc.yaml",
        "vars:
- n: 3
  flag: true
  f: 1.0e-05
  opts: {lr: 0.1, layers: [1, 2], v: true}
stages:
  s:
    cmd: train ${opts} --n=${n} ${flag} ${f} \\${literal}
    outs:
    - out-${n}:
        cache: false
",
    )])
    .expect("resolves");
    let stage = file.stage("s").expect("stage");
    assert_eq!(
        stage.definition.cmd.to_string(),
        "train --lr 0.1 --layers 1 2 --v --n=3 true 1e-05 ${literal}"
    );
    assert_eq!(stage.definition.outs[0].path, "out-3");
    assert!(!stage.definition.outs[0].cache);
}

#[test]
fn foreach_naming_rules() {
    let error = resolve(&[(
        "dvc.yaml",
        "stages:
  comp:
    foreach: [{a: 1}, {a: 2}]
    do:
      cmd: echo ${item.a} ${key}
",
    )])
    .expect_err("key is not defined for lists");
    assert_eq!(
        error.to_string(),
        "failed to parse 'stages.comp@0.cmd' in 'dvc.yaml': Could not find 'key'"
    );
    assert_eq!(error.line(), Some(5));
    let file = resolve(&[(
        "dvc.yaml",
        "vars:
- flags: [true, false]
stages:
  lit:
    foreach: [true, 1.0, x]
    do:
      cmd: echo ${item}
  ref:
    foreach: ${flags}
    do:
      cmd: echo ${item}
  comp:
    foreach: [{a: 1}, {a: 2}]
    do:
      cmd: echo ${item.a}
  mx:
    matrix:
      f: ${flags}
      l: [[1], [2]]
    cmd: echo ${item.f} ${key}
",
    )])
    .expect("resolves");
    assert_eq!(
        names(&file),
        [
            "lit@true",
            "lit@1.0",
            "lit@x",
            "ref@True",
            "ref@False",
            "comp@0",
            "comp@1",
            "mx@True-l0",
            "mx@True-l1",
            "mx@False-l0",
            "mx@False-l1"
        ]
    );
    assert_eq!(cmd(&file, "ref@True"), "echo true");
    assert_eq!(cmd(&file, "mx@False-l1"), "echo false False-l1");
}

#[test]
fn errors_name_file_stage_and_line() {
    let error = resolve(&[(
        "dvc.yaml",
        "vars:\n  - a: 1\nstages:\n  s1:\n    cmd: echo ${b}\n",
    )])
    .expect_err("missing variable");
    assert_eq!(
        error.to_string(),
        "failed to parse 'stages.s1.cmd' in 'dvc.yaml': Could not find 'b'"
    );
    assert_eq!(error.line(), Some(5));
    assert_eq!(error.stage(), Some("s1"));

    let error = resolve(&[(
        "dvc.yaml",
        "vars:\n  - a: {x: 1}\nstages:\n  s1:\n    cmd: echo\n    outs:\n    - ${a}\n",
    )])
    .expect_err("dict in outs");
    assert_eq!(
        error.to_string(),
        "failed to parse 'stages.s1.outs' in 'dvc.yaml':\nCannot interpolate data of type 'dict'"
    );
    assert_eq!(error.line(), Some(6));

    let error =
        resolve(&[("dvc.yaml", "stages:\n  s1:\n    cmd: echo ${a..b}\n")]).expect_err("syntax");
    assert!(error.to_string().starts_with(
        "failed to parse 'stages.s1.cmd' in 'dvc.yaml':\n${a..b}\n   ^\nParseException"
    ));

    let error =
        resolve(&[("dvc.yaml", "stages:\n  s1:\n    cmd: x\n    foo: 1\n")]).expect_err("schema");
    assert_eq!(
        error.to_string(),
        "'./dvc.yaml' validation failed.\n\nextra keys not allowed, in stages -> s1 -> foo, line 3, column 5"
    );
    assert_eq!(error.stage(), Some("s1"));

    let error = resolve(&[("dvc.yaml", "vars:\n- ${x}\nstages: {}\n")]).expect_err("vars");
    assert_eq!(
        error.to_string(),
        "failed to parse 'vars' in 'dvc.yaml': interpolating is not allowed"
    );
    let error =
        resolve(&[("dvc.yaml", "vars:\n- missing.yaml\nstages: {}\n")]).expect_err("vars file");
    assert_eq!(
        error.to_string(),
        "failed to parse 'vars' in 'dvc.yaml': 'missing.yaml' does not exist"
    );
    let error = resolve(&[(
        "dvc.yaml",
        "stages:\n  fe:\n    foreach: ${x}\n    do:\n      cmd: echo\n",
    )])
    .expect_err("foreach reference");
    assert_eq!(
        error.to_string(),
        "failed to parse 'stages.fe.foreach' in 'dvc.yaml': Could not find 'x'"
    );
    let error = resolve(&[(
        "dvc.yaml",
        "vars:\n- x: 1\nstages:\n  fe:\n    foreach: ${x}\n    do:\n      cmd: echo\n",
    )])
    .expect_err("foreach scalar");
    assert_eq!(
        error.to_string(),
        "failed to resolve 'stages.fe.foreach' in 'dvc.yaml': expected list/dictionary, got int"
    );
}

#[test]
fn stage_vars_and_wdir() {
    let file = resolve(&[
        (
            "dvc.yaml",
            "stages:\n  s:\n    wdir: sub\n    vars: [v.yaml, {local: 2}]\n    cmd: echo ${x} ${local} ${top}\n",
        ),
        ("params.yaml", "top: t\n"),
        ("sub/v.yaml", "x: 1\n"),
    ])
    .expect("resolves");
    assert_eq!(cmd(&file, "s"), "echo 1 2 t");
    let error = resolve(&[(
        "dvc.yaml",
        "stages:\n  fe:\n    foreach: [a]\n    do:\n      vars: [{item: 1}]\n      cmd: echo\n",
    )])
    .expect_err("reserved");
    assert_eq!(
        error.to_string(),
        "failed to parse stage 'fe@a' in 'dvc.yaml': attempted to modify reserved key item"
    );
}

#[test]
fn subdirectory_files_are_named_from_cwd() {
    let files = MemoryFiles::new(&[
        ("sub/dvc.yaml", "stages:\n  s:\n    cmd: echo ${x}\n"),
        ("sub/params.yaml", "x: 1\n"),
    ]);
    let path = RepoPath::new("sub/dvc.yaml").expect("path");
    let file = load(&files, &path, &LoadOptions::default()).expect("resolves");
    assert_eq!(file.shown, "sub/dvc.yaml");
    assert_eq!(cmd(&file, "s"), "echo 1");
    let inside = LoadOptions {
        cwd: RepoPath::new("sub").expect("path"),
        ..LoadOptions::default()
    };
    assert_eq!(
        load(&files, &path, &inside).expect("resolves").shown,
        "dvc.yaml"
    );
}

#[test]
fn names_and_addressings() {
    assert!(is_valid_stage_name("train-model_2"));
    assert!(!is_valid_stage_name("a.b"));
    assert!(!is_valid_stage_name("a@b"));
    assert_eq!(
        split_addressing("sub/dvc.yaml:s"),
        (Some("sub/dvc.yaml"), "s")
    );
    assert_eq!(split_addressing("s"), (None, "s"));
}
