//! Pipelines: `dvc.yaml` resolution, params files, stages and their graph, change detection,
//! `dvc.lock` entries and run-cache keys (spec §7, §8, §9, §11.1).
//!
//! Files read (through [`files::FileSource`], never directly): `dvc.yaml` ([`resolve`]), the
//! `vars` files and `params.yaml` its templates read (`context`), params files of any format
//! ([`params`]). Nothing is written here: [`lock`] and [`run_cache`] build the `dvc.lock`
//! entries and run-cache keys that the caller writes with `dv-schema`'s formats.
//!
//! - [`resolve`]: loading a `dvc.yaml` — schema check, `vars`, `${}` interpolation,
//!   `foreach`/`matrix` expansion — into resolved stage definitions.
//! - `context`: the variables `${}` expressions read; `interpolation`: finding and parsing
//!   them; `expansion`: the bounds on what one file may generate.
//! - [`params`]: params files (YAML, JSON, TOML, Python) and dotted key lookup.
//! - [`stage`]: stages with their paths placed in the repository (`entry_path`: where a
//!   dependency or output is).
//! - [`graph`]: the stage graph, DVC's consistency checks, `repro` ordering and target selection.
//! - [`drawing`]: `dvc dag`'s pictures of the graph (dot, Mermaid, ASCII boxes).
//! - [`status`]: what changed since the lock entry and why, and the `dvc status` report.
//! - [`explain`]: those changes as one line per reason, with old and new values.
//! - [`lock`]: building the lock entry of a stage from fresh hashes.
//! - [`run_cache`]: run-cache keys (`<cache>/runs/<key[:2]>/<key>/<value>`), values and save
//!   conditions.
//! - [`execution`]: how a stage's command is run.
//! - [`files`]: read access to the repository's files.
//!
//! Everything is synchronous and nothing prints: warnings are returned, hashing and file access
//! go through the [`status::Workspace`] and [`files::FileSource`] traits the caller provides.

mod context;
pub mod drawing;
mod entry_path;
pub mod execution;
mod expansion;
pub mod explain;
pub mod files;
pub mod graph;
mod interpolation;
pub mod lock;
pub mod params;
pub mod resolve;
pub mod run_cache;
pub mod stage;
pub mod status;

pub use context::{ContextError, TrackedVar};
pub use interpolation::ParsingConfig;
