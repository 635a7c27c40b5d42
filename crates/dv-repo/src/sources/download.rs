//! A path of a source repository written out as plain files (`get`, `artifacts get`): objects
//! copied from the source's own cache (verified) or downloaded (and verified) into a scratch
//! object database beside the output, written into a scratch directory that is renamed into
//! place, so an interrupted download leaves no half-written output. Also where such a path's data is stored (`--show-url`).

use std::path::{Path, PathBuf};

use dv_data::odb::{CacheLayout, Odb};
use dv_data::progress::Progress;
use dv_schema::hash::HashName;
use dv_schema::repo_path::RepoPath;

use super::SourceRepo;
use super::select::{self, Item};
use crate::error::CommandError;

/// Writes `path` of `source` at `out` (absolute; replaced when `force`), counting transfers in
/// `progress`; returns how many files were written.
pub(crate) fn download(
    source: &SourceRepo,
    path: &RepoPath,
    out: &Path,
    force: bool,
    jobs: Option<usize>,
    progress: &Progress,
) -> anyhow::Result<usize> {
    let parent = out
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent)?;
    let scratch = Scratch::new(&parent)?;
    let odb = Odb::new(&scratch.odb, CacheLayout::for_hash_name(HashName::Md5));
    let result = (|| -> anyhow::Result<usize> {
        let selection = select::select(source, path, &odb, jobs, progress)?;
        let odb = Odb::new(
            &scratch.odb,
            CacheLayout::for_hash_name(selection.hash_name),
        );
        let workers = std::num::NonZeroUsize::new(jobs.unwrap_or(8).max(1))
            .unwrap_or(std::num::NonZeroUsize::MIN);
        let staged = scratch.dir.join("out");
        select::copy_out(source, &selection, &odb, &staged, workers, progress)?;
        if force {
            crate::outputs::remove_path(out)?;
        }
        std::fs::rename(&staged, out)?;
        Ok(match &selection.item {
            Item::File { .. } => 1,
            Item::Dir(files) => files.len(),
        })
    })();
    drop(scratch);
    result
}

/// Where the data of `path` is stored (`--show-url`): the remote's URL of its object (a
/// file's, or a directory's `.dir`), else its path in the source's cache; `None` when it is
/// no output (git files) or the source has no storage.
pub(crate) fn storage_url(
    source: &SourceRepo,
    path: &RepoPath,
    jobs: Option<usize>,
) -> anyhow::Result<Option<String>> {
    let scratch = tempfile_dir()?;
    let odb = Odb::new(
        scratch.join("odb"),
        CacheLayout::for_hash_name(HashName::Md5),
    );
    let progress = Progress::default();
    let selection = select::select(source, path, &odb, jobs, &progress);
    let _ = std::fs::remove_dir_all(&scratch);
    let selection = selection?;
    let id = match (&selection.whole, &selection.item) {
        (Some(whole), _) => whole.md5,
        (
            None,
            Item::File {
                from: select::From::Object(id),
                ..
            },
        ) => Some(*id),
        _ => None,
    };
    Ok(id.and_then(|id| source.object_url(selection.hash_name, &id)))
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("dv-get-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A hidden directory beside the output for the scratch cache and the staged output, removed
/// when dropped.
struct Scratch {
    dir: PathBuf,
    odb: PathBuf,
}

impl Scratch {
    fn new(parent: &Path) -> anyhow::Result<Scratch> {
        let dir = parent.join(format!(".dv-get-{}.tmp", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).map_err(|error| {
            CommandError(format!("failed to create '{}': {error}", dir.display()))
        })?;
        Ok(Scratch {
            odb: dir.join("cache"),
            dir,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        make_removable(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Read-only shard directories cannot be emptied: open them up first.
fn make_removable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            make_removable(&entry.path());
        }
    }
}
