//! Values with their `${...}` expressions replaced from the variables (DVC's `Context.resolve`),
//! and the syntax check of every expression in a value.

use std::fmt;

use dv_schema::yaml::{Mapping, Value};

use crate::context::{Context, python_type};
use crate::expansion;
use crate::interpolation::{self, ParsingConfig};

/// Why a value could not be resolved.
#[derive(Debug, Clone)]
pub(super) enum Failure {
    /// A syntax error in an expression (DVC's `ParseError`).
    Syntax(String),
    /// A variable that does not exist (DVC's `KeyNotInContext`).
    NotFound(String),
    /// A value that cannot be interpolated (DVC's `ParseError`).
    Value(String),
}

impl Failure {
    pub(super) fn on_new_line(&self) -> bool {
        !matches!(self, Failure::NotFound(_))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Syntax(message) | Failure::Value(message) => f.write_str(message),
            Failure::NotFound(key) => write!(f, "Could not find '{key}'"),
        }
    }
}

pub(super) fn is_collection(value: &Value) -> bool {
    matches!(value, Value::Mapping(_) | Value::Sequence(_))
}

/// Whether any string (key or value) in `value` has an expression.
pub(super) fn contains_interpolation(value: &Value) -> bool {
    match value {
        Value::String(text) => interpolation::is_interpolated(text),
        Value::Sequence(items) => items.iter().any(contains_interpolation),
        Value::Mapping(map) => map
            .iter()
            .any(|(key, value)| contains_interpolation(key) || contains_interpolation(value)),
        _ => false,
    }
}

/// Parses every expression in `value` (keys included).
pub(super) fn check_syntax(value: &Value) -> Result<(), interpolation::SyntaxError> {
    match value {
        Value::String(text) => {
            for found in interpolation::matches(text) {
                interpolation::parse_expression(&found.inner)?;
            }
            Ok(())
        }
        Value::Sequence(items) => items.iter().try_for_each(check_syntax),
        Value::Mapping(map) => map.iter().try_for_each(|(key, value)| {
            check_syntax(key)?;
            check_syntax(value)
        }),
        _ => Ok(()),
    }
}

/// `Context.resolve`: every string (keys included) of `value` interpolated. `key` is the stage
/// key being resolved (`cmd`, `outs`, ...), which decides what values may be interpolated.
pub(super) fn resolve_value(
    context: &Context,
    value: &Value,
    key: Option<&str>,
    skip_checks: bool,
    parsing: ParsingConfig,
) -> Result<Value, Failure> {
    match value {
        Value::String(text) => resolve_string(context, text, key, skip_checks, parsing),
        Value::Sequence(items) => items
            .iter()
            .map(|item| resolve_value(context, item, key, skip_checks, parsing))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Sequence),
        Value::Mapping(map) => {
            let mut resolved = Mapping::new();
            for (map_key, item) in map {
                let map_key = resolve_value(context, map_key, key, skip_checks, parsing)?;
                let item = resolve_value(context, item, key, skip_checks, parsing)?;
                resolved.insert(map_key, item);
            }
            Ok(Value::Mapping(resolved))
        }
        other => Ok(other.clone()),
    }
}

/// `Context.resolve_str`: a string that is exactly one `${x}` takes `x`'s value and type; any
/// other string gets each expression replaced by its text.
pub(super) fn resolve_string(
    context: &Context,
    text: &str,
    key: Option<&str>,
    skip_checks: bool,
    parsing: ParsingConfig,
) -> Result<Value, Failure> {
    let found = interpolation::matches(text);
    let take = |bytes: usize| {
        context
            .budget()
            .take(bytes)
            .map_err(|_| Failure::Value(expansion::OverBudget::message()))
    };
    let expression = |inner: &str| -> Result<String, Failure> {
        if skip_checks {
            Ok(inner.to_owned())
        } else {
            interpolation::parse_expression(inner).map_err(|error| Failure::Syntax(error.message))
        }
    };
    if found.len() == 1 && found[0].start == 0 && found[0].end == text.len() {
        let expression = expression(&found[0].inner)?;
        let value = context
            .select(&expression)
            .ok_or_else(|| Failure::NotFound(expression.clone()))?;
        context.track(&expression, value);
        validate_value(value, key)?;
        take(expansion::value_size(value))?;
        return Ok(value.clone());
    }
    let mut buffer = String::new();
    let mut index = 0;
    for found in &found {
        let expression = expression(&found.inner)?;
        let value = context
            .select(&expression)
            .ok_or_else(|| Failure::NotFound(expression.clone()))?;
        context.track(&expression, value);
        validate_value(value, key)?;
        let value =
            interpolation::to_text(value, parsing).map_err(|error| Failure::Value(error.0))?;
        take(found.start - index + value.len())?;
        buffer.push_str(&text[index..found.start]);
        buffer.push_str(&value);
        index = found.end;
    }
    take(text.len() - index)?;
    buffer.push_str(&text[index..]);
    Ok(Value::String(buffer.replace("\\${", "${")))
}

/// `validate_value`: inside a stage, only primitive values may be interpolated, except a dict
/// into `cmd`; `foreach` data may be anything.
fn validate_value(value: &Value, key: Option<&str>) -> Result<(), Failure> {
    let Some(key) = key else {
        return Ok(());
    };
    if key.contains("foreach") || !is_collection(value) {
        return Ok(());
    }
    if matches!(value, Value::Mapping(_)) && key == "cmd" {
        return Ok(());
    }
    Err(Failure::Value(format!(
        "Cannot interpolate data of type '{}'",
        python_type(value)
    )))
}

/// The items of a list value (nothing for anything else).
pub(super) fn sequence(value: Option<&Value>) -> Vec<Value> {
    match value {
        Some(Value::Sequence(items)) => items.clone(),
        _ => Vec::new(),
    }
}

/// A mapping key as text (`str()` of a non-string key).
pub(super) fn key_string(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        other => interpolation::python_str(other),
    }
}
