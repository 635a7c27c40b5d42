//! `dv check-ignore`.

use std::io::BufRead;

use clap::Args;
use dv_repo::ops::check_ignore::{CheckIgnoreResult, check_ignore};
use dv_repo::{DvcError, Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct CheckIgnoreArgs {
    /// Show the exclude patterns along with each target path.
    #[arg(short, long)]
    pub details: bool,
    /// Show all the patterns that match a target (with `--details`).
    #[arg(short, long, hide = true)]
    pub all: bool,
    /// Include the target paths which don't match any pattern in the `--details` list.
    #[arg(short, long)]
    pub non_matching: bool,
    /// Read paths from standard input instead of providing `targets`.
    #[arg(long)]
    pub stdin: bool,
    /// File or directory paths to check
    pub targets: Vec<String>,
}

pub fn run(
    args: CheckIgnoreArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let error = |message: &str| Err(DvcError(message.to_string()).into());
    if !args.stdin && args.targets.is_empty() {
        return error("`targets` or `--stdin` needed");
    }
    if args.stdin && !args.targets.is_empty() {
        return error("cannot have both `targets` and `--stdin`");
    }
    if args.non_matching && !args.details {
        return error("`--non-matching` is only valid with `--details`");
    }
    if args.all && !args.details {
        return error("`--all` is only valid with `--details`");
    }
    if printer.is_quiet() && args.details {
        return error("cannot use both `--details` and `--quiet`");
    }
    let mut status = ExitStatus::Failure;
    let mut check = |target: &str| -> anyhow::Result<()> {
        let result = check_ignore(&workspace, target)?;
        if show(&result, &args, printer) {
            status = ExitStatus::Success;
        }
        Ok(())
    };
    if args.stdin {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line.is_empty() {
                break;
            }
            check(&line)?;
        }
    } else {
        for target in &args.targets {
            check(target)?;
        }
    }
    Ok(status)
}

/// Prints one result as DVC does; returns whether it counts as a match.
fn show(result: &CheckIgnoreResult, args: &CheckIgnoreArgs, printer: &Printer) -> bool {
    if !result.ignored && !args.details {
        return false;
    }
    if !args.details {
        printer.data(&result.target);
        return !result.patterns.is_empty();
    }
    let mut patterns = result.patterns.clone();
    if patterns.is_empty() && args.non_matching {
        patterns.push("::".to_string());
    }
    if !args.all && patterns.len() > 1 {
        patterns.drain(..patterns.len() - 1);
    }
    for pattern in &patterns {
        printer.data(format!("{pattern}\t{}", result.target));
    }
    !result.patterns.is_empty()
}
