//! How DVC runs a stage's command (spec §9.2): each command through the user's shell, without
//! its startup files, in the stage's working directory, with `DVC_ROOT` and `DVC_STAGE` set.

/// The shell DVC uses: `$SHELL`, else `/bin/sh`.
pub fn shell(shell_variable: Option<&str>) -> String {
    match shell_variable {
        Some(shell) if !shell.is_empty() => shell.to_owned(),
        _ => "/bin/sh".to_owned(),
    }
}

/// The program and arguments that run `command` with `shell` (DVC's `_make_cmd`): bash gets
/// `--noprofile --norc`, zsh `--no-rcs`, then `-c <command>`.
pub fn shell_command(shell: &str, command: &str) -> Vec<String> {
    let name = shell.rsplit('/').next().unwrap_or(shell).to_lowercase();
    let mut argv = vec![shell.to_owned()];
    match name.as_str() {
        "bash" => argv.extend(["--noprofile".to_owned(), "--norc".to_owned()]),
        "zsh" => argv.push("--no-rcs".to_owned()),
        _ => {}
    }
    argv.push("-c".to_owned());
    argv.push(command.to_owned());
    argv
}

/// The environment variable holding the repository root (set unless already set).
pub const DVC_ROOT: &str = "DVC_ROOT";

/// The environment variable holding the running stage's addressing.
pub const DVC_STAGE: &str = "DVC_STAGE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells() {
        assert_eq!(shell(None), "/bin/sh");
        assert_eq!(
            shell_command("/usr/bin/bash", "echo hi"),
            ["/usr/bin/bash", "--noprofile", "--norc", "-c", "echo hi"]
        );
        assert_eq!(
            shell_command("/bin/zsh", "x"),
            ["/bin/zsh", "--no-rcs", "-c", "x"]
        );
        assert_eq!(shell_command("/bin/sh", "x"), ["/bin/sh", "-c", "x"]);
    }
}
