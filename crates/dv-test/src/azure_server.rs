//! [`AzureServer`]: a loopback Azure Blob Storage API (the pinned Azurite) started and stopped
//! by the test that uses it, with its well-known development account, plus creating a
//! container (signed with the account key by a few lines of Python on the oracle's
//! interpreter: Azurite, like Azure, creates no container on upload).

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::environment::is_stripped;
use crate::venv;

/// Azurite's development account and its published key.
pub const ACCOUNT: &str = "devstoreaccount1";
const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// How long the server may take to listen after it is started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const START_ATTEMPTS: u32 = 3;

/// Creates a container with a SharedKey-signed `PUT`.
const CREATE_CONTAINER: &str = r#"
import base64, hashlib, hmac, sys, urllib.request
from email.utils import formatdate
endpoint, account, key, container = sys.argv[1:5]
date = formatdate(usegmt=True)
version = "2021-08-06"
to_sign = (
    "PUT\n\n\n\n\napplication/octet-stream\n\n\n\n\n\n\n"
    f"x-ms-date:{date}\nx-ms-version:{version}\n"
    f"/{account}/{account}/{container}\nrestype:container"
)
signature = base64.b64encode(
    hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()
).decode()
request = urllib.request.Request(
    f"{endpoint}/{account}/{container}?restype=container",
    method="PUT",
    headers={
        "x-ms-date": date,
        "x-ms-version": version,
        "Content-Type": "application/octet-stream",
        "Authorization": f"SharedKey {account}:{signature}",
    },
)
urllib.request.urlopen(request)
"#;

/// Azurite's blob service on a free loopback port, killed on drop.
#[derive(Debug)]
pub struct AzureServer {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
    state: TempDir,
}

impl AzureServer {
    /// Starts `azurite-blob` on a free port, storing in a temporary directory, and waits until
    /// it listens.
    ///
    /// # Panics
    ///
    /// If Azurite is not installed or does not start (with its log).
    pub fn start() -> Self {
        let binary = venv::azurite_blob_bin();
        let state = tempfile::Builder::new()
            .prefix("dv-test-azurite-")
            .tempdir()
            .expect("create a temporary directory for Azurite");
        for attempt in 1..=START_ATTEMPTS {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .map(|address| address.port())
                .expect("bind a free loopback port");
            let log_path = state.path().join(format!("azurite-{port}.log"));
            let log = File::create(&log_path).expect("create the Azurite log");
            let mut command = Command::new(&binary);
            command
                .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
                .arg("--location")
                .arg(state.path().join("data"))
                .args(["--silent", "--skipApiVersionCheck", "--loose"])
                .current_dir(state.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("share the Azurite log"))
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
                    let log = fs_err::read_to_string(&log_path).unwrap_or_default();
                    if attempt < START_ATTEMPTS {
                        eprintln!("Azurite on {address} exited at startup ({status}), retrying");
                        break;
                    }
                    panic!("Azurite on {address} exited at startup ({status}); its log:\n{log}");
                }
                if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
                    return AzureServer {
                        endpoint: format!("http://{address}"),
                        child,
                        state,
                    };
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = fs_err::read_to_string(&log_path).unwrap_or_default();
                    panic!("Azurite on {address} did not start; its log:\n{log}");
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
        unreachable!("the last start attempt either returns or panics")
    }

    /// The connection string of the development account on this server (holds the key).
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};\
             BlobEndpoint={}/{ACCOUNT};",
            self.endpoint
        )
    }

    /// The development account's key.
    pub fn account_key(&self) -> &'static str {
        ACCOUNT_KEY
    }

    /// Creates container `name`.
    ///
    /// # Panics
    ///
    /// If the server refuses.
    pub fn create_container(&self, name: &str) {
        let python = venv::dvc_python();
        let status = Command::new(&python)
            .arg("-c")
            .arg(CREATE_CONTAINER)
            .args([&self.endpoint, ACCOUNT, ACCOUNT_KEY, name])
            .current_dir(self.state.path())
            .status()
            .unwrap_or_else(|error| panic!("failed to run `{}`: {error}", python.display()));
        assert!(status.success(), "creating container `{name}` failed");
    }
}

impl Drop for AzureServer {
    fn drop(&mut self) {
        // Best effort: nothing useful can be done if the server is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
