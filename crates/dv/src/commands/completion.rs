//! `dv completion`: shell tab completion scripts.

use clap::{Args, CommandFactory, ValueEnum};

use crate::cli::Cli;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// Shell syntax for completions.
    #[arg(short, long, value_enum, default_value = "bash")]
    pub shell: Shell,
}

pub fn run(args: CompletionArgs, _printer: &Printer) -> anyhow::Result<ExitStatus> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut Cli::command(), "dv", &mut std::io::stdout());
    Ok(ExitStatus::Success)
}
