//! `dv config`: get, set, unset or list options.

use clap::Args;
use dv_repo::ops::config::{self as op, OptionName};
use dv_repo::{CommandError, Environment};

use crate::cli::LevelArgs;
use crate::commands::config_from_cwd;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub level: LevelArgs,
    /// Unset option.
    #[arg(short, long)]
    pub unset: bool,
    /// List all defined config values.
    #[arg(short, long)]
    pub list: bool,
    /// Show the source file containing each config value.
    #[arg(long)]
    pub show_origin: bool,
    /// Option name (section.option or remote.name.option).
    pub name: Option<OptionName>,
    /// Option value.
    pub value: Option<String>,
}

pub fn run(
    args: ConfigArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let config = config_from_cwd(environment);
    let level = args.level.level();
    if args.show_origin && (args.value.is_some() || args.unset) {
        return Err(CommandError(
            "--show-origin can't be used together with any of these options: -u/--unset, value"
                .to_string(),
        )
        .into());
    }
    let prefix = |origin: &str| {
        if args.show_origin {
            format!("{origin}\t")
        } else {
            String::new()
        }
    };
    if args.list {
        if args.name.is_some() || args.value.is_some() || args.unset {
            return Err(CommandError(
                "-l/--list can't be used together with any of these options: -u/--unset, name, value"
                    .to_string(),
            )
            .into());
        }
        let lines: Vec<String> = op::list(&config, level)?
            .into_iter()
            .map(|o| format!("{}{}={}", prefix(&o.origin), o.name, o.value))
            .collect();
        if !lines.is_empty() {
            printer.data(lines.join("\n"));
        }
        return Ok(ExitStatus::Success);
    }
    let Some(name) = args.name else {
        return Err(CommandError("name argument is required".to_string()).into());
    };
    match (&args.value, args.unset) {
        (_, true) => op::unset(&config, level, &name)?,
        (Some(value), false) => op::set(&config, level, &name, value)?,
        (None, false) => {
            if let Some(found) = op::get(&config, level, &name)? {
                printer.data(format!("{}{}", prefix(&found.origin), found.value));
            }
        }
    }
    Ok(ExitStatus::Success)
}
