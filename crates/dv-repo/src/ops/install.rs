//! `dvc install`: the git hooks and merge driver that run DVC at the right moments (spec §1.7).
//!
//! DVC sets the merge driver `dvc` in the repository's git configuration, then either writes
//! three hook scripts (`post-checkout`, `pre-commit`, `pre-push`) into `.git/hooks`, refusing
//! if any of them exists, or, with `--use-pre-commit-tool`, adds its entry to
//! `.pre-commit-config.yaml`. Hooks installed by dv call `dv` (`exec dv git-hook <name> $@`),
//! and so does the merge driver; the pre-commit entry names DVC's own repository and release,
//! which is what the pre-commit tool installs. A repository without git (or with
//! `core.no_scm`) gets nothing, as in DVC.
//!
//! Like DVC (scmrepo's `hooks_dir`), the hooks go to `<work tree>/.git/hooks` whatever
//! `core.hooksPath` says. Where `.git` is a file (a linked work tree or a submodule), on which
//! DVC fails with `Not a directory`, they go to the repository's common git directory, where
//! git looks for them.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use dv_schema::yaml::{self, Mapping, Value};

use crate::workspace::Workspace;

/// The hooks DVC installs, in the order it checks and writes them.
const HOOKS: [&str; 3] = ["post-checkout", "pre-commit", "pre-push"];

/// The name of the merge driver in git's configuration (`merge.dvc.*`).
const MERGE_DRIVER: &str = "dvc";

/// `merge.dvc.name`.
const MERGE_DRIVER_NAME: &str = "DVC merge driver";

/// `merge.dvc.driver`: the command git runs to merge a `.dvc` file (the trailing space is
/// DVC's).
const MERGE_DRIVER_COMMAND: &str = "dv git-hook merge-driver --ancestor %O --our %A --their %B ";

/// The pre-commit tool's configuration file, at the root of the git work tree.
const PRE_COMMIT_CONFIG: &str = ".pre-commit-config.yaml";

/// The DVC release the pre-commit entry pins (DVC writes its own version; dv writes the
/// version of DVC it is compatible with, whose repository the tool installs).
const PRE_COMMIT_DVC_REV: &str = "3.67.1";

/// What `install` does.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Add DVC's hooks to `.pre-commit-config.yaml` instead of writing hook scripts.
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
        let path = git.root().join(PRE_COMMIT_CONFIG);
        add_pre_commit_entry(workspace, &path)?;
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
/// `shutil.which("sh")`), else `/bin/sh`.
fn which_sh(workspace: &Workspace) -> String {
    let environment = workspace.environment();
    let Some(path) = environment.var("PATH") else {
        return "/bin/sh".to_owned();
    };
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

/// The `repos` entry DVC adds to `.pre-commit-config.yaml`.
fn pre_commit_entry() -> Value {
    let hook = |id: &str, stage: &str, always_run: bool| {
        let mut map = Mapping::new();
        map.insert(string("id"), string(id));
        map.insert(
            string("additional_dependencies"),
            Value::Sequence(vec![string(".[all]")]),
        );
        map.insert(string("language_version"), string("python3"));
        map.insert(string("stages"), Value::Sequence(vec![string(stage)]));
        if always_run {
            map.insert(string("always_run"), Value::Bool(true));
        }
        Value::Mapping(map)
    };
    let mut entry = Mapping::new();
    entry.insert(string("repo"), string("https://github.com/treeverse/dvc"));
    entry.insert(string("rev"), string(PRE_COMMIT_DVC_REV));
    entry.insert(
        string("hooks"),
        Value::Sequence(vec![
            hook("dvc-pre-commit", "pre-commit", false),
            hook("dvc-pre-push", "pre-push", false),
            hook("dvc-post-checkout", "post-checkout", true),
        ]),
    );
    Value::Mapping(entry)
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// Appends [`pre_commit_entry`] to the `repos` of the configuration at `path` unless an equal
/// entry is there, keeping the rest of the file as DVC's round trip does; a missing (or
/// empty) file becomes a new one.
fn add_pre_commit_entry(workspace: &Workspace, path: &Path) -> anyhow::Result<()> {
    let previous = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(error).with_context(|| format!("failed to read '{}'", path.display()));
        }
    };
    let old = match &previous {
        Some(text) => yaml::parse(text).map_err(|error| InstallError::CorruptedConfig {
            path: workspace.display_path(path),
            message: error.to_string(),
        })?,
        None => Value::Null,
    };
    // An empty document reads as an empty mapping (DVC's `load(...) or {}`).
    let mut config = match old.clone() {
        Value::Null => Value::Mapping(Mapping::new()),
        other => other,
    };
    let Value::Mapping(map) = &mut config else {
        return Err(unexpected(format!(
            "'{}' object has no attribute 'get'",
            python_type(&config, true)
        )));
    };
    let entry = pre_commit_entry();
    let repos = map
        .entry(string("repos"))
        .or_insert_with(|| Value::Sequence(Vec::new()));
    match repos {
        Value::Sequence(list) => {
            if !list
                .iter()
                .any(|existing| yaml::python_eq(existing, &entry))
            {
                list.push(entry);
            }
        }
        Value::String(_) => {
            return Err(unexpected(
                "'in <string>' requires string as left operand, not dict".to_owned(),
            ));
        }
        Value::Mapping(_) => return Err(unexpected("unhashable type: 'dict'".to_owned())),
        other => {
            return Err(unexpected(format!(
                "argument of type '{}' is not iterable",
                python_type(other, false)
            )));
        }
    }
    let text = match previous.as_deref() {
        Some(previous) if !matches!(old, Value::Null) => {
            yaml::update_text(previous, &config)
                .map_err(|error| InstallError::CorruptedConfig {
                    path: workspace.display_path(path),
                    message: error.to_string(),
                })?
                .text
        }
        _ => yaml::to_string(&config),
    };
    dv_fs::atomic::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// An error DVC lets escape from Python (`unexpected error - <message>`).
fn unexpected(message: String) -> anyhow::Error {
    anyhow::anyhow!(message)
}

/// Python's type name of a YAML value as ruamel's round-trip loader builds it (`CommentedSeq`
/// and `CommentedMap` for collections when `round_trip`).
fn python_type(value: &Value, round_trip: bool) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Sequence(_) if round_trip => "CommentedSeq",
        Value::Sequence(_) => "list",
        Value::Mapping(_) if round_trip => "CommentedMap",
        Value::Mapping(_) => "dict",
        Value::Tagged(_) => "object",
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

    #[test]
    fn pre_commit_entry_is_written_as_dvc_writes_it() {
        let mut map = Mapping::new();
        map.insert(string("repos"), Value::Sequence(vec![pre_commit_entry()]));
        let text = yaml::to_string(&Value::Mapping(map));
        assert!(text.starts_with(
            "repos:\n- repo: https://github.com/treeverse/dvc\n  rev: 3.67.1\n  hooks:\n  - id: dvc-pre-commit\n    additional_dependencies:\n    - .[all]\n"
        ), "{text}");
        assert!(
            text.ends_with("    - post-checkout\n    always_run: true\n"),
            "{text}"
        );
    }
}
