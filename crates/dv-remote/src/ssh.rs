//! [`SshStore`]: an `ssh://[user@]host[:port]/path` remote (dvc-ssh), reached over SFTP through
//! the system's OpenSSH client: `openssh` starts one `ssh` master connection per remote (with
//! `BatchMode=yes`, so it never prompts) and `openssh-sftp-client` speaks SFTP over it, many
//! requests at a time. These are the crates behind OpenDAL's `sftp` service, used directly
//! because that service cannot set the options DVC's behaviour needs (known-hosts file, config
//! file, control directory).
//!
//! Like dvc-ssh (which connects with `known_hosts=None`), the server's host key is not checked:
//! `StrictHostKeyChecking=accept-new` against an empty known-hosts file (`/dev/null`), so
//! nothing is written to `~/.ssh/known_hosts` either. `~/.ssh/config` is read from the `HOME`
//! passed in (as dvc-ssh reads it), when it exists there.
//!
//! Options: `host`, `port`, `user` (override the URL's), `keyfile` (used alone, as `ssh -i`
//! with `IdentitiesOnly=yes`), `timeout` (seconds to connect). Without `keyfile` the ssh
//! client's defaults apply (agent, `~/.ssh/id_*`). `password`, `ask_password` and `gss_auth`
//! are refused: the system client cannot be given a password without prompting.
//!
//! Objects are written to a `.<random>.tmp` sibling and renamed into place (`posix-rename` when
//! the server offers it), as dvc-ssh does; downloads are hashed and renamed into place only when
//! they match their key.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt as _;
use openssh::{ControlPersist, KnownHosts, SessionBuilder};
use openssh_sftp_client::error::SftpErrorKind;
use openssh_sftp_client::{Sftp, SftpOptions};
use tokio::io::AsyncReadExt as _;
use tokio::runtime::Runtime;
use tokio::sync::OnceCell;

use crate::config::{Options, RemoteConfig};
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel};
use crate::incoming::IncomingFile;
use crate::object_key::{Layout, MD5_PREFIX, ObjectKey};
use crate::progress::TransferProgress;
use crate::run_entry::{RUNS_DIR, RunEntryPath};
use crate::runtime::{TaskReporter, run_tasks, start_runtime};

/// Bytes per SFTP read or write request batch.
const CHUNK: usize = 256 * 1024;
/// How long the master connection outlives its last use (if this process dies without
/// closing it).
const MASTER_IDLE_SECONDS: usize = 60;
/// dvc-ssh's default login timeout is 30 minutes; connecting to a dead host should not take
/// that long here.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where an `ssh://` url points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SshUrl {
    pub(crate) user: Option<String>,
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
    /// The path on the server (absolute when the url has one), without a trailing `/`.
    pub(crate) path: String,
}

impl SshUrl {
    /// Parses what follows `ssh://`: `[user@]host[:port][/path]`.
    pub(crate) fn parse(rest: &str) -> Result<Self, String> {
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, ""),
        };
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, host_port)) => (Some(user.to_owned()), host_port),
            None => (None, authority),
        };
        let parse_port = |port: &str| {
            port.parse::<u16>()
                .map_err(|_| format!("`{port}` is not a port number"))
        };
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("`{host_port}` has no closing `]`"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(parse_port(port)?)),
                None => (host, None),
            }
        } else {
            match host_port.split_once(':') {
                Some((host, port)) => (host, Some(parse_port(port)?)),
                None => (host_port, None),
            }
        };
        if host.is_empty() {
            return Err("an `ssh://` url needs a host: `ssh://[user@]host[:port]/path`".to_owned());
        }
        let path = path.trim_end_matches('/');
        Ok(SshUrl {
            user: user.filter(|user| !user.is_empty()),
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// What every request needs: the remote's label, the server shown in messages, the root.
#[derive(Debug)]
struct Target {
    label: RemoteLabel,
    /// `ssh://host:port`, for "cannot reach" messages.
    endpoint: String,
    /// The remote's root directory on the server, without a trailing `/` (`.` for the login
    /// directory).
    root: String,
}

impl Target {
    /// The path on the server of `relative` (a `/`-separated path under the root).
    fn path(&self, relative: &str) -> String {
        format!("{}/{relative}", self.root)
    }

    /// Maps a failure of `action` on `object` (relative to the root).
    fn error(
        &self,
        action: &'static str,
        object: &str,
        error: &openssh_sftp_client::Error,
    ) -> RemoteError {
        use openssh_sftp_client::Error;
        if let Error::RemoteChildSpawnError(error) = error {
            return self.connection_error(error);
        }
        let detail = match error {
            Error::SftpError(kind, message) => match kind {
                SftpErrorKind::PermDenied => format!("permission denied ({message})"),
                _ => message.to_string(),
            },
            Error::IOError(error) => {
                return RemoteError::Unreachable {
                    remote: self.label.clone(),
                    endpoint: self.endpoint.clone(),
                    detail: format!("the SFTP connection failed: {error}"),
                };
            }
            other => other.to_string(),
        };
        RemoteError::Storage {
            remote: self.label.clone(),
            action,
            object: object.to_owned(),
            detail,
        }
    }

    /// Maps a failure to connect: refused credentials, or an unreachable server.
    fn connection_error(&self, error: &openssh::Error) -> RemoteError {
        let detail = match std::error::Error::source(error) {
            Some(source) => source.to_string(),
            None => error.to_string(),
        };
        let detail = detail
            .lines()
            .filter(|line| !line.starts_with("Warning: Permanently added"))
            .collect::<Vec<_>>()
            .join(" ");
        let refused = ["Permission denied", "Too many authentication failures"]
            .iter()
            .any(|marker| detail.contains(marker));
        if refused {
            RemoteError::Credentials {
                remote: self.label.clone(),
                detail,
            }
        } else if matches!(error, openssh::Error::Ssh(_)) {
            RemoteError::Storage {
                remote: self.label.clone(),
                action: "run `ssh` for",
                object: self.endpoint.clone(),
                detail,
            }
        } else {
            RemoteError::Unreachable {
                remote: self.label.clone(),
                endpoint: self.endpoint.clone(),
                detail,
            }
        }
    }

    fn io_error(&self, action: &'static str, path: PathBuf, source: std::io::Error) -> RemoteError {
        RemoteError::Io {
            remote: self.label.clone(),
            action,
            path,
            source,
        }
    }
}

/// Whether `error` says the path does not exist.
fn is_not_found(error: &openssh_sftp_client::Error) -> bool {
    matches!(
        error,
        openssh_sftp_client::Error::SftpError(SftpErrorKind::NoSuchFile, _)
    )
}

/// The SFTP session, opened on first use and shared by every task.
struct Connection {
    target: Target,
    builder: SessionBuilder,
    destination: String,
    sftp: OnceCell<Sftp>,
}

impl Connection {
    async fn sftp(&self) -> Result<&Sftp, RemoteError> {
        self.sftp
            .get_or_try_init(|| async {
                let session = self
                    .builder
                    .connect(&self.destination)
                    .await
                    .map_err(|error| self.target.connection_error(&error))?;
                Sftp::from_session(session, SftpOptions::default())
                    .await
                    .map_err(|error| self.target.error("open an SFTP session on", "", &error))
            })
            .await
    }

    /// Whether the file at `relative` exists.
    async fn exists(&self, relative: &str) -> Result<bool, RemoteError> {
        let sftp = self.sftp().await?;
        match sftp.fs().metadata(self.target.path(relative)).await {
            Ok(metadata) => Ok(metadata.file_type().is_none_or(|kind| kind.is_file())),
            Err(error) if is_not_found(&error) => Ok(false),
            Err(error) => Err(self.target.error("check", relative, &error)),
        }
    }

    /// The names in directory `relative`; none if it does not exist.
    async fn names(&self, relative: &str) -> Result<Vec<String>, RemoteError> {
        let sftp = self.sftp().await?;
        let mut fs = sftp.fs();
        let dir = match fs.open_dir(self.target.path(relative)).await {
            Ok(dir) => dir,
            Err(error) if is_not_found(&error) => return Ok(Vec::new()),
            Err(error) => return Err(self.target.error("list", relative, &error)),
        };
        let mut entries = std::pin::pin!(dir.read_dir());
        let mut names = Vec::new();
        while let Some(entry) = entries.next().await {
            let entry = entry.map_err(|error| self.target.error("list", relative, &error))?;
            if let Some(name) = entry.filename().to_str()
                && name != "."
                && name != ".."
            {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    /// Creates directory `relative` (under the root) and its parents, the root included, as
    /// needed.
    async fn create_dirs(&self, relative: &str) -> Result<(), RemoteError> {
        let sftp = self.sftp().await?;
        let mut fs = sftp.fs();
        // The absolute directories from the deepest up to the root (or `/`).
        let full = format!("{}/{}", self.target.root, relative.trim_matches('/'));
        let mut chain: Vec<&str> = Vec::new();
        let mut current = full.trim_end_matches('/');
        while !current.is_empty() && current != "." {
            chain.push(current);
            current = current.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
        let mut missing = Vec::new();
        for dir in chain {
            match fs.metadata(dir).await {
                Ok(_) => break,
                Err(error) if is_not_found(&error) => missing.push(dir),
                Err(error) => return Err(self.target.error("check", dir, &error)),
            }
        }
        for dir in missing.into_iter().rev() {
            if let Err(error) = fs.create_dir(dir).await {
                // Another task may have created it meanwhile.
                let exists = fs
                    .metadata(dir)
                    .await
                    .is_ok_and(|metadata| metadata.file_type().is_some_and(|kind| kind.is_dir()));
                if !exists {
                    return Err(self.target.error("create directory", dir, &error));
                }
            }
        }
        Ok(())
    }

    /// Uploads `source` to `relative` through a temporary sibling renamed into place.
    async fn upload(
        &self,
        source: PathBuf,
        relative: String,
        reporter: TaskReporter,
    ) -> Result<(), RemoteError> {
        let (dir, name) = relative.rsplit_once('/').unwrap_or(("", &relative));
        if !dir.is_empty() {
            self.create_dirs(dir).await?;
        }
        let temporary = if dir.is_empty() {
            format!(".{}.tmp", random_name(name))
        } else {
            format!("{dir}/.{}.tmp", random_name(name))
        };
        let result = self.write(&source, &temporary, &reporter).await;
        let sftp = self.sftp().await?;
        let mut fs = sftp.fs();
        let result = match result {
            Ok(()) => fs
                .rename(self.target.path(&temporary), self.target.path(&relative))
                .await
                .map_err(|error| self.target.error("rename into place", &relative, &error)),
            Err(error) => Err(error),
        };
        if result.is_err() {
            // Best effort: the upload already failed.
            let _ = fs.remove_file(self.target.path(&temporary)).await;
        }
        result
    }

    async fn write(
        &self,
        source: &std::path::Path,
        relative: &str,
        reporter: &TaskReporter,
    ) -> Result<(), RemoteError> {
        let mut input = tokio::fs::File::open(source)
            .await
            .map_err(|error| self.target.io_error("read", source.to_owned(), error))?;
        let sftp = self.sftp().await?;
        let mut output = sftp
            .create(self.target.path(relative))
            .await
            .map_err(|error| self.target.error("upload", relative, &error))?;
        let mut buffer = vec![0u8; CHUNK];
        loop {
            let read = input
                .read(&mut buffer)
                .await
                .map_err(|error| self.target.io_error("read", source.to_owned(), error))?;
            if read == 0 {
                break;
            }
            output
                .write_all(&buffer[..read])
                .await
                .map_err(|error| self.target.error("upload", relative, &error))?;
            reporter.transferred(read as u64);
        }
        output
            .close()
            .await
            .map_err(|error| self.target.error("upload", relative, &error))
    }

    /// Streams `relative` into an [`IncomingFile`] for `destination`.
    async fn receive(
        &self,
        relative: &str,
        destination: PathBuf,
        hasher: ContentHasher,
        reporter: &TaskReporter,
    ) -> Result<IncomingFile, RemoteError> {
        let sftp = self.sftp().await?;
        let mut input = match sftp.open(self.target.path(relative)).await {
            Ok(input) => input,
            Err(error) if is_not_found(&error) => {
                return Err(RemoteError::MissingObject {
                    remote: self.target.label.clone(),
                    object: relative.to_owned(),
                });
            }
            Err(error) => return Err(self.target.error("download", relative, &error)),
        };
        let mut incoming = IncomingFile::create(&self.target.label, destination, hasher).await?;
        let mut buffer = bytes::BytesMut::with_capacity(CHUNK);
        loop {
            buffer.clear();
            let chunk = input
                .read(CHUNK as u32, buffer)
                .await
                .map_err(|error| self.target.error("download", relative, &error))?;
            let Some(chunk) = chunk else {
                break;
            };
            incoming.write(&chunk).await?;
            reporter.transferred(chunk.len() as u64);
            buffer = chunk;
        }
        Ok(incoming)
    }
}

/// A name for a temporary file next to `name`, unique enough for concurrent writers.
fn random_name(name: &str) -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write(name.as_bytes());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    format!("{name}.{:016x}", hasher.finish())
}

/// An SSH/SFTP remote.
pub(crate) struct SshStore {
    connection: Arc<Connection>,
    runtime: OnceLock<Runtime>,
}

impl std::fmt::Debug for SshStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshStore")
            .field("target", &self.connection.target)
            .finish_non_exhaustive()
    }
}

impl SshStore {
    /// A remote at `url`; contacts nothing until used.
    pub(crate) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: SshUrl,
    ) -> Result<Self, RemoteError> {
        let options = Options { config, label };
        let invalid = |option: &str, value: &str, reason: &str| RemoteError::InvalidOption {
            remote: label.clone(),
            option: option.to_owned(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        if config.options.contains_key("password") {
            return Err(invalid(
                "password",
                "…",
                "dv connects with the system's ssh client, which cannot be given a password: \
                 use a key (`keyfile`, or ssh-agent)",
            ));
        }
        if options.bool("ask_password", false)? {
            return Err(invalid(
                "ask_password",
                "true",
                "dv cannot ask for ssh passwords: use a key (`keyfile`, or ssh-agent)",
            ));
        }
        if options.bool("gss_auth", false)? {
            return Err(invalid(
                "gss_auth",
                "true",
                "GSS-API authentication is not supported by dv",
            ));
        }
        let host = config.option("host").unwrap_or(&url.host).to_owned();
        let port = match config.option("port") {
            None => url.port,
            Some(port) => Some(
                port.trim()
                    .parse::<u16>()
                    .map_err(|_| invalid("port", port, "expected a port number"))?,
            ),
        };
        let user = config
            .option("user")
            .or(config.option("username"))
            .map(str::to_owned)
            .or(url.user);
        let timeout = options
            .seconds("timeout")?
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT);

        let mut builder = SessionBuilder::default();
        builder
            .known_hosts_check(KnownHosts::Accept)
            .user_known_hosts_file("/dev/null")
            .connect_timeout(timeout)
            .control_persist(ControlPersist::IdleFor(
                NonZeroUsize::new(MASTER_IDLE_SECONDS).expect("a non-zero constant"),
            ))
            .control_directory(config.env("TMPDIR").unwrap_or("/tmp"));
        if let Some(port) = port {
            builder.port(port);
        }
        if let Some(user) = &user {
            builder.user(user.clone());
        }
        if let Some(keyfile) = config.option("keyfile") {
            builder.keyfile(config.expand_user(keyfile));
        }
        if let Some(home) = config.env("HOME") {
            let ssh_config = PathBuf::from(home).join(".ssh/config");
            if ssh_config.is_file() {
                builder.config_file(ssh_config);
            }
        }
        let endpoint = match port {
            Some(port) => format!("ssh://{host}:{port}"),
            None => format!("ssh://{host}"),
        };
        let root = if url.path.is_empty() {
            ".".to_owned()
        } else {
            url.path
        };
        Ok(SshStore {
            connection: Arc::new(Connection {
                target: Target {
                    label: label.clone(),
                    endpoint,
                    root,
                },
                builder,
                destination: host,
                sftp: OnceCell::new(),
            }),
            runtime: OnceLock::new(),
        })
    }

    fn runtime(&self) -> Result<&Runtime, RemoteError> {
        start_runtime(&self.runtime, &self.connection.target.label)
    }

    /// Whether each object exists: one `stat` per object, `jobs` at a time.
    pub(crate) fn exists_many(
        &self,
        keys: &[ObjectKey],
        jobs: usize,
    ) -> Result<Vec<bool>, RemoteError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let connection = &self.connection;
        let found = self.runtime()?.block_on(async {
            let mut checks = futures::stream::iter(keys.iter().copied())
                .map(|key| async move {
                    let exists = connection.exists(&key.remote_path()).await?;
                    Ok::<_, RemoteError>(exists.then_some(key))
                })
                .buffer_unordered(jobs.max(1));
            let mut found = HashSet::new();
            while let Some(check) = checks.next().await {
                found.extend(check?);
            }
            Ok::<_, RemoteError>(found)
        })?;
        Ok(keys.iter().map(|key| found.contains(key)).collect())
    }

    /// Every object of `layout`: the shard directories under its root, listed one by one.
    pub(crate) fn list(&self, layout: Layout) -> Result<Vec<ObjectKey>, RemoteError> {
        let connection = &self.connection;
        self.runtime()?.block_on(async {
            let base = match layout {
                Layout::Md5 => format!("{MD5_PREFIX}/"),
                Layout::Legacy => String::new(),
            };
            let mut keys = Vec::new();
            for shard in connection.names(base.trim_end_matches('/')).await? {
                if shard.len() != 2 || !shard.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                    continue;
                }
                for name in connection.names(&format!("{base}{shard}")).await? {
                    keys.extend(ObjectKey::from_shard_path(
                        &format!("{shard}/{name}"),
                        layout,
                    ));
                }
            }
            Ok(keys)
        })
    }

    /// Removes each object, `jobs` at a time; objects already gone are not an error.
    pub(crate) fn delete_many(&self, keys: &[ObjectKey], jobs: usize) -> Result<(), RemoteError> {
        let connection = &self.connection;
        self.runtime()?.block_on(async {
            let mut removals = futures::stream::iter(keys.iter().copied())
                .map(|key| async move {
                    let relative = key.remote_path();
                    let sftp = connection.sftp().await?;
                    match sftp
                        .fs()
                        .remove_file(connection.target.path(&relative))
                        .await
                    {
                        Ok(()) => Ok(()),
                        Err(error) if is_not_found(&error) => Ok(()),
                        Err(error) => Err(connection.target.error("delete", &relative, &error)),
                    }
                })
                .buffer_unordered(jobs.max(1));
            while let Some(removal) = removals.next().await {
                removal?;
            }
            Ok(())
        })
    }

    pub(crate) fn upload_many(
        &self,
        items: &[(PathBuf, ObjectKey)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let items = items
            .iter()
            .map(|(source, key)| (source.clone(), key.remote_path()))
            .collect();
        self.upload_paths(items, jobs, progress)
    }

    fn upload_paths(
        &self,
        items: Vec<(PathBuf, String)>,
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let connection = Arc::clone(&self.connection);
        run_tasks(
            &self.runtime,
            &self.connection.target.label,
            items,
            jobs,
            progress,
            move |(source, relative), reporter| {
                let connection = Arc::clone(&connection);
                async move { connection.upload(source, relative, reporter).await }
            },
        )
    }

    /// Downloads each object through a temporary file renamed into place only if its content
    /// hashes to its key.
    pub(crate) fn download_many(
        &self,
        items: &[(ObjectKey, PathBuf)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let connection = Arc::clone(&self.connection);
        run_tasks(
            &self.runtime,
            &self.connection.target.label,
            items.to_vec(),
            jobs,
            progress,
            move |(key, destination), reporter| {
                let connection = Arc::clone(&connection);
                async move {
                    let relative = key.remote_path();
                    let incoming = connection
                        .receive(
                            &relative,
                            destination,
                            ContentHasher::for_key(&key),
                            &reporter,
                        )
                        .await?;
                    incoming
                        .persist_if(|actual| {
                            if actual == key.md5() {
                                Ok(())
                            } else {
                                Err(RemoteError::Corrupted {
                                    remote: connection.target.label.clone(),
                                    object: relative.clone(),
                                    actual: to_hex(actual),
                                })
                            }
                        })
                        .await?;
                    Ok(())
                }
            },
        )
    }

    /// Every run-cache entry under `runs/`, sorted.
    pub(crate) fn list_run_entries(&self) -> Result<Vec<RunEntryPath>, RemoteError> {
        let connection = &self.connection;
        self.runtime()?.block_on(async {
            let mut entries = Vec::new();
            for shard in connection.names(RUNS_DIR).await? {
                let shard_dir = format!("{RUNS_DIR}/{shard}");
                for key in connection.names(&shard_dir).await? {
                    let key_dir = format!("{shard_dir}/{key}");
                    for value in connection.names(&key_dir).await? {
                        entries.extend(RunEntryPath::from_relative_path(&format!(
                            "{key_dir}/{value}"
                        )));
                    }
                }
            }
            entries.sort();
            Ok(entries)
        })
    }

    pub(crate) fn upload_run_entries(
        &self,
        items: &[(PathBuf, RunEntryPath)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let items = items
            .iter()
            .map(|(source, entry)| (source.clone(), entry.relative_path()))
            .collect();
        self.upload_paths(items, jobs, progress)
    }

    pub(crate) fn download_run_entries(
        &self,
        items: &[(RunEntryPath, PathBuf)],
        jobs: usize,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<(), RemoteError>> {
        let connection = Arc::clone(&self.connection);
        run_tasks(
            &self.runtime,
            &self.connection.target.label,
            items.to_vec(),
            jobs,
            progress,
            move |(entry, destination), reporter| {
                let connection = Arc::clone(&connection);
                async move {
                    let incoming = connection
                        .receive(
                            &entry.relative_path(),
                            destination,
                            ContentHasher::md5(),
                            &reporter,
                        )
                        .await?;
                    incoming.persist_if(|_| Ok(())).await?;
                    Ok(())
                }
            },
        )
    }
}

/// Closes the SFTP session and its master connection.
impl Drop for SshStore {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.get() else {
            return;
        };
        let connection = Arc::get_mut(&mut self.connection);
        if let Some(sftp) = connection.and_then(|connection| connection.sftp.take()) {
            // Best effort: the master exits by itself once idle anyway.
            let _ = runtime.block_on(sftp.close());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_urls_are_parsed() {
        assert_eq!(
            SshUrl::parse("alice@example.com:2222/srv/store/"),
            Ok(SshUrl {
                user: Some("alice".to_owned()),
                host: "example.com".to_owned(),
                port: Some(2222),
                path: "/srv/store".to_owned(),
            })
        );
        assert_eq!(
            SshUrl::parse("example.com"),
            Ok(SshUrl {
                user: None,
                host: "example.com".to_owned(),
                port: None,
                path: String::new(),
            })
        );
        assert_eq!(
            SshUrl::parse("[::1]:22/x").map(|url| (url.host, url.port)),
            Ok(("::1".to_owned(), Some(22)))
        );
        assert!(SshUrl::parse("host:port/x").is_err());
        assert!(SshUrl::parse("/x").is_err());
    }
}
