//! DVC's reminder to track changed metadata files with git (its `scm_context`): the
//! `git add ...` hint printed by commands that write `.dvc` and `.gitignore` files when
//! `core.autostage` is off.

use std::path::PathBuf;

use dv_repo::Workspace;

use crate::printer::Printer;

/// Prints the hint for `files` (absolute), shown relative to the working directory, unless
/// there are none or the repository has no git.
pub fn print_git_add_hint(workspace: &Workspace, files: &[PathBuf], printer: &Printer) {
    if workspace.git().is_none() || files.is_empty() {
        return;
    }
    let files: Vec<String> = files
        .iter()
        .map(|p| shell_quote(&workspace.display_path(p)))
        .collect();
    printer.info(format!(
        "\nTo track the changes with git, run:\n\n\tgit add {}\n\nTo enable auto staging, run:\n\n\tdvc config core.autostage true",
        files.join(" ")
    ));
}

/// Python's `shlex.quote`.
pub fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\"'\"'"))
    }
}
