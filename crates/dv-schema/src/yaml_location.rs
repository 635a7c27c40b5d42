//! Where things are in a YAML text: the line and column of a key, a list item or a collection,
//! for error messages that point into user-written files such as `dvc.yaml`.
//!
//! [`crate::yaml::parse`] gives values without positions; [`YamlLocations`] is a light second
//! pass over the text that follows block structure by indentation (block mappings and
//! sequences, compact `- key: value` items, flow collections and multi-line scalars as opaque
//! leaves). It is best effort: a path it cannot follow yields the position of the deepest
//! collection it reached, never an error.
//!
//! [`YamlLocations::collection`] reproduces how DVC places schema errors: the position of the
//! mapping or sequence at the error's path, else of the closest enclosing one (ruamel's `lc`,
//! spec §7.1).

use std::fmt;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// One step of a path into a YAML document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A mapping key, compared with the key's text.
    Key(String),
    /// A 0-based sequence index.
    Index(usize),
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Key(key) => f.write_str(key),
            PathSegment::Index(index) => write!(f, "{index}"),
        }
    }
}

impl From<&str> for PathSegment {
    fn from(key: &str) -> Self {
        PathSegment::Key(key.to_owned())
    }
}

impl From<String> for PathSegment {
    fn from(key: String) -> Self {
        PathSegment::Key(key)
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        PathSegment::Index(index)
    }
}

/// The positions of the nodes of a YAML text.
#[derive(Debug, Clone, Default)]
pub struct YamlLocations {
    root: Option<Node>,
}

#[derive(Debug, Clone)]
struct Node {
    position: Position,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// A scalar: no positions inside.
    Leaf,
    /// A flow collection (`[...]`, `{...}`): a collection, but no positions inside.
    Flow,
    /// A block mapping: each key's text and position, and its value.
    Mapping(Vec<(String, Position, Node)>),
    /// A block sequence: each item's dash position and the item.
    Sequence(Vec<(Position, Node)>),
}

impl Node {
    fn is_collection(&self) -> bool {
        !matches!(self.kind, Kind::Leaf)
    }

    fn child(&self, segment: &PathSegment) -> Option<(Position, &Node)> {
        match (&self.kind, segment) {
            (Kind::Mapping(entries), PathSegment::Key(key)) => entries
                .iter()
                .find(|(text, _, _)| text == key)
                .map(|(_, position, node)| (*position, node)),
            (Kind::Mapping(entries), PathSegment::Index(index)) => {
                let key = index.to_string();
                entries
                    .iter()
                    .find(|(text, _, _)| *text == key)
                    .map(|(_, position, node)| (*position, node))
            }
            (Kind::Sequence(items), PathSegment::Index(index)) => {
                items.get(*index).map(|(position, node)| (*position, node))
            }
            _ => None,
        }
    }
}

impl YamlLocations {
    /// Indexes the block structure of `text`.
    pub fn new(text: &str) -> YamlLocations {
        let lines = significant_lines(text);
        let mut cursor = 0;
        let root = lines.first().map(|first| {
            let first_indent = first.indent;
            parse_block(&lines, &mut cursor, first_indent)
        });
        YamlLocations { root }
    }

    /// Where the entry at `path` is written: the key of a mapping entry, the dash of a list
    /// item. `None` when the path cannot be followed to its end.
    pub fn entry(&self, path: &[PathSegment]) -> Option<Position> {
        let mut node = self.root.as_ref()?;
        let mut position = node.position;
        for segment in path {
            let (entry, child) = node.child(segment)?;
            position = entry;
            node = child;
        }
        Some(position)
    }

    /// Where the entry at `path` is written, else its deepest ancestor that could be found.
    pub fn nearest_entry(&self, path: &[PathSegment]) -> Option<Position> {
        let mut node = self.root.as_ref()?;
        let mut position = None;
        for segment in path {
            let Some((entry, child)) = node.child(segment) else {
                break;
            };
            position = Some(entry);
            node = child;
        }
        position.or(Some(node.position))
    }

    /// DVC's placement of a schema error at `path` (`determine_linecol`): the position of the
    /// collection at `path` or, stepping up at most four times, of the closest collection above
    /// it; `None` when there is none (e.g. an error about a top-level key's scalar value).
    pub fn collection(&self, path: &[PathSegment]) -> Option<Position> {
        let mut length = path.len();
        let mut step = 1;
        while length > 0 && step < 5 {
            if let Some(node) = self.node(&path[..length])
                && node.is_collection()
            {
                return Some(node.position);
            }
            step += 1;
            length -= 1;
        }
        None
    }

    fn node(&self, path: &[PathSegment]) -> Option<&Node> {
        let mut node = self.root.as_ref()?;
        for segment in path {
            node = node.child(segment)?.1;
        }
        Some(node)
    }
}

/// A non-blank, non-comment line: its 1-based number, indentation and text after it.
struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

fn significant_lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(index, raw)| {
            let trimmed = raw.trim_start_matches(' ');
            let content = trimmed.trim_end();
            let skip = content.is_empty()
                || content.starts_with('#')
                || content.starts_with('%') && raw.len() == trimmed.len()
                || (raw.len() == trimmed.len()
                    && (content == "---" || content == "..." || content.starts_with("--- ")));
            (!skip).then_some(Line {
                number: index + 1,
                indent: raw.len() - trimmed.len(),
                text: content,
            })
        })
        .collect()
}

/// Parses the block node starting on `lines[*cursor]` at column `indent` (0-based).
fn parse_block(lines: &[Line<'_>], cursor: &mut usize, indent: usize) -> Node {
    let line = &lines[*cursor];
    let text = line.text;
    parse_node_at(lines, cursor, line.number, indent, text)
}

/// Parses a node whose first line's content `text` starts at 0-based column `column` of line
/// `number`; `lines[*cursor]` is that line.
fn parse_node_at(
    lines: &[Line<'_>],
    cursor: &mut usize,
    number: usize,
    column: usize,
    text: &str,
) -> Node {
    let position = Position {
        line: number,
        column: column + 1,
    };
    if is_sequence_item(text) {
        return parse_sequence(lines, cursor, number, column, text);
    }
    if split_key(text).is_some() {
        return parse_mapping(lines, cursor, number, column, text);
    }
    // A scalar or a flow collection, maybe continued on more-indented lines.
    *cursor += 1;
    skip_deeper(lines, cursor, column.saturating_sub(1), true);
    Node {
        position,
        kind: leaf_kind(text),
    }
}

fn is_sequence_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

fn parse_sequence(
    lines: &[Line<'_>],
    cursor: &mut usize,
    number: usize,
    column: usize,
    first: &str,
) -> Node {
    let position = Position {
        line: number,
        column: column + 1,
    };
    let mut items = Vec::new();
    let mut current = Some((number, first));
    while let Some((line_number, text)) = current {
        let dash = Position {
            line: line_number,
            column: column + 1,
        };
        let rest = text[1..].trim_start_matches(' ');
        let rest_column = column + (text.len() - rest.len());
        let item = parse_value(lines, cursor, line_number, rest_column, rest, column, false)
            .unwrap_or(Node {
                position: dash,
                kind: Kind::Leaf,
            });
        items.push((dash, item));
        current = match lines.get(*cursor) {
            Some(next) if next.indent == column && is_sequence_item(next.text) => {
                Some((next.number, next.text))
            }
            _ => None,
        };
    }
    Node {
        position,
        kind: Kind::Sequence(items),
    }
}

fn parse_mapping(
    lines: &[Line<'_>],
    cursor: &mut usize,
    number: usize,
    column: usize,
    first: &str,
) -> Node {
    let position = Position {
        line: number,
        column: column + 1,
    };
    let mut entries = Vec::new();
    let mut current = Some((number, first));
    while let Some((line_number, text)) = current {
        let Some((key, rest_offset)) = split_key(text) else {
            break;
        };
        let key_position = Position {
            line: line_number,
            column: column + 1,
        };
        let rest = text[rest_offset..].trim_start_matches(' ');
        let rest_column = column + (text.len() - rest.len());
        let value = parse_value(lines, cursor, line_number, rest_column, rest, column, true)
            .unwrap_or(Node {
                position: key_position,
                kind: Kind::Leaf,
            });
        entries.push((key, key_position, value));
        current = match lines.get(*cursor) {
            Some(next) if next.indent == column && !is_sequence_item(next.text) => {
                Some((next.number, next.text))
            }
            _ => None,
        };
    }
    Node {
        position,
        kind: Kind::Mapping(entries),
    }
}

/// Parses the value after `key:` or `- ` whose inline text is `rest` (at `rest_column` on line
/// `number`, `lines[*cursor]` being that line); `parent` is the column of the key or dash.
/// Advances `cursor` past the value. `None` for an empty (null) value.
fn parse_value(
    lines: &[Line<'_>],
    cursor: &mut usize,
    number: usize,
    rest_column: usize,
    rest: &str,
    parent: usize,
    in_mapping: bool,
) -> Option<Node> {
    let rest = strip_properties(rest);
    let rest_column = rest_column + (rest.1);
    let rest = rest.0;
    if rest.is_empty() || rest.starts_with('#') {
        *cursor += 1;
        let next = lines.get(*cursor)?;
        let nested = next.indent > parent
            || (in_mapping && next.indent == parent && is_sequence_item(next.text));
        return nested.then(|| {
            let indent = next.indent;
            parse_block(lines, cursor, indent)
        });
    }
    if !in_mapping && (is_sequence_item(rest) || split_key(rest).is_some()) {
        // compact nested collection: `- - x` or `- key: value`
        return Some(parse_node_at(lines, cursor, number, rest_column, rest));
    }
    let position = Position {
        line: number,
        column: rest_column + 1,
    };
    *cursor += 1;
    skip_deeper(lines, cursor, parent, false);
    Some(Node {
        position,
        kind: leaf_kind(rest),
    })
}

fn leaf_kind(text: &str) -> Kind {
    if text.starts_with('[') || text.starts_with('{') {
        Kind::Flow
    } else {
        Kind::Leaf
    }
}

/// Strips anchors (`&a`) and tags (`!t`) before a value; returns the rest and how many bytes
/// were removed.
fn strip_properties(text: &str) -> (&str, usize) {
    let mut rest = text;
    while rest.starts_with('&') || rest.starts_with('!') {
        let end = rest.find(' ').unwrap_or(rest.len());
        rest = rest[end..].trim_start_matches(' ');
    }
    (rest, text.len() - rest.len())
}

/// Skips the continuation lines of a scalar: those indented deeper than `parent` (or at least
/// as deep when `inclusive`).
fn skip_deeper(lines: &[Line<'_>], cursor: &mut usize, parent: usize, inclusive: bool) {
    while let Some(line) = lines.get(*cursor) {
        let deeper = line.indent > parent || (inclusive && line.indent == parent);
        if !deeper {
            break;
        }
        *cursor += 1;
    }
}

/// Splits `key: rest` into the key's text and the byte offset of `rest`; `None` when the text
/// is not a mapping entry.
fn split_key(text: &str) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if matches!(first, b'[' | b'{' | b'#' | b'|' | b'>' | b'&' | b'*' | b'!') {
        return None;
    }
    if first == b'\'' || first == b'"' {
        let (key, end) = quoted_key(text)?;
        let after = text[end..].trim_start_matches(' ');
        let colon = text.len() - after.len();
        let rest = after.strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        return Some((key, colon + 1));
    }
    let mut search = 0;
    while let Some(found) = text[search..].find(':') {
        let colon = search + found;
        if text[..colon].contains(" #") {
            return None;
        }
        let after = &text[colon + 1..];
        if after.is_empty() || after.starts_with(' ') {
            return Some((text[..colon].trim_end().to_owned(), colon + 1));
        }
        search = colon + 1;
    }
    None
}

/// A quoted key's text and the byte offset after its closing quote.
fn quoted_key(text: &str) -> Option<(String, usize)> {
    let quote = text.chars().next()?;
    let mut key = String::new();
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((index, ch)) = chars.next() {
        if ch == quote {
            if quote == '\'' && chars.peek().is_some_and(|(_, next)| *next == '\'') {
                chars.next();
                key.push('\'');
                continue;
            }
            return Some((key, index + 1));
        }
        if quote == '"' && ch == '\\' {
            if let Some((_, escaped)) = chars.next() {
                key.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            continue;
        }
        key.push(ch);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segments: &[&str]) -> Vec<PathSegment> {
        segments
            .iter()
            .map(|segment| match segment.parse::<usize>() {
                Ok(index) => PathSegment::Index(index),
                Err(_) => PathSegment::Key((*segment).to_owned()),
            })
            .collect()
    }

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position { line, column })
    }

    const TEXT: &str = "\
# comment
vars:
  - myvar: hello
stages:
  s1:
    cmd: 'mkdir -p out2 && echo \"{\\\"acc\\\":
      1}\" > metrics.json'
    deps:
    - in.txt
    outs:
    - a:
        cache: 1
        foo: 2
    - b
  \"s 2\":
    matrix:
      m: [x, y]
    cmd: |
      echo a: b
      - c
    params: {lr: 1}
";

    #[test]
    fn finds_keys_and_items() {
        let locations = YamlLocations::new(TEXT);
        assert_eq!(locations.entry(&path(&["stages"])), at(4, 1));
        assert_eq!(locations.entry(&path(&["stages", "s1", "deps"])), at(8, 5));
        assert_eq!(
            locations.entry(&path(&["stages", "s1", "deps", "0"])),
            at(9, 5)
        );
        assert_eq!(
            locations.entry(&path(&["stages", "s1", "outs", "0", "a", "foo"])),
            at(13, 9)
        );
        assert_eq!(
            locations.entry(&path(&["stages", "s1", "outs", "1"])),
            at(14, 5)
        );
        assert_eq!(
            locations.entry(&path(&["stages", "s 2", "params"])),
            at(21, 5)
        );
        assert_eq!(locations.entry(&path(&["vars", "0", "myvar"])), at(3, 5));
        assert_eq!(locations.entry(&path(&["stages", "nope"])), None);
        assert_eq!(
            locations.nearest_entry(&path(&["stages", "s1", "nope"])),
            at(5, 3)
        );
    }

    #[test]
    fn collections_like_dvc() {
        let locations = YamlLocations::new(TEXT);
        // a scalar value: the enclosing mapping, which starts at its first key
        assert_eq!(
            locations.collection(&path(&["stages", "s1", "cmd"])),
            at(6, 5)
        );
        assert_eq!(
            locations.collection(&path(&["stages", "s1", "outs", "0", "a", "cache"])),
            at(12, 9)
        );
        assert_eq!(
            locations.collection(&path(&["stages", "s 2", "matrix", "m", "0"])),
            at(17, 10)
        );
        // a top-level scalar has no collection above it
        assert_eq!(
            YamlLocations::new("vars: x\n").collection(&path(&["vars"])),
            None
        );
        assert_eq!(
            YamlLocations::new("stages: [a]\n").collection(&path(&["stages"])),
            at(1, 9)
        );
    }
}
