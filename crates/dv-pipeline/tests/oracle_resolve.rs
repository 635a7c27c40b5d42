//! `dvc.yaml` resolution and params loading compared with the pinned real DVC, case by case.

use std::path::{Path, PathBuf};

use dv_pipeline::files::WorkingTree;
use dv_pipeline::params;
use dv_pipeline::resolve::{LoadOptions, load};
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::Value;
use dv_test::TestRepo;

struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "fixture",
        files: &[
            (
                "dvc.yaml",
                include_str!("../../dv-schema/tests/fixtures/templating/dvc.yaml"),
            ),
            (
                "params.yaml",
                include_str!("../../dv-schema/tests/fixtures/templating/params.yaml"),
            ),
        ],
    },
    Case {
        name: "types",
        files: &[(
            "dvc.yaml",
            "vars:
- n: 3
  big: 10000000000000000.0
  small: 1.0e-05
  flag: true
  none: null
  s: a b
  opts: {lr: 0.1, layers: [1, 2], v: true, off: false, nested: {x: y z}, empty: {}}
  l: [a, {b: [c, d]}]
stages:
  s:
    cmd: run ${opts} n=${n} ${big} ${small} ${flag} ${none} '${s}' \\${esc} ${ l[-1].b[0] } ${l[0]}
    deps:
    - in-${n}
    - ${s}
    outs:
    - ${s}-out:
        cache: false
    meta:
      number: ${n}
      text: x${n}
    desc: ${s}
",
        )],
    },
    Case {
        name: "lists",
        files: &[(
            "dvc.yaml",
            "vars:
- cmds: [a, b]
stages:
  s:
    cmd:
    - echo ${cmds[0]}
    - echo ${cmds[1]}
    params:
    - p-${cmds[0]}.yaml:
      - k
    - lr
",
        )],
    },
    Case {
        name: "foreach",
        files: &[
            (
                "dvc.yaml",
                "stages:
  prim:
    foreach: [1, 2.5, true, x, null]
    do:
      cmd: echo ${item}
  comp:
    foreach:
    - {a: 1}
    - [2]
    do:
      cmd: echo ${item}
  dict:
    foreach:
      us: {n: 1}
      1: {n: 2}
    do:
      cmd: echo ${key} ${item.n}
  ref:
    foreach: ${models}
    do:
      cmd: echo ${item}
  refdict:
    foreach: ${sizes}
    do:
      cmd: echo ${key}=${item}
  flags:
    foreach: ${flags}
    do:
      cmd: echo ${item}
  dup:
    foreach: [a, a, b]
    do:
      cmd: echo ${item}
",
            ),
            (
                "params.yaml",
                "models: [m1, m2]\nsizes: {small: 1, large: 2}\nflags: [true, false]\n",
            ),
        ],
    },
    Case {
        name: "matrix",
        files: &[
            (
                "dvc.yaml",
                "stages:
  mx:
    matrix:
      model: ${models}
      lr: [0.1, 1.0e-05]
      cfg: [{a: 1}, [2]]
      flag: [true]
    cmd: echo ${item.model} ${item.lr} ${item.cfg} ${key}
    outs:
    - out-${key}
",
            ),
            ("params.yaml", "models: [m1, m2]\n"),
        ],
    },
    Case {
        name: "vars-files",
        files: &[
            (
                "dvc.yaml",
                "vars:
- v.yaml:a,c
- v.yaml:b
- other.json
- {inline: 1}
stages:
  s:
    wdir: sub
    vars:
    - local.yaml
    - {stage_only: 2}
    cmd: echo ${a} ${b} ${c.d} ${x} ${inline} ${local} ${stage_only} ${top}
",
            ),
            ("params.yaml", "top: t\n"),
            ("v.yaml", "a: 1\nb: 2\nc: {d: 3}\nunused: 4\n"),
            ("other.json", "{\"x\": \"j\"}"),
            ("sub/local.yaml", "local: l\n"),
        ],
    },
    Case {
        name: "wdir",
        files: &[(
            "dvc.yaml",
            "vars:
- dir: sub
stages:
  s:
    wdir: ${dir}
    cmd: echo ${dir}
",
        )],
    },
    Case {
        name: "missing-variable",
        files: &[(
            "dvc.yaml",
            "vars:\n  - a: 1\nstages:\n  s1:\n    cmd: echo ${b}\n",
        )],
    },
    Case {
        name: "dict-in-outs",
        files: &[(
            "dvc.yaml",
            "vars:\n- d: {a: 1}\nstages:\n  s1:\n    cmd: echo\n    outs:\n    - ${d}\n",
        )],
    },
    Case {
        name: "list-in-cmd-string",
        files: &[(
            "dvc.yaml",
            "vars:\n- l: [1]\nstages:\n  s1:\n    cmd: echo ${l}\n",
        )],
    },
    Case {
        name: "nested-list-flag",
        files: &[(
            "dvc.yaml",
            "vars:\n- d: {l: [[1]]}\nstages:\n  s1:\n    cmd: echo ${d}\n",
        )],
    },
    Case {
        name: "syntax-error",
        files: &[("dvc.yaml", "stages:\n  s1:\n    cmd: echo ${a..b}\n")],
    },
    Case {
        name: "merge-conflict",
        files: &[
            (
                "dvc.yaml",
                "vars:\n- v.yaml\nstages:\n  s1:\n    cmd: echo\n",
            ),
            ("params.yaml", "a: {b: 1}\n"),
            ("v.yaml", "a: {b: 2}\n"),
        ],
    },
    Case {
        name: "reserved",
        files: &[(
            "dvc.yaml",
            "stages:\n  fe:\n    foreach: [a]\n    do:\n      vars: [{item: 1}]\n      cmd: echo\n",
        )],
    },
    Case {
        name: "missing-vars-file",
        files: &[(
            "dvc.yaml",
            "vars:\n- nope.yaml\nstages:\n  s1:\n    cmd: echo\n",
        )],
    },
    Case {
        name: "partial-then-whole",
        files: &[
            (
                "dvc.yaml",
                "vars:\n- v.yaml:a\n- v.yaml\nstages:\n  s1:\n    cmd: echo\n",
            ),
            ("v.yaml", "a: 1\nb: 2\n"),
        ],
    },
    Case {
        name: "missing-key-in-file",
        files: &[
            (
                "dvc.yaml",
                "vars:\n- v.yaml:zz\nstages:\n  s1:\n    cmd: echo\n",
            ),
            ("v.yaml", "a: 1\n"),
        ],
    },
    Case {
        name: "interpolated-vars",
        files: &[(
            "dvc.yaml",
            "vars:\n- ${a}.yaml\nstages:\n  s1:\n    cmd: echo\n",
        )],
    },
    Case {
        name: "foreach-scalar",
        files: &[(
            "dvc.yaml",
            "vars:\n- n: 1\nstages:\n  fe:\n    foreach: ${n}\n    do:\n      cmd: echo\n",
        )],
    },
    Case {
        name: "extra-key",
        files: &[(
            "dvc.yaml",
            "stages:\n  s1:\n    cmd: echo hi\n    foo: bar\n",
        )],
    },
    Case {
        name: "two-schema-errors",
        files: &[(
            "dvc.yaml",
            "stages:\n  s1:\n    cmd: x\n    outs:\n    - a:\n        cache: 1\n        foo: 2\n",
        )],
    },
    Case {
        name: "generated-missing",
        files: &[(
            "dvc.yaml",
            "stages:\n  fe:\n    foreach: [a]\n    do:\n      cmd: echo ${item} ${nope}\n",
        )],
    },
    Case {
        name: "names-and-indexing",
        files: &[
            (
                "dvc.yaml",
                "stages:
  fe:
    foreach: [a-b, é]
    do:
      cmd: echo ${item}
  sets:
    foreach: ${sets}
    do:
      cmd: echo ${key} ${item[0]} ${item[-1].x}
      outs:
      - ${key}/${item[0]}
",
            ),
            (
                "params.yaml",
                "sets:\n  one: [1, {x: 1.5}]\n  two: [2, {x: true}]\n",
            ),
        ],
    },
    Case {
        name: "item-overwrites",
        files: &[(
            "dvc.yaml",
            "vars:\n- item: top\nstages:\n  fe:\n    foreach: [a]\n    do:\n      cmd: echo ${item}\n  s:\n    cmd: echo ${item}\n",
        )],
    },
];

/// A loaded YAML value as JSON (keys as Python's `json.dumps` writes them).
fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(flag) => serde_json::Value::Bool(*flag),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                int.into()
            } else if let Some(int) = number.as_u64() {
                int.into()
            } else {
                serde_json::Number::from_f64(number.as_f64().unwrap_or(f64::NAN))
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(text) => serde_json::Value::String(text.clone()),
        Value::Sequence(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Mapping(map) => serde_json::Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let key = match key {
                        Value::String(text) => text.clone(),
                        Value::Bool(flag) => flag.to_string(),
                        Value::Null => "null".to_owned(),
                        other => to_json(other).to_string(),
                    };
                    (key, to_json(value))
                })
                .collect(),
        ),
        Value::Tagged(tagged) => to_json(&tagged.value),
    }
}

fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let full = root.join(path);
        fs_create(full.parent().expect("a file has a parent"));
        std::fs::write(&full, text).expect("write a case file");
    }
}

fn fs_create(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create a case directory");
}

fn oracle(repo: &TestRepo, script: &str, args: &[PathBuf]) -> Vec<serde_json::Value> {
    let python = dv_test::venv::venv_dir()
        .join("dvc")
        .join("bin")
        .join("python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(script);
    let output = repo
        .command(&python)
        .arg(&script)
        .args(args)
        .output()
        .expect("run the oracle script");
    assert!(
        output.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8 output")
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("one JSON value per line"))
        .collect()
}

/// DVC's `str(exc)` of a schema error is the first line of ours, without the final period.
fn comparable_error(message: &str) -> String {
    let message = strip_colors(message);
    let message = message.as_str();
    let first = message.lines().next().unwrap_or_default();
    if first.contains("validation failed") {
        first.trim_end_matches('.').to_owned()
    } else {
        message.to_owned()
    }
}

#[test]
fn resolution_matches_dvc() {
    let repo = TestRepo::without_git();
    let dirs: Vec<PathBuf> = CASES
        .iter()
        .map(|case| {
            let dir = repo.root().join(case.name);
            fs_create(&dir);
            write_files(&dir, case.files);
            dir
        })
        .collect();
    let expected = oracle(&repo, "resolve.py", &dirs);
    assert_eq!(expected.len(), CASES.len());
    let mut mismatches = Vec::new();
    for ((case, dir), expected) in CASES.iter().zip(&dirs).zip(&expected) {
        let actual = match load(
            &WorkingTree::new(dir),
            &RepoPath::new("dvc.yaml").expect("valid"),
            &LoadOptions::default(),
        ) {
            Ok(file) => serde_json::json!({
                "stages": file
                    .stages
                    .iter()
                    .map(|stage| serde_json::json!([stage.name, to_json(&stage.value)]))
                    .collect::<Vec<_>>()
            }),
            Err(error) => serde_json::json!({ "error": comparable_error(&error.to_string()) }),
        };
        let expected = match expected.get("error") {
            Some(serde_json::Value::String(message)) => {
                serde_json::json!({ "error": comparable_error(message) })
            }
            _ => expected.clone(),
        };
        if actual != expected {
            mismatches.push(format!(
                "case {}:\n  dvc: {expected}\n  dv:  {actual}",
                case.name
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

const PARAMS: &[(&str, &str)] = &[
    (
        "a.yaml",
        "lr: 0.1\nsmall: 1.0e-05\ne: 1e-05\nbig: 1e16\non: yes\nflag: off\nt: True\nn: ~\ni: -3\n\
         h: 0x1F\ns: '012'\nlist: [1, 2.0, x]\nnested: {b: 2, a: [1, {c: d}]}\nquoted: 'true'\n",
    ),
    (
        "b.json",
        "{\"seed\": 7, \"f\": 1.0, \"l\": [1, {\"b\": null}], \"u\": \"\\u00e9\", \"big\": 1e16}",
    ),
    (
        "c.toml",
        "title = \"t\"\n[model]\ndepth = 3\nlr = 1e-3\nflags = [true, false]\n[model.sub]\nx = 1\n\
         [[layers]]\nn = 1\n[[layers]]\nn = 2\n",
    ),
    (
        "d.py",
        "import os\nBATCH = 64  # comment\nLR: float = 0.001\nNAME = 'model' \"_v2\"\nSHAPE = (1, 2)\n\
         LAYERS = [16, 32,\n          64]\nOPTS = {\"a\": 1, 'b': [True, None]}\nNEG = -3\nHEX = 0x1F\n\
         BIG = 1_000\nX = Y = 1\na, b = 1, 2\nCALL = os.getcwd()\nif BATCH:\n    HIDDEN = 1\n\n\
         @decorator\nclass Conf:\n    lr = 0.3\n    epochs: int = 10\n    def __init__(self):\n\
         \x20       self.dropout = 0.5\n        local = 1\n        self.name = \"x\"; self.seq = [1]\n\
         \x20   def other(self):\n        self.ignored = 1\n\nclass Empty: pass\n\n\
         def __init__(self):\n    self.top = True\n    plain = 1\n\nBATCH = 128\nS = 'it\\'s'\n\
         R = r'\\n'\nT = \"\"\"multi\nline\"\"\"\nE = .5\nF = 1e-05\n",
    ),
    ("e.yaml", ""),
    (
        "quirks.yaml",
        "octal: 012\nunderscore: 1_000\no: 0o17\ndate: 2001-12-14\ndot: 1.\nfu: 1_0.5\nseven: 07\nnine: 09\nNULL: NULL\nTRUE: TRUE\nplus: +1\nexp: 1E5\nb: 0b11\nq: '013'\nlist: [1_0, '2_0', 03]\nk: {a: 0_1}\n",
    ),
    ("f.json", "{}"),
];

/// Python's `json.dumps` (no key sorting) of a loaded value.
fn python_json(value: &Value) -> String {
    match value {
        Value::Mapping(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        Value::String(text) => text.clone(),
                        other => python_json(other),
                    };
                    format!("{}: {}", json_string(&key), python_json(value))
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Sequence(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        other => dv_schema::python_json::dumps_sorted(other),
    }
}

#[test]
fn params_values_match_dvc() {
    let repo = TestRepo::without_git();
    write_files(repo.root(), PARAMS);
    let paths: Vec<PathBuf> = PARAMS
        .iter()
        .map(|(path, _)| repo.root().join(path))
        .collect();
    let expected = oracle(&repo, "params.py", &paths);
    let mut mismatches = Vec::new();
    for ((path, text), expected) in PARAMS.iter().zip(&expected) {
        let expected = expected
            .get("value")
            .map(dv_test_python_json)
            .unwrap_or_else(|| format!("error {expected}"));
        let actual = match params::parse(path, text) {
            Ok(value) => python_json(&value),
            Err(error) => format!("error {error}"),
        };
        if actual != expected {
            mismatches.push(format!("{path}:\n  dvc: {expected}\n  dv:  {actual}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The oracle's JSON (parsed with order preserved) written back in Python's style, with floats
/// as Python's `repr`.
fn dv_test_python_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(key, value)| format!("{}: {}", json_string(key), dv_test_python_json(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        serde_json::Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(dv_test_python_json)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        serde_json::Value::Number(number) if number.is_f64() => {
            dv_schema::yaml::python_float_repr(number.as_f64().unwrap_or_default())
        }
        serde_json::Value::String(text) => json_string(text),
        other => other.to_string(),
    }
}

fn json_string(text: &str) -> String {
    let mut out = String::new();
    dv_schema::dir_manifest::write_json_string(&mut out, text);
    out
}

/// `message` without ANSI colour sequences (DVC colours parse errors).
fn strip_colors(message: &str) -> String {
    let mut out = String::new();
    let mut chars = message.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            for next in chars.by_ref() {
                if next == 'm' {
                    break;
                }
            }
        } else {
            out.push(ch);
        }
    }
    out
}
