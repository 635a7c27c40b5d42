//! `dvc push`: upload the cache objects of the targets' outputs that their remote lacks
//! (spec §10.1, §10.2).
//!
//! Each output goes to its own `remote:` or the default remote (`-r` or `core.remote`);
//! outputs with `push: false` stay local. Files are uploaded before the `.dir` objects that
//! list them, and a `.dir` is uploaded only once every one of its files is on the remote, so a
//! remote never claims a directory it cannot deliver. Objects neither the cache nor the remote
//! has are reported, not fatal. With `--run-cache`, every run-cache entry is copied first.
//!
//! A cache object is uploaded only if its content still hashes to its name (checked through
//! the hash cache, so an object is hashed once): a damaged or planted file in the cache fails
//! its object, and the directories listing it, instead of reaching the remote under a name
//! that lies.

use std::collections::HashSet;
use std::path::PathBuf;

use dv_data::progress::{Phase, Progress};
use dv_data::state::State;
use dv_data::verify::{Verified, verify_objects};
use dv_remote::{ObjectKey, Remote};
use dv_schema::hash::{HashName, ObjectId};

use crate::remotes;
use crate::run_cache::RunCache;
use crate::transfer::{
    self, Direction, MissingObject, ObjectSet, Presence, TransferFailure, UsedOutput,
};
use crate::workspace::Workspace;

/// What `push` was asked to do.
pub type PushOptions = transfer::TransferOptions;

/// What `push` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PushReport {
    /// The remote for outputs without their own `remote:` (`-r`, else `core.remote`), if any.
    pub default_remote: Option<String>,
    /// Objects uploaded (`.dir` objects included), and run-cache entries with `--run-cache`
    /// (DVC counts both).
    pub pushed: usize,
    /// Objects neither in the cache nor on the remote.
    pub missing: Vec<MissingObject>,
    /// Objects whose upload failed.
    pub failures: Vec<TransferFailure>,
}

/// Uploads what the remotes lack, counting the objects asked about and uploaded in `progress`.
///
/// # Errors
///
/// No remote for outputs that need the default one, an unknown remote, or a remote-wide
/// failure ([`remotes::RemoteFailure`]). Per-object failures are in the report.
pub fn push(
    workspace: &Workspace,
    options: &PushOptions,
    progress: &Progress,
) -> anyhow::Result<PushReport> {
    let explicit = options.remote.as_deref();
    // DVC opens the remote named by `-r` before anything else.
    let mut explicit_remote = match explicit {
        Some(name) => Some(remotes::open_remote(workspace, name, false)?),
        None => None,
    };
    let default = remotes::default_remote(workspace, explicit);
    let mut report = PushReport {
        default_remote: default.clone(),
        ..PushReport::default()
    };
    // DVC pushes the run-cache first, and silently skips it without a remote.
    if options.run_cache
        && let Some(name) = &default
    {
        let remote = match explicit_remote.take_if(|_| Some(name.as_str()) == explicit) {
            Some(remote) => Ok(remote),
            None => remotes::open_remote(workspace, name, true),
        };
        match remote {
            Ok(remote) => {
                let runs = RunCache::new(workspace.cache_dir()).push_to(&remote, options.jobs)?;
                report.pushed += runs.copied;
                report.failures.extend(runs.failures);
                if explicit.is_some() {
                    explicit_remote = Some(remote);
                }
            }
            // An unknown default remote is reported while collecting the outputs.
            Err(error) if error.is::<remotes::UnknownRemote>() => {}
            Err(error) => return Err(error),
        }
    }
    let outputs = transfer::used_outputs(
        workspace,
        &options.targets,
        options.recursive,
        &options.scope,
        Direction::Push,
        explicit,
    )?;
    // Like DVC, a default remote is required unless every output names its own.
    if default.is_none() && (outputs.is_empty() || outputs.iter().any(|o| o.remote.is_none())) {
        return Err(remotes::no_remote_error(workspace, "<command>").into());
    }
    let mut remotes = Vec::new();
    for (name, outputs) in transfer::group_by_remote(outputs, default.as_deref()) {
        let name = name.expect("a default remote exists whenever an output lacks its own");
        let remote = match explicit_remote.take_if(|_| Some(name.as_str()) == explicit) {
            Some(remote) => remote,
            None => remotes::open_remote(workspace, &name, true)?,
        };
        remotes.push((remote, outputs));
    }
    let mut state = workspace.load_state();
    for (remote, outputs) in &remotes {
        for (hash_name, part) in transfer::split_by_layout(outputs) {
            let mut pushing = Pushing {
                workspace,
                remote,
                jobs: options.jobs,
                state: &mut state,
                report: &mut report,
                progress,
            };
            push_layout(&mut pushing, hash_name, &part)?;
        }
    }
    workspace.save_state(&mut state);
    Ok(report)
}

/// What pushing to one remote works with.
struct Pushing<'a> {
    workspace: &'a Workspace,
    remote: &'a Remote,
    jobs: Option<usize>,
    /// The hash cache, which spares re-hashing objects verified before.
    state: &'a mut State,
    report: &'a mut PushReport,
    progress: &'a Progress,
}

/// Pushes the objects of one layout to one remote.
fn push_layout(
    pushing: &mut Pushing<'_>,
    hash_name: HashName,
    outputs: &[&UsedOutput],
) -> anyhow::Result<()> {
    let set = ObjectSet::collect(pushing.workspace, hash_name, outputs)?;
    let presence = transfer::compare(&set, pushing.remote, pushing.jobs, pushing.progress)?;
    let state = |id: &ObjectId| {
        presence.get(id).copied().unwrap_or(Presence {
            in_cache: false,
            on_remote: false,
        })
    };
    let missing: HashSet<ObjectId> = set
        .names
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| {
            let presence = state(id);
            !presence.in_cache && !presence.on_remote
        })
        .collect();
    pushing.report.missing.extend(
        set.names
            .iter()
            .filter(|(id, _)| missing.contains(id))
            .map(|(id, _)| MissingObject::new(hash_name, id)),
    );
    let is_new = |id: &ObjectId| {
        let presence = state(id);
        presence.in_cache && !presence.on_remote
    };

    // Files first.
    let files: Vec<ObjectId> = set
        .names
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !id.is_tree() && is_new(id))
        .collect();
    let failed = upload(pushing, &set, &files)?;

    // Then the `.dir` objects whose files are all on the remote now.
    let mut trees = Vec::new();
    for tree in &set.trees {
        if !is_new(&tree.id) {
            continue;
        }
        let Some(tree_files) = &tree.files else {
            continue;
        };
        if tree_files.iter().any(|id| failed.contains(id)) {
            pushing.report.failures.push(TransferFailure {
                object: tree.id.to_string(),
                error: "not uploaded because some of its files failed to upload".to_owned(),
            });
        } else if !tree_files.iter().any(|id| missing.contains(id)) {
            trees.push(tree.id);
        }
    }
    upload(pushing, &set, &trees)?;
    Ok(())
}

/// Uploads `ids` from the cache, those whose content matches their name; returns those that
/// failed.
fn upload(
    pushing: &mut Pushing<'_>,
    set: &ObjectSet,
    ids: &[ObjectId],
) -> anyhow::Result<HashSet<ObjectId>> {
    let mut failed = HashSet::new();
    if ids.is_empty() {
        return Ok(failed);
    }
    let ids = verified(pushing, set, ids, &mut failed);
    let Pushing {
        remote,
        jobs,
        report,
        progress,
        ..
    } = pushing;
    let (remote, jobs, progress) = (*remote, *jobs, *progress);
    if ids.is_empty() {
        return Ok(failed);
    }
    let items: Vec<(PathBuf, ObjectKey)> = ids
        .iter()
        .map(|id| (set.odb.object_path(id), set.key(id)))
        .collect();
    let bytes = transfer::total_size(progress, items.iter().map(|(path, _)| path.as_path()));
    progress.start(Phase::Uploading, items.len() as u64, bytes);
    let mut counter = transfer::TransferCounter {
        progress,
        phase: Phase::Uploading,
    };
    let results = remote.upload_many(&items, jobs, &mut counter);
    // dvc-http reports every failed upload, even when the server is unreachable or refuses
    // the credentials (exit 1); for other remotes such a failure ends the command (255).
    let results = if remote.policy().reports_each_failed_upload {
        results
    } else {
        transfer::check_fatal(results)?
    };
    for (id, result) in ids.iter().zip(results) {
        match result {
            Ok(()) => report.pushed += 1,
            Err(error) => {
                failed.insert(*id);
                report.failures.push(TransferFailure {
                    object: id.to_string(),
                    error: error.to_string(),
                });
            }
        }
    }
    Ok(failed)
}

/// The objects of `ids` whose content matches their name; the others are reported as failed
/// (naming the object, its output and its file in the cache) and added to `failed`.
fn verified(
    pushing: &mut Pushing<'_>,
    set: &ObjectSet,
    ids: &[ObjectId],
    failed: &mut HashSet<ObjectId>,
) -> Vec<ObjectId> {
    let checks = verify_objects(&set.odb, ids, pushing.state, pushing.workspace.jobs(None));
    let mut sound = Vec::with_capacity(ids.len());
    for (id, check) in ids.iter().zip(checks) {
        let problem = match check {
            // A vanished object fails its upload, which says so.
            Ok(Verified::Valid | Verified::Missing) => {
                sound.push(*id);
                continue;
            }
            Ok(Verified::Corrupted { actual }) => {
                let output = set
                    .names
                    .iter()
                    .find(|(other, _)| other == id)
                    .map_or_else(String::new, |(_, name)| name.clone());
                format!(
                    "the cache object of '{output}' ('{}') is corrupted: its content hashes \
                     to {actual}, not to its name; it was not uploaded",
                    pushing.workspace.display_path(&set.odb.object_path(id)),
                )
            }
            Err(error) => format!("{:#}", anyhow::Error::new(error)),
        };
        failed.insert(*id);
        pushing.report.failures.push(TransferFailure {
            object: id.to_string(),
            error: problem,
        });
    }
    sound
}
