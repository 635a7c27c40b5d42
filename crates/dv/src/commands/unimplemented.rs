//! DVC commands dv does not have yet: each answers one line naming the command and pointing at
//! dvc, instead of clap's `unrecognized subcommand` with a misleading suggestion.
//!
//! The repository format is shared, so running the command with dvc is always possible. The
//! exit code is 1: DVC reports an operation it does not support (`'status' is unsupported for
//! cloud versioned remotes`) as a failed command, with exit code 1.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Every DVC 3.67.1 command name (and alias) dv does not implement, hidden ones included.
pub const NAMES: [&str; 7] = [
    "cache",
    "daemon",
    "dataset",
    "ds",
    "import-db",
    "studio",
    "test-db",
];

/// Reports a command line (`argv`) clap rejected: a command name of [`NAMES`], whatever
/// follows it, gets dv's one-line answer (not printed with `-q`, as errors are not); anything
/// else is an ordinary argument error.
pub fn parse_error(error: &clap::Error, argv: &[OsString]) -> ExitCode {
    let unknown = match error.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(name)) if error.kind() == ErrorKind::InvalidSubcommand => {
            NAMES.iter().find(|known| *known == name)
        }
        _ => None,
    };
    let Some(name) = unknown else {
        return crate::exit::clap_error(error);
    };
    let quiet = argv.iter().skip(1).any(|arg| {
        let arg = arg.to_string_lossy();
        arg == "--quiet" || (arg.starts_with('-') && !arg.starts_with("--") && arg.contains('q'))
    });
    if !quiet {
        eprintln!("ERROR: {}", message(name));
    }
    crate::exit::ExitStatus::Failure.into()
}

/// `'dv params' is not implemented yet; run it with dvc (the repository is shared)`.
pub fn message(name: &str) -> String {
    format!("'dv {name}' is not implemented yet; run it with dvc (the repository is shared)")
}
