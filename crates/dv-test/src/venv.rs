//! Where the pinned test tools live: the oracle `dvc`, `moto_server`, `wsgidav`,
//! `gcp-storage-emulator` and Azurite.
//!
//! `scripts/test` creates virtual environments from `requirements/dvc.txt`,
//! `requirements/moto.txt`, `requirements/webdav.txt`, `requirements/gcs.txt` and
//! `requirements/roc-validator.txt`, and an npm
//! environment from `requirements/azurite/`, under `$DV_VENV_DIR` (default
//! `<workspace>/.venv`). A missing tool is a broken setup, never a reason to skip a test, so the
//! lookups here panic with the fix.

use std::path::{Path, PathBuf};

/// The variable naming the directory holding the `dvc/` and `moto/` virtual environments.
pub const VENV_DIR_VARIABLE: &str = "DV_VENV_DIR";

/// The directory holding the `dvc/` and `moto/` virtual environments: `$DV_VENV_DIR` if set,
/// else `<workspace>/.venv`.
pub fn venv_dir() -> PathBuf {
    match std::env::var_os(VENV_DIR_VARIABLE) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("..")
            .join(".venv"),
    }
}

/// The pinned real `dvc` executable, the oracle tests compare `dv` against.
///
/// # Panics
///
/// If it is not installed, with a message saying to run `scripts/test`.
pub fn dvc_bin() -> PathBuf {
    installed(
        venv_dir().join("dvc").join("bin").join("dvc"),
        "the oracle `dvc`",
    )
}

/// The Python interpreter of the oracle's environment, which has `asyncssh` (the loopback SFTP
/// server runs on it).
///
/// # Panics
///
/// If it is not installed, with a message saying to run `scripts/test`.
pub fn dvc_python() -> PathBuf {
    installed(
        venv_dir().join("dvc").join("bin").join("python"),
        "the oracle's Python",
    )
}

/// The pinned `wsgidav` executable serving the loopback WebDAV server.
///
/// # Panics
///
/// If it is not installed, with a message saying to run `scripts/test`.
pub fn wsgidav_bin() -> PathBuf {
    installed(
        venv_dir().join("webdav").join("bin").join("wsgidav"),
        "`wsgidav`",
    )
}

/// The pinned `azurite-blob` executable serving the loopback Azure Blob Storage API (installed
/// with npm from `requirements/azurite/`).
///
/// # Panics
///
/// If it is not installed, with a message saying to run `scripts/test`.
pub fn azurite_blob_bin() -> PathBuf {
    installed(
        venv_dir()
            .join("azurite")
            .join("node_modules")
            .join(".bin")
            .join("azurite-blob"),
        "`azurite-blob`",
    )
}

/// The pinned `gcp-storage-emulator` executable serving the loopback Google Cloud Storage API.
///
/// # Panics
///
/// If it is not installed, with a message saying to run `scripts/test`.
pub fn gcs_emulator_bin() -> PathBuf {
    installed(
        venv_dir()
            .join("gcs")
            .join("bin")
            .join("gcp-storage-emulator"),
        "`gcp-storage-emulator`",
    )
}

/// The pinned `moto_server` executable serving the loopback S3 API.
///
/// # Panics
///
/// If it is not installed, with a message saying to run `scripts/test`.
pub fn moto_server_bin() -> PathBuf {
    installed(
        venv_dir().join("moto").join("bin").join("moto_server"),
        "`moto_server`",
    )
}

/// The Python interpreter of the pinned `roc-validator` environment (the RO-Crate validator,
/// `requirements/roc-validator.txt`), which runs the offline wrapper of the tests' fixtures.
///
/// # Panics
///
/// If it is not installed, with a message saying to run `scripts/test`.
pub fn roc_validator_python() -> PathBuf {
    installed(
        venv_dir().join("roc-validator").join("bin").join("python"),
        "the RO-Crate validator's Python (`roc-validator`)",
    )
}

fn installed(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.is_file(),
        "{what} is not installed at `{}`: run `scripts/test` once, which creates the pinned \
         virtual environments under `${VENV_DIR_VARIABLE}` (default `<workspace>/.venv`), or set \
         `{VENV_DIR_VARIABLE}` to a directory holding `dvc/` and `moto/` environments",
        path.display()
    );
    path
}
