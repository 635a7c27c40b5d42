//! Params in Python files (spec §11.1), read the way DVC's `parse_py` reads them with `ast`:
//! module-level assignments, class attributes (a class becomes a nested mapping) and
//! `self.x = ...` assignments directly in an `__init__`, each only when its value is a Python
//! literal (`ast.literal_eval`). Anything else (calls, names, chained or tuple assignments,
//! statements inside `if`/`for`/other functions) is skipped, as DVC skips it.
//!
//! This is a small Python lexer, not a parser: it splits the file into logical lines and
//! blocks by indentation, recognises assignment statements and evaluates literal values.

use dv_schema::yaml::{Mapping, Number, Value};

/// A Python file DVC's `ast.parse` would reject (only the errors the lexer can see).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Python file structure is corrupted: {reason} (line {line})")]
pub struct PythonSyntaxError {
    /// What is wrong.
    pub reason: String,
    /// 1-based line.
    pub line: usize,
}

/// Parses the params of a Python file.
pub(crate) fn parse(text: &str) -> Result<Mapping, PythonSyntaxError> {
    let lines = logical_lines(text)?;
    check_indentation_levels(&lines)?;
    Ok(collect(&lines, Scope::Module))
}

/// Python's tokenizer refuses more brackets open at once than this ("too many nested
/// parentheses"); the bound also keeps the literal parser's recursion shallow.
const MAX_NESTED_BRACKETS: usize = 200;

/// Python's tokenizer refuses this many indentation levels ("too many levels of indentation");
/// the bound also keeps the recursion over nested classes shallow.
const MAX_INDENTATION_LEVELS: usize = 100;

/// Fails like Python's tokenizer on a file nesting [`MAX_INDENTATION_LEVELS`] blocks.
fn check_indentation_levels(lines: &[LogicalLine]) -> Result<(), PythonSyntaxError> {
    let mut stack: Vec<usize> = Vec::new();
    for line in lines {
        while stack.last().is_some_and(|&top| top > line.indent) {
            stack.pop();
        }
        if line.indent > stack.last().copied().unwrap_or(0) {
            stack.push(line.indent);
            if stack.len() >= MAX_INDENTATION_LEVELS {
                return Err(PythonSyntaxError {
                    reason: "too many levels of indentation".to_owned(),
                    line: line.line,
                });
            }
        }
    }
    Ok(())
}

/// A logical line: its indentation width, text without comments (continuations joined) and
/// 1-based first line.
#[derive(Debug)]
struct LogicalLine {
    indent: usize,
    text: String,
    line: usize,
}

fn logical_lines(text: &str) -> Result<Vec<LogicalLine>, PythonSyntaxError> {
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut start_line = 1usize;
    let mut at_line_start = true;
    let mut indent = 0usize;
    let mut index = 0usize;
    let finish =
        |current: &mut String, lines: &mut Vec<LogicalLine>, indent: usize, line: usize| {
            let text = current.trim().to_owned();
            if !text.is_empty() {
                lines.push(LogicalLine { indent, text, line });
            }
            current.clear();
        };
    while index < chars.len() {
        let ch = chars[index];
        if at_line_start {
            // measure the indentation of a new logical line
            let mut width = 0usize;
            while index < chars.len() && matches!(chars[index], ' ' | '\t' | '\u{c}') {
                width = match chars[index] {
                    '\t' => (width / 8 + 1) * 8,
                    '\u{c}' => 0,
                    _ => width + 1,
                };
                index += 1;
            }
            indent = width;
            start_line = line;
            at_line_start = false;
            continue;
        }
        match ch {
            '#' => {
                while index < chars.len() && chars[index] != '\n' {
                    index += 1;
                }
            }
            '\\' if chars.get(index + 1) == Some(&'\n') => {
                current.push(' ');
                index += 2;
                line += 1;
            }
            '\\' if chars.get(index + 1) == Some(&'\r') && chars.get(index + 2) == Some(&'\n') => {
                current.push(' ');
                index += 3;
                line += 1;
            }
            '\n' => {
                line += 1;
                index += 1;
                if depth == 0 {
                    finish(&mut current, &mut lines, indent, start_line);
                    at_line_start = true;
                } else {
                    current.push(' ');
                }
            }
            '(' | '[' | '{' => {
                if depth >= MAX_NESTED_BRACKETS {
                    return Err(PythonSyntaxError {
                        reason: "too many nested parentheses".to_owned(),
                        line,
                    });
                }
                depth += 1;
                current.push(ch);
                index += 1;
            }
            ')' | ']' | '}' => {
                depth = depth.checked_sub(1).ok_or_else(|| PythonSyntaxError {
                    reason: format!("unmatched '{ch}'"),
                    line,
                })?;
                current.push(ch);
                index += 1;
            }
            '\'' | '"' => {
                let triple = chars.get(index + 1) == Some(&ch) && chars.get(index + 2) == Some(&ch);
                let quote_len = if triple { 3 } else { 1 };
                current.extend(&chars[index..index + quote_len]);
                index += quote_len;
                let string_line = line;
                loop {
                    let Some(&next) = chars.get(index) else {
                        return Err(PythonSyntaxError {
                            reason: "unterminated string literal".to_owned(),
                            line: string_line,
                        });
                    };
                    if next == '\\' {
                        current.push(next);
                        if let Some(&escaped) = chars.get(index + 1) {
                            current.push(escaped);
                            if escaped == '\n' {
                                line += 1;
                            }
                        }
                        index += 2;
                        continue;
                    }
                    if next == '\n' {
                        if !triple {
                            return Err(PythonSyntaxError {
                                reason: "unterminated string literal".to_owned(),
                                line: string_line,
                            });
                        }
                        line += 1;
                    }
                    if next == ch
                        && (!triple
                            || (chars.get(index + 1) == Some(&ch)
                                && chars.get(index + 2) == Some(&ch)))
                    {
                        current.extend(&chars[index..index + quote_len]);
                        index += quote_len;
                        break;
                    }
                    current.push(next);
                    index += 1;
                }
            }
            _ => {
                current.push(ch);
                index += 1;
            }
        }
    }
    if depth > 0 {
        return Err(PythonSyntaxError {
            reason: "unexpected end of file inside brackets".to_owned(),
            line,
        });
    }
    finish(&mut current, &mut lines, indent, start_line);
    Ok(lines)
}

/// Which assignments a block contributes (`_ast_tree_to_dict`'s `only_self_params`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Module or class body: `name = ...` (and `self.name = ...`).
    Module,
    /// An `__init__` body: only `self.name = ...`.
    Init,
}

const COMPOUND_KEYWORDS: [&str; 11] = [
    "if", "elif", "else", "for", "while", "with", "try", "except", "finally", "async", "def",
];

fn collect(lines: &[LogicalLine], scope: Scope) -> Mapping {
    let mut result = Mapping::new();
    let mut index = 0;
    while index < lines.len() {
        let line = &lines[index];
        let body_end = lines[index + 1..]
            .iter()
            .position(|next| next.indent <= line.indent)
            .map_or(lines.len(), |offset| index + 1 + offset);
        let body = &lines[index + 1..body_end];
        let keyword = first_word(&line.text);
        if keyword == "class" {
            if let Some((name, inline)) = class_header(&line.text) {
                let attributes = match inline {
                    Some(inline) => collect(&inline_lines(inline, line), Scope::Module),
                    None => collect(body, Scope::Module),
                };
                result.insert(Value::String(name), Value::Mapping(attributes));
            }
        } else if keyword == "def" {
            if let Some(inline) = init_header(&line.text) {
                let attributes = match inline {
                    Some(inline) => collect(&inline_lines(inline, line), Scope::Init),
                    None => collect(body, Scope::Init),
                };
                for (key, value) in attributes {
                    result.insert(key, value);
                }
            }
        } else if !COMPOUND_KEYWORDS.contains(&keyword.as_str()) && !is_soft_compound(&line.text) {
            for statement in split_top_level(&line.text, ';') {
                if let Some((name, value)) = assignment(statement, scope) {
                    result.insert(Value::String(name), value);
                }
            }
        }
        index = body_end;
    }
    result
}

/// The statements after a compound header's colon, as lines of a block.
fn inline_lines(inline: &str, header: &LogicalLine) -> Vec<LogicalLine> {
    vec![LogicalLine {
        indent: header.indent + 1,
        text: inline.to_owned(),
        line: header.line,
    }]
}

fn first_word(text: &str) -> String {
    text.chars()
        .take_while(|ch| ch.is_alphanumeric() || *ch == '_')
        .collect()
}

/// `match x:` / `case y:` headers (soft keywords) and decorators, which hold no params.
fn is_soft_compound(text: &str) -> bool {
    if text.starts_with('@') {
        return true;
    }
    let word = first_word(text);
    (word == "match" || word == "case")
        && text.ends_with(':')
        && assignment_positions(text).is_empty()
}

/// `class Name(...):` → the name and the inline body, if any.
fn class_header(text: &str) -> Option<(String, Option<&str>)> {
    let rest = text.strip_prefix("class")?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|ch| ch.is_alphanumeric() || *ch == '_')
        .collect();
    if name.is_empty() {
        return None;
    }
    let colon = top_level_positions(text, ':').first().copied()?;
    let inline = text[colon + 1..].trim();
    Some((name, (!inline.is_empty()).then_some(inline)))
}

/// `def __init__(...):` → the inline body, if any; `None` for any other function.
fn init_header(text: &str) -> Option<Option<&str>> {
    let rest = text.strip_prefix("def")?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|ch| ch.is_alphanumeric() || *ch == '_')
        .collect();
    if name != "__init__" {
        return None;
    }
    let colon = top_level_positions(text, ':').first().copied()?;
    let inline = text[colon + 1..].trim();
    Some((!inline.is_empty()).then_some(inline))
}

/// Byte positions of `wanted` outside strings and brackets.
fn top_level_positions(text: &str, wanted: char) -> Vec<usize> {
    let mut positions = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<(char, bool)> = None;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut index = 0;
    while index < bytes.len() {
        let (position, ch) = bytes[index];
        if let Some((q, triple)) = quote {
            if ch == '\\' {
                index += 2;
                continue;
            }
            if ch == q {
                if !triple {
                    quote = None;
                } else if bytes.get(index + 1).map(|b| b.1) == Some(q)
                    && bytes.get(index + 2).map(|b| b.1) == Some(q)
                {
                    quote = None;
                    index += 2;
                }
            }
            index += 1;
            continue;
        }
        match ch {
            '\'' | '"' => {
                let triple = bytes.get(index + 1).map(|b| b.1) == Some(ch)
                    && bytes.get(index + 2).map(|b| b.1) == Some(ch);
                quote = Some((ch, triple));
                if triple {
                    index += 2;
                }
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ if ch == wanted && depth == 0 => positions.push(position),
            _ => {}
        }
        index += 1;
    }
    positions
}

fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for position in top_level_positions(text, separator) {
        parts.push(text[start..position].trim());
        start = position + separator.len_utf8();
    }
    parts.push(text[start..].trim());
    parts.into_iter().filter(|part| !part.is_empty()).collect()
}

/// Positions of top-level `=` that assign (not `==`, `<=`, `+=`, `:=`, ...).
fn assignment_positions(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    top_level_positions(text, '=')
        .into_iter()
        .filter(|&position| {
            let next = bytes.get(position + 1).copied();
            let previous = position.checked_sub(1).and_then(|p| bytes.get(p)).copied();
            next != Some(b'=')
                && !matches!(
                    previous,
                    Some(
                        b'=' | b'!'
                            | b'<'
                            | b'>'
                            | b':'
                            | b'+'
                            | b'-'
                            | b'*'
                            | b'/'
                            | b'%'
                            | b'&'
                            | b'|'
                            | b'^'
                            | b'@'
                    )
                )
        })
        .collect()
}

/// A simple statement as DVC reads it: `Some((name, value))` for a single-target assignment of a
/// literal to a name (`Module` scope) or to `self.name`.
fn assignment(statement: &str, scope: Scope) -> Option<(String, Value)> {
    let equals = assignment_positions(statement);
    let first = *equals.first()?;
    let colons: Vec<usize> = top_level_positions(statement, ':')
        .into_iter()
        .filter(|&colon| colon < first)
        .collect();
    let target = match colons.first() {
        // `target: annotation = value`
        Some(&colon) => &statement[..colon],
        None if equals.len() == 1 => &statement[..first],
        None => return None, // `a = b = 1`
    };
    let name = target_name(target.trim(), scope)?;
    let value = literal(statement[first + 1..].trim())?;
    Some((name, value))
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(|ch| ch.is_alphanumeric() || ch == '_')
}

fn target_name(target: &str, scope: Scope) -> Option<String> {
    if is_identifier(target) {
        return (scope == Scope::Module).then(|| target.to_owned());
    }
    let (object, attribute) = target.split_once('.')?;
    let attribute = attribute.trim();
    (object.trim() == "self" && is_identifier(attribute)).then(|| attribute.to_owned())
}

/// `ast.literal_eval` of `text`, when the result is representable as a YAML value.
fn literal(text: &str) -> Option<Value> {
    let tokens = tokenize(text)?;
    let mut parser = LiteralParser { tokens, index: 0 };
    let value = parser.expression()?;
    (parser.index == parser.tokens.len()).then_some(value)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Value),
    Str(String),
    /// A bytes literal: valid Python, but DVC's values cannot hold it.
    Bytes,
    Name(String),
    Punct(char),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let ch = chars[index];
        if ch.is_whitespace() {
            index += 1;
            continue;
        }
        if ch.is_ascii_digit()
            || (ch == '.' && chars.get(index + 1).is_some_and(char::is_ascii_digit))
        {
            let start = index;
            while index < chars.len()
                && (chars[index].is_ascii_alphanumeric()
                    || chars[index] == '_'
                    || chars[index] == '.'
                    || ((chars[index] == '+' || chars[index] == '-')
                        && matches!(chars[index - 1], 'e' | 'E')
                        && !chars[start..index].iter().any(|c| matches!(c, 'x' | 'X'))))
            {
                index += 1;
            }
            let literal: String = chars[start..index].iter().collect();
            tokens.push(Token::Number(number(&literal)?));
            continue;
        }
        if ch.is_alphabetic() || ch == '_' {
            let start = index;
            while index < chars.len() && (chars[index].is_alphanumeric() || chars[index] == '_') {
                index += 1;
            }
            let word: String = chars[start..index].iter().collect();
            if matches!(chars.get(index), Some('\'' | '"')) && is_string_prefix(&word) {
                let (token, end) = string(&chars, index, &word.to_lowercase())?;
                tokens.push(token);
                index = end;
                continue;
            }
            tokens.push(Token::Name(word));
            continue;
        }
        if ch == '\'' || ch == '"' {
            let (token, end) = string(&chars, index, "")?;
            tokens.push(token);
            index = end;
            continue;
        }
        if "()[]{},:+-".contains(ch) {
            tokens.push(Token::Punct(ch));
            index += 1;
            continue;
        }
        return None;
    }
    Some(tokens)
}

fn is_string_prefix(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "r" | "u" | "b" | "br" | "rb" | "f" | "fr" | "rf"
    )
}

/// Reads a string literal starting at the quote `chars[start]` with `prefix` (lower case).
fn string(chars: &[char], start: usize, prefix: &str) -> Option<(Token, usize)> {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let quote_len = if triple { 3 } else { 1 };
    let raw = prefix.contains('r');
    let mut index = start + quote_len;
    let mut body = Vec::new();
    loop {
        let ch = *chars.get(index)?;
        if ch == '\\' {
            body.push(ch);
            body.push(*chars.get(index + 1)?);
            index += 2;
            continue;
        }
        if ch == quote
            && (!triple
                || (chars.get(index + 1) == Some(&quote) && chars.get(index + 2) == Some(&quote)))
        {
            index += quote_len;
            break;
        }
        body.push(ch);
        index += 1;
    }
    if prefix.contains('f') {
        return None; // an f-string is not a literal
    }
    if prefix.contains('b') {
        return Some((Token::Bytes, index));
    }
    let text = if raw {
        body.iter().collect()
    } else {
        unescape(&body)?
    };
    Some((Token::Str(text), index))
}

fn unescape(body: &[char]) -> Option<String> {
    let mut out = String::new();
    let mut index = 0;
    while index < body.len() {
        let ch = body[index];
        if ch != '\\' {
            out.push(ch);
            index += 1;
            continue;
        }
        let escaped = *body.get(index + 1)?;
        index += 2;
        match escaped {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '0'..='7' => {
                let mut code = escaped.to_digit(8)?;
                for _ in 0..2 {
                    match body.get(index).and_then(|c| c.to_digit(8)) {
                        Some(digit) => {
                            code = code * 8 + digit;
                            index += 1;
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(code)?);
            }
            'x' | 'u' | 'U' => {
                let width = match escaped {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let digits: String = body.get(index..index + width)?.iter().collect();
                index += width;
                out.push(char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?);
            }
            'N' => return None, // named escapes: not supported
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// A Python number literal (`1_000`, `0x1F`, `1e-05`, `.5`); `None` for imaginary numbers and
/// integers too large for 64 bits.
fn number(literal: &str) -> Option<Value> {
    let lower = literal.to_lowercase();
    if lower.ends_with('j') || lower.contains("__") || lower.ends_with('_') {
        return None;
    }
    let clean = lower.replace('_', "");
    let radix = |digits: &str, radix: u32| -> Option<Value> {
        u64::from_str_radix(digits, radix)
            .ok()
            .map(|value| Value::Number(Number::from(value)))
    };
    if let Some(digits) = clean.strip_prefix("0x") {
        return radix(digits, 16);
    }
    if let Some(digits) = clean.strip_prefix("0o") {
        return radix(digits, 8);
    }
    if let Some(digits) = clean.strip_prefix("0b") {
        return radix(digits, 2);
    }
    if clean.contains(['.', 'e']) {
        return clean
            .parse::<f64>()
            .ok()
            .map(|value| Value::Number(Number::from(value)));
    }
    if clean.len() > 1 && clean.starts_with('0') && clean.chars().any(|c| c != '0') {
        return None; // leading zeros are a syntax error in Python 3
    }
    clean
        .parse::<u64>()
        .ok()
        .map(|value| Value::Number(Number::from(value)))
}

struct LiteralParser {
    tokens: Vec<Token>,
    index: usize,
}

impl LiteralParser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.index)
    }

    fn eat(&mut self, punct: char) -> bool {
        if self.peek() == Some(&Token::Punct(punct)) {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn expression(&mut self) -> Option<Value> {
        // literal_eval accepts one sign directly on a number
        if self.eat('-') {
            return match self.tokens.get(self.index).cloned() {
                Some(Token::Number(value)) => {
                    self.index += 1;
                    negate(&value)
                }
                _ => None,
            };
        }
        if self.eat('+') {
            return match self.tokens.get(self.index).cloned() {
                Some(Token::Number(value)) => {
                    self.index += 1;
                    Some(value)
                }
                _ => None,
            };
        }
        let token = self.tokens.get(self.index).cloned()?;
        self.index += 1;
        match token {
            Token::Number(value) => Some(value),
            Token::Str(mut text) => {
                // implicit concatenation of adjacent literals
                while let Some(Token::Str(next)) = self.peek() {
                    text.push_str(next);
                    self.index += 1;
                }
                if matches!(self.peek(), Some(Token::Bytes)) {
                    return None;
                }
                Some(Value::String(text))
            }
            Token::Bytes => None,
            Token::Name(name) => match name.as_str() {
                "True" => Some(Value::Bool(true)),
                "False" => Some(Value::Bool(false)),
                "None" => Some(Value::Null),
                "set" if self.eat('(') && self.eat(')') => Some(Value::Sequence(Vec::new())),
                _ => None,
            },
            Token::Punct('[') => self.items(']').map(Value::Sequence),
            Token::Punct('(') => {
                if self.eat(')') {
                    return Some(Value::Sequence(Vec::new()));
                }
                let first = self.expression()?;
                if self.eat(')') {
                    return Some(first); // parenthesised expression
                }
                if !self.eat(',') {
                    return None;
                }
                let mut items = vec![first];
                items.extend(self.items(')')?);
                Some(Value::Sequence(items))
            }
            Token::Punct('{') => self.braces(),
            Token::Punct(_) => None,
        }
    }

    /// Comma-separated items up to `close` (a trailing comma allowed).
    fn items(&mut self, close: char) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.expression()?);
            if self.eat(close) {
                return Some(items);
            }
            if !self.eat(',') {
                return None;
            }
        }
    }

    /// A dict or set display after `{`.
    fn braces(&mut self) -> Option<Value> {
        if self.eat('}') {
            return Some(Value::Mapping(Mapping::new()));
        }
        let first = self.expression()?;
        if self.eat(':') {
            let mut map = Mapping::new();
            let value = self.expression()?;
            map.insert(first, value);
            loop {
                if self.eat('}') {
                    return Some(Value::Mapping(map));
                }
                if !self.eat(',') {
                    return None;
                }
                if self.eat('}') {
                    return Some(Value::Mapping(map));
                }
                let key = self.expression()?;
                if !self.eat(':') {
                    return None;
                }
                let value = self.expression()?;
                map.insert(key, value);
            }
        }
        let mut items = vec![first];
        if self.eat('}') {
            return Some(Value::Sequence(items));
        }
        if !self.eat(',') {
            return None;
        }
        items.extend(self.items('}')?);
        let mut seen = std::collections::HashSet::new();
        items.retain(|item| seen.insert(item.clone()));
        Some(Value::Sequence(items))
    }
}

fn negate(value: &Value) -> Option<Value> {
    let Value::Number(number) = value else {
        return None;
    };
    if let Some(int) = number.as_u64() {
        if int == 0 {
            return Some(Value::Number(Number::from(0u64)));
        }
        return i64::try_from(int)
            .ok()
            .map(|int| Value::Number(Number::from(-int)))
            .or_else(|| (int == 1u64 << 63).then(|| Value::Number(Number::from(i64::MIN))));
    }
    number
        .as_f64()
        .map(|float| Value::Number(Number::from(-float)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_schema::yaml::to_string;

    fn params(text: &str) -> String {
        to_string(&Value::Mapping(parse(text).expect("valid python")))
    }

    #[test]
    fn module_class_and_init_params() {
        let text = r#"
import os
BATCH = 64  # comment
LR: float = 0.001
NAME = 'model' "_v2"
SHAPE = (1, 2)
LAYERS = [16, 32,
          64]
OPTS = {"a": 1, 'b': [True, None]}
NEG = -3
HEX = 0x1F
BIG = 1_000
X = Y = 1
a, b = 1, 2
CALL = os.getcwd()
if BATCH:
    HIDDEN = 1

class Conf:
    lr = 0.3
    epochs: int = 10
    def __init__(self):
        self.dropout = 0.5
        local = 1
        self.name = "x"; self.seq = [1]
    def other(self):
        self.ignored = 1

class Empty: pass

def __init__(self):
    self.top = True
    plain = 1

BATCH = 128
"#;
        assert_eq!(
            params(text),
            "BATCH: 128\nLR: 0.001\nNAME: model_v2\nSHAPE:\n- 1\n- 2\nLAYERS:\n- 16\n- 32\n- 64\n\
             OPTS:\n  a: 1\n  b:\n  - true\n  - \nNEG: -3\nHEX: 31\nBIG: 1000\nConf:\n  lr: 0.3\n  \
             epochs: 10\n  dropout: 0.5\n  name: x\n  seq:\n  - 1\nEmpty: {}\ntop: true\n"
        );
    }

    #[test]
    fn strings_and_numbers() {
        let text = "A = 'it\\'s'\nB = r'\\n'\nC = \"\"\"multi\nline\"\"\"\nD = 1e-05\nE = .5\n\
                    F = b'bytes'\nG = f'x{A}'\nH = 1j\nI = '\\x41\\u00e9'\nJ = {1, 2}\nK = set()\n";
        assert_eq!(
            params(text),
            "A: it's\nB: \\n\nC: \"multi\\nline\"\nD: 1e-05\nE: 0.5\nI: Aé\nJ:\n- 1\n- 2\nK: []\n"
        );
    }

    #[test]
    fn syntax_errors() {
        assert!(parse("A = 'open\n").is_err());
        assert!(parse("A = [1,\n").is_err());
    }

    #[test]
    fn nesting_is_bounded_like_python() {
        let brackets = |depth: usize| format!("A = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&brackets(200)).is_ok());
        let error = parse(&format!("B = 1\n{}", brackets(100_000))).expect_err("too deep");
        assert_eq!(error.line, 2);
        assert!(error.to_string().contains("too many nested parentheses"));
        let classes = |depth: usize| {
            let mut text: String = (0..depth)
                .map(|level| format!("{}class C{level}:\n", " ".repeat(level)))
                .collect();
            text.push_str(&format!("{}x = 1\n", " ".repeat(depth)));
            text
        };
        assert!(parse(&classes(99)).is_ok());
        let error = parse(&classes(100)).expect_err("too deep");
        assert_eq!(error.line, 101);
        assert!(error.to_string().contains("too many levels of indentation"));
        assert!(parse(&classes(1_000)).is_err());
    }

    #[test]
    fn large_sets_deduplicate_in_linear_time() {
        let items: Vec<String> = (0..100_000)
            .map(|item| (item % 50_000).to_string())
            .collect();
        let text = format!("S = {{{}}}\n", items.join(", "));
        let params = parse(&text).expect("parses");
        let Some(Value::Sequence(set)) = params.get("S") else {
            panic!("a set");
        };
        assert_eq!(set.len(), 50_000);
    }
}
