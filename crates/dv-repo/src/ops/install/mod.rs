//! `dvc install`: the git hooks and merge driver that run DVC at the right moments (spec §1.7).
//!
//! DVC sets the merge driver `dvc` in the repository's git configuration, then either writes
//! three hook scripts (`post-checkout`, `pre-commit`, `pre-push`) into `.git/hooks`, refusing
//! if any of them exists, or, with `--use-pre-commit-tool`, adds its entry to
//! `.pre-commit-config.yaml` (module `pre_commit`). What git runs calls `dv`: the hooks are
//! `exec dv git-hook <name> $@`, the merge driver `dv git-hook merge-driver ...`, and the
//! pre-commit entry runs `dv git-hook <name>`. A repository without git (or with
//! `core.no_scm`) gets nothing, as in DVC.
//!
//! Like DVC (scmrepo's `hooks_dir`), the hooks go to `<work tree>/.git/hooks` whatever
//! `core.hooksPath` says. Where `.git` is a file (a linked work tree or a submodule), on which
//! DVC fails with `Not a directory`, they go to the repository's common git directory, where
//! git looks for them.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::workspace::Workspace;

mod pre_commit;

/// The hooks DVC installs, in the order it checks and writes them.
const HOOKS: [&str; 3] = ["post-checkout", "pre-commit", "pre-push"];

/// The name of the merge driver in git's configuration (`merge.dvc.*`).
const MERGE_DRIVER: &str = "dvc";

/// `merge.dvc.name`.
const MERGE_DRIVER_NAME: &str = "DVC merge driver";

/// `merge.dvc.driver`: the command git runs to merge a `.dvc` file (the trailing space is
/// DVC's).
const MERGE_DRIVER_COMMAND: &str = "dv git-hook merge-driver --ancestor %O --our %A --their %B ";

/// What `install` does.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Add dv's hooks to `.pre-commit-config.yaml` instead of writing hook scripts.
    pub use_pre_commit_tool: bool,
}

/// What `install` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum InstallReport {
    /// Not a git repository (or `core.no_scm`): nothing was installed.
    NoGit,
    /// The hook scripts were written to this directory.
    Hooks(PathBuf),
    /// The pre-commit tool's configuration at this path was updated (or already had the entry).
    PreCommitConfig(PathBuf),
}

/// A failure DVC reports as `failed to install DVC Git hooks - <this>` (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A hook script is already there.
    #[error(
        "Hook '{0}' already exists. Please refer to <https://man.dvc.org/install> for more info."
    )]
    HookExists(&'static str),
    /// `.pre-commit-config.yaml` is not valid YAML.
    #[error("unable to read: '{path}', YAML file structure is corrupted: {message}")]
    CorruptedConfig {
        /// The file, as shown relative to the working directory.
        path: String,
        /// The parser's message.
        message: String,
    },
}

/// Installs DVC's git integration into the git repository around `workspace`.
pub fn install(workspace: &Workspace, options: &InstallOptions) -> anyhow::Result<InstallReport> {
    let Some(git) = workspace.git() else {
        return Ok(InstallReport::NoGit);
    };
    git.set_config(&format!("merge.{MERGE_DRIVER}.name"), MERGE_DRIVER_NAME)?;
    git.set_config(
        &format!("merge.{MERGE_DRIVER}.driver"),
        MERGE_DRIVER_COMMAND,
    )?;
    if options.use_pre_commit_tool {
        let path = git.root().join(pre_commit::CONFIG_FILE);
        pre_commit::add_entry(workspace, &path)?;
        return Ok(InstallReport::PreCommitConfig(path));
    }
    let dot_git = git.root().join(".git");
    let hooks_dir = if dot_git.is_dir() {
        dot_git.join("hooks")
    } else {
        git.common_dir()?.join("hooks")
    };
    write_hooks(workspace, &hooks_dir)?;
    Ok(InstallReport::Hooks(hooks_dir))
}

/// Writes the three hook scripts into `hooks_dir` after checking that none is there (a
/// dangling symbolic link counts as there: dv never writes through one).
fn write_hooks(workspace: &Workspace, hooks_dir: &Path) -> anyhow::Result<()> {
    for hook in HOOKS {
        if hooks_dir.join(hook).symlink_metadata().is_ok() {
            return Err(InstallError::HookExists(hook).into());
        }
    }
    match std::fs::create_dir(hooks_dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => {
            return Err(error)
                .with_context(|| format!("failed to create '{}'", hooks_dir.display()));
        }
    }
    let interpreter = which_sh(workspace);
    for hook in HOOKS {
        let path = hooks_dir.join(hook);
        let script = hook_script(&interpreter, hook);
        write_executable(&path, script.as_bytes())
            .with_context(|| format!("failed to write '{}'", path.display()))?;
    }
    Ok(())
}

/// The text of hook `hook`: DVC's two lines, calling `dv`.
fn hook_script(interpreter: &str, hook: &str) -> String {
    format!("#!{interpreter}\nexec dv git-hook {hook} $@\n")
}

/// Creates `path` (which must not exist) with `contents` and mode `0777`, as DVC leaves its
/// hooks whatever the umask.
fn write_executable(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = dv_fs::atomic::create_new_file(path)?;
    file.write_all(contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o777))?;
    }
    Ok(())
}

/// The interpreter line of DVC's hooks: the first executable `sh` on `PATH` (Python's
/// `shutil.which("sh")`), else `/bin/sh` (also for an empty or unset `PATH`, where Python
/// searches `/bin:/usr/bin`).
fn which_sh(workspace: &Workspace) -> String {
    let environment = workspace.environment();
    let path = environment.var("PATH").unwrap_or_default();
    if path.is_empty() {
        return "/bin/sh".to_owned();
    }
    for dir in path.split(':') {
        let candidate = if dir.is_empty() {
            PathBuf::from("sh")
        } else {
            Path::new(dir).join("sh")
        };
        if is_executable_file(&environment.cwd.join(&candidate)) {
            return candidate.to_string_lossy().into_owned();
        }
    }
    "/bin/sh".to_owned()
}

fn is_executable_file(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_script_is_dvcs_calling_dv() {
        assert_eq!(
            hook_script("/usr/bin/sh", "pre-push"),
            "#!/usr/bin/sh\nexec dv git-hook pre-push $@\n"
        );
    }
}
