//! The string operations tabulate relies on, as Python performs them: the display width that
//! `wcwidth.wcswidth` gives (with ANSI escape sequences stripped first, as tabulate does),
//! `str.strip`/`str.rstrip` with Python's whitespace set, and `str.splitlines`.

use unicode_width::UnicodeWidthStr;

/// Whether Python's `str.isspace` holds for `ch`: Rust's whitespace plus the information
/// separators U+001C..U+001F, which Python counts as whitespace and Rust does not.
pub(crate) fn is_python_space(ch: char) -> bool {
    ch.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&ch)
}

/// `text.strip()` in Python.
pub(crate) fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_space)
}

/// `text.rstrip()` in Python.
pub(crate) fn python_rstrip(text: &str) -> &str {
    text.trim_end_matches(is_python_space)
}

/// `text.splitlines()` in Python: breaks at `\n`, `\r`, `\r\n`, `\v`, `\f`, U+001C..U+001E,
/// U+0085, U+2028 and U+2029; a break at the very end opens no further line.
pub(crate) fn python_splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, ch)) = chars.next() {
        let is_break = matches!(
            ch,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        lines.push(&text[start..index]);
        start = index + ch.len_utf8();
        if ch == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n') {
            chars.next();
            start += 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// `re.split("[\r\n]", text)`: every `\r` and every `\n` ends a part, and a break at the end
/// leaves an empty last part (tabulate measures multi-line cells this way).
pub(crate) fn split_cr_lf(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\r', '\n'])
}

/// The width tabulate measures for `text` (with `wcwidth` installed, as in dvc's environment):
/// ANSI colour codes and OSC 8 hyperlinks removed, then `wcswidth`, which is -1 when any C0 or
/// C1 control character is left. Printable text is measured with `unicode-width`.
pub(crate) fn display_width(text: &str) -> isize {
    let visible = strip_ansi(text);
    if visible.chars().any(|ch| {
        let code = u32::from(ch);
        (code != 0 && code < 0x20) || (0x7f..0xa0).contains(&code)
    }) {
        return -1;
    }
    let width = isize::try_from(visible.width()).unwrap_or(isize::MAX);
    width + visible.chars().map(wcwidth_correction).sum::<isize>()
}

/// Where `wcwidth` and `unicode-width` measure a lone character differently, the difference
/// (wcwidth minus unicode-width): NUL, the line and paragraph separators and the interlinear
/// annotation marks take no cell in wcwidth, the soft hyphen takes one. Complex scripts (a
/// spacing mark with no base, lone regional indicators, Indic conjuncts) can still differ.
fn wcwidth_correction(ch: char) -> isize {
    match ch {
        '\0' | '\u{2028}' | '\u{2029}' | '\u{fff9}'..='\u{fffb}' => -1,
        '\u{ad}' => 1,
        _ => 0,
    }
}

const ESC: char = '\u{1b}';

/// `text` without the escape sequences tabulate treats as invisible: CSI sequences (colours)
/// are dropped and OSC 8 hyperlinks are replaced by their link text.
pub(crate) fn strip_ansi(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(ESC) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find(ESC) {
        out.push_str(&rest[..position]);
        let tail = &rest[position..];
        if let Some(length) = csi_length(tail) {
            rest = &tail[length..];
        } else if let Some((length, link_text)) = hyperlink(tail) {
            out.push_str(link_text);
            rest = &tail[length..];
        } else {
            out.push(ESC);
            rest = &tail[ESC.len_utf8()..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Length of a CSI sequence at the start of `text`: ESC `[`, parameter bytes 0x30..=0x3F,
/// intermediate bytes 0x20..=0x2F, one final byte 0x40..=0x7E.
fn csi_length(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if !bytes.starts_with(b"\x1b[") {
        return None;
    }
    let mut index = 2;
    while bytes
        .get(index)
        .is_some_and(|byte| (0x30..=0x3f).contains(byte))
    {
        index += 1;
    }
    while bytes
        .get(index)
        .is_some_and(|byte| (0x20..=0x2f).contains(byte))
    {
        index += 1;
    }
    bytes
        .get(index)
        .is_some_and(|byte| (0x40..=0x7e).contains(byte))
        .then_some(index + 1)
}

/// An OSC 8 hyperlink at the start of `text`:
/// ESC `]8;` params `;` URI ESC `\` link-text ESC `]8;;` ESC `\`.
/// Returns its length and the link text.
fn hyperlink(text: &str) -> Option<(usize, &str)> {
    let body = text.strip_prefix("\u{1b}]8;")?;
    // Parameters: `key=value` pairs, each optionally followed by `:` (word characters only).
    let mut params = body;
    while let Some(after) = key_value(params) {
        params = after;
    }
    let uri_and_rest = params.strip_prefix(';')?;
    let uri_end = uri_and_rest.find(ESC).filter(|end| *end > 0)?;
    let after_uri = uri_and_rest[uri_end..].strip_prefix("\u{1b}\\")?;
    let text_end = after_uri.find(ESC).filter(|end| *end > 0)?;
    let link_text = &after_uri[..text_end];
    let after_text = after_uri[text_end..].strip_prefix("\u{1b}]8;;\u{1b}\\")?;
    Some((text.len() - after_text.len(), link_text))
}

/// One `\w+=\w+:?` at the start of `text`; returns what follows it.
fn key_value(text: &str) -> Option<&str> {
    let is_word = |ch: char| ch.is_alphanumeric() || ch == '_';
    let key_end = text.find(|ch: char| !is_word(ch)).unwrap_or(text.len());
    if key_end == 0 {
        return None;
    }
    let value = text[key_end..].strip_prefix('=')?;
    let value_end = value.find(|ch: char| !is_word(ch)).unwrap_or(value.len());
    if value_end == 0 {
        return None;
    }
    let rest = &value[value_end..];
    Some(rest.strip_prefix(':').unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_like_wcswidth() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("日本"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(display_width("a\tb"), -1);
        assert_eq!(display_width("\u{7f}"), -1);
        assert_eq!(display_width("\u{1b}[31mred\u{1b}[0m"), 3);
        assert_eq!(
            display_width("\u{1b}]8;;https://example.com\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            4
        );
        assert_eq!(display_width("\u{1b}x"), -1);
    }

    #[test]
    fn widths_match_tabulate_fixtures() {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/output/widths.json"))
                .expect("fixture is json");
        for case in fixtures.as_array().expect("fixture is a list") {
            let text = case["text"].as_str().expect("text");
            let width = case["width"].as_i64().expect("width");
            assert_eq!(display_width(text) as i64, width, "width of {text:?}");
        }
    }

    #[test]
    fn python_line_and_space_rules() {
        assert_eq!(
            python_splitlines("a\r\nb\rc\nd\u{2028}e\n"),
            ["a", "b", "c", "d", "e"]
        );
        assert_eq!(python_splitlines(""), Vec::<&str>::new());
        assert_eq!(python_splitlines("\n"), [""]);
        assert_eq!(
            split_cr_lf("a\r\nb\n").collect::<Vec<_>>(),
            ["a", "", "b", ""]
        );
        assert_eq!(python_strip("\u{1c} x\u{3000}\u{a0}"), "x");
        assert_eq!(python_rstrip(" x \u{85}"), " x");
    }
}
