//! All terminal output goes through the [`Printer`]: data to stdout, messages to stderr,
//! `-q` silences everything but data a command was asked for, `-v` adds detail, and long work
//! shows a progress bar on stderr ([`Printer::activity`]) when stderr is a terminal. Every
//! line is written with its control characters escaped ([`escape_controls`]): much of what
//! dv prints comes from files a repository's authors wrote.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dv_repo::progress::{Phase, Progress, Snapshot};

use dv_schema::shown::escape_controls;

/// How long work runs before its progress bar appears: quick commands stay silent.
pub const PROGRESS_DELAY: Duration = Duration::from_secs(1);

/// The progress bar delay set by `DV_PROGRESS_DELAY_MS` (milliseconds; for tests that need
/// a bar at once), else [`PROGRESS_DELAY`].
pub fn progress_delay(setting: Option<String>) -> Duration {
    setting
        .and_then(|text| text.trim().parse().ok())
        .map_or(PROGRESS_DELAY, Duration::from_millis)
}

/// The shortest time between two redraws of a progress bar (at most 10 a second).
const FRAME: Duration = Duration::from_millis(100);

/// Output settings for one invocation.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
    progress_delay: Duration,
}

impl Printer {
    /// A printer honouring `-q` and `-v`.
    pub fn new(quiet: bool, verbose: bool) -> Self {
        Printer {
            quiet,
            verbose,
            progress_delay: PROGRESS_DELAY,
        }
    }

    /// The same printer with progress bars appearing after `delay` instead of
    /// [`PROGRESS_DELAY`] (tests show them at once).
    pub fn with_progress_delay(self, delay: Duration) -> Self {
        Printer {
            progress_delay: delay,
            ..self
        }
    }

    /// Progress of long work on stderr: a spinner with `label` and the elapsed time until the
    /// work counts something, then the phase being worked on with its file and byte counts
    /// and a bar, e.g. `Pushing: [====>     ] 1,234/8,000 files, 120 MiB/1.1 GiB`. The work
    /// counts into [`Activity::progress`].
    ///
    /// It appears only after the printer's delay (a second by default), is redrawn at most ten
    /// times a second, is never shown with `-q` or when stderr is not a terminal (so output
    /// compared byte for byte never changes), never touches stdout, and is cleared when the
    /// returned guard is dropped.
    pub fn activity(&self, label: impl Into<String>) -> Activity {
        use std::io::IsTerminal;
        if self.quiet || !std::io::stderr().is_terminal() {
            return Activity {
                progress: Arc::new(Progress::default()),
                display: None,
            };
        }
        let progress = Arc::new(Progress::watched());
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = mpsc::channel::<()>();
        let ticker = {
            let progress = Arc::clone(&progress);
            let shared = Arc::clone(&shared);
            let delay = self.progress_delay;
            let label = escape_controls(&label.into()).into_owned();
            std::thread::spawn(move || tick(&label, &progress, &shared, &stopped, delay))
        };
        Activity {
            progress,
            display: Some(Display {
                shared,
                stop,
                ticker,
            }),
        }
    }

    /// True with `-q`.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A `WARNING: ...` line on stderr.
    pub fn warn(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "WARNING: {}",
                escape_controls(text.as_ref())
            );
        }
    }

    /// A plain line on stderr (DVC's `ui.warn`, which has no `WARNING:` prefix), hidden by `-q`.
    pub fn notice(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "{}",
                escape_controls(text.as_ref())
            );
        }
    }

    /// Informational text on stdout (like DVC's `logger.info`/`ui.write`), hidden by `-q`.
    pub fn info(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", escape_controls(text.as_ref()));
        }
    }

    /// A question on stdout without a line break, shown even with `-q` (DVC's prompts are).
    pub fn prompt(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", escape_controls(text.as_ref()));
        let _ = out.flush();
    }

    /// Requested data on stdout, hidden by `-q` like every DVC `ui.write`.
    pub fn data(&self, text: impl AsRef<str>) {
        self.info(text);
    }

    /// Requested data on stdout written as it is, hidden by `-q`: for text whose names the
    /// caller escaped and that carries DVC's terminal colours (`ls-url` on a terminal).
    pub fn styled_data(&self, text: impl AsRef<str>) {
        self.colored_data(text, false);
    }

    /// Requested data on stdout that DVC prints even with `-q` (its `ui.table` forces its
    /// output: `ls --size`, `ls --tree`, `du`).
    pub fn forced_data(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", escape_controls(text.as_ref()));
    }

    /// Lines with terminal colours in them (`ls` on a terminal), written as they are: the
    /// caller escapes every name first. Hidden by `-q` unless `forced`.
    pub fn colored_data(&self, text: impl AsRef<str>, forced: bool) {
        if forced || !self.quiet {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", text.as_ref());
        }
    }

    /// An `ERROR: ...` line on stderr (DVC hides these too under `-q`).
    pub fn error(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "ERROR: {}",
                escape_controls(text.as_ref())
            );
        }
    }

    /// Detail shown only with `-v`.
    pub fn debug(&self, text: impl AsRef<str>) {
        if self.verbose && !self.quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "DEBUG: {}",
                escape_controls(text.as_ref())
            );
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

/// Guard of a running [`Printer::activity`]; dropping it clears the progress bar.
pub struct Activity {
    progress: Arc<Progress>,
    display: Option<Display>,
}

/// The thread drawing a progress bar and what it shares with the command's thread.
struct Display {
    shared: Arc<Shared>,
    stop: mpsc::Sender<()>,
    ticker: JoinHandle<()>,
}

/// The bar once drawn, and whether drawing is paused for a question.
#[derive(Default)]
struct Shared {
    bar: Mutex<Option<indicatif::ProgressBar>>,
    paused: AtomicBool,
}

impl Activity {
    /// The counters the work advances.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Runs `f` (which asks the user something) with the progress bar off the screen.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(display) = &self.display else {
            return f();
        };
        let bar = {
            let bar = display
                .shared
                .bar
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            display.shared.paused.store(true, Ordering::SeqCst);
            bar.clone()
        };
        let result = match bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        };
        display.shared.paused.store(false, Ordering::SeqCst);
        result
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        if let Some(display) = self.display.take() {
            let _ = display.stop.send(());
            let _ = display.ticker.join();
        }
    }
}

/// When the next frame of a progress bar may be drawn: not before the delay, then at most
/// once per [`FRAME`].
#[derive(Debug, Clone, Copy)]
struct Throttle {
    next: Instant,
}

impl Throttle {
    fn new(start: Instant, delay: Duration) -> Self {
        Throttle {
            next: start + delay,
        }
    }

    /// The earliest time of the next frame.
    fn next_frame(&self) -> Instant {
        self.next
    }

    /// Whether a frame may be drawn at `now`.
    fn is_due(&self, now: Instant) -> bool {
        now >= self.next
    }

    /// A frame was drawn at `now`.
    fn drawn(&mut self, now: Instant) {
        self.next = now + FRAME;
    }
}

/// The progress bar thread: draws `progress` once per frame from the end of `delay` until
/// told to stop, then clears the bar (after a last frame with the final counts, if a bar was
/// shown at all).
fn tick(
    label: &str,
    progress: &Progress,
    shared: &Shared,
    stopped: &mpsc::Receiver<()>,
    delay: Duration,
) {
    let start = Instant::now();
    let mut throttle = Throttle::new(start, delay);
    let mut frames: usize = 0;
    loop {
        let wait = throttle
            .next_frame()
            .saturating_duration_since(Instant::now());
        match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        if !throttle.is_due(now) {
            continue;
        }
        let mut bar = shared.bar.lock().unwrap_or_else(PoisonError::into_inner);
        if !shared.paused.load(Ordering::SeqCst) {
            let bar = bar.get_or_insert_with(new_bar);
            // One message per frame: one redraw.
            bar.set_message(frame_text(label, &progress.snapshot(), now - start, frames));
            frames += 1;
        }
        throttle.drawn(now);
    }
    let bar = shared.bar.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(bar) = bar.as_ref() {
        // The final counts, then nothing: the line is left clear for what the command prints.
        bar.set_message(frame_text(
            label,
            &progress.snapshot(),
            start.elapsed(),
            frames,
        ));
        bar.finish_and_clear();
    }
}

/// An indicatif bar on stderr that shows the message it is given, fitted to the terminal.
fn new_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(10),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template("{wide_msg}") {
        bar.set_style(style);
    }
    bar
}

/// The spinner's frames, as indicatif draws them.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Cells of the bar between its brackets.
const BAR_WIDTH: u64 = 20;

/// The text of one frame: the phase with a bar and its counts when its total is known
/// (`Pushing: [====>               ] 1,234/8,000 files, 120 MiB/1.1 GiB`), else a spinner, the
/// phase, whatever is counted and the time `elapsed` (`⠋ Querying remote: 5,000 objects 3s`).
/// `frame` turns the spinner.
fn frame_text(label: &str, snapshot: &Snapshot, elapsed: Duration, frame: usize) -> String {
    let name = phase_label(label, snapshot.phase);
    let counts = counts_text(snapshot);
    if snapshot.files_total > 0 {
        return format!(
            "{name}: {} {counts}",
            bar(snapshot.files, snapshot.files_total)
        );
    }
    let spinner = SPINNER[frame % SPINNER.len()];
    let elapsed = duration(elapsed);
    if counts.is_empty() {
        format!("{spinner} {name} {elapsed}")
    } else {
        format!("{spinner} {name}: {counts} {elapsed}")
    }
}

/// `[=========>          ]`: `done` of `total`, [`BAR_WIDTH`] cells.
fn bar(done: u64, total: u64) -> String {
    let done = done.min(total);
    let filled = if total == 0 {
        0
    } else {
        // Cannot overflow: both factors fit in 64 bits.
        (u128::from(done) * u128::from(BAR_WIDTH) / u128::from(total)) as u64
    };
    let mut text = String::with_capacity(BAR_WIDTH as usize + 2);
    text.push('[');
    for cell in 0..BAR_WIDTH {
        text.push(if cell < filled {
            '='
        } else if cell == filled {
            '>'
        } else {
            ' '
        });
    }
    text.push(']');
    text
}

/// `7s`, `1m 05s`, `2h 03m`.
fn duration(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h {:02}m", seconds / 3600, seconds / 60 % 60),
    }
}

/// What a phase is called on screen. Transfers go by the command's own word (`Pushing`,
/// `Fetching`, ...), as DVC's bars do; `label` also stands for the work before any phase.
fn phase_label(label: &str, phase: Option<Phase>) -> &str {
    match phase {
        None | Some(Phase::Uploading | Phase::Downloading) => label,
        Some(Phase::Hashing) => "Computing hashes",
        Some(Phase::Caching) => "Adding to cache",
        Some(Phase::Linking) => "Checking out",
        Some(Phase::Querying) => "Querying remote",
        Some(Phase::Deleting) => "Removing",
    }
}

/// `1,234/8,000 files, 120 MiB/1.1 GiB`: done and total files (objects for remote queries and
/// deletions) and bytes, leaving out what is not known.
fn counts_text(snapshot: &Snapshot) -> String {
    let unit = match snapshot.phase {
        Some(Phase::Querying | Phase::Deleting) => "objects",
        _ => "files",
    };
    let mut parts = Vec::new();
    if snapshot.files_total > 0 {
        parts.push(format!(
            "{}/{} {unit}",
            thousands(snapshot.files.min(snapshot.files_total)),
            thousands(snapshot.files_total)
        ));
    } else if snapshot.files > 0 {
        parts.push(format!("{} {unit}", thousands(snapshot.files)));
    }
    if snapshot.bytes_total > 0 {
        parts.push(format!(
            "{}/{}",
            bytes(snapshot.bytes.min(snapshot.bytes_total)),
            bytes(snapshot.bytes_total)
        ));
    } else if snapshot.bytes > 0 {
        parts.push(bytes(snapshot.bytes));
    }
    parts.join(", ")
}

/// `12345` as `12,345`.
fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A byte count in binary units: `512 B`, `1.5 KiB`, `120 MiB`, `1.1 GiB` (one decimal below
/// ten).
fn bytes(count: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    // Display only: the precision lost converting to f64 does not show.
    #[allow(clippy::cast_precision_loss)]
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    // Rounding may reach the next unit (1023.96 KiB is 1.0 MiB).
    if value >= 1023.5 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 9.95 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_345), "12,345");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(10 * 1024), "10 KiB");
        assert_eq!(bytes(10 * 1024 - 1), "10 KiB");
        assert_eq!(bytes(120 << 20), "120 MiB");
        assert_eq!(bytes((11 << 30) / 10), "1.1 GiB");
        assert_eq!(bytes((1 << 20) - 1), "1.0 MiB");
        assert_eq!(bytes(3 << 40), "3.0 TiB");
        assert_eq!(bytes(u64::MAX), "16 EiB");
    }

    #[test]
    fn counts_leave_out_what_is_unknown() {
        let snapshot = |phase, files, files_total, bytes, bytes_total| Snapshot {
            phase: Some(phase),
            files,
            files_total,
            bytes,
            bytes_total,
        };
        assert_eq!(
            counts_text(&snapshot(
                Phase::Uploading,
                1234,
                8000,
                120 << 20,
                (11 << 30) / 10
            )),
            "1,234/8,000 files, 120 MiB/1.1 GiB"
        );
        assert_eq!(
            counts_text(&snapshot(Phase::Caching, 12_345, 100_000, 0, 0)),
            "12,345/100,000 files"
        );
        assert_eq!(
            counts_text(&snapshot(Phase::Downloading, 3, 10, 2048, 0)),
            "3/10 files, 2.0 KiB"
        );
        assert_eq!(
            counts_text(&snapshot(Phase::Querying, 5000, 0, 0, 0)),
            "5,000 objects"
        );
        assert_eq!(counts_text(&snapshot(Phase::Querying, 0, 0, 0, 0)), "");
        assert_eq!(counts_text(&Snapshot::default()), "");
        // Counters read while another thread advances them never show more than the total.
        assert_eq!(
            counts_text(&snapshot(Phase::Linking, 11, 10, 0, 0)),
            "10/10 files"
        );
    }

    #[test]
    fn bars_fill_with_the_files_done() {
        assert_eq!(bar(0, 10), "[>                   ]");
        assert_eq!(bar(5, 10), "[==========>         ]");
        assert_eq!(bar(9_999, 10_000), "[===================>]");
        assert_eq!(bar(10, 10), "[====================]");
        assert_eq!(bar(11, 10), "[====================]");
        assert_eq!(bar(u64::MAX - 1, u64::MAX), "[===================>]");
    }

    #[test]
    fn elapsed_times_read_like_clocks() {
        assert_eq!(duration(Duration::from_millis(900)), "0s");
        assert_eq!(duration(Duration::from_secs(59)), "59s");
        assert_eq!(duration(Duration::from_secs(65)), "1m 05s");
        assert_eq!(duration(Duration::from_secs(7380)), "2h 03m");
    }

    #[test]
    fn frames_show_a_bar_once_the_total_is_known() {
        let pushing = Snapshot {
            phase: Some(Phase::Uploading),
            files: 1234,
            files_total: 8000,
            bytes: 120 << 20,
            bytes_total: (11 << 30) / 10,
        };
        assert_eq!(
            frame_text("Pushing", &pushing, Duration::from_secs(3), 0),
            "Pushing: [===>                ] 1,234/8,000 files, 120 MiB/1.1 GiB"
        );
        let querying = Snapshot {
            phase: Some(Phase::Querying),
            files: 5000,
            ..Snapshot::default()
        };
        assert_eq!(
            frame_text("Pushing", &querying, Duration::from_secs(3), 1),
            "⠙ Querying remote: 5,000 objects 3s"
        );
        assert_eq!(
            frame_text("Adding", &Snapshot::default(), Duration::from_secs(1), 10),
            "⠋ Adding 1s"
        );
    }

    #[test]
    fn phases_are_named_for_people() {
        assert_eq!(phase_label("Pushing", None), "Pushing");
        assert_eq!(phase_label("Pushing", Some(Phase::Uploading)), "Pushing");
        assert_eq!(phase_label("Pulling", Some(Phase::Downloading)), "Pulling");
        assert_eq!(
            phase_label("Adding", Some(Phase::Caching)),
            "Adding to cache"
        );
        assert_eq!(phase_label("Pulling", Some(Phase::Linking)), "Checking out");
    }

    #[test]
    fn frames_wait_for_the_delay_then_come_at_most_ten_a_second() {
        let start = Instant::now();
        let mut throttle = Throttle::new(start, Duration::from_secs(1));
        assert!(!throttle.is_due(start));
        assert!(!throttle.is_due(start + Duration::from_millis(999)));
        assert_eq!(throttle.next_frame(), start + Duration::from_secs(1));
        // Polling every millisecond for two seconds draws at most 10 frames a second.
        let mut frames = 0;
        for millisecond in 0..2000 {
            let now = start + Duration::from_millis(millisecond);
            if throttle.is_due(now) {
                throttle.drawn(now);
                frames += 1;
            }
        }
        assert_eq!(frames, 10);
        let mut immediate = Throttle::new(start, Duration::ZERO);
        assert!(immediate.is_due(start));
        immediate.drawn(start);
        assert!(!immediate.is_due(start + Duration::from_millis(99)));
        assert!(immediate.is_due(start + FRAME));
    }

    #[test]
    fn no_display_without_a_terminal_or_with_quiet() {
        use std::io::IsTerminal;
        let mut printers = vec![Printer::new(true, false)];
        if !std::io::stderr().is_terminal() {
            printers.push(Printer::new(false, false));
        }
        for printer in printers {
            let activity = printer.activity("Adding");
            assert!(activity.display.is_none());
            assert!(!activity.progress().is_watched());
            assert_eq!(activity.suspend(|| 7), 7);
        }
    }

    #[test]
    fn progress_delay_from_the_environment() {
        assert_eq!(progress_delay(None), PROGRESS_DELAY);
        assert_eq!(progress_delay(Some("0".to_owned())), Duration::ZERO);
        assert_eq!(
            progress_delay(Some("250".to_owned())),
            Duration::from_millis(250)
        );
        assert_eq!(progress_delay(Some("soon".to_owned())), PROGRESS_DELAY);
    }

    #[test]
    fn tabs_like_rich() {
        assert_eq!(
            expand_tabs("store\ts3://bucket/path\t(default)"),
            "store   s3://bucket/path        (default)"
        );
        assert_eq!(expand_tabs("store2\t/tmp/lrem"), "store2  /tmp/lrem");
    }
}
