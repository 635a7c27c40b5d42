//! Control characters in text read from a repository, made visible before it reaches the
//! terminal.
//!
//! A stage command, stage name, path or URL comes from files anyone can commit. Printed raw,
//! a carriage return, an ANSI escape sequence or a C1 control can redraw the line, so that
//! `repro --dry` would show a different command than the one that runs. DVC strips ANSI
//! sequences in some places and prints other controls raw; dv shows every control character
//! as a visible escape instead (`\r`, `\x1b`, `\u0085`), so what is shown is what is there.
//! Text without control characters is printed unchanged, as DVC prints it.

use std::borrow::Cow;

/// Whether `c` is shown escaped in a message: C0 controls (but for the tab and line break
/// that lay messages out), DEL and the C1 controls.
fn is_hidden(c: char, keep_layout: bool) -> bool {
    match c {
        '\t' | '\n' => !keep_layout,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        _ => false,
    }
}

fn escape_with(text: &str, keep_layout: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_hidden(c, keep_layout)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_hidden(c, keep_layout) {
            out.push(c);
            continue;
        }
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x80 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// A message or block of lines for the terminal: tabs and line breaks are kept, every other
/// control character is escaped.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

/// One name (a path, a stage name) inside a line: tabs and line breaks are escaped too, so a
/// name stays on its line and a list of names keeps one name a line.
pub fn escape_name(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

/// Python's `repr()` of a string as DVC's messages show it: single quotes unless the text has a
/// single quote and no double one; backslashes, the chosen quote, `\n`, `\r` and `\t` escaped.
pub fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_unchanged() {
        let text = "Running stage 'train':\n> python train.py\t--epochs 3 é ü 日本";
        assert!(matches!(escape_controls(text), Cow::Borrowed(_)));
        assert_eq!(escape_name("data/file name.csv"), "data/file name.csv");
    }

    #[test]
    fn controls_are_shown_escaped() {
        assert_eq!(
            escape_controls("echo safe\r\x1b[2Kecho evil\x07\n> next\x7f\u{85}\u{9b}"),
            "echo safe\\r\\x1b[2Kecho evil\\x07\n> next\\x7f\\u0085\\u009b"
        );
        assert_eq!(escape_controls("\0"), "\\x00");
        assert_eq!(escape_name("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        // U+00A0 and above are printable.
        assert_eq!(escape_name("\u{a0}x"), "\u{a0}x");
    }
}
