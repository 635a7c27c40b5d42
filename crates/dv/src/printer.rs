//! All terminal output goes through the [`Printer`]: data to stdout, messages to stderr,
//! `-q` silences everything but data a command was asked for, `-v` adds detail.

use std::io::Write;

/// Output settings for one invocation.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
}

impl Printer {
    /// A printer honouring `-q` and `-v`.
    pub fn new(quiet: bool, verbose: bool) -> Self {
        Printer { quiet, verbose }
    }

    /// A spinner with `message` and the elapsed time on stderr while long work runs. It only
    /// appears after a second (quick commands stay silent), never with `-q` or when stderr is
    /// not a terminal, and disappears when the returned guard is dropped.
    pub fn activity(&self, message: impl Into<String>) -> Activity {
        use std::io::IsTerminal;
        if self.quiet || !std::io::stderr().is_terminal() {
            return Activity { stop: None };
        }
        let message = message.into();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let handle = std::thread::spawn(move || {
            let delay = std::time::Duration::from_secs(1);
            if stopped.recv_timeout(delay).is_ok() {
                return;
            }
            let spinner = indicatif::ProgressBar::new_spinner().with_message(message);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            {
                spinner.set_style(style);
            }
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            let _ = stopped.recv();
            spinner.finish_and_clear();
        });
        Activity {
            stop: Some((stop, handle)),
        }
    }

    /// True with `-q`.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A `WARNING: ...` line on stderr.
    pub fn warn(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "WARNING: {}", text.as_ref());
        }
    }

    /// A plain line on stderr (DVC's `ui.warn`, which has no `WARNING:` prefix), hidden by `-q`.
    pub fn notice(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", text.as_ref());
        }
    }

    /// Informational text on stdout (like DVC's `logger.info`/`ui.write`), hidden by `-q`.
    pub fn info(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", text.as_ref());
        }
    }

    /// A question on stdout without a line break, shown even with `-q` (DVC's prompts are).
    pub fn prompt(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", text.as_ref());
        let _ = out.flush();
    }

    /// Requested data on stdout, hidden by `-q` like every DVC `ui.write`.
    pub fn data(&self, text: impl AsRef<str>) {
        self.info(text);
    }

    /// An `ERROR: ...` line on stderr (DVC hides these too under `-q`).
    pub fn error(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "ERROR: {}", text.as_ref());
        }
    }

    /// Detail shown only with `-v`.
    pub fn debug(&self, text: impl AsRef<str>) {
        if self.verbose && !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "DEBUG: {}", text.as_ref());
        }
    }
}

/// Expands tabs to 8-column stops, as DVC's terminal output (rich) does.
pub fn expand_tabs(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut column = 0;
    for c in line.chars() {
        if c == '\t' {
            let spaces = 8 - column % 8;
            out.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
        } else {
            out.push(c);
            column += 1;
        }
    }
    out
}

/// Guard of a running [`Printer::activity`] spinner; dropping it clears the spinner.
pub struct Activity {
    stop: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

impl Drop for Activity {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.stop.take() {
            let _ = stop.send(());
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_like_rich() {
        assert_eq!(
            expand_tabs("store\ts3://bucket/path\t(default)"),
            "store   s3://bucket/path        (default)"
        );
        assert_eq!(expand_tabs("store2\t/tmp/lrem"), "store2  /tmp/lrem");
    }
}
