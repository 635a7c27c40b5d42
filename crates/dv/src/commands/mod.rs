//! One module per command: its clap arguments and a `run` that calls `dv-repo` and renders
//! the result.

pub mod add;
pub mod artifacts;
pub mod check_ignore;
pub mod checkout;
pub mod cluster;
pub mod commit;
pub mod completion;
pub mod config;
pub mod dag;
pub mod data;
pub mod destroy;
pub mod diff;
pub mod du;
pub mod exp;
pub mod export;
pub mod fetch;
pub mod freeze;
pub mod gc;
pub mod get;
pub mod get_url;
pub mod git_hook;
pub mod import;
pub mod import_url;
pub mod init;
pub mod install;
pub mod ls;
pub mod ls_url;
pub mod metrics;
pub mod r#move;
pub mod params;
pub mod plots;
pub mod pull;
pub mod push;
pub mod remote;
pub mod remove;
pub mod repo_source;
pub mod repro;
pub mod root;
pub mod stage;
pub mod status;
pub mod unimplemented;
pub mod unprotect;
pub mod version;

use std::path::PathBuf;

use anyhow::Context;
use dv_repo::{Config, Environment, Interrupts, Repo};

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli, printer: &Printer, interrupts: &Interrupts) -> anyhow::Result<ExitStatus> {
    let mut cwd = std::env::current_dir().context("failed to read the current directory")?;
    if let Some(dir) = &cli.global.cd {
        cwd = cwd.join(dir);
        std::env::set_current_dir(&cwd)
            .with_context(|| format!("failed to change directory to '{}'", dir.display()))?;
    }
    let environment = Environment::from_process(cwd);
    match cli.command {
        Command::Init(args) => init::run(args, &environment, printer),
        Command::Add(args) => add::run(args, &environment, printer),
        Command::Status(args) => status::run(args, &environment, printer),
        Command::Checkout(args) => checkout::run(args, &environment, printer),
        Command::Config(args) => config::run(args, &environment, printer),
        Command::Remote(args) => remote::run(args, &environment, printer),
        Command::Push(args) => push::run(args, &environment, printer),
        Command::Fetch(args) => fetch::run(args, &environment, printer),
        Command::Pull(args) => pull::run(args, &environment, printer),
        Command::Commit(args) => commit::run(args, &environment, printer),
        Command::Remove(args) => remove::run(args, &environment, printer),
        Command::Move(args) => r#move::run(args, &environment, printer),
        Command::Gc(args) => gc::run(args, &environment, printer),
        Command::Unprotect(args) => unprotect::run(args, &environment, printer),
        Command::Destroy(args) => destroy::run(args, &environment, printer),
        Command::Stage(args) => stage::run(args, &environment, printer),
        Command::Dag(args) => dag::run(args, &environment, printer),
        Command::Freeze(args) => freeze::run(args, &environment, printer, true),
        Command::Unfreeze(args) => freeze::run(args, &environment, printer, false),
        Command::Repro(args) => repro::run(args, &environment, printer, interrupts),
        Command::ImportUrl(args) => import_url::run(args, &environment, printer),
        Command::Artifacts(args) => artifacts::run(args, &environment, printer),
        Command::Exp(args) => exp::run(args, &environment, printer, interrupts),
        Command::Queue(args) => exp::queue::run(args, &environment, printer),
        Command::Update(args) => import_url::run_update(args, &environment, printer),
        Command::GetUrl(args) => get_url::run(args, &environment, printer),
        Command::Get(args) => get::run(args, &environment, printer),
        Command::Import(args) => import::run(args, &environment, printer),
        Command::ListUrl(args) => ls_url::run(args, &environment, printer),
        Command::Data(args) => data::run(args, &environment, printer),
        Command::List(args) => ls::run(args, &environment, printer),
        Command::Du(args) => du::run(args, &environment, printer),
        Command::Metrics(args) => metrics::run(args, &environment, printer),
        Command::Params(args) => params::run(args, &environment, printer),
        Command::Diff(args) => diff::run(args, &environment, printer),
        Command::Export(args) => export::run(args, &environment, printer),
        Command::Plots(args) => plots::run(args, &environment, printer),
        Command::CheckIgnore(args) => check_ignore::run(args, &environment, printer),
        Command::Version => version::run(&environment, printer),
        Command::Root => root::run(&environment, printer),
        Command::Completion(args) => completion::run(args, printer),
        Command::Install(args) => install::run(args, &environment, printer),
        Command::GitHook(args) => git_hook::run(args, &environment, printer, interrupts),
    }
}

/// The configuration seen from the working directory, inside a repository or not (DVC's
/// `Config.from_cwd`).
pub fn config_from_cwd(environment: &Environment) -> Config {
    let dvc_dir: Option<PathBuf> = Repo::discover(&environment.cwd).ok().map(|r| r.dvc_dir());
    Config::new(dvc_dir, environment)
}
