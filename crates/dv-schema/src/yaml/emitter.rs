//! ruamel.yaml's emitter, the parts DVC's files use: block mappings and sequences, empty flow
//! collections, and scalars in plain, single- and double-quoted style with ruamel's folding at
//! 80 columns.

use super::scalar::{ScalarText, represent_key, represent_scalar};
use yaml_serde::{Mapping, Value};

/// Serializes `value` exactly as DVC's ruamel.yaml dumper does.
pub fn to_string(value: &Value) -> String {
    let mut emitter = Emitter::default();
    emitter.node(value, Context::ROOT);
    // expect_document_end
    emitter.write_indent();
    emitter.out
}

/// What ruamel's `analyze_scalar` finds out about a scalar.
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
    allow_double_quoted: bool,
}

fn is_break(ch: char) -> bool {
    matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_whitespace_or_nul(ch: char) -> bool {
    matches!(
        ch,
        '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn is_printable_unicode(ch: char) -> bool {
    (ch == '\u{85}'
        || ('\u{a0}'..='\u{d7ff}').contains(&ch)
        || ('\u{e000}'..='\u{fffd}').contains(&ch)
        || ('\u{10000}'..='\u{10ffff}').contains(&ch))
        && ch != '\u{feff}'
}

fn analyze_scalar(scalar: &[char]) -> Analysis {
    if scalar.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
            allow_double_quoted: true,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;

    let starts_with = |prefix: &str| {
        prefix.chars().count() <= scalar.len() && prefix.chars().zip(scalar).all(|(a, b)| a == *b)
    };
    if starts_with("---") || starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = scalar.len() == 1 || is_whitespace_or_nul(scalar[1]);
    let mut previous_space = false;
    let mut previous_break = false;

    for (index, &ch) in scalar.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                if scalar.len() == 1 {
                    flow_indicators = true;
                }
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='\u{7e}').contains(&ch) || is_printable_unicode(ch)) {
            special_characters = true;
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == scalar.len() - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == scalar.len() - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_whitespace_or_nul(ch);
        followed_by_whitespace =
            index + 2 >= scalar.len() || is_whitespace_or_nul(scalar[index + 2]);
    }

    let mut allow_flow_plain = true;
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    let allow_double_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if break_space {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if special_characters || space_break {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if flow_indicators {
        allow_flow_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain,
        allow_block_plain,
        allow_single_quoted,
        allow_double_quoted,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

#[derive(Clone, Copy, Default)]
struct Context {
    root: bool,
    sequence: bool,
    mapping: bool,
    simple_key: bool,
}

impl Context {
    const ROOT: Context = Context {
        root: true,
        sequence: false,
        mapping: false,
        simple_key: false,
    };
    const SEQUENCE: Context = Context {
        root: false,
        sequence: true,
        mapping: false,
        simple_key: false,
    };
    const MAPPING: Context = Context {
        root: false,
        sequence: false,
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Context = Context {
        root: false,
        sequence: false,
        mapping: true,
        simple_key: true,
    };
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;
const MAX_SIMPLE_KEY_LENGTH: usize = 128;

/// The state of ruamel's `Emitter` that matters for block output without comments.
struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    no_newline: bool,
    indent: Option<usize>,
    /// (previous indent, pushed for a sequence) — ruamel's `Indents`.
    indents: Vec<(Option<usize>, bool)>,
    flow_level: usize,
    context: Context,
}

impl Default for Emitter {
    fn default() -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            no_newline: false,
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
            context: Context::default(),
        }
    }
}

impl Emitter {
    fn seq_seq(&self) -> bool {
        self.indents.len() >= 2
            && self.indents[self.indents.len() - 2].1
            && self.indents[self.indents.len() - 1].1
    }

    fn increase_indent(&mut self, flow: bool, sequence: bool, indentless: bool) {
        self.indents.push((self.indent, sequence));
        match self.indent {
            None => {
                // ruamel: flow → requested_indent (None here), block → 0
                self.indent = if flow { None } else { Some(0) };
            }
            Some(indent) if !indentless => {
                self.indent = Some(indent + BEST_INDENT);
            }
            Some(_) => {}
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().and_then(|(indent, _)| indent);
    }

    fn seq_flow_align(&self) -> usize {
        // ruamel's Indents.seq_flow_align without pre-comments
        if self.indents.len() < 2 || !self.indents[self.indents.len() - 1].1 {
            return 0;
        }
        let base = self.indents[self.indents.len() - 1].0.unwrap_or(0);
        (base + BEST_INDENT).saturating_sub(self.column + 1)
    }

    fn write_raw(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.write_raw(indicator);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            if self.no_newline {
                self.no_newline = false;
            } else {
                self.write_line_break();
            }
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = indent - self.column;
            self.out.extend(std::iter::repeat_n(' ', pad));
            self.column = indent;
        }
    }

    fn write_line_break(&mut self) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push('\n');
    }

    fn node(&mut self, value: &Value, context: Context) {
        self.context = context;
        match value {
            Value::Sequence(items) => {
                if self.flow_level > 0 || items.is_empty() {
                    self.empty_flow_collection("[", "]", true);
                } else {
                    self.block_sequence(items);
                }
            }
            Value::Mapping(mapping) => {
                if self.flow_level > 0 || mapping.is_empty() {
                    self.empty_flow_collection("{", "}", false);
                } else {
                    self.block_mapping(mapping);
                }
            }
            Value::Tagged(tagged) => self.node(&tagged.value, context),
            scalar => {
                let represented = represent_scalar(scalar, context.root);
                self.scalar(&represented);
            }
        }
    }

    /// `expect_flow_sequence`/`expect_flow_mapping` followed by the closing event: DVC's files
    /// only ever contain empty flow collections.
    fn empty_flow_collection(&mut self, open: &str, close: &str, sequence: bool) {
        let align = self.seq_flow_align();
        let indicator = format!("{}{open}", " ".repeat(align));
        self.write_indicator(&indicator, true, true, false);
        self.increase_indent(true, sequence, false);
        if sequence && self.seq_seq() {
            self.indention = true;
            self.no_newline = false;
        }
        self.flow_level += 1;
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator(close, false, false, false);
        if self.flow_level == 0 {
            self.write_line_break();
        }
    }

    fn block_sequence(&mut self, items: &[Value]) {
        let indentless = if self.context.mapping {
            !self.indention
        } else {
            false
        };
        self.increase_indent(false, true, indentless);
        if self.seq_seq() {
            self.indention = true;
            self.no_newline = false;
        }
        for item in items {
            let no_newline = if self.column == 0 {
                self.no_newline
            } else {
                false
            };
            self.write_indent();
            self.write_indicator("-", true, false, true);
            if no_newline {
                self.no_newline = true;
            }
            self.node(item, Context::SEQUENCE);
        }
        self.pop_indent();
        self.no_newline = false;
    }

    fn block_mapping(&mut self, mapping: &Mapping) {
        self.increase_indent(false, false, false);
        for (key, value) in mapping {
            self.write_indent();
            let key_scalar = represent_key(key);
            let key_chars: Vec<char> = key_scalar.text.chars().collect();
            let analysis = analyze_scalar(&key_chars);
            // ruamel counts the (never written) tag, e.g. `!!str`, towards the key length.
            let length = key_chars.len() + implicit_tag_length(key);
            let simple = length < MAX_SIMPLE_KEY_LENGTH && !analysis.multiline;
            if simple {
                self.context = Context::SIMPLE_KEY;
                self.scalar(&key_scalar);
                // expect_block_mapping_simple_value
                self.write_indicator(":", false, false, false);
                self.node(value, Context::MAPPING);
            } else {
                self.write_indicator("?", true, false, true);
                self.context = Context::MAPPING;
                self.scalar(&key_scalar);
                // expect_block_mapping_value
                self.write_indent();
                self.write_indicator(":", true, false, true);
                self.node(value, Context::MAPPING);
            }
        }
        self.pop_indent();
    }

    fn choose_style(&self, scalar: &ScalarText, analysis: &Analysis) -> Style {
        let simple_key = self.context.simple_key;
        if scalar.plain_implicit
            && !(simple_key && (analysis.empty || analysis.multiline))
            && ((self.flow_level > 0 && analysis.allow_flow_plain)
                || (self.flow_level == 0 && analysis.allow_block_plain))
        {
            return Style::Plain;
        }
        if analysis.allow_double_quoted
            && (scalar.text.contains('\'') || scalar.text.contains('\n'))
        {
            return Style::Double;
        }
        if analysis.allow_single_quoted && !(simple_key && analysis.multiline) {
            return Style::Single;
        }
        Style::Double
    }

    /// `expect_scalar` + `process_scalar`.
    fn scalar(&mut self, scalar: &ScalarText) {
        self.increase_indent(true, false, false);
        let chars: Vec<char> = scalar.text.chars().collect();
        let analysis = analyze_scalar(&chars);
        let style = self.choose_style(scalar, &analysis);
        let split = !self.context.simple_key;
        if self.context.sequence && self.flow_level == 0 {
            self.write_indent();
        }
        match style {
            Style::Plain => self.write_plain(&chars, split),
            Style::Single => self.write_single_quoted(&chars, split),
            Style::Double => self.write_double_quoted(&chars, split),
        }
        self.pop_indent();
    }

    fn write_chars(&mut self, chars: &[char]) {
        self.column += chars.len();
        self.out.extend(chars);
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_raw(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let mut spaces = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column >= BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if ch.is_none_or(|ch| ch == ' ' || is_break(ch)) {
                let data = &text[start..end];
                if data.len() + self.column > BEST_WIDTH
                    && self.indent.is_some_and(|indent| self.column > indent)
                {
                    // words longer than the line get a line of their own
                    self.write_indent();
                }
                self.write_chars(data);
                start = end;
            }
            if let Some(ch) = ch {
                spaces = ch == ' ';
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|ch| !is_break(ch)) {
                    if text[start] == '\n' {
                        self.write_line_break();
                    }
                    for &br in &text[start..end] {
                        if br == '\n' {
                            self.write_line_break();
                        } else {
                            self.whitespace = true;
                            self.indention = true;
                            self.column = 0;
                            self.out.push(br);
                        }
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|ch| ch == ' ' || is_break(ch) || ch == '\'') && start < end {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write_raw("''");
                start = end + 1;
            }
            if let Some(ch) = ch {
                spaces = ch == ' ';
                breaks = is_break(ch);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            let needs_escape = ch.is_none_or(|ch| {
                matches!(
                    ch,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                ) || !((' '..='\u{7e}').contains(&ch)
                    || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                    || ('\u{e000}'..='\u{fffd}').contains(&ch)
                    || ('\u{10000}'..='\u{10ffff}').contains(&ch))
            });
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(ch) = ch {
                    let escaped = double_quoted_escape(ch);
                    self.write_raw(&escaped);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && signed(self.column) + signed(end) - signed(start) > signed(BEST_WIDTH)
                && split
            {
                let need_backslash = double_quoted_needs_backslash(text, start, end);
                let mut data: String = text.get(start..end).unwrap_or_default().iter().collect();
                if need_backslash {
                    data.push('\\');
                }
                if start < end {
                    start = end;
                }
                self.write_raw(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    if need_backslash {
                        self.write_raw("\\");
                    } else {
                        start += 1;
                    }
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

fn signed(value: usize) -> isize {
    isize::try_from(value).unwrap_or(isize::MAX)
}

/// The `need_backslash` decision of ruamel's `write_double_quoted` when it folds a line.
fn double_quoted_needs_backslash(text: &[char], start: usize, end: usize) -> bool {
    if text.len() <= end {
        return true;
    }
    let Some(mut space_pos) = text[end..].iter().position(|c| *c == ' ').map(|p| p + end) else {
        return true;
    };
    if let Some(newline) = text[end..space_pos].iter().position(|c| *c == '\n') {
        space_pos = newline + end;
    }
    let Some(&after) = text.get(space_pos + 1) else {
        return true;
    };
    if text[space_pos] == '\n' && after != ' ' {
        return true;
    }
    let quote_free = !text[end..space_pos].iter().any(|c| *c == '"' || *c == '\'');
    let double_space = end >= 1 && text.get(end - 1) == Some(&' ') && text.get(end) == Some(&' ');
    !(quote_free && after != ' ' && after != '\n' && !double_space && start != end)
}

fn double_quoted_escape(ch: char) -> String {
    let short = match ch {
        '\0' => Some('0'),
        '\u{7}' => Some('a'),
        '\u{8}' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\u{b}' => Some('v'),
        '\u{c}' => Some('f'),
        '\r' => Some('r'),
        '\u{1b}' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{a0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    let code = u32::from(ch);
    match short {
        Some(letter) => format!("\\{letter}"),
        None if code <= 0xff => format!("\\x{code:02X}"),
        None if code <= 0xffff => format!("\\u{code:04X}"),
        None => format!("\\U{code:08X}"),
    }
}

/// Length of the short tag (`!!str`, `!!int`, ...) ruamel's `check_simple_key` adds to a key.
fn implicit_tag_length(key: &Value) -> usize {
    match key {
        Value::Null => "!!null".len(),
        Value::Bool(_) => "!!bool".len(),
        Value::Number(number) if number.is_f64() => "!!float".len(),
        Value::Number(_) => "!!int".len(),
        Value::String(_) => "!!str".len(),
        Value::Sequence(_) | Value::Mapping(_) => 0,
        Value::Tagged(tagged) => implicit_tag_length(&tagged.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::test_values::{mapping, string};

    #[test]
    fn emits_dvc_out_layout() {
        let out = mapping(&[
            ("md5", string("b1946ac92492d2347c6235b4d2611184")),
            ("size", Value::Number(6.into())),
            ("isexec", Value::Bool(true)),
            ("hash", string("md5")),
            ("path", string("a.txt")),
        ]);
        let doc = mapping(&[("outs", Value::Sequence(vec![out]))]);
        assert_eq!(
            to_string(&doc),
            "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  isexec: true\n  hash: md5\n  path: a.txt\n"
        );
    }
}
