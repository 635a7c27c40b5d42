//! Parameter and metric values printed as DVC prints them in tables (spec §0.3): Python's
//! `str()` of the value loaded from YAML/JSON/TOML, after `dvc/compare.py:_format_field` has
//! rounded or shortened its floats.
//!
//! At the top level a string prints as it is; inside a list or dict every item prints as its
//! `repr()`: `[64, 32]`, `['a', 'b']`, `{'a': 1, 'b': "it's"}`, `True`, `None`, `nan`.

use dv_schema::yaml::Value;

use super::number::{float_of, float_repr, format_general, number_str, round};
use super::printable::NOT_PRINTABLE;

/// How floats are written, following the arguments DVC passes to `_format_field`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatStyle {
    /// `repr(x)` (no precision, or precision 0).
    Repr,
    /// `round(x, n)` then `repr` (`metrics show`/`metrics diff`, `--precision`, default 5).
    Round(i32),
    /// `f"{x:.{p}g}"`, a string (`exp show`/`exp diff` metrics): inside a list or dict it is
    /// quoted like any string (`['0.1', '2']`).
    Significant(usize),
}

impl FloatStyle {
    /// The style `_format_field(value, precision, round_digits)` applies: none for a missing or
    /// zero precision, else rounding or significant digits.
    pub(crate) fn from_dvc(precision: Option<i32>, round_digits: bool) -> Self {
        match precision {
            None | Some(0) => FloatStyle::Repr,
            Some(digits) if round_digits => FloatStyle::Round(digits),
            // Python rejects a negative precision for `g` (an uncaught error in DVC); here it is 1.
            Some(digits) => FloatStyle::Significant(usize::try_from(digits).unwrap_or(0)),
        }
    }
}

/// `str(value)` in Python.
pub(crate) fn python_str(value: &Value) -> String {
    format_field(value, FloatStyle::Repr)
}

/// `repr(value)` in Python (strings quoted).
pub(crate) fn python_repr(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, FloatStyle::Repr, Nesting::Inner);
    out
}

/// DVC's `_format_field(value, precision, round_digits)`: `str()` of the value with every
/// float in it (not the integers, not dict keys) formatted by `style`.
pub(crate) fn format_field(value: &Value, style: FloatStyle) -> String {
    let mut out = String::new();
    write_value(&mut out, value, style, Nesting::Top);
    out
}

/// Whether a value is printed on its own (`str`) or as part of a container (`repr`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nesting {
    Top,
    Inner,
}

fn write_value(out: &mut String, value: &Value, style: FloatStyle, nesting: Nesting) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(flag) => out.push_str(if *flag { "True" } else { "False" }),
        Value::Number(number) => match (float_of(number), style) {
            (Some(float), FloatStyle::Round(digits)) => {
                out.push_str(&float_repr(round(float, digits)))
            }
            (Some(float), FloatStyle::Significant(precision)) => {
                write_text(out, &format_general(float, precision), nesting);
            }
            _ => out.push_str(&number_str(number)),
        },
        Value::String(text) => write_text(out, text, nesting),
        Value::Sequence(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, style, Nesting::Inner);
            }
            out.push(']');
        }
        Value::Mapping(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_value(out, key, FloatStyle::Repr, Nesting::Inner);
                out.push_str(": ");
                write_value(out, item, style, Nesting::Inner);
            }
            out.push('}');
        }
        Value::Tagged(tagged) => write_value(out, &tagged.value, style, nesting),
    }
}

fn write_text(out: &mut String, text: &str, nesting: Nesting) {
    match nesting {
        Nesting::Top => out.push_str(text),
        Nesting::Inner => write_string_repr(out, text),
    }
}

/// `repr(text)` in Python: single quotes unless the text holds a single quote and no double
/// quote; backslash, the quote, `\t`, `\n`, `\r` escaped; other characters Python does not
/// count as printable as `\xHH`, `\uHHHH` or `\UHHHHHHHH`.
pub(crate) fn string_repr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    write_string_repr(&mut out, text);
    out
}

fn write_string_repr(out: &mut String, text: &str) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if ch == quote => {
                out.push('\\');
                out.push(ch);
            }
            _ if is_printable(ch) => out.push(ch),
            _ => {
                let code = u32::from(ch);
                let escaped = if code <= 0xff {
                    format!("\\x{code:02x}")
                } else if code <= 0xffff {
                    format!("\\u{code:04x}")
                } else {
                    format!("\\U{code:08x}")
                };
                out.push_str(&escaped);
            }
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable()` for one character (Unicode of the Python that runs dvc).
fn is_printable(ch: char) -> bool {
    let code = u32::from(ch);
    if (0x20..0x7f).contains(&code) {
        return true;
    }
    let index = NOT_PRINTABLE.partition_point(|(_, end)| *end < code);
    NOT_PRINTABLE
        .get(index)
        .is_none_or(|(start, _)| code < *start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &serde_json::Value) -> &str {
        value.as_str().expect("string in fixture")
    }

    #[test]
    fn matches_python_str_and_dvc_format_field() {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/output/values.json"))
                .expect("fixture is json");
        let cases = fixtures.as_array().expect("fixture is a list");
        assert!(cases.len() > 50);
        for case in cases {
            let yaml = text(&case["yaml"]);
            let value = dv_schema::yaml::parse(yaml).expect("fixture yaml parses");
            assert_eq!(python_str(&value), text(&case["str"]), "str({yaml})");
            for field in case["fields"].as_array().expect("fields") {
                let precision = field[0].as_i64().and_then(|p| i32::try_from(p).ok());
                let round_digits = field[1].as_bool().expect("round_digits");
                let style = FloatStyle::from_dvc(precision, round_digits);
                assert_eq!(
                    format_field(&value, style),
                    text(&field[2]),
                    "_format_field({yaml}, {precision:?}, {round_digits})"
                );
            }
        }
    }

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(string_repr("a"), "'a'");
        assert_eq!(string_repr("it's"), "\"it's\"");
        assert_eq!(string_repr("'\""), "'\\'\"'");
        assert_eq!(
            string_repr("a\\b\u{0}\u{7f}\u{85}\u{a0}é\u{200b}"),
            "'a\\\\b\\x00\\x7f\\x85\\xa0é\\u200b'"
        );
        assert_eq!(string_repr("\u{e0001}👍"), "'\\U000e0001👍'");
        let value = dv_schema::yaml::parse("[a, 1]").expect("yaml");
        assert_eq!(python_repr(&value), "['a', 1]");
        assert_eq!(python_repr(&Value::String("x".into())), "'x'");
    }
}
