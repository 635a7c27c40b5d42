//! The dv application library: everything a command does, without the command line.
//!
//! - [`environment`]: the process environment the library may look at, passed in explicitly;
//! - [`error`]: errors that map to DVC's exit codes;
//! - [`repo`]: finding the repository root (`.dvc/`);
//! - [`config`]: the four configuration levels, merged, validated and edited as DVC does;
//! - [`lock`]: the repository lock shared with DVC;
//! - [`interrupt`]: Ctrl-C left to a running stage command, as DVC leaves it;
//! - [`confine`]: keeping every write inside the repository (no `..`, `.git`, `.dvc`, links);
//! - [`index`]: the `.dvc` files of the repository and command targets;
//! - [`workspace`]: an opened repository (validated config, cache, links, hash cache, git);
//! - [`stages`]: every stage (`.dvc` files and `dvc.yaml` stages) and DVC's stage targets;
//! - [`repo_import`]: `.dvc` files written by `dvc import` (another repository's data);
//! - [`run_cache`]: the run-cache entries of the cache directory;
//! - [`ops`]: one module per operation.
//!
//! Operations return data and never print; the `dv` binary renders it. Long ones count their
//! work in a [`progress::Progress`] the caller passes in and may watch.

pub mod changes;
pub mod config;
pub mod confine;
pub(crate) mod context;
pub mod environment;
pub mod error;
pub mod imports;
pub mod index;
pub mod interrupt;
pub mod lock;
pub mod ops;
pub mod outputs;
pub mod path;
pub mod pipelines;
pub mod remotes;
pub mod repo;
pub mod repo_import;
pub mod run_cache;
pub mod tracking;
pub mod transfer;
pub mod workspace;

pub use config::{Config, Level};
pub use dv_data::progress;
pub use dv_remote::answer_ssh_prompt;
pub use environment::Environment;
pub use error::{ArgumentError, CommandError, ConfigError, DvcError, NotDvcRepoError};
pub use interrupt::Interrupts;
pub use repo::Repo;
pub use workspace::Workspace;
