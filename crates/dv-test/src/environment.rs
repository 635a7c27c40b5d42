//! The isolated process environment every command started by the harness runs in: a private
//! `HOME`, git and DVC config locations inside the test's temporary directory, and nothing
//! inherited that could change what `dv`, `dvc`, git or the S3 client do.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Prefixes of inherited variables removed from every child: credentials and settings of the
/// tools under test, and of the Python interpreter running the oracle.
const STRIPPED_PREFIXES: &[&str] = &[
    "AWS_", "AZURE_", "DVC_", "GIT_", "GOOGLE_", "MOTO_", "XDG_", "PYTHON",
];

/// Inherited variables removed from every child because they change output or behaviour.
const STRIPPED_NAMES: &[&str] = &[
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "FORCE_COLOR",
    "INITIAL_NO_AUTH_ACTION_COUNT",
    "LINES",
    "NO_COLOR",
    "PAGER",
    "TEST_SERVER_MODE",
    "VIRTUAL_ENV",
];

/// The directories that stand in for the user's home and DVC's global, system and site-cache
/// locations, all inside one temporary directory.
#[derive(Debug, Clone)]
pub(crate) struct IsolatedEnvironment {
    home: PathBuf,
    global_config: PathBuf,
    system_config: PathBuf,
    site_cache: PathBuf,
}

impl IsolatedEnvironment {
    /// Lays out `home/`, `config/global/`, `config/system/` and `site-cache/` under `temp` and
    /// writes `home/.gitconfig` with a committer identity.
    pub(crate) fn create(temp: &Path) -> Self {
        let environment = Self {
            home: temp.join("home"),
            global_config: temp.join("config").join("global"),
            system_config: temp.join("config").join("system"),
            site_cache: temp.join("site-cache"),
        };
        for dir in [
            &environment.home,
            &environment.home.join(".config"),
            &environment.global_config,
            &environment.system_config,
            &environment.site_cache,
        ] {
            fs_err::create_dir_all(dir).expect("create a directory of the isolated environment");
        }
        fs_err::write(
            environment.git_config_global(),
            "[user]\n\tname = dv test\n\temail = dv-test@example.com\n\
             [init]\n\tdefaultBranch = main\n\
             [commit]\n\tgpgsign = false\n\
             [tag]\n\tgpgsign = false\n",
        )
        .expect("write the isolated global git config");
        environment
    }

    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    pub(crate) fn global_config(&self) -> &Path {
        &self.global_config
    }

    pub(crate) fn system_config(&self) -> &Path {
        &self.system_config
    }

    fn git_config_global(&self) -> PathBuf {
        self.home.join(".gitconfig")
    }

    /// The variables set for every child process.
    pub(crate) fn variables(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("HOME", self.home.clone().into_os_string()),
            (
                "XDG_CONFIG_HOME",
                self.home.join(".config").into_os_string(),
            ),
            ("XDG_CACHE_HOME", self.home.join(".cache").into_os_string()),
            (
                "XDG_DATA_HOME",
                self.home.join(".local").join("share").into_os_string(),
            ),
            (
                "DVC_GLOBAL_CONFIG_DIR",
                self.global_config.clone().into_os_string(),
            ),
            (
                "DVC_SYSTEM_CONFIG_DIR",
                self.system_config.clone().into_os_string(),
            ),
            (
                "DVC_SITE_CACHE_DIR",
                self.site_cache.clone().into_os_string(),
            ),
            ("DVC_NO_ANALYTICS", "1".into()),
            // Keeps the oracle from checking for updates (which writes `.dvc/tmp/updater*`).
            ("DVC_TEST", "true".into()),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            (
                "GIT_CONFIG_GLOBAL",
                self.git_config_global().into_os_string(),
            ),
            ("GIT_TERMINAL_PROMPT", "0".into()),
        ]
    }

    /// Applies the isolated environment to `command`: removes every variable of `inherited`
    /// that [`is_stripped`], then sets [`Self::variables`].
    ///
    /// `inherited` is the environment the child would otherwise inherit (normally
    /// `std::env::vars_os()`), passed in so that the stripping can be tested.
    pub(crate) fn apply(
        &self,
        command: &mut Command,
        inherited: impl IntoIterator<Item = (OsString, OsString)>,
    ) {
        for (name, _) in inherited {
            if is_stripped(&name) {
                command.env_remove(name);
            }
        }
        command.envs(self.variables());
    }
}

/// Whether an inherited variable named `name` must not reach a child process.
pub(crate) fn is_stripped(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    STRIPPED_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || STRIPPED_NAMES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child_environment(command: &Command) -> Vec<(String, Option<String>)> {
        command
            .get_envs()
            .map(|(name, value)| {
                (
                    name.to_string_lossy().into_owned(),
                    value.map(|value| value.to_string_lossy().into_owned()),
                )
            })
            .collect()
    }

    #[test]
    fn inherited_credentials_and_settings_are_removed() {
        let temp = tempfile::tempdir().expect("create a temporary directory");
        let environment = IsolatedEnvironment::create(temp.path());
        let inherited = [
            ("AWS_ACCESS_KEY_ID", "leaked"),
            ("AWS_PROFILE", "leaked"),
            ("DVC_CONFIG", "leaked"),
            ("GIT_DIR", "leaked"),
            ("PATH", "/usr/bin"),
        ]
        .map(|(name, value)| (OsString::from(name), OsString::from(value)));
        let mut command = Command::new("true");
        environment.apply(&mut command, inherited);
        let child = child_environment(&command);

        for name in ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "DVC_CONFIG", "GIT_DIR"] {
            assert!(
                child.contains(&(name.to_owned(), None)),
                "`{name}` is not removed: {child:?}"
            );
        }
        assert!(
            !child.iter().any(|(name, _)| name == "PATH"),
            "`PATH` must be inherited unchanged: {child:?}"
        );
        let home = temp.path().join("home").to_string_lossy().into_owned();
        assert!(child.contains(&("HOME".to_owned(), Some(home))));
    }
}
