//! Starting `ssh` for an SFTP session: the `ssh://[user@]host[:port]/path` URL, the remote's
//! options turned into `ssh`'s (host keys unchecked, batch mode unless dv or the terminal
//! answers prompts, `keyfile`, `port`, `user`, `~/.ssh/config`), and dv acting as `ssh`'s
//! `SSH_ASKPASS` program to hand it the `password` or `passphrase` (see
//! [`answer_ssh_prompt`]), so that secrets never appear on a command line.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::config::{Options, RemoteConfig};
use crate::error::{RemoteError, RemoteLabel};

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

/// Where an SSH remote's requests go.
#[derive(Debug)]
pub(super) struct Destination {
    /// `ssh://host[:port]`, for "cannot reach" messages.
    pub(super) endpoint: String,
    /// The remote's root directory on the server, without a trailing `/` (`.` for the login
    /// directory).
    pub(super) root: String,
}

/// How to start `ssh` for the SFTP subsystem.
#[derive(Debug)]
pub(super) struct SshCommand {
    /// `ssh`'s options, ending with `-s HOST sftp`.
    args: Vec<OsString>,
    /// Secrets for dv to give as `ssh`'s askpass program: `(password, passphrase)`.
    secrets: Option<(Option<String>, Option<String>)>,
}

impl SshCommand {
    /// The command for the remote's options and `url`, and where its requests go.
    pub(super) fn new(
        config: &RemoteConfig,
        label: &RemoteLabel,
        url: SshUrl,
    ) -> Result<(SshCommand, Destination), RemoteError> {
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
        Ok((SshCommand { args, secrets }, Destination { endpoint, root }))
    }

    /// `ssh` ready to start, its standard streams piped.
    pub(super) fn command(&self) -> tokio::process::Command {
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
