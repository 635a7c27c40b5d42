//! [`SftpServer`]: a loopback SSH server with only the SFTP subsystem, serving one directory as
//! its root, started and stopped by the test that uses it. It is `asyncssh` (installed with the
//! oracle `dvc`) running a short script on the oracle's Python.
//!
//! It accepts any user name with one client key, which it generates and writes (mode 0600) for
//! the test to pass as the remote's `keyfile`, both as is and locked with
//! [`SftpServer::PASSPHRASE`]; and with the password [`SftpServer::PASSWORD`]. Its own host key
//! is new on every start.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

use crate::environment::is_stripped;
use crate::venv;

/// The server: listens on a free loopback port, writes the client key, prints the port.
const SCRIPT: &str = r#"
import asyncio, os, subprocess, sys
import asyncssh

class Server(asyncssh.SSHServer):
    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return password == sys.argv[3]

async def main():
    state, root = sys.argv[1], sys.argv[2]
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    for name in ("client_key", "locked_key"):
        key_path = os.path.join(state, name)
        client_key.write_private_key(key_path)
        os.chmod(key_path, 0o600)
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-N", sys.argv[4], "-f", os.path.join(state, "locked_key")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_factory=Server,
        server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
        authorized_client_keys=authorized,
        sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=root),
        allow_scp=False,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.wait_closed()

asyncio.run(main())
"#;

/// The SFTP server, killed on drop.
#[derive(Debug)]
pub struct SftpServer {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// The directory served as `/`.
    pub root: PathBuf,
    child: Child,
    state: TempDir,
}

impl SftpServer {
    /// The password the server accepts for any user.
    pub const PASSWORD: &'static str = "hunter2 and more";
    /// The passphrase of [`SftpServer::locked_key`].
    pub const PASSPHRASE: &'static str = "open sesame";

    /// Serves `root` (created if missing) and waits until the server listens.
    ///
    /// # Panics
    ///
    /// If the oracle's Python is not installed or the server does not start.
    pub fn start(root: impl Into<PathBuf>) -> Self {
        let root: PathBuf = root.into();
        fs_err::create_dir_all(&root).expect("create the SFTP root");
        let state = tempfile::Builder::new()
            .prefix("dv-test-sftp-")
            .tempdir()
            .expect("create a temporary directory for the SFTP server");
        let python = venv::dvc_python();
        let mut command = Command::new(&python);
        command
            .arg("-c")
            .arg(SCRIPT)
            .arg(state.path())
            .arg(&root)
            .arg(Self::PASSWORD)
            .arg(Self::PASSPHRASE)
            .current_dir(state.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, _) in std::env::vars_os() {
            if is_stripped(&name) {
                command.env_remove(name);
            }
        }
        command.env("HOME", state.path());
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("failed to start `{}`: {error}", python.display()));
        let stdout = child.stdout.take().expect("the server's stdout is piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let port = match (read, line.trim().parse::<u16>()) {
            (Ok(_), Ok(port)) => port,
            (read, _) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the SFTP server did not start ({read:?}, printed {line:?})");
            }
        };
        SftpServer {
            port,
            root,
            child,
            state,
        }
    }

    /// The private key the server accepts, for the remote's `keyfile`.
    pub fn client_key(&self) -> PathBuf {
        self.state.path().join("client_key")
    }

    /// The same key as [`SftpServer::client_key`], locked with [`SftpServer::PASSPHRASE`].
    pub fn locked_key(&self) -> PathBuf {
        self.state.path().join("locked_key")
    }

    /// `ssh://user@127.0.0.1:PORT/path` for `path` under the root (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("ssh://tester@127.0.0.1:{}{path}", self.port)
    }

    /// The served file at `path` (relative to the root).
    pub fn path(&self, path: &str) -> PathBuf {
        Path::new(&self.root).join(path)
    }
}

impl Drop for SftpServer {
    fn drop(&mut self) {
        // Best effort: nothing useful can be done if the server is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
