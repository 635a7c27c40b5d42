//! DVC's schema check of a `dvc.yaml` as written (voluptuous's `MULTI_STAGE_SCHEMA`, with its
//! messages: `extra keys not allowed`, `expected str`, ...).

use std::fmt;

use crate::yaml::Value;
use crate::yaml_location::PathSegment;

/// One violation of DVC's `dvc.yaml` schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaIssue {
    /// voluptuous's message (`extra keys not allowed`, `expected a list`, ...).
    pub message: String,
    /// Where, from the document root.
    pub path: Vec<PathSegment>,
}

impl SchemaIssue {
    /// The path as DVC prints it: `stages -> s1 -> outs -> 0`.
    pub fn path_text(&self) -> String {
        self.path
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}

impl fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.path.is_empty() {
            write!(f, ", in {}", self.path_text())?;
        }
        Ok(())
    }
}

/// Checks a parsed `dvc.yaml` against DVC's schema; the issues come in DVC's order (an empty
/// document is valid).
pub fn validate(document: &Value) -> Vec<SchemaIssue> {
    if matches!(document, Value::Null) {
        return Vec::new();
    }
    match check(&schema::dvc_yaml(), &mut Vec::new(), document) {
        Ok(()) => Vec::new(),
        Err(issues) => issues,
    }
}

/// A voluptuous-like schema: just what DVC's `dvc.yaml` schema uses.
mod schema {
    /// How a value is checked.
    pub(super) enum Schema {
        /// `object`: anything.
        Anything,
        /// The type `str`.
        Str,
        /// The type `bool`.
        Bool,
        /// The type `dict` (voluptuous says `expected dict`).
        DictType,
        /// The type `list` (voluptuous says `expected list`).
        ListType,
        /// The literal `None`.
        Null,
        /// `vol.Any(...)`: the first alternative that passes.
        AnyOf(Vec<Schema>),
        /// `[a, b]`: a list whose items each pass one of the alternatives.
        List(Vec<Schema>),
        /// A dict schema; unknown keys are errors.
        Map(Vec<(Key, Schema)>),
        /// `either_or`: the stage schema, or the `foreach` one when `foreach`/`do` is present.
        StageOrForeach,
    }

    /// A key of a dict schema.
    pub(super) enum Key {
        /// A literal key, optional.
        Optional(&'static str),
        /// A literal key that must be present.
        Required(&'static str),
        /// Any string key (the type `str`), optional.
        AnyStr,
        /// `vol.Required(str)`: at least one string key.
        RequiredAnyStr,
    }

    use Key::{AnyStr, Optional, Required, RequiredAnyStr};
    use Schema::{AnyOf, Anything, Bool, DictType, List, ListType, Map, Null, Str};

    fn annotations() -> Vec<(Key, Schema)> {
        vec![
            (Optional("desc"), Str),
            (Optional("type"), Str),
            (Optional("labels"), List(vec![Str])),
            (Optional("meta"), Anything),
        ]
    }

    fn output_flags() -> Vec<(Key, Schema)> {
        let mut flags = annotations();
        flags.extend([
            (Optional("cache"), Bool),
            (Optional("persist"), Bool),
            (Optional("checkpoint"), Bool),
            (Optional("remote"), Str),
            (Optional("push"), Bool),
        ]);
        flags
    }

    fn plot_props() -> Schema {
        let mut props = output_flags();
        props.extend([
            (Optional("template"), Str),
            (Optional("x"), Str),
            (Optional("y"), Str),
            (Optional("x_label"), Str),
            (Optional("y_label"), Str),
            (Optional("title"), Str),
            (Optional("header"), Bool),
        ]);
        Map(props)
    }

    pub(super) fn stage() -> Schema {
        let output = || List(vec![Str, Map(vec![(AnyStr, Map(output_flags()))])]);
        Map(vec![
            (
                Optional("matrix"),
                Map(vec![(AnyStr, AnyOf(vec![Str, ListType]))]),
            ),
            (Required("cmd"), AnyOf(vec![Str, ListType])),
            (Optional("wdir"), Str),
            (Optional("deps"), List(vec![Str])),
            (Optional("params"), List(vec![Str, DictType])),
            (Optional("vars"), List(vec![Str, DictType])),
            (Optional("frozen"), Bool),
            (Optional("meta"), Anything),
            (Optional("desc"), Str),
            (Optional("always_changed"), Bool),
            (Optional("outs"), output()),
            (Optional("metrics"), output()),
            (
                Optional("plots"),
                List(vec![
                    Str,
                    Map(vec![(
                        AnyStr,
                        AnyOf(vec![plot_props(), List(vec![plot_props()])]),
                    )]),
                ]),
            ),
        ])
    }

    pub(super) fn foreach() -> Schema {
        Map(vec![
            (Required("foreach"), AnyOf(vec![DictType, ListType, Str])),
            (Required("do"), stage()),
        ])
    }

    fn plot_definition() -> Schema {
        Map(vec![
            (Optional("x"), AnyOf(vec![Str, Map(vec![(AnyStr, Str)])])),
            (
                Optional("y"),
                AnyOf(vec![
                    Str,
                    List(vec![Str]),
                    Map(vec![(AnyStr, AnyOf(vec![Str, List(vec![Str])]))]),
                ]),
            ),
            (Optional("x_label"), Str),
            (Optional("y_label"), Str),
            (Optional("title"), Str),
            (Optional("template"), Str),
        ])
    }

    pub(super) fn dvc_yaml() -> Schema {
        let mut artifact = vec![(Required("path"), Str)];
        artifact.extend(annotations());
        Map(vec![
            (Optional("datasets"), Anything),
            (
                Optional("plots"),
                List(vec![
                    Str,
                    Map(vec![(RequiredAnyStr, AnyOf(vec![plot_definition(), Null]))]),
                ]),
            ),
            (
                Optional("stages"),
                Map(vec![(AnyStr, Schema::StageOrForeach)]),
            ),
            (Optional("vars"), List(vec![Str, DictType])),
            (Optional("params"), List(vec![Str])),
            (Optional("metrics"), List(vec![Str])),
            (Optional("artifacts"), Map(vec![(AnyStr, Map(artifact))])),
        ])
    }
}

use schema::{Key, Schema};

fn issue(message: &str, path: &[PathSegment]) -> Vec<SchemaIssue> {
    vec![SchemaIssue {
        message: message.to_owned(),
        path: path.to_vec(),
    }]
}

fn key_segment(key: &Value) -> PathSegment {
    match key {
        Value::String(text) => PathSegment::Key(text.clone()),
        Value::Number(number) => PathSegment::Key(number.to_string()),
        Value::Bool(flag) => PathSegment::Key(if *flag { "True" } else { "False" }.to_owned()),
        Value::Null => PathSegment::Key("None".to_owned()),
        other => PathSegment::Key(format!("{other:?}")),
    }
}

/// Checks `value` at `path` against `schema` with voluptuous's semantics: the error list of a
/// failed check, paths from the document root.
fn check(
    schema: &Schema,
    path: &mut Vec<PathSegment>,
    value: &Value,
) -> Result<(), Vec<SchemaIssue>> {
    match schema {
        Schema::Anything => Ok(()),
        Schema::Str => match value {
            Value::String(_) => Ok(()),
            _ => Err(issue("expected str", path)),
        },
        Schema::Bool => match value {
            Value::Bool(_) => Ok(()),
            _ => Err(issue("expected bool", path)),
        },
        Schema::DictType => match value {
            Value::Mapping(_) => Ok(()),
            _ => Err(issue("expected dict", path)),
        },
        Schema::ListType => match value {
            Value::Sequence(_) => Ok(()),
            _ => Err(issue("expected list", path)),
        },
        Schema::Null => match value {
            Value::Null => Ok(()),
            _ => Err(issue("not a valid value", path)),
        },
        Schema::AnyOf(alternatives) => {
            // the error reaching deepest wins, the first one on ties
            let mut best: Option<Vec<SchemaIssue>> = None;
            for alternative in alternatives {
                match check(alternative, path, value) {
                    Ok(()) => return Ok(()),
                    Err(issues) => {
                        let depth = issues.first().map_or(0, |issue| issue.path.len());
                        let best_depth = best
                            .as_ref()
                            .and_then(|issues| issues.first())
                            .map_or(0, |issue| issue.path.len());
                        if best.is_none() || depth > best_depth {
                            best = Some(issues);
                        }
                    }
                }
            }
            Err(best.unwrap_or_else(|| issue("no valid value found", path)))
        }
        Schema::List(alternatives) => {
            let Value::Sequence(items) = value else {
                return Err(issue("expected a list", path));
            };
            let mut errors = Vec::new();
            for (index, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(index));
                let mut invalid = None;
                let mut passed = false;
                for alternative in alternatives {
                    match check(alternative, path, item) {
                        Ok(()) => {
                            passed = true;
                            break;
                        }
                        Err(issues) => {
                            if issues
                                .first()
                                .is_some_and(|issue| issue.path.len() > path.len())
                            {
                                path.pop();
                                return Err(issues);
                            }
                            invalid = Some(issues);
                        }
                    }
                }
                path.pop();
                if !passed && let Some(issues) = invalid {
                    errors.extend(issues);
                }
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        }
        Schema::Map(keys) => check_mapping(keys, path, value),
        Schema::StageOrForeach => {
            let foreach = matches!(value, Value::Mapping(map)
                if map.contains_key("foreach") || map.contains_key("do"));
            let schema = if foreach {
                schema::foreach()
            } else {
                schema::stage()
            };
            check(&schema, path, value)
        }
    }
}

fn check_mapping(
    keys: &[(Key, Schema)],
    path: &mut Vec<PathSegment>,
    value: &Value,
) -> Result<(), Vec<SchemaIssue>> {
    let Value::Mapping(map) = value else {
        return Err(issue("expected a dictionary", path));
    };
    let mut required: Vec<bool> = keys
        .iter()
        .map(|(key, _)| matches!(key, Key::Required(_) | Key::RequiredAnyStr))
        .collect();
    let mut errors = Vec::new();
    for (data_key, data_value) in map {
        path.push(key_segment(data_key));
        // literal keys first, then the `str` wildcard
        let literal = keys.iter().position(|(key, _)| match key {
            Key::Optional(name) | Key::Required(name) => data_key.as_str() == Some(*name),
            Key::AnyStr | Key::RequiredAnyStr => false,
        });
        let wildcard = keys
            .iter()
            .position(|(key, _)| matches!(key, Key::AnyStr | Key::RequiredAnyStr));
        let mut key_error = None;
        let mut matched = false;
        for index in literal.into_iter().chain(wildcard) {
            let (key, schema) = &keys[index];
            if matches!(key, Key::AnyStr | Key::RequiredAnyStr) && data_key.as_str().is_none() {
                key_error = Some(issue("expected str", path));
                continue;
            }
            matched = true;
            required[index] = false;
            if let Err(issues) = check(schema, path, data_value) {
                errors.extend(issues);
            }
            break;
        }
        if !matched {
            errors.extend(key_error.unwrap_or_else(|| issue("extra keys not allowed", path)));
        }
        path.pop();
    }
    for ((key, _), missing) in keys.iter().zip(required) {
        if missing {
            let name = match key {
                Key::Required(name) => (*name).to_owned(),
                _ => "<class 'str'>".to_owned(),
            };
            path.push(PathSegment::Key(name));
            errors.extend(issue("required key not provided", path));
            path.pop();
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn issues(text: &str) -> Vec<String> {
        validate(&parse(text).expect("valid yaml"))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn schema_messages_match_dvc() {
        assert_eq!(
            issues("stages:\n  s1:\n    cmd: echo hi\n    foo: bar\n"),
            ["extra keys not allowed, in stages -> s1 -> foo"]
        );
        assert_eq!(
            issues("stages:\n  s1:\n    cmd: 1\n"),
            ["expected str, in stages -> s1 -> cmd"]
        );
        assert_eq!(
            issues("stages:\n  s1:\n    deps: [a]\n"),
            ["required key not provided, in stages -> s1 -> cmd"]
        );
        assert_eq!(
            issues("stages:\n  s1:\n    cmd: x\n    frozen: yes\n"),
            ["expected bool, in stages -> s1 -> frozen"]
        );
        assert_eq!(
            issues(
                "stages:\n  s1:\n    cmd: x\n    outs:\n    - a:\n        cache: 1\n        foo: 2\n"
            ),
            [
                "expected bool, in stages -> s1 -> outs -> 0 -> a -> cache",
                "extra keys not allowed, in stages -> s1 -> outs -> 0 -> a -> foo"
            ]
        );
        assert_eq!(
            issues("stages:\n  s1:\n    foreach: [a]\n    cmd: x\n"),
            [
                "extra keys not allowed, in stages -> s1 -> cmd",
                "required key not provided, in stages -> s1 -> do"
            ]
        );
        assert_eq!(
            issues("foo: 1\nstages:\n  s1:\n    cmd: x\n    params:\n    - p.json: x\n"),
            ["extra keys not allowed, in foo"]
        );
        assert_eq!(
            issues("stages:\n  s1:\n    cmd: x\n    matrix:\n      a: 1\n"),
            ["expected str, in stages -> s1 -> matrix -> a"]
        );
        assert_eq!(
            issues("stages: [a]\n"),
            ["expected a dictionary, in stages"]
        );
        assert_eq!(
            issues("vars: x\nstages:\n  s1:\n    cmd: x\n"),
            ["expected a list, in vars"]
        );
        assert!(issues("").is_empty());
        assert!(issues(include_str!("../../tests/fixtures/templating/dvc.yaml")).is_empty());
        assert!(issues(include_str!("../../tests/fixtures/pipeline/dvc.yaml")).is_empty());
    }
}
