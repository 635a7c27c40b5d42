//! The SFTP session of an SSH remote, opened on first use over `ssh`'s pipes and shared by
//! every task, and what is done through it: checks, directory listings, directory creation,
//! uploads through a temporary sibling renamed into place, downloads into an
//! [`IncomingFile`]; and how its failures become [`RemoteError`]s.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use openssh_sftp_client::error::SftpErrorKind;
use openssh_sftp_client::{Sftp, SftpOptions};
use tokio::io::AsyncReadExt as _;
use tokio::sync::OnceCell;

use super::command::SshCommand;
use crate::content_check::Expected;
use crate::error::{RemoteError, RemoteLabel};
use crate::incoming::IncomingFile;
use crate::runtime::TaskReporter;

/// Bytes per SFTP read or write request batch.
const CHUNK: usize = 256 * 1024;
/// How long a closed session's `ssh` gets to exit before it is killed.
pub(super) const EXIT_GRACE: Duration = Duration::from_secs(5);
/// At most this much of `ssh`'s standard error is kept for messages.
const STDERR_LIMIT: usize = 16 * 1024;

/// What every request needs: the remote's label, the server shown in messages, the root.
#[derive(Debug)]
pub(crate) struct Target {
    pub(super) label: RemoteLabel,
    /// `ssh://host:port`, for "cannot reach" messages.
    pub(super) endpoint: String,
    /// The remote's root directory on the server, without a trailing `/` (`.` for the login
    /// directory).
    pub(super) root: String,
}

impl Target {
    /// The path on the server of `relative` (a `/`-separated path under the root).
    pub(super) fn path(&self, relative: &str) -> String {
        format!("{}/{relative}", self.root)
    }

    /// Maps a failure of `action` on `object` (relative to the root).
    pub(super) fn error(
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
pub(super) fn is_not_found(error: &openssh_sftp_client::Error) -> bool {
    matches!(
        error,
        openssh_sftp_client::Error::SftpError(SftpErrorKind::NoSuchFile, _)
    )
}

/// An open SFTP session and the `ssh` process carrying it.
pub(super) struct Session {
    pub(super) sftp: Sftp,
    pub(super) ssh: tokio::process::Child,
}

/// The SFTP session, opened on first use and shared by every task.
pub(super) struct Connection {
    pub(super) target: Target,
    pub(super) ssh: SshCommand,
    pub(super) session: OnceCell<Session>,
}

impl Connection {
    pub(super) async fn sftp(&self) -> Result<&Sftp, RemoteError> {
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
    pub(super) async fn exists(&self, relative: &str) -> Result<bool, RemoteError> {
        let sftp = self.sftp().await?;
        match sftp.fs().metadata(self.target.path(relative)).await {
            Ok(metadata) => Ok(metadata.file_type().is_none_or(|kind| kind.is_file())),
            Err(error) if is_not_found(&error) => Ok(false),
            Err(error) => Err(self.target.error("check", relative, &error)),
        }
    }

    /// Removes the file at `relative`; a file already gone is not an error.
    pub(super) async fn remove(&self, relative: &str) -> Result<(), RemoteError> {
        let sftp = self.sftp().await?;
        match sftp.fs().remove_file(self.target.path(relative)).await {
            Ok(()) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(self.target.error("delete", relative, &error)),
        }
    }

    /// The names in directory `relative`; none if it does not exist.
    /// Each name comes with whether it may be a directory (`false` only when the server says
    /// it is something else).
    pub(super) async fn names(&self, relative: &str) -> Result<Vec<(String, bool)>, RemoteError> {
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
                let kind = entry.metadata().file_type();
                names.push((name.to_owned(), kind.is_none_or(|kind| kind.is_dir())));
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
    pub(super) async fn upload(
        &self,
        source: &std::path::Path,
        relative: &str,
        reporter: &TaskReporter,
    ) -> Result<(), RemoteError> {
        let (dir, name) = relative.rsplit_once('/').unwrap_or(("", relative));
        if !dir.is_empty() {
            self.create_dirs(dir).await?;
        }
        let temporary = if dir.is_empty() {
            format!(".{}.tmp", random_name(name))
        } else {
            format!("{dir}/.{}.tmp", random_name(name))
        };
        let result = self.write(source, &temporary, reporter).await;
        let sftp = self.sftp().await?;
        let mut fs = sftp.fs();
        let result = match result {
            Ok(()) => fs
                .rename(self.target.path(&temporary), self.target.path(relative))
                .await
                .map_err(|error| self.target.error("rename into place", relative, &error)),
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
    pub(super) async fn receive<R>(
        &self,
        relative: &str,
        destination: PathBuf,
        expected: &Expected,
        reporter: &TaskReporter<R>,
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
        let mut incoming = IncomingFile::create(&self.target.label, destination, expected)?;
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
            incoming.write(&chunk)?;
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
