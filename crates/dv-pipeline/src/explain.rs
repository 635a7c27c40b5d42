//! Why a stage runs (or is reported changed), one line per reason with the recorded and the
//! current value: `dv repro --explain`, `dv status --explain` (dv's own; DVC only names what
//! changed, never from what to what).
//!
//! Lines read as `dep 'data.csv' modified: 1b2c3d4e -> 9f8e7d6c`,
//! `param 'train.lr' (params.yaml) modified: 0.01 -> 0.02`, `cmd changed: 'python a.py' ->
//! 'python b.py'`. Hashes are cut to their first eight characters (plus `.dir` for trees),
//! enough to tell them apart at a glance.

use dv_schema::dvc_yaml::Command;
use dv_schema::repo_path::RepoPath;
use dv_schema::yaml::Value;

use crate::status::changes::{
    ChangeKind, EntryChange, HashValue, ParamChangeKind, ParamsChange, StageChanges,
};

/// The reasons in `changes`, in DVC's checking order (command, dependencies, params,
/// outputs), paths shown relative to `cwd`. `recorded` is whether the stage has a lock entry:
/// without one, every reason is that it never ran.
pub fn reasons(changes: &StageChanges, recorded: bool, cwd: &RepoPath) -> Vec<String> {
    let mut lines = Vec::new();
    if !recorded {
        lines.push("no entry in the lock file: the stage never ran".to_owned());
    }
    if let Some(command) = &changes.command {
        lines.push(format!(
            "cmd changed: {} -> {}",
            command_text(&command.old),
            command_text(&command.new)
        ));
    }
    if changes.always_changed {
        lines.push("always changed (always_changed, or no dependencies and outputs)".to_owned());
    }
    for change in &changes.deps {
        entry_reasons("dep", change, recorded, cwd, &mut lines);
    }
    for change in &changes.outs {
        entry_reasons("out", change, recorded, cwd, &mut lines);
    }
    lines
}

fn entry_reasons(
    role: &str,
    change: &EntryChange,
    recorded: bool,
    cwd: &RepoPath,
    lines: &mut Vec<String>,
) {
    let path = change.path.shown(cwd);
    match &change.kind {
        ChangeKind::Deleted { old } => match old {
            Some(old) => lines.push(format!("{role} '{path}' deleted (was {})", short(old))),
            None => lines.push(format!("{role} '{path}' deleted")),
        },
        ChangeKind::Modified {
            old: Some(old),
            new,
        } => lines.push(format!(
            "{role} '{path}' modified: {} -> {}",
            short(old),
            short(new)
        )),
        // A stage that never ran has nothing recorded: the first line says so already.
        ChangeKind::Modified { old: None, new } if recorded => lines.push(format!(
            "{role} '{path}' not recorded in the lock file (now {})",
            short(new)
        )),
        ChangeKind::Modified { old: None, .. } => {}
        ChangeKind::New => lines.push(format!("{role} '{path}' new")),
        ChangeKind::NotInCache { id } => {
            let id = id.to_string();
            lines.push(format!(
                "{role} '{path}' not in cache ({})",
                short_text(&id)
            ));
        }
        ChangeKind::Params(ParamsChange::Deleted) => {
            lines.push(format!("params file '{path}' deleted"));
        }
        ChangeKind::Params(ParamsChange::New) if recorded => {
            lines.push(format!(
                "params file '{path}' not recorded in the lock file"
            ));
        }
        ChangeKind::Params(ParamsChange::New) => {}
        ChangeKind::Params(ParamsChange::Keys(keys)) => {
            for key in keys {
                let detail = match &key.kind {
                    ParamChangeKind::Modified { old, new } => {
                        format!("modified: {} -> {}", value_text(old), value_text(new))
                    }
                    ParamChangeKind::New { new } => format!("new: {}", value_text(new)),
                    ParamChangeKind::Deleted { old } => {
                        format!("deleted (was {})", value_text(old))
                    }
                };
                lines.push(format!("param '{}' ({path}) {detail}", key.key));
            }
        }
    }
}

/// A hash as shown in explanations.
pub fn short(hash: &HashValue) -> String {
    match hash {
        HashValue::Md5(id) => short_text(&id.to_string()),
        HashValue::Etag(text) | HashValue::Checksum(text) => short_text(text.trim_matches('"')),
    }
}

fn short_text(text: &str) -> String {
    let (digest, suffix) = match text.strip_suffix(".dir") {
        Some(digest) => (digest, ".dir"),
        None => (text, ""),
    };
    let cut: String = digest.chars().take(8).collect();
    format!("{cut}{suffix}")
}

/// A command as shown in explanations: quoted, commands of a list joined by ` && `.
fn command_text(command: &Command) -> String {
    let text = match command {
        Command::Text(text) => text.clone(),
        Command::List(items) => items.join(" && "),
    };
    format!("'{text}'")
}

/// A params value on one line: strings as they are, anything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::stage::EntryPath;
    use crate::status::{CommandChange, ParamChange};
    use dv_schema::hash::ObjectId;

    fn repo(path: &str) -> EntryPath {
        EntryPath::Repo(RepoPath::new(path).unwrap())
    }

    fn md5(text: &str) -> HashValue {
        HashValue::Md5(text.parse::<ObjectId>().unwrap())
    }

    #[test]
    fn every_reason_with_old_and_new_values() {
        let changes = StageChanges {
            command: Some(CommandChange {
                old: Command::Text("python a.py".to_owned()),
                new: Command::List(vec!["python b.py".to_owned(), "echo done".to_owned()]),
            }),
            deps: vec![
                EntryChange {
                    def_path: "data.csv".to_owned(),
                    path: repo("data.csv"),
                    kind: ChangeKind::Modified {
                        old: Some(md5("1b2c3d4e5f60718293a4b5c6d7e8f901")),
                        new: md5("9f8e7d6c5b4a39281706f5e4d3c2b1a0.dir"),
                    },
                },
                EntryChange {
                    def_path: "params.yaml".to_owned(),
                    path: repo("params.yaml"),
                    kind: ChangeKind::Params(ParamsChange::Keys(vec![
                        ParamChange {
                            key: "train.lr".to_owned(),
                            kind: ParamChangeKind::Modified {
                                old: serde_yaml_value("0.01"),
                                new: serde_yaml_value("0.02"),
                            },
                        },
                        ParamChange {
                            key: "layers".to_owned(),
                            kind: ParamChangeKind::New {
                                new: serde_yaml_value("[1, 2]"),
                            },
                        },
                    ])),
                },
            ],
            outs: vec![EntryChange {
                def_path: "model.pkl".to_owned(),
                path: repo("model.pkl"),
                kind: ChangeKind::Deleted {
                    old: Some(md5("00112233445566778899aabbccddeeff")),
                },
            }],
            always_changed: false,
            changed: true,
        };
        let cwd = RepoPath::root();
        assert_eq!(
            reasons(&changes, true, &cwd),
            [
                "cmd changed: 'python a.py' -> 'python b.py && echo done'",
                "dep 'data.csv' modified: 1b2c3d4e -> 9f8e7d6c.dir",
                "param 'train.lr' (params.yaml) modified: 0.01 -> 0.02",
                "param 'layers' (params.yaml) new: [1,2]",
                "out 'model.pkl' deleted (was 00112233)",
            ]
        );
    }

    #[test]
    fn a_stage_that_never_ran_says_so_once() {
        let changes = StageChanges {
            deps: vec![EntryChange {
                def_path: "data.csv".to_owned(),
                path: repo("data.csv"),
                kind: ChangeKind::Modified {
                    old: None,
                    new: md5("1b2c3d4e5f60718293a4b5c6d7e8f901"),
                },
            }],
            changed: true,
            ..StageChanges::default()
        };
        assert_eq!(
            reasons(&changes, false, &RepoPath::root()),
            ["no entry in the lock file: the stage never ran"]
        );
    }

    fn serde_yaml_value(text: &str) -> Value {
        dv_schema::yaml::parse(text).unwrap()
    }
}
