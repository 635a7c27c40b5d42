//! [`AzureServer`]: a loopback Azure Blob Storage API (the pinned Azurite) started and stopped
//! by the test that uses it, with its well-known development account, plus creating a
//! container (signed with the account key by a few lines of Python on the oracle's
//! interpreter: Azurite, like Azure, creates no container on upload).

use std::process::{Child, Command};

use tempfile::TempDir;

use crate::loopback::start_on_free_port;
use crate::venv;

/// Azurite's development account and its published key.
pub const ACCOUNT: &str = "devstoreaccount1";
const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

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
        let data = state.path().join("data");
        let started = start_on_free_port("azurite", state.path(), |port| {
            let mut command = Command::new(&binary);
            command
                .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
                .arg("--location")
                .arg(&data)
                .args(["--silent", "--skipApiVersionCheck", "--loose"]);
            command
        });
        AzureServer {
            endpoint: format!("http://127.0.0.1:{}", started.port),
            child: started.child,
            state,
        }
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
