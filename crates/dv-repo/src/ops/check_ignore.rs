//! `dvc check-ignore`: whether paths are excluded by `.dvcignore`, and by which pattern.
//!
//! Ported from DVC's `DvcIgnoreFilter.check_ignore`: the patterns that apply in a directory are
//! DVC's built-in ones (`.hg/`, `.git/`, `.git`, `.dvc/`), then those of every `.dvcignore`
//! from the repository root down to it (a `.dvcignore` that is itself ignored is skipped) and a
//! `/<name>/` pattern for each nested DVC repository. A path is checked component by component
//! from the root: the first ignored ancestor decides. Within one component, runs of patterns
//! with the same kind (ignore or negation, directory-only or not) are tried last run first; in
//! a run of ignore patterns the *first* matching pattern is reported (DVC combines them into
//! one regular expression), a negation pattern is reported on its own.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::workspace::Workspace;

/// The result for one target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckIgnoreResult {
    /// The target as given.
    pub target: String,
    /// Whether it is ignored.
    pub ignored: bool,
    /// The deciding patterns, as DVC shows them: `.dvcignore:4:*.log`, `:.git` for built-in
    /// ones, `in sub_repo:name` for nested repositories.
    pub patterns: Vec<String>,
}

struct Pattern {
    /// Where it comes from, as shown.
    info: String,
    negated: bool,
    dir_only: bool,
    /// The directory the pattern is relative to.
    base: PathBuf,
    matcher: Gitignore,
}

/// The patterns in force in one directory, in DVC's merged order.
struct Patterns {
    list: Vec<Pattern>,
}

impl Patterns {
    fn add(&mut self, base: &Path, line: &str, info: String) -> anyhow::Result<()> {
        let mut builder = GitignoreBuilder::new(base);
        builder
            .add_line(None, line)
            .with_context(|| format!("invalid pattern `{line}` in {info}"))?;
        let matcher = builder
            .build()
            .with_context(|| format!("invalid pattern `{line}` in {info}"))?;
        if matcher.is_empty() {
            return Ok(());
        }
        self.list.push(Pattern {
            info,
            negated: line.starts_with('!'),
            dir_only: line.ends_with('/'),
            base: base.to_path_buf(),
            matcher,
        });
        Ok(())
    }

    /// The pattern deciding about `path` itself (not its parents), if any, and whether it
    /// ignores.
    fn find(&self, path: &Path, is_dir: bool) -> Option<(bool, &Pattern)> {
        let matches = |pattern: &Pattern| {
            path.starts_with(&pattern.base)
                && path != pattern.base
                && !pattern.matcher.matched(path, is_dir).is_none()
        };
        let mut end = self.list.len();
        while end > 0 {
            let kind = |p: &Pattern| (p.negated, p.dir_only);
            let run_kind = kind(&self.list[end - 1]);
            let mut start = end - 1;
            if !run_kind.0 {
                while start > 0 && kind(&self.list[start - 1]) == run_kind {
                    start -= 1;
                }
            }
            let run = &self.list[start..end];
            end = start;
            if run_kind.1 && !is_dir {
                continue;
            }
            if let Some(pattern) = run.iter().find(|p| matches(p)) {
                return Some((!run_kind.0, pattern));
            }
        }
        None
    }

    /// DVC's `_ignore`: `relative` components from the root, stopping at the first ignored one.
    fn explain(&self, root: &Path, relative: &[String], is_dir: bool) -> (bool, Vec<String>) {
        let mut matched = Vec::new();
        let mut path = root.to_path_buf();
        for (i, part) in relative.iter().enumerate() {
            path.push(part);
            let last = i + 1 == relative.len();
            let found = self.find(&path, is_dir || !last);
            let ignored = found.is_some_and(|(ignored, _)| ignored);
            if !last && !ignored {
                continue;
            }
            matched.extend(found.map(|(_, pattern)| pattern.info.clone()));
            if ignored {
                return (true, matched);
            }
        }
        (false, matched)
    }
}

/// Checks `target` (as given, relative to the working directory).
pub fn check_ignore(workspace: &Workspace, target: &str) -> anyhow::Result<CheckIgnoreResult> {
    let root = workspace.root();
    let full = workspace.absolute(Path::new(target));
    let mut result = CheckIgnoreResult {
        target: target.to_string(),
        ignored: false,
        patterns: Vec::new(),
    };
    let Ok(relative) = full.strip_prefix(root) else {
        return Ok(result);
    };
    let relative: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if relative.is_empty() {
        return Ok(result);
    }
    let patterns = patterns_for(root, &relative[..relative.len() - 1])?;
    let (ignored, matched) = patterns.explain(root, &relative, full.is_dir());
    result.ignored = ignored;
    result.patterns = matched;
    Ok(result)
}

/// The patterns in force in the directory `root/<dir components>`.
fn patterns_for(root: &Path, dir: &[String]) -> anyhow::Result<Patterns> {
    let mut patterns = Patterns { list: Vec::new() };
    for builtin in [".hg/", ".git/", ".git", ".dvc/"] {
        patterns.add(root, builtin, format!(":{builtin}"))?;
    }
    let mut current = root.to_path_buf();
    let mut relative = Vec::new();
    for level in 0..=dir.len() {
        if level > 0 {
            current.push(&dir[level - 1]);
            relative.push(dir[level - 1].clone());
        }
        let file = current.join(".dvcignore");
        let mut file_relative: Vec<String> = relative.clone();
        file_relative.push(".dvcignore".to_string());
        if file.is_file() && !patterns.explain(root, &file_relative, false).0 {
            let name = file_relative.join("/");
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("failed to read '{name}'"))?;
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                patterns.add(&current, line, format!("{name}:{}:{line}", number + 1))?;
            }
        }
        // Nested DVC repositories are ignored as `/<name>/`.
        if let Ok(entries) = std::fs::read_dir(&current) {
            let mut nested: Vec<String> = entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| e.path() != root && e.path().join(".dvc").is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            nested.sort();
            for name in nested {
                patterns.add(
                    &current,
                    &format!("/{name}/"),
                    format!("in sub_repo:{name}"),
                )?;
            }
        }
    }
    Ok(patterns)
}
