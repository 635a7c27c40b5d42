//! `dv exp apply`, `branch`, `ls`, `remove`, `rename`.

use clap::Args;
use dv_repo::ops::exp::manage::{self, Baselines, RemoveOptions};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// DVC's `humanize.join`: `a`, `a and b`, `a, b and c`.
pub(super) fn humanize_join(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// [`humanize_join`] of Python `repr`s: `'a' and 'b'`.
fn joined(names: &[String]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|name| crate::output::value::string_repr(name))
        .collect();
    humanize_join(&quoted)
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Experiment to be applied.
    #[arg(value_name = "<experiment>")]
    pub experiment: String,
    /// Kept for compatibility (DVC's `--no-force`): changes are always applied.
    #[arg(long, hide = true)]
    pub no_force: bool,
}

pub fn apply(
    args: ApplyArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Checking out");
    let applied = manage::apply(&workspace, &args.experiment, activity.progress());
    drop(activity);
    applied?;
    printer.info(format!(
        "Changes for experiment '{}' have been applied to your current workspace.",
        args.experiment
    ));
    Ok(ExitStatus::Success)
}

#[derive(Debug, Args)]
pub struct BranchArgs {
    /// Experiment to be promoted.
    #[arg(value_name = "<experiment>")]
    pub experiment: String,
    /// Optional name for the new Git branch. Defaults to '{experiment name}-branch'.
    #[arg(value_name = "<branch>")]
    pub branch: Option<String>,
}

pub fn branch(
    args: BranchArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let (branch, name) = manage::branch(&workspace, &args.experiment, args.branch.as_deref())?;
    printer.info(format!(
        "Git branch '{branch}' has been created from experiment '{name}'.\nTo switch to the new \
         branch run:\n\n\tgit checkout {branch}"
    ));
    Ok(ExitStatus::Success)
}

/// `-A`, `--rev`, `-n`.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// All experiments in the repository (overrides `--rev` and `--num`).
    #[arg(short = 'A', long)]
    pub all_commits: bool,
    /// Experiments derived from the specified `<commit>` as baseline.
    #[arg(long, value_name = "<commit>")]
    pub rev: Vec<String>,
    /// Experiments from the last `num` commits (first parents) starting from the `--rev`
    /// baseline.
    #[arg(short = 'n', long, value_name = "<num>", default_value_t = 1)]
    pub num: i64,
}

impl SelectionArgs {
    pub(super) fn baselines(&self) -> Baselines {
        Baselines {
            revs: self.rev.clone(),
            num: if self.num < 0 {
                usize::MAX
            } else {
                self.num as usize
            },
            all_commits: self.all_commits,
        }
    }
}

#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Only output experiment names (without baselines).
    #[arg(long, visible_alias = "names-only")]
    pub name_only: bool,
    /// Only output experiment commit SHAs (without baselines).
    #[arg(long, visible_alias = "shas-only")]
    pub sha_only: bool,
    /// Optional Git remote name or Git URL.
    #[arg(value_name = "<git_remote>")]
    pub git_remote: Option<String>,
}

pub fn ls(
    args: LsArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if args.sha_only && args.git_remote.is_some() {
        return Err(
            dv_repo::error::DvcError("--sha-only not supported with git_remote.".into()).into(),
        );
    }
    let workspace = Workspace::open(environment)?;
    let listed = manage::ls(
        &workspace,
        &args.selection.baselines(),
        args.git_remote.as_deref(),
    )?;
    let names = if args.name_only || args.sha_only {
        Default::default()
    } else {
        let baselines: Vec<String> = listed
            .iter()
            .map(|(baseline, _)| baseline.clone())
            .collect();
        let revisions = dv_repo::revisions::Revisions::open(&workspace)?;
        match revisions.history() {
            Some(history) => manage::describe(history, &baselines)?,
            None => Default::default(),
        }
    };
    for (baseline, experiments) in listed {
        if !(args.name_only || args.sha_only) {
            let name = names
                .get(&baseline)
                .cloned()
                .unwrap_or_else(|| baseline[..7].to_string());
            printer.data(format!("{name}:"));
        }
        for experiment in experiments {
            let name = &experiment.reference.name;
            if args.name_only {
                printer.data(name);
            } else if args.sha_only {
                printer.data(&experiment.commit);
            } else if args.git_remote.is_some() {
                printer.data(format!("\t{name}"));
            } else {
                printer.data(format!("\t{} [{name}]", &experiment.commit[..7]));
            }
        }
    }
    Ok(ExitStatus::Success)
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Remove all queued experiments.
    #[arg(long)]
    pub queue: bool,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Name or URL of the Git remote to remove the experiment from.
    #[arg(short = 'g', long, value_name = "<git_remote>")]
    pub git_remote: Option<String>,
    /// Keep the selected experiments instead of removing them.
    #[arg(long)]
    pub keep: bool,
    /// Experiments to remove.
    #[arg(value_name = "<experiment>")]
    pub experiment: Vec<String>,
}

pub fn remove(
    args: RemoveArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let selected = args.selection.all_commits || !args.selection.rev.is_empty() || args.queue;
    if selected != args.experiment.is_empty() {
        return Err(dv_repo::error::DvcError(
            "Either provide an `experiment` argument, or use the `--rev` or `--all-commits` or \
             `--queue` flag."
                .into(),
        )
        .into());
    }
    if args.keep && args.queue {
        return Err(
            dv_repo::error::DvcError("Cannot use both `--keep` and `--queue`.".into()).into(),
        );
    }
    let workspace = Workspace::open(environment)?;
    let mut removed = Vec::new();
    if args.queue {
        removed.extend(dv_repo::ops::exp::queue::remove(
            &workspace,
            &dv_repo::ops::exp::queue::RemoveQueued {
                queued: true,
                ..Default::default()
            },
        )?);
    }
    // Names of queued experiments remove their queue entries, as DVC's do.
    let mut names = args.experiment.clone();
    if !names.is_empty() {
        let dequeued = dv_repo::ops::exp::queue::remove(
            &workspace,
            &dv_repo::ops::exp::queue::RemoveQueued {
                names: names.clone(),
                ..Default::default()
            },
        )?;
        names.retain(|name| !dequeued.contains(name));
        removed.extend(dequeued);
    }
    let selected = args.selection.all_commits || !args.selection.rev.is_empty();
    if !selected && names.is_empty() {
        report_removed(printer, &removed);
        return Ok(ExitStatus::Success);
    }
    removed.extend(manage::remove(
        &workspace,
        &RemoveOptions {
            names,
            baselines: (args.selection.all_commits || !args.selection.rev.is_empty())
                .then(|| args.selection.baselines()),
            keep: args.keep,
            git_remote: args.git_remote,
        },
    )?);
    report_removed(printer, &removed);
    Ok(ExitStatus::Success)
}

fn report_removed(printer: &Printer, removed: &[String]) {
    if removed.is_empty() {
        printer.info("No experiments to remove.");
    } else {
        printer.info(format!("Removed experiments: {}", joined(removed)));
    }
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// Name or URL of the Git remote to rename the experiment from.
    #[arg(short = 'g', long, value_name = "<git_remote>")]
    pub git_remote: Option<String>,
    /// Replace experiment in the Git repository if it already exists.
    #[arg(short, long)]
    pub force: bool,
    /// Experiment to rename.
    #[arg(value_name = "<experiment>")]
    pub experiment: String,
    /// New name for the experiment.
    #[arg(value_name = "<name>")]
    pub name: String,
}

pub fn rename(
    args: RenameArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let renamed = manage::rename(&workspace, &args.experiment, &args.name, args.force)?;
    if renamed.is_empty() {
        printer.info("No experiments to rename.");
    } else {
        printer.info(format!("Renamed experiments: {}", joined(&renamed)));
    }
    Ok(ExitStatus::Success)
}
