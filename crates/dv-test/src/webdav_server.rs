//! [`WebDavServer`]: a loopback WebDAV server (the pinned `wsgidav`) serving one directory,
//! started and stopped by the test that uses it, anonymous or with one user and password
//! (HTTP basic authentication).

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::environment::is_stripped;
use crate::venv;

/// How long the server may take to listen after it is started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a port is tried again when the server exits at startup.
const START_ATTEMPTS: u32 = 3;

/// `wsgidav` on a free loopback port, killed on drop.
#[derive(Debug)]
pub struct WebDavServer {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The directory served as `/`.
    pub root: PathBuf,
    child: Child,
    state: TempDir,
}

impl WebDavServer {
    /// Serves `root` (created if missing) to anyone, read-write.
    ///
    /// # Panics
    ///
    /// If `wsgidav` is not installed or does not start (with its log).
    pub fn start(root: impl Into<PathBuf>) -> Self {
        Self::start_with(root.into(), None)
    }

    /// Serves `root` (created if missing) to `user` with `password` only.
    ///
    /// # Panics
    ///
    /// Like [`start`](Self::start).
    pub fn start_with_user(root: impl Into<PathBuf>, user: &str, password: &str) -> Self {
        Self::start_with(root.into(), Some((user, password)))
    }

    fn start_with(root: PathBuf, user: Option<(&str, &str)>) -> Self {
        fs_err::create_dir_all(&root).expect("create the WebDAV root");
        let state = tempfile::Builder::new()
            .prefix("dv-test-webdav-")
            .tempdir()
            .expect("create a temporary directory for the WebDAV server");
        let binary = venv::wsgidav_bin();
        let users = match user {
            None => "    \"*\": true\n".to_owned(),
            Some((user, password)) => {
                format!("    \"*\":\n      \"{user}\":\n        password: \"{password}\"\n")
            }
        };
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let config = state.path().join("wsgidav.yaml");
            let log_path = state.path().join(format!("wsgidav-{port}.log"));
            fs_err::write(
                &config,
                format!(
                    "host: 127.0.0.1\nport: {port}\nverbose: 1\nprovider_mapping:\n  \"/\": \
                     \"{root}\"\nhttp_authenticator:\n  accept_basic: true\n  accept_digest: \
                     false\n  default_to_digest: false\n  domain_controller: null\n\
                     dir_browser:\n  enable: false\nsimple_dc:\n  user_mapping:\n{users}",
                    root = root.display()
                ),
            )
            .expect("write the WebDAV server config");
            let log = File::create(&log_path).expect("create the WebDAV server log");
            let mut command = Command::new(&binary);
            command
                .arg("--config")
                .arg(&config)
                .current_dir(state.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("share the WebDAV server log"))
                .stderr(log);
            for (name, _) in std::env::vars_os() {
                if is_stripped(&name) {
                    command.env_remove(name);
                }
            }
            command.env("HOME", state.path());
            let mut child = command
                .spawn()
                .unwrap_or_else(|error| panic!("failed to start `{}`: {error}", binary.display()));
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let deadline = Instant::now() + STARTUP_TIMEOUT;
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    if attempt < START_ATTEMPTS {
                        eprintln!("wsgidav on {address} exited at startup ({status}), retrying");
                        break;
                    }
                    let log = fs_err::read_to_string(&log_path).unwrap_or_default();
                    panic!("wsgidav on {address} exited at startup ({status}); its log:\n{log}");
                }
                if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
                    return WebDavServer {
                        host: address.to_string(),
                        root,
                        child,
                        state,
                    };
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = fs_err::read_to_string(&log_path).unwrap_or_default();
                    panic!("wsgidav on {address} did not start; its log:\n{log}");
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
        unreachable!("the last start attempt either returns or panics")
    }

    /// `webdav://127.0.0.1:PORT{path}` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("webdav://{}{path}", self.host)
    }

    /// The server's log so far, for diagnosing a failing test.
    pub fn log(&self) -> String {
        let port = self.host.rsplit(':').next().unwrap_or_default();
        fs_err::read_to_string(self.state.path().join(format!("wsgidav-{port}.log")))
            .unwrap_or_default()
    }
}

impl Drop for WebDavServer {
    fn drop(&mut self) {
        // Best effort: nothing useful can be done if the server is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("bind a free loopback port")
}
