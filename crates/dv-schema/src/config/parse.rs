//! Reader for the configobj dialect DVC's config files are written in (spec §2.2).
//!
//! Follows configobj with `list_values` on: `#` comments (also after values), `[section]`
//! headers whose names may be quoted, `key = value` with single, double or triple quotes,
//! unquoted comma-separated values read as lists. Keys and section names are lower-cased and
//! `remote "name"` sections are folded into `remote.name`, as DVC does after loading.

use std::path::PathBuf;
use std::sync::Arc;

use super::table::{NAMED_SECTIONS, Node, Origin, Setting, Table, Value};

/// A syntax error in a config file, with configobj's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at line {line}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// The kinds of syntax errors configobj reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// A line that is neither a section header, a `key = value` entry nor a comment.
    #[error("Invalid line ('{0}') (matched as neither section nor keyword)")]
    InvalidLine(String),
    /// A value with an unclosed quote or stray text after a quoted value.
    #[error("Parse error in value")]
    Value,
    /// The same key twice in one section.
    #[error("Duplicate keyword name")]
    DuplicateKeyword,
    /// The same section twice.
    #[error("Duplicate section name")]
    DuplicateSection,
    /// `[[sub]]` sections, which DVC's config never uses.
    #[error("Section too nested")]
    TooNested,
    /// Unbalanced brackets in a section header.
    #[error("Cannot compute the section depth")]
    SectionDepth,
    /// A file that is not UTF-8.
    #[error("invalid UTF-8")]
    Encoding,
}

/// Parses the bytes of a config file into the logical table DVC works with.
pub fn parse(bytes: &[u8], file: Option<Arc<PathBuf>>) -> Result<Table, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError {
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
        kind: ParseErrorKind::Encoding,
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();

    let mut root = Table {
        file: file.clone(),
        ..Table::default()
    };
    // Raw names as written, for configobj's duplicate checks (done before lower-casing).
    let mut seen_sections: Vec<String> = Vec::new();
    let mut seen_keys: Vec<String> = Vec::new();
    let mut current: Option<(String, Table)> = None;

    let mut index = 0;
    while index < lines.len() {
        let line_no = index + 1;
        let line = lines[index];
        index += 1;
        let stripped = line.trim();
        if stripped.is_empty() || stripped.starts_with('#') {
            continue;
        }
        let error = |kind| ParseError {
            line: line_no,
            kind,
        };

        if stripped.starts_with('[')
            && let Some(header) = parse_section_marker(stripped).map_err(error)?
        {
            if header.depth > 1 {
                return Err(error(ParseErrorKind::TooNested));
            }
            if seen_sections.contains(&header.name) {
                return Err(error(ParseErrorKind::DuplicateSection));
            }
            seen_sections.push(header.name.clone());
            seen_keys.clear();
            if let Some((name, table)) = current.take() {
                root.insert(name, Node::Table(table));
            }
            let table = Table {
                line: Some(line_no),
                file: file.clone(),
                ..Table::default()
            };
            current = Some((header.name.to_lowercase(), table));
            continue;
        }

        let Some((raw_key, raw_value)) = split_keyword(line) else {
            return Err(error(ParseErrorKind::InvalidLine(line.to_string())));
        };
        let key = unquote(raw_key);
        if seen_keys.contains(&key) {
            return Err(error(ParseErrorKind::DuplicateKeyword));
        }
        seen_keys.push(key.clone());

        let value = if let Some(quote) = ["'''", "\"\"\""]
            .into_iter()
            .find(|q| raw_value.starts_with(q))
        {
            parse_triple_quoted(raw_value, quote, &lines, &mut index).map_err(error)?
        } else {
            parse_value(raw_value).ok_or_else(|| error(ParseErrorKind::Value))?
        };
        let setting = Setting {
            value,
            origin: file.as_ref().map(|f| Origin {
                file: f.clone(),
                line: line_no,
            }),
            written: None,
        };
        let target = match current.as_mut() {
            Some((_, table)) => table,
            None => &mut root,
        };
        target.insert(key.to_lowercase(), Node::Setting(setting));
    }
    if let Some((name, table)) = current.take() {
        root.insert(name, Node::Table(table));
    }
    Ok(fold_named_sections(root))
}

/// `{'remote "x"': {...}}` → `{remote: {x: {...}}}`; the three named kinds come first, as in
/// DVC's `_parse_named`.
fn fold_named_sections(root: Table) -> Table {
    let mut out = Table {
        file: root.file.clone(),
        line: root.line,
        ..Table::default()
    };
    for kind in NAMED_SECTIONS {
        out.table_mut(kind);
    }
    for (name, node) in root.entries {
        match (named_section(&name), node) {
            (Some((kind, sub)), node) => {
                out.table_mut(kind).insert(sub.to_string(), node);
            }
            (None, node) => out.insert(name, node),
        }
    }
    out
}

/// Splits `remote "name"` (any whitespace around) into its kind and name.
pub(crate) fn named_section(section: &str) -> Option<(&'static str, &str)> {
    let s = section.trim();
    for kind in NAMED_SECTIONS {
        if let Some(rest) = s.strip_prefix(kind) {
            let rest = rest.trim_start();
            if let Some(inner) = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                return Some((kind, inner));
            }
        }
    }
    None
}

struct SectionHeader {
    depth: usize,
    name: String,
}

/// Parses `[name]`, `['quoted name']`, `[[sub]]` with an optional trailing comment.
/// `Ok(None)` when the line is not a section marker at all.
fn parse_section_marker(line: &str) -> Result<Option<SectionHeader>, ParseErrorKind> {
    let mut rest = line;
    let mut open = 0;
    while let Some(r) = rest.strip_prefix('[') {
        open += 1;
        rest = r.trim_start();
    }
    // Name: quoted (at least one non-space inside) or unquoted up to the closing brackets.
    let (name, after) = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            // Lazily: the first closing quote followed by the closing brackets.
            let found = rest
                .char_indices()
                .skip(1)
                .filter(|&(_, c)| c == q)
                .map(|(i, _)| i)
                .find(|&i| !rest[1..i].trim().is_empty() && closes_marker(&rest[i + 1..]));
            let Some(end) = found else {
                return Ok(None);
            };
            (rest[1..end].to_string(), &rest[end + 1..])
        }
        Some(c) if !c.is_whitespace() => {
            // Unquoted: lazily up to the first run of closing brackets followed only by
            // whitespace, further brackets and an optional comment.
            let mut found = None;
            for (i, ch) in rest.char_indices() {
                if ch == ']' || ch.is_whitespace() {
                    let candidate = &rest[i..];
                    if closes_marker(candidate) {
                        found = Some(i);
                        break;
                    }
                }
            }
            let Some(end) = found else {
                return Ok(None);
            };
            if end == 0 {
                return Ok(None);
            }
            (rest[..end].to_string(), &rest[end..])
        }
        _ => return Ok(None),
    };
    if !closes_marker(after) {
        return Ok(None);
    }
    let close = after
        .split('#')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|&c| c == ']')
        .count();
    if close != open {
        return Err(ParseErrorKind::SectionDepth);
    }
    Ok(Some(SectionHeader { depth: open, name }))
}

/// True for `]`, `] ]`, `]  # comment`: one or more closing brackets then only a comment.
fn closes_marker(s: &str) -> bool {
    let mut rest = s;
    let mut closes = 0;
    loop {
        let trimmed = rest.trim_start();
        if let Some(r) = trimmed.strip_prefix(']') {
            closes += 1;
            rest = r;
        } else {
            rest = trimmed;
            break;
        }
    }
    closes > 0 && (rest.is_empty() || rest.starts_with('#'))
}

/// Splits `key = value` (the key may be quoted). The value has its leading whitespace removed.
fn split_keyword(line: &str) -> Option<(&str, &str)> {
    let body = line.trim_start();
    let key_end = match body.chars().next()? {
        q @ ('"' | '\'') => body[1..].find(q)? + 2,
        '=' => return None,
        _ => body.find('=')?,
    };
    let key = body[..key_end].trim_end();
    let rest = body[key_end..].trim_start().strip_prefix('=')?;
    if key.is_empty() {
        return None;
    }
    Some((key, rest.trim_start()))
}

/// Removes one level of matching quotes.
fn unquote(s: &str) -> String {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

/// Parses a single-line value: a string or a comma list, each item quoted or not, with an
/// optional trailing `# comment`. `None` on a syntax error.
fn parse_value(raw: &str) -> Option<Value> {
    let s = raw;
    if s.is_empty() || s.starts_with('#') {
        return Some(Value::Str(String::new()));
    }
    if let Some(rest) = s.strip_prefix(',') {
        let rest = rest.trim_start();
        return (rest.is_empty() || rest.starts_with('#')).then(|| Value::List(Vec::new()));
    }
    let mut items: Vec<String> = Vec::new();
    let mut is_list = false;
    let mut pos = 0;
    loop {
        let rest = &s[pos..];
        if rest.is_empty() || rest.starts_with('#') {
            // Nothing after a trailing comma: a list ending in a comma.
            if is_list {
                break;
            }
            items.push(String::new());
            break;
        }
        let (item, consumed) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let end = rest[1..].find(q)?;
                (rest[1..1 + end].to_string(), end + 2)
            }
            Some(',') => return None,
            _ => {
                // Unquoted: up to the next comma or comment.
                let end = rest.find([',', '#']).unwrap_or(rest.len());
                (rest[..end].trim_end().to_string(), end)
            }
        };
        items.push(item);
        pos += consumed;
        let after = s[pos..].trim_start();
        if let Some(r) = after.strip_prefix(',') {
            is_list = true;
            let r = r.trim_start();
            pos = s.len() - r.len();
            continue;
        }
        if after.is_empty() || after.starts_with('#') {
            break;
        }
        return None;
    }
    if is_list {
        Some(Value::List(items))
    } else {
        items.pop().map(Value::Str)
    }
}

/// Parses a `'''…'''` or `"""…"""` value, possibly spanning several lines.
fn parse_triple_quoted(
    raw: &str,
    quote: &str,
    lines: &[&str],
    index: &mut usize,
) -> Result<Value, ParseErrorKind> {
    let body = &raw[3..];
    if let Some(end) = body.find(quote) {
        let after = body[end + 3..].trim_start();
        if after.is_empty() || after.starts_with('#') {
            return Ok(Value::Str(body[..end].to_string()));
        }
        return Err(ParseErrorKind::Value);
    }
    let mut value = body.to_string();
    while *index < lines.len() {
        let line = lines[*index];
        *index += 1;
        value.push('\n');
        if let Some(end) = line.find(quote) {
            let after = line[end + 3..].trim_start();
            if !(after.is_empty() || after.starts_with('#')) {
                return Err(ParseErrorKind::Value);
            }
            value.push_str(&line[..end]);
            return Ok(Value::Str(value));
        }
        value.push_str(line);
    }
    Err(ParseErrorKind::Value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn flat(text: &str) -> Vec<(String, String)> {
        parse(text.as_bytes(), None)
            .unwrap()
            .flatten()
            .into_iter()
            .map(|(k, s)| (k, s.value.to_string()))
            .collect()
    }

    fn err(text: &str) -> String {
        parse(text.as_bytes(), None).unwrap_err().to_string()
    }

    #[test]
    fn reads_dvc_written_file() {
        let text = "[core]\n    remote = jasmin\n    autostage = true\n[cache]\n    type = \"hardlink,symlink\"\n['remote \"jasmin\"']\n    url = s3://my-bucket/path/to/store\n    secret_access_key = \"sec ret#x;y\"\n";
        assert_eq!(
            flat(text),
            vec![
                (
                    "remote.jasmin.url".into(),
                    "s3://my-bucket/path/to/store".into()
                ),
                (
                    "remote.jasmin.secret_access_key".into(),
                    "sec ret#x;y".into()
                ),
                ("core.remote".into(), "jasmin".into()),
                ("core.autostage".into(), "true".into()),
                ("cache.type".into(), "hardlink,symlink".into()),
            ]
        );
    }

    #[test]
    fn comments_case_and_lists() {
        let text = "  # comment\n[core] # c\n    REMOTE = x  # inline\n    Autostage = TRUE\n[cache]\n    type = hardlink, symlink\n[x]\n    a = one,\n    b = ,\n    c =\n    d = '''tri'''\n    e = \"a, b\"\n";
        assert_eq!(
            flat(text),
            vec![
                ("core.remote".into(), "x".into()),
                ("core.autostage".into(), "TRUE".into()),
                ("cache.type".into(), "['hardlink', 'symlink']".into()),
                ("x.a".into(), "['one']".into()),
                ("x.b".into(), "[]".into()),
                ("x.c".into(), "".into()),
                ("x.d".into(), "tri".into()),
                ("x.e".into(), "a, b".into()),
            ]
        );
    }

    #[test]
    fn named_sections_any_quoting_lowercased() {
        let text = "[remote \"Ab\"]\n    url = s3://b\n[\"remote \\\"m\\\"\"]\n    x = 1\n";
        let table = parse(text.as_bytes(), None).unwrap();
        assert!(table.table("remote").unwrap().table("ab").is_some());
        assert!(table.table("remote \\\"m\\\"").is_some());
    }

    #[test]
    fn multiline_triple_quotes() {
        assert_eq!(
            flat("[a]\n    k = '''one\ntwo'''  # c\n"),
            vec![("a.k".into(), "one\ntwo".into())]
        );
    }

    #[test]
    fn configobj_errors() {
        assert_eq!(
            err("[core\n    remote = x\n"),
            "Invalid line ('[core') (matched as neither section nor keyword) at line 1"
        );
        assert_eq!(
            err("[core]\n    remote = \"x\n"),
            "Parse error in value at line 2"
        );
        assert_eq!(
            err("[core]\n    remote = 'x\n"),
            "Parse error in value at line 2"
        );
        assert_eq!(
            err("[core]\n    remote = \"x\" y\n"),
            "Parse error in value at line 2"
        );
        assert_eq!(
            err("[core]\n  remote\n"),
            "Invalid line ('  remote') (matched as neither section nor keyword) at line 2"
        );
        assert_eq!(
            err("[core]\n    remote = a\n    remote = b\n"),
            "Duplicate keyword name at line 3"
        );
        assert_eq!(err("[core]\n[core]\n"), "Duplicate section name at line 2");
        assert_eq!(
            err("[[cache]]\n    type = copy\n"),
            "Section too nested at line 1"
        );
        assert_eq!(
            err("[core]]\n"),
            "Cannot compute the section depth at line 1"
        );
        assert_eq!(err("[a]\n k = '''x\n"), "Parse error in value at line 2");
    }

    #[test]
    fn origins_carry_lines() {
        let table = parse(b"\n[core]\n    remote = x\n", None).unwrap();
        let flat = table.flatten();
        assert_eq!(flat[0].1.origin, None);
        let file = Arc::new(PathBuf::from("/c"));
        let table = parse(b"\n[core]\n    remote = x\n", Some(file)).unwrap();
        assert_eq!(table.flatten()[0].1.origin.as_ref().unwrap().line, 3);
    }
}
