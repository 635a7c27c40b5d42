//! `dv`: a fast, drop-in replacement for DVC.
//!
//! The binary owns the command line (clap types, one module per command), the [`Printer`]
//! and the mapping of errors to DVC's exit codes. All work happens in `dv-repo`.

mod cli;
mod commands;
mod exit;
mod git_hint;
mod output;
mod printer;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::printer::Printer;

fn main() -> ExitCode {
    // Started by `ssh` to answer a password prompt for an SSH remote (see dv-remote's `ssh`).
    if let Some(code) = dv_repo::answer_ssh_prompt() {
        return ExitCode::from(code);
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return commands::unimplemented::parse_error(&error, &args),
    };
    let printer = Printer::new(cli.global.quiet, cli.global.verbose).with_progress_delay(
        printer::progress_delay(std::env::var("DV_PROGRESS_DELAY_MS").ok()),
    );

    // Ctrl-C: DVC's message and exit code. Every file dv writes goes to a temporary name
    // first, so stopping here leaves no half-written file under a final name. While a stage's
    // command runs, the interrupt is left to the command, as DVC leaves it.
    let interrupts = dv_repo::Interrupts::default();
    let handler = interrupts.clone();
    let _ = ctrlc::set_handler(move || {
        if handler.take_deferred() {
            return;
        }
        printer.error("interrupted by the user");
        std::process::exit(i32::from(exit::ExitStatus::Interrupted.code()));
    });
    let status = match commands::run(cli, &printer, &interrupts) {
        Ok(status) => status,
        Err(error) => exit::report(&error, &printer),
    };
    status.into()
}
