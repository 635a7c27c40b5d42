//! What `push`, `fetch`, `pull` and `status -c` share (spec §10.2): which remote each
//! output's objects belong to, opening a remote from the merged configuration, the objects an
//! output uses (its own object and, for a directory, the files its `.dir` manifest lists), and
//! which of them the cache and the remote hold.
//!
//! Objects are grouped by remote and by layout: DVC 3 outputs (`hash: md5`) live under
//! `files/md5/` in the cache and on the remote, legacy 2.x outputs at the root of both.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use dv_data::odb::{ObjectState, Odb};
use dv_data::progress::{Phase, Progress};
use dv_remote::{
    Layout, ObjectDownload, ObjectKey, ObjectKind as KeyKind, Remote, RemoteError, TransferProgress,
};
use dv_schema::hash::{HashName, ObjectId};

use crate::index;
use crate::pipelines::locked_outputs;
use crate::remotes::RemoteFailure;
use crate::revisions::Scope;
use crate::revisions::used::outputs_in_history;
use crate::workspace::Workspace;

/// The scope of `push` and `fetch` (and the fetch half of `pull`).
#[derive(Debug, Clone, Default)]
pub struct TransferOptions {
    /// `.dvc` files or outputs (all when empty).
    pub targets: Vec<PathBuf>,
    /// `-r NAME`: the remote for outputs without their own `remote:`.
    pub remote: Option<String>,
    /// Concurrent transfers (default: the remote's `jobs`, else 4 × CPUs).
    pub jobs: Option<usize>,
    /// `-R`: directory targets stand for every `.dvc` file under them.
    pub recursive: bool,
    /// `--run-cache`: also copy every run-cache entry (spec §9.4) to or from the remote
    /// (`-r`, else the default one; skipped without either, as DVC skips it).
    pub run_cache: bool,
    /// The commits whose outputs take part too (`-a`, `-T`, `-A`, `--rev`); their outputs
    /// are added when no targets are given.
    pub scope: Scope,
}

/// Which command collects objects; decides which outputs take part (spec §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `push`: outputs with `push: false` are skipped.
    Push,
    /// `fetch`/`pull`: every cached output.
    Fetch,
    /// `status -c`: like push, and outputs with their own `remote:` are left out, as DVC
    /// leaves them out.
    Status,
}

/// One output taking part in a transfer.
#[derive(Debug, Clone)]
pub(crate) struct UsedOutput {
    /// The output path as shown (relative to the working directory).
    pub(crate) name: String,
    /// Its object (a tree for directories).
    pub(crate) id: ObjectId,
    /// How it is hashed, which decides the layout.
    pub(crate) hash_name: HashName,
    /// The output's own `remote:`, if any.
    pub(crate) remote: Option<String>,
    /// Its recorded `size:`, which bounds the download of a file output's object.
    pub(crate) size: Option<u64>,
    /// For the output of a `dvc import` (fetch only): its source as DVC shows it,
    /// `path (url)`. DVC fetches such outputs from the source repository, never from a remote.
    pub(crate) source: Option<String>,
    /// For the output of a `dvc import`: its `.dvc` file.
    pub(crate) import_file: Option<PathBuf>,
}

/// The outputs of the targets' `.dvc` files (all of them, and every output `dvc.lock` files
/// record, when `targets` is empty) that take part in `direction`, in collection order. With `recursive`, directory targets stand for
/// every `.dvc` file under them. `explicit_remote` is `-r NAME`: outputs bound to another
/// remote are left out, as DVC does.
pub(crate) fn used_outputs(
    workspace: &Workspace,
    targets: &[PathBuf],
    recursive: bool,
    scope: &Scope,
    direction: Direction,
    explicit_remote: Option<&str>,
) -> anyhow::Result<Vec<UsedOutput>> {
    let targets = if recursive {
        expand_directories(workspace, targets)?
    } else {
        targets.to_vec()
    };
    if recursive && targets.is_empty() {
        return Ok(Vec::new());
    }
    let entries = index::load_targets(workspace, &targets)?;
    let imported: std::collections::HashMap<PathBuf, (String, PathBuf)> = entries
        .iter()
        .filter(|entry| entry.file.is_repo_import())
        .map(|entry| {
            let shown = crate::repo_import::shown_dependency(&entry.file.deps[0]);
            (
                entry.resolve(&entry.file.outs[0]),
                (shown, entry.path.clone()),
            )
        })
        .collect();
    let mut outputs: Vec<(PathBuf, &dv_schema::dvc_file::Output)> = entries
        .iter()
        .flat_map(|entry| {
            entry
                .file
                .outs
                .iter()
                .map(move |output| (entry.resolve(output), output))
        })
        .collect();
    // Without targets, the outputs `dvc.lock` files record take part too.
    let locked = if targets.is_empty() {
        locked_outputs(workspace)?
    } else {
        Vec::new()
    };
    outputs.extend(
        locked
            .iter()
            .map(|locked| (locked.path.clone(), &locked.output)),
    );
    // The commits of a revision scope add their outputs (DVC's brancher over `used_objs`).
    let history = if targets.is_empty() {
        outputs_in_history(workspace, scope, false, &mut |_| {})?
    } else {
        Vec::new()
    };
    let known: HashSet<ObjectId> = outputs
        .iter()
        .filter_map(|(_, output)| output.md5)
        .collect();
    outputs.extend(
        history
            .iter()
            .filter(|recorded| recorded.output.md5.is_some_and(|id| !known.contains(&id)))
            .map(|recorded| (recorded.path.clone(), &recorded.output)),
    );
    let mut used = Vec::new();
    for (path, output) in outputs {
        let Some(id) = output.md5 else {
            continue;
        };
        if !output.cache {
            continue;
        }
        if direction != Direction::Fetch && !output.push {
            continue;
        }
        if direction == Direction::Status && output.remote.is_some() {
            continue;
        }
        if let (Some(explicit), Some(own)) = (explicit_remote, &output.remote)
            && explicit != own
        {
            continue;
        }
        // A `dvc import`'s output is neither pushed nor compared with a remote (DVC).
        let (source, import_file) = imported.get(&path).cloned().unzip();
        if source.is_some() && direction != Direction::Fetch {
            continue;
        }
        used.push(UsedOutput {
            name: workspace.display_path(&path),
            id,
            hash_name: output.hash_name,
            remote: output.remote.clone(),
            size: output.size,
            source,
            import_file,
        });
    }
    Ok(used)
}

/// `-R`: directory targets replaced by the `.dvc` files under them.
pub(crate) fn expand_directories(
    workspace: &Workspace,
    targets: &[PathBuf],
) -> anyhow::Result<Vec<PathBuf>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let mut expanded = Vec::new();
    for target in targets {
        let absolute = workspace.absolute(target);
        if absolute.is_dir() {
            expanded.extend(index::dvc_files(workspace, &absolute)?);
        } else {
            expanded.push(target.clone());
        }
    }
    Ok(expanded)
}

/// Outputs grouped by the remote they go to (`None`: no remote could be chosen), each group
/// in collection order. Groups are ordered by remote name.
pub(crate) fn group_by_remote(
    outputs: Vec<UsedOutput>,
    default: Option<&str>,
) -> BTreeMap<Option<String>, Vec<UsedOutput>> {
    let mut groups: BTreeMap<Option<String>, Vec<UsedOutput>> = BTreeMap::new();
    for output in outputs {
        let remote = output.remote.clone().or_else(|| default.map(str::to_owned));
        groups.entry(remote).or_default().push(output);
    }
    groups
}

/// Outputs split by layout: DVC 3 first, then legacy.
pub(crate) fn split_by_layout(outputs: &[UsedOutput]) -> Vec<(HashName, Vec<&UsedOutput>)> {
    let mut split = Vec::new();
    for hash_name in [HashName::Md5, HashName::Md5Dos2Unix] {
        let part: Vec<&UsedOutput> = outputs
            .iter()
            .filter(|output| output.hash_name == hash_name)
            .collect();
        if !part.is_empty() {
            split.push((hash_name, part));
        }
    }
    split
}

/// The remote layout of objects hashed with `hash_name`.
pub(crate) fn layout(hash_name: HashName) -> Layout {
    match hash_name {
        HashName::Md5 => Layout::Md5,
        HashName::Md5Dos2Unix => Layout::Legacy,
    }
}

/// The remote key of object `id` in `layout`.
pub(crate) fn key(id: &ObjectId, layout: Layout) -> ObjectKey {
    let kind = if id.is_tree() {
        KeyKind::Tree
    } else {
        KeyKind::File
    };
    ObjectKey::new(*id.md5.as_bytes(), kind, layout)
}

/// A directory output's tree object.
#[derive(Debug, Clone)]
pub(crate) struct TreeObject {
    /// The tree's id.
    pub(crate) id: ObjectId,
    /// The files it lists, `None` when the `.dir` object is not in the cache.
    pub(crate) files: Option<Vec<ObjectId>>,
}

/// The objects some outputs of one layout use, each once.
#[derive(Debug)]
pub(crate) struct ObjectSet {
    /// The cache side.
    pub(crate) odb: Odb,
    /// The remote layout.
    pub(crate) layout: Layout,
    /// Tree objects of directory outputs.
    pub(crate) trees: Vec<TreeObject>,
    /// Every object (trees and files) with the name DVC shows for it: the output path, or
    /// `output/relpath` for a directory's file. The first name wins for shared content.
    pub(crate) names: Vec<(ObjectId, String)>,
    /// The recorded sizes of file outputs' objects (the smallest, for shared content);
    /// `.dir` manifests record no sizes.
    pub(crate) sizes: HashMap<ObjectId, u64>,
}

impl ObjectSet {
    /// Collects the objects of `outputs` (all in one layout), reading `.dir` manifests from the
    /// cache. A tree whose manifest is not in the cache contributes itself only.
    pub(crate) fn collect(
        workspace: &Workspace,
        hash_name: HashName,
        outputs: &[&UsedOutput],
    ) -> anyhow::Result<ObjectSet> {
        let odb = workspace.odb(hash_name);
        let mut seen = HashSet::new();
        let mut trees: Vec<TreeObject> = Vec::new();
        let mut names = Vec::new();
        let mut sizes: HashMap<ObjectId, u64> = HashMap::new();
        for output in outputs {
            if seen.insert(output.id) {
                names.push((output.id, output.name.clone()));
            }
            if let Some(size) = output.size
                && !output.id.is_tree()
            {
                sizes
                    .entry(output.id)
                    .and_modify(|known| *known = (*known).min(size))
                    .or_insert(size);
            }
            if !output.id.is_tree() || trees.iter().any(|tree| tree.id == output.id) {
                continue;
            }
            let files = if odb.contains(&output.id) {
                let manifest = odb.read_tree(&output.id)?;
                let mut files = Vec::with_capacity(manifest.len());
                for entry in manifest.entries() {
                    let Some(md5) = entry.hash.md5() else {
                        continue;
                    };
                    let id = ObjectId::file(md5);
                    files.push(id);
                    if seen.insert(id) {
                        names.push((id, format!("{}/{}", output.name, entry.relpath)));
                    }
                }
                Some(files)
            } else {
                None
            };
            trees.push(TreeObject {
                id: output.id,
                files,
            });
        }
        Ok(ObjectSet {
            odb,
            layout: layout(hash_name),
            trees,
            names,
            sizes,
        })
    }

    /// The remote key of `id`.
    pub(crate) fn key(&self, id: &ObjectId) -> ObjectKey {
        key(id, self.layout)
    }

    /// `ids` with their recorded sizes, for [`download_into_cache`].
    pub(crate) fn sized(&self, ids: &[ObjectId]) -> Vec<(ObjectId, Option<u64>)> {
        ids.iter()
            .map(|id| (*id, self.sizes.get(id).copied()))
            .collect()
    }
}

/// Where an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Presence {
    /// In the local cache.
    pub(crate) in_cache: bool,
    /// On the remote (or assumed to be, as a file of a `.dir` the remote has).
    pub(crate) on_remote: bool,
}

/// Forwards the events of a batch transfer to `progress` under `phase`: bytes as they
/// arrive, one file per finished item.
pub(crate) struct TransferCounter<'a> {
    /// Where to count.
    pub(crate) progress: &'a Progress,
    /// What the transfer is.
    pub(crate) phase: Phase,
}

impl TransferProgress for TransferCounter<'_> {
    fn transferred(&mut self, _item: usize, bytes: u64) {
        self.progress.advance(self.phase, 0, bytes);
    }

    fn finished(&mut self, _item: usize, _result: Result<(), &RemoteError>) {
        self.progress.advance(self.phase, 1, 0);
    }
}

/// The total size of `files`, for a byte count nobody may be watching: not read then.
pub(crate) fn total_size<'a>(
    progress: &Progress,
    files: impl Iterator<Item = &'a std::path::Path>,
) -> u64 {
    if !progress.is_watched() {
        return 0;
    }
    files
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum()
}

/// Which of `set`'s objects the cache and the remote have (DVC's `compare_status`). Like DVC,
/// the files of a directory whose `.dir` object is on the remote are taken to be there too:
/// `.dir` objects are uploaded only after all their files. The objects asked about are counted
/// in `progress` ([`Phase::Querying`]) as each request batch completes.
pub(crate) fn compare(
    set: &ObjectSet,
    remote: &Remote,
    jobs: Option<usize>,
    progress: &Progress,
) -> Result<HashMap<ObjectId, Presence>, RemoteFailure> {
    progress.start(Phase::Querying, 0, 0);
    let mut on_remote: HashSet<ObjectId> = HashSet::new();
    let tree_ids: Vec<ObjectId> = set.trees.iter().map(|tree| tree.id).collect();
    let tree_keys: Vec<ObjectKey> = tree_ids.iter().map(|id| set.key(id)).collect();
    let found = remote
        .exists_many(&tree_keys, jobs)
        .map_err(RemoteFailure)?;
    progress.advance(Phase::Querying, tree_keys.len() as u64, 0);
    for (tree, exists) in set.trees.iter().zip(found) {
        if exists {
            on_remote.insert(tree.id);
            on_remote.extend(tree.files.iter().flatten().copied());
        }
    }
    let rest: Vec<ObjectId> = set
        .names
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !id.is_tree() && !on_remote.contains(id))
        .collect();
    let rest_keys: Vec<ObjectKey> = rest.iter().map(|id| set.key(id)).collect();
    let found = remote
        .exists_many(&rest_keys, jobs)
        .map_err(RemoteFailure)?;
    progress.advance(Phase::Querying, rest_keys.len() as u64, 0);
    for (id, exists) in rest.iter().zip(found) {
        if exists {
            on_remote.insert(*id);
        }
    }
    let ids: Vec<ObjectId> = set.names.iter().map(|(id, _)| *id).collect();
    let in_cache = set.odb.contains_many(&ids);
    Ok(ids
        .into_iter()
        .zip(in_cache)
        .map(|(id, in_cache)| {
            let on_remote = on_remote.contains(&id);
            (
                id,
                Presence {
                    in_cache,
                    on_remote,
                },
            )
        })
        .collect())
}

/// An object that could not be transferred.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TransferFailure {
    /// The object as DVC names it in `failed to transfer '...'`: its hash (with `.dir`).
    pub object: String,
    /// What went wrong.
    pub error: String,
}

/// An object neither the cache nor the remote has.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MissingObject {
    /// `md5` or `md5-dos2unix`.
    pub hash_name: String,
    /// The object id (`<hex>` or `<hex>.dir`).
    pub object: String,
}

impl MissingObject {
    pub(crate) fn new(hash_name: HashName, id: &ObjectId) -> Self {
        MissingObject {
            hash_name: hash_name.to_string(),
            object: id.to_string(),
        }
    }
}

/// The per-item results of a transfer batch, or the remote-wide failure (which the batch has
/// already applied to every remaining item) as the error.
pub(crate) fn check_fatal(
    results: Vec<Result<(), RemoteError>>,
) -> Result<Vec<Result<(), RemoteError>>, RemoteFailure> {
    match results
        .iter()
        .position(|result| matches!(result, Err(error) if error.is_fatal()))
    {
        Some(index) => {
            let error = results
                .into_iter()
                .nth(index)
                .and_then(Result::err)
                .expect("the position found holds an error");
            Err(RemoteFailure(error))
        }
        None => Ok(results),
    }
}

/// Makes a freshly downloaded cache object read-only (0444), like every cache object.
pub(crate) fn protect(path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444))
            .with_context(|| format!("failed to set permissions of '{}'", path.display()))
    }
    #[cfg(not(unix))]
    {
        let mut permissions = std::fs::metadata(path)
            .with_context(|| format!("failed to read '{}'", path.display()))?
            .permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(path, permissions)
            .with_context(|| format!("failed to set permissions of '{}'", path.display()))
    }
}

/// What downloading `.dir` objects missing from the cache did.
#[derive(Debug, Default)]
pub(crate) struct Downloaded {
    /// How many were downloaded.
    pub(crate) fetched: usize,
    /// Trees the remote does not have either.
    pub(crate) missing: Vec<ObjectId>,
    /// Trees that failed for another reason.
    pub(crate) failures: Vec<TransferFailure>,
}

/// Downloads the `.dir` objects of `outputs` that the cache lacks or holds corrupted (needed
/// to know which files a directory has; manifests are small, so each one in the cache is
/// hashed, its read-only mode not trusted), verified and made read-only.
pub(crate) fn download_missing_trees(
    workspace: &Workspace,
    remote: &Remote,
    hash_name: HashName,
    outputs: &[&UsedOutput],
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<Downloaded> {
    let odb = workspace.odb(hash_name);
    let mut wanted: Vec<(ObjectId, Option<u64>)> = Vec::new();
    for output in outputs {
        if output.id.is_tree()
            && !wanted.iter().any(|(id, _)| *id == output.id)
            && odb.check(&output.id, false)? != ObjectState::Valid
        {
            // The size of a directory output is that of its files, not of its manifest.
            wanted.push((output.id, None));
        }
    }
    download_into_cache(&odb, remote, layout(hash_name), &wanted, jobs, progress)
}

/// Downloads `ids` (each with its recorded size, when known: a larger object fails) into the
/// cache of `odb`; objects the remote lacks are reported missing. Downloads are counted in
/// `progress` ([`Phase::Downloading`]).
pub(crate) fn download_into_cache(
    odb: &Odb,
    remote: &Remote,
    layout: Layout,
    ids: &[(ObjectId, Option<u64>)],
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<Downloaded> {
    let mut outcome = Downloaded::default();
    if ids.is_empty() {
        return Ok(outcome);
    }
    let items: Vec<ObjectDownload> = ids
        .iter()
        .map(|(id, size)| ObjectDownload {
            key: key(id, layout),
            size: *size,
            destination: odb.object_path(id),
        })
        .collect();
    // The cache creates the shard directories (and their parents), so that they get its
    // modes (`cache.shared = group`: `2775`, as DVC's downloads make them).
    let mut shards = HashSet::new();
    for ((id, _), item) in ids.iter().zip(&items) {
        if shards.insert(item.destination.parent().map(std::path::Path::to_path_buf)) {
            anyhow::Context::with_context(odb.ensure_shard(id), || {
                format!("failed to create the cache directory of {id}")
            })?;
        }
    }
    progress.start(Phase::Downloading, items.len() as u64, 0);
    let mut counter = TransferCounter {
        progress,
        phase: Phase::Downloading,
    };
    let results = check_fatal(remote.download_many(&items, jobs, &mut counter))?;
    for (((id, _), item), result) in ids.iter().zip(&items).zip(results) {
        match result {
            Ok(()) => {
                protect(&item.destination)?;
                outcome.fetched += 1;
            }
            Err(RemoteError::MissingObject { .. }) => outcome.missing.push(*id),
            Err(error) => {
                // dv refuses a corrupted object where DVC stores it: the shard directory made
                // for it is not left behind empty (a directory holding other objects stays).
                if matches!(
                    error,
                    RemoteError::Corrupted { .. } | RemoteError::TooLarge { .. }
                ) && let Some(shard) = item.destination.parent()
                {
                    let _ = std::fs::remove_dir(shard);
                }
                outcome.failures.push(TransferFailure {
                    object: id.to_string(),
                    error: error.to_string(),
                });
            }
        }
    }
    Ok(outcome)
}

/// Uploads a freshly built object to `remote` straight from where it was built (`source`, a
/// file or a directory outside the cache): every file, then the directory's manifest (written
/// to a temporary file in `tmp_dir`), so a tree object never appears before its files.
/// Uploads are counted in `progress` ([`Phase::Uploading`]).
pub(crate) fn upload_built(
    remote: &Remote,
    source: &std::path::Path,
    built: &dv_data::build::Built,
    tmp_dir: &std::path::Path,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use dv_data::build::Built;
    let mut counter = TransferCounter {
        progress,
        phase: Phase::Uploading,
    };
    let layout = layout(HashName::Md5);
    let mut files: Vec<(std::path::PathBuf, ObjectKey)> = Vec::new();
    match built {
        Built::File { md5, .. } => {
            files.push((source.to_path_buf(), key(&ObjectId::file(*md5), layout)));
        }
        Built::Tree { files: tree, .. } => {
            for file in tree {
                files.push((
                    file.file.path.clone(),
                    key(&ObjectId::file(file.md5), layout),
                ));
            }
        }
    }
    let failed = |results: Vec<Result<(), dv_remote::RemoteError>>| {
        results
            .into_iter()
            .find_map(Result::err)
            .map(|error| anyhow::Error::new(RemoteFailure(error)))
    };
    let manifests = u64::from(matches!(built, Built::Tree { .. }));
    progress.start(
        Phase::Uploading,
        files.len() as u64 + manifests,
        built.size(),
    );
    if let Some(error) = failed(remote.upload_many(&files, jobs, &mut counter)) {
        return Err(error);
    }
    if let Built::Tree { manifest, id, .. } = built {
        std::fs::create_dir_all(tmp_dir)
            .with_context(|| format!("failed to create '{}'", tmp_dir.display()))?;
        let manifest_file = tmp_dir.join(format!(".{id}.manifest"));
        std::fs::write(&manifest_file, manifest.to_bytes())
            .with_context(|| format!("failed to write '{}'", manifest_file.display()))?;
        let results = remote.upload_many(
            &[(manifest_file.clone(), key(id, layout))],
            jobs,
            &mut counter,
        );
        let _ = std::fs::remove_file(&manifest_file);
        if let Some(error) = failed(results) {
            return Err(error);
        }
    }
    Ok(())
}
