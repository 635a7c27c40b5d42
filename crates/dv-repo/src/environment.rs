//! The parts of the process environment dv reads, captured once so that nothing below the
//! binary consults globals (house style: no hidden globals).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Working directory and environment variables.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The directory commands run in (after `--cd`).
    pub cwd: PathBuf,
    vars: HashMap<String, String>,
}

impl Environment {
    /// The current process's environment.
    pub fn from_process(cwd: PathBuf) -> Self {
        Environment {
            cwd,
            vars: std::env::vars().collect(),
        }
    }

    /// An environment with the given variables only (tests).
    pub fn with_vars(cwd: PathBuf, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        Environment {
            cwd,
            vars: vars.into_iter().collect(),
        }
    }

    /// A variable, if set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Every variable, in no particular order (for remotes, which read `AWS_*`, `HOME` and the
    /// proxy variables themselves).
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The user's home directory.
    pub fn home(&self) -> Option<PathBuf> {
        self.var("HOME").map(PathBuf::from)
    }

    /// `path` made absolute against the working directory.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        crate::path::normalize(&self.cwd.join(path))
    }

    /// `~` and `~/x` expanded with `$HOME` (like Python's `os.path.expanduser`).
    pub fn expand_user(&self, path: &str) -> Option<PathBuf> {
        let rest = path.strip_prefix('~')?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let home = self.home()?;
        Some(home.join(rest.trim_start_matches('/')))
    }
}
