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
//! - `reader`: [`parse`] and its [`YamlError`].
//! - `scalar`: how a value is represented as scalar text, and ruamel's YAML 1.2 implicit
//!   resolvers that decide whether plain text reads back as a string.
//! - `emitter`: [`to_string`], ruamel's block emitter with its quoting and line folding.
//! - `update`: [`apply_diff`], [`python_eq`] and [`update_text`], the text DVC writes when it
//!   updates a file it read, with its two helpers `roundtrip` (re-emitting a hand-written
//!   file, keeping comment lines) and `edit` (changing values in place with `yaml-edit`).

mod edit;
mod emitter;
mod reader;
mod roundtrip;
mod scalar;
mod update;

pub use emitter::to_string;
pub use reader::{YamlError, parse};
pub use scalar::python_float_repr;
pub use update::{UpdatedText, apply_diff, python_eq, update_text};

pub use yaml_serde::{Mapping, Number, Value};

/// Python's `bool(value)` is false for a loaded document or value (`None`, `False`, zero, empty
/// string or collection), which DVC relies on in `load(...) or {}`. A tagged value is an
/// object, so true.
pub fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Sequence(items) => items.is_empty(),
        Value::Mapping(map) => map.is_empty(),
        Value::Tagged(_) => false,
    }
}

/// Building values in unit tests.
#[cfg(test)]
mod test_values {
    use yaml_serde::{Mapping, Value};

    /// A mapping with string keys, in order.
    pub(super) fn mapping(pairs: &[(&str, Value)]) -> Value {
        let mut map = Mapping::new();
        for (key, value) in pairs {
            map.insert(Value::String((*key).to_owned()), value.clone());
        }
        Value::Mapping(map)
    }

    /// A string value.
    pub(super) fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }
}
