//! [`SshStore`]: an `ssh://[user@]host[:port]/path` remote (dvc-ssh), reached over SFTP through
//! the system's OpenSSH client: dv runs `ssh -s HOST sftp` and `openssh-sftp-client` speaks SFTP
//! over its standard input and output, many requests at a time.
//!
//! Like dvc-ssh (which connects with `known_hosts=None`), the server's host key is not checked:
//! both known-hosts files are `/dev/null`, so nothing is written to `~/.ssh/known_hosts` either.
//! `~/.ssh/config` is read from the `HOME` passed in (as dvc-ssh reads it), when it exists there.
//!
//! Options: `host`, `port`, `user` (override the URL's), `keyfile` (used alone, as `ssh -i`
//! with `IdentitiesOnly=yes`), `timeout` (seconds to connect), `allow_agent`, and the secrets:
//! `password` (also the key's passphrase, as in dvc-ssh) and `passphrase` are handed to `ssh`
//! by dv itself acting as its `SSH_ASKPASS` program (see [`answer_ssh_prompt`]), so they never
//! appear on a command line; `ask_password` and `ask_passphrase` let `ssh` prompt on the
//! terminal. Without any of them `ssh` runs with `BatchMode=yes` and never prompts. Without
//! `keyfile` the ssh client's defaults apply (agent, `~/.ssh/id_*`). `gss_auth` is refused.
//!
//! Objects are written to a `.<random>.tmp` sibling and renamed into place (`posix-rename` when
//! the server offers it), as dvc-ssh does; downloads are hashed and renamed into place only when
//! they match their key.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::StreamExt as _;
use openssh_sftp_client::error::SftpErrorKind;
use openssh_sftp_client::{Sftp, SftpOptions};
use tokio::io::AsyncReadExt as _;
use tokio::runtime::Runtime;
use tokio::sync::OnceCell;

use crate::config::{Options, RemoteConfig};
use crate::content_check::{ContentHasher, to_hex};
use crate::error::{RemoteError, RemoteLabel};
use crate::incoming::IncomingFile;
use crate::object_key::{Layout, MD5_PREFIX, ObjectDownload, ObjectKey};
use crate::progress::TransferProgress;
use crate::run_entry::{RUNS_DIR, RunEntryPath};
use crate::runtime::{TaskReporter, run_tasks, start_runtime};

/// Bytes per SFTP read or write request batch.
const CHUNK: usize = 256 * 1024;
/// How long a closed session's `ssh` gets to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);
/// At most this much of `ssh`'s standard error is kept for messages.
const STDERR_LIMIT: usize = 16 * 1024;

/// Set (to `1`) in the environment of the `ssh` that dv starts with a secret to give, so that
/// dv started as its `SSH_ASKPASS` program answers the prompt instead of running a command.
const ASKPASS_MARKER: &str = "DV_SSH_ASKPASS";
/// The remote's `password`, for password prompts (and passphrase prompts without
/// `passphrase`), in the environment of that `ssh` only.
const ASKPASS_PASSWORD: &str = "DV_SSH_ASKPASS_PASSWORD";
/// The remote's `passphrase`, for the key's passphrase prompt.
const ASKPASS_PASSPHRASE: &str = "DV_SSH_ASKPASS_PASSPHRASE";

/// When this process was started by `ssh` as its `SSH_ASKPASS` program (see [`ASKPASS_MARKER`]),
/// prints the secret that answers the prompt `ssh` passed as the first argument and returns
/// the exit code: 0 with an answer, 1 (which `ssh` takes as "no answer") without one. Returns
/// `None` in every other case, to carry on as usual.
pub fn answer_ssh_prompt() -> Option<u8> {
    if std::env::var_os(ASKPASS_MARKER)? != "1" {
        return None;
    }
    let prompt = std::env::args_os()
        .nth(1)
        .map(|prompt| prompt.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let secret = |name: &str| std::env::var(name).ok();
    let answer = if prompt.contains("passphrase") {
        secret(ASKPASS_PASSPHRASE).or_else(|| secret(ASKPASS_PASSWORD))
    } else if prompt.contains("password") {
        secret(ASKPASS_PASSWORD)
    } else {
        // Anything else (a host key confirmation, say) is not dv's to answer.
        None
    };
    match answer {
        Some(answer) => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            let written = writeln!(stdout, "{answer}").and_then(|()| stdout.flush());
            Some(if written.is_ok() { 0 } else { 1 })
        }
        None => Some(1),
    }
}
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

    /// Maps a failure to open the SFTP session, from what `ssh` printed (`stderr`) or else
    /// the SFTP error: refused credentials, or an unreachable server.
    fn connection_error(&self, stderr: &str, error: &openssh_sftp_client::Error) -> RemoteError {
        let printed = stderr
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("Warning: Permanently added"))
            .collect::<Vec<_>>()
            .join(" ");
        let detail = if printed.is_empty() {
            format!("`ssh` ended the session: {error}")
        } else {
            printed
        };
        let refused = ["Permission denied", "Too many authentication failures"]
            .iter()
            .any(|marker| detail.contains(marker));
        if refused {
            RemoteError::Credentials {
                remote: self.label.clone(),
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

/// How to start `ssh` for the SFTP subsystem.
#[derive(Debug)]
struct SshCommand {
    /// `ssh`'s options, ending with `-s HOST sftp`.
    args: Vec<OsString>,
    /// Secrets for dv to give as `ssh`'s askpass program: `(password, passphrase)`.
    secrets: Option<(Option<String>, Option<String>)>,
}

impl SshCommand {
    fn command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("ssh");
        command
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some((password, passphrase)) = &self.secrets {
            match std::env::current_exe() {
                Ok(this) => {
                    command
                        .env("SSH_ASKPASS", this)
                        .env("SSH_ASKPASS_REQUIRE", "force")
                        .env(ASKPASS_MARKER, "1");
                }
                // Without its own path dv cannot answer: `ssh` then fails to authenticate
                // with a password, which is reported as such.
                Err(_) => {
                    command.env("SSH_ASKPASS_REQUIRE", "never");
                }
            }
            for (name, secret) in [
                (ASKPASS_PASSWORD, password),
                (ASKPASS_PASSPHRASE, passphrase),
            ] {
                match secret {
                    Some(secret) => command.env(name, secret),
                    None => command.env_remove(name),
                };
            }
        }
        command
    }
}

/// An open SFTP session and the `ssh` process carrying it.
struct Session {
    sftp: Sftp,
    ssh: tokio::process::Child,
}

/// The SFTP session, opened on first use and shared by every task.
struct Connection {
    target: Target,
    ssh: SshCommand,
    session: OnceCell<Session>,
}

impl Connection {
    async fn sftp(&self) -> Result<&Sftp, RemoteError> {
        let session = self.session.get_or_try_init(|| self.open_session()).await?;
        Ok(&session.sftp)
    }

    /// Starts `ssh` and the SFTP session over it. When `ssh` cannot connect, it exits and what
    /// it printed tells why.
    async fn open_session(&self) -> Result<Session, RemoteError> {
        let mut ssh = self.ssh.command().spawn().map_err(|error| {
            let detail = if error.kind() == std::io::ErrorKind::NotFound {
                "the OpenSSH client `ssh` is not installed (or not on PATH)".to_owned()
            } else {
                format!("cannot start `ssh`: {error}")
            };
            RemoteError::Storage {
                remote: self.target.label.clone(),
                action: "connect to",
                object: self.target.endpoint.clone(),
                detail,
            }
        })?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (ssh.stdin.take(), ssh.stdout.take(), ssh.stderr.take())
        else {
            unreachable!("ssh's standard streams are piped");
        };
        // Drained all along, so that `ssh` never blocks on a full pipe; the start is kept.
        let printed = Arc::new(Mutex::new(Vec::new()));
        let drain = tokio::spawn({
            let printed = Arc::clone(&printed);
            async move {
                let mut buffer = [0u8; 4096];
                while let Ok(read @ 1..) = stderr.read(&mut buffer).await {
                    let mut printed = printed.lock().unwrap_or_else(|poison| poison.into_inner());
                    let room = STDERR_LIMIT.saturating_sub(printed.len());
                    printed.extend_from_slice(&buffer[..read.min(room)]);
                }
            }
        });
        match Sftp::new(stdin, stdout, SftpOptions::default()).await {
            Ok(sftp) => Ok(Session { sftp, ssh }),
            Err(error) => {
                // Best effort: a stuck `ssh` is killed when dropped.
                let _ = tokio::time::timeout(EXIT_GRACE, ssh.wait()).await;
                let _ = tokio::time::timeout(EXIT_GRACE, drain).await;
                let printed = printed.lock().unwrap_or_else(|poison| poison.into_inner());
                Err(self
                    .target
                    .connection_error(&String::from_utf8_lossy(&printed), &error))
            }
        }
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

        let password = config.option("password").map(str::to_owned);
        let passphrase = config.option("passphrase").map(str::to_owned);
        let prompts =
            options.bool("ask_password", false)? || options.bool("ask_passphrase", false)?;

        let mut args: Vec<OsString> = Vec::new();
        let mut option = |value: String| {
            args.push("-o".into());
            args.push(value.into());
        };
        option("StrictHostKeyChecking=no".to_owned());
        option("UserKnownHostsFile=/dev/null".to_owned());
        option("GlobalKnownHostsFile=/dev/null".to_owned());
        option(format!("ConnectTimeout={}", timeout.as_secs().max(1)));
        let secrets = if password.is_some() || passphrase.is_some() {
            option("BatchMode=no".to_owned());
            option("NumberOfPasswordPrompts=1".to_owned());
            Some((password, passphrase))
        } else if prompts {
            option("BatchMode=no".to_owned());
            None
        } else {
            option("BatchMode=yes".to_owned());
            None
        };
        if !options.bool("allow_agent", true)? {
            option("IdentityAgent=none".to_owned());
        }
        if let Some(keyfile) = config.option("keyfile") {
            option("IdentitiesOnly=yes".to_owned());
            args.push("-i".into());
            args.push(config.expand_user(keyfile).into());
        }
        if let Some(port) = port {
            args.push("-p".into());
            args.push(port.to_string().into());
        }
        if let Some(user) = &user {
            args.push("-l".into());
            args.push(user.into());
        }
        if let Some(home) = config.env("HOME") {
            let ssh_config = PathBuf::from(home).join(".ssh/config");
            if ssh_config.is_file() {
                args.push("-F".into());
                args.push(ssh_config.into());
            }
        }
        args.extend(["-x", "-T", "-s", "--"].map(OsString::from));
        args.push(host.clone().into());
        args.push("sftp".into());
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
                ssh: SshCommand { args, secrets },
                session: OnceCell::new(),
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
        items: &[ObjectDownload],
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
            move |ObjectDownload {
                      key,
                      size,
                      destination,
                  },
                  reporter| {
                let connection = Arc::clone(&connection);
                async move {
                    let relative = key.remote_path();
                    let incoming = connection
                        .receive(
                            &relative,
                            destination,
                            ContentHasher::for_key(&key, size),
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

/// Closes the SFTP session and lets `ssh` exit.
impl Drop for SshStore {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.get() else {
            return;
        };
        let connection = Arc::get_mut(&mut self.connection);
        if let Some(Session { sftp, mut ssh }) =
            connection.and_then(|connection| connection.session.take())
        {
            // Best effort: a remaining `ssh` is killed when dropped.
            runtime.block_on(async {
                let _ = sftp.close().await;
                let _ = tokio::time::timeout(EXIT_GRACE, ssh.wait()).await;
            });
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
