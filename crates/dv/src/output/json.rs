//! `--json` output written like Python's `json.dumps` with DVC's settings (spec §0.3):
//! separators `", "` and `": "`, `ensure_ascii` escapes, `allow_nan` (`NaN`, `Infinity`),
//! floats by Python's `repr` (`1e-05`, `2.0`), keys in the order given.
//!
//! Two value types come here: `serde_json::Value` (built by commands) and the YAML value of a
//! params or metrics file, whose keys need not be strings and whose floats may be NaN.

use dv_schema::dir_manifest::write_json_string;
use dv_schema::yaml::Value as YamlValue;
use serde_json::Value;

use super::number::{float_json, number_json};

/// `value` as `json.dumps(value)` would write it.
pub(crate) fn to_python_json(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

fn write(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(float)) => out.push_str(&float_json(float)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_string(out, key);
                out.push_str(": ");
                write(out, item);
            }
            out.push('}');
        }
    }
}

/// A params/metrics value loaded from YAML as `json.dumps(value)` would write it. Keys that
/// are not strings are written as Python converts them: `1` → `"1"`, `2.5` → `"2.5"`,
/// `True` → `"true"`, `None` → `"null"` (a list or dict key, which Python cannot hold, is
/// written as its own JSON text).
pub(crate) fn yaml_to_python_json(value: &YamlValue) -> String {
    let mut out = String::new();
    write_yaml(&mut out, value);
    out
}

fn write_yaml(out: &mut String, value: &YamlValue) {
    match value {
        YamlValue::Null => out.push_str("null"),
        YamlValue::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        YamlValue::Number(number) => out.push_str(&number_json(number)),
        YamlValue::String(text) => write_json_string(out, text),
        YamlValue::Sequence(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_yaml(out, item);
            }
            out.push(']');
        }
        YamlValue::Mapping(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_json_string(out, &json_key(key));
                out.push_str(": ");
                write_yaml(out, item);
            }
            out.push('}');
        }
        YamlValue::Tagged(tagged) => write_yaml(out, &tagged.value),
    }
}

/// The string `json.dumps` makes of a mapping key.
fn json_key(key: &YamlValue) -> String {
    match key {
        YamlValue::String(text) => text.clone(),
        YamlValue::Tagged(tagged) => json_key(&tagged.value),
        other => yaml_to_python_json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_python() {
        let value = serde_json::json!({"b.dvc": [{"changed outs": {"é": "modified"}}], "a": 1});
        assert_eq!(
            to_python_json(&value),
            "{\"b.dvc\": [{\"changed outs\": {\"\\u00e9\": \"modified\"}}], \"a\": 1}"
        );
    }

    #[test]
    fn floats_like_python() {
        let value = serde_json::json!([1e-5, 2.0, 1e16, 0.1, -0.0, 3, u64::MAX, -4]);
        assert_eq!(
            to_python_json(&value),
            "[1e-05, 2.0, 1e+16, 0.1, -0.0, 3, 18446744073709551615, -4]"
        );
    }

    #[test]
    fn yaml_values_match_python_json_dumps() {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/output/values.json"))
                .expect("fixture is json");
        for case in fixtures.as_array().expect("fixture is a list") {
            let yaml = case["yaml"].as_str().expect("yaml");
            let value = dv_schema::yaml::parse(yaml).expect("fixture yaml parses");
            let expected = case["json"].as_str().expect("json");
            assert_eq!(yaml_to_python_json(&value), expected, "json.dumps({yaml})");
        }
    }
}
