//! The text of Python's `json.dumps(value, sort_keys=True)` for a loaded YAML value (spec §9.4,
//! §13.3).
//!
//! DVC hashes such text for run-cache keys and values and for the `md5` of import stages, so it
//! must be byte-identical to Python's: separators `", "` and `": "`, keys sorted by code point,
//! `ensure_ascii` escapes (`\uXXXX`, lower-case hex, surrogate pairs), integers as integers,
//! floats as Python's `repr` (`0.1`, `1e-05`, `1e+16`, `100.0`, `NaN`, `Infinity`), `true`,
//! `false` and `null`.

use crate::dir_manifest::write_json_string;
use crate::yaml::{Number, Value, python_float_repr};

/// `json.dumps(value, sort_keys=True)` as Python writes it.
pub fn dumps_sorted(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, true);
    out
}

/// `json.dumps(value)` as Python writes it: keys in their order.
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, false);
    out
}

fn write_value(out: &mut String, value: &Value, sort: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number_text(number)),
        Value::String(text) => write_json_string(out, text),
        Value::Sequence(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, sort);
            }
            out.push(']');
        }
        Value::Mapping(map) => {
            let mut entries: Vec<(SortKey, &Value)> = map
                .iter()
                .map(|(key, value)| (SortKey::of(key), value))
                .collect();
            if sort {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            out.push('{');
            for (index, (key, value)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_json_string(out, &key.text);
                out.push_str(": ");
                write_value(out, value, sort);
            }
            out.push('}');
        }
        Value::Tagged(tagged) => write_value(out, &tagged.value, sort),
    }
}

/// A mapping key as `json.dumps` writes it (non-string keys become their JSON text) and the
/// order `sort_keys` gives it: numbers by value, strings by code point.
struct SortKey {
    number: Option<f64>,
    text: String,
}

impl SortKey {
    fn of(key: &Value) -> SortKey {
        match key {
            Value::Number(number) => SortKey {
                number: number.as_f64(),
                text: number_text(number),
            },
            Value::String(text) => SortKey {
                number: None,
                text: text.clone(),
            },
            Value::Bool(flag) => SortKey {
                number: Some(if *flag { 1.0 } else { 0.0 }),
                text: if *flag { "true" } else { "false" }.to_owned(),
            },
            Value::Null => SortKey {
                number: None,
                text: "null".to_owned(),
            },
            Value::Tagged(tagged) => SortKey::of(&tagged.value),
            // Python cannot use a list or dict as a key; keep some deterministic order.
            Value::Sequence(_) | Value::Mapping(_) => SortKey {
                number: None,
                text: dumps_sorted(key),
            },
        }
    }

    fn cmp(&self, other: &SortKey) -> std::cmp::Ordering {
        match (self.number, other.number) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            _ => self.text.cmp(&other.text),
        }
    }
}

fn number_text(number: &Number) -> String {
    if let Some(int) = number.as_i64() {
        return int.to_string();
    }
    if let Some(int) = number.as_u64() {
        return int.to_string();
    }
    match number.as_f64() {
        Some(float) if float.is_nan() => "NaN".to_owned(),
        Some(float) if float.is_infinite() => {
            if float > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
        }
        Some(float) => python_float_repr(float),
        None => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn matches_python_json_dumps() {
        let value = parse(
            "b: 1\na: [0.1, 1.0e-05, 100.0, true, null, 'é', \"x\\ny\"]\nc: {z: 1, y: -2.5}\n",
        )
        .expect("valid yaml");
        assert_eq!(
            dumps_sorted(&value),
            r#"{"a": [0.1, 1e-05, 100.0, true, null, "\u00e9", "x\ny"], "b": 1, "c": {"y": -2.5, "z": 1}}"#
        );
    }

    #[test]
    fn special_floats_and_big_numbers() {
        let value = parse("a: .inf\nb: -.inf\nc: 1e16\nd: 18446744073709551615\n").expect("yaml");
        assert_eq!(
            dumps_sorted(&value),
            r#"{"a": Infinity, "b": -Infinity, "c": 1e+16, "d": 18446744073709551615}"#
        );
    }

    #[test]
    fn keys_sort_by_code_point() {
        let value = parse("b: 1\nB: 2\n_: 3\né: 4\na-b: 5\na/b: 6\n").expect("yaml");
        assert_eq!(
            dumps_sorted(&value),
            r#"{"B": 2, "_": 3, "a-b": 5, "a/b": 6, "b": 1, "\u00e9": 4}"#
        );
    }
}
