//! `install --use-pre-commit-tool`: the entry added to the pre-commit tool's
//! `.pre-commit-config.yaml` (spec §1.7).
//!
//! DVC loads the file with ruamel's round-trip loader (a missing file, or a document Python
//! reads as false — empty, `null`, `{}`, `[]`, `0`, `false`, `""` — becomes an empty mapping),
//! appends its entry to `repos` (created when absent) unless an equal entry is there, and dumps
//! the file again. dv does the same through [`yaml::update_text`], with Python's errors for
//! documents that are not mappings or whose `repos` is not a list.
//!
//! DVC's entry names its own repository and release, so the tool installs and runs `dvc`. dv's
//! entry is a `local` one running `dv git-hook <name>` from `PATH` (`language: system`), as the
//! hook scripts written without the tool do; its hooks carry the settings of DVC's published
//! hook definitions (`require_serial` for all, `verbose` for pre-commit, `always_run` for
//! post-checkout), under the ids `dv-pre-commit`, `dv-pre-push` and `dv-post-checkout`.

use std::path::Path;

use anyhow::Context;
use dv_schema::yaml::{self, Mapping, Value};

use super::InstallError;
use crate::workspace::Workspace;

/// The pre-commit tool's configuration file, at the root of the git work tree.
pub(super) const CONFIG_FILE: &str = ".pre-commit-config.yaml";

/// Appends dv's entry to the `repos` of the configuration at `path` unless an equal entry is
/// there, keeping the rest of the file as DVC's round trip does.
pub(super) fn add_entry(workspace: &Workspace, path: &Path) -> anyhow::Result<()> {
    let previous = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(error).with_context(|| format!("failed to read '{}'", path.display()));
        }
    };
    let corrupted = |error: yaml::YamlError| InstallError::CorruptedConfig {
        path: workspace.display_path(path),
        message: error.to_string(),
    };
    // What Python reads as false is replaced by a new mapping: the file is written from
    // scratch.
    let loaded = match &previous {
        Some(text) => Some(yaml::parse(text).map_err(corrupted)?)
            .filter(|value| !dv_schema::yaml::is_falsy(value)),
        None => None,
    };
    let mut config = loaded
        .clone()
        .unwrap_or_else(|| Value::Mapping(Mapping::new()));
    let Value::Mapping(map) = &mut config else {
        return Err(unexpected(format!(
            "'{}' object has no attribute 'get'",
            python_type(&config)
        )));
    };
    let entry = entry();
    let repos = map
        .entry(string("repos"))
        .or_insert_with(|| Value::Sequence(Vec::new()));
    match repos {
        Value::Sequence(list) => {
            if !list
                .iter()
                .any(|existing| yaml::python_eq(existing, &entry))
            {
                list.push(entry);
            }
        }
        Value::String(_) => {
            return Err(unexpected(
                "'in <string>' requires string as left operand, not dict".to_owned(),
            ));
        }
        Value::Mapping(_) => return Err(unexpected("unhashable type: 'dict'".to_owned())),
        other => {
            return Err(unexpected(format!(
                "argument of type '{}' is not iterable",
                python_type(other)
            )));
        }
    }
    let text = match (previous.as_deref(), loaded) {
        (Some(previous), Some(_)) => {
            yaml::update_text(previous, &config)
                .map_err(corrupted)?
                .text
        }
        _ => yaml::to_string(&config),
    };
    dv_fs::atomic::write_atomic(path, text.as_bytes())
        .with_context(|| format!("failed to write '{}'", path.display()))?;
    Ok(())
}

/// The `repos` entry dv adds: a local repository whose hooks run `dv git-hook <name>`.
fn entry() -> Value {
    let hook = |name: &str| {
        let mut map = Mapping::new();
        map.insert(string("id"), string(&format!("dv-{name}")));
        map.insert(string("name"), string(&format!("dv {name}")));
        map.insert(string("entry"), string(&format!("dv git-hook {name}")));
        map.insert(string("language"), string("system"));
        map.insert(string("stages"), Value::Sequence(vec![string(name)]));
        map.insert(string("require_serial"), Value::Bool(true));
        map
    };
    let mut pre_commit = hook("pre-commit");
    pre_commit.insert(string("verbose"), Value::Bool(true));
    let pre_push = hook("pre-push");
    let mut post_checkout = hook("post-checkout");
    post_checkout.insert(string("always_run"), Value::Bool(true));
    let mut entry = Mapping::new();
    entry.insert(string("repo"), string("local"));
    entry.insert(
        string("hooks"),
        Value::Sequence(vec![
            Value::Mapping(pre_commit),
            Value::Mapping(pre_push),
            Value::Mapping(post_checkout),
        ]),
    );
    Value::Mapping(entry)
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// An error DVC lets escape from Python (`unexpected error - <message>`).
fn unexpected(message: String) -> anyhow::Error {
    anyhow::anyhow!(message)
}

/// Python's type name of a value ruamel's round-trip loader builds (`CommentedSeq`,
/// `CommentedMap`, `ScalarFloat` for collections and floats).
fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "ScalarFloat",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Sequence(_) => "CommentedSeq",
        Value::Mapping(_) => "CommentedMap",
        Value::Tagged(_) => "TaggedScalar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_runs_dv_from_a_local_repository() {
        let mut map = Mapping::new();
        map.insert(string("repos"), Value::Sequence(vec![entry()]));
        let text = yaml::to_string(&Value::Mapping(map));
        assert!(
            text.starts_with(
                "repos:\n- repo: local\n  hooks:\n  - id: dv-pre-commit\n    name: dv pre-commit\n    entry: dv git-hook pre-commit\n    language: system\n    stages:\n    - pre-commit\n    require_serial: true\n    verbose: true\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("    - post-checkout\n    require_serial: true\n    always_run: true\n"),
            "{text}"
        );
    }

    #[test]
    fn python_falsy_documents() {
        for text in [
            "", "# c\n", "null\n", "{}\n", "[]\n", "0\n", "0.0\n", "false\n", "''\n",
        ] {
            let value = yaml::parse(text).expect("valid yaml");
            assert!(dv_schema::yaml::is_falsy(&value), "{text:?}");
        }
        for text in ["1\n", "true\n", "x\n", "[1]\n", "a: 1\n"] {
            let value = yaml::parse(text).expect("valid yaml");
            assert!(!dv_schema::yaml::is_falsy(&value), "{text:?}");
        }
    }
}
