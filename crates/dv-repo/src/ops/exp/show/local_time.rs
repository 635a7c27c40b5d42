//! Commit times as DVC shows them: Python's naive local `datetime.fromtimestamp`.

/// A naive local date and time, as Python's `datetime.fromtimestamp` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Year.
    pub year: i32,
    /// Month (1-12).
    pub month: u32,
    /// Day of the month (1-31).
    pub day: u32,
    /// Hour (0-23).
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
}

impl LocalTime {
    /// `seconds` since the epoch in UTC.
    fn utc(seconds: i64) -> LocalTime {
        let days = seconds.div_euclid(86_400);
        let rest = seconds.rem_euclid(86_400);
        let (year, month, day) = crate::clock::civil_from_days(days);
        let part = |value: i64| u32::try_from(value).unwrap_or(0);
        LocalTime {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: part(month),
            day: part(day),
            hour: part(rest / 3600),
            minute: part(rest % 3600 / 60),
            second: part(rest % 60),
        }
    }

    fn parse(text: &str) -> Option<LocalTime> {
        let (date, time) = text.trim().split_once('T')?;
        let mut date = date.splitn(3, '-');
        let mut time = time.splitn(3, ':');
        Some(LocalTime {
            year: date.next()?.parse().ok()?,
            month: date.next()?.parse().ok()?,
            day: date.next()?.parse().ok()?,
            hour: time.next()?.parse().ok()?,
            minute: time.next()?.parse().ok()?,
            second: time.next()?.parse().ok()?,
        })
    }

    /// DVC's `format_time` for tables: `%I:%M %p` when `today` is the same day, else
    /// `%b %d, %Y`.
    pub fn shown(&self, today: Option<&LocalTime>) -> String {
        let is_today = today.is_some_and(|today| {
            (today.year, today.month, today.day) == (self.year, self.month, self.day)
        });
        if is_today {
            let hour = match self.hour % 12 {
                0 => 12,
                hour => hour,
            };
            let half = if self.hour < 12 { "AM" } else { "PM" };
            format!("{hour:02}:{:02} {half}", self.minute)
        } else {
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let month = MONTHS
                .get(usize::try_from(self.month).unwrap_or(1).saturating_sub(1))
                .copied()
                .unwrap_or("Jan");
            format!("{month} {:02}, {:04}", self.day, self.year)
        }
    }

    /// `datetime.isoformat()`: `2026-12-07T17:07:50`.
    pub fn iso(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Each of `seconds` (since the epoch) in the local time zone, as Python's
/// `datetime.fromtimestamp` gives it. dv has no time zone database of its own (and no `unsafe`
/// for `localtime_r`), so one `date -f -` process converts them all, `TZ` honoured; without it
/// they are given in UTC.
pub fn local_times(seconds: &[i64]) -> Vec<LocalTime> {
    use std::io::Write;
    let utc = || seconds.iter().map(|&s| LocalTime::utc(s)).collect();
    if seconds.is_empty() {
        return Vec::new();
    }
    let child = std::process::Command::new("date")
        .args(["-f", "-", "+%Y-%m-%dT%H:%M:%S"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return utc();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let input: String = seconds.iter().map(|s| format!("@{s}\n")).collect();
        if stdin.write_all(input.as_bytes()).is_err() {
            let _ = child.wait();
            return utc();
        }
    }
    let Ok(output) = child.wait_with_output() else {
        return utc();
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed: Vec<LocalTime> = text.lines().filter_map(LocalTime::parse).collect();
    if !output.status.success() || parsed.len() != seconds.len() {
        return utc();
    }
    parsed
}

/// Seconds since the epoch now.
pub fn now_seconds() -> i64 {
    crate::clock::now_seconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_and_iso_text() {
        assert_eq!(LocalTime::utc(0).iso(), "1970-01-01T00:00:00");
        assert_eq!(
            LocalTime::utc(951_868_800 + 3_661).iso(),
            "2000-03-01T01:01:01"
        );
        assert_eq!(LocalTime::utc(-1).iso(), "1969-12-31T23:59:59");
        assert_eq!(
            LocalTime::parse("2026-12-07T17:07:50"),
            Some(LocalTime {
                year: 2026,
                month: 12,
                day: 7,
                hour: 17,
                minute: 7,
                second: 50
            })
        );
        assert_eq!(local_times(&[]), Vec::new());
    }
}
