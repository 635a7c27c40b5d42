//! What a finished command did: its exit code, stdout and stderr, rendered for snapshots.

use std::fmt;
use std::process::ExitStatus;

use crate::TestRepo;
use crate::redaction::redact;

/// The exit code, stdout and stderr of a finished command.
///
/// Its [`Display`](fmt::Display) form is what CLI tests snapshot:
///
/// ```text
/// exit: 0
/// ----- stdout -----
/// ...
/// ----- stderr -----
/// ...
/// ```
///
/// A stream that does not end with a newline is followed by a `[no newline at end]` line, so that
/// snapshots still tell the two apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code; `128 + signal` if the process was killed by a signal.
    pub code: i32,
    /// Everything written to stdout, decoded lossily as UTF-8.
    pub stdout: String,
    /// Everything written to stderr, decoded lossily as UTF-8.
    pub stderr: String,
}

/// Runs `command` to completion and captures its [`Outcome`]; a non-zero exit is not an error.
///
/// # Panics
///
/// Only if the program cannot be started at all.
pub fn run(command: &mut assert_cmd::Command) -> Outcome {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("failed to start {command:?}: {error}"));
    Outcome {
        code: exit_code(output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Outcome {
    /// Asserts that the command exited with code 0 and returns `self` for further checks.
    ///
    /// # Panics
    ///
    /// If the exit code is not 0, printing the whole outcome.
    #[track_caller]
    pub fn success(&self) -> &Self {
        self.expect_code(0)
    }

    /// Asserts that the command exited with `expected` and returns `self` for further checks.
    ///
    /// # Panics
    ///
    /// If the exit code differs, printing the whole outcome.
    #[track_caller]
    pub fn expect_code(&self, expected: i32) -> &Self {
        assert!(
            self.code == expected,
            "expected exit code {expected}, got {}\n{self}",
            self.code
        );
        self
    }

    /// The same outcome with the temporary paths of `repo` replaced, see [`redact`].
    pub fn redacted(&self, repo: &TestRepo) -> Outcome {
        Outcome {
            code: self.code,
            stdout: redact(&self.stdout, repo),
            stderr: redact(&self.stderr, repo),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(formatter, "exit: {}", self.code)?;
        writeln!(formatter, "----- stdout -----")?;
        write_stream(formatter, &self.stdout)?;
        writeln!(formatter, "----- stderr -----")?;
        write_stream(formatter, &self.stderr)
    }
}

fn write_stream(formatter: &mut fmt::Formatter<'_>, stream: &str) -> fmt::Result {
    formatter.write_str(stream)?;
    if !stream.is_empty() && !stream.ends_with('\n') {
        formatter.write_str("\n[no newline at end]\n")?;
    }
    Ok(())
}

#[cfg(unix)]
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}

#[cfg(not(unix))]
fn exit_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or(-1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(code: i32, stdout: &str, stderr: &str) -> Outcome {
        Outcome {
            code,
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
        }
    }

    #[test]
    fn display_shows_code_and_both_streams() {
        assert_eq!(
            outcome(251, "out\n", "ERROR: bad\n").to_string(),
            "exit: 251\n----- stdout -----\nout\n----- stderr -----\nERROR: bad\n"
        );
    }

    #[test]
    fn display_marks_a_missing_trailing_newline() {
        assert_eq!(
            outcome(0, "value", "").to_string(),
            "exit: 0\n----- stdout -----\nvalue\n[no newline at end]\n----- stderr -----\n"
        );
    }

    #[test]
    #[should_panic(expected = "expected exit code 0, got 1")]
    fn success_panics_on_failure() {
        outcome(1, "", "ERROR: failed\n").success();
    }

    #[test]
    fn expect_code_accepts_the_expected_code() {
        outcome(253, "", "").expect_code(253);
    }
}
