//! DVC's round trip of a hand-written YAML file it updates (`dvc.yaml` by `stage add`,
//! `freeze`, `unfreeze`; `.dvc` files), for texts whose only non-canonical parts are blank
//! lines and whole-line comments.
//!
//! DVC loads such a file with ruamel.yaml's round-trip loader and dumps it whole: every value
//! is written again as the emitter writes it (quotes it does not need dropped, indentation
//! normalized, long scalars folded at 80 columns), and only comments and blank lines are
//! carried over. ruamel attaches each run of comment and blank lines to the entry written just
//! before it, writes it right after that entry (so a key appended after it lands below it),
//! and forgets it with its entry when the entry is deleted. [`reemit`] follows those rules;
//! texts with anything else ruamel keeps (end-of-line comments, flow collections, block
//! scalars, anchors, tags, directives) are left to the in-place editor.

use super::emitter::to_string;
use super::reader::parse;
use crate::yaml_location::{PathSegment, YamlLocations};
use yaml_serde::{Mapping, Value};

/// The text DVC writes for `merged` when the file read was `previous` (which parses to
/// `old`); `None` when `previous` holds formatting this does not reproduce.
pub(crate) fn reemit(previous: &str, old: &Value, merged: &Value) -> Option<String> {
    if has_other_kept_formatting(previous) {
        return None;
    }
    let canonical = to_string(merged);
    let old_locations = YamlLocations::new(previous);
    let new_locations = YamlLocations::new(&canonical);
    let mut old_entries = Vec::new();
    entry_paths(old, &mut Vec::new(), &mut old_entries)?;
    let mut new_entries = Vec::new();
    entry_paths(merged, &mut Vec::new(), &mut new_entries)?;
    // Where each entry starts: in `previous` (entries of `old`) and in the canonical text
    // (entries of `merged`), as 1-based lines.
    let old_starts: Vec<(usize, &[PathSegment])> = old_entries
        .iter()
        .map(|path| Some((old_locations.entry(path)?.line, path.as_slice())))
        .collect::<Option<_>>()?;
    let mut new_starts: Vec<usize> = new_entries
        .iter()
        .map(|path| Some(new_locations.entry(path)?.line))
        .collect::<Option<_>>()?;
    new_starts.sort_unstable();
    new_starts.dedup();
    let canonical_lines: Vec<&str> = canonical.lines().collect();
    // The last canonical line written for the entry starting on `line`.
    let segment_end = |line: usize| {
        new_starts
            .iter()
            .find(|start| **start > line)
            .map_or(canonical_lines.len(), |next| next - 1)
    };
    // Comment and blank lines to write after canonical line N (0: before everything).
    let mut kept: Vec<(usize, &str)> = Vec::new();
    for (index, line) in previous.lines().enumerate() {
        let number = index + 1;
        let content = line.trim();
        if !(content.is_empty() || content.starts_with('#')) {
            continue;
        }
        let text = if content.is_empty() { "" } else { line };
        let before = old_starts
            .iter()
            .filter(|(start, _)| *start < number)
            .max_by_key(|(start, _)| *start);
        let after = match before {
            None => 0,
            Some((_, path)) => match new_locations.entry(path) {
                // Its entry is gone (deleted by the update): so is the comment.
                None => continue,
                Some(position) => segment_end(position.line),
            },
        };
        kept.push((after, text));
    }
    let mut out = String::with_capacity(canonical.len() + previous.len());
    let mut pending = kept.iter().peekable();
    for line_number in 0..=canonical_lines.len() {
        if line_number > 0 {
            out.push_str(canonical_lines[line_number - 1]);
            out.push('\n');
        }
        while let Some((_, text)) = pending.next_if(|(after, _)| *after == line_number) {
            out.push_str(text);
            out.push('\n');
        }
    }
    // Only a text that reads back as the merged value is written.
    let reparsed = parse(&out).ok()?;
    (to_string(&reparsed) == canonical).then_some(out)
}

/// The path of every mapping entry and sequence item of `value`, in document order; `None`
/// for keys a path cannot name (not strings or numbers).
fn entry_paths(
    value: &Value,
    path: &mut Vec<PathSegment>,
    out: &mut Vec<Vec<PathSegment>>,
) -> Option<()> {
    match value {
        Value::Mapping(map) => mapping_paths(map, path, out),
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(index));
                out.push(path.clone());
                entry_paths(item, path, out)?;
                path.pop();
            }
            Some(())
        }
        _ => Some(()),
    }
}

fn mapping_paths(
    map: &Mapping,
    path: &mut Vec<PathSegment>,
    out: &mut Vec<Vec<PathSegment>>,
) -> Option<()> {
    for (key, value) in map {
        let name = match key {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => return None,
        };
        path.push(PathSegment::Key(name));
        out.push(path.clone());
        entry_paths(value, path, out)?;
        path.pop();
    }
    Some(())
}

/// Whether `text` may hold formatting ruamel keeps other than blank lines and whole-line
/// comments: end-of-line comments, flow collections (other than empty ones), block scalars,
/// anchors, aliases, tags, complex keys, directives and document markers. Errs on the side
/// of yes.
fn has_other_kept_formatting(text: &str) -> bool {
    text.lines().any(|line| {
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            return false;
        }
        if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
            return true;
        }
        if line.contains(" #") || line.contains("\t#") || line.contains('\t') {
            return true;
        }
        let mut rest = content;
        while let Some(item) = rest.strip_prefix("- ") {
            rest = item.trim_start();
        }
        if rest.starts_with(['?', '&', '*', '!', '[', '{', '|', '>']) && !is_empty_flow(rest) {
            return true;
        }
        if rest.starts_with(['\'', '"']) {
            return false;
        }
        let value = match rest.split_once(": ") {
            Some((_, value)) => value.trim(),
            None => "",
        };
        value.starts_with(['&', '*', '!', '[', '{', '|', '>']) && !is_empty_flow(value)
    })
}

fn is_empty_flow(text: &str) -> bool {
    matches!(text, "[]" | "{}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::apply_diff;

    fn update(previous: &str, new: &str) -> Option<String> {
        let old = parse(previous).expect("valid previous");
        let mut merged = old.clone();
        apply_diff(&parse(new).expect("valid new"), &mut merged);
        reemit(previous, &old, &merged)
    }

    #[test]
    fn comments_and_blank_lines_follow_their_entry_as_in_ruamel() {
        let previous = "# top\n\nstages:\n  # first\n  a:\n    cmd: \"echo a\"\n    outs:\n      - o\n\n  b:\n    cmd: echo b\n    frozen: true\n\n  # third\n  c:\n    cmd: echo c\n# trailing\n";
        let new = "stages:\n  a:\n    cmd: echo a\n    outs:\n    - o\n    frozen: true\n  b:\n    cmd: echo b\n  c:\n    cmd: echo c\n";
        let text = update(previous, new).expect("re-emitted");
        assert_eq!(
            text,
            "# top\n\nstages:\n  # first\n  a:\n    cmd: echo a\n    outs:\n    - o\n\n    frozen: true\n  b:\n    cmd: echo b\n  c:\n    cmd: echo c\n# trailing\n"
        );
        let merged = parse(previous).expect("valid");
        assert_eq!(
            reemit(previous, &merged, &merged).as_deref(),
            Some(
                "# top\n\nstages:\n  # first\n  a:\n    cmd: echo a\n    outs:\n    - o\n\n  b:\n    cmd: echo b\n    frozen: true\n\n  # third\n  c:\n    cmd: echo c\n# trailing\n"
            )
        );
    }

    #[test]
    fn long_scalars_are_folded_and_other_formatting_is_left_alone() {
        let long = format!(
            "stages:\n  s:\n    cmd: echo {}\n",
            "word ".repeat(20).trim_end()
        );
        let text = update(&long, "stages:\n  s:\n    frozen: true\n").expect("reemitted");
        assert!(text.lines().all(|line| line.len() <= 81), "{text}");
        assert!(text.ends_with("    frozen: true\n"), "{text}");
        for kept in [
            "stages:\n  s:\n    cmd: echo\n    outs: [a]\n",
            "stages:\n  s:\n    cmd: |\n      echo\n",
            "stages:\n  s:  # note\n    cmd: echo\n",
            "stages:\n  s: &anchor\n    cmd: echo\n",
        ] {
            assert_eq!(
                update(kept, "stages:\n  s:\n    frozen: true\n"),
                None,
                "{kept}"
            );
        }
    }
}
