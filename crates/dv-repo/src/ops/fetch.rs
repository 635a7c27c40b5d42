//! `dvc fetch`: download the objects of the targets' outputs that the cache lacks from their
//! remotes (spec §10.2).
//!
//! Each output comes from its own `remote:` or the default remote (`-r` or `core.remote`);
//! outputs without either are skipped, as DVC skips them. A directory's `.dir` object is
//! fetched first (it says which files to fetch). Every download is verified against its name
//! and enters the cache under a temporary name, renamed into place and made read-only, so a
//! failed or corrupted download leaves nothing behind. With `--run-cache`, every run-cache
//! entry on the remote is copied into the cache first.

use dv_data::progress::Progress;
use dv_remote::Remote;
use dv_schema::hash::{HashName, ObjectId};

use crate::remotes;
use crate::run_cache::RunCache;
use crate::transfer::{self, Direction, MissingObject, ObjectSet, TransferFailure, UsedOutput};
use crate::workspace::Workspace;

/// What `fetch` was asked to do.
pub type FetchOptions = transfer::TransferOptions;

/// What `fetch` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FetchReport {
    /// The remote for outputs without their own `remote:` (`-r`, else `core.remote`), if any.
    pub default_remote: Option<String>,
    /// Objects downloaded (`.dir` objects included).
    pub fetched: usize,
    /// Objects neither in the cache nor on the remote.
    pub missing: Vec<MissingObject>,
    /// Objects whose download failed (e.g. corrupted on the remote).
    pub failures: Vec<TransferFailure>,
    /// Outputs of `dvc import` stages that could not be fetched from their source
    /// repository. One message each.
    pub source_imports: Vec<String>,
}

/// Downloads what the cache lacks, counting the downloads in `progress`.
///
/// # Errors
///
/// An unknown remote ([`remotes::UnknownRemote`]) or a remote-wide failure
/// ([`remotes::RemoteFailure`]). Per-object failures are in the report.
pub fn fetch(
    workspace: &Workspace,
    options: &FetchOptions,
    progress: &Progress,
) -> anyhow::Result<FetchReport> {
    let explicit = options.remote.as_deref();
    let default = remotes::default_remote(workspace, explicit);
    let mut report = FetchReport {
        default_remote: default.clone(),
        ..FetchReport::default()
    };
    // DVC fetches the run-cache first, silently skips it without a remote and does not count
    // its entries as fetched files.
    if options.run_cache
        && let Some(name) = &default
    {
        match remotes::open_remote(workspace, name, true).map_err(remotes::while_collecting) {
            Ok(remote) => {
                let runs =
                    RunCache::new(workspace.cache_dir()).fetch_from(&remote, options.jobs)?;
                report.failures.extend(runs.failures);
            }
            // An unknown remote is reported while collecting the outputs.
            Err(error) if error.is::<remotes::UnknownRemote>() => {}
            Err(error) => return Err(error),
        }
    }
    let outputs = transfer::used_outputs(
        workspace,
        &options.targets,
        options.recursive,
        &options.scope,
        Direction::Fetch,
        explicit,
    )?;
    let (imports, outputs): (Vec<UsedOutput>, Vec<UsedOutput>) = outputs
        .into_iter()
        .partition(|output| output.source.is_some());
    for output in &imports {
        if crate::repo_import::in_cache(workspace, output.hash_name, &output.id)? {
            continue;
        }
        // DVC fetches an import's data from its source repository, at the recorded commit
        // (from the clone cache, without the network when the clone has it).
        let fetched = output
            .import_file
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no .dvc file"))
            .and_then(|file| crate::index::DvcFileEntry::load(workspace, file))
            .and_then(|entry| {
                crate::sources::import::fetch_recorded(workspace, &entry, options.jobs, progress)
            });
        match fetched {
            Ok(count) => report.fetched += count,
            Err(error) => report.source_imports.push(format!(
                "failed to fetch '{}' from its source '{}' - {error:#}",
                output.name,
                output.source.as_deref().unwrap_or_default()
            )),
        }
    }
    let mut remotes = Vec::new();
    for (name, outputs) in transfer::group_by_remote(outputs, default.as_deref()) {
        // Outputs without any remote are not fetched (DVC: no remote storage for them).
        let Some(name) = name else {
            continue;
        };
        let remote =
            remotes::open_remote(workspace, &name, true).map_err(remotes::while_collecting)?;
        remotes.push((remote, outputs));
    }
    for (remote, outputs) in &remotes {
        for (hash_name, part) in transfer::split_by_layout(outputs) {
            fetch_layout(
                workspace,
                remote,
                hash_name,
                &part,
                options.jobs,
                &mut report,
                progress,
            )?;
        }
    }
    Ok(report)
}

/// Fetches the objects of one layout from one remote.
fn fetch_layout(
    workspace: &Workspace,
    remote: &Remote,
    hash_name: HashName,
    outputs: &[&UsedOutput],
    jobs: Option<usize>,
    report: &mut FetchReport,
    progress: &Progress,
) -> anyhow::Result<()> {
    let trees =
        transfer::download_missing_trees(workspace, remote, hash_name, outputs, jobs, progress)?;
    report.fetched += trees.fetched;
    report.missing.extend(
        trees
            .missing
            .iter()
            .map(|id| MissingObject::new(hash_name, id)),
    );
    report.failures.extend(trees.failures);

    let set = ObjectSet::collect(workspace, hash_name, outputs)?;
    let files: Vec<ObjectId> = set
        .names
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !id.is_tree())
        .collect();
    // Shard directories listed instead of a `stat` per object when there are many.
    let in_cache = set.odb.contains_many(&files);
    let wanted: Vec<ObjectId> = files
        .into_iter()
        .zip(in_cache)
        .filter_map(|(id, present)| (!present).then_some(id))
        .collect();
    let files = transfer::download_into_cache(
        &set.odb,
        remote,
        set.layout,
        &set.sized(&wanted),
        jobs,
        progress,
    )?;
    report.fetched += files.fetched;
    report.missing.extend(
        files
            .missing
            .iter()
            .map(|id| MissingObject::new(hash_name, id)),
    );
    report.failures.extend(files.failures);
    Ok(())
}
