//! `dv exp diff` (being written).

use clap::Args;
use dv_repo::Environment;

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ExpDiffArgs {}

pub fn run(
    _args: ExpDiffArgs,
    _environment: &Environment,
    _printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!(
        "'dv exp diff' is not implemented yet; run it with dvc (the repository is shared)"
    )
}
