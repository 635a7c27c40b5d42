//! `${...}` expressions in `dvc.yaml` (spec §7.2): finding them, checking their syntax, and
//! turning values into the text that replaces them.
//!
//! DVC finds expressions with the regex `(?<!\\)\${(?P<inner>.*?)}` and parses the inner text as
//! `word ("." word | "[" word "]")*` where a word is any run of characters other than `.`, `[`
//! and `]`; `a[0].b` is looked up as `a.0.b`. `\${` escapes a literal `${`.

use dv_schema::yaml::{Value, python_float_repr};

/// One `${...}` in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Match {
    /// Byte range of the whole `${...}`.
    pub start: usize,
    pub end: usize,
    /// The text between the braces.
    pub inner: String,
}

/// The `${...}` expressions of `text`, left to right.
pub(crate) fn matches(text: &str) -> Vec<Match> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut position = 0;
    while let Some(offset) = text[position..].find("${") {
        let start = position + offset;
        if start > 0 && bytes[start - 1] == b'\\' {
            position = start + 1;
            continue;
        }
        let body = start + 2;
        match text[body..].find(['}', '\n']) {
            Some(close) if bytes[body + close] == b'}' => {
                found.push(Match {
                    start,
                    end: body + close + 1,
                    inner: text[body..body + close].to_owned(),
                });
                position = body + close + 1;
            }
            _ => position = start + 1,
        }
    }
    found
}

/// Whether `text` contains an expression.
pub(crate) fn is_interpolated(text: &str) -> bool {
    !matches(text).is_empty()
}

/// An expression DVC's grammar rejects, with pyparsing's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// `${expr}`, a caret line and `ParseException: ...`, as DVC prints it.
    pub message: String,
}

/// Parses an expression: the dotted key it selects (`a[0].b` → `a.0.b`).
pub(crate) fn parse_expression(inner: &str) -> Result<String, SyntaxError> {
    let chars: Vec<char> = inner.chars().collect();
    let is_word = |ch: char| !matches!(ch, '.' | '[' | ']');
    let word_end = |start: usize| {
        let mut end = start;
        while end < chars.len() && is_word(chars[end]) {
            end += 1;
        }
        end
    };
    let fail = |at: usize, expected: &str| {
        // positions count from the `${` DVC puts back in front of the expression
        let embraced: Vec<char> = format!("${{{inner}}}").chars().collect();
        let location = at + 2;
        let found = embraced.get(location).copied().unwrap_or('}');
        SyntaxError {
            message: format!(
                "${{{inner}}}\n{}^\nParseException: {expected}, found '{found}'  (at char {location}), (line:1, col:{})",
                " ".repeat(location),
                location + 1
            ),
        }
    };
    let first_end = word_end(0);
    if first_end == 0 {
        return Err(fail(0, "Expected !W:(.[])"));
    }
    let mut parts: Vec<String> = vec![chars[..first_end].iter().collect()];
    let mut index = first_end;
    let mut after_index = false;
    while index < chars.len() {
        if after_index {
            // pyparsing skips whitespace before `.`, `[` and the end, which only matters after
            // a `]` (a word takes the whitespace that follows it)
            while index < chars.len() && matches!(chars[index], ' ' | '\t' | '\n' | '\r') {
                index += 1;
            }
            if index == chars.len() {
                break;
            }
        }
        after_index = false;
        let segment_start = index;
        match chars[index] {
            '.' => {
                let end = word_end(index + 1);
                if end == index + 1 {
                    return Err(fail(segment_start, "Expected end of text"));
                }
                parts.push(chars[index + 1..end].iter().collect());
                index = end;
            }
            '[' => {
                let end = word_end(index + 1);
                if end == index + 1 || chars.get(end) != Some(&']') {
                    return Err(fail(segment_start, "Expected end of text"));
                }
                parts.push(chars[index + 1..end].iter().collect());
                index = end + 1;
                after_index = true;
            }
            _ => return Err(fail(segment_start, "Expected end of text")),
        }
    }
    Ok(parts.join("."))
}

/// How dict values expand into command-line flags (the `parsing` section of the config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParsingConfig {
    /// `parsing.bool = boolean_optional`: `false` gives `--no-<key>` instead of nothing.
    pub bool_optional: bool,
    /// `parsing.list = append`: `--k a --k b` instead of `--k a b`.
    pub list_append: bool,
}

/// Why a value cannot be put into a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValueError(pub String);

/// The text of `value` inside a larger string (DVC's `to_str`): booleans as `true`/`false`,
/// `None` as `None`, floats as Python prints them, dicts as command-line flags.
pub(crate) fn to_text(value: &Value, config: ParsingConfig) -> Result<String, ValueError> {
    match value {
        Value::Bool(flag) => Ok(if *flag { "true" } else { "false" }.to_owned()),
        Value::Mapping(_) => dict_flags(value, config),
        other => Ok(python_str(other)),
    }
}

/// Python's `str()` of a loaded value.
pub(crate) fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => python_repr(other),
    }
}

/// Python's `repr()` of a loaded value.
pub(crate) fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(flag) => if *flag { "True" } else { "False" }.to_owned(),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                int.to_string()
            } else if let Some(int) = number.as_u64() {
                int.to_string()
            } else {
                match number.as_f64() {
                    Some(float) if float.is_nan() => "nan".to_owned(),
                    Some(float) if float.is_infinite() => {
                        if float > 0.0 { "inf" } else { "-inf" }.to_owned()
                    }
                    Some(float) => python_float_repr(float),
                    None => number.to_string(),
                }
            }
        }
        Value::String(text) => dv_schema::shown::python_repr(text),
        Value::Sequence(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Mapping(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(key, value)| format!("{}: {}", python_repr(key), python_repr(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(tagged) => python_repr(&tagged.value),
    }
}

/// Python's `shlex.quote`.
pub(crate) fn shell_quote(text: &str) -> String {
    if text.is_empty() {
        return "''".to_owned();
    }
    let safe = text
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || "_@%+=:,./-".contains(ch));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\"'\"'"))
    }
}

/// `flatten_dict.flatten(d, reducer="dot")`: nested mappings become dotted keys, empty nested
/// mappings disappear, lists are leaves.
fn flatten(value: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
    if let Value::Mapping(map) = value {
        for (key, child) in map {
            let key = python_str(key);
            let full = if prefix.is_empty() {
                key
            } else {
                format!("{prefix}.{key}")
            };
            match child {
                Value::Mapping(_) => flatten(child, &full, out),
                other => out.push((full, other.clone())),
            }
        }
    }
}

/// A dict interpolated into `cmd`: `--key value` flags (DVC's `to_str` for dicts).
fn dict_flags(value: &Value, config: ParsingConfig) -> Result<String, ValueError> {
    let mut flat = Vec::new();
    flatten(value, "", &mut flat);
    let mut result = String::new();
    for (key, value) in flat {
        match &value {
            Value::Bool(true) => result.push_str(&format!("--{key} ")),
            Value::Bool(false) => {
                if config.bool_optional {
                    result.push_str(&format!("--no-{key} "));
                }
            }
            Value::String(text) => result.push_str(&format!("--{key} {} ", shell_quote(text))),
            Value::Sequence(items) => {
                for (index, item) in items.iter().enumerate() {
                    let text = match item {
                        Value::String(text) => shell_quote(text),
                        Value::Sequence(_) | Value::Mapping(_) => {
                            return Err(ValueError(format!(
                                "Cannot interpolate nested iterable in '{key}'"
                            )));
                        }
                        other => python_str(other),
                    };
                    if config.list_append || index == 0 {
                        result.push_str(&format!("--{key} {text} "));
                    } else {
                        result.push_str(&format!("{text} "));
                    }
                }
            }
            other => result.push_str(&format!("--{key} {} ", python_str(other))),
        }
    }
    Ok(result.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_schema::yaml::parse;

    #[test]
    fn finds_expressions() {
        let found = matches("a ${x} \\${y} ${z.w[0]}${}");
        let inners: Vec<&str> = found.iter().map(|m| m.inner.as_str()).collect();
        assert_eq!(inners, ["x", "z.w[0]", ""]);
        assert!(matches("${a\nb}").is_empty());
        assert_eq!(matches("${a\n${b}")[0].inner, "b");
        assert!(!is_interpolated("plain $x {y}"));
    }

    #[test]
    fn parses_like_pyparsing() {
        assert_eq!(parse_expression("a[0].b").as_deref(), Ok("a.0.b"));
        assert_eq!(parse_expression("a.b[1][2]").as_deref(), Ok("a.b.1.2"));
        assert_eq!(parse_expression(" a ").as_deref(), Ok(" a "));
        assert_eq!(
            parse_expression("a..b").expect_err("invalid").message,
            "${a..b}\n   ^\nParseException: Expected end of text, found '.'  (at char 3), (line:1, col:4)"
        );
        assert_eq!(
            parse_expression("").expect_err("invalid").message,
            "${}\n  ^\nParseException: Expected !W:(.[]), found '}'  (at char 2), (line:1, col:3)"
        );
        assert_eq!(
            parse_expression("a[0]b").expect_err("invalid").message,
            "${a[0]b}\n      ^\nParseException: Expected end of text, found 'b'  (at char 6), (line:1, col:7)"
        );
        assert_eq!(parse_expression(" l[-1].b[0] ").as_deref(), Ok(" l.-1.b.0"));
        assert_eq!(parse_expression("a[0] .b").as_deref(), Ok("a.0.b"));
        assert_eq!(
            parse_expression("a[0]  x").expect_err("invalid").message,
            "${a[0]  x}\n        ^\nParseException: Expected end of text, found 'x'  (at char 8), (line:1, col:9)"
        );
        assert!(parse_expression("a[]").is_err());
        assert!(parse_expression("a[b.c]").is_err());
    }

    #[test]
    fn values_as_text() {
        let config = ParsingConfig::default();
        let text = |yaml: &str| to_text(&parse(yaml).expect("yaml"), config).expect("text");
        assert_eq!(text("true"), "true");
        assert_eq!(text("1e-05"), "1e-05");
        assert_eq!(text("~"), "None");
        assert_eq!(text("[a, 1, true]"), "['a', 1, True]");
        assert_eq!(
            text("{a: 1, b: {c: x y, d: true, e: false, f: {}}, l: [1, s t], n: ~}"),
            "--a 1 --b.c 'x y' --b.d --l 1 's t' --n None"
        );
        let append = ParsingConfig {
            bool_optional: true,
            list_append: true,
        };
        assert_eq!(
            to_text(&parse("{e: false, l: [1, 2]}").expect("yaml"), append).expect("text"),
            "--no-e --l 1 --l 2"
        );
        assert!(to_text(&parse("{l: [[1]]}").expect("yaml"), config).is_err());
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote("a/b.c-d"), "a/b.c-d");
    }
}
