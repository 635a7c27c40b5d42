//! What an operation threads through its work on the cache: the opened [`Workspace`], the
//! threads it may use, the cache's link types, the hash cache (loaded once, saved at the end)
//! and the [`Progress`] it counts its work in. Passed as one value instead of a parameter each.

use std::num::NonZeroUsize;

use dv_data::progress::Progress;
use dv_data::state::State;
use dv_fs::link::LinkType;

use crate::workspace::Workspace;

/// One operation's working context.
pub(crate) struct RepoContext<'a> {
    /// The opened repository.
    pub(crate) workspace: &'a Workspace,
    /// Threads for hashing, linking and copying (`-j`, else the repository's default).
    pub(crate) jobs: NonZeroUsize,
    /// The cache's link types, in order of preference (`cache.type`).
    pub(crate) links: Vec<LinkType>,
    /// The hash cache.
    pub(crate) state: State,
    /// Where the work is counted.
    pub(crate) progress: &'a Progress,
}

impl<'a> RepoContext<'a> {
    /// Loads the hash cache and reads the settings an operation needs; `jobs` as given on the
    /// command line.
    pub(crate) fn open(
        workspace: &'a Workspace,
        jobs: Option<usize>,
        progress: &'a Progress,
    ) -> anyhow::Result<RepoContext<'a>> {
        Ok(RepoContext {
            workspace,
            jobs: workspace.jobs(jobs),
            links: workspace.link_types()?,
            state: workspace.load_state(),
            progress,
        })
    }

    /// Saves the hash cache (again at [`RepoContext::finish`] if the work goes on).
    pub(crate) fn save_state(&mut self) {
        self.workspace.save_state(&mut self.state);
    }

    /// Saves the hash cache at the end of the operation.
    pub(crate) fn finish(mut self) {
        self.save_state();
    }
}
