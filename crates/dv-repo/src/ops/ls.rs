//! `dv ls URL [PATH]` (`dvc list`): a repository's files and the outputs it records, as DVC's
//! `dvc/repo/ls.py` lists them through its `DVCFileSystem` (`sources::view`).
//!
//! - a list (`ls`): one directory, or with `recursive` every file below it (directories only
//!   at the depth `level` stops at), sorted by path; a file lists itself by its name;
//! - a tree (`ls_tree`): the path, then its entries sorted by name, down to `level`.
//!
//! A local directory without a revision is read in place (its working tree); anything else is
//! read from the clone cache. Directory outputs are listed from their `.dir` manifests, read
//! from the source's cache or downloaded from its remote.

use std::collections::BTreeMap;
use std::path::Path;

use dv_data::progress::Progress;
use dv_schema::config::Table;
use dv_schema::shown::python_repr;
use serde::Serialize;

use crate::environment::Environment;
use crate::sources::PathError;
use crate::sources::view::{Info, SourceView};
use crate::sources::{Opening, SourceRepo, SourceSpec};

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct LsOptions {
    /// The source repository (`URL`, `--rev`, `--config`, `--remote`, `--remote-config`).
    pub source: SourceSpec,
    /// `PATH` inside it (none: its root).
    pub path: Option<String>,
    /// `-R`: every file below the path.
    pub recursive: bool,
    /// `--dvc-only`: outputs and the directories leading to them only.
    pub dvc_only: bool,
    /// `-L`: how deep `-R` and `--tree` go.
    pub level: Option<i64>,
    /// `-j`: parallel downloads of `.dir` manifests.
    pub jobs: Option<usize>,
}

/// One listed path, with DVC's keys in DVC's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LsEntry {
    /// Inside (or at) an output the source records.
    pub isout: bool,
    /// A directory.
    pub isdir: bool,
    /// An executable file (known only from the source's files).
    pub isexec: bool,
    /// Bytes: the file's, a directory's own size, or the recorded one (none when unknown).
    pub size: Option<u64>,
    /// The recorded hash (`<md5>.dir` for a directory output).
    pub md5: Option<String>,
    /// The path relative to the listed directory (in a tree: the name).
    pub path: String,
}

/// One node of `ls --tree`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LsTree {
    /// The node (its `path` is its name, the first node's the path as given).
    #[serde(flatten)]
    pub entry: LsEntry,
    /// Its entries, sorted by name (empty for a file or past the depth limit).
    pub contents: Vec<LsTree>,
}

/// The directory walk DVC's `fsspec` walk fails with for a negative `-L` with `-R`.
#[derive(Debug, thiserror::Error)]
#[error("maxdepth must be at least 1")]
pub struct BadDepth;

fn entry(info: &Info, path: String) -> LsEntry {
    LsEntry {
        isout: info.isout,
        isdir: info.isdir,
        isexec: info.isexec,
        size: info.size,
        md5: info.md5.clone(),
        path,
    }
}

/// Whether an error is a path a listing leaves out (DVC's walk omits directories it cannot
/// list).
fn is_path_error(error: &anyhow::Error) -> bool {
    error.downcast_ref::<PathError>().is_some()
}

/// DVC's error for a `--config` file that is not there (it opens the file first): the path
/// as given.
pub(crate) fn config_file_exists(
    environment: &Environment,
    spec: &SourceSpec,
) -> anyhow::Result<()> {
    match &spec.config {
        Some(file) if !environment.absolute(Path::new(file)).exists() => {
            Err(PathError::NotFound(python_repr(file)).into())
        }
        _ => Ok(()),
    }
}

/// Lists `options.path` of the source (`dvc ls` without `--tree`). `config` is the
/// configuration seen from the working directory (for the clone cache's place).
pub fn ls(
    environment: &Environment,
    config: Option<&Table>,
    options: &LsOptions,
    progress: &Progress,
) -> anyhow::Result<Vec<LsEntry>> {
    config_file_exists(environment, &options.source)?;
    let source = SourceRepo::open(environment, config, &options.source, Opening::Listing)?;
    let view = SourceView::open(&source, options.jobs, progress)?;
    let given = view.given_path(options.path.as_deref().unwrap_or_default());
    let top = view.info(&view.resolve(&given), &given)?;
    let maxdepth = if options.recursive {
        options.level
    } else {
        None
    };
    let mut infos: BTreeMap<String, Info> = BTreeMap::new();
    if maxdepth == Some(0) || !top.isdir {
        let name = match given.rsplit('/').next() {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => ".".to_owned(),
        };
        infos.insert(name, top);
    } else {
        if maxdepth.is_some_and(|depth| depth < 1) {
            return Err(BadDepth.into());
        }
        let walk = Walk {
            view: &view,
            start: &given,
            recursive: options.recursive,
            dvc_only: options.dvc_only,
            maxdepth,
        };
        // DVC walks an empty path from the root (its root marker), and names what it finds
        // relative to the path taken from the working directory: `../x` when that is inside
        // the source.
        let root = match given.trim_end_matches('/') {
            "" => "/",
            path => path,
        };
        walk.dir(root, maxdepth, &mut infos)?;
    }
    Ok(infos
        .into_iter()
        .map(|(path, info)| entry(&info, path))
        .collect())
}

/// DVC's `fs.walk` as `dvc/repo/ls.py:_ls` drives it, by DVC's path strings.
struct Walk<'v, 'a> {
    view: &'v SourceView<'a>,
    /// The path listed, which names are relative to.
    start: &'v str,
    recursive: bool,
    dvc_only: bool,
    /// `-L` as given (with `-R`).
    maxdepth: Option<i64>,
}

impl Walk<'_, '_> {
    fn dir(
        &self,
        path: &str,
        depth_left: Option<i64>,
        infos: &mut BTreeMap<String, Info>,
    ) -> anyhow::Result<()> {
        let listing = match self
            .view
            .ls(&self.view.resolve(path), path, self.dvc_only, true)
        {
            Ok(listing) => listing,
            Err(error) if is_path_error(&error) => return Ok(()),
            Err(error) => return Err(error),
        };
        let parts = self.view.relparts(path, self.start);
        let depth = i64::try_from(parts.len()).unwrap_or(i64::MAX);
        let at_limit = !self.recursive
            || self
                .maxdepth
                .is_some_and(|maxdepth| maxdepth != 0 && depth >= maxdepth - 1);
        let mut dirs = Vec::new();
        for (name, info) in listing {
            if info.isdir {
                if at_limit {
                    infos.insert(joined(&parts, &name), info);
                }
                dirs.push(name);
            } else {
                infos.insert(joined(&parts, &name), info);
            }
        }
        if !self.recursive || depth_left.is_some_and(|left| left - 1 < 1) {
            return Ok(());
        }
        for name in dirs {
            let sub = posix_join(path, &name);
            self.dir(&sub, depth_left.map(|left| left - 1), infos)?;
        }
        Ok(())
    }
}

fn joined(parts: &[String], name: &str) -> String {
    if parts.is_empty() {
        name.to_owned()
    } else {
        format!("{}/{name}", parts.join("/"))
    }
}

/// Python's `posixpath.join(a, b)` for a relative `b`.
pub(crate) fn posix_join(base: &str, name: &str) -> String {
    if base.is_empty() || base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

/// Lists `options.path` of the source as a tree (`dvc ls --tree`), `options.level` levels
/// deep.
pub fn ls_tree(
    environment: &Environment,
    config: Option<&Table>,
    options: &LsOptions,
    progress: &Progress,
) -> anyhow::Result<LsTree> {
    config_file_exists(environment, &options.source)?;
    let source = SourceRepo::open(environment, config, &options.source, Opening::Listing)?;
    let view = SourceView::open(&source, options.jobs, progress)?;
    let given = view.given_path(options.path.as_deref().unwrap_or_default());
    let top = view.info(&view.resolve(&given), &given)?;
    let name = if given.is_empty() {
        ".".to_owned()
    } else {
        given.clone()
    };
    let tree = Tree {
        view: &view,
        dvc_only: options.dvc_only,
    };
    tree.node(&given, name, &top, options.level)
}

/// DVC's `_ls_tree`: each directory listed by its path string (as DVC re-reads it).
struct Tree<'v, 'a> {
    view: &'v SourceView<'a>,
    dvc_only: bool,
}

impl Tree<'_, '_> {
    fn node(
        &self,
        path: &str,
        name: String,
        info: &Info,
        maxdepth: Option<i64>,
    ) -> anyhow::Result<LsTree> {
        let mut contents = Vec::new();
        if maxdepth.is_none_or(|depth| depth > 0) && info.isdir {
            let key = self.view.resolve(path);
            let listing = match self.view.ls(&key, path, self.dvc_only, true) {
                Ok(listing) => listing,
                Err(error) if is_path_error(&error) => Vec::new(),
                Err(error) => return Err(error),
            };
            for (child_name, child) in listing {
                let child_path = posix_join(path, &child_name);
                let below = maxdepth.map(|depth| depth - 1);
                contents.push(self.node(&child_path, child_name, &child, below)?);
            }
        }
        Ok(LsTree {
            entry: entry(info, name),
            contents,
        })
    }
}
