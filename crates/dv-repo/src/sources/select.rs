//! What a path names in a source repository, and writing it out: an output (file or
//! directory), a file or directory inside a directory output, git files, or a directory
//! holding git files and outputs (DVC's `DVCFileSystem` view, where outputs and git files
//! are one tree). Objects are fetched into an object database first; git files are stored in
//! it too, so every selection is written out the same way: from that database, by hash.

// Its callers (`get`, `import`) land after it; until then most of it has no caller.

use std::path::{Path, PathBuf};

use dv_data::checkout::{self as data_checkout, CheckoutOptions};
use dv_data::odb::Odb;
use dv_data::progress::Progress;
use dv_fs::link::LinkType;
use dv_schema::dir_manifest::{DirEntry, DirManifest, RelPath};
use dv_schema::dvc_file::Output;
use dv_schema::hash::{HashName, ObjectId};
use dv_schema::repo_path::RepoPath;

use super::SourceRepo;
use crate::error::CommandError;
use crate::revisions::Revisions;
use crate::revisions::Snapshot;
use crate::transfer::MissingObject;

/// Where one file of a selection comes from.
#[derive(Debug, Clone)]
pub(crate) enum From {
    /// A cached object (by hash, from the source's cache or remote).
    Object(ObjectId),
    /// A file in the source's files (git, or a local working tree).
    Git(PathBuf),
}

/// What a path names in a source.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// One file.
    File { from: From, isexec: bool },
    /// A directory: its files by path inside it.
    Dir(Vec<(RelPath, From)>),
}

/// A path of a source, resolved.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub(crate) item: Item,
    /// The output the path names exactly, as the source records it.
    pub(crate) whole: Option<Output>,
    /// The hash of the objects (`md5`, or a legacy output's `md5-dos2unix`).
    pub(crate) hash_name: HashName,
}

/// The path does not exist in the source (DVC's `[Errno 2]` message names it).
#[derive(Debug, thiserror::Error)]
#[error("[Errno 2] No such file or directory: '{0}'")]
pub struct NotInSource(pub String);

/// Objects neither the source's cache nor its remote has.
#[derive(Debug, thiserror::Error)]
#[error("{}", missing_message(.0))]
pub struct MissingFromSource(pub Vec<MissingObject>);

fn missing_message(missing: &[MissingObject]) -> String {
    let names: Vec<&str> = missing.iter().map(|m| m.object.as_str()).collect();
    format!(
        "the source's cache and remote lack {} object(s): {}",
        missing.len(),
        names.join(", ")
    )
}

/// Resolves `path` (relative to the source's root) in `source`. Directory outputs' `.dir`
/// objects are fetched into `odb` on the way.
pub(crate) fn select(
    source: &SourceRepo,
    path: &RepoPath,
    odb: &Odb,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<Selection> {
    let revisions = Revisions::open(&source.workspace)?;
    let snapshot = Snapshot::open(
        &source.workspace,
        &revisions,
        crate::revisions::At::Workspace,
    )?;
    let root = source.root();
    let absolute = if path.as_str().is_empty() {
        root.to_path_buf()
    } else {
        root.join(path.as_str())
    };
    let outputs = snapshot.outputs();
    if let Some(recorded) = outputs.iter().find(|recorded| recorded.path == absolute) {
        let output = &recorded.output;
        let Some(id) = output.md5 else {
            return Err(CommandError(format!(
                "output '{}' of '{}' has no hash: it was never committed",
                path, source.url
            ))
            .into());
        };
        let item = if id.is_tree() {
            let manifest = tree(source, odb, &id, jobs, progress)?;
            Item::Dir(objects_of(&manifest))
        } else {
            Item::File {
                from: From::Object(id),
                isexec: output.isexec,
            }
        };
        return Ok(Selection {
            item,
            whole: Some(output.clone()),
            hash_name: output.hash_name,
        });
    }
    for recorded in outputs {
        let Ok(inside) = absolute.strip_prefix(&recorded.path) else {
            continue;
        };
        let Some(id) = recorded.output.md5.filter(ObjectId::is_tree) else {
            continue;
        };
        let inside = inside.to_string_lossy().replace('\\', "/");
        let manifest = tree(source, odb, &id, jobs, progress)?;
        let hash_name = recorded.output.hash_name;
        if let Some(entry) = manifest.get(&inside)
            && let Some(md5) = entry.hash.md5()
        {
            let item = Item::File {
                from: From::Object(ObjectId::file(md5)),
                isexec: false,
            };
            return Ok(Selection {
                item,
                whole: None,
                hash_name,
            });
        }
        let prefix = format!("{inside}/");
        let files: Vec<(RelPath, From)> = objects_of(&manifest)
            .into_iter()
            .filter_map(|(relpath, from)| {
                let rest = relpath.as_str().strip_prefix(&prefix)?;
                Some((RelPath::new(rest).ok()?, from))
            })
            .collect();
        if files.is_empty() {
            return Err(NotInSource(absolute.display().to_string()).into());
        }
        return Ok(Selection {
            item: Item::Dir(files),
            whole: None,
            hash_name,
        });
    }
    let metadata =
        std::fs::metadata(&absolute).map_err(|_| NotInSource(absolute.display().to_string()))?;
    if !metadata.is_dir() {
        return Ok(Selection {
            item: Item::File {
                from: From::Git(inside_root(root, &absolute)?),
                isexec: is_exec(&metadata),
            },
            whole: None,
            hash_name: HashName::Md5,
        });
    }
    // A directory of git files, possibly holding outputs.
    let mut files: Vec<(RelPath, From)> = Vec::new();
    let mut hash_name = HashName::Md5;
    for recorded in outputs {
        let Ok(inside) = recorded.path.strip_prefix(&absolute) else {
            continue;
        };
        let Some(id) = recorded.output.md5 else {
            continue;
        };
        hash_name = recorded.output.hash_name;
        let inside = inside.to_string_lossy().replace('\\', "/");
        if id.is_tree() {
            let manifest = tree(source, odb, &id, jobs, progress)?;
            for (relpath, from) in objects_of(&manifest) {
                if let Ok(joined) = RelPath::new(format!("{inside}/{}", relpath.as_str())) {
                    files.push((joined, from));
                }
            }
        } else if let Ok(relpath) = RelPath::new(inside) {
            files.push((relpath, From::Object(id)));
        }
    }
    let output_paths: Vec<&Path> = outputs
        .iter()
        .filter(|recorded| recorded.path.starts_with(&absolute))
        .map(|recorded| recorded.path.as_path())
        .collect();
    walk_git_files(root, &absolute, &absolute, &output_paths, &mut files)?;
    files.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    files.dedup_by(|a, b| a.0 == b.0);
    Ok(Selection {
        item: Item::Dir(files),
        whole: None,
        hash_name,
    })
}

/// The files under `dir` (skipping `.git`, the source's `.dvc` directory and outputs).
fn walk_git_files(
    root: &Path,
    base: &Path,
    dir: &Path,
    outputs: &[&Path],
    files: &mut Vec<(RelPath, From)>,
) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.as_deref() == Some(".git") || path == root.join(".dvc") {
            continue;
        }
        if outputs.iter().any(|output| path.starts_with(output)) {
            continue;
        }
        let Ok(metadata) = std::fs::metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            walk_git_files(root, base, &path, outputs, files)?;
        } else if let Ok(rel) = path.strip_prefix(base)
            && let Ok(relpath) = RelPath::new(rel.to_string_lossy().replace('\\', "/"))
        {
            files.push((relpath, From::Git(inside_root(root, &path)?)));
        }
    }
    Ok(())
}

/// `path` with links resolved, refused when it leads outside the source (a repository may
/// hold a symbolic link to any file of the user's).
fn inside_root(root: &Path, path: &Path) -> anyhow::Result<PathBuf> {
    let resolved = std::fs::canonicalize(path)?;
    let root = std::fs::canonicalize(root)?;
    if !resolved.starts_with(&root) {
        return Err(CommandError(format!(
            "'{}' is a link to '{}', outside the source repository",
            path.display(),
            resolved.display()
        ))
        .into());
    }
    Ok(resolved)
}

fn is_exec(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

/// Every file of a manifest as an object.
fn objects_of(manifest: &DirManifest) -> Vec<(RelPath, From)> {
    manifest
        .entries()
        .iter()
        .filter_map(|entry| {
            let md5 = entry.hash.md5()?;
            Some((entry.relpath.clone(), From::Object(ObjectId::file(md5))))
        })
        .collect()
}

/// The manifest of directory object `id`, fetched into `odb` when it lacks it.
fn tree(
    source: &SourceRepo,
    odb: &Odb,
    id: &ObjectId,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<DirManifest> {
    if !odb.contains(id) {
        let fetched = source.fetch(odb, &[(*id, None)], jobs, progress)?;
        if !fetched.missing.is_empty() {
            let missing = vec![MissingObject::new(odb.hash_name(), id)];
            return Err(MissingFromSource(missing).into());
        }
        if let Some(failure) = fetched.failures.first() {
            return Err(CommandError(failure.error.clone()).into());
        }
    }
    Ok(odb.read_tree(id)?)
}

/// A selection whose every file is an object in `odb`.
#[derive(Debug, Clone)]
pub(crate) enum Stored {
    File { id: ObjectId, isexec: bool },
    Tree { manifest: DirManifest },
}

impl Stored {
    /// The object id and the `size`/`nfiles` an output records for it.
    pub(crate) fn record(&self, odb: &Odb) -> anyhow::Result<(ObjectId, u64, Option<u64>)> {
        let size = |id: &ObjectId| -> u64 {
            std::fs::metadata(odb.object_path(id))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        match self {
            Stored::File { id, .. } => Ok((*id, size(id), None)),
            Stored::Tree { manifest } => {
                let id = odb.add_tree(manifest)?;
                let total = manifest
                    .entries()
                    .iter()
                    .filter_map(|entry| entry.hash.md5())
                    .map(|md5| size(&ObjectId::file(md5)))
                    .sum();
                Ok((id, total, Some(manifest.len() as u64)))
            }
        }
    }
}

/// How many files of `selection` are cached objects `odb` lacks.
pub(crate) fn missing_files(selection: &Selection, odb: &Odb) -> usize {
    let lacks = |from: &From| matches!(from, From::Object(id) if !odb.contains(id));
    match &selection.item {
        Item::File { from, .. } => usize::from(lacks(from)),
        Item::Dir(files) => files.iter().filter(|(_, from)| lacks(from)).count(),
    }
}

/// Fetches the objects of `selection` into `odb` and stores its git files there.
pub(crate) fn store(
    source: &SourceRepo,
    selection: &Selection,
    odb: &Odb,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<Stored> {
    let mut wanted: Vec<(ObjectId, Option<u64>)> = Vec::new();
    let mut visit = |from: &From| {
        if let From::Object(id) = from {
            wanted.push((*id, None));
        }
    };
    match &selection.item {
        Item::File { from, .. } => visit(from),
        Item::Dir(files) => files.iter().for_each(|(_, from)| visit(from)),
    }
    wanted.sort_by_key(|(id, _)| *id);
    let fetched = source.fetch(odb, &wanted, jobs, progress)?;
    if !fetched.missing.is_empty() {
        let missing = fetched
            .missing
            .iter()
            .map(|id| MissingObject::new(odb.hash_name(), id))
            .collect();
        return Err(MissingFromSource(missing).into());
    }
    if let Some(failure) = fetched.failures.first() {
        return Err(CommandError(format!("{}: {}", failure.object, failure.error)).into());
    }
    let stored_id = |from: &From| -> anyhow::Result<ObjectId> {
        match from {
            From::Object(id) => Ok(*id),
            From::Git(path) => Ok(odb.insert_file(path)?.0),
        }
    };
    Ok(match &selection.item {
        Item::File { from, isexec } => Stored::File {
            id: stored_id(from)?,
            isexec: *isexec,
        },
        Item::Dir(files) => {
            let mut entries = Vec::with_capacity(files.len());
            for (relpath, from) in files {
                let id = stored_id(from)?;
                let md5 = id.md5;
                entries.push(DirEntry::md5(relpath.clone(), md5));
            }
            Stored::Tree {
                manifest: DirManifest::new(entries),
            }
        }
    })
}

/// Writes `stored` at `dest` (which must not exist) from `odb` with `links`.
pub(crate) fn write_out(
    stored: &Stored,
    odb: &Odb,
    dest: &Path,
    links: &[LinkType],
    jobs: std::num::NonZeroUsize,
    progress: &Progress,
) -> anyhow::Result<()> {
    match stored {
        Stored::File { id, isexec } => {
            data_checkout::checkout_file(odb, id, dest, *isexec, links)?;
        }
        Stored::Tree { manifest } => {
            std::fs::create_dir_all(dest)?;
            let options = CheckoutOptions {
                links: links.to_vec(),
                jobs,
            };
            data_checkout::checkout_tree(odb, manifest, dest, &options, progress)?;
        }
    }
    Ok(())
}

/// Writes `selection` at `dest` (which must not exist) as ordinary files, as `get` does:
/// objects the source's own cache holds are copied from there and verified against their
/// hash; the others are downloaded into `scratch` first (verified on the way in); git files
/// are copied. Files copied are counted in `progress`.
pub(crate) fn copy_out(
    source: &SourceRepo,
    selection: &Selection,
    scratch: &Odb,
    dest: &Path,
    jobs: std::num::NonZeroUsize,
    progress: &Progress,
) -> anyhow::Result<()> {
    let hash_name = selection.hash_name;
    let mut files: Vec<(PathBuf, From, bool)> = Vec::new();
    match &selection.item {
        Item::File { from, isexec } => files.push((dest.to_path_buf(), from.clone(), *isexec)),
        Item::Dir(entries) => {
            for (relpath, from) in entries {
                let mut path = dest.to_path_buf();
                path.extend(relpath.components());
                files.push((path, from.clone(), false));
            }
        }
    }
    // Where each object is read from: the source's cache, else the scratch cache.
    let mut wanted = Vec::new();
    let mut origins: Vec<Option<PathBuf>> = Vec::with_capacity(files.len());
    for (_, from, _) in &files {
        let origin = match from {
            From::Object(id) => {
                let local = source.cached_object(hash_name, id);
                if local.is_none() {
                    wanted.push((*id, None));
                }
                local
            }
            From::Git(path) => Some(path.clone()),
        };
        origins.push(origin);
    }
    if !wanted.is_empty() {
        wanted.sort_by_key(|(id, _)| *id);
        wanted.dedup_by(|a, b| a.0 == b.0);
        let fetched = source.fetch(scratch, &wanted, Some(jobs.get()), progress)?;
        if !fetched.missing.is_empty() {
            let missing = fetched
                .missing
                .iter()
                .map(|id| MissingObject::new(hash_name, id))
                .collect();
            return Err(MissingFromSource(missing).into());
        }
        if let Some(failure) = fetched.failures.first() {
            return Err(CommandError(format!("{}: {}", failure.object, failure.error)).into());
        }
    }
    let mut parents: Vec<&Path> = files
        .iter()
        .filter_map(|(path, _, _)| path.parent())
        .collect();
    parents.sort_unstable();
    parents.dedup();
    for parent in parents {
        std::fs::create_dir_all(parent).map_err(|error| {
            CommandError(format!("failed to create '{}': {error}", parent.display()))
        })?;
    }
    let jobs_list: Vec<(&PathBuf, &From, bool, Option<&PathBuf>)> = files
        .iter()
        .zip(&origins)
        .map(|((path, from, isexec), origin)| (path, from, *isexec, origin.as_ref()))
        .collect();
    progress.start(dv_data::progress::Phase::Linking, jobs_list.len() as u64, 0);
    let results = dv_data::pool::map(jobs, &jobs_list, |(path, from, isexec, origin)| {
        let result = copy_one(scratch, hash_name, path, from, *isexec, *origin);
        progress.advance(dv_data::progress::Phase::Linking, 1, 0);
        result
    });
    for result in results {
        result?;
    }
    Ok(())
}

/// Copies one file of [`copy_out`], verifying an object read from the source's cache.
fn copy_one(
    scratch: &Odb,
    hash_name: HashName,
    path: &Path,
    from: &From,
    isexec: bool,
    origin: Option<&PathBuf>,
) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let (source_path, verify) = match (from, origin) {
        (From::Object(_), Some(local)) => (local.clone(), true),
        (From::Object(id), None) => (scratch.object_path(id), false),
        (From::Git(git), _) => (git.clone(), false),
    };
    std::fs::copy(&source_path, path).map_err(|error| {
        CommandError(format!(
            "failed to copy '{}' to '{}': {error}",
            source_path.display(),
            path.display()
        ))
    })?;
    if verify && let From::Object(id) = from {
        let (md5, _) = dv_data::hashing::hash_file(path, hash_name)?;
        if md5 != id.md5 {
            let _ = std::fs::remove_file(path);
            return Err(CommandError(format!(
                "'{}' in the source's cache is corrupted: its content hashes to {md5}",
                source_path.display()
            ))
            .into());
        }
    }
    let mode = if isexec { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}
