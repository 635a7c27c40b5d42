//! `dv gc`.

use std::io::IsTerminal;

use clap::Args;
use dv_repo::ops::gc::{GcOptions, NO_SCOPE_MESSAGE, gc};
use dv_repo::remotes::{RemoteFailure, UnknownRemote};
use dv_repo::revisions::Scope;
use dv_repo::{ConfigError, DvcError, Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Keep data files used in the current workspace.
    #[arg(short, long)]
    pub workspace: bool,
    /// Keep data files used in the specified <commit>.
    #[arg(long, value_name = "commit")]
    pub rev: Option<String>,
    /// Keep data files used in the last `num` commits starting from the `--rev` <commit>.
    #[arg(short, long, value_name = "num")]
    pub num: Option<usize>,
    /// Keep data files for the tips of all Git branches.
    #[arg(short, long)]
    pub all_branches: bool,
    /// Keep data files for all Git tags.
    #[arg(short = 'T', long)]
    pub all_tags: bool,
    /// Keep data files for all Git commits.
    #[arg(short = 'A', long)]
    pub all_commits: bool,
    /// Keep cached data referenced in Git commits after a certain date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Keep data files for all experiments.
    #[arg(long)]
    pub all_experiments: bool,
    /// Keep data files that are not present in the remote.
    #[arg(long)]
    pub not_in_remote: bool,
    /// Collect garbage in remote storage in addition to local cache.
    #[arg(short, long)]
    pub cloud: bool,
    /// Remote storage to collect garbage in.
    #[arg(short, long, value_name = "name")]
    pub remote: Option<String>,
    /// Skip revisions that fail when collected.
    #[arg(long)]
    pub skip_failed: bool,
    /// Force garbage collection - automatically agree to all prompts.
    #[arg(short, long)]
    pub force: bool,
    /// Number of jobs to run simultaneously.
    #[arg(short, long, value_name = "number")]
    pub jobs: Option<usize>,
    /// Keep data files required by these projects in addition to the current one.
    #[arg(short, long, num_args = 0.., value_name = "projects")]
    pub projects: Option<Vec<String>>,
    /// Only print what would get removed without actually removing.
    #[arg(long)]
    pub dry: bool,
}

pub fn run(
    args: GcArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let other_scope = args.all_branches
        || args.all_tags
        || args.all_commits
        || args.all_experiments
        || args.date.is_some()
        || args.rev.is_some();
    if args.not_in_remote && args.cloud {
        return Err(
            DvcError("`--not-in-remote` and `--cloud` are mutually exclusive".into()).into(),
        );
    }
    if !args.workspace && !other_scope {
        return Err(DvcError(NO_SCOPE_MESSAGE.to_string()).into());
    }
    if args.num.is_some() && !(args.rev.is_some() || args.all_branches) {
        return Err(DvcError(
            "`--num` can only be used alongside `--rev` or `--all-branches`".into(),
        )
        .into());
    }
    let num = if args.rev.is_some() {
        Some(args.num.unwrap_or(1))
    } else {
        args.num
    };
    printer.warn(warning(&args, num, &environment.cwd));
    let options = GcOptions {
        workspace: true,
        scope: Scope {
            revs: args.rev.iter().cloned().collect(),
            num: num.unwrap_or(1),
            all_branches: args.all_branches,
            all_tags: args.all_tags,
            all_commits: args.all_commits,
            all_experiments: args.all_experiments,
            date: args.date.clone(),
        },
        skip_failed: args.skip_failed,
        dry: args.dry,
        cloud: args.cloud,
        not_in_remote: args.not_in_remote,
        remote: args.remote,
        projects: args
            .projects
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        jobs: args.jobs,
    };
    // Before asking someone at a terminal, say which cache (and remote) is purged; DVC does
    // not, and its output without a terminal stays the same.
    if !args.force && !args.dry && std::io::stdin().is_terminal() {
        let (cache, remote) = dv_repo::ops::gc::targets_shown(&workspace, &options);
        let target = match remote {
            Some(remote) => format!("the cache '{cache}' and the remote '{remote}'"),
            None => format!("the cache '{cache}'"),
        };
        printer.notice(format!("Unused objects will be deleted from {target}."));
    }
    let confirmed = args.force
        || args.dry
        || crate::prompt::confirm("Are you sure you want to proceed?", printer);
    if !confirmed {
        return Ok(ExitStatus::Failure);
    }
    let activity = printer.activity("Collecting garbage");
    let mut skipped = Vec::new();
    let report = gc(&workspace, &options, activity.progress(), &mut |message| {
        skipped.push(message)
    });
    for message in skipped {
        printer.warn(message);
    }
    drop(activity);
    let report = report.map_err(|error| {
        // A remote failing as a whole escapes DVC's gc as an unexpected error (255).
        if error.downcast_ref::<RemoteFailure>().is_some() {
            crate::exit::data_command_failure(printer, None, error, ExitStatus::Error)
        } else if let Some(unknown) = error.downcast_ref::<UnknownRemote>() {
            // DVC's `RemoteNotFoundError` is a config error here (251).
            ConfigError(format!("remote '{}' doesn't exist", unknown.name)).into()
        } else {
            error
        }
    })?;
    for cache in &report.caches {
        for path in &cache.dry_paths {
            printer.info(format!("Removing {}", path.display()));
        }
        if cache.removed > 0 {
            printer.info(format!(
                "Removed {} objects from {} cache.",
                cache.removed, cache.scheme
            ));
        } else {
            printer.info(format!("No unused '{}' cache to remove.", cache.scheme));
        }
    }
    for cache in &report.remote {
        if cache.removed > 0 {
            printer.info(format!("Removed {} objects from remote.", cache.removed));
        } else {
            printer.info("No unused cache to remove from remote.");
        }
    }
    Ok(ExitStatus::Success)
}

/// DVC's warning naming what `gc` keeps.
fn warning(args: &GcArgs, num: Option<usize>, cwd: &std::path::Path) -> String {
    let mut message = String::from("This will remove all cache except items used in the workspace");
    if args.all_commits {
        message.push_str(" and all git commits");
    } else {
        match (args.all_branches, args.all_tags, num) {
            (true, true, Some(num)) => message.push_str(&format!(
                " and last {num} commits from all git branches and all git tags"
            )),
            (true, true, None) => message.push_str(" and all git branches and tags"),
            (true, false, Some(num)) => {
                message.push_str(&format!(" and last {num} commits from all git branches"));
            }
            (true, false, None) => message.push_str(" and all git branches"),
            (false, true, _) => message.push_str(" and all git tags"),
            (false, false, _) => {}
        }
        if let Some(date) = &args.date {
            message.push_str(&format!(" and all git commits before date {date}"));
        }
        if let (Some(rev), Some(num)) = (&args.rev, num) {
            message.push_str(&format!(" and last {num} commits from {rev}"));
        }
    }
    if args.all_experiments {
        message.push_str(" and all experiments");
    }
    if args.not_in_remote {
        message.push_str(" that are not present in the DVC remote");
    }
    match &args.projects {
        Some(projects) if !projects.is_empty() => {
            message.push_str(" of the current and the following repos:");
            for project in projects {
                message.push_str(&format!("\n  - {}", absolute(cwd, project).display()));
            }
        }
        _ => message.push_str(" of the current repo."),
    }
    message
}

/// `os.path.abspath`: `path` joined to the current directory and normalized lexically.
fn absolute(cwd: &std::path::Path, path: &str) -> std::path::PathBuf {
    let joined = cwd.join(path);
    let mut normalized = std::path::PathBuf::new();
    for component in joined.components() {
        match component {
            std::path::Component::ParentDir => {
                normalized.pop();
            }
            std::path::Component::CurDir => {}
            other => normalized.push(other),
        }
    }
    normalized
}
