//! `dvc import URL PATH [-o OUT] [--rev R] [--no-exec | --no-download]` (spec:
//! revision-commands §1.5, dvc-format §6.7): a file or directory of another repository
//! brought into the cache and checked out, recorded in a frozen `.dvc` file whose dependency
//! names the source (`repo: {url, rev, rev_lock}`), the output ignored by git.

use std::path::PathBuf;

use dv_data::progress::Progress;
use dv_schema::dvc_file::Output;
use dv_schema::hash::HashName;

use crate::error::CommandError;
use crate::sources::import::{check_out, dependency, fetch_path, open, source_path, write_file};
use crate::sources::{Opening, SourceSpec};
use crate::workspace::Workspace;

/// What `import` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The source repository.
    pub spec: SourceSpec,
    /// The path inside it, as given.
    pub path: String,
    /// `-o`.
    pub out: Option<PathBuf>,
    /// `-f`: replace an existing output.
    pub force: bool,
    /// `--no-exec`: write the `.dvc` file only (no revision resolved).
    pub no_exec: bool,
    /// `--no-download`: resolve the revision, write the `.dvc` file, fetch nothing.
    pub no_download: bool,
    /// `-j`.
    pub jobs: Option<usize>,
}

/// An import about to run: where its output and `.dvc` file go.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The output (absolute).
    pub out: PathBuf,
    /// The output as DVC names it in `Importing '…' -> '…'`.
    pub out_shown: String,
    /// The `.dvc` file (absolute).
    pub dvc_path: PathBuf,
}

/// What `import` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    /// Files git should track (`.dvc` and `.gitignore` files), absolute.
    pub to_track: Vec<PathBuf>,
    /// Whether they were staged (`core.autostage`).
    pub staged: bool,
}

/// DVC's wrapper around every `import` error.
pub fn import_error(options: &ImportOptions, cause: &anyhow::Error) -> anyhow::Error {
    if cause.is::<crate::sources::CloneFailed>() {
        return CommandError(format!("failed to import '{}' - {cause:#}", options.path)).into();
    }
    CommandError(format!(
        "failed to import '{}' from '{}'. - {cause:#}",
        options.path, options.spec.url
    ))
    .into()
}

/// Where the output of `options` goes (an existing directory given with `-o` receives the
/// path's last component, as in DVC).
pub fn plan(workspace: &Workspace, options: &ImportOptions) -> anyhow::Result<ImportPlan> {
    let path = source_path(&options.path)?;
    let name = path
        .as_str()
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .ok_or_else(|| CommandError("the path to import names no file or directory".into()))?
        .to_owned();
    let cwd = &workspace.environment().cwd;
    let (mut out, mut shown) = match &options.out {
        Some(out) => (cwd.join(out), out.display().to_string()),
        None => (cwd.join(&name), name.clone()),
    };
    if options.out.is_some() && out.is_dir() {
        out = out.join(&name);
        shown = format!("{}/{name}", shown.trim_end_matches('/'));
    }
    let out = crate::path::normalize(&out);
    let mut dvc_name = out.file_name().unwrap_or_default().to_os_string();
    dvc_name.push(".dvc");
    let dvc_path = out.with_file_name(dvc_name);
    Ok(ImportPlan {
        out,
        out_shown: shown,
        dvc_path,
    })
}

/// Imports as planned (after [`check`]), counting transfers in `progress`.
pub fn import(
    workspace: &Workspace,
    options: &ImportOptions,
    plan: &ImportPlan,
    progress: &Progress,
) -> anyhow::Result<ImportReport> {
    let wrap = |error: anyhow::Error| import_error(options, &error);
    let path = source_path(&options.path)?;
    let name = plan
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let empty_out = Output {
        path: name.clone(),
        hash_name: HashName::Md5,
        ..Output::default()
    };
    if options.no_exec {
        let dep = dependency(&options.path, &options.spec, None);
        write_file(workspace, &plan.dvc_path, None, dep, empty_out, true).map_err(wrap)?;
        return finish(workspace, plan);
    }
    let source = open(workspace, &options.spec, Opening::AsSpecified).map_err(wrap)?;
    let dep = dependency(&options.path, &options.spec, source.rev_lock.as_deref());
    if options.no_download {
        write_file(workspace, &plan.dvc_path, None, dep, empty_out, false).map_err(wrap)?;
        return finish(workspace, plan);
    }
    let (stored, mut out) =
        fetch_path(workspace, &source, &path, options.jobs, progress).map_err(wrap)?;
    out.path = name;
    let jobs = workspace.jobs(options.jobs);
    check_out(workspace, &stored, out.hash_name, &plan.out, jobs, progress).map_err(wrap)?;
    write_file(workspace, &plan.dvc_path, None, dep, out, false).map_err(wrap)?;
    finish(workspace, plan)
}

/// DVC's checks before anything is read or written (before `Importing …` is shown), each
/// failure wrapped as DVC wraps it.
pub fn check(
    workspace: &Workspace,
    options: &ImportOptions,
    plan: &ImportPlan,
) -> anyhow::Result<()> {
    check_outputs(workspace, options, plan).map_err(|error| import_error(options, &error))
}

fn check_outputs(
    workspace: &Workspace,
    options: &ImportOptions,
    plan: &ImportPlan,
) -> anyhow::Result<()> {
    let root = workspace.root();
    if !plan.out.starts_with(root) || plan.out == root {
        return Err(CommandError(format!(
            "Cached output(s) outside of DVC project: {}. See \
             <https://dvc.org/doc/user-guide/data-management/importing-external-data> for more info.",
            plan.out.display()
        ))
        .into());
    }
    if let Ok(metadata) = std::fs::symlink_metadata(&plan.out)
        && !options.force
    {
        let kind = if metadata.is_dir() {
            "directory"
        } else {
            "file"
        };
        return Err(CommandError(format!(
            "The {kind} '{}' already exists locally. \nTo override it, re-run with '--force'.",
            plan.out_shown
        ))
        .into());
    }
    if let Some(parent) = plan.out.parent()
        && !parent.is_dir()
    {
        return Err(CommandError(format!(
            "stage working dir '{}' does not exist",
            parent.display()
        ))
        .into());
    }
    if let Some(git) = workspace.git()
        && git.ignored(std::slice::from_ref(&plan.dvc_path))?[0]
    {
        let shown = workspace.display_path(&plan.dvc_path);
        return Err(CommandError(format!("bad DVC file name '{shown}' is git-ignored.")).into());
    }
    crate::confine::guard_write_error(workspace, &plan.out)?;
    Ok(())
}

fn finish(workspace: &Workspace, plan: &ImportPlan) -> anyhow::Result<ImportReport> {
    let mut to_track = vec![plan.dvc_path.clone()];
    to_track.extend(
        crate::tracking::ignore_outputs(workspace, std::slice::from_ref(&plan.out))?.gitignores,
    );
    to_track.sort();
    to_track.dedup();
    let staged = crate::tracking::autostage(workspace, &to_track)?;
    Ok(ImportReport { to_track, staged })
}
