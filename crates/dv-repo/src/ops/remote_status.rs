//! `dvc status -c` / `dvc status -r NAME`: the targets' objects compared between the cache and
//! one remote (spec §9.5).
//!
//! Every object is `new` (in the cache only), `deleted` (on the remote only), `missing`
//! (neither) or in sync (both, not listed). Like DVC, one remote is compared for all outputs
//! (`-r` or `core.remote`); outputs with `push: false` or their own `remote:` are left out,
//! and a directory whose `.dir` object the cache lacks has it downloaded into the cache first.

use std::path::PathBuf;

use dv_data::progress::Progress;

use crate::index;
use crate::remotes;
use crate::transfer::{self, Direction, MissingObject, ObjectSet, TransferFailure};
use crate::workspace::Workspace;

/// What `status -c` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RemoteStatusOptions {
    /// `.dvc` files or outputs (all when empty).
    pub targets: Vec<PathBuf>,
    /// `-r NAME` (else `core.remote`).
    pub remote: Option<String>,
    /// Concurrent requests.
    pub jobs: Option<usize>,
    /// `-R`: directory targets stand for every `.dvc` file under them.
    pub recursive: bool,
    /// The commits whose outputs are compared too (`-a`, `-T`, `-A`, `--rev`).
    pub scope: crate::revisions::Scope,
}

/// One object that is not in sync.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemoteStatusEntry {
    /// The output path, or `output/relpath` for a file of a directory, as shown.
    pub name: String,
    /// `deleted`, `new` or `missing`.
    pub status: &'static str,
}

/// The result of `status -c`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RemoteStatusReport {
    /// Whether the repository tracks anything at all.
    pub tracked: bool,
    /// The remote compared with, as DVC names it in `Cache and remote '...' are in sync.`
    /// (`None` when nothing needed a remote and none is configured).
    pub remote: String,
    /// Objects not in sync: `deleted`, then `new`, then `missing`, each sorted by name.
    pub entries: Vec<RemoteStatusEntry>,
    /// `.dir` objects neither the cache nor the remote has; their directories are left out.
    pub missing_trees: Vec<MissingObject>,
    /// `.dir` objects whose download failed; their directories are left out.
    pub failures: Vec<TransferFailure>,
}

/// Compares the cache with the remote, counting the objects asked about (and `.dir` objects
/// downloaded) in `progress`.
///
/// # Errors
///
/// No remote configured ([`crate::ConfigError`]), an unknown remote
/// ([`remotes::UnknownRemote`]) or a remote-wide failure ([`remotes::RemoteFailure`]).
pub fn remote_status(
    workspace: &Workspace,
    options: &RemoteStatusOptions,
    progress: &Progress,
) -> anyhow::Result<RemoteStatusReport> {
    let explicit = options.remote.as_deref();
    let default = remotes::default_remote(workspace, explicit);
    let outputs = transfer::used_outputs(
        workspace,
        &options.targets,
        options.recursive,
        &options.scope,
        Direction::Status,
        explicit,
    )?;
    let mut report = RemoteStatusReport {
        tracked: true,
        remote: default.clone().unwrap_or_else(|| "None".to_owned()),
        ..RemoteStatusReport::default()
    };
    if outputs.is_empty() {
        report.tracked = !index::dvc_files(workspace, workspace.root())?.is_empty();
        return Ok(report);
    }
    let Some(name) = default else {
        return Err(remotes::no_remote_error(workspace, "status").into());
    };
    let remote = remotes::open_remote(workspace, &name, false)?;

    let mut deleted = Vec::new();
    let mut new = Vec::new();
    let mut missing = Vec::new();
    for (hash_name, part) in transfer::split_by_layout(&outputs) {
        let trees = transfer::download_missing_trees(
            workspace,
            &remote,
            hash_name,
            &part,
            options.jobs,
            progress,
        )?;
        report.missing_trees.extend(
            trees
                .missing
                .iter()
                .map(|id| MissingObject::new(hash_name, id)),
        );
        report.failures.extend(trees.failures);
        // DVC leaves out directories it cannot list.
        let odb = workspace.odb(hash_name);
        let listable: Vec<_> = part
            .into_iter()
            .filter(|output| !output.id.is_tree() || odb.contains(&output.id))
            .collect();
        let set = ObjectSet::collect(workspace, hash_name, &listable)?;
        let presence = transfer::compare(&set, &remote, options.jobs, progress)?;
        for (id, name) in &set.names {
            let Some(state) = presence.get(id) else {
                continue;
            };
            match (state.in_cache, state.on_remote) {
                (true, true) => {}
                (true, false) => new.push(name.clone()),
                (false, true) => deleted.push(name.clone()),
                (false, false) => missing.push(name.clone()),
            }
        }
    }
    for (status, mut names) in [("deleted", deleted), ("new", new), ("missing", missing)] {
        names.sort();
        names.dedup();
        report.entries.extend(
            names
                .into_iter()
                .map(|name| RemoteStatusEntry { name, status }),
        );
    }
    Ok(report)
}
