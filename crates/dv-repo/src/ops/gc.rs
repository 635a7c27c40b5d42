//! `dvc gc -w [-c]`: delete from the cache, and with `-c` from a remote, every object the
//! workspace's `.dvc` files and `dvc.lock` outputs do not use (spec §10.5), nor those of the
//! commits a revision scope selects (`-a`, `-T`, `-A`, `--rev -n`, `--date`,
//! `--all-experiments`). Run-cache entries
//! (`runs/`) are left alone, as DVC leaves them. Each tracked directory keeps its `.dir`
//! object and every file it lists; both the DVC 3 (`files/md5`) and the legacy 2.x layout are
//! collected. On a remote only object paths are ever deleted (never `runs/` or other files).

use std::collections::HashSet;

use anyhow::Context;
use dv_data::odb::Odb;
use dv_data::progress::{Phase, Progress};
use dv_remote::{Layout, ObjectKey, ObjectKind, Remote};
use dv_schema::hash::{HashName, Md5, ObjectId};

use crate::environment::Environment;
use crate::index;
use crate::remotes::{self, RemoteFailure};
use crate::revisions::Scope;
use crate::revisions::used::outputs_in_history;
use crate::workspace::Workspace;

/// What `gc` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct GcOptions {
    /// Keep what the workspace uses (always kept when another scope is given).
    pub workspace: bool,
    /// The commits whose objects are kept too (`--rev -n`, `-a`, `-T`, `-A`, `--date`,
    /// `--all-experiments`).
    pub scope: Scope,
    /// `--skip-failed`: leave out commits that cannot be read instead of failing.
    pub skip_failed: bool,
    /// Count what would be removed without removing it.
    pub dry: bool,
    /// `-c`: also delete unused objects from the remote.
    pub cloud: bool,
    /// `--not-in-remote`: keep only the used objects the remote lacks (delete from the cache
    /// what is safe on the remote as well as what is unused).
    pub not_in_remote: bool,
    /// `-r NAME`: the remote collected with `cloud` or asked with `not_in_remote` (default:
    /// `core.remote`).
    pub remote: Option<String>,
    /// Concurrent deletions on the remote (default: the remote's `jobs`).
    pub jobs: Option<usize>,
    /// `-p`: other repositories (sharing this cache) whose used objects are kept too, with
    /// the same scope.
    pub projects: Vec<std::path::PathBuf>,
}

/// How many objects were deleted from one cache.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CacheCollected {
    /// DVC's name for the cache: `repo` (DVC 3 objects) or `legacy` (2.x objects).
    pub scheme: &'static str,
    /// Objects deleted.
    pub removed: usize,
    /// With `dry`, the paths of the cache objects that would be deleted (trees first), which
    /// DVC lists as `Removing <path>`.
    pub dry_paths: Vec<std::path::PathBuf>,
}

/// What `gc` did, per cache in DVC's order.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GcReport {
    /// `repo`, then `legacy`.
    pub caches: Vec<CacheCollected>,
    /// With `cloud`: the same for the remote (`files/md5` objects, then legacy objects).
    pub remote: Vec<CacheCollected>,
}

/// The error DVC gives when no scope is selected.
pub const NO_SCOPE_MESSAGE: &str = "Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` `--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.";

/// Collects the cache, counting the objects listed on the remote and deleted in `progress`.
pub fn gc(
    workspace: &Workspace,
    options: &GcOptions,
    progress: &Progress,
    warn: &mut dyn FnMut(String),
) -> anyhow::Result<GcReport> {
    if !options.workspace && !options.scope.is_set() {
        return Err(crate::error::DvcError(NO_SCOPE_MESSAGE.to_string()).into());
    }
    // The other projects first, as DVC collects them (each one locked while it is read).
    let mut owned: Vec<dv_schema::dvc_file::Output> = Vec::new();
    for project in &options.projects {
        let environment = Environment::with_vars(
            workspace.environment().absolute(project),
            workspace
                .environment()
                .vars()
                .map(|(name, value)| (name.to_owned(), value.to_owned())),
        );
        let other = Workspace::open(&environment)?;
        owned.extend(used_outputs(&other, options, warn)?);
    }
    owned.extend(used_outputs(workspace, options, warn)?);
    let outputs: Vec<&dv_schema::dvc_file::Output> = owned.iter().collect();
    fetch_missing_trees(workspace, options, &outputs, progress, warn);

    let mut used: [HashSet<ObjectId>; 2] = [HashSet::new(), HashSet::new()];
    {
        for output in outputs {
            let Some(id) = output.md5 else { continue };
            if !output.cache {
                continue;
            }
            let slot = usize::from(output.hash_name == HashName::Md5Dos2Unix);
            used[slot].insert(id);
            if id.is_tree() {
                let odb = workspace.odb(output.hash_name);
                // A missing `.dir` keeps nothing of its files, as in DVC with `--force`.
                if let Ok(manifest) = odb.read_tree(&id) {
                    for file in manifest.entries() {
                        if let Some(md5) = file.hash.md5() {
                            used[slot].insert(ObjectId::file(md5));
                        }
                    }
                }
            }
        }
    }
    // DVC resolves the remote before it deletes anything.
    let remote = if options.cloud || options.not_in_remote {
        let name = remotes::default_remote(workspace, options.remote.as_deref())
            .ok_or_else(|| remotes::no_remote_error(workspace, "gc -c"))?;
        Some(remotes::open_remote(workspace, &name, false)?)
    } else {
        None
    };
    if options.not_in_remote
        && let Some(remote) = &remote
    {
        keep_only_missing_from(remote, &mut used, options.jobs)?;
    }
    let mut report = GcReport::default();
    for (scheme, hash_name, used) in [
        ("repo", HashName::Md5, &used[0]),
        ("legacy", HashName::Md5Dos2Unix, &used[1]),
    ] {
        let odb: Odb = workspace.odb(hash_name);
        let unused = dv_data::gc::unused(&odb, used)
            .with_context(|| format!("failed to list the '{scheme}' cache"))?;
        if !options.dry {
            dv_data::gc::remove(&unused, progress)
                .with_context(|| format!("failed to collect the '{scheme}' cache"))?;
            // Temporary files of writers that died long ago (not counted: they are not
            // objects).
            dv_data::gc::stale_temporaries(&odb, dv_data::gc::STALE_TEMPORARY)
                .and_then(|stale| dv_data::gc::remove_files(&stale))
                .with_context(|| format!("failed to collect the '{scheme}' cache"))?;
        }
        let removed = unused.len();
        let dry_paths = if options.dry {
            unused.iter().map(|object| object.path.clone()).collect()
        } else {
            Vec::new()
        };
        report.caches.push(CacheCollected {
            scheme,
            removed,
            dry_paths,
        });
    }
    if let Some(remote) = remote.as_ref().filter(|_| options.cloud) {
        for (scheme, layout, used) in [
            ("repo", Layout::Md5, &used[0]),
            ("legacy", Layout::Legacy, &used[1]),
        ] {
            let removed = collect_remote(remote, layout, used, options, progress)?;
            report.remote.push(CacheCollected {
                scheme,
                removed,
                dry_paths: Vec::new(),
            });
        }
    }
    Ok(report)
}

/// The outputs `workspace` uses in its working tree and in the revisions of the scope.
fn used_outputs(
    workspace: &Workspace,
    options: &GcOptions,
    warn: &mut dyn FnMut(String),
) -> anyhow::Result<Vec<dv_schema::dvc_file::Output>> {
    // DVC reports a `.dvc` file it cannot read as a failure to collect the workspace (255).
    let entries = index::load_targets(workspace, &[]).map_err(|error| {
        crate::error::DvcError(format!("Failed to collect 'workspace': {error:#}"))
    })?;
    let locked = crate::pipelines::locked_outputs(workspace).map_err(|error| {
        crate::error::DvcError(format!("Failed to collect 'workspace': {error:#}"))
    })?;
    let history = outputs_in_history(workspace, &options.scope, options.skip_failed, warn)?;
    Ok(entries
        .iter()
        .flat_map(|entry| entry.file.outs.iter().cloned())
        .chain(locked.into_iter().map(|locked| locked.output))
        .chain(history.into_iter().map(|recorded| recorded.output))
        .collect())
}

/// `--not-in-remote`: drops from `used` every object the remote holds, in either layout (DVC
/// asks the remote's DVC 3 and legacy locations about all used objects alike).
fn keep_only_missing_from(
    remote: &Remote,
    used: &mut [HashSet<ObjectId>; 2],
    jobs: Option<usize>,
) -> anyhow::Result<()> {
    let ids: Vec<ObjectId> = used[0].union(&used[1]).copied().collect();
    let mut present: HashSet<ObjectId> = HashSet::new();
    for layout in [Layout::Md5, Layout::Legacy] {
        let keys: Vec<ObjectKey> = ids
            .iter()
            .map(|id| crate::transfer::key(id, layout))
            .collect();
        let found = remote.exists_many(&keys, jobs).map_err(RemoteFailure)?;
        present.extend(
            ids.iter()
                .zip(found)
                .filter(|(_, found)| *found)
                .map(|(id, _)| *id),
        );
    }
    for slot in used.iter_mut() {
        slot.retain(|id| !present.contains(id));
    }
    Ok(())
}

/// DVC fetches the `.dir` objects of used directories that the cache lacks from the default
/// remote before deciding what is unused, so that the files of a directory whose manifest only
/// the remote holds are kept. Without a usable remote nothing happens (DVC logs it only at
/// debug level); a manifest the remote cannot give is warned about as DVC warns, once per
/// object (DVC repeats the warning for every revision that uses it).
fn fetch_missing_trees(
    workspace: &Workspace,
    options: &GcOptions,
    outputs: &[&dv_schema::dvc_file::Output],
    progress: &Progress,
    warn: &mut dyn FnMut(String),
) {
    let mut missing: Vec<(HashName, ObjectId)> = Vec::new();
    for output in outputs {
        let Some(id) = output.md5 else { continue };
        if !output.cache || !id.is_tree() || missing.contains(&(output.hash_name, id)) {
            continue;
        }
        if !workspace.odb(output.hash_name).contains(&id) {
            missing.push((output.hash_name, id));
        }
    }
    if missing.is_empty() {
        return;
    }
    let Some(name) = remotes::default_remote(workspace, options.remote.as_deref()) else {
        return;
    };
    let Ok(remote) = remotes::open_remote(workspace, &name, false) else {
        return;
    };
    for hash_name in [HashName::Md5, HashName::Md5Dos2Unix] {
        let ids: Vec<(ObjectId, Option<u64>)> = missing
            .iter()
            .filter(|(name, _)| *name == hash_name)
            .map(|(_, id)| (*id, None))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let odb = workspace.odb(hash_name);
        let layout = crate::transfer::layout(hash_name);
        let fetched = crate::transfer::download_into_cache(
            &odb,
            &remote,
            layout,
            &ids,
            options.jobs,
            progress,
        );
        for (id, _) in ids {
            if fetched.is_err() || !odb.contains(&id) {
                warn(format!(
                    "Some of the cache files do not exist neither locally nor on remote. \
                     Missing cache files:\nname: None, {}: {id}",
                    hash_name.as_str()
                ));
            }
        }
    }
}

/// What `gc` with `options` would purge, for the question before it: the cache directory and,
/// with `cloud`, the remote's name (`None` when none is configured; `gc` fails on it later).
pub fn targets_shown(workspace: &Workspace, options: &GcOptions) -> (String, Option<String>) {
    let cache = workspace.display_path(&workspace.cache_dir());
    let remote = if options.cloud || options.not_in_remote {
        remotes::default_remote(workspace, options.remote.as_deref())
    } else {
        None
    };
    (cache, remote)
}

/// Objects deleted from a remote per request batch, so that progress moves while a large
/// collection runs (S3 deletes at most 1,000 keys a request anyway).
const DELETE_BATCH: usize = 1000;

/// Deletes the objects of `layout` on `remote` that are not in `used`; how many.
fn collect_remote(
    remote: &Remote,
    layout: Layout,
    used: &HashSet<ObjectId>,
    options: &GcOptions,
    progress: &Progress,
) -> anyhow::Result<usize> {
    let mut unused: Vec<ObjectKey> = Vec::new();
    progress.start(Phase::Querying, 0, 0);
    for key in remote.list(layout) {
        let key = key.map_err(RemoteFailure)?;
        progress.advance(Phase::Querying, 1, 0);
        let md5 = Md5(*key.md5());
        let id = match key.kind() {
            ObjectKind::File => ObjectId::file(md5),
            ObjectKind::Tree => ObjectId::tree(md5),
        };
        if !used.contains(&id) {
            unused.push(key);
        }
    }
    if !options.dry {
        progress.start(Phase::Deleting, unused.len() as u64, 0);
        for batch in unused.chunks(DELETE_BATCH) {
            remote
                .delete_many(batch, options.jobs)
                .map_err(RemoteFailure)?;
            progress.advance(Phase::Deleting, batch.len() as u64, 0);
        }
    }
    Ok(unused.len())
}
