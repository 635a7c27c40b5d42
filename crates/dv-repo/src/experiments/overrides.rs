//! `exp run -S [file:]key=value`: DVC's params overrides (Hydra's override syntax, the parts
//! DVC users write): `key=value` changes a key that exists, `+key=value` adds one, `++key=value`
//! sets one either way, `~key` removes one. A comma-separated value or `choice(...)`/`range(...)`
//! is a sweep, one experiment per combination (with `--queue`). YAML files are rewritten the
//! way DVC's round trip writes them, keeping comments; JSON files as Python's `json.dump`.

use std::path::Path;

use dv_pipeline::params::{self, ParamsFormat};
use dv_schema::yaml::{self, Mapping, Value};

use crate::error::DvcError;

/// The default params file.
pub const DEFAULT_FILE: &str = "params.yaml";

/// Overrides grouped by file, in the order files were first named (DVC's
/// `to_path_overrides`).
pub type PathOverrides = Vec<(String, Vec<String>)>;

/// Groups `-S` values by file: `file:override`, or `params.yaml` when the part before the first
/// `=` has no `:`.
pub fn by_path(values: &[String]) -> PathOverrides {
    let mut grouped: PathOverrides = Vec::new();
    for value in values {
        let name = value.split('=').next().unwrap_or(value);
        let (path, text) = if name.contains(':') {
            let (path, rest) = value.split_once(':').unwrap_or((DEFAULT_FILE, value));
            (path.to_string(), rest.to_string())
        } else {
            (DEFAULT_FILE.to_string(), value.clone())
        };
        match grouped.iter_mut().find(|(known, _)| *known == path) {
            Some((_, list)) => list.push(text),
            None => grouped.push((path, vec![text])),
        }
    }
    grouped
}

/// Splits `text` at top-level commas (not inside brackets, braces, parentheses or quotes).
fn split_top(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for ch in text.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '[' | '{' | '(') => depth += 1,
            (None, ']' | '}' | ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current.trim().to_string());
    parts
}

/// The values a sweep override stands for, or `None` when it is a single value.
fn sweep_values(value: &str) -> Option<Vec<String>> {
    let value = value.trim();
    if let Some(inner) = value
        .strip_prefix("choice(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return Some(split_top(inner));
    }
    if let Some(inner) = value
        .strip_prefix("range(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let numbers: Vec<f64> = split_top(inner)
            .iter()
            .filter_map(|part| part.parse().ok())
            .collect();
        let integral = split_top(inner).iter().all(|part| !part.contains('.'));
        let (start, stop, step) = match numbers[..] {
            [stop] => (0.0, stop, 1.0),
            [start, stop] => (start, stop, 1.0),
            [start, stop, step] if step != 0.0 => (start, stop, step),
            _ => return None,
        };
        let mut values = Vec::new();
        let mut current = start;
        while (step > 0.0 && current < stop) || (step < 0.0 && current > stop) {
            values.push(if integral {
                format!("{}", current as i64)
            } else {
                yaml::python_float_repr(current)
            });
            current += step;
        }
        return Some(values);
    }
    let parts = split_top(value);
    (parts.len() > 1).then_some(parts)
}

/// Whether any override is a sweep.
pub fn is_sweep(overrides: &PathOverrides) -> bool {
    overrides.iter().any(|(_, list)| {
        list.iter().any(|item| {
            item.split_once('=')
                .is_some_and(|(_, v)| sweep_values(v).is_some())
        })
    })
}

/// Every combination a sweep stands for, in Hydra's order (the last override varies fastest).
pub fn expand_sweeps(overrides: &PathOverrides) -> Vec<PathOverrides> {
    let mut combos: Vec<PathOverrides> = vec![Vec::new()];
    for (path, list) in overrides {
        for item in list {
            let choices: Vec<String> = match item.split_once('=') {
                Some((key, value)) => match sweep_values(value) {
                    Some(values) => values.iter().map(|v| format!("{key}={v}")).collect(),
                    None => vec![item.clone()],
                },
                None => vec![item.clone()],
            };
            let mut next = Vec::new();
            for combo in &combos {
                for choice in &choices {
                    let mut combo = combo.clone();
                    match combo.iter_mut().find(|(known, _)| known == path) {
                        Some((_, items)) => items.push(choice.clone()),
                        None => combo.push((path.clone(), vec![choice.clone()])),
                    }
                    next.push(combo);
                }
            }
            combos = next;
        }
    }
    combos
}

/// A value as Hydra reads it from an override (YAML-like; empty is the empty string).
fn parse_value(text: &str) -> Value {
    let text = text.trim();
    if text.is_empty() {
        return Value::String(String::new());
    }
    match text.to_ascii_lowercase().as_str() {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    match yaml::parse(text) {
        Ok(Value::Null) | Err(_) => Value::String(text.to_string()),
        Ok(value) => value,
    }
}

fn invalid(detail: String) -> anyhow::Error {
    DvcError(format!("Invalid `--set-param` value: {detail}")).into()
}

/// Applies one override to `data`.
fn apply_one(data: &mut Value, text: &str) -> anyhow::Result<()> {
    let (operator, rest) = if let Some(rest) = text.strip_prefix("++") {
        ("++", rest)
    } else if let Some(rest) = text.strip_prefix('+') {
        ("+", rest)
    } else if let Some(rest) = text.strip_prefix('~') {
        ("~", rest)
    } else {
        ("", text)
    };
    let (key, value) = match rest.split_once('=') {
        Some((key, value)) => (key.trim(), Some(value)),
        None if operator == "~" => (rest.trim(), None),
        None => {
            return Err(invalid(format!(
                "Error parsing override '{text}'\nmissing EQUAL at '<EOF>'"
            )));
        }
    };
    let parts: Vec<&str> = key.split('.').collect();
    let (last, parents) = parts.split_last().expect("split gives one part");
    let mut node = &mut *data;
    for (depth, part) in parents.iter().enumerate() {
        if !matches!(node, Value::Mapping(_)) {
            return Err(invalid(format!("Could not override '{key}'.")));
        }
        let Value::Mapping(map) = node else {
            unreachable!()
        };
        let entry = Value::String((*part).to_string());
        if !map.contains_key(&entry) {
            if operator.starts_with('+') {
                map.insert(entry.clone(), Value::Mapping(Mapping::new()));
            } else {
                let full = parts[..=depth].join(".");
                return Err(missing(text, key, part, &full, operator));
            }
        }
        node = map.get_mut(&entry).expect("present");
    }
    let Value::Mapping(map) = node else {
        return Err(invalid(format!("Could not override '{key}'.")));
    };
    let entry = Value::String((*last).to_string());
    match operator {
        "~" => {
            if map.shift_remove(&entry).is_none() {
                return Err(invalid(format!(
                    "Could not delete from config. '{key}' does not exist."
                )));
            }
        }
        "+" if map.contains_key(&entry) => {
            return Err(invalid(format!(
                "Could not append to config. An item is already at '{key}'."
            )));
        }
        "" if !map.contains_key(&entry) => {
            return Err(missing(text, key, last, key, operator));
        }
        _ => {
            map.insert(entry, parse_value(value.unwrap_or_default()));
        }
    }
    Ok(())
}

fn missing(text: &str, key: &str, part: &str, full: &str, operator: &str) -> anyhow::Error {
    let _ = operator;
    invalid(format!(
        "Could not override '{key}'.\nTo append to your config use +{text}: Key '{part}' is not \
         in struct\n    full_key: {full}\n    object_type=dict"
    ))
}

/// Applies `overrides` to the params file `path` (relative to `root`), rewriting it in place.
pub fn apply(root: &Path, path: &str, overrides: &[String]) -> anyhow::Result<()> {
    // A params file is a file of the repository: never one outside it or behind a link.
    let refuse = |why: &str| DvcError(format!("refusing to write '{path}': it {why}"));
    let inside = dv_schema::repo_path::RepoPath::new(path)
        .map_err(|_| refuse("is outside of the repository"))?;
    let full = root.join(inside.as_str());
    if let Some(link) = crate::confine::linked_ancestor(root, &full) {
        let shown = link
            .strip_prefix(root)
            .unwrap_or(&link)
            .display()
            .to_string();
        return Err(refuse(&format!("is below the symbolic link '{shown}'")).into());
    }
    let previous = match std::fs::read_to_string(&full) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(anyhow::anyhow!("failed to read '{path}': {error}")),
    };
    let format = ParamsFormat::for_path(path);
    if !matches!(format, ParamsFormat::Yaml | ParamsFormat::Json) {
        return Err(DvcError(format!(
            "'{path}': dv changes YAML and JSON params files with --set-param; change this \
             one by hand or with dvc"
        ))
        .into());
    }
    let old = params::parse(path, &previous)
        .map_err(|error| DvcError(format!("{error}: {}", error.detail)))?;
    let mut new = match &old {
        Value::Mapping(_) => old.clone(),
        _ => Value::Mapping(Mapping::new()),
    };
    for text in overrides {
        apply_one(&mut new, text)?;
    }
    let text = match format {
        ParamsFormat::Json => dv_schema::python_json::dumps(&new),
        _ if previous.trim().is_empty() || removes_keys(&old, &new) => yaml::to_string(&new),
        _ => yaml::update_text(&block_flow(&previous), &new)?.text,
    };
    dv_fs::atomic::write_atomic(&full, text.as_bytes())
        .map_err(|error| anyhow::anyhow!("failed to write '{path}': {error}"))?;
    Ok(())
}

/// `previous` with one-line flow collections of a mapping key (`layers: [64, 32]`) written in
/// block style, as DVC's round trip writes them back (`layers:` then `- 64` at the key's own
/// indent); empty collections stay as they are.
fn block_flow(previous: &str) -> String {
    let mut out = String::with_capacity(previous.len());
    for line in previous.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let converted = body.trim_start().split_once(": ").and_then(|(key, value)| {
            let value = value.trim();
            let flow = (value.starts_with('[') && value.ends_with(']'))
                || (value.starts_with('{') && value.ends_with('}'));
            if !flow || key.starts_with('-') || key.starts_with('#') || key.contains(['[', '{']) {
                return None;
            }
            let parsed = yaml::parse(value).ok()?;
            let scalar = |item: &Value| !matches!(item, Value::Sequence(_) | Value::Mapping(_));
            let (lines, pad) = match &parsed {
                Value::Sequence(items) if !items.is_empty() && items.iter().all(scalar) => {
                    (yaml::to_string(&parsed), indent)
                }
                Value::Mapping(map) if !map.is_empty() && map.values().all(scalar) => {
                    (yaml::to_string(&parsed), indent + 2)
                }
                _ => return None,
            };
            let mut block = format!("{}{key}:\n", " ".repeat(indent));
            for item in lines.lines() {
                block.push_str(&" ".repeat(pad));
                block.push_str(item);
                block.push('\n');
            }
            Some(block)
        });
        match converted {
            Some(block) => out.push_str(&block),
            None => out.push_str(line),
        }
    }
    out
}

/// Whether `new` lacks a key `old` has (an update that DVC's merge alone cannot express).
fn removes_keys(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Mapping(old), Value::Mapping(new)) => old
            .iter()
            .any(|(key, value)| new.get(key).is_none_or(|other| removes_keys(value, other))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_group_as_dvc() {
        let grouped = by_path(&[
            "train.lr=0.1".to_string(),
            "other.yaml:a=1".to_string(),
            "b=x:y".to_string(),
        ]);
        assert_eq!(grouped[0].0, "params.yaml");
        assert_eq!(grouped[0].1, vec!["train.lr=0.1", "b=x:y"]);
        assert_eq!(
            grouped[1],
            ("other.yaml".to_string(), vec!["a=1".to_string()])
        );
    }

    #[test]
    fn sweeps_expand_last_fastest() {
        let grouped = by_path(&["a=1,2".to_string(), "b=choice(x,y)".to_string()]);
        assert!(is_sweep(&grouped));
        let combos = expand_sweeps(&grouped);
        let flat: Vec<Vec<String>> = combos.into_iter().map(|c| c[0].1.clone()).collect();
        assert_eq!(flat[0], vec!["a=1", "b=x"]);
        assert_eq!(flat[1], vec!["a=1", "b=y"]);
        assert_eq!(flat.len(), 4);
        assert_eq!(
            sweep_values("range(1,4)"),
            Some(vec!["1".into(), "2".into(), "3".into()])
        );
        assert!(!is_sweep(&by_path(&["a=[1,2]".to_string()])));
    }

    #[test]
    fn overrides_keep_comments_and_check_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = "train:\n  lr: 0.1   # learning rate\n  layers: [64, 32]\nseed: 7\n";
        std::fs::write(dir.path().join("params.yaml"), text).expect("write");
        apply(dir.path(), "params.yaml", &["train.lr=0.5".to_string()]).expect("applied");
        let written = std::fs::read_to_string(dir.path().join("params.yaml")).expect("read");
        assert!(written.contains("lr: 0.5   # learning rate"), "{written}");
        assert!(
            written.contains("  layers:\n  - 64\n  - 32\nseed"),
            "{written}"
        );
        let error = apply(dir.path(), "params.yaml", &["train.nope=1".to_string()])
            .expect_err("missing key");
        assert!(error.to_string().starts_with(
            "Invalid `--set-param` value: Could not override 'train.nope'.\nTo append to your \
             config use +train.nope=1"
        ));
        apply(dir.path(), "params.yaml", &["+train.nope=1".to_string()]).expect("added");
        for outside in ["../params.yaml", "/tmp/params.yaml"] {
            let error = apply(dir.path(), outside, &["+a=1".to_string()]).expect_err(outside);
            assert!(
                error.to_string().contains("outside of the repository"),
                "{error}"
            );
        }
        let written = std::fs::read_to_string(dir.path().join("params.yaml")).expect("read");
        assert!(written.contains("  nope: 1\n"), "{written}");
    }
}
