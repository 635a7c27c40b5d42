//! A linear pre-scan bounding how deeply a YAML text nests flow collections (`[...]`, `{...}`),
//! run before the text reaches the YAML parser.
//!
//! The parser dv uses keeps one "possible simple key" per open flow collection and walks all of
//! them for every token it reads, so a text such as `[[[[...` costs time quadratic in its
//! nesting: a 400 KB file took minutes. The deserializer behind it refuses more than
//! [`MAX_NESTING`] levels anyway, but only after the whole text was tokenized. This scan follows
//! the tokenizer's rules for where a flow collection may start (not inside comments, quoted,
//! plain or block scalars, tags or anchors; block indentation decides where block and plain
//! scalars end) and stops at the first bracket that opens one level too many, so the parser
//! never sees deeper flow nesting than it handles in linear time.
//!
//! The scan must never count fewer levels than the parser opens, so it mirrors the tokenizer
//! rule by rule rather than approximating it; where the text is invalid (the parser would stop
//! with an error) it simply goes on.

/// The deepest nesting of collections dv reads from a YAML file: real `dvc.yaml`, `.dvc`,
/// `dvc.lock` and params files nest a handful of levels. This is also the limit of the
/// deserializer dv uses, so no text that used to load is refused by the pre-scan.
pub const MAX_NESTING: usize = 128;

/// Where a text nests deeper than [`MAX_NESTING`]: the 1-based line and column of the bracket
/// that opens the level too many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl TooDeep {
    /// The message dv prints for it.
    pub fn message(&self) -> String {
        too_deep_message(self.line, self.column)
    }
}

/// The message for nesting deeper than [`MAX_NESTING`] at a 1-based line and column.
pub fn too_deep_message(line: usize, column: usize) -> String {
    format!("nesting deeper than {MAX_NESTING} levels at line {line} column {column}")
}

/// The message of a deserializer error: its own text, except for nesting deeper than it reads,
/// which is worded as the pre-scan words it.
pub(crate) fn serde_message(
    error: &yaml_serde::Error,
    line: Option<usize>,
    column: Option<usize>,
) -> String {
    let message = error.to_string();
    match (line, column) {
        (Some(line), Some(column)) if message.starts_with("recursion limit exceeded") => {
            too_deep_message(line, column)
        }
        _ => message,
    }
}

/// Checks that `text` opens at most [`MAX_NESTING`] nested flow collections; linear in the
/// length of the text.
pub fn check_flow_nesting(text: &str) -> Result<(), TooDeep> {
    check_flow_nesting_with(text, MAX_NESTING)
}

fn check_flow_nesting_with(text: &str, limit: usize) -> Result<(), TooDeep> {
    let chars: Vec<char> = text.chars().collect();
    let mut scanner = Scanner {
        chars: &chars,
        pos: 0,
        line: 0,
        column: 0,
        flow: 0,
        indent: -1,
        indents: Vec::new(),
        allowed: true,
        key: None,
        limit,
    };
    scanner.run()
}

fn is_break(ch: char) -> bool {
    matches!(ch, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(ch: char) -> bool {
    ch == ' ' || ch == '\t'
}

fn is_anchor_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'
}

/// A character of a tag (`!handle!suffix`); `verbatim` tags (`!<...>`) also allow `,[]`.
fn is_tag_char(ch: char, verbatim: bool) -> bool {
    is_anchor_char(ch)
        || ";/?:@&=+$.%!~*'()".contains(ch)
        || (verbatim && matches!(ch, ',' | '[' | ']'))
}

/// A simple-key candidate of the block context: where its first token started.
#[derive(Clone, Copy)]
struct Key {
    line: usize,
    column: usize,
    pos: usize,
}

struct Scanner<'a> {
    chars: &'a [char],
    pos: usize,
    line: usize,
    column: usize,
    /// Open flow collections.
    flow: usize,
    /// The current block indentation (-1 at the top) and the enclosing ones.
    indent: isize,
    indents: Vec<isize>,
    /// Whether a simple key may start here.
    allowed: bool,
    /// The block context's pending simple key, if any.
    key: Option<Key>,
    limit: usize,
}

impl Scanner<'_> {
    fn at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn is(&self, offset: usize, ch: char) -> bool {
        self.at(offset) == Some(ch)
    }

    fn blankz(&self, offset: usize) -> bool {
        self.at(offset)
            .is_none_or(|ch| is_blank(ch) || is_break(ch))
    }

    fn breakz(&self, offset: usize) -> bool {
        self.at(offset).is_none_or(is_break)
    }

    fn column(&self) -> isize {
        isize::try_from(self.column).unwrap_or(isize::MAX)
    }

    /// Moves past one character, a CR LF pair counting as one line break.
    fn skip(&mut self) {
        let Some(ch) = self.at(0) else {
            return;
        };
        if is_break(ch) {
            self.pos += if ch == '\r' && self.is(1, '\n') { 2 } else { 1 };
            self.line += 1;
            self.column = 0;
        } else {
            self.pos += 1;
            self.column += 1;
        }
    }

    fn skip_to_break(&mut self) {
        while !self.breakz(0) {
            self.skip();
        }
    }

    fn roll_indent(&mut self, column: isize) {
        if self.flow == 0 && self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
        }
    }

    fn unroll_indent(&mut self, column: isize) {
        if self.flow == 0 {
            while self.indent > column {
                self.indent = self.indents.pop().unwrap_or(-1);
            }
        }
    }

    fn save_key(&mut self) {
        if self.allowed && self.flow == 0 {
            self.key = Some(Key {
                line: self.line,
                column: self.column,
                pos: self.pos,
            });
        }
    }

    fn remove_key(&mut self) {
        if self.flow == 0 {
            self.key = None;
        }
    }

    /// The block context's simple key, if it can still be one (same line, within 1024
    /// characters).
    fn possible_key(&self) -> Option<Key> {
        self.key
            .filter(|key| key.line == self.line && key.pos + 1024 >= self.pos)
    }

    fn run(&mut self) -> Result<(), TooDeep> {
        loop {
            self.scan_to_next_token();
            self.unroll_indent(self.column());
            let Some(ch) = self.at(0) else {
                return Ok(());
            };
            let document_marker = self.column == 0
                && ((self.is(0, '-') && self.is(1, '-') && self.is(2, '-'))
                    || (self.is(0, '.') && self.is(1, '.') && self.is(2, '.')))
                && self.blankz(3);
            if self.column == 0 && ch == '%' {
                // a directive: the tokenizer reads it to the end of its line
                self.unroll_indent(-1);
                self.remove_key();
                self.allowed = false;
                self.skip_to_break();
            } else if document_marker {
                self.unroll_indent(-1);
                self.remove_key();
                self.allowed = false;
                (0..3).for_each(|_| self.skip());
            } else if ch == '[' || ch == '{' {
                self.save_key();
                self.flow += 1;
                if self.flow > self.limit {
                    return Err(TooDeep {
                        line: self.line + 1,
                        column: self.column + 1,
                    });
                }
                self.allowed = true;
                self.skip();
            } else if ch == ']' || ch == '}' {
                self.remove_key();
                self.flow = self.flow.saturating_sub(1);
                self.allowed = false;
                self.skip();
            } else if ch == ',' {
                self.remove_key();
                self.allowed = true;
                self.skip();
            } else if ch == '-' && self.blankz(1) {
                self.roll_indent(self.column());
                self.remove_key();
                self.allowed = true;
                self.skip();
            } else if ch == '?' && (self.flow > 0 || self.blankz(1)) {
                self.roll_indent(self.column());
                self.remove_key();
                self.allowed = self.flow == 0;
                self.skip();
            } else if ch == ':' && (self.flow > 0 || self.blankz(1)) {
                self.value();
            } else if ch == '*' || ch == '&' {
                self.save_key();
                self.allowed = false;
                self.skip();
                while self.at(0).is_some_and(is_anchor_char) {
                    self.skip();
                }
            } else if ch == '!' {
                self.save_key();
                self.allowed = false;
                self.tag();
            } else if (ch == '|' || ch == '>') && self.flow == 0 {
                self.remove_key();
                self.allowed = true;
                self.block_scalar();
            } else if ch == '\'' || ch == '"' {
                self.save_key();
                self.allowed = false;
                self.quoted(ch);
            } else if self.starts_plain(ch) {
                self.save_key();
                self.allowed = false;
                self.plain();
            } else {
                // no token starts here: the parser stops with an error
                self.skip();
            }
        }
    }

    fn scan_to_next_token(&mut self) {
        loop {
            if self.column == 0 && self.is(0, '\u{feff}') {
                self.skip();
            }
            while self.is(0, ' ') || ((self.flow > 0 || !self.allowed) && self.is(0, '\t')) {
                self.skip();
            }
            if self.is(0, '#') {
                self.skip_to_break();
            }
            if self.breakz(0) && self.at(0).is_some() {
                self.skip();
                if self.flow == 0 {
                    self.allowed = true;
                }
            } else {
                return;
            }
        }
    }

    fn starts_plain(&self, ch: char) -> bool {
        let indicator = is_blank(ch) || is_break(ch) || "-?:,[]{}#&*!|>'\"%@`".contains(ch);
        !indicator
            || (ch == '-' && !self.at(1).is_some_and(is_blank))
            || (self.flow == 0 && (ch == '?' || ch == ':') && !self.blankz(1))
    }

    fn value(&mut self) {
        if let Some(key) = self.possible_key().filter(|_| self.flow == 0) {
            self.roll_indent(isize::try_from(key.column).unwrap_or(isize::MAX));
            self.key = None;
            self.allowed = false;
        } else {
            self.roll_indent(self.column());
            self.allowed = self.flow == 0;
        }
        self.skip();
    }

    fn tag(&mut self) {
        self.skip();
        if self.is(0, '<') {
            self.skip();
            while self.at(0).is_some_and(|ch| is_tag_char(ch, true)) {
                self.skip();
            }
            if self.is(0, '>') {
                self.skip();
            }
        } else {
            while self.at(0).is_some_and(|ch| is_tag_char(ch, false)) {
                self.skip();
            }
        }
    }

    fn quoted(&mut self, quote: char) {
        self.skip();
        while let Some(ch) = self.at(0) {
            if quote == '\'' && ch == '\'' {
                self.skip();
                if !self.is(0, '\'') {
                    return;
                }
                self.skip();
            } else if quote == '"' && ch == '"' {
                self.skip();
                return;
            } else if quote == '"' && ch == '\\' {
                self.skip();
                self.skip();
            } else {
                self.skip();
            }
        }
    }

    fn plain(&mut self) {
        let indent = self.indent + 1;
        let mut leading_blanks = false;
        loop {
            let document_marker = self.column == 0
                && ((self.is(0, '-') && self.is(1, '-') && self.is(2, '-'))
                    || (self.is(0, '.') && self.is(1, '.') && self.is(2, '.')))
                && self.blankz(3);
            if document_marker || self.is(0, '#') {
                break;
            }
            while let Some(ch) = self.at(0) {
                if is_blank(ch) || is_break(ch) {
                    break;
                }
                let next = self.at(1);
                if self.flow > 0 && ch == ':' && next.is_some_and(|next| ",?[]{}".contains(next)) {
                    // an error for the parser; the ':' starts the next token here
                    return;
                }
                if (ch == ':' && self.blankz(1))
                    || (self.flow > 0 && matches!(ch, ',' | '[' | ']' | '{' | '}'))
                {
                    break;
                }
                leading_blanks = false;
                self.skip();
            }
            if !self.at(0).is_some_and(|ch| is_blank(ch) || is_break(ch)) {
                break;
            }
            while let Some(ch) = self.at(0) {
                if is_blank(ch) {
                    if leading_blanks && self.column() < indent && ch == '\t' {
                        // a tab in the indentation: an error for the parser
                        return;
                    }
                    self.skip();
                } else if is_break(ch) {
                    self.skip();
                    leading_blanks = true;
                } else {
                    break;
                }
            }
            if self.flow == 0 && self.column() < indent {
                break;
            }
        }
        if leading_blanks {
            self.allowed = true;
        }
    }

    fn block_scalar(&mut self) {
        self.skip();
        let mut increment = 0;
        for _ in 0..2 {
            match self.at(0) {
                Some('+' | '-') => self.skip(),
                Some(digit @ '1'..='9') => {
                    increment = isize::try_from(digit.to_digit(10).unwrap_or(1)).unwrap_or(1);
                    self.skip();
                }
                _ => break,
            }
        }
        while self.at(0).is_some_and(is_blank) {
            self.skip();
        }
        if self.is(0, '#') {
            self.skip_to_break();
        }
        if !self.breakz(0) {
            // an error for the parser
            return;
        }
        self.skip();
        let mut indent = if increment == 0 {
            0
        } else if self.indent >= 0 {
            self.indent + increment
        } else {
            increment
        };
        if !self.block_scalar_breaks(&mut indent) {
            return;
        }
        while self.column() == indent && self.at(0).is_some() {
            self.skip_to_break();
            if self.at(0).is_none() {
                return;
            }
            self.skip();
            if !self.block_scalar_breaks(&mut indent) {
                return;
            }
        }
    }

    /// Skips the indentation and empty lines of a block scalar, settling its indentation when
    /// it is not yet known; false at a tab in the indentation (an error for the parser).
    fn block_scalar_breaks(&mut self, indent: &mut isize) -> bool {
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || self.column() < *indent) && self.is(0, ' ') {
                self.skip();
            }
            max_indent = max_indent.max(self.column());
            if (*indent == 0 || self.column() < *indent) && self.is(0, '\t') {
                return false;
            }
            if !self.at(0).is_some_and(is_break) {
                break;
            }
            self.skip();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, limit: usize) -> bool {
        check_flow_nesting_with(text, limit).is_ok()
    }

    #[test]
    fn counts_flow_collections() {
        assert!(depth_ok("a: [[1]]\n", 2));
        assert!(!depth_ok("a: [[[1]]]\n", 2));
        assert!(!depth_ok("a: {b: [{c: 1}]}\n", 2));
        assert!(depth_ok("a: [1]\nb: [[2]]\nc: {d: [3]}\n", 2));
        assert_eq!(
            check_flow_nesting_with("x: 1\nk: [[[\n", 2),
            Err(TooDeep { line: 2, column: 6 })
        );
    }

    #[test]
    fn brackets_in_scalars_and_comments_do_not_count() {
        let text = "\
cmd: echo [[[ {{{ # [[[
quoted: '[[[ it''s [['
double: \"[[[ \\\" [[[\"
plain: a [[[ b
multi: a
  [[[ b
block: |
  [[[[
    {{{{
tag: !t [1]
anchor: &a [1]
# [[[[[
- [a'b, c]
";
        assert!(depth_ok(text, 1));
        assert!(depth_ok("k:\n  '[[[\n  [[['\n", 0));
        assert!(depth_ok("k: >-\n   [[[\n\n   [[[\n", 0));
    }

    #[test]
    fn scalars_end_where_the_tokenizer_ends_them() {
        // a block scalar ends at a line indented no deeper than its parent
        assert!(!depth_ok("- k: |\n  [[[\n", 2));
        assert!(!depth_ok("k: |\n x\n[[[a]]]: 1\n", 2));
        // a quote inside a flow plain scalar is text, the brackets after it count
        assert!(!depth_ok("[a'b, [[[c]]], 'd']\n", 3));
        // a plain scalar continues on deeper lines only
        assert!(!depth_ok("a: b\nc: [[[1]]]\n", 2));
        // a comment needs a blank before it
        assert!(!depth_ok("a: [b#c, [[[1]]]]\n", 3));
    }

    #[test]
    fn deep_nesting_is_found_in_linear_time() {
        let depth = 200_000;
        let text = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let error = check_flow_nesting(&text).expect_err("too deep");
        assert_eq!(error.line, 1);
        assert_eq!(error.column, 4 + MAX_NESTING);
        let text = format!("a: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth));
        assert!(check_flow_nesting(&text).is_err());
        assert!(
            error
                .message()
                .contains(&format!("deeper than {MAX_NESTING} levels"))
        );
    }

    fn value_depth(value: &yaml_serde::Value) -> usize {
        match value {
            yaml_serde::Value::Sequence(items) => {
                1 + items.iter().map(value_depth).max().unwrap_or(0)
            }
            yaml_serde::Value::Mapping(map) => {
                1 + map
                    .iter()
                    .map(|(key, value)| value_depth(key).max(value_depth(value)))
                    .max()
                    .unwrap_or(0)
            }
            yaml_serde::Value::Tagged(tagged) => value_depth(&tagged.value),
            _ => 0,
        }
    }

    fn flow_node() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let gap = prop::sample::select(vec!["", " ", "\n ", " # [[ x\n ", "\n\n  "]);
        let leaf = prop_oneof![
            "[a-z]{1,3}",
            "[a-z][a-z'\"#:!&*|>?-]{0,4}",
            "'[\\[\\]{}a\"#,]{0,4}'",
            "\"[\\[\\]{}a'#,]{0,4}\"",
            "![a-z]{1,2} [a-z]",
            "&[a-z] [a-z]",
        ];
        leaf.prop_recursive(8, 64, 4, move |inner| {
            let gap = gap.clone();
            prop_oneof![
                (prop::collection::vec((inner.clone(), gap.clone()), 0..4)).prop_map(|items| {
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(item, gap)| format!("{gap}{item}"))
                        .collect();
                    format!("[{}]", items.join(","))
                }),
                (prop::collection::vec((inner.clone(), inner, gap), 0..3)).prop_map(|items| {
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(key, value, gap)| format!("{gap}{key}: {value}"))
                        .collect();
                    format!("{{{}}}", items.join(","))
                }),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The scan never counts fewer flow levels than the parser builds.
        #[test]
        fn never_counts_fewer_levels_than_the_parser(
            prefix in proptest::sample::select(vec!["", "k: ", "- ", "k:\n  ", "- k: "]),
            body in flow_node(),
        ) {
            let text = format!("{prefix}{body}\n");
            // only a flow collection after the prefix: the rest of the depth is block nesting
            proptest::prop_assume!(body.starts_with(['[', '{']));
            if let Ok(value) = yaml_serde::from_str::<yaml_serde::Value>(&text) {
                let block = match prefix {
                    "" => 0,
                    "- k: " => 2,
                    _ => 1,
                };
                let flow = value_depth(&value).saturating_sub(block);
                if flow > 0 {
                    proptest::prop_assert!(
                        check_flow_nesting_with(&text, flow - 1).is_err(),
                        "{text:?} nests {flow} levels"
                    );
                }
                proptest::prop_assert!(check_flow_nesting_with(&text, flow).is_ok(), "{text:?}");
            }
        }
    }
}
