//! DVC's update of a YAML file it read: merging the new content into the old value the way
//! ruamel's round-trip mode does, and writing the text that keeps what DVC keeps.

use super::emitter::to_string;
use super::reader::{YamlError, parse};
use yaml_serde::Value;

/// Recursively merges `src` into `dest` the way DVC updates a file it re-parsed in round-trip
/// mode: keys present in both keep their position in `dest` (containers of the same kind are
/// merged recursively, scalars replaced when different), keys only in `src` are appended at the
/// end, keys only in `dest` are removed, and lists whose length changed are replaced wholesale.
pub fn apply_diff(src: &Value, dest: &mut Value) {
    match (src, dest) {
        (Value::Mapping(src), Value::Mapping(dest)) => {
            for (key, value) in src {
                match dest.get_mut(key) {
                    Some(existing) if is_container(value) && same_kind(value, existing) => {
                        apply_diff(value, existing);
                    }
                    Some(existing) => {
                        if !python_eq(value, existing) {
                            *existing = value.clone();
                        }
                    }
                    None => {
                        dest.insert(key.clone(), value.clone());
                    }
                }
            }
            let stale: Vec<Value> = dest
                .keys()
                .filter(|key| !src.contains_key(*key))
                .cloned()
                .collect();
            for key in stale {
                dest.shift_remove(&key);
            }
        }
        (Value::Sequence(src), Value::Sequence(dest)) => {
            if src.len() != dest.len() {
                dest.clone_from(src);
                return;
            }
            for (value, existing) in src.iter().zip(dest.iter_mut()) {
                if is_container(value) && same_kind(value, existing) {
                    apply_diff(value, existing);
                } else if !python_eq(value, existing) {
                    *existing = value.clone();
                }
            }
        }
        (src, dest) => *dest = src.clone(),
    }
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Mapping(_) | Value::Sequence(_))
}

fn same_kind(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Mapping(_), Value::Mapping(_)) | (Value::Sequence(_), Value::Sequence(_))
    )
}

/// Python `==` on loaded YAML values: numbers compare by value across int/float, and `True == 1`.
pub fn python_eq(a: &Value, b: &Value) -> bool {
    fn numeric(value: &Value) -> Option<f64> {
        match value {
            Value::Bool(flag) => Some(if *flag { 1.0 } else { 0.0 }),
            Value::Number(number) => number.as_f64(),
            _ => None,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => numeric(a) == numeric(b),
            },
        },
        (Value::Bool(_), Value::Number(_)) | (Value::Number(_), Value::Bool(_)) => {
            numeric(a) == numeric(b)
        }
        (Value::Sequence(x), Value::Sequence(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| python_eq(x, y))
        }
        (Value::Mapping(x), Value::Mapping(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| python_eq(value, other)))
        }
        (Value::Tagged(x), Value::Tagged(y)) => x.tag == y.tag && python_eq(&x.value, &y.value),
        _ => a == b,
    }
}

/// What [`update_text`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatedText {
    /// The new text.
    pub text: String,
    /// Whether everything of the previous text that DVC keeps (comments, formatting of unchanged
    /// values) was kept. False when the previous text was not canonical and could only be
    /// re-emitted from scratch, dropping its comments.
    pub kept_formatting: bool,
}

/// The text DVC writes when it updates a file whose text is `previous` with the content `new`:
/// `previous` is re-parsed, `new` merged in with [`apply_diff`] and the result written.
///
/// When `previous` is in canonical form (exactly what [`to_string`] writes for it), the result
/// is [`to_string`] of the merged value, byte-identical to DVC. Otherwise the changes are applied
/// to the text in place, keeping comments and the formatting of untouched parts as DVC does; the
/// edited text is re-parsed and used only if it reads back to exactly the merged value, else the
/// merged value is re-emitted from scratch (comments lost, `kept_formatting` false).
pub fn update_text(previous: &str, new: &Value) -> Result<UpdatedText, YamlError> {
    let old = parse(previous)?;
    let mut merged = old.clone();
    apply_diff(new, &mut merged);
    let canonical = to_string(&merged);
    if to_string(&old) == previous {
        return Ok(UpdatedText {
            text: canonical,
            kept_formatting: true,
        });
    }
    if let Some(text) = super::roundtrip::reemit(previous, &old, &merged) {
        return Ok(UpdatedText {
            text,
            kept_formatting: true,
        });
    }
    if let Some(text) = super::edit::edit_in_place(previous, &old, &merged)
        && parse(&text).is_ok_and(|reparsed| to_string(&reparsed) == canonical)
    {
        return Ok(UpdatedText {
            text,
            kept_formatting: true,
        });
    }
    Ok(UpdatedText {
        text: canonical,
        kept_formatting: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::test_values::{mapping, string};

    #[test]
    fn apply_diff_keeps_order_and_appends() {
        let mut dest = parse("outs:\n- md5: dd8c6a395b5dd36c56d23275028f526c\n  size: 6\n  path: crlf.txt\n  extra: 1\n")
            .expect("valid yaml");
        let src = mapping(&[(
            "outs",
            Value::Sequence(vec![mapping(&[
                ("md5", string("34f5e296d915dd7ced8c96e9a18fc554")),
                ("size", Value::Number(6.into())),
                ("hash", string("md5")),
                ("path", string("crlf.txt")),
            ])]),
        )]);
        apply_diff(&src, &mut dest);
        assert_eq!(
            to_string(&dest),
            "outs:\n- md5: 34f5e296d915dd7ced8c96e9a18fc554\n  size: 6\n  path: crlf.txt\n  hash: md5\n"
        );
    }

    #[test]
    fn update_text_keeps_comments_when_adding_nested_values() {
        let previous = "# c\nouts:\n- md5: b1946ac92492d2347c6235b4d2611184 # x\n  size: 6\n  hash: md5\n  path: a.txt\n";
        let mut new = parse(previous).expect("valid yaml");
        let Value::Mapping(root) = &mut new else {
            panic!("mapping");
        };
        let Some(Value::Sequence(outs)) = root.get_mut("outs") else {
            panic!("outs");
        };
        let Value::Mapping(out) = &mut outs[0] else {
            panic!("out");
        };
        let cloud = parse("vr:\n  etag: b1946ac92492d2347c6235b4d2611184\n  version_id: '123'\n")
            .expect("valid yaml");
        out.insert(string("cloud"), cloud);
        let updated = update_text(previous, &new).expect("valid previous");
        assert!(updated.kept_formatting);
        assert!(
            updated
                .text
                .starts_with("# c\nouts:\n- md5: b1946ac92492d2347c6235b4d2611184 # x\n"),
            "{}",
            updated.text
        );
        assert_eq!(
            to_string(&parse(&updated.text).expect("valid output")),
            to_string(&new)
        );

        // canonical input: exactly the canonical output
        let canonical = to_string(&parse(previous.trim_start_matches("# c\n")).expect("valid"));
        let updated = update_text(&canonical, &new).expect("valid previous");
        assert_eq!(updated.text, to_string(&new));
    }
}
