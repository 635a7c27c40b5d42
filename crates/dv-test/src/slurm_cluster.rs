//! A real, throwaway single-node SLURM cluster (munged, slurmctld, slurmd from Debian's
//! packages) for one test, started by `scripts/slurm/start-slurm.sh` on two free loopback
//! ports with its files in a temporary directory, and stopped (by PID, nothing else) on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running test cluster.
pub struct SlurmCluster {
    dir: tempfile::TempDir,
    scripts: PathBuf,
}

impl SlurmCluster {
    /// Whether the SLURM packages are installed (`scripts/test` installs them; a test without
    /// them skips, loudly, unless `DV_REQUIRE_SLURM` is set, as `scripts/test` sets it).
    pub fn available() -> bool {
        let found = ["sbatch", "slurmctld", "slurmd", "munged"]
            .iter()
            .all(|tool| {
                Command::new("sh")
                    .args(["-c", &format!("command -v {tool} >/dev/null")])
                    .status()
                    .is_ok_and(|status| status.success())
            });
        if !found {
            assert!(
                std::env::var_os("DV_REQUIRE_SLURM").is_none(),
                "DV_REQUIRE_SLURM is set but the SLURM packages are missing"
            );
            eprintln!("SKIPPED: SLURM is not installed (scripts/test installs it)");
        }
        found
    }

    /// Starts a cluster and waits until its node is idle.
    ///
    /// # Panics
    ///
    /// If it does not come up.
    pub fn start() -> SlurmCluster {
        let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/slurm");
        let mut last_log = String::new();
        // A port taken between choosing it and binding it makes the start fail: try again.
        for _attempt in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("dv-slurm-")
                .tempdir()
                .expect("temporary directory for SLURM");
            let status = Command::new(scripts.join("start-slurm.sh"))
                .arg(dir.path())
                .env("SLURM_TEST_PORT", free_port_pair().to_string())
                .status()
                .expect("run start-slurm.sh");
            let cluster = SlurmCluster {
                dir,
                scripts: scripts.clone(),
            };
            if status.success() {
                return cluster;
            }
            last_log = std::fs::read_to_string(cluster.dir.path().join("log/slurmctld.log"))
                .unwrap_or_default();
        }
        panic!("SLURM did not come up:\n{last_log}");
    }

    /// `SLURM_CONF` for the commands that use this cluster.
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("etc/slurm.conf")
    }

    /// The controller's PID (to kill it in a test) and how to start it again.
    pub fn controller_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.path().join("pids"))
            .ok()?
            .lines()
            .find_map(|line| line.strip_prefix("slurmctld "))
            .and_then(|pid| pid.trim().parse().ok())
    }

    /// Starts slurmctld again (after a test killed it), recording its new PID.
    pub fn restart_controller(&self) {
        let log = std::fs::File::create(self.dir.path().join("log/slurmctld-restart.out"))
            .expect("log file");
        let child = Command::new("slurmctld")
            .args(["-D", "-f"])
            .arg(self.conf())
            .env("SLURM_CONF", self.conf())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start slurmctld");
        let pids = self.dir.path().join("pids");
        let mut text = std::fs::read_to_string(&pids).unwrap_or_default();
        text.push_str(&format!("slurmctld {}\n", child.id()));
        std::fs::write(pids, text).expect("record the PID");
        std::mem::forget(child);
    }

    fn stop(&self) {
        let _ = Command::new(self.scripts.join("stop-slurm.sh"))
            .arg(self.dir.path())
            .status();
    }
}

impl Drop for SlurmCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port `p` such that `p` and `p + 1` are both free on 127.0.0.1 (slurmctld and slurmd).
fn free_port_pair() -> u16 {
    loop {
        let first = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = first.local_addr().expect("local address").port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}
