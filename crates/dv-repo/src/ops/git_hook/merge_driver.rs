//! `dvc git-hook merge-driver`: git's merge driver for `.dvc` files (`merge.dvc.driver`, set
//! by `install`; a `.gitattributes` line such as `*.dvc merge=dvc` selects it).
//!
//! Git gives three temporary files: the ancestor (`%O`, empty when both sides added the file),
//! ours (`%A`, where the result goes) and theirs (`%B`). As in DVC (`CmdMergeDriver`,
//! `SingleStageFile.merge`, `Stage.merge`, `Output.merge`):
//!
//! - if theirs has no output, ours is kept; if ours has none, it takes theirs;
//! - otherwise each file must be a plain `dvc add` file (no command, no dependencies, one
//!   output), and the outputs must agree on everything but their hash, size and file count and
//!   be directories; their manifests are merged ([`super::tree_merge`]), the merged manifest is
//!   stored in the cache, and ours records it with the size of its files in the cache and
//!   their number;
//! - ours is written back as DVC rewrites a file it loaded (keeping its comments and order).
//!
//! Failures are DVC's messages with exit code 255: the merge driver lets them escape from the
//! command. A conflict is reported with its cause repeated (`<message>: <message>`), as DVC
//! prints a `MergeError` raised from `dvc_data`'s error of the same text.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_schema::dir_manifest::{DirManifest, EntryHash};
use dv_schema::dvc_file::{DvcFile, Output};
use dv_schema::hash::{HashName, ObjectId};

use super::tree_merge::{self, TreeMergeError};
use crate::error::DvcError;
use crate::workspace::Workspace;

/// The three files git passes to the merge driver, as given (relative to the working
/// directory or absolute).
#[derive(Debug, Clone)]
pub struct MergeDriverOptions {
    /// `--ancestor`: the common ancestor's version (`%O`).
    pub ancestor: PathBuf,
    /// `--our`: our version (`%A`), overwritten with the result.
    pub our: PathBuf,
    /// `--their`: the other branch's version (`%B`).
    pub their: PathBuf,
}

/// How the merge came out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum MergeReport {
    /// Theirs has no output: ours was kept (and rewritten as DVC rewrites it).
    KeptOurs,
    /// Ours had no output: it took theirs.
    TookTheirs,
    /// The directories were merged into this tree object.
    Merged(String),
}

/// One of the three files, loaded.
struct Side {
    path: PathBuf,
    text: String,
    file: DvcFile,
}

/// Merges the `.dvc` files of `options` into `options.our`.
pub fn merge_driver(
    workspace: &Workspace,
    options: &MergeDriverOptions,
) -> anyhow::Result<MergeReport> {
    // DVC opens names ending in `.yaml`/`.yml` as pipeline files, which it cannot merge
    // (`NotImplementedError`, or an assertion when only the ancestor or theirs is one).
    if [&options.our, &options.ancestor, &options.their]
        .iter()
        .any(|path| is_pipeline_file_name(path))
    {
        return Err(DvcError("unexpected error".to_owned()).into());
    }
    let mut our = load(workspace, &options.our)?;
    let ancestor = load(workspace, &options.ancestor)?;
    let their = load(workspace, &options.their)?;
    let report = if their.file.outs.is_empty() {
        MergeReport::KeptOurs
    } else if our.file.outs.is_empty() {
        our.file.outs.clone_from(&their.file.outs);
        MergeReport::TookTheirs
    } else {
        let id = merge_outputs(workspace, &ancestor.file, &mut our.file, &their.file)?;
        MergeReport::Merged(id.to_string())
    };
    let text = if our.text.trim().is_empty() {
        our.file.to_yaml()
    } else {
        our.file
            .update_yaml(&our.text)
            .map_err(|error| DvcError(format!("'{}' is invalid: {error}", shown(&our.path))))?
    };
    dv_fs::atomic::write_atomic(&workspace.absolute(&our.path), text.as_bytes())
        .with_context(|| format!("failed to write '{}'", shown(&our.path)))?;
    Ok(report)
}

/// Checks the three files as DVC does before merging, merges the output directories and
/// records the result in `our`'s output; returns the merged tree's id.
fn merge_outputs(
    workspace: &Workspace,
    ancestor: &DvcFile,
    our: &mut DvcFile,
    their: &DvcFile,
) -> anyhow::Result<ObjectId> {
    check_added(ancestor)?;
    check_added(our)?;
    check_added(their)?;
    let ancestor_out = ancestor.outs.first();
    let their_out = &their.outs[0];
    let our_out = &mut our.outs[0];
    if let Some(ancestor_out) = ancestor_out {
        check_mergeable(&*our_out, ancestor_out)?;
    }
    check_mergeable(&*our_out, &*our_out)?;
    check_mergeable(&*our_out, their_out)?;

    let odb = workspace.odb(our_out.hash_name);
    let read = |output: &Output| -> anyhow::Result<DirManifest> {
        let id = output.md5.ok_or_else(|| {
            DvcError("unable to auto-merge outputs that are not directories".into())
        })?;
        if !odb.contains(&id) {
            return Err(anyhow::anyhow!(
                "[Errno 2] No such file or directory: '{}'",
                odb.object_path(&id).display()
            ));
        }
        Ok(odb.read_tree(&id)?)
    };
    let ancestor_tree = match ancestor_out {
        Some(output) => read(output)?,
        None => DirManifest::default(),
    };
    let our_tree = read(our_out)?;
    let their_tree = read(their_out)?;
    let merged =
        tree_merge::merge(&ancestor_tree, &our_tree, &their_tree).map_err(|error| match error {
            TreeMergeError::Conflict(message) => DvcError(format!("{message}: {message}")).into(),
            TreeMergeError::KeyError(key) => anyhow::anyhow!(key),
        })?;
    let id = odb.add_tree(&merged)?;
    our_out.md5 = Some(id);
    our_out.size = cache_size(&odb, &merged);
    our_out.nfiles = Some(merged.len() as u64);
    our_out.files = None;
    Ok(id)
}

/// The total size of the files of `tree` in the cache, or `None` if one is missing (DVC's
/// `du`).
fn cache_size(odb: &dv_data::odb::Odb, tree: &DirManifest) -> Option<u64> {
    tree.entries().iter().try_fold(0u64, |total, entry| {
        let EntryHash::Md5(md5) = &entry.hash else {
            return None;
        };
        let metadata = std::fs::metadata(odb.object_path(&ObjectId::file(*md5))).ok()?;
        Some(total + metadata.len())
    })
}

/// DVC's `Stage._check_can_merge`: only files `dvc add` writes are merged.
fn check_added(file: &DvcFile) -> anyhow::Result<()> {
    if file.cmd.is_some() || !file.deps.is_empty() || file.outs.len() > 1 {
        return Err(DvcError(
            "unable to auto-merge DVC files that weren't created by `dvc add`".to_owned(),
        )
        .into());
    }
    Ok(())
}

/// DVC's `Output._check_can_merge(other)` on `ours`: the same options (everything `dumpd`
/// writes but the hash, `size`, `nfiles` and `hash`; a legacy output's `md5` is compared
/// too, as DVC pops only the key named after the hash), the same hash algorithm, and `other` a
/// directory.
fn check_mergeable(ours: &Output, other: &Output) -> anyhow::Result<()> {
    let options = |output: &Output| {
        let mut output = output.clone();
        output.size = None;
        output.nfiles = None;
        if ours.hash_name == HashName::Md5 {
            output.md5 = None;
        }
        output
    };
    if options(ours) != options(other) {
        return Err(
            DvcError("unable to auto-merge outputs with different options".to_owned()).into(),
        );
    }
    if !other.is_dir() {
        return Err(
            DvcError("unable to auto-merge outputs that are not directories".to_owned()).into(),
        );
    }
    Ok(())
}

/// Reads one of the three files (an empty file, git's ancestor when there is none, has no
/// output).
fn load(workspace: &Workspace, path: &Path) -> anyhow::Result<Side> {
    let absolute = workspace.absolute(path);
    if !absolute.exists() {
        return Err(DvcError(format!("'{}' does not exist", shown(path))).into());
    }
    let text = std::fs::read_to_string(&absolute)
        .with_context(|| format!("failed to read '{}'", shown(path)))?;
    let file = if text.trim().is_empty() {
        DvcFile::default()
    } else {
        let file = DvcFile::from_yaml(&text)
            .map_err(|error| DvcError(format!("'{}' is invalid: {error}", shown(path))))?;
        if let Some(problem) = file.schema_problem() {
            return Err(DvcError(format!("'{}' validation failed: {problem}", shown(path))).into());
        }
        file
    };
    Ok(Side {
        path: path.to_path_buf(),
        text,
        file,
    })
}

fn is_pipeline_file_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "yaml" || extension == "yml")
}

fn shown(path: &Path) -> String {
    dv_schema::shown::escape_name(&path.to_string_lossy()).into_owned()
}
