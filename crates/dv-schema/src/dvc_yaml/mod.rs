//! `dvc.yaml` (spec §7): DVC's schema check of the file as written, and the typed form of one
//! stage after templating.
//!
//! A `dvc.yaml` is read in two steps. The raw document is checked with [`validate`] (DVC's
//! voluptuous `MULTI_STAGE_SCHEMA`, with its messages: `extra keys not allowed`, `expected str`,
//! ...); templating (`${}`, `vars`, `foreach`, `matrix`) then works on the raw values (see the
//! `dv-pipeline` crate) and each resolved stage becomes a [`StageDefinition`].
//! [`StageDefinition::to_value`] writes a stage back as `dvc stage add` does (spec §7.3).
//!
//! - `validate`: [`validate`], DVC's schema check, and the [`SchemaIssue`]s it reports.
//! - `stage`: [`StageDefinition`], one resolved stage with its [`Command`], outputs and params,
//!   read from and written back to a value.
//! - `write`: [`dump_stages`] and [`remove_stage`], the text of a `dvc.yaml` after stages are
//!   added, updated or removed.

mod stage;
mod validate;
mod write;

pub use stage::{
    Command, DEFAULT_PARAMS_FILE, DefinitionError, OutputDefinition, OutputKind, ParamsDefinition,
    StageDefinition,
};
pub use validate::{SchemaIssue, validate};
pub use write::{DvcYamlUpdate, StageAction, StageRemoval, dump_stages, remove_stage};
