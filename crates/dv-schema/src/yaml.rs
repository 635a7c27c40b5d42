//! YAML as DVC reads and writes it: parsing with positions, a ruamel.yaml-compatible emitter and
//! DVC's in-place update (`apply_diff`) (spec §4.4, §13.5, §13.6).
//!
//! DVC dumps its generated files (`.dvc`, `dvc.lock`) with ruamel.yaml's round-trip dumper
//! (block style, 2-space indent, sequences not indented under their key, YAML 1.2 quoting rules,
//! lines folded at 80 columns). [`to_string`] ports the parts of ruamel's emitter those files
//! use — block mappings and sequences, empty flow collections, scalars in plain, single- and
//! double-quoted style with ruamel's folding — so that its output is byte-identical to DVC's.
//! Comments, anchors, tags and block scalars (`|`, `>`) are never produced.

pub use yaml_serde::{Mapping, Number, Value};

/// A YAML document that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// The parser's message (it includes the position when known).
    pub message: String,
    /// 1-based line of the error, when known.
    pub line: Option<usize>,
    /// 1-based column of the error, when known.
    pub column: Option<usize>,
}

impl YamlError {
    pub(crate) fn from_serde(error: &yaml_serde::Error) -> YamlError {
        let location = error.location();
        let line = location.as_ref().map(yaml_serde::Location::line);
        let column = location.as_ref().map(yaml_serde::Location::column);
        YamlError {
            message: crate::yaml_nesting::serde_message(error, line, column),
            line,
            column,
        }
    }
}

impl From<crate::yaml_nesting::TooDeep> for YamlError {
    fn from(error: crate::yaml_nesting::TooDeep) -> YamlError {
        YamlError {
            message: error.message(),
            line: Some(error.line),
            column: Some(error.column),
        }
    }
}

/// Parses `text` into an order-preserving value tree (an empty document is `null`).
pub fn parse(text: &str) -> Result<Value, YamlError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    crate::yaml_nesting::check_flow_nesting(text)?;
    yaml_serde::from_str(text).map_err(|error| YamlError::from_serde(&error))
}

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
    if let Some(text) = crate::yaml_roundtrip::reemit(previous, &old, &merged) {
        return Ok(UpdatedText {
            text,
            kept_formatting: true,
        });
    }
    if let Some(text) = edit::edit_in_place(previous, &old, &merged)
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

/// Serializes `value` exactly as DVC's ruamel.yaml dumper does.
pub fn to_string(value: &Value) -> String {
    let mut emitter = Emitter::default();
    emitter.node(value, Context::ROOT);
    // expect_document_end
    emitter.write_indent();
    emitter.out
}

/// Applying a value change to YAML text in place with `yaml-edit`, keeping comments.
mod edit {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::str::FromStr;

    use yaml_edit::ScalarValue;

    use super::{Mapping, Value, to_string};

    /// Edits `previous` (which parses to `old`) so that it reads as `new`; `None` when the change
    /// is beyond what is supported (non-string keys, tags) or the editor fails.
    pub(super) fn edit_in_place(previous: &str, old: &Value, new: &Value) -> Option<String> {
        let (Value::Mapping(old), Value::Mapping(new)) = (old, new) else {
            return None;
        };
        catch_unwind(AssertUnwindSafe(|| {
            let document = yaml_edit::Document::from_str(previous).ok()?;
            let root = document.as_mapping()?;
            edit_mapping(&root, old, new)?;
            Some(document.to_string())
        }))
        .ok()
        .flatten()
    }

    fn edit_mapping(target: &yaml_edit::Mapping, old: &Mapping, new: &Mapping) -> Option<()> {
        for (key, value) in new {
            let name = key.as_str()?;
            match old.get(key) {
                Some(Value::Mapping(old_child)) if matches!(value, Value::Mapping(_)) => {
                    let Value::Mapping(new_child) = value else {
                        return None;
                    };
                    edit_mapping(&target.get_mapping(name)?, old_child, new_child)?;
                }
                Some(Value::Sequence(old_items)) if matches!(value, Value::Sequence(items) if items.len() == old_items.len()) =>
                {
                    let Value::Sequence(new_items) = value else {
                        return None;
                    };
                    edit_sequence(&target.get_sequence(name)?, old_items, new_items)?;
                }
                Some(old_value) if old_value == value => {}
                _ => set_value(|node| target.set(name, node), value)?,
            }
        }
        for key in old.keys() {
            if !new.contains_key(key) {
                target.remove(key.as_str()?)?;
            }
        }
        Some(())
    }

    fn edit_sequence(target: &yaml_edit::Sequence, old: &[Value], new: &[Value]) -> Option<()> {
        for (index, (old_item, new_item)) in old.iter().zip(new).enumerate() {
            match (old_item, new_item) {
                (Value::Mapping(old_child), Value::Mapping(new_child)) => {
                    let node = target.get(index)?;
                    edit_mapping(node.as_mapping()?, old_child, new_child)?;
                }
                (Value::Sequence(old_items), Value::Sequence(new_items))
                    if old_items.len() == new_items.len() =>
                {
                    let node = target.get(index)?;
                    edit_sequence(node.as_sequence()?, old_items, new_items)?;
                }
                _ if old_item == new_item => {}
                _ => {
                    let mut changed = false;
                    set_value(
                        |node| {
                            changed = target.set(index, node);
                        },
                        new_item,
                    )?;
                    changed.then_some(())?;
                }
            }
        }
        Some(())
    }

    /// Calls `set` with `value` as a `yaml-edit` node.
    fn set_value(mut set: impl FnMut(&dyn yaml_edit::AsYaml), value: &Value) -> Option<()> {
        match value {
            Value::Null => set(&ScalarValue::null()),
            Value::Bool(flag) => set(flag),
            Value::Number(number) => {
                if let Some(int) = number.as_i64() {
                    set(&int);
                } else if let Some(int) = number.as_u64() {
                    set(&int);
                } else {
                    set(&number.as_f64()?);
                }
            }
            Value::String(text) => set(&text.as_str()),
            Value::Sequence(_) => {
                let document = yaml_edit::Document::from_str(&to_string(value)).ok()?;
                set(&document.as_sequence()?);
            }
            Value::Mapping(_) => {
                let document = yaml_edit::Document::from_str(&to_string(value)).ok()?;
                set(&document.as_mapping()?);
            }
            Value::Tagged(_) => return None,
        }
        Some(())
    }
}

/// A value as ruamel would represent it: the scalar text and whether the text, read back as a
/// plain scalar, resolves to the same type (`implicit[0]` in ruamel's serializer).
struct ScalarText {
    text: String,
    plain_implicit: bool,
}

fn represent_scalar(value: &Value, root: bool) -> ScalarText {
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

/// What ruamel's `analyze_scalar` finds out about a scalar.
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
    allow_double_quoted: bool,
}

fn is_break(ch: char) -> bool {
    matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_whitespace_or_nul(ch: char) -> bool {
    matches!(
        ch,
        '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn is_printable_unicode(ch: char) -> bool {
    (ch == '\u{85}'
        || ('\u{a0}'..='\u{d7ff}').contains(&ch)
        || ('\u{e000}'..='\u{fffd}').contains(&ch)
        || ('\u{10000}'..='\u{10ffff}').contains(&ch))
        && ch != '\u{feff}'
}

fn analyze_scalar(scalar: &[char]) -> Analysis {
    if scalar.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
            allow_double_quoted: true,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;

    let starts_with = |prefix: &str| {
        prefix.chars().count() <= scalar.len() && prefix.chars().zip(scalar).all(|(a, b)| a == *b)
    };
    if starts_with("---") || starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = scalar.len() == 1 || is_whitespace_or_nul(scalar[1]);
    let mut previous_space = false;
    let mut previous_break = false;

    for (index, &ch) in scalar.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                if scalar.len() == 1 {
                    flow_indicators = true;
                }
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='\u{7e}').contains(&ch) || is_printable_unicode(ch)) {
            special_characters = true;
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == scalar.len() - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == scalar.len() - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_whitespace_or_nul(ch);
        followed_by_whitespace =
            index + 2 >= scalar.len() || is_whitespace_or_nul(scalar[index + 2]);
    }

    let mut allow_flow_plain = true;
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    let allow_double_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if break_space {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if special_characters || space_break {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if flow_indicators {
        allow_flow_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain,
        allow_block_plain,
        allow_single_quoted,
        allow_double_quoted,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

#[derive(Clone, Copy, Default)]
struct Context {
    root: bool,
    sequence: bool,
    mapping: bool,
    simple_key: bool,
}

impl Context {
    const ROOT: Context = Context {
        root: true,
        sequence: false,
        mapping: false,
        simple_key: false,
    };
    const SEQUENCE: Context = Context {
        root: false,
        sequence: true,
        mapping: false,
        simple_key: false,
    };
    const MAPPING: Context = Context {
        root: false,
        sequence: false,
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Context = Context {
        root: false,
        sequence: false,
        mapping: true,
        simple_key: true,
    };
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;
const MAX_SIMPLE_KEY_LENGTH: usize = 128;

/// The state of ruamel's `Emitter` that matters for block output without comments.
struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    no_newline: bool,
    indent: Option<usize>,
    /// (previous indent, pushed for a sequence) — ruamel's `Indents`.
    indents: Vec<(Option<usize>, bool)>,
    flow_level: usize,
    context: Context,
}

impl Default for Emitter {
    fn default() -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            no_newline: false,
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
            context: Context::default(),
        }
    }
}

impl Emitter {
    fn seq_seq(&self) -> bool {
        self.indents.len() >= 2
            && self.indents[self.indents.len() - 2].1
            && self.indents[self.indents.len() - 1].1
    }

    fn increase_indent(&mut self, flow: bool, sequence: bool, indentless: bool) {
        self.indents.push((self.indent, sequence));
        match self.indent {
            None => {
                // ruamel: flow → requested_indent (None here), block → 0
                self.indent = if flow { None } else { Some(0) };
            }
            Some(indent) if !indentless => {
                self.indent = Some(indent + BEST_INDENT);
            }
            Some(_) => {}
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().and_then(|(indent, _)| indent);
    }

    fn seq_flow_align(&self) -> usize {
        // ruamel's Indents.seq_flow_align without pre-comments
        if self.indents.len() < 2 || !self.indents[self.indents.len() - 1].1 {
            return 0;
        }
        let base = self.indents[self.indents.len() - 1].0.unwrap_or(0);
        (base + BEST_INDENT).saturating_sub(self.column + 1)
    }

    fn write_raw(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.write_raw(indicator);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            if self.no_newline {
                self.no_newline = false;
            } else {
                self.write_line_break();
            }
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = indent - self.column;
            self.out.extend(std::iter::repeat_n(' ', pad));
            self.column = indent;
        }
    }

    fn write_line_break(&mut self) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push('\n');
    }

    fn node(&mut self, value: &Value, context: Context) {
        self.context = context;
        match value {
            Value::Sequence(items) => {
                if self.flow_level > 0 || items.is_empty() {
                    self.empty_flow_collection("[", "]", true);
                } else {
                    self.block_sequence(items);
                }
            }
            Value::Mapping(mapping) => {
                if self.flow_level > 0 || mapping.is_empty() {
                    self.empty_flow_collection("{", "}", false);
                } else {
                    self.block_mapping(mapping);
                }
            }
            Value::Tagged(tagged) => self.node(&tagged.value, context),
            scalar => {
                let represented = represent_scalar(scalar, context.root);
                self.scalar(&represented);
            }
        }
    }

    /// `expect_flow_sequence`/`expect_flow_mapping` followed by the closing event: DVC's files
    /// only ever contain empty flow collections.
    fn empty_flow_collection(&mut self, open: &str, close: &str, sequence: bool) {
        let align = self.seq_flow_align();
        let indicator = format!("{}{open}", " ".repeat(align));
        self.write_indicator(&indicator, true, true, false);
        self.increase_indent(true, sequence, false);
        if sequence && self.seq_seq() {
            self.indention = true;
            self.no_newline = false;
        }
        self.flow_level += 1;
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator(close, false, false, false);
        if self.flow_level == 0 {
            self.write_line_break();
        }
    }

    fn block_sequence(&mut self, items: &[Value]) {
        let indentless = if self.context.mapping {
            !self.indention
        } else {
            false
        };
        self.increase_indent(false, true, indentless);
        if self.seq_seq() {
            self.indention = true;
            self.no_newline = false;
        }
        for item in items {
            let no_newline = if self.column == 0 {
                self.no_newline
            } else {
                false
            };
            self.write_indent();
            self.write_indicator("-", true, false, true);
            if no_newline {
                self.no_newline = true;
            }
            self.node(item, Context::SEQUENCE);
        }
        self.pop_indent();
        self.no_newline = false;
    }

    fn block_mapping(&mut self, mapping: &Mapping) {
        self.increase_indent(false, false, false);
        for (key, value) in mapping {
            self.write_indent();
            let key_scalar = represent_key(key);
            let key_chars: Vec<char> = key_scalar.text.chars().collect();
            let analysis = analyze_scalar(&key_chars);
            // ruamel counts the (never written) tag, e.g. `!!str`, towards the key length.
            let length = key_chars.len() + implicit_tag_length(key);
            let simple = length < MAX_SIMPLE_KEY_LENGTH && !analysis.multiline;
            if simple {
                self.context = Context::SIMPLE_KEY;
                self.scalar(&key_scalar);
                // expect_block_mapping_simple_value
                self.write_indicator(":", false, false, false);
                self.node(value, Context::MAPPING);
            } else {
                self.write_indicator("?", true, false, true);
                self.context = Context::MAPPING;
                self.scalar(&key_scalar);
                // expect_block_mapping_value
                self.write_indent();
                self.write_indicator(":", true, false, true);
                self.node(value, Context::MAPPING);
            }
        }
        self.pop_indent();
    }

    fn choose_style(&self, scalar: &ScalarText, analysis: &Analysis) -> Style {
        let simple_key = self.context.simple_key;
        if scalar.plain_implicit
            && !(simple_key && (analysis.empty || analysis.multiline))
            && ((self.flow_level > 0 && analysis.allow_flow_plain)
                || (self.flow_level == 0 && analysis.allow_block_plain))
        {
            return Style::Plain;
        }
        if analysis.allow_double_quoted
            && (scalar.text.contains('\'') || scalar.text.contains('\n'))
        {
            return Style::Double;
        }
        if analysis.allow_single_quoted && !(simple_key && analysis.multiline) {
            return Style::Single;
        }
        Style::Double
    }

    /// `expect_scalar` + `process_scalar`.
    fn scalar(&mut self, scalar: &ScalarText) {
        self.increase_indent(true, false, false);
        let chars: Vec<char> = scalar.text.chars().collect();
        let analysis = analyze_scalar(&chars);
        let style = self.choose_style(scalar, &analysis);
        let split = !self.context.simple_key;
        if self.context.sequence && self.flow_level == 0 {
            self.write_indent();
        }
        match style {
            Style::Plain => self.write_plain(&chars, split),
            Style::Single => self.write_single_quoted(&chars, split),
            Style::Double => self.write_double_quoted(&chars, split),
        }
        self.pop_indent();
    }

    fn write_chars(&mut self, chars: &[char]) {
        self.column += chars.len();
        self.out.extend(chars);
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_raw(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let mut spaces = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column >= BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if ch.is_none_or(|ch| ch == ' ' || is_break(ch)) {
                let data = &text[start..end];
                if data.len() + self.column > BEST_WIDTH
                    && self.indent.is_some_and(|indent| self.column > indent)
                {
                    // words longer than the line get a line of their own
                    self.write_indent();
                }
                self.write_chars(data);
                start = end;
            }
            if let Some(ch) = ch {
                spaces = ch == ' ';
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|ch| !is_break(ch)) {
                    if text[start] == '\n' {
                        self.write_line_break();
                    }
                    for &br in &text[start..end] {
                        if br == '\n' {
                            self.write_line_break();
                        } else {
                            self.whitespace = true;
                            self.indention = true;
                            self.column = 0;
                            self.out.push(br);
                        }
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|ch| ch == ' ' || is_break(ch) || ch == '\'') && start < end {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write_raw("''");
                start = end + 1;
            }
            if let Some(ch) = ch {
                spaces = ch == ' ';
                breaks = is_break(ch);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            let needs_escape = ch.is_none_or(|ch| {
                matches!(
                    ch,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                ) || !((' '..='\u{7e}').contains(&ch)
                    || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                    || ('\u{e000}'..='\u{fffd}').contains(&ch)
                    || ('\u{10000}'..='\u{10ffff}').contains(&ch))
            });
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(ch) = ch {
                    let escaped = double_quoted_escape(ch);
                    self.write_raw(&escaped);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && signed(self.column) + signed(end) - signed(start) > signed(BEST_WIDTH)
                && split
            {
                let need_backslash = double_quoted_needs_backslash(text, start, end);
                let mut data: String = text.get(start..end).unwrap_or_default().iter().collect();
                if need_backslash {
                    data.push('\\');
                }
                if start < end {
                    start = end;
                }
                self.write_raw(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    if need_backslash {
                        self.write_raw("\\");
                    } else {
                        start += 1;
                    }
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

fn signed(value: usize) -> isize {
    isize::try_from(value).unwrap_or(isize::MAX)
}

/// The `need_backslash` decision of ruamel's `write_double_quoted` when it folds a line.
fn double_quoted_needs_backslash(text: &[char], start: usize, end: usize) -> bool {
    if text.len() <= end {
        return true;
    }
    let Some(mut space_pos) = text[end..].iter().position(|c| *c == ' ').map(|p| p + end) else {
        return true;
    };
    if let Some(newline) = text[end..space_pos].iter().position(|c| *c == '\n') {
        space_pos = newline + end;
    }
    let Some(&after) = text.get(space_pos + 1) else {
        return true;
    };
    if text[space_pos] == '\n' && after != ' ' {
        return true;
    }
    let quote_free = !text[end..space_pos].iter().any(|c| *c == '"' || *c == '\'');
    let double_space = end >= 1 && text.get(end - 1) == Some(&' ') && text.get(end) == Some(&' ');
    !(quote_free && after != ' ' && after != '\n' && !double_space && start != end)
}

fn double_quoted_escape(ch: char) -> String {
    let short = match ch {
        '\0' => Some('0'),
        '\u{7}' => Some('a'),
        '\u{8}' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\u{b}' => Some('v'),
        '\u{c}' => Some('f'),
        '\r' => Some('r'),
        '\u{1b}' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{a0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    let code = u32::from(ch);
    match short {
        Some(letter) => format!("\\{letter}"),
        None if code <= 0xff => format!("\\x{code:02X}"),
        None if code <= 0xffff => format!("\\u{code:04X}"),
        None => format!("\\U{code:08X}"),
    }
}

/// Length of the short tag (`!!str`, `!!int`, ...) ruamel's `check_simple_key` adds to a key.
fn implicit_tag_length(key: &Value) -> usize {
    match key {
        Value::Null => "!!null".len(),
        Value::Bool(_) => "!!bool".len(),
        Value::Number(number) if number.is_f64() => "!!float".len(),
        Value::Number(_) => "!!int".len(),
        Value::String(_) => "!!str".len(),
        Value::Sequence(_) | Value::Mapping(_) => 0,
        Value::Tagged(tagged) => implicit_tag_length(&tagged.value),
    }
}

fn represent_key(key: &Value) -> ScalarText {
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

    fn mapping(pairs: &[(&str, Value)]) -> Value {
        let mut map = Mapping::new();
        for (key, value) in pairs {
            map.insert(Value::String((*key).to_owned()), value.clone());
        }
        Value::Mapping(map)
    }

    fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

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

    #[test]
    fn emits_dvc_out_layout() {
        let out = mapping(&[
            ("md5", string("b1946ac92492d2347c6235b4d2611184")),
            ("size", Value::Number(6.into())),
            ("isexec", Value::Bool(true)),
            ("hash", string("md5")),
            ("path", string("a.txt")),
        ]);
        let doc = mapping(&[("outs", Value::Sequence(vec![out]))]);
        assert_eq!(
            to_string(&doc),
            "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  isexec: true\n  hash: md5\n  path: a.txt\n"
        );
    }

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

    #[test]
    fn parse_errors_carry_positions() {
        let error = parse("outs:\n- md5: [\n").expect_err("invalid yaml");
        assert!(error.line.is_some());
        assert!(error.column.is_some());
    }
}
