//! Running a stage's commands (DVC's `cmd_run`): through the shell DVC uses, in the stage's working
//! directory, with `DVC_ROOT` and `DVC_STAGE` set and Ctrl-C left to the command; inline with the
//! terminal, or on a worker thread with each output line prefixed by the stage name (`-j`).

use std::path::PathBuf;

use dv_pipeline::execution;
use dv_pipeline::stage::Stage;

use crate::error::DvcError;
use crate::interrupt::Interrupts;
use crate::workspace::Workspace;
use crate::workspace::absolute;

use super::run::*;

/// The signal number of SIGINT (Ctrl-C).
pub(super) const SIGINT: i32 = 2;

/// A stage's commands with everything needed to run them away from the repository state (on a
/// worker thread with `-j`).
pub(super) struct CommandRun {
    pub(super) addressing: String,
    pub(super) commands: Vec<String>,
    pub(super) shell: String,
    pub(super) wdir: PathBuf,
    pub(super) env: Vec<(String, String)>,
}

impl CommandRun {
    /// The process for one of the commands.
    pub(super) fn process(&self, command: &str) -> std::process::Command {
        let argv = execution::shell_command(&self.shell, command);
        let mut process = std::process::Command::new(&argv[0]);
        process.args(&argv[1..]).current_dir(&self.wdir);
        process.env_clear();
        process.envs(self.env.iter().map(|(k, v)| (k, v)));
        process
    }
}

/// What a stage running on a worker thread reports to the main thread.
pub(super) enum WorkerMessage {
    /// Something to print (a command about to run, a line of its output).
    Event(ReproEvent),
    /// The stage's commands finished (the step's position in the plan).
    Done(usize, anyhow::Result<()>),
}

/// The stage's commands with the shell, working directory and environment DVC gives them
/// (`DVC_ROOT`, `DVC_STAGE`).
pub(super) fn command_run(workspace: &Workspace, stage: &Stage, addressing: &str) -> CommandRun {
    let mut env: Vec<(String, String)> = workspace
        .environment()
        .vars()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if workspace.environment().var(execution::DVC_ROOT).is_none() {
        env.push((
            execution::DVC_ROOT.to_owned(),
            workspace.root().to_string_lossy().into_owned(),
        ));
    }
    env.push((execution::DVC_STAGE.to_owned(), addressing.to_owned()));
    CommandRun {
        addressing: addressing.to_owned(),
        commands: stage
            .cmd()
            .commands()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        shell: execution::shell(workspace.environment().var("SHELL")),
        wdir: absolute(workspace, &stage.wdir),
        env,
    }
}

/// Waits for a command's process with Ctrl-C left to it (DVC ignores SIGINT meanwhile): a
/// command killed by it fails the stage like any other failure.
pub(super) fn wait_for(
    command: &str,
    interrupts: &Interrupts,
    child: std::io::Result<std::process::Child>,
) -> anyhow::Result<()> {
    use std::os::unix::process::ExitStatusExt;
    let deferral = interrupts.defer();
    let status = child.and_then(|mut child| child.wait());
    let interrupted = status
        .as_ref()
        .is_ok_and(|status| status.signal() == Some(SIGINT));
    deferral.settle(interrupted);
    let status = status.map_err(|error| anyhow::anyhow!("failed to run: {command}: {error}"))?;
    if !status.success() {
        let code = status
            .code()
            .unwrap_or_else(|| -status.signal().unwrap_or(0));
        return Err(DvcError(format!("failed to run: {command}, exited with {code}")).into());
    }
    Ok(())
}

/// Runs a stage's commands one after the other with the terminal's input and output, as DVC
/// does.
pub(super) fn execute_inline(
    run: &CommandRun,
    interrupts: &Interrupts,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<()> {
    events(ReproEvent::Running(run.addressing.clone()));
    for command in &run.commands {
        events(ReproEvent::Command(command.clone()));
        wait_for(command, interrupts, run.process(command).spawn())?;
    }
    Ok(())
}

/// Runs a stage's commands on a worker thread (`-j`): no input, each line of output sent to
/// the main thread to be printed with the stage's name in front.
pub(super) fn execute_prefixed(
    run: &CommandRun,
    interrupts: &Interrupts,
    sender: &std::sync::mpsc::Sender<WorkerMessage>,
) -> anyhow::Result<()> {
    use std::process::Stdio;
    let send = |event: ReproEvent| {
        let _ = sender.send(WorkerMessage::Event(event));
    };
    send(ReproEvent::Running(run.addressing.clone()));
    for command in &run.commands {
        send(ReproEvent::Command(command.clone()));
        let mut process = run.process(command);
        process
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match process.spawn() {
            Ok(child) => child,
            Err(error) => return wait_for(command, interrupts, Err(error)),
        };
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        std::thread::scope(|scope| {
            let forward = |stream: Box<dyn std::io::Read + Send>, stderr: bool| {
                let sender = sender.clone();
                let stage = run.addressing.clone();
                move || {
                    use std::io::BufRead;
                    let mut reader = std::io::BufReader::new(stream);
                    let mut line = Vec::new();
                    while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                        let text = String::from_utf8_lossy(&line)
                            .trim_end_matches(['\n', '\r'])
                            .to_owned();
                        let _ = sender.send(WorkerMessage::Event(ReproEvent::Output {
                            stage: stage.clone(),
                            line: text,
                            stderr,
                        }));
                        line.clear();
                    }
                }
            };
            if let Some(stdout) = stdout {
                scope.spawn(forward(Box::new(stdout), false));
            }
            if let Some(stderr) = stderr {
                scope.spawn(forward(Box::new(stderr), true));
            }
            wait_for(command, interrupts, Ok(child))
        })?;
    }
    Ok(())
}
