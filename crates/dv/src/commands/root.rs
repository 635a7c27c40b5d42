//! `dv root`: the relative path from the working directory to the repository root.

use dv_repo::{Environment, Repo};

use crate::exit::ExitStatus;
use crate::printer::Printer;

pub fn run(environment: &Environment, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let repo = Repo::discover(&environment.cwd)?;
    let cwd = std::fs::canonicalize(&environment.cwd).unwrap_or_else(|_| environment.cwd.clone());
    printer.data(dv_repo::path::relative(repo.root(), &cwd));
    Ok(ExitStatus::Success)
}
