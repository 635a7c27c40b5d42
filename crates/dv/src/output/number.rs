//! Numbers as Python writes them (spec §4.4): `repr(float)`, `round(x, n)`, `f"{x:.{p}g}"`
//! and the text of a YAML number, which DVC prints through `str()` and `json.dumps`.
//!
//! Rust's float formatting is exact (shortest round-trip digits for `{:e}`, correctly
//! rounded, ties to even, for a given precision), as CPython's `dtoa` is, so only the layout
//! of the digits is Python's own.

use dv_schema::yaml::Number;

/// The shortest digits that read back as `value` (finite), without sign or point, and the
/// decimal exponent of the first digit: 0.0123 is ("123", -2).
fn shortest_digits(value: f64) -> (String, i32) {
    scientific_digits(&format!("{:e}", value.abs()))
}

/// Splits Rust's `{:e}` text (`1.25e-3`) into digits ("125") and exponent (-3).
fn scientific_digits(text: &str) -> (String, i32) {
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// `digits` × 10^(`exponent` − len + 1) written positionally (`decimal_point` digits before
/// the point), without a trailing point.
fn positional(digits: &str, exponent: i32) -> String {
    let decimal_point = exponent + 1;
    let count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if decimal_point <= 0 {
        let zeros = "0".repeat(usize::try_from(-decimal_point).unwrap_or(0));
        format!("0.{zeros}{digits}")
    } else if decimal_point >= count {
        let zeros = "0".repeat(usize::try_from(decimal_point - count).unwrap_or(0));
        format!("{digits}{zeros}")
    } else {
        let split = usize::try_from(decimal_point).unwrap_or(0);
        format!("{}.{}", &digits[..split], &digits[split..])
    }
}

/// `d[.ddd]e±XX` with at least two exponent digits, as Python writes exponents.
fn exponential(digits: &str, exponent: i32) -> String {
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let fraction = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{first}{fraction}e{sign}{:02}", exponent.unsigned_abs())
}

fn sign(value: f64) -> &'static str {
    if value.is_sign_negative() { "-" } else { "" }
}

/// `repr(value)` (and `str(value)`) in Python: shortest round-trip digits, positional from
/// 1e-4 up to below 1e16 with at least one fractional digit (`2.0`, `0.0001`), otherwise
/// exponential (`1e-05`, `1e+20`, `1.5e+16`); `inf`, `-inf`, `nan`.
pub(crate) fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return format!("{}inf", sign(value));
    }
    let (digits, exponent) = shortest_digits(value);
    let body = if (-4..16).contains(&exponent) {
        let text = positional(&digits, exponent);
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        exponential(&digits, exponent)
    };
    format!("{}{body}", sign(value))
}

/// A float as Python's `json.dumps` writes it (`allow_nan=True`, DVC's setting): `NaN`,
/// `Infinity`, `-Infinity`, otherwise [`float_repr`].
pub(crate) fn float_json(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        format!("{}Infinity", sign(value))
    } else {
        float_repr(value)
    }
}

/// Python's `round(value, ndigits)` for a float: the exact binary value rounded to `ndigits`
/// decimal places (negative: to tens, hundreds, ...), ties to even, read back as a float.
/// NaN and infinities are returned as they are; a zero result keeps the sign of `value`.
/// Where Python raises `OverflowError` (a value near `f64::MAX` rounded up past it) this gives
/// infinity.
pub(crate) fn round(value: f64, ndigits: i32) -> f64 {
    // Python's bounds: beyond them every float is already rounded, or rounds to zero.
    const MAX_DIGITS: i32 = 323;
    const MIN_DIGITS: i32 = -308;
    if !value.is_finite() || ndigits > MAX_DIGITS {
        return value;
    }
    if ndigits < MIN_DIGITS {
        return 0.0 * value;
    }
    let places = usize::try_from(ndigits).unwrap_or(0);
    if ndigits >= 0 {
        return format!("{value:.places$}").parse().unwrap_or(value);
    }
    round_to_power_of_ten(value, ndigits.unsigned_abs())
}

/// `value` rounded to a multiple of 10^`power` (`power` ≥ 1), ties to even.
fn round_to_power_of_ten(value: f64, power: u32) -> f64 {
    let magnitude = value.abs();
    let whole = magnitude.trunc();
    // The fractional part of a float is exact; only whether it is zero matters below.
    let has_fraction = magnitude > whole;
    // Formatting an integral float with no decimals gives its exact digits.
    let digits = format!("{whole:.0}");
    let digits = if digits == "0" { String::new() } else { digits };
    let power = usize::try_from(power).unwrap_or(usize::MAX);
    let (head, tail) = if digits.len() > power {
        digits.split_at(digits.len() - power)
    } else {
        ("", digits.as_str())
    };
    // Compare the dropped part with half of 10^power: "5" then zeros (within `power` digits).
    let half = format!("5{}", "0".repeat(power - 1));
    let tail = format!("{tail:0>power$}");
    let round_up = match tail.as_str().cmp(half.as_str()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            has_fraction || head.as_bytes().last().is_some_and(|digit| digit % 2 == 1)
        }
    };
    let mut head: Vec<u8> = head.bytes().collect();
    if round_up {
        increment_decimal(&mut head);
    }
    if head.is_empty() {
        return 0.0 * value;
    }
    let text = format!("{}{}e{power}", sign(value), String::from_utf8_lossy(&head));
    text.parse().unwrap_or(value)
}

/// Adds one to a string of ASCII decimal digits ("" counts as 0).
fn increment_decimal(digits: &mut Vec<u8>) {
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return;
        }
    }
    digits.insert(0, b'1');
}

/// Python's `f"{value:.{precision}g}"` (DVC's `exp show` metrics): `precision` significant
/// digits (0 counts as 1), correctly rounded; positional when the rounded exponent is from -4
/// up to below `precision`, else exponential; trailing zeros and a bare point removed
/// (`1.0` → `1`, `0.5499999999999999` → `0.55` at 5); `inf`, `-inf`, `nan`, `-0`.
pub(crate) fn format_general(value: f64, precision: usize) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return format!("{}inf", sign(value));
    }
    let precision = precision.max(1);
    let decimals = precision - 1;
    let (digits, exponent) = scientific_digits(&format!("{:.decimals$e}", value.abs()));
    let limit = i32::try_from(precision).unwrap_or(i32::MAX);
    let body = if (-4..limit).contains(&exponent) {
        trim_fraction(positional(&digits, exponent))
    } else {
        let digits = digits.trim_end_matches('0');
        exponential(if digits.is_empty() { "0" } else { digits }, exponent)
    };
    format!("{}{body}", sign(value))
}

/// `text` without trailing zeros after its point, and without a point left bare.
fn trim_fraction(text: String) -> String {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `str()` of a YAML number as Python holds it: integers as digits, floats by [`float_repr`].
pub(crate) fn number_str(number: &Number) -> String {
    match float_of(number) {
        Some(float) => float_repr(float),
        None => number.to_string(),
    }
}

/// A YAML number as `json.dumps` writes it: integers as digits, floats by [`float_json`].
pub(crate) fn number_json(number: &Number) -> String {
    match float_of(number) {
        Some(float) => float_json(float),
        None => number.to_string(),
    }
}

/// The value of a YAML number that Python reads as a float (None for integers).
pub(crate) fn float_of(number: &Number) -> Option<f64> {
    if number.is_f64() {
        number.as_f64()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One float of `floats.json`, with Python's outputs for it.
    struct Case {
        value: f64,
        json: serde_json::Value,
    }

    fn cases() -> Vec<Case> {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/output/floats.json"))
                .expect("fixture is json");
        fixtures
            .as_array()
            .expect("fixture is a list")
            .iter()
            .map(|case| {
                let bits = case["bits"].as_str().expect("bits");
                let bits = u64::from_str_radix(bits, 16).expect("hex bits");
                Case {
                    value: f64::from_bits(bits),
                    json: case.clone(),
                }
            })
            .collect()
    }

    fn text(value: &serde_json::Value) -> &str {
        value.as_str().expect("string in fixture")
    }

    /// The `[argument, expected]` pairs under `key`.
    fn pairs<'a>(case: &'a Case, key: &str) -> Vec<(i64, &'a str)> {
        case.json[key]
            .as_array()
            .expect("list of pairs")
            .iter()
            .map(|pair| (pair[0].as_i64().expect("argument"), text(&pair[1])))
            .collect()
    }

    #[test]
    fn repr_and_json_match_python() {
        let cases = cases();
        assert!(cases.len() > 400);
        for case in &cases {
            assert_eq!(
                float_repr(case.value),
                text(&case.json["repr"]),
                "{:?}",
                case.value
            );
            assert_eq!(
                float_repr(case.value),
                text(&case.json["str"]),
                "{:?}",
                case.value
            );
            assert_eq!(
                float_json(case.value),
                text(&case.json["json"]),
                "{:?}",
                case.value
            );
        }
    }

    #[test]
    fn round_matches_python() {
        for case in &cases() {
            for (ndigits, expected) in pairs(case, "round") {
                let ndigits = i32::try_from(ndigits).expect("small");
                let rounded = round(case.value, ndigits);
                if expected == "OverflowError" {
                    assert!(rounded.is_infinite(), "round({:?}, {ndigits})", case.value);
                } else {
                    assert_eq!(
                        float_repr(rounded),
                        expected,
                        "round({:?}, {ndigits})",
                        case.value
                    );
                }
            }
        }
    }

    #[test]
    fn general_format_matches_python() {
        for case in &cases() {
            for (precision, expected) in pairs(case, "g") {
                let precision = usize::try_from(precision).expect("non-negative");
                assert_eq!(
                    format_general(case.value, precision),
                    expected,
                    "f\"{{{:?}:.{precision}g}}\"",
                    case.value
                );
            }
        }
    }

    #[test]
    fn spec_examples() {
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(1e20), "1e+20");
        assert_eq!(float_repr(1.5e16), "1.5e+16");
        assert_eq!(float_repr(2.0), "2.0");
        assert_eq!(float_repr(round(0.549_999_999_999_999_9, 5)), "0.55");
        assert_eq!(format_general(1.0, 5), "1");
        assert_eq!(float_json(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn yaml_numbers() {
        let value = dv_schema::yaml::parse("[1, -7, 1.0, 1e-05, .nan, 18446744073709551615]")
            .expect("yaml");
        let dv_schema::yaml::Value::Sequence(items) = value else {
            panic!("a list");
        };
        let numbers: Vec<(String, String)> = items
            .iter()
            .map(|item| match item {
                dv_schema::yaml::Value::Number(number) => (number_str(number), number_json(number)),
                other => panic!("not a number: {other:?}"),
            })
            .collect();
        let expected = [
            ("1", "1"),
            ("-7", "-7"),
            ("1.0", "1.0"),
            ("1e-05", "1e-05"),
            ("nan", "NaN"),
            ("18446744073709551615", "18446744073709551615"),
        ];
        for ((text, json), (want_text, want_json)) in numbers.iter().zip(expected) {
            assert_eq!((text.as_str(), json.as_str()), (want_text, want_json));
        }
    }
}
