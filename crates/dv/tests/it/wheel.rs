//! The Python wheel of `dv` (distribution `dv-cli`, built by `scripts/build-wheel` from the
//! release build): installed with pip, offline, into a fresh virtual environment, its `dv` is
//! the crate's version and works in a git repository (`version`, `init`, `add`).
//!
//! `scripts/test` builds the wheel into `$DV_VENV_DIR/wheel/` and names it in `$DV_WHEEL`; a
//! missing wheel is a broken setup (run `scripts/test`), not a reason to skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use dv_test::{TestRepo, run};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The wheel under test: `$DV_WHEEL`, else the `dv_cli-<crate version>` wheel in
/// `$DV_VENV_DIR/wheel/`.
fn wheel() -> PathBuf {
    if let Some(path) = std::env::var_os("DV_WHEEL").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let dir = dv_test::venv::venv_dir().join("wheel");
    let prefix = format!("dv_cli-{VERSION}-");
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".whl"))
        })
        .collect();
    match found.as_slice() {
        [one] => one.clone(),
        _ => panic!(
            "expected one {prefix}*.whl in {} (found {}); run scripts/test, which builds it \
             with scripts/build-wheel, or set DV_WHEEL",
            dir.display(),
            found.len()
        ),
    }
}

/// Runs `command` and panics with its output unless it succeeds; its stdout.
fn check(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A fresh virtual environment at `dir` with the wheel installed by pip from the file alone
/// (`--no-index`: no registry, no dependencies to fetch); its `bin/dv`.
fn install(wheel: &Path, dir: &Path) -> PathBuf {
    let python = std::env::var_os("PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into());
    check(Command::new(python).args(["-m", "venv"]).arg(dir));
    check(
        Command::new(dir.join("bin").join("pip"))
            .args([
                "install",
                "--quiet",
                "--no-index",
                "--disable-pip-version-check",
            ])
            .arg(wheel)
            .env("PIP_NO_INPUT", "1"),
    );
    dir.join("bin").join("dv")
}

#[test]
fn pip_installs_the_wheel_and_its_dv_inits_and_adds() {
    let wheel = wheel();
    let name = wheel.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("dv_cli-{VERSION}-py3-none-")) && name.ends_with(".whl"),
        "{name}: not a dv-cli {VERSION} wheel for any Python"
    );

    let repo = TestRepo::new();
    let env = repo.temp_dir().join("venv");
    let dv = install(&wheel, &env);
    assert!(dv.is_file(), "pip did not install {}", dv.display());

    let shown = check(Command::new(env.join("bin").join("python")).args([
        "-m",
        "pip",
        "show",
        "--disable-pip-version-check",
        "dv-cli",
    ]));
    assert!(
        shown
            .lines()
            .any(|line| line == format!("Version: {VERSION}")),
        "{shown}"
    );

    let version = run(repo.command(&dv).arg("--version"));
    version.success();
    assert_eq!(version.stdout, format!("dv {VERSION}\n"));
    let version = run(repo.command(&dv).arg("version"));
    version.success();
    assert!(
        version
            .stdout
            .starts_with(&format!("DV version: {VERSION} ")),
        "{}",
        version.stdout
    );

    run(repo.command(&dv).args(["init", "-q"])).success();
    assert!(repo.exists(".dvc/config"));
    repo.write("data.txt", "hello\n");
    run(repo.command(&dv).args(["add", "-q", "data.txt"])).success();
    assert_eq!(
        repo.read("data.txt.dvc"),
        "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: \
         data.txt\n"
    );
    assert_eq!(repo.read(".gitignore"), "/data.txt\n");
    assert!(repo.exists(".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184"));
}
