//! Scalars as ruamel represents them: the text of a value, and whether that text read back as
//! a plain scalar resolves to a string under YAML 1.2's implicit resolvers (otherwise the
//! emitter must quote it).

use yaml_serde::{Number, Value};

/// A value as ruamel would represent it: the scalar text and whether the text, read back as a
/// plain scalar, resolves to the same type (`implicit[0]` in ruamel's serializer).
pub(super) struct ScalarText {
    pub(super) text: String,
    pub(super) plain_implicit: bool,
}

pub(super) fn represent_scalar(value: &Value, root: bool) -> ScalarText {
    match value {
        Value::Null => ScalarText {
            text: if root {
                "null".to_owned()
            } else {
                String::new()
            },
            plain_implicit: true,
        },
        Value::Bool(flag) => ScalarText {
            text: if *flag { "true" } else { "false" }.to_owned(),
            plain_implicit: true,
        },
        Value::Number(number) => ScalarText {
            text: number_text(number),
            plain_implicit: true,
        },
        Value::String(text) => ScalarText {
            plain_implicit: resolves_to_str(text),
            text: text.clone(),
        },
        // Collections and tags never reach here: `Emitter::node` handles them.
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => ScalarText {
            text: String::new(),
            plain_implicit: true,
        },
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
        Some(float) => python_float_repr(float),
        None => number.to_string(),
    }
}

/// `repr(float).lower()` as ruamel's representer writes floats (`0.1`, `1e-05`, `1e+16`,
/// `100.0`), with `.nan`/`.inf`/`-.inf` for the special values.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return ".nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    // Rust's `{:e}` prints the shortest digits that round-trip, like Python's repr.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.is_empty() {
        "0".to_owned()
    } else {
        digits
    };
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let decimal_point = exponent + 1;
    let body = if (-3..=16).contains(&decimal_point) {
        let count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
        if decimal_point <= 0 {
            let zeros = "0".repeat(usize::try_from(-decimal_point).unwrap_or(0));
            format!("0.{zeros}{digits}")
        } else if decimal_point >= count {
            let zeros = "0".repeat(usize::try_from(decimal_point - count).unwrap_or(0));
            format!("{digits}{zeros}.0")
        } else {
            let split = usize::try_from(decimal_point).unwrap_or(0);
            format!("{}.{}", &digits[..split], &digits[split..])
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{fraction}e{exponent_sign}{:02}", exponent.abs())
    };
    format!("{sign}{body}")
}

/// Whether a plain scalar `text` would be read back as a string under ruamel's YAML 1.2
/// implicit resolvers (otherwise it must be quoted).
fn resolves_to_str(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false; // "" is null
    };
    let bytes = text.as_bytes();
    let resolves_elsewhere = match first {
        't' | 'T' | 'f' | 'F' => {
            matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
        }
        '~' => text == "~",
        'n' | 'N' => matches!(text, "null" | "Null" | "NULL"),
        '<' => text == "<<",
        '=' => text == "=",
        '!' | '&' | '*' => text.len() == 1,
        '.' => is_yaml12_float(bytes),
        '-' | '+' => is_yaml12_float(bytes) || is_yaml12_int(bytes),
        '0'..='9' => is_yaml12_float(bytes) || is_yaml12_int(bytes) || is_timestamp(bytes),
        _ => false,
    };
    !resolves_elsewhere
}

/// Counts leading bytes of `bytes[start..]` accepted by `accept`.
fn span(bytes: &[u8], start: usize, accept: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(start..)
        .map_or(0, |rest| rest.iter().take_while(|b| accept(**b)).count())
}

fn skip_sign(bytes: &[u8]) -> usize {
    usize::from(matches!(bytes.first(), Some(b'-' | b'+')))
}

/// `[eE][-+]?[0-9]+` (sign optional) or `[eE][-+][0-9]+` (sign required) at `at`, to the end.
fn is_exponent_tail(bytes: &[u8], at: usize, sign_required: bool) -> bool {
    if !matches!(bytes.get(at), Some(b'e' | b'E')) {
        return false;
    }
    let mut position = at + 1;
    if matches!(bytes.get(position), Some(b'-' | b'+')) {
        position += 1;
    } else if sign_required {
        return false;
    }
    let digits = span(bytes, position, |b| b.is_ascii_digit());
    digits > 0 && position + digits == bytes.len()
}

fn is_yaml12_float(bytes: &[u8]) -> bool {
    let is_digit_or_underscore = |b: u8| b.is_ascii_digit() || b == b'_';
    let start = skip_sign(bytes);
    let rest = &bytes[start..];
    // [-+]?\.(inf|Inf|INF) and \.(nan|NaN|NAN)
    if matches!(rest, b".inf" | b".Inf" | b".INF") {
        return true;
    }
    if start == 0 && matches!(rest, b".nan" | b".NaN" | b".NAN") {
        return true;
    }
    if rest.first() == Some(&b'.') {
        // [-+]?\.[0-9_]+([eE][-+][0-9]+)?
        let count = span(bytes, start + 1, is_digit_or_underscore);
        if count == 0 {
            return false;
        }
        let end = start + 1 + count;
        return end == bytes.len() || is_exponent_tail(bytes, end, true);
    }
    if !rest.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    // [0-9][0-9_]* then either \.[0-9_]*(exp)? or (exp)
    let end = start + 1 + span(bytes, start + 1, is_digit_or_underscore);
    if bytes.get(end) == Some(&b'.') {
        let after = end + 1 + span(bytes, end + 1, is_digit_or_underscore);
        return after == bytes.len() || is_exponent_tail(bytes, after, false);
    }
    is_exponent_tail(bytes, end, false)
}

fn is_yaml12_int(bytes: &[u8]) -> bool {
    let start = skip_sign(bytes);
    let rest = &bytes[start..];
    let all = |body: &[u8], accept: &dyn Fn(u8) -> bool| {
        !body.is_empty() && body.iter().all(|b| accept(*b))
    };
    if let Some(body) = rest.strip_prefix(b"0b")
        && all(body, &|b| matches!(b, b'0' | b'1' | b'_'))
    {
        return true;
    }
    if let Some(body) = rest.strip_prefix(b"0x")
        && all(body, &|b| b.is_ascii_hexdigit() || b == b'_')
    {
        return true;
    }
    if let Some(body) = rest.strip_prefix(b"0o")
        && all(body, &|b| matches!(b, b'0'..=b'7' | b'_'))
    {
        return true;
    }
    all(rest, &|b| b.is_ascii_digit() || b == b'_')
}

/// ruamel's timestamp resolver (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`, ...).
fn is_timestamp(bytes: &[u8]) -> bool {
    let digit = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_digit);
    if !(0..4).all(digit) || bytes.get(4) != Some(&b'-') {
        return false;
    }
    if bytes.len() == 10
        && digit(5)
        && digit(6)
        && bytes.get(7) == Some(&b'-')
        && digit(8)
        && digit(9)
    {
        return true;
    }
    // [0-9][0-9]? twice, separated by '-'
    let mut at = 5;
    let one_or_two = |at: &mut usize| -> bool {
        if !digit(*at) {
            return false;
        }
        *at += 1;
        if digit(*at) {
            *at += 1;
        }
        true
    };
    if !one_or_two(&mut at) || bytes.get(at) != Some(&b'-') {
        return false;
    }
    at += 1;
    if !one_or_two(&mut at) {
        return false;
    }
    // (?:[Tt]|[ \t]+)
    match bytes.get(at) {
        Some(b'T' | b't') => at += 1,
        Some(b' ' | b'\t') => at += span(bytes, at, |b| b == b' ' || b == b'\t'),
        _ => return false,
    }
    if !one_or_two(&mut at) || bytes.get(at) != Some(&b':') || !digit(at + 1) || !digit(at + 2) {
        return false;
    }
    at += 3;
    if bytes.get(at) != Some(&b':') || !digit(at + 1) || !digit(at + 2) {
        return false;
    }
    at += 3;
    if bytes.get(at) == Some(&b'.') {
        at += 1 + span(bytes, at + 1, |b| b.is_ascii_digit());
    }
    if at == bytes.len() {
        return true;
    }
    // (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    at += span(bytes, at, |b| b == b' ' || b == b'\t');
    match bytes.get(at) {
        Some(b'Z') => at + 1 == bytes.len(),
        Some(b'-' | b'+') => {
            at += 1;
            if !one_or_two(&mut at) {
                return false;
            }
            if at == bytes.len() {
                return true;
            }
            bytes.get(at) == Some(&b':') && digit(at + 1) && digit(at + 2) && at + 3 == bytes.len()
        }
        _ => false,
    }
}

pub(super) fn represent_key(key: &Value) -> ScalarText {
    match key {
        Value::Sequence(_) | Value::Mapping(_) => ScalarText {
            // Complex keys never occur in DVC's files; write them as their debug text.
            text: format!("{key:?}"),
            plain_implicit: false,
        },
        Value::Tagged(tagged) => represent_key(&tagged.value),
        scalar => represent_scalar(scalar, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (1.5e300, "1.5e+300"),
            (123456789.125, "123456789.125"),
            (-0.0, "-0.0"),
            (f64::INFINITY, ".inf"),
            (f64::NEG_INFINITY, "-.inf"),
            (f64::NAN, ".nan"),
        ];
        for (value, expected) in cases {
            assert_eq!(python_float_repr(value), expected, "{value}");
        }
    }

    #[test]
    fn plain_scalars_that_resolve_elsewhere_are_quoted() {
        for text in [
            "123",
            "012",
            "0x1F",
            "1e3",
            "true",
            "null",
            "~",
            "1.5",
            ".5",
            "-1",
            "+1",
            "0b11",
            "0o17",
            ".inf",
            "2001-12-14",
            "2001-12-14 21:59:43.10 -5",
            "=",
            "<<",
            "",
            "._",
            "-_",
        ] {
            assert!(!resolves_to_str(text), "{text}");
        }
        for text in [
            "on", "yes", "no", "off", "x y", "abc", "1.2.3", "-dash", "2001-1-1", "1e", "e5", "0x",
            "0o", "_1", "nan", "inf",
        ] {
            assert!(resolves_to_str(text), "{text}");
        }
    }
}
