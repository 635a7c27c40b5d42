//! From configuration to an opened remote (spec §10.1): the default remote, DVC's errors for a
//! missing or misconfigured one, `remote.NAME` sections with `remote://` references resolved,
//! and the remote opened with the process environment.

use std::collections::BTreeMap;

use dv_remote::{Remote, RemoteConfig, RemoteError};
use dv_schema::config::{Node, Table, Value};

use crate::error::ConfigError;
use crate::workspace::Workspace;

/// A remote as a whole failed: unreachable endpoint, refused credentials, missing bucket, or a
/// configuration it cannot be opened with. Shown as the remote's error (naming the remote and
/// its URL) followed by a `hint:` line when there is something specific to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{}", render_failure(.0))]
pub struct RemoteFailure(pub RemoteError);

fn render_failure(error: &RemoteError) -> String {
    match error.hint() {
        Some(hint) => format!("{error}\nhint: {hint}"),
        None => error.to_string(),
    }
}

/// A remote named by `-r` or by an output's `remote:` that the configuration does not define
/// (DVC's `RemoteNotFoundError`, a config error).
#[derive(Debug, thiserror::Error)]
#[error("config file error: remote '{name}' doesn't exist")]
pub struct UnknownRemote {
    /// The name as given.
    pub name: String,
    /// Whether DVC would come across the name while collecting the workspace's outputs (any
    /// name but the one given with `-r` to `push`), which it reports with a warning first.
    pub during_collection: bool,
}

/// The remote used for outputs without a `remote:` of their own: `-r NAME` if given, else
/// `core.remote` (which DVC lower-cases).
pub(crate) fn default_remote(workspace: &Workspace, explicit: Option<&str>) -> Option<String> {
    match explicit {
        Some(name) => Some(name.to_owned()),
        None => workspace
            .config()
            .table("core")
            .and_then(|core| core.str("remote"))
            .filter(|name| !name.is_empty())
            .map(str::to_lowercase),
    }
}

/// DVC's `NoRemoteError` for `command` (`<command>` for push, as DVC words it).
pub(crate) fn no_remote_error(workspace: &Workspace, command: &str) -> ConfigError {
    let root = workspace.root().display();
    let any_remote = workspace
        .config()
        .table("remote")
        .is_some_and(|remotes| !remotes.is_empty());
    ConfigError(if any_remote {
        format!(
            "no remote specified in {root}. Setup default remote with\n    dvc remote default \
             <remote name>\nor use:\n    dvc {command} -r <remote name>"
        )
    } else {
        format!(
            "no remote specified in {root}. Create a default remote with\n    dvc remote add -d \
             <remote name> <remote url>"
        )
    })
}

/// The section `remote.NAME` of the merged configuration, with `remote://OTHER/path` URLs
/// resolved against remote `OTHER` like DVC's `_resolve_remote_refs`.
pub(crate) fn remote_options(
    workspace: &Workspace,
    name: &str,
    during_collection: bool,
    depth: usize,
) -> anyhow::Result<BTreeMap<String, String>> {
    remote_section(workspace.config(), name, depth).map_err(|error| match error {
        RemoteLookupError::Unknown(name) => UnknownRemote {
            name,
            during_collection,
        }
        .into(),
        RemoteLookupError::Config(error) => error.into(),
    })
}

/// Why [`remote_section`] found no options.
#[derive(Debug)]
pub(crate) enum RemoteLookupError {
    /// No `remote.NAME` section (the name, as given, of the remote that is missing).
    Unknown(String),
    /// The `remote://` references loop.
    Config(ConfigError),
}

/// [`remote_options`] on any merged configuration (also outside a repository: `get-url`).
pub(crate) fn remote_section(
    config: &Table,
    name: &str,
    depth: usize,
) -> Result<BTreeMap<String, String>, RemoteLookupError> {
    let section: &Table = config
        .table("remote")
        .and_then(|remotes| remotes.table(&name.to_lowercase()))
        .ok_or_else(|| RemoteLookupError::Unknown(name.to_owned()))?;
    let mut options = BTreeMap::new();
    for (key, node) in section.iter() {
        if let Node::Setting(setting) = node {
            let value = match &setting.value {
                Value::Str(text) => text.clone(),
                Value::List(items) => items.join(","),
            };
            options.insert(key.to_owned(), value);
        }
    }
    let Some(reference) = options
        .get("url")
        .and_then(|url| url.strip_prefix("remote://"))
    else {
        return Ok(options);
    };
    if depth > 8 {
        return Err(RemoteLookupError::Config(ConfigError(format!(
            "remote '{name}' refers to itself through `remote://`"
        ))));
    }
    let (base_name, relative) = reference.split_once('/').unwrap_or((reference, ""));
    let base_name = base_name.to_owned();
    let relative = relative.trim_start_matches('/').to_owned();
    let mut merged = remote_section(config, &base_name, depth + 1)?;
    let base_url = merged.get("url").cloned().unwrap_or_default();
    merged.extend(options);
    let url = if relative.is_empty() {
        base_url
    } else {
        format!("{}/{relative}", base_url.trim_end_matches('/'))
    };
    merged.insert("url".to_owned(), url);
    Ok(merged)
}

/// Opens remote `name` (as given; looked up lower-cased like DVC) with the merged options of
/// its config section and the process environment.
pub(crate) fn open_remote(
    workspace: &Workspace,
    name: &str,
    during_collection: bool,
) -> anyhow::Result<Remote> {
    let options = remote_options(workspace, name, during_collection, 0)?;
    let environment = workspace
        .environment()
        .vars()
        .map(|(key, value)| (key.to_owned(), value.to_owned()));
    let config = RemoteConfig::new(name, options, environment);
    Remote::open(&config).map_err(|error| match error {
        RemoteError::InvalidOption { .. } => RemoteConfigError {
            message: error.to_string(),
            during_collection: false,
        }
        .into(),
        error => RemoteFailure(error).into(),
    })
}

/// A remote's options that cannot work together or have a wrong value, found when the remote
/// is opened: DVC's filesystems raise its `ConfigError` there, exit code 251.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RemoteConfigError {
    /// What is wrong, naming the remote and the option.
    pub message: String,
    /// Whether DVC comes across it while collecting the workspace's outputs (`fetch` and
    /// `pull`, which open each output's remote then), which it reports with a warning first.
    pub during_collection: bool,
}

/// Marks a [`RemoteConfigError`] from [`open_remote`] as met while collecting outputs.
pub(crate) fn while_collecting(mut error: anyhow::Error) -> anyhow::Error {
    if let Some(config) = error.downcast_mut::<RemoteConfigError>() {
        config.during_collection = true;
    }
    error
}
