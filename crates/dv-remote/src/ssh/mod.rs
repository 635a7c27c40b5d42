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
//!
//! * `command`: the URL, the options → `ssh`'s arguments, the askpass answers.
//! * `connection`: the SFTP session and the operations on it, failures → [`RemoteError`]s.
//! * here: [`SshStore`], the [`NetworkStore`] over the session.

mod command;
mod connection;

use dv_schema::hash::Md5;
use futures::StreamExt as _;
use tokio::sync::OnceCell;

pub(crate) use self::command::SshUrl;
pub use self::command::answer_ssh_prompt;
use self::command::{Destination, SshCommand};
use self::connection::{Connection, EXIT_GRACE, Session, Target};
use crate::batch::Stop;
use crate::config::RemoteConfig;
use crate::error::{RemoteError, RemoteLabel};
use crate::network::{NetworkStore, Received};
use crate::runtime::TaskReporter;
use crate::store::{Get, Policy, Put};

/// An SSH/SFTP remote.
pub(crate) struct SshStore {
    connection: Connection,
}

impl SshStore {
    /// A remote at `url`; contacts nothing until used.
    pub(crate) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: SshUrl,
    ) -> Result<Self, RemoteError> {
        let (ssh, Destination { endpoint, root }) = SshCommand::new(config, label, url)?;
        Ok(SshStore {
            connection: Connection {
                target: Target {
                    label: label.clone(),
                    endpoint,
                    root,
                },
                ssh,
                session: OnceCell::new(),
            },
        })
    }
}

impl NetworkStore for SshStore {
    /// The paths found, listed in one go.
    type Lister = std::vec::IntoIter<String>;

    fn label(&self) -> &RemoteLabel {
        &self.connection.target.label
    }

    fn policy(&self) -> Policy {
        Policy::FULL
    }

    /// One `stat`.
    async fn exists(&self, path: &str, _batch: &Stop) -> Result<bool, RemoteError> {
        self.connection.exists(path).await
    }

    /// Reads the directories level by level.
    async fn open_lister(
        &self,
        dir: &str,
        depth: usize,
    ) -> Result<std::vec::IntoIter<String>, RemoteError> {
        let mut level = vec![dir.trim_matches('/').to_owned()];
        for remaining in (0..depth).rev() {
            let mut next = Vec::new();
            for dir in &level {
                for (name, may_be_dir) in self.connection.names(dir).await? {
                    // Only directories are read further down.
                    if remaining > 0 && !may_be_dir {
                        continue;
                    }
                    next.push(if dir.is_empty() {
                        name
                    } else {
                        format!("{dir}/{name}")
                    });
                }
            }
            level = next;
        }
        Ok(level.into_iter())
    }

    async fn next_path(
        &self,
        lister: &mut std::vec::IntoIter<String>,
    ) -> Result<Option<String>, RemoteError> {
        Ok(lister.next())
    }

    /// Through a temporary sibling renamed into place.
    async fn put(&self, item: Put, reporter: &TaskReporter) -> Result<(), RemoteError> {
        self.connection
            .upload(&item.source, &item.path, reporter)
            .await
    }

    async fn get(&self, item: &Get, reporter: &TaskReporter<Md5>) -> Received {
        let destination = item.destination.clone();
        self.connection
            .receive(&item.path, destination, &item.expected, reporter)
            .await
    }

    /// One removal per file, `jobs` at a time.
    async fn delete_all(&self, paths: &[String], jobs: usize) -> Result<(), RemoteError> {
        // The futures are made first: a stream mapping borrowed paths to them is not `Send`
        // for every lifetime, as the runtime needs.
        let removals: Vec<_> = paths
            .iter()
            .map(|relative| self.connection.remove(relative))
            .collect();
        let mut removals = futures::stream::iter(removals).buffer_unordered(jobs.max(1));
        while let Some(removal) = removals.next().await {
            removal?;
        }
        Ok(())
    }

    /// Closes the SFTP session and lets `ssh` exit.
    async fn close(&mut self) {
        if let Some(Session { sftp, mut ssh }) = self.connection.session.take() {
            // Best effort: a remaining `ssh` is killed when dropped.
            let _ = sftp.close().await;
            let _ = tokio::time::timeout(EXIT_GRACE, ssh.wait()).await;
        }
    }
}
