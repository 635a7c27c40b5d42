//! Keeping writes inside the repository.
//!
//! A cloned repository is data, not code (only stage commands run by `repro` are code), so no
//! path read from one of its files may make dv write anywhere else. Two checks, one for each
//! moment:
//!
//! - [`check_output`], when a `.dvc` file or a stage is loaded: the output lexically resolves
//!   inside the repository root, has no `.git` or `.dvc` component, does not fall inside the
//!   cache directory, and has no line break or NUL in its name. Every command that loads the
//!   file refuses alike (`status`, `dag`, `checkout`, `pull`, ...).
//! - [`guard_write`], right before dv writes an output or a metafile: the same, plus no
//!   directory between the repository root and the path is a symbolic link (a committed
//!   `data -> /elsewhere` would otherwise carry the write out of the repository).
//!
//! The cache directory and local remotes are places the configuration names; like DVC, dv
//! writes objects there by design.

use std::path::{Path, PathBuf};

use dv_schema::repo_path::WriteRefusal;

use crate::Workspace;

/// Why dv refuses a path it was asked to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Lexically outside of the repository root.
    #[error("is outside of the repository")]
    Outside,
    /// Inside `.git`/`.dvc`, or with a line break in a name.
    #[error("{0}")]
    Name(#[from] WriteRefusal),
    /// Inside the cache directory (it would overwrite cache objects).
    #[error("is inside the cache directory '{0}'")]
    InCache(String),
    /// A directory above it inside the repository is a symbolic link.
    #[error("goes through the symbolic link '{0}', and dv does not write through links")]
    ThroughSymlink(String),
}

/// Checks the output at `path` (absolute, normalised) of `workspace` as it is loaded. Outputs
/// that are not cached are never written by dv outside of the stage command itself, so only
/// cached ones must be inside the repository.
pub fn check_output(workspace: &Workspace, path: &Path, cached: bool) -> Result<(), Refusal> {
    let root = workspace.root();
    let Ok(relative) = path.strip_prefix(root) else {
        if cached {
            return Err(Refusal::Outside);
        }
        return match dv_schema::repo_path::write_refusal(components(path)) {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        };
    };
    if let Some(refusal) = dv_schema::repo_path::write_refusal(components(relative)) {
        return Err(refusal.into());
    }
    let cache = crate::path::normalize(&workspace.cache_dir());
    if cache.starts_with(root) && (path.starts_with(&cache) || cache.starts_with(path)) {
        return Err(Refusal::InCache(workspace.display_path(&cache)));
    }
    Ok(())
}

/// Checks, right before writing it, that the workspace path `path` (absolute, normalised) is an
/// output dv may write: [`check_output`] of a cached output, and no symbolic link among the
/// directories from the repository root down to its parent. The path itself may be a link:
/// writers replace it rather than write through it.
pub fn guard_write(workspace: &Workspace, path: &Path) -> Result<(), Refusal> {
    check_output(workspace, path, true)?;
    if let Some(link) = linked_ancestor(workspace.root(), path) {
        return Err(Refusal::ThroughSymlink(workspace.display_path(&link)));
    }
    Ok(())
}

/// [`guard_write`] as an error naming the path, for write sites.
pub fn guard_write_error(workspace: &Workspace, path: &Path) -> anyhow::Result<()> {
    guard_write(workspace, path).map_err(|refusal| {
        crate::DvcError(format!(
            "refusing to write '{}': it {refusal}",
            dv_schema::shown::escape_name(&workspace.display_path(path))
        ))
        .into()
    })
}

/// Writes a metafile of the workspace (`.dvc`, `dvc.yaml`, `dvc.lock`) atomically, refusing a
/// path outside the repository or below a symbolic link inside it. A link at the path itself is
/// replaced, not written through.
pub fn write_metafile(workspace: &Workspace, path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let refusal = if path.strip_prefix(workspace.root()).is_err() {
        Some(Refusal::Outside)
    } else {
        linked_ancestor(workspace.root(), path)
            .map(|link| Refusal::ThroughSymlink(workspace.display_path(&link)))
    };
    if let Some(refusal) = refusal {
        return Err(crate::DvcError(format!(
            "refusing to write '{}': it {refusal}",
            dv_schema::shown::escape_name(&workspace.display_path(path))
        ))
        .into());
    }
    dv_fs::atomic::write_atomic(path, contents)?;
    Ok(())
}

/// Writes a file dv generates for the user (the plots page and its images) atomically. Inside
/// the repository a path below a symbolic link is refused, so a committed link cannot carry the
/// write elsewhere; a link at the path itself is replaced, never written through. A path outside
/// the repository is where the user asked for it.
pub fn write_generated(workspace: &Workspace, path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    guard_generated(workspace, path)?;
    dv_fs::atomic::write_atomic(path, contents)?;
    Ok(())
}

/// The check of [`write_generated`], for a directory about to be made for generated files.
pub fn guard_generated(workspace: &Workspace, path: &Path) -> anyhow::Result<()> {
    if path.starts_with(workspace.root())
        && let Some(link) = linked_ancestor(workspace.root(), path)
    {
        return Err(crate::DvcError(format!(
            "refusing to write '{}': it {}",
            dv_schema::shown::escape_name(&workspace.display_path(path)),
            Refusal::ThroughSymlink(workspace.display_path(&link))
        ))
        .into());
    }
    Ok(())
}

/// The first directory strictly between `root` and `path` that is a symbolic link (or not a
/// directory at all, which a write could not go through either). Stops at the first missing
/// component: writers create the rest as real directories.
pub fn linked_ancestor(root: &Path, path: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(root).ok()?;
    let mut current = root.to_path_buf();
    let parts: Vec<_> = relative.components().collect();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        current.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => return Some(current),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

fn components(path: &Path) -> impl Iterator<Item = &str> {
    path.components().filter_map(|c| match c {
        std::path::Component::Normal(name) => name.to_str(),
        _ => None,
    })
}

/// Whether `error` comes from a FIFO, socket or device where a file or directory was expected:
/// an expected failure DVC-style (exit 255 with its message), not an "unexpected error".
pub fn is_special_file_error(error: &anyhow::Error) -> bool {
    use dv_data::build::BuildError;
    use dv_data::walk::WalkError;
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<WalkError>(),
            Some(WalkError::Special(_))
        ) || matches!(
            cause.downcast_ref::<BuildError>(),
            Some(BuildError::Walk(WalkError::Special(_)))
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn finds_a_symlinked_directory_above_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("real/sub")).unwrap();
        std::os::unix::fs::symlink("/tmp", root.join("link")).unwrap();
        assert_eq!(linked_ancestor(root, &root.join("real/sub/file")), None);
        assert_eq!(
            linked_ancestor(root, &root.join("link/x/file")),
            Some(root.join("link"))
        );
        // The path itself may be a link: writers replace it.
        assert_eq!(linked_ancestor(root, &root.join("link")), None);
        assert_eq!(linked_ancestor(root, &root.join("missing/a/b")), None);
    }
}
