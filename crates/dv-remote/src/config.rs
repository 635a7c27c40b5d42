//! [`RemoteConfig`], the plain input to [`Remote::open`](crate::Remote::open): a remote's name,
//! its merged config options as strings (spec §2.4), and the environment variables it may
//! consult, plus the typed readers of those options.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::error::{RemoteError, RemoteLabel};

/// Everything needed to open one remote. Nothing is read from the process environment: the
/// caller passes the variables in.
#[derive(Clone, Default)]
pub struct RemoteConfig {
    /// The remote's name (`['remote "NAME"']`), used in messages.
    pub name: String,
    /// The remote's options merged over all config levels (spec §2.5), values unquoted:
    /// `url` (required), `jobs`, `endpointurl`, `region`, `profile`, `credentialpath`,
    /// `configpath`, `access_key_id`, `secret_access_key`, `session_token`, `use_ssl`,
    /// `ssl_verify`, `read_timeout`, `connect_timeout`, `allow_anonymous_login`, `sse`,
    /// `sse_kms_key_id`, `acl`, `version_aware`, `worktree`; HTTP `auth`, `user`, `password`,
    /// `custom_auth_header`, `method`; SSH `host`, `port`, `user`, `keyfile`, `timeout`; GCS
    /// `credentialpath`, `endpointurl`; Azure `connection_string`, `account_name`,
    /// `account_key`, `sas_token`; WebDAV `user`, `password`, `token`, `timeout`, …
    ///
    /// A local `url` (no scheme) and `credentialpath`/`configpath` must already be resolved
    /// against the directory of the config file that set them (spec §2.3); `~` is expanded here
    /// with `HOME` from [`environment`](Self::environment).
    pub options: BTreeMap<String, String>,
    /// Environment variables: `HOME`, `TMPDIR`, `AWS_*` (credentials, `AWS_PROFILE`, regions,
    /// `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, `AWS_ENDPOINT_URL[_S3]`),
    /// `GOOGLE_APPLICATION_CREDENTIALS`, `AZURE_STORAGE_CONNECTION_STRING`,
    /// `AZURE_STORAGE_ACCOUNT`, `AZURE_STORAGE_KEY`, `AZURE_STORAGE_SAS_TOKEN`, and the proxy
    /// variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, either case).
    pub environment: HashMap<String, String>,
    /// How network requests are retried.
    pub retries: Retries,
}

/// Shown without option values or environment: both may hold secrets.
impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("name", &self.name)
            .field("url", &self.options.get("url"))
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .field("environment", &self.environment.keys().collect::<Vec<_>>())
            .field("retries", &self.retries)
            .finish()
    }
}

impl RemoteConfig {
    /// A config with default [`Retries`].
    pub fn new(
        name: impl Into<String>,
        options: impl IntoIterator<Item = (String, String)>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        RemoteConfig {
            name: name.into(),
            options: options.into_iter().collect(),
            environment: environment.into_iter().collect(),
            retries: Retries::default(),
        }
    }

    /// An environment variable, if set and not empty.
    pub(crate) fn env(&self, name: &str) -> Option<&str> {
        self.environment
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// An option, if set and not empty.
    pub(crate) fn option(&self, name: &str) -> Option<&str> {
        self.options
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// `~` and `~/x` expanded with `HOME` (like Python's `os.path.expanduser`); other paths as
    /// given.
    pub(crate) fn expand_user(&self, path: &str) -> String {
        let Some(rest) = path.strip_prefix('~') else {
            return path.to_owned();
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            return path.to_owned();
        }
        match self.env("HOME") {
            Some(home) => format!("{}{rest}", home.trim_end_matches('/')),
            None => path.to_owned(),
        }
    }
}

/// Retries of failed network requests (5xx, throttling, connection errors, timeouts) with
/// exponential backoff and jitter, through OpenDAL's `RetryLayer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// How many times a failed request is retried (0: never).
    pub max_retries: usize,
    /// The delay before the first retry; it doubles with every retry.
    pub min_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for Retries {
    /// Four retries, 0.5 s doubling up to 20 s (botocore's legacy mode retries 4 times too).
    fn default() -> Self {
        Retries {
            max_retries: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

/// Typed readers of the options, producing errors that name the remote.
pub(crate) struct Options<'a> {
    pub(crate) config: &'a RemoteConfig,
    pub(crate) label: &'a RemoteLabel,
}

impl Options<'_> {
    fn invalid(&self, option: &str, value: &str, reason: &str) -> RemoteError {
        RemoteError::InvalidOption {
            remote: self.label.clone(),
            option: option.to_owned(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// A boolean option: `true`/`false`, case-insensitive, like DVC's schema (spec §2.4).
    pub(crate) fn bool(&self, name: &str, default: bool) -> Result<bool, RemoteError> {
        match self.config.option(name) {
            None => Ok(default),
            Some(value) => {
                parse_bool(value).ok_or_else(|| self.invalid(name, value, "expected true or false"))
            }
        }
    }

    /// A positive integer option.
    pub(crate) fn positive(&self, name: &str) -> Result<Option<usize>, RemoteError> {
        match self.config.option(name) {
            None => Ok(None),
            Some(value) => match value.trim().parse::<usize>() {
                Ok(number) if number > 0 => Ok(Some(number)),
                _ => Err(self.invalid(name, value, "expected a positive integer")),
            },
        }
    }

    /// A duration in seconds (integer or decimal).
    pub(crate) fn seconds(&self, name: &str) -> Result<Option<Duration>, RemoteError> {
        match self.config.option(name) {
            None => Ok(None),
            Some(value) => value
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
                .filter(|duration| !duration.is_zero())
                .map(Some)
                .ok_or_else(|| self.invalid(name, value, "expected a number of seconds")),
        }
    }

    /// An option that is accepted by DVC but not implemented here: an error if it is set.
    pub(crate) fn reject(&self, name: &str) -> Result<(), RemoteError> {
        match self.config.option(name) {
            None => Ok(()),
            Some(value) => {
                // Never echo a value that may be a secret.
                let shown = if name.contains("key") { "…" } else { value };
                Err(self.invalid(name, shown, "this option is not supported by dv yet"))
            }
        }
    }
}

/// `true`/`false` in any case.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// DVC's default transfer concurrency for network remotes: 4 × the number of CPUs (spec §10.2).
pub(crate) fn default_jobs() -> usize {
    4 * std::thread::available_parallelism().map_or(1, usize::from)
}

/// The most transfers dv runs at once, however many a remote's `jobs` option or `-j` ask for:
/// 256, or the default when a machine's cores make it larger. DVC accepts any positive number,
/// so larger values are not an error; a cloned repository's config must not make dv open
/// millions of connections or tasks.
pub(crate) fn max_jobs() -> usize {
    default_jobs().max(256)
}

/// `jobs` (or the remote's default) between 1 and [`max_jobs`].
pub(crate) fn cap_jobs(jobs: usize) -> usize {
    jobs.clamp(1, max_jobs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(options: &[(&str, &str)]) -> RemoteConfig {
        RemoteConfig::new(
            "storage",
            options
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string())),
            [("HOME".to_owned(), "/home/user".to_owned())],
        )
    }

    #[test]
    fn booleans_and_numbers_are_validated() {
        let config = config(&[("use_ssl", "False"), ("jobs", "0"), ("read_timeout", "2.5")]);
        let label = RemoteLabel::new("storage", "s3://bucket");
        let options = Options {
            config: &config,
            label: &label,
        };
        assert_eq!(options.bool("use_ssl", true).ok(), Some(false));
        assert_eq!(options.bool("ssl_verify", true).ok(), Some(true));
        let error = options
            .positive("jobs")
            .err()
            .map(|error| error.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "invalid value `0` for option `jobs` of remote `storage` (`s3://bucket`): \
                 expected a positive integer"
            )
        );
        assert_eq!(
            options.seconds("read_timeout").ok().flatten(),
            Some(Duration::from_millis(2500))
        );
    }

    #[test]
    fn jobs_are_capped() {
        assert_eq!(cap_jobs(0), 1);
        assert_eq!(cap_jobs(8), 8);
        assert_eq!(cap_jobs(100_000_000), max_jobs());
        assert!(max_jobs() >= 256 && max_jobs() >= default_jobs());
    }

    #[test]
    fn debug_output_shows_no_option_values() {
        let config = config(&[("url", "s3://bucket"), ("secret_access_key", "hunter2")]);
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("secret_access_key"), "{debug}");
    }

    #[test]
    fn home_is_expanded() {
        let config = config(&[]);
        assert_eq!(config.expand_user("~/creds"), "/home/user/creds");
        assert_eq!(config.expand_user("~other/creds"), "~other/creds");
        assert_eq!(config.expand_user("/abs"), "/abs");
    }
}
