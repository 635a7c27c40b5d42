//! A source repository as DVC's `DVCFileSystem` shows it to `ls` and `du`: the source's files
//! (`sources::files`) merged with the outputs its repositories record, a directory output
//! listing the files of its `.dir` manifest. A repository nested in the source (a directory
//! holding `.dvc`) answers for the paths inside it with its own outputs and ignore rules.
//!
//! Each path is described as DVC describes it, quirks included:
//! - `size`: from the files when they have the path (a directory's own size: `st_size` in a
//!   working tree, the size of its git tree object at a revision), else what is recorded
//!   (nothing for a file inside a directory output, 0 for the root);
//! - `isexec`: from the files only; `md5`: from the outputs only;
//! - `isout`: recorded, and inside (or at) an output kept in the cache;
//! - `.dvcignore` hides files, never outputs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};
use std::rc::Rc;

use dv_data::odb::{CacheLayout, Odb};
use dv_data::progress::Progress;
use dv_schema::dir_manifest::{DirEntry, DirManifest};
use dv_schema::dvc_file::Output;
use dv_schema::hash::ObjectId;
use dv_schema::shown::python_repr;

use super::files::{Files, FsInfo, Key, PathError, tuple_repr};
use super::{SourceRepo, SourceSpec, cache_dir_of, chosen_remote, local_cache_of};
use crate::config::Config;
use crate::index::RepoStage;
use crate::revisions::{At, Revisions, Snapshot};
use crate::workspace::Workspace;

/// A directory output whose `.dir` manifest neither the source's cache nor its remote has
/// (DVC's `DataIndexDirError`).
#[derive(Debug, thiserror::Error)]
#[error("failed to load directory {key}: [Errno 2] No such file or directory: {object}")]
pub struct DirectoryNotLoaded {
    key: String,
    object: String,
}

/// What the recorded outputs say about a path.
#[derive(Debug, Clone)]
struct DvcInfo {
    isdir: bool,
    size: Option<u64>,
    md5: Option<String>,
    /// The size of DVC's index entry for the path (`None`: no entry, as for the root).
    entry: Option<Option<u64>>,
}

impl DvcInfo {
    /// A directory that holds outputs or is inside a directory output.
    fn dir() -> DvcInfo {
        DvcInfo {
            isdir: true,
            size: None,
            md5: None,
            entry: Some(None),
        }
    }
}

/// One path of the view, described as DVC's `ls` describes it.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    pub(crate) isdir: bool,
    pub(crate) size: Option<u64>,
    pub(crate) isexec: bool,
    pub(crate) isout: bool,
    pub(crate) md5: Option<String>,
    /// The recorded size of a directory the files do not have: what `du` counts for it
    /// instead of looking inside.
    pub(crate) recorded_total: Option<u64>,
}

/// A repository of the view: the source itself, or one nested in it.
enum Owner<'a> {
    Main(&'a SourceRepo),
    Nested(Box<SourceRepo>),
}

impl Owner<'_> {
    fn source(&self) -> &SourceRepo {
        match self {
            Owner::Main(source) => source,
            Owner::Nested(source) => source,
        }
    }
}

/// The outputs one repository records (keys from its root).
struct Outputs<'a> {
    /// Where the repository's root is in the view (DVC names keys from there).
    prefix: Key,
    owner: Owner<'a>,
    /// The outputs kept in the cache.
    outputs: Vec<(Key, Output)>,
}

/// A source repository's files and outputs, merged.
pub(crate) struct SourceView<'a> {
    files: Files,
    /// The working directory's key when it is inside a source read in place (DVC's
    /// `getcwd`), else the root's.
    base: Key,
    main: Rc<Outputs<'a>>,
    /// Nested repositories by root (`None`: checked, not one).
    nested: RefCell<HashMap<Key, Option<Rc<Outputs<'a>>>>>,
    manifests: RefCell<HashMap<ObjectId, Rc<DirManifest>>>,
    /// Where `.dir` objects a repository's cache lacks are downloaded to.
    scratch: RefCell<Option<tempfile::TempDir>>,
    jobs: Option<usize>,
    progress: &'a Progress,
}

impl<'a> SourceView<'a> {
    /// The view of `source`: its recorded outputs read once.
    pub(crate) fn open(
        source: &'a SourceRepo,
        jobs: Option<usize>,
        progress: &'a Progress,
    ) -> anyhow::Result<SourceView<'a>> {
        let files = Files::open(source)?;
        let base = if files.in_place() {
            let cwd = &source.workspace.environment().cwd;
            let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.clone());
            key_of(files.root(), &cwd).unwrap_or_default()
        } else {
            Vec::new()
        };
        let main = Outputs::load(Vec::new(), Owner::Main(source), &files)?;
        Ok(SourceView {
            files,
            base,
            main: Rc::new(main),
            nested: RefCell::new(HashMap::new()),
            manifests: RefCell::new(HashMap::new()),
            scratch: RefCell::new(None),
            jobs,
            progress,
        })
    }

    /// The key of a path as DVC's `DVCFileSystem` resolves it: an empty path (or `/`) is the
    /// root; any other is taken from the working directory when that is inside a source read
    /// in place (DVC's `getcwd`), else from the root; a path starting with `/` from the root.
    /// `..` stops at the root.
    pub(crate) fn resolve(&self, path: &str) -> Key {
        let stripped = path.trim_end_matches('/');
        if stripped.is_empty() {
            return Vec::new();
        }
        self.absolute(stripped)
    }

    /// DVC's `abspath` of a path as a key: from the working directory (an empty path is the
    /// working directory itself), or from the root for a path starting with `/`.
    fn absolute(&self, path: &str) -> Key {
        let key = if path.starts_with('/') {
            Vec::new()
        } else {
            self.base.clone()
        };
        normalized(key, path)
    }

    /// DVC's `relparts(path, start)`: the components leading from `start` to `path`, both
    /// taken as [`SourceView::absolute`] takes them (none when they are the same).
    pub(crate) fn relparts(&self, path: &str, start: &str) -> Vec<String> {
        let (path, start) = (self.absolute(path), self.absolute(start));
        let common = path.iter().zip(&start).take_while(|(a, b)| a == b).count();
        let mut parts = vec!["..".to_owned(); start.len() - common];
        parts.extend(path[common..].iter().cloned());
        parts
    }

    /// A path given on the command line as DVC's `from_os_path` takes it: an absolute path
    /// relative to the root (`/` at a revision, as DVC's git filesystem has it).
    pub(crate) fn given_path(&self, given: &str) -> String {
        if !given.starts_with('/') {
            return given.to_owned();
        }
        let anchor = if self.files.in_place() {
            self.files.root().to_string_lossy().into_owned()
        } else {
            "/".to_owned()
        };
        crate::path::relpath(given, &anchor, "/")
    }

    /// What `key` is (DVC's `DVCFileSystem.info`); `given` names it in messages.
    pub(crate) fn info(&self, key: &[String], given: &str) -> anyhow::Result<Info> {
        let repo = self.repo_of(key)?;
        let sub = &key[repo.prefix.len()..];
        let mut dvc = self.dvc_info(&repo, sub)?;
        let mut fs = match self.files.stat(key) {
            Ok(info) => Some(info),
            Err(error) if dvc.is_none() => return Err(self.files.missing(key, &error)),
            Err(_) => None,
        };
        if let Some(info) = fs
            && self.files.is_ignored(&repo.prefix, key, info.isdir)?
        {
            fs = None;
        }
        if dvc.is_some() && fs.is_none() && self.files.file_above(key) {
            dvc = None;
        }
        if dvc.is_none() && fs.is_none() {
            return Err(PathError::NotFound(python_repr(given)).into());
        }
        Ok(merge(&repo, sub, fs, dvc))
    }

    /// The entries of directory `key` by name (DVC's `DVCFileSystem.ls`): the files' (unless
    /// `dvc_only`) and the outputs', without DVC's own files unless `dvcfiles`. A path
    /// neither has is [`PathError::NotFound`], named by `given`.
    pub(crate) fn ls(
        &self,
        key: &[String],
        given: &str,
        dvc_only: bool,
        dvcfiles: bool,
    ) -> anyhow::Result<Vec<(String, Info)>> {
        let repo = self.repo_of(key)?;
        let sub = &key[repo.prefix.len()..];
        let dvc = self.dvc_info(&repo, sub)?;
        let mut dvc_entries: Vec<(String, DvcInfo)> = match &dvc {
            Some(info) if info.isdir => self.dvc_children(&repo, sub)?,
            Some(info) => vec![(String::new(), info.clone())],
            None => Vec::new(),
        };
        let mut fs = None;
        let mut fs_entries: Vec<(String, FsInfo)> = Vec::new();
        if !dvc_only && let Ok(info) = self.files.stat(key) {
            fs = Some(info);
            fs_entries = if info.isdir {
                self.files.children(&repo.prefix, key)?
            } else {
                vec![(String::new(), info)]
            };
        }
        if fs.is_none() && dvc.is_none() {
            return Err(PathError::NotFound(python_repr(given)).into());
        }
        if let (Some(fs), Some(dvc)) = (fs, &dvc)
            && fs.isdir != dvc.isdir
        {
            dvc_entries.clear();
        }
        let mut merged: BTreeMap<String, (Option<FsInfo>, Option<DvcInfo>)> = BTreeMap::new();
        for (name, info) in fs_entries {
            merged.entry(name).or_default().0 = Some(info);
        }
        for (name, info) in dvc_entries {
            merged.entry(name).or_default().1 = Some(info);
        }
        Ok(merged
            .into_iter()
            .filter(|(name, _)| dvcfiles || !is_dvc_file(name))
            .map(|(name, (fs, dvc))| {
                let mut child = sub.to_vec();
                if !name.is_empty() {
                    child.push(name.clone());
                }
                let info = merge(&repo, &child, fs, dvc);
                (name, info)
            })
            .collect())
    }

    /// The repository `key` is in: the innermost one nested in the source whose root is
    /// `key` or above it, else the source (DVC's subrepositories).
    fn repo_of(&self, key: &[String]) -> anyhow::Result<Rc<Outputs<'a>>> {
        let mut found = Rc::clone(&self.main);
        for len in 1..=key.len() {
            let prefix = &key[..len];
            let known = self.nested.borrow().get(prefix).cloned();
            let nested = match known {
                Some(nested) => nested,
                None => {
                    let nested = if self.files.is_repo(prefix) {
                        Some(Rc::new(self.nested_repo(prefix)?))
                    } else {
                        None
                    };
                    self.nested
                        .borrow_mut()
                        .insert(prefix.to_vec(), nested.clone());
                    nested
                }
            };
            if let Some(nested) = nested {
                found = nested;
            }
        }
        Ok(found)
    }

    /// The repository nested at `prefix`, with its own configuration (its cache when read in
    /// place, its default remote).
    fn nested_repo(&self, prefix: &[String]) -> anyhow::Result<Outputs<'a>> {
        let main = self.main.owner.source();
        let root = self.files.path(prefix);
        let environment = main.workspace.environment();
        let table = Config::new(Some(root.join(".dvc")), environment).load_to_level(None)?;
        // Read in place: its own cache; from a clone: the cache of the same repository in the
        // directory cloned, when on this machine.
        let local_cache = if self.files.in_place() {
            Some(cache_dir_of(&root, &table))
        } else {
            main.origin.as_ref().and_then(|origin| {
                local_cache_of(
                    &prefix
                        .iter()
                        .fold(origin.clone(), |path, part| path.join(part)),
                    environment,
                )
            })
        };
        let remote = chosen_remote(&table, &SourceSpec::default()).unwrap_or(None);
        let workspace = Workspace::open_source(root, table, environment, None);
        let source = SourceRepo {
            url: main.url.clone(),
            workspace,
            rev_lock: main.rev_lock.clone(),
            is_dvc: true,
            local_cache,
            remote,
            origin: None,
            _clone: None,
        };
        Outputs::load(
            prefix.to_vec(),
            Owner::Nested(Box::new(source)),
            &self.files,
        )
    }

    // ---- the outputs' side (DVC's data index) ----

    fn dvc_info(&self, repo: &Outputs<'_>, key: &[String]) -> anyhow::Result<Option<DvcInfo>> {
        let outputs = &repo.outputs;
        if let Some((_, output)) = outputs.iter().find(|(out, _)| out == key) {
            return Ok(Some(self.of_output(repo, key, output)));
        }
        if let Some((out, output)) = outputs
            .iter()
            .find(|(out, _)| out.len() < key.len() && key.starts_with(out))
        {
            let Some(manifest) = self.manifest(repo, out, output)? else {
                return Ok(None);
            };
            let inside = key[out.len()..].join("/");
            if let Some(entry) = manifest.get(&inside) {
                return Ok(Some(DvcInfo {
                    isdir: false,
                    size: None,
                    md5: entry.hash.md5().map(|md5| md5.to_hex()),
                    entry: Some(None),
                }));
            }
            let holds = !under(&manifest, &format!("{inside}/")).is_empty();
            return Ok(holds.then(DvcInfo::dir));
        }
        if key.is_empty() {
            return Ok(Some(DvcInfo {
                isdir: true,
                size: Some(0),
                md5: None,
                entry: None,
            }));
        }
        let holds = outputs
            .iter()
            .any(|(out, _)| out.len() > key.len() && out.starts_with(key));
        Ok(holds.then(DvcInfo::dir))
    }

    /// An output's entry: what it records; for an output without a hash (a stage never
    /// run), what DVC's index finds in the files: a directory or file of unknown size, else
    /// an empty file.
    fn of_output(&self, repo: &Outputs<'_>, key: &[String], output: &Output) -> DvcInfo {
        if let Some(id) = output.md5 {
            return DvcInfo {
                isdir: id.is_tree(),
                size: output.size,
                md5: Some(id.to_string()),
                entry: Some(output.size),
            };
        }
        let mut full = repo.prefix.clone();
        full.extend(key.iter().cloned());
        let (isdir, size) = match self.files.stat(&full) {
            Ok(info) => (info.isdir, None),
            Err(_) => (false, Some(0)),
        };
        DvcInfo {
            isdir,
            size,
            md5: None,
            entry: Some(size),
        }
    }

    fn dvc_children(
        &self,
        repo: &Outputs<'_>,
        key: &[String],
    ) -> anyhow::Result<Vec<(String, DvcInfo)>> {
        let mut children: BTreeMap<String, DvcInfo> = BTreeMap::new();
        if let Some((out, output)) = repo
            .outputs
            .iter()
            .find(|(out, _)| out.len() <= key.len() && key.starts_with(out))
        {
            let Some(manifest) = self.manifest(repo, out, output)? else {
                return Ok(Vec::new());
            };
            let inside = key[out.len()..].join("/");
            let prefix = if inside.is_empty() {
                String::new()
            } else {
                format!("{inside}/")
            };
            for entry in under(&manifest, &prefix) {
                let Some(rest) = entry.relpath.as_str().strip_prefix(&prefix) else {
                    continue;
                };
                match rest.split_once('/') {
                    None => {
                        children.insert(
                            rest.to_owned(),
                            DvcInfo {
                                isdir: false,
                                size: None,
                                md5: entry.hash.md5().map(|md5| md5.to_hex()),
                                entry: Some(None),
                            },
                        );
                    }
                    Some((dir, _)) => {
                        children.entry(dir.to_owned()).or_insert_with(DvcInfo::dir);
                    }
                }
            }
            return Ok(children.into_iter().collect());
        }
        for (out, output) in &repo.outputs {
            if out.len() <= key.len() || !out.starts_with(key) {
                continue;
            }
            let name = out[key.len()].clone();
            if out.len() == key.len() + 1 {
                children.insert(name, self.of_output(repo, out, output));
            } else {
                children.entry(name).or_insert_with(DvcInfo::dir);
            }
        }
        Ok(children.into_iter().collect())
    }

    /// The manifest of a directory output (`None` for a file output), read from its
    /// repository's cache or downloaded from its remote.
    fn manifest(
        &self,
        repo: &Outputs<'_>,
        key: &[String],
        output: &Output,
    ) -> anyhow::Result<Option<Rc<DirManifest>>> {
        let Some(id) = output.md5.filter(ObjectId::is_tree) else {
            return Ok(None);
        };
        if let Some(manifest) = self.manifests.borrow().get(&id) {
            return Ok(Some(Rc::clone(manifest)));
        }
        let source = repo.owner.source();
        let layout = CacheLayout::for_hash_name(output.hash_name);
        let cached = source
            .local_cache
            .as_ref()
            .map(|dir| Odb::new(dir, layout))
            .filter(|odb| odb.contains(&id));
        let odb = match cached {
            Some(odb) => odb,
            None => {
                let mut scratch = self.scratch.borrow_mut();
                if scratch.is_none() {
                    *scratch = Some(tempfile::Builder::new().prefix("dv-ls").tempdir()?);
                }
                let dir = scratch.as_ref().map(|dir| dir.path().to_path_buf());
                let odb = Odb::new(dir.unwrap_or_default(), layout);
                source.fetch(&odb, &[(id, None)], self.jobs, self.progress)?;
                if !odb.contains(&id) {
                    let object = source
                        .object_url(output.hash_name, &id)
                        .unwrap_or_else(|| id.to_string());
                    return Err(DirectoryNotLoaded {
                        key: tuple_repr(key),
                        object: python_repr(&object),
                    }
                    .into());
                }
                odb
            }
        };
        let manifest = Rc::new(odb.read_tree(&id)?);
        self.manifests.borrow_mut().insert(id, Rc::clone(&manifest));
        Ok(Some(manifest))
    }
}

impl<'a> Outputs<'a> {
    /// The outputs the repository at `prefix` records, kept in the cache: those of its
    /// `.dvc` files and `dvc.lock`, and those of stages never run (no hash).
    fn load(prefix: Key, owner: Owner<'a>, files: &Files) -> anyhow::Result<Outputs<'a>> {
        let source = owner.source();
        let mut outputs = Vec::new();
        if source.is_dvc {
            let root = files.path(&prefix);
            let revisions = Revisions::open(&source.workspace)?;
            let snapshot = Snapshot::open(&source.workspace, &revisions, At::Workspace)?;
            for recorded in snapshot.outputs() {
                if !recorded.output.cache {
                    continue;
                }
                if let Some(key) = key_of(&root, &recorded.path)
                    && !key.is_empty()
                {
                    outputs.push((key, recorded.output.clone()));
                }
            }
            for stage in &snapshot.index.stages {
                let RepoStage::Pipeline { stage, .. } = stage else {
                    continue;
                };
                for out in stage.outs.iter().filter(|out| out.is_cached()) {
                    let Some(key) = out
                        .path
                        .to_path(&root)
                        .and_then(|path| key_of(&root, &path))
                    else {
                        continue;
                    };
                    if !key.is_empty() && !outputs.iter().any(|(known, _)| *known == key) {
                        outputs.push((key, Output::default()));
                    }
                }
            }
        }
        Ok(Outputs {
            prefix,
            owner,
            outputs,
        })
    }
}

/// The entry DVC's `_merge_info` makes of what the files and the outputs of `repo` say
/// about `key` (from the repository's root).
fn merge(repo: &Outputs<'_>, key: &[String], fs: Option<FsInfo>, dvc: Option<DvcInfo>) -> Info {
    let isout = dvc.is_some()
        && repo
            .outputs
            .iter()
            .any(|(output, _)| key.starts_with(output));
    let recorded_total = match (&fs, &dvc) {
        (None, Some(dvc)) => dvc.entry.flatten(),
        _ => None,
    };
    let (isdir, size, isexec) = match (fs, &dvc) {
        (Some(fs), _) => (fs.isdir, Some(fs.size), !fs.isdir && fs.isexec),
        (None, Some(dvc)) => (dvc.isdir, dvc.size, false),
        (None, None) => (false, None, false),
    };
    Info {
        isdir,
        size,
        isexec,
        isout,
        md5: dvc.and_then(|dvc| dvc.md5),
        recorded_total,
    }
}

/// The entries of `manifest` whose path starts with `prefix` (a sorted manifest holds them
/// together).
fn under<'m>(manifest: &'m DirManifest, prefix: &str) -> &'m [DirEntry] {
    let entries = manifest.entries();
    let start = entries.partition_point(|entry| entry.relpath.as_str() < prefix);
    let len = entries[start..]
        .iter()
        .take_while(|entry| entry.relpath.as_str().starts_with(prefix))
        .count();
    &entries[start..start + len]
}

/// DVC's own files, which `ls` lists and `du` does not (`.dvc` files, `dvc.yaml`,
/// `.dvcignore`; not `dvc.lock`).
fn is_dvc_file(name: &str) -> bool {
    name.ends_with(".dvc") || name == "dvc.yaml" || name == ".dvcignore"
}

/// The key of `path` under `root` (`None` outside it, or through `..`).
fn key_of(root: &Path, path: &Path) -> Option<Key> {
    let inside = path.strip_prefix(root).ok()?;
    inside
        .components()
        .map(|component| match component {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// `key` with the components of `path` (a `/`-separated relative path) applied: `.` and
/// empty components skipped, `..` going up (not past the root).
fn normalized(mut key: Key, path: &str) -> Key {
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                key.pop();
            }
            name => key.push(name.to_owned()),
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_lexical() {
        let relpath = |path, start| crate::path::relpath(path, start, "/");
        assert_eq!(relpath("/a/b/c", "/a"), "b/c");
        assert_eq!(relpath("/a", "/a/b"), "..");
        assert_eq!(relpath("/x/y", "/a/b"), "../../x/y");
        assert_eq!(relpath("/a", "/a"), ".");
    }

    #[test]
    fn paths_normalize_like_posixpath() {
        let key = normalized(vec!["a".to_owned()], "b/../../../c/./d/");
        assert_eq!(key, ["c", "d"]);
    }

    #[test]
    fn dvc_files_are_the_ones_du_leaves_out() {
        assert!(is_dvc_file("data.dvc"));
        assert!(is_dvc_file("dvc.yaml"));
        assert!(is_dvc_file(".dvcignore"));
        assert!(!is_dvc_file("dvc.lock"));
    }
}
