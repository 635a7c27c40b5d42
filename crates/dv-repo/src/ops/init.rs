//! `dvc init`: create `.dvc/` exactly as DVC does (spec §1).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::error::{ArgumentError, CommandError};
use crate::repo::DVC_DIR;

/// Bytes of `.dvc/.gitignore` (spec §1.1).
pub const DVC_GITIGNORE: &str = "/config.local\n/tmp\n/cache\n";
/// Bytes of a new `.dvcignore` (spec §1.1).
pub const DVCIGNORE: &str = "# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n";

/// What `init` was asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Directory to initialize (absolute).
    pub directory: PathBuf,
    /// Do not use git.
    pub no_scm: bool,
    /// Replace an existing `.dvc`.
    pub force: bool,
    /// Allow a subdirectory of a git repository.
    pub subdir: bool,
}

/// What `init` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    /// The repository root.
    pub root: PathBuf,
    /// Whether git is used (files were staged).
    pub scm: bool,
}

/// Initializes a repository. Errors DVC reports as `failed to initiate DVC` are
/// [`CommandError`]s (exit code 1).
pub fn init(options: &InitOptions) -> anyhow::Result<InitReport> {
    if options.no_scm && options.subdir {
        return Err(ArgumentError(
            "Cannot initialize repo with `--no-scm` and `--subdir`".to_string(),
        )
        .into());
    }
    let root = &options.directory;
    let dvc_dir = root.join(DVC_DIR);
    let failed = |message: String| CommandError(format!("failed to initiate DVC - {message}"));

    if !options.no_scm {
        let tracked = git_toplevel(root).is_some_and(|top| options.subdir || same_dir(&top, root));
        if !tracked {
            return Err(failed(format!(
                "{} is not tracked by any supported SCM tool (e.g. Git). Use `--no-scm` if you don't want to use any SCM or `--subdir` if initializing inside a subdirectory of a parent SCM repository.",
                root.display()
            ))
            .into());
        }
        if git_ignores(root, DVC_DIR) {
            return Err(failed(format!(
                "{} is ignored by your SCM tool. \nMake sure that it's tracked, for example, by adding '!.dvc' to .gitignore.",
                dvc_dir.display()
            ))
            .into());
        }
    }

    if dvc_dir.is_dir() {
        if !options.force {
            return Err(failed(format!("'{DVC_DIR}' exists. Use `-f` to force.")).into());
        }
        std::fs::remove_dir_all(&dvc_dir)
            .with_context(|| format!("failed to remove '{}'", dvc_dir.display()))?;
    }

    let write = |path: &Path, contents: &str| -> anyhow::Result<()> {
        std::fs::write(path, contents)
            .with_context(|| format!("failed to write '{}'", path.display()))
    };
    std::fs::create_dir_all(dvc_dir.join("tmp"))
        .with_context(|| format!("failed to create '{}'", dvc_dir.display()))?;
    let config = if options.no_scm {
        "[core]\n    no_scm = True\n"
    } else {
        ""
    };
    write(&dvc_dir.join("config"), config)?;
    let dvcignore = root.join(".dvcignore");
    if !dvcignore.exists() {
        write(&dvcignore, DVCIGNORE)?;
    }
    write(&dvc_dir.join("tmp").join("btime"), "")?;

    if !options.no_scm {
        write(&dvc_dir.join(".gitignore"), DVC_GITIGNORE)?;
        let status = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["add", "--", ".dvc/.gitignore", ".dvc/config", ".dvcignore"])
            .status()
            .context("failed to run git")?;
        if !status.success() {
            return Err(failed("failed to stage the new files with git".to_string()).into());
        }
    }
    Ok(InitReport {
        root: root.clone(),
        scm: !options.no_scm,
    })
}

/// The top-level directory of the git work tree containing `dir`.
pub(crate) fn git_toplevel(dir: &Path) -> Option<PathBuf> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    Some(PathBuf::from(text.trim_end_matches('\n')))
}

fn git_ignores(root: &Path, path: &str) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["check-ignore", "-q", path])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
