//! `dv exp ...` (DVC's `repo/experiments/`): experiments run in the workspace and recorded as
//! experiment refs (`run`, `save`), compared (`show`, `diff`), applied, branched, renamed,
//! removed and listed (`manage`), queued and run in temporary clones (`queue`), shared through a git remote and the DVC remote (`share`).

pub mod diff;
pub mod manage;
pub mod queue;
pub mod run;
pub mod share;
pub mod show;
