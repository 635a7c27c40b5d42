//! [`GcsServer`]: a loopback Google Cloud Storage JSON API (the pinned `gcp-storage-emulator`,
//! in memory, checking no credentials) with one bucket, started and stopped by the test that
//! uses it.

use std::process::{Child, Command};

use tempfile::TempDir;

use crate::loopback::start_on_free_port;
use crate::venv;

/// The emulator, killed on drop.
#[derive(Debug)]
pub struct GcsServer {
    /// `http://127.0.0.1:PORT`, for a remote's `endpointurl`.
    pub endpoint: String,
    child: Child,
    _state: TempDir,
}

impl GcsServer {
    /// Starts the emulator with bucket `bucket` and waits until it listens.
    ///
    /// # Panics
    ///
    /// If it is not installed or does not start (with its log).
    pub fn start(bucket: &str) -> Self {
        let binary = venv::gcs_emulator_bin();
        let state = tempfile::Builder::new()
            .prefix("dv-test-gcs-")
            .tempdir()
            .expect("create a temporary directory for the GCS emulator");
        let started = start_on_free_port("gcp-storage-emulator", state.path(), |port| {
            let mut command = Command::new(&binary);
            command
                .args(["start", "--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--default-bucket", bucket, "--in-memory", "-q"]);
            command
        });
        GcsServer {
            endpoint: format!("http://127.0.0.1:{}", started.port),
            child: started.child,
            _state: state,
        }
    }
}

impl Drop for GcsServer {
    fn drop(&mut self) {
        // Best effort: nothing useful can be done if the server is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
