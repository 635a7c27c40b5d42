//! `dv exp show` (being written).

use clap::Args;
use dv_repo::Environment;

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ExpShowArgs {}

pub fn run(
    _args: ExpShowArgs,
    _environment: &Environment,
    _printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!(
        "'dv exp show' is not implemented yet; run it with dvc (the repository is shared)"
    )
}
