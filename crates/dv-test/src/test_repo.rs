//! [`TestRepo`]: a throwaway repository directory with its own home and config locations, and
//! the commands (`dv`, the oracle `dvc`, git) run inside it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::environment::IsolatedEnvironment;
use crate::venv;

/// The variable naming a prebuilt `dv` binary to test instead of the one cargo built.
pub const DV_BIN_VARIABLE: &str = "DV_BIN";

/// A temporary directory holding a repository root and everything a command run in it could
/// otherwise read from or write to the user's machine:
///
/// ```text
/// <tmp>/work/            the repository root, see `root()`
/// <tmp>/home/            HOME (with .gitconfig and .config/ for XDG_CONFIG_HOME)
/// <tmp>/config/global/   DVC_GLOBAL_CONFIG_DIR
/// <tmp>/config/system/   DVC_SYSTEM_CONFIG_DIR
/// <tmp>/site-cache/      DVC_SITE_CACHE_DIR
/// ```
///
/// Every command started through it ([`dv`](Self::dv), [`dvc`](Self::dvc),
/// [`command`](Self::command), [`git`](Self::git)) runs in the root with that environment and
/// without inherited `AWS_*`, `DVC_*`, `GIT_*` and `XDG_*` variables. The directory is deleted
/// on drop.
#[derive(Debug)]
pub struct TestRepo {
    temp: TempDir,
    /// The canonical path of `temp`.
    temp_path: PathBuf,
    root: PathBuf,
    environment: IsolatedEnvironment,
}

impl Default for TestRepo {
    fn default() -> Self {
        Self::new()
    }
}

impl TestRepo {
    /// A git repository (`git init -q -b main`, a local committer identity, no commit
    /// signing) with nothing else in it.
    pub fn new() -> Self {
        let repo = Self::without_git();
        repo.git(&["init", "-q", "-b", "main"]);
        repo.configure_git_identity();
        repo
    }

    /// An empty root directory that is not a git repository (`dvc init --no-scm` territory).
    pub fn without_git() -> Self {
        let temp = tempfile::Builder::new()
            .prefix("dv-test-")
            .tempdir()
            .expect("create a temporary directory for a test repository");
        let temp_path = fs_err::canonicalize(temp.path())
            .expect("canonicalize the temporary directory of a test repository");
        let root = temp_path.join("work");
        fs_err::create_dir(&root).expect("create the root of a test repository");
        let environment = IsolatedEnvironment::create(&temp_path);
        Self {
            temp,
            temp_path,
            root,
            environment,
        }
    }

    /// The repository root (canonical), the working directory of every command.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temporary directory holding the root and the isolated home and config directories
    /// (canonical). A place for things that belong outside the repository, such as a local
    /// remote.
    pub fn temp_dir(&self) -> &Path {
        &self.temp_path
    }

    /// `rel` (a relative, `/`-separated path) under the root.
    ///
    /// # Panics
    ///
    /// If `rel` is absolute.
    pub fn path(&self, rel: &str) -> PathBuf {
        assert!(
            Path::new(rel).is_relative(),
            "`{rel}` must be relative to the repository root"
        );
        self.root.join(rel)
    }

    /// The directory DVC reads its global config from (`DVC_GLOBAL_CONFIG_DIR`).
    pub fn global_config_dir(&self) -> PathBuf {
        self.environment.global_config().to_path_buf()
    }

    /// The directory DVC reads its system config from (`DVC_SYSTEM_CONFIG_DIR`).
    pub fn system_config_dir(&self) -> PathBuf {
        self.environment.system_config().to_path_buf()
    }

    /// The isolated home directory (`HOME`).
    pub fn home(&self) -> PathBuf {
        self.environment.home().to_path_buf()
    }

    /// Writes `contents` to `rel` under the root, creating parent directories.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).expect("create the parent directories of a test file");
        }
        fs_err::write(&path, contents).expect("write a test file");
    }

    /// The contents of `rel` under the root, as UTF-8.
    ///
    /// # Panics
    ///
    /// If the file cannot be read or is not UTF-8.
    pub fn read(&self, rel: &str) -> String {
        fs_err::read_to_string(self.path(rel)).expect("read a file of the test repository")
    }

    /// Whether `rel` exists under the root (without following a final symlink).
    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).symlink_metadata().is_ok()
    }

    /// The `dv` binary under test: `$DV_BIN` if set, else the one cargo built for this
    /// integration test (`CARGO_BIN_EXE_dv`).
    pub fn dv(&self) -> assert_cmd::Command {
        let binary = match std::env::var_os(DV_BIN_VARIABLE) {
            Some(binary) if !binary.is_empty() => PathBuf::from(binary),
            _ => assert_cmd::cargo::cargo_bin("dv"),
        };
        self.command(binary)
    }

    /// The `dv` binary as a plain [`std::process::Command`] (same environment as
    /// [`dv`](Self::dv)), for tests that spawn it and signal it while it runs.
    pub fn dv_process(&self) -> std::process::Command {
        let binary = match std::env::var_os(DV_BIN_VARIABLE) {
            Some(binary) if !binary.is_empty() => PathBuf::from(binary),
            _ => assert_cmd::cargo::cargo_bin("dv"),
        };
        self.std_command(binary.as_os_str())
    }

    /// The oracle `dvc` as a plain [`std::process::Command`] (same environment as
    /// [`dvc`](Self::dvc)), for tests that spawn it and signal it while it runs.
    pub fn dvc_process(&self) -> std::process::Command {
        self.std_command(venv::dvc_bin().as_os_str())
    }

    /// Points the default remote `store` at `s3://<bucket>/store` on the S3 server at
    /// `endpoint`, with the credentials in `.dvc/config.local` as the seed workflow does
    /// (`remote add -f`, so it can re-point an existing `store`).
    ///
    /// # Panics
    ///
    /// If a `dv remote` command fails.
    pub fn use_s3_remote(&self, bucket: &str, endpoint: &str) {
        let url = format!("s3://{bucket}/store");
        for args in [
            &["remote", "add", "-f", "-d", "store", url.as_str()][..],
            &["remote", "modify", "store", "endpointurl", endpoint],
            &[
                "remote",
                "modify",
                "--local",
                "store",
                "access_key_id",
                "test",
            ],
            &[
                "remote",
                "modify",
                "--local",
                "store",
                "secret_access_key",
                "test",
            ],
        ] {
            crate::run(self.dv().args(args)).success();
        }
    }

    /// The pinned real `dvc`, the oracle, with the same working directory and environment as
    /// [`dv`](Self::dv).
    ///
    /// # Panics
    ///
    /// If the oracle is not installed, with a message saying to run `scripts/test`.
    pub fn dvc(&self) -> assert_cmd::Command {
        self.command(venv::dvc_bin())
    }

    /// Any `program`, run in the root with the isolated environment.
    pub fn command(&self, program: impl AsRef<OsStr>) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_command(program.as_ref()))
    }

    /// Runs `git args...` in the root and returns its stdout.
    ///
    /// # Panics
    ///
    /// If git fails, with its stderr.
    pub fn git(&self, args: &[&str]) -> String {
        run_git(self.std_command(OsStr::new("git")), args)
    }

    /// A `git clone` of this repository into a new [`TestRepo`] with its own temporary
    /// directory and isolated environment (`--no-hardlinks`, so the two share no files).
    pub fn git_clone(&self) -> TestRepo {
        let clone = TestRepo::without_git();
        let source = self.root.to_str().expect("temporary paths are UTF-8");
        clone.git(&["clone", "-q", "--no-hardlinks", source, "."]);
        clone.configure_git_identity();
        clone
    }

    /// The spellings of the root that may appear in output: canonical and as created.
    pub(crate) fn root_spellings(&self) -> [PathBuf; 2] {
        [self.root.clone(), self.temp.path().join("work")]
    }

    /// The spellings of the temporary directory that may appear in output.
    pub(crate) fn temp_spellings(&self) -> [PathBuf; 2] {
        [self.temp_path.clone(), self.temp.path().to_path_buf()]
    }

    fn std_command(&self, program: &OsStr) -> std::process::Command {
        let mut command = std::process::Command::new(program);
        command.current_dir(&self.root);
        self.environment.apply(&mut command, std::env::vars_os());
        command
    }

    fn configure_git_identity(&self) {
        self.git(&["config", "user.name", "dv test"]);
        self.git(&["config", "user.email", "dv-test@example.com"]);
        self.git(&["config", "commit.gpgsign", "false"]);
    }
}

fn run_git(mut command: std::process::Command, args: &[&str]) -> String {
    let output = command
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("failed to start `git {}`: {error}", args.join(" ")));
    assert!(
        output.status.success(),
        "`git {}` failed ({}):\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("git output is UTF-8")
}
