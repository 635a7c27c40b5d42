//! [`WebDavServer`]: a loopback WebDAV server (the pinned `wsgidav`) serving one directory,
//! started and stopped by the test that uses it, anonymous or with one user and password
//! (HTTP basic authentication).

use std::path::PathBuf;
use std::process::{Child, Command};

use tempfile::TempDir;

use crate::loopback::start_on_free_port;
use crate::venv;

/// `wsgidav` on a free loopback port, killed on drop.
#[derive(Debug)]
pub struct WebDavServer {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The directory served as `/`.
    pub root: PathBuf,
    child: Child,
    log: PathBuf,
    _state: TempDir,
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
        let config = state.path().join("wsgidav.yaml");
        let started = start_on_free_port("wsgidav", state.path(), |port| {
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
            let mut command = Command::new(&binary);
            command.arg("--config").arg(&config);
            command
        });
        WebDavServer {
            host: format!("127.0.0.1:{}", started.port),
            root,
            child: started.child,
            log: started.log,
            _state: state,
        }
    }

    /// `webdav://127.0.0.1:PORT{path}` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("webdav://{}{path}", self.host)
    }

    /// The server's log so far, for diagnosing a failing test.
    pub fn log(&self) -> String {
        fs_err::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for WebDavServer {
    fn drop(&mut self) {
        // Best effort: nothing useful can be done if the server is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
