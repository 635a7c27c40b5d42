//! The data of one side of a `diff`, as DVC's data index holds it: the cached outputs a
//! revision records (from its `.dvc` files and `dvc.lock` files; a `dvc.yaml` output never
//! run has no hash), and one [`Source`] per data key the targets select. At a commit, a
//! directory output lists the files of its `.dir` manifest, read from the cache only when a
//! comparison needs them; in the workspace, each data key is hashed from disk through the hash
//! cache, directories by dv's walk (which honours `.dvcignore` as DVC's does).

use std::cell::OnceCell;
use std::path::Path;

use dv_data::build::{self, BuildOptions, Built};
use dv_data::odb::Odb;
use dv_data::progress::Progress;
use dv_data::state::State;
use dv_pipeline::files::FileSource;
use dv_pipeline::stage::{EntryPath, Stage, is_url};
use dv_schema::dir_manifest::DirManifest;
use dv_schema::hash::{HashName, ObjectId};
use dv_schema::repo_path::RepoPath;

use super::tree::{Digest, Entry, Listing, entries_below};
use crate::index::{Index, RepoStage};
use crate::pipelines::locked_outputs_from;
use crate::workspace::{Workspace, absolute, repo_path_of};

/// A cached output inside the repository, as a revision records it.
#[derive(Debug, Clone)]
pub(super) struct Out {
    /// The position of its stage in the index.
    pub(super) stage: usize,
    /// Its path.
    pub(super) key: RepoPath,
    /// Recorded as a directory (`nfiles`, or a `.dir` hash).
    pub(super) isdir: bool,
    /// The recorded hash (none for a `dvc.yaml` output without a `dvc.lock` entry).
    pub(super) hash: Option<ObjectId>,
    /// The hash name (`md5`, or `md5-dos2unix` for DVC 2.x outputs).
    pub(super) hash_name: HashName,
    /// For a URL import not downloaded (`--no-download`: no hash of its own), its source's
    /// hash, which DVC's data index gives the output (so it shows "not in cache").
    pub(super) import_hash: Option<Digest<'static>>,
}

impl Out {
    fn entry(&self) -> Entry<'static> {
        Entry {
            isdir: self.isdir,
            hash: self
                .hash
                .map(|id| Digest::Id(self.hash_name, id))
                .or(self.import_hash),
        }
    }
}

/// The hash of a URL import's source, for an import output without a hash of its own.
fn import_hash(file: &dv_schema::dvc_file::DvcFile) -> Option<Digest<'static>> {
    let [dep] = file.deps.as_slice() else {
        return None;
    };
    if dep.repo.is_some() {
        return None;
    }
    // A diff runs once per process: the few values leaked here live as long as it anyway.
    let leak = |value: &str| -> &'static str { Box::leak(value.to_owned().into_boxed_str()) };
    if let Some(id) = dep.md5 {
        return Some(Digest::Id(dep.hash_name, id));
    }
    if let Some(etag) = &dep.etag {
        return Some(Digest::Other("etag", leak(etag)));
    }
    dep.checksum
        .as_deref()
        .map(|checksum| Digest::Other("checksum", leak(checksum)))
}

/// Every cached output inside the repository of the stages of `index`, whose `dvc.lock` files
/// are read through `files`.
pub(super) fn recorded_outputs(
    workspace: &Workspace,
    index: &Index,
    files: &dyn FileSource,
) -> anyhow::Result<Vec<Out>> {
    let mut outs = Vec::new();
    let mut pipeline: Vec<(usize, &Stage)> = Vec::new();
    for (position, stage) in index.stages.iter().enumerate() {
        match stage {
            RepoStage::File { entry, .. } => {
                for output in &entry.file.outs {
                    if !output.cache || is_url(&output.path) {
                        continue;
                    }
                    let Some(key) = repo_path_of(workspace, &entry.resolve(output)) else {
                        continue;
                    };
                    if key.is_root() {
                        continue;
                    }
                    outs.push(Out {
                        stage: position,
                        key,
                        isdir: output.nfiles.is_some_and(|n| n > 0)
                            || output.md5.is_some_and(|id| id.is_tree()),
                        hash: output.md5,
                        hash_name: output.hash_name,
                        import_hash: output
                            .md5
                            .is_none()
                            .then(|| import_hash(&entry.file))
                            .flatten(),
                    });
                }
            }
            RepoStage::Pipeline { stage, .. } => pipeline.push((position, stage)),
        }
    }
    let stages: Vec<&Stage> = pipeline.iter().map(|(_, stage)| *stage).collect();
    let locked = locked_outputs_from(workspace, files, &stages)?;
    for ((position, stage), locked) in pipeline.iter().zip(locked) {
        for output in &stage.outs {
            let EntryPath::Repo(key) = &output.path else {
                continue;
            };
            if !output.is_cached() || key.is_root() {
                continue;
            }
            let path = absolute(workspace, key);
            let recorded = locked.iter().find(|locked| locked.path == path);
            outs.push(match recorded {
                Some(locked) => Out {
                    stage: *position,
                    key: key.clone(),
                    isdir: locked.output.nfiles.is_some_and(|n| n > 0)
                        || locked.output.md5.is_some_and(|id| id.is_tree()),
                    hash: locked.output.md5,
                    hash_name: locked.output.hash_name,
                    import_hash: None,
                },
                None => Out {
                    stage: *position,
                    key: key.clone(),
                    isdir: false,
                    hash: None,
                    hash_name: HashName::Md5,
                    import_hash: None,
                },
            });
        }
    }
    Ok(outs)
}

/// DVC's failure to read the `.dir` manifest of a directory output that a target looks
/// inside: an unexpected error (exit code 255) naming the output's key and the missing object.
#[derive(Debug, thiserror::Error)]
#[error("failed to load directory {key}: [Errno 2] No such file or directory: '{path}'")]
pub(super) struct DirectoryNotLoaded {
    /// The output's data index key as Python shows the tuple (`('data',)`).
    key: String,
    /// The object's path.
    path: String,
}

/// Fails as DVC does when a data key lies inside a directory output whose `.dir` manifest is
/// not in the cache (DVC loads it to select what is below the key).
pub(super) fn check_loadable(
    workspace: &Workspace,
    outs: &[Out],
    keys: &[(usize, RepoPath)],
) -> Result<(), DirectoryNotLoaded> {
    for (position, key) in keys {
        let out = &outs[*position];
        let (true, Some(id)) = (out.isdir && *key != out.key, out.hash) else {
            continue;
        };
        let path = workspace.odb(out.hash_name).object_path(&id);
        if !id.is_tree() || path.exists() {
            continue;
        }
        let parts: Vec<String> = out
            .key
            .components()
            .map(dv_schema::shown::python_repr)
            .collect();
        let key = match parts.as_slice() {
            [one] => format!("({one},)"),
            _ => format!("({})", parts.join(", ")),
        };
        return Err(DirectoryNotLoaded {
            key,
            path: path.to_string_lossy().into_owned(),
        });
    }
    Ok(())
}

/// The files of a directory: a `.dir` manifest read from the cache on first use, or a tree
/// built from the workspace.
pub(super) struct LazyTree {
    name: HashName,
    /// The cache and object to read, for a recorded tree.
    recorded: Option<(Odb, Option<ObjectId>)>,
    manifest: OnceCell<Option<DirManifest>>,
}

impl LazyTree {
    fn recorded(odb: Odb, id: Option<ObjectId>, name: HashName) -> LazyTree {
        LazyTree {
            name,
            recorded: Some((odb, id)),
            manifest: OnceCell::new(),
        }
    }

    fn built(manifest: DirManifest, name: HashName) -> LazyTree {
        LazyTree {
            name,
            recorded: None,
            manifest: OnceCell::from(Some(manifest)),
        }
    }

    /// The manifest; `None` when it cannot be loaded (not in the cache, unreadable, or a
    /// directory recorded without a hash), which DVC treats as unknown.
    pub(super) fn manifest(&self) -> Option<&DirManifest> {
        self.manifest
            .get_or_init(|| match &self.recorded {
                Some((odb, Some(id))) if id.is_tree() => odb.read_tree(id).ok(),
                _ => None,
            })
            .as_ref()
    }
}

/// One data key of a side, with what is there.
struct SourceData {
    key: RepoPath,
    /// The entry at `key` when `key` is an output (or, in the workspace, a hashed path);
    /// for a key inside a directory output the entry is found in the tree.
    root: Option<Entry<'static>>,
    /// The tree `key` is in or is, by position.
    tree: Option<usize>,
    /// Where `key` is inside the tree (`""`: the tree is at `key`).
    sub: String,
}

/// One side of a comparison: its data keys and the trees they read.
pub(super) struct Side {
    sources: Vec<SourceData>,
    trees: Vec<LazyTree>,
}

/// A data key of a side, borrowed from it.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    /// The data key.
    pub(super) key: &'a RepoPath,
    root: Option<Entry<'a>>,
    tree: Option<&'a LazyTree>,
    sub: &'a str,
}

impl Side {
    /// A commit: each data key `(out, key)` reads the output's recorded hash and, for a
    /// directory, its manifest from the cache.
    pub(super) fn recorded(
        workspace: &Workspace,
        outs: &[Out],
        keys: &[(usize, RepoPath)],
    ) -> Side {
        let mut trees = Vec::new();
        let mut tree_of: Vec<Option<usize>> = vec![None; outs.len()];
        let mut sources = Vec::new();
        for (out_position, key) in keys {
            let out = &outs[*out_position];
            let tree = out.isdir.then(|| {
                *tree_of[*out_position].get_or_insert_with(|| {
                    trees.push(LazyTree::recorded(
                        workspace.odb(out.hash_name),
                        out.hash,
                        out.hash_name,
                    ));
                    trees.len() - 1
                })
            });
            let sub = relative_below(key, &out.key);
            sources.push(SourceData {
                key: key.clone(),
                root: sub.is_empty().then(|| out.entry()),
                tree,
                sub,
            });
        }
        Side { sources, trees }
    }

    /// The workspace: each data key hashed from disk (a directory output gets its tree hash;
    /// a key inside an output does not, as in DVC), files known to `state` not re-read.
    pub(super) fn workspace(
        workspace: &Workspace,
        outs: &[Out],
        keys: &[(usize, RepoPath)],
        state: &mut State,
        progress: &Progress,
    ) -> anyhow::Result<Side> {
        let jobs = workspace.jobs(None);
        let mut trees = Vec::new();
        let mut sources = Vec::new();
        for (out_position, key) in keys {
            let out = &outs[*out_position];
            let path = absolute(workspace, key);
            if !exists(&path) {
                sources.push(SourceData {
                    key: key.clone(),
                    root: None,
                    tree: None,
                    sub: String::new(),
                });
                continue;
            }
            let options = BuildOptions {
                hash_name: out.hash_name,
                jobs,
            };
            let built =
                build::build_with_progress(workspace.root(), &path, &options, state, progress)
                    .map_err(|error| {
                        anyhow::Error::new(error).context(format!(
                            "failed to hash '{}'",
                            workspace.display_path(&path)
                        ))
                    })?;
            let name = out.hash_name;
            let (root, tree) = match built {
                Built::File { md5, .. } => {
                    (Entry::file(Digest::Id(name, ObjectId::file(md5))), None)
                }
                Built::Tree { manifest, id, .. } => {
                    trees.push(LazyTree::built(manifest, name));
                    let hash = (*key == out.key).then_some(Digest::Id(name, id));
                    (Entry { isdir: true, hash }, Some(trees.len() - 1))
                }
            };
            sources.push(SourceData {
                key: key.clone(),
                root: Some(root),
                tree,
                sub: String::new(),
            });
        }
        Ok(Side { sources, trees })
    }

    /// The data keys, borrowed.
    pub(super) fn sources(&self) -> Vec<Source<'_>> {
        self.sources
            .iter()
            .map(|source| Source {
                key: &source.key,
                root: source.root,
                tree: source.tree.map(|position| &self.trees[position]),
                sub: &source.sub,
            })
            .collect()
    }
}

impl<'a> Source<'a> {
    /// The entry at `rel` below the data key (`""`: the key itself).
    pub(super) fn entry_at(&self, rel: &str) -> Option<Entry<'a>> {
        let inside = join(self.sub, rel);
        if inside.is_empty() {
            return self.root;
        }
        let tree = self.tree?;
        let manifest = tree.manifest()?;
        if let Some(file) = manifest.get(&inside) {
            return Some(Entry::of_manifest(file, tree.name));
        }
        let below = entries_below(manifest.entries(), &inside);
        (!below.is_empty()).then_some(Entry::IMPLIED_DIR)
    }

    /// Every entry below `rel` (`""`: the key itself), sorted.
    pub(super) fn listing_at(&self, rel: &str) -> Listing<'a> {
        let Some(tree) = self.tree else {
            return Listing::default();
        };
        match tree.manifest() {
            Some(manifest) => {
                Listing::of_manifest(manifest.entries(), tree.name, &join(self.sub, rel))
            }
            None => Listing::unknown(),
        }
    }

    /// Whether the data key has an entry (a missing workspace path has none).
    pub(super) fn is_present(&self) -> bool {
        self.root.is_some() || !self.sub.is_empty()
    }
}

/// `a/b`, or either one when the other is empty.
fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}/{b}"),
    }
}

/// Where `key` is below `base` (`""` when they are the same path).
fn relative_below(key: &RepoPath, base: &RepoPath) -> String {
    key.as_str()
        .strip_prefix(base.as_str())
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or_default()
        .to_owned()
}

/// Whether something is at `path`, following symbolic links (DVC's `fs.exists`).
fn exists(path: &Path) -> bool {
    std::fs::metadata(path).is_ok()
}
