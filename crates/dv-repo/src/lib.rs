//! The dv application library: everything a command does, without the command line.
//!
//! Operations (`ops/`, one file or folder per command) are leaves over the services of the
//! crate root; the rules that keep them so are in [`ops`].
//!
//! Services and the files on disk they own:
//!
//! - [`repo`]: finding the repository root (`.dvc/`), `.dvc/tmp`;
//! - [`config`]: the four configuration levels (`.dvc/config`, `.dvc/config.local`, global,
//!   system), merged, validated and edited as DVC does;
//! - [`environment`]: the process environment the library may look at, passed in explicitly;
//! - [`lock`]: the repository lock shared with DVC (`.dvc/tmp/lock`);
//! - [`workspace`]: an opened repository (validated config, cache, links, hash cache in
//!   `.dvc/tmp/dv/`, git) and repository paths of the working tree;
//! - `context`: what an operation threads through its work (workspace, jobs, link types,
//!   hash cache, progress);
//! - [`confine`]: keeping every write inside the repository (no `..`, `.git`, `.dvc`, links);
//! - [`index`]: the stage index: one walk (through a `FileSource`, with one `.dvcignore`
//!   matcher) over `*.dvc` files and `dvc.yaml` files, their stages, and DVC's stage targets;
//! - [`pipelines`]: every `dvc.yaml` loaded and resolved, `dvc.lock` read, the stage graph, and
//!   the workspace as change detection sees it;
//! - [`outputs`]: an output in the workspace and the cache (state, presence, hashing for save,
//!   links from the cache);
//! - [`changes`]: what changed in `.dvc`-tracked stages, in DVC's wording;
//! - [`tracking`]: `.gitignore` entries for outputs and `git add` with `core.autostage`;
//! - [`imports`]: URL imports (`.dvc` files with an external dependency): URL resolution,
//!   batches of imports, `--fs-config`;
//! - [`repo_import`]: `.dvc` files written by `dvc import` (another repository's data);
//! - [`cluster`]: cluster runs (`repro --executor slurm`): the SLURM commands, per-stage
//!   resources, the run and record files under `.dvc/tmp/dv/cluster/`, where each stage stands;
//! - [`clock`]: civil dates and ISO 8601 text without a time zone database.
//! - [`run_log`]: what `repro` knows of each stage run and `dvc.lock` does not (for exports).
//! - [`experiments`]: experiment refs, names, `-S` overrides and experiment commits.
//! - [`sources`]: other repositories as data sources (in place or from the clone cache under
//!   the site cache dir, `dv-clones-<uid>/`), paths selected in them, repo imports written;
//! - [`remotes`]: from configuration to an opened remote, and DVC's errors on the way;
//! - [`transfer`]: the objects outputs use, grouped by remote and layout, and what the cache
//!   and a remote hold of them;
//! - [`run_cache`]: the run-cache entries of the cache directory (`.dvc/cache/runs/`);
//! - [`interrupt`]: Ctrl-C left to a running stage command, as DVC leaves it;
//! - [`error`]: errors that map to DVC's exit codes.
//!
//! Operations return data and never print; the `dv` binary renders it. Long ones count their
//! work in a [`progress::Progress`] the caller passes in and may watch.

pub mod changes;
pub mod clock;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod confine;
pub(crate) mod context;
pub mod environment;
pub mod error;
pub mod experiments;
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
pub mod revisions;
pub mod run_cache;
pub mod run_log;
pub mod sources;
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
