//! What changed in a stage since its `dvc.lock` entry, and why (spec §9.1, §9.3, §9.5).
//!
//! [`check`] compares a stage with its lock entry and the workspace: the command, each
//! dependency (file, directory or params key), each output, `always_changed` and `frozen`,
//! giving structured reasons with old and new values. Hashing is delegated to a [`Workspace`]
//! so that the repository can plug in its hash cache. [`CheckMode::FirstChange`] stops at the
//! first reason, in DVC's order, as `dvc repro` does; [`CheckMode::All`] collects everything,
//! as `dvc status` does. [`StatusReport`] renders results as `dvc status` prints them, in text
//! and JSON.
//!
//! - `changes`: [`check`] and the changes it finds ([`StageChanges`]), with the [`Workspace`]
//!   it reads through.
//! - `report`: [`StatusReport`], those changes as `dvc status` prints them.

pub(crate) mod changes;
mod report;

pub use changes::{
    ChangeKind, CheckError, CheckMode, CheckOptions, CommandChange, EntryChange, EntryHash,
    EntryRole, HashValue, ParamChange, ParamChangeKind, ParamsChange, StageChanges,
    UpstreamOutputs, Workspace, WorkspaceError, check, read_params,
};
pub use report::{EntryStatus, StageReport, StatusItem, StatusReport};
