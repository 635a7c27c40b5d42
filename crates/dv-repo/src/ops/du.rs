//! `dv du URL [PATH]` (`dvc du`): the disk usage of a repository's files and outputs, as
//! DVC's `dvc/repo/du.py` sums it through its `DVCFileSystem` (`sources::view`): one row per
//! entry of the directory and a total row named by the path, or (`-s`, or a file) the total
//! alone.
//!
//! A file counts its size (nothing when unknown, as for a file inside a directory output
//! read from a manifest); a directory the files do not have counts its recorded size; any
//! other directory counts its entries. DVC's own files (`.dvc`, `dvc.yaml`, `.dvcignore`)
//! are left out.

use std::collections::VecDeque;

use dv_data::progress::Progress;
use dv_schema::config::Table;
use serde::Serialize;

use crate::environment::Environment;
use crate::ops::ls::{config_file_exists, posix_join};
use crate::sources::PathError;
use crate::sources::view::{Info, SourceView};
use crate::sources::{Opening, SourceRepo, SourceSpec};

/// What to measure.
#[derive(Debug, Clone, Default)]
pub struct DuOptions {
    /// The source repository (`URL`, `--rev`, `--config`, `--remote`, `--remote-config`).
    pub source: SourceSpec,
    /// `PATH` inside it (none: its root).
    pub path: Option<String>,
    /// `-s`: the total only.
    pub summarize: bool,
    /// Parallel downloads of `.dir` manifests.
    pub jobs: Option<usize>,
}

/// One row: a path as DVC names it and its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuRow {
    /// The entry's path (the path as given for the total row, empty for the root).
    pub path: String,
    /// Bytes.
    pub size: u64,
}

/// The rows `dvc du` prints: entries sorted by path (DVC's order is a set's, so unstable),
/// then the total.
pub fn du(
    environment: &Environment,
    config: Option<&Table>,
    options: &DuOptions,
    progress: &Progress,
) -> anyhow::Result<Vec<DuRow>> {
    config_file_exists(environment, &options.source)?;
    let source = SourceRepo::open(environment, config, &options.source, Opening::Listing)?;
    let view = SourceView::open(&source, options.jobs, progress)?;
    let given = options.path.clone().unwrap_or_default();
    let isdir = match view.info(&view.resolve(&given), &given) {
        Ok(info) => info.isdir,
        Err(error) if error.is::<PathError>() => false,
        Err(error) => return Err(error),
    };
    if options.summarize || !isdir {
        let size = total(&view, &given)?;
        return Ok(vec![DuRow { path: given, size }]);
    }
    let mut rows = Vec::new();
    for (name, _) in view.ls(&view.resolve(&given), &given, false, false)? {
        let path = posix_join(&given, &name);
        let size = total(&view, &path)?;
        rows.push(DuRow { path, size });
    }
    let sum = rows.iter().map(|row| row.size).sum();
    rows.push(DuRow {
        path: given,
        size: sum,
    });
    Ok(rows)
}

/// DVC's `DVCFileSystem.du(path, total=True)`: breadth first from `path`, each directory
/// listed by its path string (as DVC re-reads it).
fn total(view: &SourceView<'_>, path: &str) -> anyhow::Result<u64> {
    let top = view.info(&view.resolve(path), path)?;
    let mut sum = 0u64;
    let mut todo: VecDeque<(String, Info)> = VecDeque::new();
    todo.push_back((path.to_owned(), top));
    while let Some((name, info)) = todo.pop_front() {
        if !info.isdir {
            sum = sum.saturating_add(info.size.unwrap_or(0));
            continue;
        }
        if let Some(recorded) = info.recorded_total {
            sum = sum.saturating_add(recorded);
            continue;
        }
        // Links are never entered: a listed link is not a directory.
        for (child, info) in view.ls(&view.resolve(&name), &name, false, false)? {
            todo.push_back((posix_join(&name, &child), info));
        }
    }
    Ok(sum)
}
