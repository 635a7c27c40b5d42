//! `--json` output written like Python's `json.dumps` (separators `", "` and `": "`, non-ASCII
//! escaped), which is what DVC prints.

use serde_json::Value;

/// `value` as `json.dumps(value)` would write it.
pub fn to_python_json(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

fn write(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => dv_schema::dir_manifest::write_json_string(out, s),
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
                dv_schema::dir_manifest::write_json_string(out, key);
                out.push_str(": ");
                write(out, item);
            }
            out.push('}');
        }
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
}
