//! The command line: DVC's commands, flags and global options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use dv_repo::Level;

use crate::commands::{add, checkout, completion, config, init, remote, status};
use crate::commands::{artifacts, get, git_hook, import, install};
use crate::commands::{check_ignore, commit, data, destroy, gc, r#move, remove, unprotect};
use crate::commands::{dag, diff, export, freeze, metrics, params, plots};
use crate::commands::{du, exp, ls};
use crate::commands::{fetch, get_url, import_url, ls_url, pull, push, repro, stage};

/// dv: data version control, compatible with DVC repositories and much faster.
#[derive(Debug, Parser)]
#[command(name = "dv", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command, before or after its name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Be quiet.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Be verbose.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Change to directory before executing.
    #[arg(long = "cd", value_name = "DIR", global = true)]
    pub cd: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Initialize DVC repository.
    Init(init::InitArgs),
    /// Track data files or directories with DVC.
    Add(add::AddArgs),
    /// Show changed stages, compare local cache and a remote storage.
    Status(status::StatusArgs),
    /// Checkout data files from cache.
    #[command(visible_alias = "co")]
    Checkout(checkout::CheckoutArgs),
    /// Get or set config options.
    Config(config::ConfigArgs),
    /// Set up and manage data remotes.
    Remote(remote::RemoteArgs),
    /// Upload tracked files or directories to remote storage.
    Push(push::PushArgs),
    /// Download files or directories from remote storage to the cache.
    Fetch(fetch::FetchArgs),
    /// Download tracked files or directories from remote storage.
    Pull(pull::PullArgs),
    /// Record changes to files or directories tracked by DVC by storing the current versions in the cache.
    Commit(commit::CommitArgs),
    /// Remove stages from dvc.yaml and/or stop tracking files or directories.
    #[command(visible_alias = "rm")]
    Remove(remove::RemoveArgs),
    /// Rename or move a DVC controlled data file or a directory.
    #[command(visible_alias = "mv")]
    Move(r#move::MoveArgs),
    /// Garbage collect unused objects from cache or remote storage.
    Gc(gc::GcArgs),
    /// Unprotect tracked files or directories (when hardlinks or symlinks have been enabled with `dvc config cache.type`).
    Unprotect(unprotect::UnprotectArgs),
    /// Remove DVC files, local DVC config and data cache.
    Destroy(destroy::DestroyArgs),
    /// Commands to add stages to the pipeline.
    Stage(stage::StageArgs),
    /// Visualize DVC project DAG.
    Dag(dag::DagArgs),
    /// Freeze stages or .dvc files.
    Freeze(freeze::FreezeArgs),
    /// Unfreeze stages or .dvc files.
    Unfreeze(freeze::FreezeArgs),
    /// Reproduce complete or partial pipelines by executing their stages.
    Repro(repro::ReproArgs),
    /// Download or copy files from URL and take under DVC control.
    #[command(name = "import-url")]
    ImportUrl(import_url::ImportUrlArgs),
    /// Update data artifacts imported from other DVC repositories or URLs.
    Update(import_url::UpdateArgs),
    /// Download file or directory tracked by DVC or by Git into the workspace.
    Get(get::GetArgs),
    /// Download file or directory tracked by DVC or by Git into the workspace, and track it.
    Import(import::ImportArgs),
    /// DVC model registry artifact commands.
    Artifacts(artifacts::ArtifactsArgs),
    /// Commands to run and compare experiments.
    #[command(name = "experiments", visible_alias = "exp")]
    Exp(exp::ExpArgs),
    /// Commands to manage experiments queue.
    Queue(exp::queue::QueueArgs),
    /// Download or copy files from URL.
    #[command(name = "get-url")]
    GetUrl(get_url::GetUrlArgs),
    /// List directory contents from URL.
    #[command(name = "list-url", visible_alias = "ls-url")]
    ListUrl(ls_url::LsUrlArgs),
    /// Commands related to data management.
    Data(data::DataArgs),
    /// List repository contents, including files and directories tracked by DVC and by Git.
    #[command(name = "list", visible_alias = "ls")]
    List(ls::LsArgs),
    /// Show disk usage.
    Du(du::DuArgs),
    /// Commands to display and compare metrics.
    Metrics(metrics::MetricsArgs),
    /// Commands to display params.
    Params(params::ParamsArgs),
    /// Show added, modified, or deleted data between commits in the DVC repository, or between a commit and the workspace.
    Diff(diff::DiffArgs),
    /// Export the pipeline's provenance (an RO-Crate of the run recorded in dvc.lock).
    Export(export::ExportArgs),
    /// Commands to visualize and compare plot data.
    Plots(plots::PlotsArgs),
    /// Check whether files or directories are excluded due to `.dvcignore`.
    CheckIgnore(check_ignore::CheckIgnoreArgs),
    /// Display the DVC version and system/environment information.
    #[command(visible_alias = "doctor")]
    Version,
    /// Return the relative path to the root of the DVC project.
    Root,
    /// Generate shell tab completion.
    Completion(completion::CompletionArgs),
    /// Install DVC git hooks into the repository.
    Install(install::InstallArgs),
    /// Run GIT hook.
    #[command(hide = true)]
    GitHook(git_hook::GitHookArgs),
}

/// `--global | --system | --project | --local`.
#[derive(Debug, Args, Default)]
#[group(multiple = false)]
pub struct LevelArgs {
    /// Use global config.
    #[arg(long)]
    pub global: bool,
    /// Use system config.
    #[arg(long)]
    pub system: bool,
    /// Use project config (.dvc/config).
    #[arg(long)]
    pub project: bool,
    /// Use local config (.dvc/config.local).
    #[arg(long)]
    pub local: bool,
}

impl LevelArgs {
    /// The selected level, if any.
    pub fn level(&self) -> Option<Level> {
        if self.global {
            Some(Level::Global)
        } else if self.system {
            Some(Level::System)
        } else if self.project {
            Some(Level::Repo)
        } else if self.local {
            Some(Level::Local)
        } else {
            None
        }
    }
}
