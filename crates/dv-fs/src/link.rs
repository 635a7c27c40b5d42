//! Putting a file's content at another path as a reflink, hard link, symlink or copy, trying a
//! list of link types in order like DVC's `cache.type` (spec §5.3).

use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::atomic::create_new_file;
use crate::temp;

/// How a file is placed at its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// A copy-on-write clone (btrfs, XFS, APFS); a new inode with default permissions.
    Reflink,
    /// A hard link: the destination is the source inode (same permissions).
    Hardlink,
    /// A symbolic link to the source's absolute path.
    Symlink,
    /// A byte copy with default permissions.
    Copy,
}

/// DVC's default `cache.type`: `reflink,copy`.
pub const DEFAULT_LINK_TYPES: [LinkType; 2] = [LinkType::Reflink, LinkType::Copy];

impl LinkType {
    /// The name used in `cache.type`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LinkType::Reflink => "reflink",
            LinkType::Hardlink => "hardlink",
            LinkType::Symlink => "symlink",
            LinkType::Copy => "copy",
        }
    }

    /// Parses a `cache.type` value such as `reflink,copy` or `hardlink, symlink`.
    pub fn parse_list(text: &str) -> Result<Vec<LinkType>, ParseLinkTypeError> {
        let types = text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if types.is_empty() {
            return Err(ParseLinkTypeError(text.to_owned()));
        }
        Ok(types)
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown link type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown link type `{0}`: expected reflink, hardlink, symlink or copy")]
pub struct ParseLinkTypeError(pub String);

impl FromStr for LinkType {
    type Err = ParseLinkTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reflink" => Ok(LinkType::Reflink),
            "hardlink" => Ok(LinkType::Hardlink),
            "symlink" => Ok(LinkType::Symlink),
            "copy" => Ok(LinkType::Copy),
            other => Err(ParseLinkTypeError(other.to_owned())),
        }
    }
}

/// Why no link type could place the file.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No link type was given.
    #[error("no link type to link `{src}` to `{dst}`")]
    NoLinkTypes {
        /// The source file.
        src: PathBuf,
        /// The destination.
        dst: PathBuf,
    },
    /// Every link type failed; the last failure is the source.
    #[error("failed to link `{src}` to `{dst}` ({})", describe(attempts))]
    AllFailed {
        /// The source file.
        src: PathBuf,
        /// The destination.
        dst: PathBuf,
        /// Each link type tried and how it failed.
        attempts: Vec<(LinkType, io::Error)>,
    },
    /// The destination's directory could not hold a temporary file.
    #[error("failed to create a temporary file next to `{dst}`")]
    Temp {
        /// The destination.
        dst: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The linked temporary file could not be renamed over the destination.
    #[error("failed to move a temporary file to `{dst}`")]
    Rename {
        /// The destination.
        dst: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn describe(attempts: &[(LinkType, io::Error)]) -> String {
    attempts
        .iter()
        .map(|(link_type, error)| format!("{link_type}: {error}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Creates `dst`, which must not exist, from `src` with the first of `types` that works, and
/// returns the link type used. A failed attempt leaves nothing at `dst`.
pub fn link_new(src: &Path, dst: &Path, types: &[LinkType]) -> Result<LinkType, LinkError> {
    if types.is_empty() {
        return Err(LinkError::NoLinkTypes {
            src: src.to_path_buf(),
            dst: dst.to_path_buf(),
        });
    }
    let mut attempts = Vec::new();
    for &link_type in types {
        if link_type == LinkType::Reflink && REFLINK_UNSUPPORTED.load(Ordering::Relaxed) {
            // Known not to work here: nothing to try, nothing to clean up.
            attempts.push((
                link_type,
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    "reflinks are not supported here",
                ),
            ));
            continue;
        }
        match link_once(src, dst, link_type) {
            Ok(()) => return Ok(link_type),
            Err(error) => {
                if error.kind() != io::ErrorKind::AlreadyExists {
                    let _ = std::fs::remove_file(dst);
                }
                attempts.push((link_type, error));
            }
        }
    }
    Err(LinkError::AllFailed {
        src: src.to_path_buf(),
        dst: dst.to_path_buf(),
        attempts,
    })
}

/// Puts `src` at `dst` with the first of `types` that works, replacing a file or symlink at
/// `dst` atomically (the link is made under a temporary sibling name, then renamed).
pub fn link_replace(src: &Path, dst: &Path, types: &[LinkType]) -> Result<LinkType, LinkError> {
    // Nothing to replace and a link that appears in one step: no temporary name needed.
    if matches!(types.first(), Some(LinkType::Hardlink | LinkType::Symlink))
        && std::fs::symlink_metadata(dst).is_err()
        && let Ok(link_type) = link_new(src, dst, &types[..1])
    {
        return Ok(link_type);
    }
    let dir = match dst.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // Reserve a fresh name; nothing is created until the link itself.
    let temp = temp::create_in(dir, |_| Ok(())).map_err(|source| LinkError::Temp {
        dst: dst.to_path_buf(),
        source,
    })?;
    let link_type = link_new(src, temp.path(), types).map_err(|error| match error {
        LinkError::AllFailed { attempts, .. } => LinkError::AllFailed {
            src: src.to_path_buf(),
            dst: dst.to_path_buf(),
            attempts,
        },
        other => other,
    })?;
    let temp_path = temp.path().to_path_buf();
    temp.persist(dst).map_err(|error| LinkError::Rename {
        dst: dst.to_path_buf(),
        source: error.error,
    })?;
    // Renaming a hard link over another link to the same file does nothing (POSIX), which
    // leaves the temporary name behind when `dst` was already linked to `src`.
    if link_type == LinkType::Hardlink && std::fs::symlink_metadata(&temp_path).is_ok() {
        let _ = std::fs::remove_file(&temp_path);
    }
    Ok(link_type)
}

/// Set once a reflink failed because the filesystem cannot do them: later attempts in this
/// process skip straight to the next link type instead of creating and deleting a file each
/// time. A per-process memo of a filesystem capability, not configuration.
static REFLINK_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

fn link_once(src: &Path, dst: &Path, link_type: LinkType) -> io::Result<()> {
    match link_type {
        LinkType::Reflink => {
            if REFLINK_UNSUPPORTED.load(Ordering::Relaxed) {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "reflinks are not supported here",
                ));
            }
            let source = File::open(src)?;
            let target = create_new_file(dst)?;
            let result = reflink_into(&source, &target);
            if let Err(error) = &result
                && is_unsupported(error)
            {
                REFLINK_UNSUPPORTED.store(true, Ordering::Relaxed);
            }
            result
        }
        LinkType::Hardlink => std::fs::hard_link(src, dst),
        LinkType::Symlink => symlink(&std::path::absolute(src)?, dst),
        LinkType::Copy => copy_file(src, dst),
    }
}

/// Whether a reflink error means the filesystem (or the pair of filesystems) cannot do them.
fn is_unsupported(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::Unsupported | io::ErrorKind::CrossesDevices
    ) || matches!(error.raw_os_error(), Some(code) if code == 95 || code == 18 || code == 22 || code == 25)
}

/// Makes `target` (an open, empty file) a copy-on-write clone of `source`; fails where the
/// filesystem has no reflinks.
pub fn reflink_into(source: &File, target: &File) -> io::Result<()> {
    reflink_copy::reflink_file(source, target)
}

#[cfg(unix)]
fn symlink(src: &Path, dst: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(src, dst)
}

#[cfg(windows)]
fn symlink(src: &Path, dst: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_file(src, dst)
}

/// Copies the bytes of `src` to a new file `dst` with default permissions (unlike
/// `std::fs::copy`, which copies the source's read-only mode).
pub fn copy_file(src: &Path, dst: &Path) -> io::Result<()> {
    let mut source = File::open(src)?;
    let mut target = create_new_file(dst)?;
    io::copy(&mut source, &mut target)?;
    Ok(())
}

/// Adds the owner's execute bit (`chmod u+x`), as DVC does for `isexec` outputs on checkout.
#[cfg(unix)]
pub fn add_user_exec(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)?.permissions();
    permissions.set_mode(permissions.mode() | 0o100);
    std::fs::set_permissions(path, permissions)
}

/// No execute bits on this platform.
#[cfg(not(unix))]
pub fn add_user_exec(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Whether any execute bit is set in `metadata` (DVC's `isexec`).
#[cfg(unix)]
pub fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

/// No execute bits on this platform.
#[cfg(not(unix))]
pub fn is_executable(_metadata: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = dir.path().join("src");
        std::fs::write(&src, b"content").expect("write source");
        (dir, src)
    }

    #[test]
    fn parses_cache_type_lists() {
        assert_eq!(
            LinkType::parse_list("reflink,copy"),
            Ok(DEFAULT_LINK_TYPES.to_vec())
        );
        assert_eq!(
            LinkType::parse_list("hardlink, symlink"),
            Ok(vec![LinkType::Hardlink, LinkType::Symlink])
        );
        assert!(LinkType::parse_list("hardlink,junction").is_err());
        assert!(LinkType::parse_list("").is_err());
    }

    #[test]
    fn every_link_type_places_the_content() {
        for link_type in [LinkType::Hardlink, LinkType::Symlink, LinkType::Copy] {
            let (dir, src) = setup();
            let dst = dir.path().join("dst");
            assert_eq!(link_new(&src, &dst, &[link_type]).expect("link"), link_type);
            assert_eq!(std::fs::read(&dst).expect("read"), b"content");
        }
    }

    #[test]
    fn falls_back_and_reports_every_failure() {
        let (dir, src) = setup();
        let dst = dir.path().join("dst");
        // Reflink is unsupported on most test filesystems (ext4, tmpfs); copy always works.
        let used = link_new(&src, &dst, &DEFAULT_LINK_TYPES).expect("link");
        assert!(matches!(used, LinkType::Reflink | LinkType::Copy));
        assert_eq!(std::fs::read(&dst).expect("read"), b"content");

        let missing = dir.path().join("missing");
        let error = link_new(
            &missing,
            &dir.path().join("x"),
            &[LinkType::Hardlink, LinkType::Copy],
        )
        .expect_err("source missing");
        let message = error.to_string();
        assert!(
            message.contains("hardlink") && message.contains("copy"),
            "{message}"
        );
        assert!(!dir.path().join("x").exists());
    }

    #[test]
    fn replace_overwrites_atomically() {
        let (dir, src) = setup();
        let dst = dir.path().join("dst");
        std::fs::write(&dst, b"old").expect("write old");
        link_replace(&src, &dst, &[LinkType::Copy]).expect("replace");
        assert_eq!(std::fs::read(&dst).expect("read"), b"content");
        let count = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(count, 2, "no temporary left behind");
    }

    #[cfg(unix)]
    #[test]
    fn copies_get_default_permissions_and_exec_bit_on_request() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, src) = setup();
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        let dst = dir.path().join("dst");
        link_new(&src, &dst, &[LinkType::Copy]).expect("copy");
        let metadata = std::fs::metadata(&dst).expect("stat");
        assert_ne!(metadata.permissions().mode() & 0o200, 0, "copy is writable");
        assert!(!is_executable(&metadata));
        add_user_exec(&dst).expect("chmod");
        let metadata = std::fs::metadata(&dst).expect("stat");
        assert_eq!(metadata.permissions().mode() & 0o100, 0o100);
        assert!(is_executable(&metadata));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_point_at_the_absolute_source() {
        let (dir, src) = setup();
        let dst = dir.path().join("dst");
        link_new(&src, &dst, &[LinkType::Symlink]).expect("symlink");
        let target = std::fs::read_link(&dst).expect("readlink");
        assert!(target.is_absolute());
        assert_eq!(target, std::path::absolute(&src).expect("absolute"));
    }

    #[test]
    fn relinking_a_hard_link_leaves_no_temporary_file() {
        let (dir, src) = setup();
        let dst = dir.path().join("dst");
        link_replace(&src, &dst, &[LinkType::Hardlink]).expect("first link");
        link_replace(&src, &dst, &[LinkType::Hardlink]).expect("relink");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
