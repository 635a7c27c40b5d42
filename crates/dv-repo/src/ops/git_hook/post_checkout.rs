//! When DVC's post-checkout hook runs `checkout` (`CmdPostCheckout`).

use std::path::Path;

use dv_scm::Git;

use crate::environment::Environment;

/// Whether the post-checkout hook, given git's arguments `args` (previous HEAD, new HEAD,
/// flag), checks out data: only when a branch was checked out (flag `1`, or the pre-commit
/// tool's `PRE_COMMIT_CHECKOUT_TYPE`, which takes precedence when set) and no rebase is in
/// progress, so that an interrupted rebase is not disturbed.
///
/// DVC looks for `.git/rebase-merge` under the working directory (git runs hooks at the root
/// of the work tree); in a linked work tree, where `.git` is a file, dv asks git where that
/// work tree's `rebase-merge` is.
pub fn runs_checkout(environment: &Environment, args: &[String]) -> bool {
    // Set but empty counts as set (and not `1`), so not `Environment::var`.
    let from_tool = environment
        .vars()
        .find(|(name, _)| *name == "PRE_COMMIT_CHECKOUT_TYPE")
        .map(|(_, value)| value);
    let flag = from_tool.or_else(|| args.get(2).map(String::as_str));
    if flag != Some("1") {
        return false;
    }
    !rebasing(&environment.cwd)
}

/// Whether a rebase is in progress in the work tree at `cwd`.
fn rebasing(cwd: &Path) -> bool {
    let dot_git = cwd.join(".git");
    if dot_git.is_dir() {
        return dot_git.join("rebase-merge").is_dir();
    }
    Git::discover(cwd)
        .and_then(|git| git.git_path("rebase-merge").ok())
        .is_some_and(|path| path.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(flag: &str) -> Vec<String> {
        vec!["a".to_owned(), "b".to_owned(), flag.to_owned()]
    }

    #[test]
    fn only_branch_checkouts_check_out_data() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let environment = Environment::with_vars(dir.path().to_path_buf(), []);
        assert!(runs_checkout(&environment, &args("1")));
        assert!(!runs_checkout(&environment, &args("0")));
        assert!(!runs_checkout(&environment, &args("1")[..2]));
        std::fs::create_dir_all(dir.path().join(".git/rebase-merge")).expect("create");
        assert!(!runs_checkout(&environment, &args("1")));
    }

    #[test]
    fn the_pre_commit_tool_flag_wins_even_when_empty() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let tool = |value: &str| {
            Environment::with_vars(
                dir.path().to_path_buf(),
                [("PRE_COMMIT_CHECKOUT_TYPE".to_owned(), value.to_owned())],
            )
        };
        assert!(runs_checkout(&tool("1"), &[]));
        assert!(!runs_checkout(&tool(""), &args("1")));
        assert!(!runs_checkout(&tool("0"), &args("1")));
    }
}
