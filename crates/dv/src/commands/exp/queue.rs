//! `dv exp run --queue/--run-all/--temp` and `dv queue start/status/logs/remove/kill/stop`:
//! dv's local experiment queue (no Celery), each experiment run in its own clone under
//! `.dvc/tmp/exps/`, any number at once.

use clap::{Args, Subcommand};
use dv_repo::ops::exp::queue::{
    self as exp_queue, Finished, QueueRequest, RemoveQueued, RunQueued, enqueue, run_queued,
};
use dv_repo::{Environment, Workspace};

use super::run::ExpRunArgs;
use crate::exit::ExitStatus;
use crate::output::value::string_repr;
use crate::printer::Printer;

/// `{'params.yaml': ['train.lr=0.1']}`: a Python dict repr of overrides, as DVC prints them.
fn overrides_repr(overrides: &[(String, Vec<String>)]) -> String {
    let items: Vec<String> = overrides
        .iter()
        .map(|(path, list)| {
            let values: Vec<String> = list.iter().map(|item| string_repr(item)).collect();
            format!("{}: [{}]", string_repr(path), values.join(", "))
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

fn executable() -> anyhow::Result<std::path::PathBuf> {
    Ok(std::env::current_exe()?)
}

fn print_finished(printer: &Printer, done: &Finished) {
    use std::io::Write;
    if !printer.is_quiet() {
        let _ = std::io::stdout().lock().write_all(done.log.as_bytes());
    }
}

/// `exp run --queue`, `--run-all`, `--temp`.
pub fn run_outside(
    args: ExpRunArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let request = QueueRequest {
        set_params: args.set_param.clone(),
        name: args.name.clone(),
        targets: args.common.targets.clone(),
        message: args.message.clone(),
        force: args.common.force,
        copy_paths: args.copy_paths.clone(),
    };
    if args.run_all {
        return run_all(&workspace, printer, args.jobs, Vec::new(), true);
    }
    let queued = enqueue(&workspace, &request)?;
    if args.queue {
        for item in &queued {
            if !item.entry.overrides.is_empty() {
                printer.info(format!(
                    "Queueing with overrides '{}'.",
                    overrides_repr(&item.entry.overrides)
                ));
            }
            printer.info(format!(
                "Queued experiment '{}' for future execution.",
                item.entry.name
            ));
        }
        return Ok(ExitStatus::Success);
    }
    // --temp: run what was just queued, now; it leaves no entry in the queue (as dvc's
    // temporary-directory runs do not).
    let only: Vec<String> = queued.iter().map(|item| item.entry.id.clone()).collect();
    let status = run_all(&workspace, printer, args.jobs, only.clone(), false);
    exp_queue::remove(
        &workspace,
        &RemoveQueued {
            names: only,
            ..RemoveQueued::default()
        },
    )?;
    status
}

fn run_all(
    workspace: &Workspace,
    printer: &Printer,
    jobs: usize,
    only: Vec<String>,
    follow_banner: bool,
) -> anyhow::Result<ExitStatus> {
    if follow_banner {
        let pending = exp_queue::status(workspace)?
            .entries
            .iter()
            .any(|entry| entry.status == dv_repo::experiments::queue::Status::Queued);
        if !pending {
            return Ok(ExitStatus::Success);
        }
        printer.info(
            "Following logs for all queued experiments. Use Ctrl+C to stop following logs \
             (experiment execution will continue).\n",
        );
    }
    let results = run_queued(
        workspace,
        &RunQueued {
            executable: executable()?,
            jobs,
            only,
            keep_taking: false,
        },
        &|done| print_finished(printer, done),
    )?;
    let failed: Vec<&str> = results
        .iter()
        .filter(|done| done.entry.result.is_none())
        .map(|done| done.entry.name.as_str())
        .collect();
    if !failed.is_empty() {
        printer.error(format!(
            "Failed to reproduce experiment(s) '{}'",
            failed.join(", ")
        ));
    }
    let ran: Vec<&str> = results
        .iter()
        .filter(|done| done.entry.result.is_some())
        .map(|done| done.entry.name.as_str())
        .collect();
    if !ran.is_empty() {
        printer.info(format!("\nRan experiment(s): {}", ran.join(", ")));
        printer.info(
            "To apply the results of an experiment to your workspace run:\n\n\tdvc exp apply \
             <exp>",
        );
    }
    Ok(ExitStatus::Success)
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    #[command(subcommand)]
    pub command: QueueCommand,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Start the experiments task queue worker.
    Start {
        /// Number of queue workers to start.
        #[arg(short, long, value_name = "<number>", default_value_t = 1)]
        jobs: usize,
        /// Where the experiments run: a local background worker (local, the default), or one
        /// SLURM job per queued experiment (slurm).
        #[arg(long, value_enum, default_value_t = crate::commands::repro::Executor::Local)]
        executor: crate::commands::repro::Executor,
    },
    /// Stop all experiments task queue workers.
    Stop {
        /// Kill tasks if they are currently running.
        #[arg(long)]
        kill: bool,
    },
    /// Show the status of experiments task queue tasks and workers.
    Status,
    /// Show output logs for running and completed experiment queue tasks.
    Logs {
        /// Text encoding for redirected output.
        #[arg(short, long, value_name = "<encoding>")]
        encoding: Option<String>,
        /// Attach to task and follow additional live output.
        #[arg(short, long)]
        follow: bool,
        /// Task to show.
        #[arg(value_name = "<task>")]
        task: String,
    },
    /// Remove queued and completed tasks from the queue.
    Remove {
        /// Remove all queued and completed tasks from the queue.
        #[arg(long)]
        all: bool,
        /// Remove all queued tasks from the queue.
        #[arg(long)]
        queued: bool,
        /// Remove all successful tasks from the queue.
        #[arg(long)]
        success: bool,
        /// Remove all failed tasks from the queue.
        #[arg(long)]
        failed: bool,
        /// Tasks to remove.
        #[arg(value_name = "<task>")]
        task: Vec<String>,
    },
    /// Gracefully interrupt running experiment queue tasks (equivalent to Ctrl-C).
    Kill {
        /// Forcefully and immediately kill running experiment queue tasks.
        #[arg(short, long)]
        force: bool,
        /// Tasks in queue to kill.
        #[arg(value_name = "<task>")]
        task: Vec<String>,
    },
    /// Run queued experiments until the queue is empty or stopped (started by `queue start`).
    #[command(hide = true)]
    Worker {
        #[arg(short, long, default_value_t = 1)]
        jobs: usize,
        /// Only this entry (a SLURM job of `queue start --executor slurm`).
        #[arg(long)]
        entry: Option<String>,
    },
}

pub fn run(
    args: QueueArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    match args.command {
        QueueCommand::Start {
            executor: crate::commands::repro::Executor::Slurm,
            ..
        } => {
            let submitted = exp_queue::start_on_slurm(&workspace, &executable()?)?;
            for (name, job) in &submitted {
                printer.info(format!("Submitted experiment '{name}' as SLURM job {job}."));
            }
            if submitted.is_empty() {
                printer.info("No queued experiments to submit.");
            }
        }
        QueueCommand::Start { jobs, .. } => {
            exp_queue::start(&workspace, &executable()?, jobs)?;
            let suffix = if jobs > 1 { "s" } else { "" };
            printer.info(format!(
                "Started '{jobs}' new experiments task queue worker{suffix}."
            ));
        }
        QueueCommand::Worker { jobs, entry } => {
            // Experiments run in clones; the repository itself is only read, and its queue
            // files and refs are written atomically: other workers (and the user) may work on
            // it meanwhile.
            workspace.release_lock();
            run_queued(
                &workspace,
                &RunQueued {
                    executable: executable()?,
                    jobs,
                    only: entry.into_iter().collect(),
                    keep_taking: false,
                },
                &|done| print_finished(printer, done),
            )?;
        }
        QueueCommand::Stop { kill } => {
            exp_queue::stop(&workspace, kill)?;
            if kill {
                printer.info(
                    "All running tasks in the queue have been killed.Queue workers are stopping.",
                );
            } else {
                printer.info("Queue workers will stop after running tasks finish.");
            }
        }
        QueueCommand::Status => {
            let exp_queue::QueueStatus { entries, workers } = exp_queue::status(&workspace)?;
            if entries.is_empty() {
                printer.info("No experiment tasks in the queue.");
            } else {
                let mut table =
                    crate::output::table::Table::new(["Task", "Name", "Created", "Status"]);
                let mut seconds: Vec<i64> = entries.iter().map(|entry| entry.created).collect();
                seconds.push(dv_repo::clock::now_seconds());
                let times = dv_repo::ops::exp::show::local_times(&seconds);
                let today = times.last().copied();
                for (entry, time) in entries.iter().zip(&times) {
                    table.push_row([
                        entry.stash[..7].to_string(),
                        entry.name.clone(),
                        time.shown(today.as_ref()),
                        entry.status.shown().to_string(),
                    ]);
                }
                printer.data(table.render(crate::output::table::Format::Plain));
            }
            printer.info("");
            let active = workers.iter().filter(|(_, busy)| *busy).count();
            printer.info(format!(
                "Worker status: {active} active, {} idle",
                workers.len() - active
            ));
        }
        QueueCommand::Logs { follow, task, .. } => {
            let (entry, path) = exp_queue::logs(&workspace, &task)?;
            let mut shown = 0usize;
            loop {
                let text = std::fs::read(&path).unwrap_or_default();
                if text.len() > shown {
                    use std::io::Write;
                    let _ = std::io::stdout().lock().write_all(&text[shown..]);
                    shown = text.len();
                }
                let running = exp_queue::logs(&workspace, &task)
                    .map(|(entry, _)| {
                        matches!(
                            entry.status,
                            dv_repo::experiments::queue::Status::Running
                                | dv_repo::experiments::queue::Status::Queued
                        )
                    })
                    .unwrap_or(false);
                if !follow || !running {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            let _ = entry;
        }
        QueueCommand::Remove {
            all,
            queued,
            success,
            failed,
            task,
        } => {
            let flags = all || queued || success || failed;
            if flags != task.is_empty() {
                return Err(dv_repo::error::DvcError(
                    "Either provide an `tasks` argument, or use the `--all`, `--queued`, \
                     `--failed`, `--success` flag."
                        .into(),
                )
                .into());
            }
            let removed = exp_queue::remove(
                &workspace,
                &RemoveQueued {
                    names: task.clone(),
                    queued: queued || all,
                    success: success || all,
                    failed: failed || all,
                },
            )?;
            if removed.is_empty() {
                let names: Vec<String> = task.iter().map(|t| string_repr(t)).collect();
                printer.info(format!("No tasks found named [{}]", names.join(", ")));
            } else {
                printer.info(format!("Removed tasks in queue: {}", removed.join(", ")));
            }
        }
        QueueCommand::Kill { force, task } => exp_queue::kill(&workspace, &task, force)?,
    }
    Ok(ExitStatus::Success)
}
