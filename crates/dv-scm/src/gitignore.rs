//! The `.gitignore` entries DVC writes for outputs (spec §5.2): `/name` in the output's parent
//! directory, glob characters escaped, appended at the end; removed again with the output, and
//! a `.gitignore` left empty is deleted.

use std::path::{Path, PathBuf};

use crate::ScmError;

/// `/` + the basename, with `\` before each of `[ ] ! * # ? \` (pathspec's escape).
pub fn escape_entry(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('/');
    for c in name.chars() {
        if matches!(c, '[' | ']' | '!' | '*' | '#' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ScmError + '_ {
    move |source| ScmError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Appends the entry for `output` (absolute) to its parent's `.gitignore` unless the exact
/// entry is already there. Returns the `.gitignore` path when it was changed.
pub fn ignore_entry_add(output: &Path) -> Result<Option<PathBuf>, ScmError> {
    let (Some(parent), Some(name)) = (output.parent(), output.file_name()) else {
        return Ok(None);
    };
    let entry = escape_entry(&name.to_string_lossy());
    let file = parent.join(".gitignore");
    let mut text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(&file)(e)),
    };
    if text.lines().any(|line| line == entry) {
        return Ok(None);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&entry);
    text.push('\n');
    std::fs::write(&file, text).map_err(io(&file))?;
    Ok(Some(file))
}

/// [`ignore_entry_add`] for many outputs: each `.gitignore` is read and written once, entries
/// appended in the order given. Returns the changed `.gitignore` files.
pub fn ignore_entries_add(outputs: &[PathBuf]) -> Result<Vec<PathBuf>, ScmError> {
    let mut by_dir: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for output in outputs {
        let (Some(parent), Some(name)) = (output.parent(), output.file_name()) else {
            continue;
        };
        let entry = escape_entry(&name.to_string_lossy());
        match by_dir.iter_mut().find(|(dir, _)| dir == parent) {
            Some((_, entries)) => entries.push(entry),
            None => by_dir.push((parent.to_path_buf(), vec![entry])),
        }
    }
    let mut changed = Vec::new();
    for (dir, entries) in by_dir {
        let file = dir.join(".gitignore");
        let mut text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(&file)(e)),
        };
        let mut present: std::collections::HashSet<String> =
            text.lines().map(str::to_owned).collect();
        let before = text.len();
        for entry in entries {
            if present.contains(&entry) {
                continue;
            }
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&entry);
            text.push('\n');
            present.insert(entry);
        }
        if text.len() != before {
            std::fs::write(&file, text).map_err(io(&file))?;
            changed.push(file);
        }
    }
    Ok(changed)
}

/// Removes the entry for `output` from its parent's `.gitignore` as scmrepo does: every line
/// equal (after trimming) to `/` + the basename is dropped — the *unescaped* name, so an entry
/// DVC escaped when adding it stays — the other lines are kept (line ends read as Python reads
/// them), and a file left with no lines at all is deleted. Returns the `.gitignore` path when it was rewritten (even
/// without a change, like DVC), `None` when it does not exist or was deleted.
pub fn ignore_entry_remove(output: &Path) -> Result<Option<PathBuf>, ScmError> {
    let (Some(parent), Some(name)) = (output.parent(), output.file_name()) else {
        return Ok(None);
    };
    let entry = format!("/{}", name.to_string_lossy());
    let file = parent.join(".gitignore");
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&file)(e)),
    };
    // Python reads with universal newlines: `\r\n` and `\r` end lines as `\n`.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = text
        .split_inclusive('\n')
        .filter(|line| line.trim() != entry.trim())
        .collect();
    if kept.is_empty() {
        std::fs::remove_file(&file).map_err(io(&file))?;
        return Ok(None);
    }
    std::fs::write(&file, kept).map_err(io(&file))?;
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn escapes_like_pathspec() {
        assert_eq!(escape_entry("my file#1.txt"), "/my file\\#1.txt");
        assert_eq!(escape_entry("[x].txt"), "/\\[x\\].txt");
        assert_eq!(escape_entry("!bang"), "/\\!bang");
        assert_eq!(escape_entry("a*b"), "/a\\*b");
        assert_eq!(escape_entry("q?.txt"), "/q\\?.txt");
        assert_eq!(escape_entry("back\\slash"), "/back\\\\slash");
    }

    #[test]
    fn add_appends_once_and_remove_deletes_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "x").unwrap();
        let out = dir.path().join("data");
        assert!(ignore_entry_add(&out).unwrap().is_some());
        assert!(ignore_entry_add(&out).unwrap().is_none());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "x\n/data\n"
        );
        ignore_entry_remove(&out).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "x\n"
        );
        // Other lines are kept as they were, blank ones included.
        std::fs::write(dir.path().join(".gitignore"), "\n/data\r\nx").unwrap();
        assert!(ignore_entry_remove(&out).unwrap().is_some());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "\nx"
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        ignore_entry_add(&sub.join("f")).unwrap();
        assert!(ignore_entry_remove(&sub.join("f")).unwrap().is_none());
        assert!(!sub.join(".gitignore").exists());
    }
}
