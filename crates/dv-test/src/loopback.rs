//! [`start_on_free_port`]: starting a server process on a free loopback port and waiting until
//! it listens, retrying with another port when it exits at startup (another process took the
//! port between choosing and binding it). Used by the WebDAV, Google Cloud Storage and Azure
//! fixtures.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::environment::is_stripped;

/// How long a server may take to listen after it is started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a port is tried again when the server exits at startup.
const START_ATTEMPTS: u32 = 3;

/// A started server: its process, port and log file.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) log: PathBuf,
}

/// Starts the command `command(port)` builds, with `state` as working directory and `HOME`,
/// output to `state/<name>-<port>.log`, and waits until the port accepts connections.
///
/// # Panics
///
/// If the server does not listen within 30 seconds or keeps exiting, with its log.
pub(crate) fn start_on_free_port(
    name: &str,
    state: &Path,
    command: impl Fn(u16) -> Command,
) -> Started {
    for attempt in 1..=START_ATTEMPTS {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("bind a free loopback port");
        let log_path = state.join(format!("{name}-{port}.log"));
        let log = File::create(&log_path).expect("create the server log");
        let mut command = command(port);
        command
            .current_dir(state)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share the server log"))
            .stderr(log);
        for (variable, _) in std::env::vars_os() {
            if is_stripped(&variable) {
                command.env_remove(variable);
            }
        }
        command.env("HOME", state);
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("failed to start {name}: {error}"));
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = fs_err::read_to_string(&log_path).unwrap_or_default();
                if attempt < START_ATTEMPTS {
                    eprintln!("{name} on {address} exited at startup ({status}), retrying");
                    break;
                }
                panic!("{name} on {address} exited at startup ({status}); its log:\n{log}");
            }
            if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
                return Started {
                    child,
                    port,
                    log: log_path,
                };
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                let log = fs_err::read_to_string(&log_path).unwrap_or_default();
                panic!("{name} on {address} did not start; its log:\n{log}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
    unreachable!("the last start attempt either returns or panics")
}
