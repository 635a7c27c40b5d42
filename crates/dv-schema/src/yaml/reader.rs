//! Reading YAML text into a value tree, with the nesting bound checked first and errors that
//! carry their position.

use yaml_serde::Value;

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
