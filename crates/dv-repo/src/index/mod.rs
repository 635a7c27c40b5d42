//! Every stage of a repository as DVC's index sees it — `.dvc` files and `dvc.yaml` stages
//! together — and DVC's ways of naming stages on the command line (spec §7.1).
//!
//! `Index::collect` walks the working tree like DVC's `collect_files`: top-down, a
//! directory's files in listing order before its subdirectories, honouring `.dvcignore`,
//! skipping `.git`, `.dvc`, nested repositories and directories that are outputs of the stages
//! found so far. Unlike DVC it does not skip git-ignored stage files.
//!
//! The target functions port `parse_target` and `StageLoad`'s `load_one`, `load_all`,
//! `collect` and `collect_granular`, with DVC's messages: `name`, `group` (a `foreach`/
//! `matrix` group), `path/dvc.yaml:name`, `file.dvc`, a directory with `-R`, or an output.

mod collect;
mod dvc_file;
pub(crate) mod dvcignore;
mod stage;
mod targets;
mod walk;

pub(crate) use collect::{Index, OnError};
pub use dvc_file::{DvcFileEntry, dvc_files, load_targets};
pub(crate) use stage::RepoStage;
pub(crate) use targets::{
    Collect, GranularError, collect, collect_granular, load_one, parse_target, select_targets,
};
pub use walk::stage_files;
