//! Experiments as DVC keeps them (spec: revision-commands §1.9): commits whose parent is the
//! baseline, reachable only from `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`, with the
//! commit message `dvc: commit experiment <hash>`. What the `exp` commands share.
//!
//! - `refs`: the ref layout, listing (local and on a git remote), name resolution and checks.
//! - `names`: random `adjective-noun` names.
//! - `overrides`: `-S [file:]key=value` (Hydra's override syntax) applied to params files.
//! - `queue`: dv's local experiment queue (entries, claims, workers).
//! - `record`: the experiment hash and the experiment commit, made with a private index.

pub mod names;
pub mod overrides;
pub mod queue;
pub mod record;
pub mod refs;

pub use record::{RecordRequest, Recorded, exists_error, record};
pub use refs::{ExpRef, Experiment};
