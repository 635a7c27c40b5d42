//! Resolving an import's URL to where it lives (DVC's `parse_external_url`): a local path, or a
//! path on an S3 bucket or HTTP(S) server opened once per batch; `remote://NAME/path` resolved
//! against remote `NAME`. Shared by `import-url`, `update`, `get-url` and `ls-url` (also outside a
//! repository) and URL dependencies of stages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dv_remote::{ExternalFs, RemoteConfig};
use dv_schema::config::Table;

use crate::environment::Environment;
use crate::error::ConfigError;
use crate::index::DvcFileEntry;
use crate::remotes;

/// Where a source lives.
#[derive(Clone)]
pub(crate) enum Source {
    /// A file or directory on this machine (absolute).
    Local(PathBuf),
    /// A path on an S3 bucket or HTTP server; `fs` indexes [`Storages`].
    External { fs: usize, path: String },
}

/// The storages a batch reads from, opened once each.
#[derive(Default)]
pub(crate) struct Storages {
    pub(crate) keys: Vec<String>,
    pub(crate) opened: Vec<Result<Arc<ExternalFs>, String>>,
    pub(crate) version_aware: Vec<bool>,
}

/// What resolving a URL reads: the working directory, the environment (credentials,
/// `AWS_ENDPOINT_URL`, ...) and the merged configuration whose `remote` sections
/// `remote://NAME/...` URLs name. Inside a repository that is the repository's configuration;
/// outside one, the global and system levels (DVC's `Config.from_cwd`).
pub(crate) struct UrlScope<'a> {
    pub(crate) environment: &'a Environment,
    pub(crate) config: &'a Table,
}

impl UrlScope<'_> {
    /// `path` made absolute against the (canonical) working directory.
    fn absolute(&self, path: &Path) -> PathBuf {
        let cwd = std::fs::canonicalize(&self.environment.cwd)
            .unwrap_or_else(|_| self.environment.cwd.clone());
        crate::path::normalize(&cwd.join(path))
    }
}

/// Where `url` lives (DVC's `parse_external_url`): a local path (absolute), or a path on a
/// storage of `storages`, opened with `extra` options (`--fs-config`, `version_aware`) on top
/// of the remote's or URL's own. Fails for unknown remotes and unsupported schemes with DVC's
/// config errors.
pub(crate) fn resolve_url(
    scope: &UrlScope<'_>,
    url: &str,
    extra: BTreeMap<String, String>,
    storages: &mut Storages,
) -> anyhow::Result<Source> {
    let Some((scheme, rest)) = split_scheme(url) else {
        return Ok(Source::Local(scope.absolute(Path::new(url))));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "remote" => {
            let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
            let mut remote_options = remote_options(scope.config, name, 0)?;
            let base = remote_options.get("url").cloned().unwrap_or_default();
            if split_scheme(&base).is_none() {
                let root = scope.absolute(Path::new(&base));
                let local = if path.is_empty() {
                    root
                } else {
                    root.join(path)
                };
                return Ok(Source::Local(local));
            }
            remote_options.extend(extra);
            let fs = storages.open(
                scope.environment,
                &format!("remote://{name}"),
                name,
                remote_options,
            );
            Ok(Source::External {
                fs,
                path: path.to_owned(),
            })
        }
        "s3" | "http" | "https" => {
            let (root, path) = match scheme.to_ascii_lowercase().as_str() {
                "s3" => {
                    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                    (format!("s3://{bucket}"), key.to_owned())
                }
                _ => {
                    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
                    (format!("{scheme}://{host}"), path.to_owned())
                }
            };
            let mut fs_options = extra;
            fs_options.insert("url".to_owned(), root.clone());
            let fs = storages.open(scope.environment, &root, "", fs_options);
            Ok(Source::External { fs, path })
        }
        "file" => {
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            Ok(Source::Local(PathBuf::from(path)))
        }
        _ => Err(ConfigError(format!("Unsupported URL type {scheme}://")).into()),
    }
}

/// The path DVC's `parse_external_url` hands the URL's filesystem (its `fs_path`), which DVC
/// shows as the root of `ls-url --tree` and lists entries relative to: a local path or an
/// HTTP(S) URL as written, an S3 URL without `s3://`; for `remote://NAME/path`, the remote's
/// URL (local ones resolved, as configuration reads them) and `path` joined with `/` (a
/// trailing `/` when `path` is empty), then the same.
pub(crate) fn dvc_fs_path(config: &Table, url: &str) -> Result<String, ConfigError> {
    let url = match split_scheme(url) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("remote") => {
            let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
            let base = remote_options(config, name, 0)?
                .remove("url")
                .unwrap_or_default();
            format!("{base}/{}", path.trim_start_matches('/'))
        }
        _ => url.to_owned(),
    };
    Ok(match split_scheme(&url) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("s3") => rest.to_owned(),
        _ => url,
    })
}

/// The options of remote `name` in `config` (see [`remotes::remote_section`]); an unknown
/// remote is DVC's config error.
pub(crate) fn remote_options(
    config: &Table,
    name: &str,
    depth: usize,
) -> Result<BTreeMap<String, String>, ConfigError> {
    remotes::remote_section(config, name, depth).map_err(|error| match error {
        remotes::RemoteLookupError::Unknown(name) => {
            ConfigError(format!("remote '{name}' doesn't exist"))
        }
        remotes::RemoteLookupError::Config(error) => error,
    })
}

/// DVC's `^\w+://` scheme test.
pub(crate) fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    (!scheme.is_empty() && scheme.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then_some((scheme, rest))
}

impl Storages {
    /// The index of the storage `key`, opened on first use.
    pub(crate) fn open(
        &mut self,
        environment: &Environment,
        key: &str,
        name: &str,
        options: BTreeMap<String, String>,
    ) -> usize {
        // The same storage read with other options (`fs_config`) is another storage.
        let key = format!("{key} {options:?}");
        if let Some(index) = self.keys.iter().position(|k| *k == key) {
            return index;
        }
        let version_aware = options.get("version_aware").is_some_and(|v| v == "true");
        let environment = environment
            .vars()
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let config = RemoteConfig::new(name, options, environment);
        let opened = ExternalFs::open(&config)
            .map(Arc::new)
            .map_err(|error| error.to_string());
        self.keys.push(key);
        self.opened.push(opened);
        self.version_aware.push(version_aware);
        self.keys.len() - 1
    }

    /// The storage at `index`, or why it could not be opened.
    pub(crate) fn get(&self, index: usize) -> Result<&ExternalFs, &str> {
        match &self.opened[index] {
            Ok(fs) => Ok(fs),
            Err(message) => Err(message),
        }
    }
}

/// Where the dependency of the import stage `entry` is read from: a URL or absolute path as
/// written, a relative path against the `.dvc` file's directory.
pub(crate) fn dependency_url(entry: &DvcFileEntry) -> String {
    let dep = &entry.file.deps[0];
    if split_scheme(&dep.path).is_some() || Path::new(&dep.path).is_absolute() {
        dep.path.clone()
    } else {
        entry.base_dir().join(&dep.path).display().to_string()
    }
}
