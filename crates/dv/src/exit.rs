//! DVC's exit codes and error rendering: 0 ok, 1 command failure, 251 config error,
//! 252 interrupted, 253 not a DVC repo, 254 bad arguments, 255 anything else.

use clap::error::ErrorKind;
use dv_repo::ops::transfer::RemoteConfigError;
use dv_repo::{ArgumentError, CommandError, ConfigError, DvcError, NotDvcRepoError};

use crate::printer::Printer;

/// Exit code for a failed command.
pub const FAILURE: u8 = 1;
/// Exit code for configuration errors.
pub const CONFIG_ERROR: u8 = 251;
/// Exit code after Ctrl-C.
pub const INTERRUPTED: u8 = 252;
/// Exit code for a command line DVC's parser would reject.
pub const ARGUMENT_ERROR: u8 = 254;

/// Prints `ERROR: ...` for an error and returns its exit code.
pub fn report(error: &anyhow::Error, printer: &Printer) -> u8 {
    let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
    let message = chain.join(" - ");
    printer.debug(format!("{error:?}"));
    if let Some(config) = error.downcast_ref::<RemoteConfigError>() {
        // DVC's report of a filesystem's `ConfigError`: the message twice, then a pointer.
        printer.error(format!("configuration error - {}", config.message));
        printer.error(&config.message);
        printer.notice(
            "Learn more about configuration settings at <https://man.dvc.org/remote/modify>.",
        );
        CONFIG_ERROR
    } else if error.downcast_ref::<ConfigError>().is_some() {
        printer.error(format!("configuration error - {message}"));
        CONFIG_ERROR
    } else if error.downcast_ref::<NotDvcRepoError>().is_some() {
        printer.error(message);
        253
    } else if error.downcast_ref::<CommandError>().is_some() {
        printer.error(message);
        FAILURE
    } else if error.downcast_ref::<DvcError>().is_some()
        || error.downcast_ref::<dv_repo::lock::LockError>().is_some()
        || dv_repo::confine::is_special_file_error(error)
    {
        printer.error(message);
        255
    } else if error.downcast_ref::<ArgumentError>().is_some() {
        printer.error(message);
        ARGUMENT_ERROR
    } else {
        printer.error(format!("unexpected error - {message}"));
        255
    }
}

/// A failure of a data command (`push`, `fetch`, `pull`, `status -c`) as DVC reports it:
/// `ERROR: <action> - <message>` (just the message without an action). What DVC catches —
/// config errors, unknown remotes, checkout errors — exits with 1; a remote failing as a whole
/// exits with `remote_code` (DVC lets those escape from `push` and `status -c` as unexpected
/// errors, 255, and catches them in `fetch`/`pull`, 1); anything else stays unexpected.
pub fn data_command_failure(
    printer: &Printer,
    action: Option<&str>,
    error: anyhow::Error,
    remote_code: u8,
) -> anyhow::Error {
    use dv_repo::ops::transfer::{RemoteFailure, UnknownRemote};

    // Bad targets and unknown remotes of outputs surface while DVC collects the workspace.
    let collecting = error.downcast_ref::<CommandError>().is_some()
        || error
            .downcast_ref::<UnknownRemote>()
            .is_some_and(|unknown| unknown.during_collection);
    let collecting = collecting
        || error
            .downcast_ref::<RemoteConfigError>()
            .is_some_and(|config| config.during_collection);
    if collecting && action.is_some() {
        printer.warn("failed to collect 'workspace', skipping");
    }
    let caught = error.downcast_ref::<ConfigError>().is_some()
        || error.downcast_ref::<CommandError>().is_some()
        || error.downcast_ref::<DvcError>().is_some()
        || error.downcast_ref::<UnknownRemote>().is_some();
    let remote = error.downcast_ref::<RemoteFailure>().is_some();
    if !caught && !remote {
        return error;
    }
    let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
    let message = match action {
        Some(action) => format!("{action} - {}", chain.join(" - ")),
        None => chain.join(" - "),
    };
    if remote && remote_code != FAILURE {
        DvcError(message).into()
    } else {
        CommandError(message).into()
    }
}

/// Help and version go to stdout with exit 0; parse errors print `ERROR: ...` and the usage
/// to stderr with exit 254.
pub fn clap_error(error: &clap::Error) -> std::process::ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            let code = if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ARGUMENT_ERROR
            } else {
                0
            };
            std::process::ExitCode::from(code)
        }
        _ => {
            let rendered = error.render().to_string();
            let mut lines = rendered.lines();
            let first = lines
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            eprintln!("ERROR: {first}");
            for line in lines {
                if !line.trim().is_empty() {
                    eprintln!("{line}");
                }
            }
            std::process::ExitCode::from(ARGUMENT_ERROR)
        }
    }
}
