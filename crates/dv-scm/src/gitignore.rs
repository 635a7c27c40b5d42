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

fn refused(path: &Path, reason: impl Into<String>) -> ScmError {
    ScmError::Refused {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// A name that would not stay one line in a `.gitignore` (a line break would add lines of its
/// own choosing to the file).
fn breaks_lines(name: &str) -> bool {
    name.contains(['\n', '\r', '\0'])
}

/// The `.gitignore` next to `output` (absolute, below `root`) and the entry for it, once it is
/// safe to read and write: the output's parent lies below the git work tree `root`, no
/// directory from `root` down to it is a symbolic link, the `.gitignore` is a regular file or
/// missing (never a symbolic link, which git refuses to read too) and the name is one line.
/// `Ok(None)` when the output has no name.
fn target(root: &Path, output: &Path, escape: bool) -> Result<Option<(PathBuf, String)>, ScmError> {
    let (Some(parent), Some(name)) = (output.parent(), output.file_name()) else {
        return Ok(None);
    };
    let file = parent.join(".gitignore");
    let name = name.to_string_lossy();
    if breaks_lines(&name) {
        return Err(refused(
            &file,
            format!(
                "the output name '{}' contains a line break or NUL",
                name.escape_debug()
            ),
        ));
    }
    let Ok(below) = parent.strip_prefix(root) else {
        return Err(refused(
            &file,
            format!("it is outside the git work tree '{}'", root.display()),
        ));
    };
    let mut dir = root.to_path_buf();
    for component in below.components() {
        match component {
            std::path::Component::Normal(part) => dir.push(part),
            _ => {
                return Err(refused(
                    &file,
                    format!("it is outside the git work tree '{}'", root.display()),
                ));
            }
        }
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refused(
                    &file,
                    format!("'{}' is a symbolic link", dir.display()),
                ));
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(refused(
                    &file,
                    format!("'{}' is not a directory", dir.display()),
                ));
            }
            // A missing directory has no `.gitignore` to follow; reading it finds nothing.
            Ok(_) | Err(_) => {}
        }
    }
    match std::fs::symlink_metadata(&file) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(refused(&file, "it is a symbolic link"));
        }
        Ok(meta) if !meta.is_file() => return Err(refused(&file, "it is not a regular file")),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&file)(e)),
    }
    let entry = if escape {
        escape_entry(&name)
    } else {
        format!("/{name}")
    };
    Ok(Some((file, entry)))
}

/// The text of a `.gitignore` that [`target`] checked; empty when it does not exist. Opened
/// without following a symbolic link, so one swapped in after the check is not read either.
fn read(file: &Path) -> Result<Option<String>, ScmError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut handle = match options.open(file) {
        Ok(handle) => handle,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refused(file, "it is a symbolic link"));
        }
        Err(e) => return Err(io(file)(e)),
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut handle, &mut bytes).map_err(io(file))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| refused(file, "it is not UTF-8 text"))
}

/// Replaces the `.gitignore` with `text` through a temporary sibling and a rename: a reader
/// never sees half of it, the rename replaces (never follows) whatever is at the name, and an
/// existing file keeps its mode.
fn write(file: &Path, text: &str) -> Result<(), ScmError> {
    dv_fs::atomic::write_atomic(file, text.as_bytes()).map_err(|error| {
        let source = match error {
            dv_fs::atomic::AtomicWriteError::Write { source, .. }
            | dv_fs::atomic::AtomicWriteError::Rename { source, .. } => source,
            dv_fs::atomic::AtomicWriteError::NoParent(_) => {
                std::io::Error::from(std::io::ErrorKind::NotFound)
            }
        };
        io(file)(source)
    })
}

/// Checks that the `.gitignore` entry for `output` (absolute) could be written below the git
/// work tree `root`, without writing it: callers check before they write anything else.
pub fn check_ignore_entry(root: &Path, output: &Path) -> Result<(), ScmError> {
    target(root, output, true).map(drop)
}

/// Appends the entry for `output` (absolute) to its parent's `.gitignore` unless the exact
/// entry is already there. `root` is the git work tree: nothing outside it, behind a symbolic
/// link or with a line break in the name is written. Returns the `.gitignore` path when it
/// was changed.
pub fn ignore_entry_add(root: &Path, output: &Path) -> Result<Option<PathBuf>, ScmError> {
    Ok(ignore_entries_add(root, &[output.to_path_buf()])?
        .into_iter()
        .next())
}

/// [`ignore_entry_add`] for many outputs: each `.gitignore` is read and written once, entries
/// appended in the order given. Every output is checked before any file is written. Returns
/// the changed `.gitignore` files.
pub fn ignore_entries_add(root: &Path, outputs: &[PathBuf]) -> Result<Vec<PathBuf>, ScmError> {
    let mut by_file: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for output in outputs {
        let Some((file, entry)) = target(root, output, true)? else {
            continue;
        };
        match by_file.iter_mut().find(|(known, _)| *known == file) {
            Some((_, entries)) => entries.push(entry),
            None => by_file.push((file, vec![entry])),
        }
    }
    let mut changed = Vec::new();
    for (file, entries) in by_file {
        let mut text = read(&file)?.unwrap_or_default();
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
            write(&file, &text)?;
            changed.push(file);
        }
    }
    Ok(changed)
}

/// Removes the entry for `output` from its parent's `.gitignore` as scmrepo does: every line
/// equal (after trimming) to `/` + the basename is dropped — the *unescaped* name, so an entry
/// DVC escaped when adding it stays — the other lines are kept (line ends read as Python reads
/// them), and a file left with no lines at all is deleted. The same checks as
/// [`ignore_entry_add`] apply. Returns the `.gitignore` path when it was rewritten (even
/// without a change, like DVC), `None` when it does not exist or was deleted.
pub fn ignore_entry_remove(root: &Path, output: &Path) -> Result<Option<PathBuf>, ScmError> {
    // dv never writes an entry for such a name, so there is none to remove.
    if output
        .file_name()
        .is_some_and(|name| breaks_lines(&name.to_string_lossy()))
    {
        return Ok(None);
    }
    let Some((file, entry)) = target(root, output, false)? else {
        return Ok(None);
    };
    let Some(text) = read(&file)? else {
        return Ok(None);
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
    write(&file, &kept)?;
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
        assert!(ignore_entry_add(dir.path(), &out).unwrap().is_some());
        assert!(ignore_entry_add(dir.path(), &out).unwrap().is_none());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "x\n/data\n"
        );
        ignore_entry_remove(dir.path(), &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "x\n"
        );
        // Other lines are kept as they were, blank ones included.
        std::fs::write(dir.path().join(".gitignore"), "\n/data\r\nx").unwrap();
        assert!(ignore_entry_remove(dir.path(), &out).unwrap().is_some());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "\nx"
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        ignore_entry_add(dir.path(), &sub.join("f")).unwrap();
        assert!(
            ignore_entry_remove(dir.path(), &sub.join("f"))
                .unwrap()
                .is_none()
        );
        assert!(!sub.join(".gitignore").exists());
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_gitignore_or_parent_is_refused_and_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("x")).unwrap();
        let outside = dir.path().join("bashrc");
        std::fs::write(&outside, "orig\n").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("x/.gitignore")).unwrap();
        let error = ignore_entry_add(&root, &root.join("x/data")).unwrap_err();
        assert!(matches!(error, ScmError::Refused { .. }), "{error}");
        assert!(error.to_string().contains("x/.gitignore"), "{error}");
        assert!(error.to_string().contains("symbolic link"), "{error}");
        ignore_entry_remove(&root, &root.join("x/data")).unwrap_err();
        ignore_entries_add(&root, &[root.join("x/data")]).unwrap_err();
        // A symbolic link to a directory above the `.gitignore`.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(elsewhere.join("sub")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("link")).unwrap();
        let error = ignore_entry_add(&root, &root.join("link/sub/data")).unwrap_err();
        assert!(
            error.to_string().contains("link' is a symbolic link"),
            "{error}"
        );
        ignore_entry_remove(&root, &root.join("link/data")).unwrap_err();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "orig\n");
        assert!(!elsewhere.join(".gitignore").exists());
        assert!(!elsewhere.join("sub/.gitignore").exists());
        // Outside the work tree.
        let error = ignore_entry_add(&root, &dir.path().join("data")).unwrap_err();
        assert!(error.to_string().contains("outside"), "{error}");
        let error = ignore_entry_add(&root, &root.join("../data")).unwrap_err();
        assert!(error.to_string().contains("outside"), "{error}");
        assert!(!dir.path().join(".gitignore").exists());
    }

    #[test]
    fn names_with_line_breaks_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "keep\n").unwrap();
        for name in ["a\nrm -rf ~", "a\rb"] {
            let out = dir.path().join(name);
            let error = ignore_entry_add(dir.path(), &out).unwrap_err();
            assert!(error.to_string().contains("line break"), "{error}");
            assert!(!error.to_string().contains('\n'), "{error}");
            check_ignore_entry(dir.path(), &out).unwrap_err();
            assert!(ignore_entry_remove(dir.path(), &out).unwrap().is_none());
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "keep\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn rewrite_keeps_mode_and_leaves_no_temporaries() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".gitignore");
        std::fs::write(&file, "/a\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        ignore_entry_add(dir.path(), &dir.path().join("b")).unwrap();
        ignore_entry_remove(dir.path(), &dir.path().join("a")).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "/b\n");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(".gitignore")]);
    }
}
