//! `dvc checkout`: make workspace outputs match their `.dvc` files from the cache (spec §10.4).
//!
//! Only what differs is touched: unchanged outputs are skipped and, in a changed directory,
//! only the files that differ are linked. Workspace content that exists nowhere else (not in
//! the cache) is never overwritten or removed without `--force`; the check happens for every
//! target before anything is written.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_data::build::Built;
use dv_data::checkout::{self as data_checkout, CheckoutOptions as LinkOptions};
use dv_data::odb::Odb;
use dv_data::progress::{Phase, Progress};
use dv_fs::link::LinkType;
use dv_schema::dir_manifest::DirManifest;
use dv_schema::hash::ObjectId;

use crate::error::DvcError;
use crate::index;
use crate::ops::pipeline::locked_outputs;
use crate::ops::status::{OutputState, in_cache, output_state};
use crate::workspace::Workspace;

/// What `checkout` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct CheckoutOptions {
    /// `.dvc` files or outputs (all when empty).
    pub targets: Vec<PathBuf>,
    /// Overwrite or remove unsaved workspace content.
    pub force: bool,
    /// Re-create links of unchanged outputs with the current `cache.type`.
    pub relink: bool,
    /// Threads for hashing and linking.
    pub jobs: Option<usize>,
}

/// What `checkout` changed, as DVC lists it (`A`/`M` + path, directories with a `/`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CheckoutReport {
    /// Outputs created.
    pub added: Vec<String>,
    /// Outputs replaced.
    pub modified: Vec<String>,
    /// Lines in order: `("A", "data/")`.
    pub changes: Vec<(&'static str, String)>,
    /// Whether `--relink` relinked anything.
    pub relinked: bool,
    /// Files (not outputs) added, modified and deleted, for `dvc pull`'s summary.
    pub stats: CheckoutStats,
    /// Outputs that could not be checked out because the cache lacks them (sorted); only
    /// [`checkout_available`] returns a report with any.
    pub failed: Vec<String>,
}

/// Files changed by a checkout, counted like DVC's checkout stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckoutStats {
    /// Files replaced.
    pub modified: usize,
    /// Files created.
    pub added: usize,
    /// Files removed from tracked directories.
    pub deleted: usize,
}

enum Plan {
    Add,
    Modify(Option<Built>),
    Relink,
}

struct Job {
    path: PathBuf,
    shown: String,
    id: ObjectId,
    isexec: bool,
    odb: Odb,
    plan: Plan,
}

/// Checks out the targets' outputs, counting the files linked in `progress`.
pub fn checkout(
    workspace: &Workspace,
    options: &CheckoutOptions,
    progress: &Progress,
) -> anyhow::Result<CheckoutReport> {
    let report = checkout_available(workspace, options, progress)?;
    if !report.failed.is_empty() {
        return Err(missing_error(&report.failed).into());
    }
    Ok(report)
}

/// DVC's error for outputs the cache cannot provide (`CheckoutError`).
pub fn missing_error(failed: &[String]) -> DvcError {
    DvcError(format!(
        "Checkout failed for following targets:\n{}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>",
        failed.join("\n")
    ))
}

/// Like [`checkout`], but outputs the cache lacks are listed in the report's `failed` instead
/// of failing the call, so that `dvc pull` can show what was checked out before its error.
pub fn checkout_available(
    workspace: &Workspace,
    options: &CheckoutOptions,
    progress: &Progress,
) -> anyhow::Result<CheckoutReport> {
    let entries = index::load_targets(workspace, &options.targets)?;
    // Without targets, the outputs `dvc.lock` files record are checked out too.
    let locked = if options.targets.is_empty() {
        locked_outputs(workspace)?
    } else {
        Vec::new()
    };
    let outputs: Vec<(PathBuf, &dv_schema::dvc_file::Output)> = entries
        .iter()
        .flat_map(|entry| {
            entry
                .file
                .outs
                .iter()
                .map(move |output| (entry.resolve(output), output))
        })
        .chain(
            locked
                .iter()
                .map(|locked| (locked.path.clone(), &locked.output)),
        )
        .collect();
    let jobs = workspace.jobs(options.jobs);
    let links = workspace.link_types()?;
    let mut state = workspace.load_state();

    let mut work = Vec::new();
    let mut missing = Vec::new();
    let mut unsaved = Vec::new();
    let planned = (|| -> anyhow::Result<()> {
        for (path, output) in outputs {
            let Some(id) = output.md5 else {
                continue;
            };
            if !output.cache {
                continue;
            }
            let odb = workspace.odb(output.hash_name);
            let mut shown = workspace.display_path(&path);
            if id.is_tree() {
                shown.push('/');
            }
            let plan = match output_state(workspace, &path, output, jobs, &mut state)? {
                OutputState::Missing => Plan::Add,
                OutputState::Unchanged if options.relink => Plan::Relink,
                OutputState::Unchanged => continue,
                OutputState::Changed(built) => Plan::Modify(Some(built)),
            };
            if !in_cache(&odb, &id) {
                missing.push(workspace.display_path(&path));
                continue;
            }
            if let Plan::Modify(Some(built)) = &plan {
                unsaved.extend(unsaved_files(&odb, &path, built, &id)?);
            }
            work.push(Job {
                path,
                shown,
                id,
                isexec: output.isexec,
                odb,
                plan,
            });
        }
        Ok(())
    })();
    workspace.save_state(&mut state);
    planned?;

    if !unsaved.is_empty() && !options.force {
        let mut list: Vec<String> = unsaved.iter().map(|p| p.display().to_string()).collect();
        list.sort();
        return Err(DvcError(format!(
            "Can't remove the following unsaved files without confirmation. Use `--force` to force.\n{}",
            list.join("\n")
        ))
        .into());
    }

    let mut report = CheckoutReport::default();
    for job in work {
        let counts = apply(&job, &links, jobs, progress)
            .with_context(|| format!("failed to check out '{}'", job.shown))?;
        report.stats.modified += counts.modified;
        report.stats.added += counts.added;
        report.stats.deleted += counts.deleted;
        match job.plan {
            Plan::Add => {
                report.added.push(job.shown.clone());
                report.changes.push(("A", job.shown));
            }
            Plan::Modify(_) => {
                report.modified.push(job.shown.clone());
                report.changes.push(("M", job.shown));
            }
            Plan::Relink => report.relinked = true,
        }
    }
    // DVC lists modified, then added outputs; directories first, each group alphabetically.
    let rank = |kind: &str| match kind {
        "M" => 0,
        "A" => 1,
        _ => 2,
    };
    report.changes.sort_by(|(a_kind, a), (b_kind, b)| {
        (rank(a_kind), !a.ends_with('/'), a).cmp(&(rank(b_kind), !b.ends_with('/'), b))
    });
    missing.sort();
    report.failed = missing;
    Ok(report)
}

/// Workspace files that would be lost: their content differs from the target and is not in
/// the cache.
fn unsaved_files(
    odb: &Odb,
    path: &Path,
    built: &Built,
    target: &ObjectId,
) -> anyhow::Result<Vec<PathBuf>> {
    match built {
        Built::File { md5, .. } => Ok(if odb.contains(&ObjectId::file(*md5)) {
            Vec::new()
        } else {
            vec![path.to_path_buf()]
        }),
        Built::Tree { files, .. } => {
            let wanted = if target.is_tree() {
                Some(odb.read_tree(target)?)
            } else {
                None
            };
            Ok(files
                .iter()
                .filter(|f| {
                    let same = wanted
                        .as_ref()
                        .and_then(|m| m.get(f.file.relpath.as_str()))
                        .and_then(|e| e.hash.md5())
                        == Some(f.md5);
                    !same && !odb.contains(&ObjectId::file(f.md5))
                })
                .map(|f| f.file.path.clone())
                .collect())
        }
    }
}

/// Links one output from the cache; returns the files it added, modified and deleted.
fn apply(
    job: &Job,
    links: &[LinkType],
    jobs: NonZeroUsize,
    progress: &Progress,
) -> anyhow::Result<CheckoutStats> {
    let link_options = LinkOptions {
        links: links.to_vec(),
        jobs,
    };
    if !job.id.is_tree() {
        if job.path.is_dir() && !job.path.is_symlink() {
            std::fs::remove_dir_all(&job.path)?;
        }
        progress.start(Phase::Linking, 1, 0);
        data_checkout::checkout_file(&job.odb, &job.id, &job.path, job.isexec, links)?;
        progress.advance(Phase::Linking, 1, 0);
        return Ok(match job.plan {
            Plan::Add => CheckoutStats {
                added: 1,
                ..CheckoutStats::default()
            },
            Plan::Modify(_) => CheckoutStats {
                modified: 1,
                ..CheckoutStats::default()
            },
            Plan::Relink => CheckoutStats::default(),
        });
    }
    let manifest = job.odb.read_tree(&job.id)?;
    match &job.plan {
        Plan::Modify(Some(Built::Tree {
            manifest: current,
            files,
            ..
        })) => {
            let diff = dv_data::diff::diff(current, &manifest);
            let counts = CheckoutStats {
                modified: diff.modified.len(),
                added: diff.added.len(),
                deleted: diff.deleted.len(),
            };
            let wanted: HashSet<&str> = diff
                .added
                .iter()
                .chain(&diff.modified)
                .map(|r| r.as_str())
                .collect();
            let extra: HashSet<&str> = diff.deleted.iter().map(|r| r.as_str()).collect();
            let changed: Vec<_> = manifest
                .entries()
                .iter()
                .filter(|e| wanted.contains(e.relpath.as_str()))
                .cloned()
                .collect();
            data_checkout::checkout_tree(
                &job.odb,
                &DirManifest::new(changed),
                &job.path,
                &link_options,
                progress,
            )?;
            for file in files {
                if extra.contains(file.file.relpath.as_str()) {
                    std::fs::remove_file(&file.file.path).with_context(|| {
                        format!("failed to remove '{}'", file.file.path.display())
                    })?;
                }
            }
            Ok(counts)
        }
        _ => {
            if job.path.is_file() || job.path.is_symlink() {
                std::fs::remove_file(&job.path)?;
            }
            data_checkout::checkout_tree(&job.odb, &manifest, &job.path, &link_options, progress)?;
            Ok(match job.plan {
                Plan::Relink => CheckoutStats::default(),
                _ => CheckoutStats {
                    added: manifest.len(),
                    ..CheckoutStats::default()
                },
            })
        }
    }
}

/// Replaces the workspace copy of a freshly cached output with links from the cache
/// (`dvc add` with a hardlink or symlink `cache.type`), counting the files linked in
/// `progress`.
pub(crate) fn link_from_cache(
    _workspace: &Workspace,
    odb: &Odb,
    built: &Built,
    path: &Path,
    links: &[LinkType],
    jobs: NonZeroUsize,
    progress: &Progress,
) -> anyhow::Result<()> {
    match built {
        Built::File { md5, isexec, .. } => {
            progress.start(Phase::Linking, 1, 0);
            data_checkout::checkout_file(odb, &ObjectId::file(*md5), path, *isexec, links)?;
            progress.advance(Phase::Linking, 1, 0);
        }
        Built::Tree { manifest, .. } => {
            data_checkout::checkout_tree(
                odb,
                manifest,
                path,
                &LinkOptions {
                    links: links.to_vec(),
                    jobs,
                },
                progress,
            )?;
        }
    }
    Ok(())
}
