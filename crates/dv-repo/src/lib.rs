//! The dv application library: everything a command does, without the command line.
//!
//! - [`environment`]: the process environment the library may look at, passed in explicitly;
//! - [`error`]: errors that map to DVC's exit codes;
//! - [`repo`]: finding the repository root (`.dvc/`);
//! - [`config`]: the four configuration levels, merged, validated and edited as DVC does;
//! - [`lock`]: the repository lock shared with DVC;
//! - [`ops`]: one module per operation (`init`, `config`, `remote`).
//!
//! Operations return data and never print; the `dv` binary renders it.

pub mod config;
pub mod environment;
pub mod error;
pub mod lock;
pub mod ops;
pub mod path;
pub mod repo;

pub use config::{Config, Level};
pub use environment::Environment;
pub use error::{ArgumentError, CommandError, ConfigError, NotDvcRepoError};
pub use repo::Repo;
