//! `dvc data status` (spec §10.6): what changed between the last git commit's `.dvc` files and
//! the workspace's ("committed" changes), between the `.dvc` files and the workspace data
//! ("uncommitted" changes), and which recorded objects are missing from the cache.
//!
//! This ports the data-index diff DVC uses: both sides are tries keyed by repository-relative
//! path; they are compared breadth-first by hash only, directories are entered only with
//! `granular` (or when they have no hash), a directory whose `.dir` object is missing makes its
//! workspace files "unknown", and an added entry whose hash equals a deleted one's is reported
//! as a rename. DVC lists entries of one directory level in hash-set order (it varies between
//! runs); dv sorts them by name.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::num::NonZeroUsize;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use dv_data::build::{self, BuildOptions, Built};
use dv_data::state::State;
use dv_schema::dir_manifest::DirManifest;
use dv_schema::dvc_file::{DvcFile, Output};
use dv_schema::hash::{HashName, ObjectId};

use crate::index::{self, DvcFileEntry};
use crate::workspace::Workspace;

/// What `data status` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct DataStatusOptions {
    /// List the files inside tracked directories too.
    pub granular: bool,
    /// Threads for hashing.
    pub jobs: Option<usize>,
    /// Limit the report to these outputs, directories holding outputs, or paths inside a
    /// tracked directory (relative to the working directory).
    pub targets: Vec<PathBuf>,
    /// `--untracked-files`: list files neither git nor dv tracks.
    pub untracked: bool,
    /// `--not-in-remote`: list recorded outputs whose objects the remote lacks.
    pub not_in_remote: bool,
    /// `-r NAME`: the remote `not_in_remote` checks (else the default remote).
    pub remote: Option<String>,
}

/// One reported change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum ChangeItem {
    /// A path (directories end with `/`).
    Path(String),
    /// A rename.
    Rename {
        /// The old path.
        old: String,
        /// The new path.
        new: String,
    },
}

/// The changes of one kind, in DVC's order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangeGroup {
    /// `added`, `modified`, `deleted`, `renamed` or `unknown`.
    pub kind: &'static str,
    /// The changes.
    pub items: Vec<ChangeItem>,
}

/// The result of `data status`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DataStatusReport {
    /// Recorded entries whose object is not in the cache.
    pub not_in_cache: Vec<String>,
    /// `HEAD`'s `.dvc` files against the workspace's, grouped by kind in order of appearance.
    pub committed: Vec<ChangeGroup>,
    /// The `.dvc` files against the workspace data.
    pub uncommitted: Vec<ChangeGroup>,
    /// Entries unchanged in both comparisons.
    pub unchanged: Vec<String>,
    /// With `not_in_remote`: recorded outputs (or files of them) the remote lacks.
    pub not_in_remote: Vec<String>,
    /// With `untracked`: files neither git nor dv tracks, as shown.
    pub untracked: Vec<String>,
    /// git shows changes of staged or tracked files (`git status`, untracked files aside).
    pub git_dirty: bool,
    /// The git repository has no commit yet.
    pub git_empty: bool,
}

/// A recorded output: where it is and what its `.dvc` file or `dvc.lock` says of it.
#[derive(Debug, Clone)]
struct Recorded {
    path: PathBuf,
    output: Output,
}

/// Computes the data status of the workspace.
pub fn data_status(
    workspace: &Workspace,
    options: &DataStatusOptions,
) -> anyhow::Result<DataStatusReport> {
    let entries = index::load_targets(workspace, &[])?;
    let mut recorded = of_dvc_files(&entries);
    let (stage_outputs, uncached) = stage_outputs(workspace)?;
    recorded.extend(stage_outputs);
    let targets: Vec<PathBuf> = options
        .targets
        .iter()
        .map(|target| workspace.absolute(target))
        .collect();
    let selected = |path: &Path| {
        targets.is_empty()
            || targets
                .iter()
                .any(|target| path.starts_with(target) || target.starts_with(path))
    };
    recorded.retain(|recorded| selected(&recorded.path));
    let granular = options.granular;
    let index_tree = dvc_files_tree(workspace, &recorded, granular);

    let jobs = workspace.jobs(options.jobs);
    let mut state = workspace.load_state();
    let built = workspace_tree(workspace, &recorded, jobs, &mut state);
    workspace.save_state(&mut state);
    let workspace_tree = built?;

    let mut report = DataStatusReport::default();
    let uncommitted = render(
        workspace,
        diff(&index_tree, &workspace_tree, !granular),
        true,
    );
    report.not_in_cache = uncommitted.not_in_cache;
    report.uncommitted = uncommitted.groups;
    let mut unchanged = uncommitted.unchanged;

    if let Some(git) = workspace.git() {
        let head = if git.has_revision("HEAD") {
            let mut head = of_dvc_files(&head_entries(workspace, git)?);
            head.extend(
                head_lock_outputs(workspace, git)?
                    .into_iter()
                    .filter(|recorded| !uncached.contains(&recorded.path)),
            );
            head.retain(|recorded| selected(&recorded.path));
            head
        } else {
            report.git_empty = true;
            Vec::new()
        };
        let head_tree = dvc_files_tree(workspace, &head, granular);
        let committed = render(workspace, diff(&head_tree, &index_tree, !granular), false);
        report.committed = committed.groups;
        let still: HashSet<String> = committed.unchanged.into_iter().collect();
        unchanged.retain(|path| still.contains(path));
        report.git_dirty = git.has_changes()?;
        if options.untracked {
            report.untracked = git
                .untracked()?
                .into_iter()
                .map(|path| git.root().join(path))
                .filter(|path| path.starts_with(workspace.root()) && selected(path))
                .map(|path| workspace.display_path(&path))
                .collect();
        }
    }
    if options.not_in_remote {
        report.not_in_remote = not_in_remote(workspace, options, &recorded)?;
    }
    report.unchanged = unchanged;
    Ok(report)
}

/// The recorded outputs whose objects (for a directory: its `.dir` or any of its files) the
/// remote does not have, as shown.
fn not_in_remote(
    workspace: &Workspace,
    options: &DataStatusOptions,
    recorded: &[Recorded],
) -> anyhow::Result<Vec<String>> {
    let targets: Vec<(PathBuf, bool)> = recorded
        .iter()
        .filter(|recorded| recorded.output.md5.is_some())
        .map(|recorded| (recorded.path.clone(), recorded.output.is_dir()))
        .collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let status = crate::ops::remote_status::remote_status(
        workspace,
        &crate::ops::remote_status::RemoteStatusOptions {
            targets: Vec::new(),
            remote: options.remote.clone(),
            jobs: None,
            recursive: false,
            scope: crate::revisions::Scope::default(),
        },
        &dv_data::progress::Progress::default(),
    )?;
    let absent: Vec<PathBuf> = status
        .entries
        .iter()
        .filter(|entry| entry.status != "deleted")
        .map(|entry| workspace.absolute(Path::new(entry.name.trim_end_matches('/'))))
        .collect();
    let mut names: Vec<String> = targets
        .iter()
        .filter(|(path, _)| absent.iter().any(|missing| missing.starts_with(path)))
        .map(|(path, is_dir)| {
            let shown = workspace.display_path(path);
            if *is_dir { format!("{shown}/") } else { shown }
        })
        .collect();
    names.dedup();
    Ok(names)
}

/// The outputs of `.dvc` files.
fn of_dvc_files(entries: &[DvcFileEntry]) -> Vec<Recorded> {
    entries
        .iter()
        .flat_map(|entry| {
            entry.file.outs.iter().map(|output| Recorded {
                path: entry.resolve(output),
                output: output.clone(),
            })
        })
        .collect()
}

/// The cached outputs of every pipeline stage, with the hashes `dvc.lock` records (none for a
/// stage never run, which DVC shows as added); and the paths of uncached ones (`cache: false`
/// metrics and plots), which DVC's data index leaves out.
fn stage_outputs(workspace: &Workspace) -> anyhow::Result<(Vec<Recorded>, HashSet<PathBuf>)> {
    let pipelines = crate::pipelines::Pipelines::load(workspace, None)?;
    let stages: Vec<&dv_pipeline::stage::Stage> = pipelines.stages.iter().collect();
    let locked = crate::pipelines::locked_outputs_of(workspace, &stages)?;
    let mut recorded = Vec::new();
    let mut uncached = HashSet::new();
    for (stage, locked) in stages.iter().zip(locked) {
        for out in &stage.outs {
            let Some(path) = out.path.to_path(workspace.root()) else {
                continue;
            };
            if !out.is_cached() {
                uncached.insert(path);
                continue;
            }
            let output = match locked.iter().find(|locked| locked.path == path) {
                Some(locked) => locked.output.clone(),
                None => Output {
                    path: out.def_path.clone(),
                    ..Output::default()
                },
            };
            recorded.push(Recorded { path, output });
        }
    }
    Ok((recorded, uncached))
}

/// The outputs the `dvc.lock` files of commit `HEAD` record, relative to each lock file's
/// directory (read leniently: a file that does not parse is left out).
fn head_lock_outputs(workspace: &Workspace, git: &dv_scm::Git) -> anyhow::Result<Vec<Recorded>> {
    let prefix = head_prefix(workspace, git);
    let files: Vec<String> = git
        .files_at("HEAD")?
        .into_iter()
        .filter(|path| {
            (path == &format!("{prefix}dvc.lock") || path.ends_with("/dvc.lock"))
                && path.starts_with(&prefix)
        })
        .collect();
    let contents = git.read_files_at("HEAD", &files)?;
    let mut recorded = Vec::new();
    for (path, content) in files.iter().zip(contents) {
        let Some(text) = content.and_then(|content| String::from_utf8(content).ok()) else {
            continue;
        };
        let Ok(lock) = dv_schema::lock_file::LockFile::from_yaml(&text) else {
            continue;
        };
        let dir = workspace
            .root()
            .join(&path[prefix.len()..])
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| workspace.root().to_path_buf());
        for (_, stage) in &lock.stages {
            for output in &stage.outs {
                recorded.push(Recorded {
                    path: crate::path::normalize(&dir.join(&output.path)),
                    output: output.clone(),
                });
            }
        }
    }
    Ok(recorded)
}

/// The workspace root's path inside the git work tree, with a trailing `/` (empty at its root).
fn head_prefix(workspace: &Workspace, git: &dv_scm::Git) -> String {
    let prefix = workspace
        .root()
        .strip_prefix(git.root())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let prefix = prefix.to_string_lossy().replace('\\', "/");
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    }
}

/// The `.dvc` files of commit `HEAD` inside the repository, loaded leniently (a file that does
/// not parse is left out).
fn head_entries(workspace: &Workspace, git: &dv_scm::Git) -> anyhow::Result<Vec<DvcFileEntry>> {
    let prefix = head_prefix(workspace, git);
    let files: Vec<String> = git
        .files_at("HEAD")?
        .into_iter()
        .filter(|path| path.ends_with(".dvc") && path.starts_with(&prefix))
        .filter(|path| {
            let inside = &path[prefix.len()..];
            !inside.starts_with(".dvc/") && !inside.split('/').any(|c| c == ".git")
        })
        .collect();
    let contents = git.read_files_at("HEAD", &files)?;
    let mut entries = Vec::new();
    for (path, content) in files.iter().zip(contents) {
        let Some(content) = content else { continue };
        let Ok(text) = String::from_utf8(content) else {
            continue;
        };
        let Ok(file) = DvcFile::from_yaml(&text) else {
            continue;
        };
        entries.push(DvcFileEntry {
            path: workspace.root().join(&path[prefix.len()..]),
            text,
            file,
        });
    }
    Ok(entries)
}

/// The hash of an entry: algorithm and object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct HashInfo {
    name: HashName,
    id: ObjectId,
}

/// What an index records at a key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    hash: Option<HashInfo>,
    is_dir: bool,
}

/// A trie node: a directory level, an output, or a file inside a tracked directory.
#[derive(Debug, Default)]
struct Node {
    entry: Option<Entry>,
    is_dir: bool,
    children: BTreeMap<String, Node>,
    /// The directory's content is unknown (its `.dir` object is not in the cache).
    unknown: bool,
}

impl Node {
    fn insert(&mut self, key: &[String]) -> &mut Node {
        let mut node = self;
        for part in key {
            node.is_dir = true;
            node = node.children.entry(part.clone()).or_default();
        }
        node
    }
}

/// The repository-relative key of `path`, if it is inside the repository.
fn key_of(root: &Path, path: &Path) -> Option<Vec<String>> {
    let relative = path.strip_prefix(root).ok()?;
    let key: Vec<String> = relative
        .components()
        .map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!key.is_empty()).then_some(key)
}

/// The trie of the outputs recorded in `entries`; with `granular`, tracked directories hold
/// the files of their `.dir` object (or are unknown without it).
fn dvc_files_tree(workspace: &Workspace, recorded: &[Recorded], granular: bool) -> Node {
    let mut root = Node {
        is_dir: true,
        ..Node::default()
    };
    for Recorded { path, output } in recorded {
        {
            let Some(key) = key_of(workspace.root(), path) else {
                continue;
            };
            let hash = output.md5.map(|id| HashInfo {
                name: output.hash_name,
                id,
            });
            let is_dir = output.is_dir();
            let node = root.insert(&key);
            node.entry = Some(Entry { hash, is_dir });
            node.is_dir = is_dir;
            if granular && let Some(id) = output.md5.filter(ObjectId::is_tree) {
                match workspace.odb(output.hash_name).read_tree(&id) {
                    Ok(manifest) => add_manifest(node, &manifest, output.hash_name),
                    Err(_) => node.unknown = true,
                }
            }
        }
    }
    root
}

fn add_manifest(node: &mut Node, manifest: &DirManifest, name: HashName) {
    for file in manifest.entries() {
        let key: Vec<String> = file.relpath.components().map(str::to_owned).collect();
        let child = node.insert(&key);
        child.entry = Some(Entry {
            hash: file.hash.md5().map(|md5| HashInfo {
                name,
                id: ObjectId::file(md5),
            }),
            is_dir: false,
        });
    }
}

/// The trie of the workspace data at the recorded outputs, hashed like their records.
fn workspace_tree(
    workspace: &Workspace,
    recorded: &[Recorded],
    jobs: NonZeroUsize,
    state: &mut State,
) -> anyhow::Result<Node> {
    let mut root = Node {
        is_dir: true,
        ..Node::default()
    };
    for Recorded { path, output } in recorded {
        {
            let path = path.clone();
            let Some(key) = key_of(workspace.root(), &path) else {
                continue;
            };
            if std::fs::metadata(&path).is_err() {
                continue;
            }
            let built = build::build(
                workspace.root(),
                &path,
                &BuildOptions {
                    hash_name: output.hash_name,
                    jobs,
                },
                state,
            )
            .with_context(|| format!("failed to hash '{}'", workspace.display_path(&path)))?;
            let node = root.insert(&key);
            let hash = Some(HashInfo {
                name: output.hash_name,
                id: built.object_id(),
            });
            match &built {
                Built::File { .. } => {
                    node.entry = Some(Entry {
                        hash,
                        is_dir: false,
                    });
                }
                Built::Tree { files, .. } => {
                    node.entry = Some(Entry { hash, is_dir: true });
                    node.is_dir = true;
                    for file in files {
                        let key: Vec<String> =
                            file.file.relpath.components().map(str::to_owned).collect();
                        // Sub-directories are entries without a hash, as in DVC's index.
                        let mut parent = &mut *node;
                        for part in &key[..key.len() - 1] {
                            parent.is_dir = true;
                            parent = parent.children.entry(part.clone()).or_default();
                            parent.is_dir = true;
                            parent.entry.get_or_insert(Entry {
                                hash: None,
                                is_dir: true,
                            });
                        }
                        let leaf = parent
                            .children
                            .entry(key[key.len() - 1].clone())
                            .or_default();
                        leaf.entry = Some(Entry {
                            hash: Some(HashInfo {
                                name: output.hash_name,
                                id: ObjectId::file(file.md5),
                            }),
                            is_dir: false,
                        });
                    }
                }
            }
        }
    }
    Ok(root)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Added,
    Modified,
    Deleted,
    Renamed,
    Unchanged,
    Unknown,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Modified => "modified",
            Kind::Deleted => "deleted",
            Kind::Renamed => "renamed",
            Kind::Unchanged => "unchanged",
            Kind::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
struct Change<'a> {
    kind: Kind,
    /// The key of the old entry (of the new one for additions).
    key: Vec<String>,
    /// The key of the new entry, for renames.
    new_key: Vec<String>,
    old: Option<&'a Entry>,
    new: Option<&'a Entry>,
}

/// Compares two tries breadth-first by hash (DVC's `diff(..., hash_only=True,
/// with_unchanged=True, with_unknown=True, with_renames=True)`).
fn diff<'a>(old: &'a Node, new: &'a Node, shallow: bool) -> Vec<Change<'a>> {
    type Level<'a> = (Option<&'a Node>, Option<&'a Node>, bool, Vec<String>);
    let mut changes = Vec::new();
    let mut todo: VecDeque<Level<'a>> = VecDeque::new();
    todo.push_back((Some(old), Some(new), false, Vec::new()));
    let children = |node: Option<&'a Node>| -> (Option<&'a Node>, bool) {
        match node {
            None => (None, false),
            Some(node) if shallow && node.entry.as_ref().is_some_and(|e| e.hash.is_some()) => {
                (None, false)
            }
            Some(node) if node.unknown => (None, true),
            Some(node) => (Some(node), false),
        }
    };
    while let Some((old_dir, new_dir, unknown, prefix)) = todo.pop_front() {
        static EMPTY: BTreeMap<String, Node> = BTreeMap::new();
        let old_children = old_dir.map_or(&EMPTY, |n| &n.children);
        let new_children = new_dir.map_or(&EMPTY, |n| &n.children);
        let names: std::collections::BTreeSet<&String> =
            old_children.keys().chain(new_children.keys()).collect();
        for name in names {
            let old_node = old_children.get(name);
            let new_node = new_children.get(name);
            let old_entry = old_node.and_then(|n| n.entry.as_ref());
            let new_entry = new_node.and_then(|n| n.entry.as_ref());
            let mut key = prefix.clone();
            key.push(name.clone());
            let kind = if unknown {
                Kind::Unknown
            } else {
                match (
                    old_entry.and_then(|e| e.hash),
                    new_entry.and_then(|e| e.hash),
                ) {
                    (None, Some(_)) => Kind::Added,
                    (Some(_), None) => Kind::Deleted,
                    (Some(a), Some(b)) if a != b => Kind::Modified,
                    _ => Kind::Unchanged,
                }
            };
            if old_node.is_some_and(|n| n.is_dir) || new_node.is_some_and(|n| n.is_dir) {
                let (old_sub, old_unknown) = children(old_node);
                let (new_sub, new_unknown) = children(new_node);
                // Below an unknown directory everything is unknown.
                let sub_unknown = unknown || old_unknown || new_unknown;
                todo.push_back((old_sub, new_sub, sub_unknown, key.clone()));
            }
            if old_entry.is_none() && new_entry.is_none() {
                continue;
            }
            changes.push(Change {
                kind,
                new_key: key.clone(),
                key,
                old: old_entry,
                new: new_entry,
            });
        }
    }
    detect_renames(changes)
}

/// DVC's `_detect_renames`: other changes first, then additions sorted by key (a rename when a
/// deletion has the same hash), then the remaining deletions grouped by hash.
fn detect_renames(changes: Vec<Change<'_>>) -> Vec<Change<'_>> {
    let mut out = Vec::new();
    let mut added = Vec::new();
    let mut deleted = Vec::new();
    for change in changes {
        match change.kind {
            Kind::Added => added.push(change),
            Kind::Deleted => deleted.push(change),
            _ => out.push(change),
        }
    }
    added.sort_by(|a, b| a.key.cmp(&b.key));
    deleted.sort_by(|a, b| a.key.cmp(&b.key));
    // Per hash, in order of first appearance; each queue is popped from the front (the
    // smallest key first) and its remainder is listed last-first, as DVC's deques do.
    let mut order: Vec<Option<HashInfo>> = Vec::new();
    let mut queues: HashMap<Option<HashInfo>, VecDeque<Change<'_>>> = HashMap::new();
    for deletion in deleted {
        let hash = deletion.old.and_then(|e| e.hash);
        if !queues.contains_key(&hash) {
            order.push(hash);
        }
        queues.entry(hash).or_default().push_back(deletion);
    }
    for addition in added {
        let hash = addition.new.and_then(|e| e.hash);
        let matched = hash
            .and_then(|h| queues.get_mut(&Some(h)))
            .and_then(VecDeque::pop_front);
        match matched {
            Some(deletion) => out.push(Change {
                kind: Kind::Renamed,
                key: deletion.key,
                new_key: addition.key,
                old: deletion.old,
                new: addition.new,
            }),
            None => out.push(addition),
        }
    }
    for hash in order {
        if let Some(queue) = queues.remove(&hash) {
            out.extend(queue.into_iter().rev());
        }
    }
    out
}

struct Rendered {
    groups: Vec<ChangeGroup>,
    unchanged: Vec<String>,
    not_in_cache: Vec<String>,
}

/// Turns changes into DVC's result: paths with a `/` for directories, groups in order of
/// first appearance, and (for the uncommitted diff) the entries whose object is not cached.
fn render(workspace: &Workspace, changes: Vec<Change<'_>>, check_cache: bool) -> Rendered {
    let show = |key: &[String], entry: Option<&Entry>| {
        let mut path = key.join("/");
        if entry.is_some_and(|e| e.is_dir) {
            path.push('/');
        }
        path
    };
    let mut groups: Vec<ChangeGroup> = Vec::new();
    let mut unchanged = Vec::new();
    let mut to_check: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut checked: HashMap<PathBuf, usize> = HashMap::new();
    for change in changes {
        let has_hash = |e: Option<&Entry>| e.is_some_and(|e| e.hash.is_some());
        if change.kind == Kind::Unchanged && !has_hash(change.old) && !has_hash(change.new) {
            continue;
        }
        if change.kind == Kind::Unknown && change.new.is_none() {
            continue;
        }
        if check_cache && let Some(hash) = change.old.and_then(|e| e.hash) {
            let object = workspace.odb(hash.name).object_path(&hash.id);
            let shown = show(&change.key, change.old);
            match checked.get(&object) {
                Some(&position) => to_check[position].1.push(shown),
                None => {
                    checked.insert(object.clone(), to_check.len());
                    to_check.push((object, vec![shown]));
                }
            }
        }
        let item = if change.kind == Kind::Renamed {
            ChangeItem::Rename {
                old: show(&change.key, change.old),
                new: show(&change.new_key, change.new),
            }
        } else {
            let entry = if change.new.is_some() {
                change.new
            } else {
                change.old
            };
            ChangeItem::Path(show(&change.key, entry))
        };
        if change.kind == Kind::Unchanged {
            if let ChangeItem::Path(path) = item {
                unchanged.push(path);
            }
            continue;
        }
        let kind = change.kind.as_str();
        match groups.iter_mut().find(|g| g.kind == kind) {
            Some(group) => group.items.push(item),
            None => groups.push(ChangeGroup {
                kind,
                items: vec![item],
            }),
        }
    }
    let not_in_cache = to_check
        .into_iter()
        .filter(|(object, _)| !object.is_file())
        .flat_map(|(_, shown)| shown)
        .collect();
    Rendered {
        groups,
        unchanged,
        not_in_cache,
    }
}
