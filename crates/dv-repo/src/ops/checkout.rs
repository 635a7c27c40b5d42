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
use dv_schema::dir_manifest::{DirManifest, RelPath};
use dv_schema::dvc_file::Output;
use dv_schema::hash::ObjectId;

use crate::error::DvcError;
use crate::index;
use crate::index::{self as stages, GranularError, RepoStage};
pub use crate::outputs::missing_error;
use crate::outputs::{OutputState, in_cache, output_state};
use crate::pipelines::{locked_outputs, locked_outputs_of};
use crate::workspace::Workspace;

/// What `checkout` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct CheckoutOptions {
    /// `.dvc` files, `dvc.yaml` files, stage names, outputs or paths inside them (all when
    /// empty).
    pub targets: Vec<PathBuf>,
    /// A directory target stands for the stages defined under it (`-R`).
    pub recursive: bool,
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
    /// Warnings from reading the targets (a stage name given with a `.dvc` file).
    pub warnings: Vec<String>,
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
    scope: Scope,
}

/// An output to check out, and which part of it.
struct Target {
    path: PathBuf,
    output: Output,
    scope: Scope,
}

/// The part of a directory output a target named: DVC's granular checkout of a path inside a
/// tracked directory touches only the files under it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// The whole output.
    Whole,
    /// The files under these paths, relative to the output (`/`-separated).
    Within(Vec<String>),
}

impl Scope {
    fn contains(&self, relpath: &str) -> bool {
        match self {
            Scope::Whole => true,
            Scope::Within(prefixes) => prefixes.iter().any(|prefix| {
                relpath == prefix
                    || relpath
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }),
        }
    }

    /// Widens the scope by `other` (the same output named again).
    fn merge(&mut self, other: Scope) {
        match (&mut *self, other) {
            (Scope::Whole, _) => {}
            (_, Scope::Whole) => *self = Scope::Whole,
            (Scope::Within(prefixes), Scope::Within(more)) => {
                for prefix in more {
                    if !prefixes.contains(&prefix) {
                        prefixes.push(prefix);
                    }
                }
            }
        }
    }
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

/// Like [`checkout`], but outputs the cache lacks are listed in the report's `failed` instead
/// of failing the call, so that `dvc pull` can show what was checked out before its error.
pub fn checkout_available(
    workspace: &Workspace,
    options: &CheckoutOptions,
    progress: &Progress,
) -> anyhow::Result<CheckoutReport> {
    let (targets, warnings) = targets(workspace, options)?;
    let jobs = workspace.jobs(options.jobs);
    let links = workspace.link_types()?;
    let mut state = workspace.load_state();

    let mut work = Vec::new();
    let mut missing = Vec::new();
    let mut unsaved = Vec::new();
    let planned = (|| -> anyhow::Result<()> {
        for Target {
            path,
            output,
            scope,
        } in targets
        {
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
            crate::confine::guard_write_error(workspace, &path)?;
            // A symbolic link where a directory output goes holds no data of its own: it is
            // replaced, and nothing is read or removed through it.
            let linked_dir = id.is_tree()
                && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            let plan = if linked_dir {
                Plan::Modify(None)
            } else {
                match output_state(workspace, &path, &output, jobs, &mut state)? {
                    OutputState::Missing => Plan::Add,
                    OutputState::Unchanged if options.relink => Plan::Relink,
                    OutputState::Unchanged => continue,
                    OutputState::Changed(built) => Plan::Modify(Some(built)),
                }
            };
            if !in_cache(&odb, &id) {
                missing.push(workspace.display_path(&path));
                continue;
            }
            // A path inside a directory output: only the files under it, and nothing when
            // they are as recorded.
            let scope = match (&scope, &plan) {
                (Scope::Within(_), Plan::Modify(Some(Built::File { .. }))) => Scope::Whole,
                _ if !id.is_tree() => Scope::Whole,
                _ => scope,
            };
            if scope != Scope::Whole && !touches(&odb, &id, &plan, &scope)? {
                continue;
            }
            if let Plan::Modify(Some(built)) = &plan {
                unsaved.extend(unsaved_files(&odb, &path, built, &id, &scope)?);
            }
            work.push(Job {
                path,
                shown,
                id,
                isexec: output.isexec,
                odb,
                plan,
                scope,
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
    report.warnings = warnings;
    Ok(report)
}

/// The outputs `options` names, with DVC's target resolution (`index_from_targets`): every
/// output of every `.dvc` file and of every `dvc.lock` without targets; else the outputs of
/// the stages the targets select, or the part of an output a target inside it names.
fn targets(
    workspace: &Workspace,
    options: &CheckoutOptions,
) -> anyhow::Result<(Vec<Target>, Vec<String>)> {
    if options.targets.is_empty() {
        let mut targets: Vec<Target> = index::load_targets(workspace, &[])?
            .iter()
            .flat_map(|entry| {
                entry.file.outs.iter().map(|output| Target {
                    path: entry.resolve(output),
                    output: output.clone(),
                    scope: Scope::Whole,
                })
            })
            .collect();
        targets.extend(locked_outputs(workspace)?.into_iter().map(|locked| Target {
            path: locked.path,
            output: locked.output,
            scope: Scope::Whole,
        }));
        return Ok((targets, Vec::new()));
    }
    let names: Vec<String> = options
        .targets
        .iter()
        .map(|target| target.to_string_lossy().into_owned())
        .collect();
    let (selected, warnings) = stages::select_targets(workspace, &names, options.recursive)
        .map_err(|(target, error)| match error {
            GranularError::NotFound(cause) => {
                DvcError(format!("Did you mean `git checkout {target}`?: {cause}")).into()
            }
            GranularError::Other(error) => error,
        })?;
    let pipeline_stages: Vec<&dv_pipeline::stage::Stage> = selected
        .iter()
        .filter_map(|selected| match &selected.stage {
            RepoStage::Pipeline { stage, .. } => Some(&**stage),
            RepoStage::File { .. } => None,
        })
        .collect();
    let mut locked = locked_outputs_of(workspace, &pipeline_stages)?.into_iter();
    let mut targets: Vec<Target> = Vec::new();
    for selected in &selected {
        let outputs: Vec<(PathBuf, Output)> = match &selected.stage {
            RepoStage::Pipeline { .. } => locked
                .next()
                .unwrap_or_default()
                .into_iter()
                .map(|locked| (locked.path, locked.output))
                .collect(),
            RepoStage::File { entry, .. } => entry
                .file
                .outs
                .iter()
                .map(|output| (entry.resolve(output), output.clone()))
                .collect(),
        };
        for (path, output) in outputs {
            // DVC's `Stage.filter_outs`: only the outputs holding the named path.
            let scope = match &selected.path {
                None => Scope::Whole,
                Some(named) if *named == path => Scope::Whole,
                Some(named) => match named.strip_prefix(&path) {
                    Ok(inside) => Scope::Within(vec![
                        inside
                            .components()
                            .map(|part| part.as_os_str().to_string_lossy())
                            .collect::<Vec<_>>()
                            .join("/"),
                    ]),
                    Err(_) => continue,
                },
            };
            match targets.iter_mut().find(|target| target.path == path) {
                Some(known) => known.scope.merge(scope),
                None => targets.push(Target {
                    path,
                    output,
                    scope,
                }),
            }
        }
    }
    Ok((targets, warnings))
}

/// Whether checking out `scope` of a directory output changes anything: recorded files under
/// it to create, or files under it that differ from the record.
fn touches(odb: &Odb, id: &ObjectId, plan: &Plan, scope: &Scope) -> anyhow::Result<bool> {
    let manifest = odb.read_tree(id)?;
    Ok(match plan {
        Plan::Modify(Some(Built::Tree {
            manifest: current, ..
        })) => {
            let diff = dv_data::diff::diff(current, &manifest);
            diff.added
                .iter()
                .chain(&diff.modified)
                .chain(&diff.deleted)
                .any(|relpath| scope.contains(relpath.as_str()))
        }
        _ => manifest
            .entries()
            .iter()
            .any(|entry| scope.contains(entry.relpath.as_str())),
    })
}

/// Workspace files that would be lost: their content differs from the target and is not in
/// the cache.
fn unsaved_files(
    odb: &Odb,
    path: &Path,
    built: &Built,
    target: &ObjectId,
    scope: &Scope,
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
                .filter(|f| scope.contains(f.file.relpath.as_str()))
                // What a killed checkout left behind is removed without asking.
                .filter(|f| {
                    !f.file
                        .path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(dv_fs::temp::is_leftover_name)
                })
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
            let count = |relpaths: &[RelPath]| {
                relpaths
                    .iter()
                    .filter(|relpath| job.scope.contains(relpath.as_str()))
                    .count()
            };
            let counts = CheckoutStats {
                modified: count(&diff.modified),
                added: count(&diff.added),
                deleted: count(&diff.deleted),
            };
            let wanted: HashSet<&str> = diff
                .added
                .iter()
                .chain(&diff.modified)
                .map(|r| r.as_str())
                .filter(|relpath| job.scope.contains(relpath))
                .collect();
            let extra: HashSet<&str> = diff
                .deleted
                .iter()
                .map(|r| r.as_str())
                .filter(|relpath| job.scope.contains(relpath))
                .collect();
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
            let manifest = match &job.scope {
                Scope::Whole => manifest,
                Scope::Within(_) => DirManifest::new(
                    manifest
                        .entries()
                        .iter()
                        .filter(|entry| job.scope.contains(entry.relpath.as_str()))
                        .cloned()
                        .collect(),
                ),
            };
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
