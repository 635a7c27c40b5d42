//! YAML as DVC reads and writes it: parsing with positions, a ruamel.yaml-compatible emitter and
//! DVC's in-place update (`apply_diff`) (spec §4.4, §13.5, §13.6).
//!
//! DVC dumps its generated files (`.dvc`, `dvc.lock`) with ruamel.yaml's round-trip dumper
//! (block style, 2-space indent, sequences not indented under their key, YAML 1.2 quoting rules,
//! lines folded at 80 columns). [`to_string`] ports the parts of ruamel's emitter those files
//! use — block mappings and sequences, empty flow collections, scalars in plain, single- and
//! double-quoted style with ruamel's folding — so that its output is byte-identical to DVC's.
//! Comments, anchors, tags and block scalars (`|`, `>`) are never produced.
//!
//! - here: [`parse`] and [`YamlError`].
//! - `scalar`: how a value is represented as scalar text, and ruamel's YAML 1.2 implicit
//!   resolvers that decide whether plain text reads back as a string.
//! - `emitter`: [`to_string`], ruamel's block emitter with its quoting and line folding.
//! - `update`: [`apply_diff`], [`python_eq`] and [`update_text`], the text DVC writes when it
//!   updates a file it read, with its two helpers `roundtrip` (re-emitting a hand-written
//!   file, keeping comment lines) and `edit` (changing values in place with `yaml-edit`).

mod edit;
mod emitter;
mod roundtrip;
mod scalar;
mod update;

pub use emitter::to_string;
pub use scalar::python_float_repr;
pub use update::{UpdatedText, apply_diff, python_eq, update_text};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_carry_positions() {
        let error = parse("outs:\n- md5: [\n").expect_err("invalid yaml");
        assert!(error.line.is_some());
        assert!(error.column.is_some());
    }
}
