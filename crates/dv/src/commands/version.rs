//! `dv version` / `dv doctor`: versions and environment, laid out like `dvc version`.

use dv_repo::config::{global_config_dir, system_config_dir};
use dv_repo::{Environment, Repo};

use crate::exit::ExitStatus;
use crate::printer::Printer;

pub fn run(environment: &Environment, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let mut lines = vec![
        format!(
            "DV version: {} (DVC 3.x compatible)",
            env!("CARGO_PKG_VERSION")
        ),
        "-------------------------".to_string(),
        format!(
            "Platform: {} {}",
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        "Supports:".to_string(),
        "\tlocal".to_string(),
        "Config:".to_string(),
        format!("\tGlobal: {}", global_config_dir(environment).display()),
        format!("\tSystem: {}", system_config_dir(environment).display()),
    ];
    match Repo::discover(&environment.cwd) {
        Ok(repo) => {
            let scm = if repo.root().join(".git").exists() {
                "dvc, git"
            } else {
                "dvc (no_scm)"
            };
            lines.push(format!("Repo: {scm}"));
            lines.push(format!("Workspace directory: {}", repo.root().display()));
        }
        Err(_) => lines.push("Repo: none".to_string()),
    }
    printer.data(lines.join("\n"));
    Ok(ExitStatus::Success)
}
