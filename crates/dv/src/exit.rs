//! DVC's exit codes ([`ExitStatus`]) and error rendering: 0 ok, 1 command failure, 251 config
//! error,
//! 252 interrupted, 253 not a DVC repo, 254 bad arguments, 255 anything else.

use clap::error::ErrorKind;
use dv_repo::remotes::RemoteConfigError;
use dv_repo::{ArgumentError, CommandError, ConfigError, DvcError, NotDvcRepoError};

use crate::printer::Printer;

/// How a command ended, as DVC's exit codes say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: the command failed (or, for `status` and friends, found something to report).
    Failure,
    /// 251: a configuration error.
    ConfigError,
    /// 252: interrupted by Ctrl-C.
    Interrupted,
    /// 253: not inside a DVC repository.
    NotDvcRepo,
    /// 254: a command line DVC's parser would reject.
    ArgumentError,
    /// 255: any other error.
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::ConfigError => 251,
            ExitStatus::Interrupted => 252,
            ExitStatus::NotDvcRepo => 253,
            ExitStatus::ArgumentError => 254,
            ExitStatus::Error => 255,
        }
    }

    /// [`ExitStatus::Failure`] if `failed`, else [`ExitStatus::Success`].
    pub fn failure_if(failed: bool) -> ExitStatus {
        if failed {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status.code())
    }
}

/// Prints `ERROR: ...` for an error and returns its exit code.
pub fn report(error: &anyhow::Error, printer: &Printer) -> ExitStatus {
    let message = chain_message(error);
    printer.debug(format!("{error:?}"));
    if let Some(config) = error.downcast_ref::<RemoteConfigError>() {
        // DVC's report of a filesystem's `ConfigError`: the message twice, then a pointer.
        printer.error(format!("configuration error - {}", config.message));
        printer.error(&config.message);
        printer.notice(
            "Learn more about configuration settings at <https://man.dvc.org/remote/modify>.",
        );
        ExitStatus::ConfigError
    } else if error.downcast_ref::<ConfigError>().is_some() {
        printer.error(format!("configuration error - {message}"));
        ExitStatus::ConfigError
    } else if error.downcast_ref::<NotDvcRepoError>().is_some() {
        printer.error(message);
        ExitStatus::NotDvcRepo
    } else if error.downcast_ref::<CommandError>().is_some() {
        printer.error(message);
        ExitStatus::Failure
    } else if error.downcast_ref::<DvcError>().is_some()
        || matches!(
            error.downcast_ref::<dv_repo::lock::LockError>(),
            Some(dv_repo::lock::LockError::Busy | dv_repo::lock::LockError::Symlink(_))
        )
        || dv_repo::confine::is_special_file_error(error)
    {
        printer.error(message);
        ExitStatus::Error
    } else if error.downcast_ref::<ArgumentError>().is_some() {
        printer.error(message);
        ExitStatus::ArgumentError
    } else if let Some(dv_scm::ScmError::Refused { .. }) = error.downcast_ref() {
        // What dv refuses to write into a repository fails the command, exit 1 like DVC's
        // refusal of the same `.gitignore`.
        printer.error(message);
        ExitStatus::Failure
    } else if let Some(message) = routine_io(error) {
        // A full disk or a read-only filesystem is not a bug: what failed and why, once.
        printer.error(message);
        ExitStatus::Error
    } else {
        printer.error(format!("unexpected error - {message}"));
        ExitStatus::Error
    }
}

/// The messages of an error chain joined with ` - `, leaving out a cause whose text the
/// message before it already ends with (an error that shows its source in its own message).
fn chain_message(error: &anyhow::Error) -> String {
    join_chain(error.chain().map(ToString::to_string))
}

fn join_chain(messages: impl Iterator<Item = String>) -> String {
    let mut kept: Vec<String> = Vec::new();
    for message in messages {
        if kept.last().is_some_and(|last| last.ends_with(&message)) {
            continue;
        }
        kept.push(message);
    }
    kept.join(" - ")
}

/// Whether an I/O error is a routine condition of the machine rather than a failure of dv:
/// no space left, a quota exceeded, a read-only filesystem.
fn is_routine(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::ReadOnlyFilesystem
    ) || matches!(
        error.raw_os_error(),
        Some(libc_errno::ENOSPC | libc_errno::EDQUOT | libc_errno::EROFS)
    )
}

/// Linux's numbers for the routine conditions (the kinds above cover them; the numbers catch
/// an error built from a raw code whose kind was lost).
mod libc_errno {
    pub const ENOSPC: i32 = 28;
    pub const EROFS: i32 = 30;
    pub const EDQUOT: i32 = 122;
}

/// `<what failed>: <cause>` for an error caused by a routine I/O condition: the messages
/// above the I/O error (without the cause they repeat) and the system's description of it
/// without its `(os error N)` number.
fn routine_io(error: &anyhow::Error) -> Option<String> {
    let position = error.chain().position(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(is_routine)
    })?;
    let cause = error.chain().nth(position)?.to_string();
    let description = match cause.rfind(" (os error ") {
        Some(end) if cause.ends_with(')') => cause[..end].to_string(),
        _ => cause.clone(),
    };
    let what = join_chain(error.chain().take(position).map(|message| {
        let message = message.to_string();
        let message = message.strip_suffix(&cause).unwrap_or(&message);
        message.trim_end_matches([' ', ':', '-']).to_string()
    }));
    if what.is_empty() {
        Some(description)
    } else {
        Some(format!("{what}: {description}"))
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
    remote_code: ExitStatus,
) -> anyhow::Error {
    use dv_repo::remotes::{RemoteFailure, UnknownRemote};

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
    if remote && remote_code != ExitStatus::Failure {
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
            let status = if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitStatus::ArgumentError
            } else {
                ExitStatus::Success
            };
            status.into()
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
            ExitStatus::ArgumentError.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that shows its source in its own message.
    #[derive(Debug)]
    struct Shows(std::io::Error);

    impl std::fmt::Display for Shows {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "failed to open the lock file '/r/.dvc/tmp/lock': {}",
                self.0
            )
        }
    }

    impl std::error::Error for Shows {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn routine_io_errors_are_one_line_naming_what_failed() {
        let full = anyhow::Error::new(std::io::Error::from_raw_os_error(28))
            .context("failed to copy to the cache `/r/big`")
            .context("failed to save 'big' to the cache");
        assert_eq!(
            routine_io(&full).as_deref(),
            Some(
                "failed to save 'big' to the cache - failed to copy to the cache `/r/big`: \
                 No space left on device"
            )
        );
        let read_only = anyhow::Error::new(Shows(std::io::Error::from_raw_os_error(30)));
        assert_eq!(
            routine_io(&read_only).as_deref(),
            Some("failed to open the lock file '/r/.dvc/tmp/lock': Read-only file system")
        );
        let kind = anyhow::Error::new(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "disk full",
        ))
        .context("failed to write '/r/a.dvc'");
        assert_eq!(
            routine_io(&kind).as_deref(),
            Some("failed to write '/r/a.dvc': disk full")
        );
        let other = anyhow::Error::new(std::io::Error::from_raw_os_error(2)).context("x");
        assert_eq!(routine_io(&other), None);
    }

    #[test]
    fn a_cause_shown_in_its_error_is_not_repeated() {
        let error = anyhow::Error::new(Shows(std::io::Error::from_raw_os_error(13)));
        assert_eq!(
            chain_message(&error),
            "failed to open the lock file '/r/.dvc/tmp/lock': Permission denied (os error 13)"
        );
    }
}
