//! `dv remote add|modify|list|default|remove|rename`.

use clap::{Args, Subcommand};
use dv_repo::Environment;
use dv_repo::ops::remote as op;

use crate::cli::LevelArgs;
use crate::commands::config_from_cwd;
use crate::exit::ExitStatus;
use crate::printer::{Printer, expand_tabs};

#[derive(Debug, Args)]
pub struct RemoteArgs {
    #[command(subcommand)]
    pub command: RemoteCommand,
}

#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Add a new data remote.
    Add {
        #[command(flatten)]
        level: LevelArgs,
        /// Set as default remote.
        #[arg(short, long)]
        default: bool,
        /// Force overwriting existing configs.
        #[arg(short, long)]
        force: bool,
        /// Name of the remote.
        name: String,
        /// Remote location (a path or a URL such as s3://bucket/path).
        url: String,
    },
    /// Modify the configuration of a data remote.
    Modify {
        #[command(flatten)]
        level: LevelArgs,
        /// Unset option.
        #[arg(short, long)]
        unset: bool,
        /// Name of the remote.
        name: String,
        /// Name of the option to modify.
        option: String,
        /// New value for the option.
        #[arg(required_unless_present = "unset")]
        value: Option<String>,
    },
    /// List all available data remotes.
    #[command(visible_alias = "ls")]
    List {
        #[command(flatten)]
        level: LevelArgs,
    },
    /// Set/unset the default data remote.
    Default {
        #[command(flatten)]
        level: LevelArgs,
        /// Unset default remote.
        #[arg(short, long)]
        unset: bool,
        /// Name of the remote.
        name: Option<String>,
    },
    /// Remove a data remote.
    #[command(visible_alias = "rm")]
    Remove {
        #[command(flatten)]
        level: LevelArgs,
        /// Name of the remote to remove.
        name: String,
    },
    /// Rename a DVC remote.
    Rename {
        #[command(flatten)]
        level: LevelArgs,
        /// Remote to be renamed.
        name: String,
        /// New name of the remote.
        new: String,
    },
}

pub fn run(
    args: RemoteArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let config = config_from_cwd(environment);
    match args.command {
        RemoteCommand::Add {
            level,
            default,
            force,
            name,
            url,
        } => {
            if default {
                printer.info(format!(
                    "Setting '{}' as a default remote.",
                    name.to_lowercase()
                ));
            }
            op::add(&config, level.level(), &name, &url, default, force)?;
        }
        RemoteCommand::Modify {
            level,
            unset,
            name,
            option,
            value,
        } => {
            let value = if unset { None } else { value.as_deref() };
            op::modify(&config, level.level(), &name, &option, value)?;
        }
        RemoteCommand::List { level } => {
            for remote in op::list(&config, level.level())? {
                let mut line = format!("{}\t{}", remote.name, remote.url.unwrap_or_default());
                if remote.default {
                    line.push_str("\t(default)");
                }
                printer.data(expand_tabs(&line));
            }
        }
        RemoteCommand::Default { level, unset, name } => {
            if name.is_none() && !unset {
                match op::get_default(&config, level.level())? {
                    Some(name) => printer.data(name),
                    None => {
                        printer.data("No default remote set");
                        return Ok(ExitStatus::Failure);
                    }
                }
            } else {
                let name = if unset { None } else { name.as_deref() };
                op::set_default(&config, level.level(), name)?;
            }
        }
        RemoteCommand::Remove { level, name } => op::remove(&config, level.level(), &name)?,
        RemoteCommand::Rename { level, name, new } => {
            op::rename(&config, level.level(), &name, &new)?
        }
    }
    Ok(ExitStatus::Success)
}
