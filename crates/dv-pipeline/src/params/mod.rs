//! Params files (spec §11.1): YAML, JSON, TOML and Python files read into values, and dotted
//! key lookup.
//!
//! The format follows the file extension as in DVC (`.json`, `.toml`, `.py`, anything else is
//! YAML). YAML is read with YAML 1.2 rules (`1e-05` is a float, `on`/`yes` are strings), an empty
//! document is an empty mapping. Values are [`Value`]s so that they can be written to
//! `dvc.lock` and hashed into run-cache keys exactly as DVC does.

mod python;

pub use python::PythonSyntaxError;

use dv_schema::yaml::{self, Mapping, Number, Value};

/// The format of a params file, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamsFormat {
    /// `.yaml`, `.yml` and any other extension.
    Yaml,
    /// `.json`.
    Json,
    /// `.toml`.
    Toml,
    /// `.py`.
    Python,
}

impl ParamsFormat {
    /// The format DVC picks for `path` (the extension, case-insensitive).
    pub fn for_path(path: &str) -> ParamsFormat {
        let name = path.rsplit('/').next().unwrap_or(path);
        let extension = match name.rfind('.') {
            Some(dot) if dot > 0 => name[dot..].to_lowercase(),
            _ => String::new(),
        };
        match extension.as_str() {
            ".json" => ParamsFormat::Json,
            ".toml" => ParamsFormat::Toml,
            ".py" => ParamsFormat::Python,
            _ => ParamsFormat::Yaml,
        }
    }

    /// DVC's name for a broken file of this format, used in its error message.
    fn corrupted_message(self) -> &'static str {
        match self {
            ParamsFormat::Yaml => "YAML file structure is corrupted",
            ParamsFormat::Json => "JSON file structure is corrupted",
            ParamsFormat::Toml => "TOML file structure is corrupted",
            ParamsFormat::Python => "Python file structure is corrupted",
        }
    }
}

/// A params file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to read: '{path}', {message}")]
pub struct ParamsError {
    /// The file as given to [`parse`].
    pub path: String,
    /// DVC's description (`YAML file structure is corrupted`).
    pub message: String,
    /// The parser's explanation.
    pub detail: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
}

/// Parses the text of the params file `path` (the path only chooses the format and names the
/// file in errors). Empty YAML and JSON documents are empty mappings, as in DVC.
pub fn parse(path: &str, text: &str) -> Result<Value, ParamsError> {
    let format = ParamsFormat::for_path(path);
    let error = |detail: String, line: Option<usize>| ParamsError {
        path: path.to_owned(),
        message: format.corrupted_message().to_owned(),
        detail,
        line,
    };
    let value = match format {
        ParamsFormat::Yaml => {
            let mut value = yaml::parse(text).map_err(|e| error(e.message, e.line))?;
            resolve_plain_numbers(&mut value, text);
            value
        }
        ParamsFormat::Json => {
            let json: serde_json::Value =
                serde_json::from_str(text).map_err(|e| error(e.to_string(), Some(e.line())))?;
            from_json(json)
        }
        ParamsFormat::Toml => toml(text).map_err(|detail| error(detail, None))?,
        ParamsFormat::Python => {
            Value::Mapping(python::parse(text).map_err(|e| error(e.reason.clone(), Some(e.line)))?)
        }
    };
    Ok(if dv_schema::yaml::is_falsy(&value) {
        Value::Mapping(Mapping::new())
    } else {
        value
    })
}

/// Turns into numbers the strings that ruamel's YAML 1.2 resolver reads as integers or floats
/// but the YAML parser keeps as strings: decimal integers with leading zeros (`012` is 12) or
/// underscores (`1_000`), and floats with underscores (`1_0.5`). Only values written as plain
/// scalars change; as values carry no style, a string is taken to be plain when the text holds
/// it unquoted and nowhere quoted.
pub(crate) fn resolve_plain_numbers(value: &mut Value, text: &str) {
    match value {
        Value::String(candidate) => {
            if let Some(number) = ruamel_number(candidate)
                && written_plain(text, candidate)
            {
                *value = Value::Number(number);
            }
        }
        Value::Sequence(items) => {
            for item in items {
                resolve_plain_numbers(item, text);
            }
        }
        Value::Mapping(map) => {
            for (_, item) in map.iter_mut() {
                resolve_plain_numbers(item, text);
            }
        }
        Value::Tagged(tagged) => resolve_plain_numbers(&mut tagged.value, text),
        _ => {}
    }
}

/// The number ruamel's YAML 1.2 resolver makes of a plain scalar, if it makes one.
fn ruamel_number(text: &str) -> Option<Number> {
    let first = text.chars().next()?;
    if !matches!(first, '-' | '+' | '0'..='9' | '.') {
        return None;
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let is_int = !body.is_empty() && body.chars().all(|ch| ch.is_ascii_digit() || ch == '_');
    if is_int {
        let digits: String = body.chars().filter(|ch| *ch != '_').collect();
        if digits.is_empty() {
            return None;
        }
        let magnitude: u64 = digits.parse().ok()?;
        return Some(if negative {
            Number::from(-i64::try_from(magnitude).ok()?)
        } else {
            Number::from(magnitude)
        });
    }
    // [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)? | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    let bytes = body.as_bytes();
    if !bytes.first()?.is_ascii_digit() {
        return None;
    }
    let mantissa_end = body.find(['e', 'E']).unwrap_or(body.len());
    let (mantissa, exponent) = body.split_at(mantissa_end);
    let valid_mantissa = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            whole.chars().all(|ch| ch.is_ascii_digit() || ch == '_')
                && fraction.chars().all(|ch| ch.is_ascii_digit() || ch == '_')
        }
        None => !exponent.is_empty() && mantissa.chars().all(|ch| ch.is_ascii_digit() || ch == '_'),
    };
    let valid_exponent = exponent.is_empty() || {
        let digits = exponent[1..]
            .strip_prefix(['-', '+'])
            .unwrap_or(&exponent[1..]);
        !digits.is_empty() && digits.chars().all(|ch| ch.is_ascii_digit())
    };
    if !(valid_mantissa && valid_exponent) {
        return None;
    }
    let clean: String = body.chars().filter(|ch| *ch != '_').collect();
    let float: f64 = clean.parse().ok()?;
    Some(Number::from(if negative { -float } else { float }))
}

/// Whether `candidate` appears in `text` as a plain scalar value and never quoted.
fn written_plain(text: &str, candidate: &str) -> bool {
    let quoted = [format!("'{candidate}'"), format!("\"{candidate}\"")];
    if quoted.iter().any(|quoted| text.contains(quoted.as_str())) {
        return false;
    }
    let bytes = text.as_bytes();
    text.match_indices(candidate).any(|(start, _)| {
        let end = start + candidate.len();
        let before = text[..start].trim_end_matches([' ', '\t']);
        let opens = before.is_empty()
            || before.ends_with(['\n', ':', '-', '[', ',', '{', '?']) && !before.ends_with("--");
        let adjacent_before = start.checked_sub(1).map(|i| bytes[i]);
        let adjacent_after = bytes.get(end).copied();
        let after = text[end..].trim_start_matches([' ', '\t']);
        let closes = after.is_empty() || after.starts_with(['\n', '\r', '#', ',', ']', '}']);
        opens
            && closes
            && !adjacent_before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            && !adjacent_after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    })
}

fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(flag),
        serde_json::Value::Number(number) => {
            if let Some(int) = number.as_u64() {
                Value::Number(Number::from(int))
            } else if let Some(int) = number.as_i64() {
                Value::Number(Number::from(int))
            } else {
                Value::Number(Number::from(number.as_f64().unwrap_or(f64::NAN)))
            }
        }
        serde_json::Value::String(text) => Value::String(text),
        serde_json::Value::Array(items) => {
            Value::Sequence(items.into_iter().map(from_json).collect())
        }
        serde_json::Value::Object(map) => Value::Mapping(
            map.into_iter()
                .map(|(key, value)| (Value::String(key), from_json(value)))
                .collect(),
        ),
    }
}

/// A TOML document as tomlkit's `unwrap()` gives it: tables in document order.
fn toml(text: &str) -> Result<Value, String> {
    let document: toml_edit::Document<String> =
        toml_edit::Document::parse(text.to_owned()).map_err(|error| error.to_string())?;
    Ok(toml_table(document.as_table()))
}

fn toml_table(table: &toml_edit::Table) -> Value {
    let mut map = Mapping::new();
    for (key, item) in table.iter() {
        if let Some(value) = toml_item(item) {
            map.insert(Value::String(key.to_owned()), value);
        }
    }
    Value::Mapping(map)
}

fn toml_item(item: &toml_edit::Item) -> Option<Value> {
    match item {
        toml_edit::Item::None => None,
        toml_edit::Item::Value(value) => Some(toml_value(value)),
        toml_edit::Item::Table(table) => Some(toml_table(table)),
        toml_edit::Item::ArrayOfTables(tables) => {
            Some(Value::Sequence(tables.iter().map(toml_table).collect()))
        }
    }
}

fn toml_value(value: &toml_edit::Value) -> Value {
    match value {
        toml_edit::Value::String(text) => Value::String(text.value().clone()),
        toml_edit::Value::Integer(int) => Value::Number(Number::from(*int.value())),
        toml_edit::Value::Float(float) => Value::Number(Number::from(*float.value())),
        toml_edit::Value::Boolean(flag) => Value::Bool(*flag.value()),
        toml_edit::Value::Datetime(datetime) => Value::String(datetime.value().to_string()),
        toml_edit::Value::Array(items) => Value::Sequence(items.iter().map(toml_value).collect()),
        toml_edit::Value::InlineTable(table) => {
            let mut map = Mapping::new();
            for (key, value) in table.iter() {
                map.insert(Value::String(key.to_owned()), toml_value(value));
            }
            Value::Mapping(map)
        }
    }
}

/// The value at the dotted key `key` (`train.opt.name`, `layers.0`), as `dpath.get` finds it:
/// each segment is a mapping key, or an index into a list.
pub fn lookup<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let mut current = value;
    for segment in key.split('.') {
        current = match current {
            Value::Mapping(map) => map.iter().find_map(|(candidate, value)| {
                (key_text(candidate).as_deref() == Some(segment)).then_some(value)
            })?,
            Value::Sequence(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The text a mapping key is matched by in a dotted path.
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(if *flag { "True" } else { "False" }.to_owned()),
        _ => None,
    }
}

/// The values of `keys` in the params document `document`, as DVC records them in `dvc.lock`:
/// `(dotted key, value)` for each key found (DVC's `read_params(flatten=True)`); with no keys,
/// the whole document's top-level entries.
pub fn select(document: &Value, keys: &[String]) -> Mapping {
    let mut selected = Mapping::new();
    if keys.is_empty() {
        if let Value::Mapping(map) = document {
            selected.clone_from(map);
        }
        return selected;
    }
    for key in keys {
        if let Some(value) = lookup(document, key) {
            selected.insert(Value::String(key.clone()), value.clone());
        }
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(path: &str, text: &str) -> String {
        yaml::to_string(&parse(path, text).expect("valid params"))
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(ParamsFormat::for_path("params.yaml"), ParamsFormat::Yaml);
        assert_eq!(ParamsFormat::for_path("a/p.JSON"), ParamsFormat::Json);
        assert_eq!(ParamsFormat::for_path("p.toml"), ParamsFormat::Toml);
        assert_eq!(ParamsFormat::for_path("conf.py"), ParamsFormat::Python);
        assert_eq!(ParamsFormat::for_path("p.cfg"), ParamsFormat::Yaml);
        assert_eq!(ParamsFormat::for_path(".json"), ParamsFormat::Yaml);
    }

    #[test]
    fn yaml_1_2_rules() {
        assert_eq!(
            value(
                "params.yaml",
                "small: 1.0e-05\ne: 1e-05\nflag: on\nyes: yes\nt: true\nn: ~\n"
            ),
            "small: 1e-05\ne: 1e-05\nflag: on\nyes: yes\nt: true\nn:\n"
        );
        assert_eq!(value("params.yaml", ""), "{}\n");
    }

    #[test]
    fn yaml_1_2_numbers_the_parser_leaves_as_strings() {
        assert_eq!(
            value(
                "params.yaml",
                "a: 012\nb: 1_000\nc: -0_7\nd: 1_0.5\ne: '013'\nf: [07, \"08\"]\ng: 1_0e1_0\n"
            ),
            "a: 12\nb: 1000\nc: -7\nd: 10.5\ne: '013'\nf:\n- 7\n- '08'\ng: 1_0e1_0\n"
        );
        assert_eq!(ruamel_number("_1"), None);
        assert_eq!(ruamel_number("1__0"), Some(Number::from(10u64)));
        assert_eq!(ruamel_number("0b"), None);
        assert_eq!(ruamel_number("1_0e5"), Some(Number::from(1e6)));
    }

    #[test]
    fn json_and_toml() {
        assert_eq!(
            value(
                "p.json",
                r#"{"seed": 7, "f": 1.0, "l": [1, {"b": null}], "z": "é"}"#
            ),
            "seed: 7\nf: 1.0\nl:\n- 1\n- b:\nz: é\n"
        );
        assert_eq!(value("p.json", "{}"), "{}\n");
        assert_eq!(
            value(
                "p.toml",
                "title = \"t\"\n[model]\ndepth = 3\nlr = 1e-3\n[[layers]]\nn = 1\n[[layers]]\nn = 2\n"
            ),
            "title: t\nmodel:\n  depth: 3\n  lr: 0.001\nlayers:\n- n: 1\n- n: 2\n"
        );
        let error = parse("p.json", "{").expect_err("broken json");
        assert_eq!(
            error.to_string(),
            "unable to read: 'p.json', JSON file structure is corrupted"
        );
    }

    #[test]
    fn dotted_lookup() {
        let document = parse(
            "params.yaml",
            "train:\n  opt: {name: adam, beta: 0.9}\n  layers: [8, 16]\nlr: 0.1\n",
        )
        .expect("valid");
        assert_eq!(
            lookup(&document, "train.opt.name"),
            Some(&Value::String("adam".to_owned()))
        );
        assert_eq!(
            lookup(&document, "train.layers.1"),
            Some(&Value::Number(16.into()))
        );
        assert_eq!(lookup(&document, "train.nope"), None);
        assert_eq!(lookup(&document, "lr.x"), None);
        let selected = select(
            &document,
            &["lr".to_owned(), "train.opt".to_owned(), "x".to_owned()],
        );
        assert_eq!(
            yaml::to_string(&Value::Mapping(selected)),
            "lr: 0.1\ntrain.opt:\n  name: adam\n  beta: 0.9\n"
        );
    }
}
