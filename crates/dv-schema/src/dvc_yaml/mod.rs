//! `dvc.yaml` (spec §7): DVC's schema check of the file as written, and the typed form of one
//! stage after templating.
//!
//! A `dvc.yaml` is read in two steps. The raw document is checked with [`validate`] (DVC's
//! voluptuous `MULTI_STAGE_SCHEMA`, with its messages: `extra keys not allowed`, `expected str`,
//! ...); templating (`${}`, `vars`, `foreach`, `matrix`) then works on the raw values (see the
//! `dv-pipeline` crate) and each resolved stage becomes a [`StageDefinition`].
//! [`StageDefinition::to_value`] writes a stage back as `dvc stage add` does (spec §7.3).
//!
//! - here: the [`Command`] of a stage and the default params file.
//! - `validate`: [`validate`], DVC's schema check, and the [`SchemaIssue`]s it reports.
//! - `stage`: [`StageDefinition`], one resolved stage with its outputs and params, read from
//!   and written back to a value.
//! - `write`: [`dump_stages`] and [`remove_stage`], the text of a `dvc.yaml` after stages are
//!   added, updated or removed.

mod stage;
mod validate;
mod write;

pub use stage::{DefinitionError, OutputDefinition, OutputKind, ParamsDefinition, StageDefinition};
pub use validate::{SchemaIssue, validate};
pub use write::{DvcYamlUpdate, StageAction, StageRemoval, dump_stages, remove_stage};

use std::fmt;

use crate::yaml::Value;

/// The name of the params file every stage reads by default.
pub const DEFAULT_PARAMS_FILE: &str = "params.yaml";

/// A stage command: one shell command, or a list run one after the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `cmd: <string>` (a multi-line string runs each line as its own command).
    Text(String),
    /// `cmd: [<string>, ...]`.
    List(Vec<String>),
}

impl Command {
    /// Reads a command value: a string or a list of strings.
    pub fn from_value(value: &Value) -> Option<Command> {
        match value {
            Value::String(text) => Some(Command::Text(text.clone())),
            Value::Sequence(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .map(Command::List),
            _ => None,
        }
    }

    /// The value as written in `dvc.yaml` and `dvc.lock`.
    pub fn to_value(&self) -> Value {
        match self {
            Command::Text(text) => Value::String(text.clone()),
            Command::List(items) => {
                Value::Sequence(items.iter().cloned().map(Value::String).collect())
            }
        }
    }

    /// The commands to run in order (DVC runs each line of a text command separately).
    pub fn commands(&self) -> Vec<&str> {
        match self {
            Command::Text(text) => text.lines().collect(),
            Command::List(items) => items.iter().map(String::as_str).collect(),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Text(text) => f.write_str(text),
            Command::List(items) => f.write_str(&items.join("\n")),
        }
    }
}
