//! The order stages run in (DVC's `_reproduce`): the plan walked with forcing, skipping and
//! failures handled as `on_error` says, and with `-j N` up to N commands at once while checking,
//! caching and lock writing stay on one thread.

use dv_pipeline::graph::StageGraph;

use crate::error::DvcError;
use crate::pipelines::RepoWorkspace;

use super::command::{WorkerMessage, execute_inline, execute_prefixed};
use super::prepare::{Prepared, Recording};
use super::run::*;

/// What the run has learned so far about the planned stages.
pub(super) struct Tally {
    /// Stages to run even if unchanged (`-f`, or `--force-downstream` after one ran).
    pub(super) forced: Vec<bool>,
    /// Stages not to look at (`-k`: they depend on one that failed).
    pub(super) skipped: Vec<bool>,
    /// Stages that failed (`-k`, `--ignore-errors`).
    pub(super) failed: Vec<String>,
    /// The failure that stops the run (the default `on_error`).
    pub(super) stop: Option<anyhow::Error>,
}

/// Whether a stage ran, failed, or was not started, as its dependents see it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Ran,
    Unchanged,
    Failed,
}

/// A step of the plan is done: the steps waiting for it that wait for nothing else are ready.
pub(super) fn done(
    at: usize,
    waiting: &mut [usize],
    later: &[Vec<usize>],
    ready: &mut std::collections::BTreeSet<usize>,
) {
    for &next in &later[at] {
        waiting[next] = waiting[next].saturating_sub(1);
        if waiting[next] == 0 {
            ready.insert(next);
        }
    }
}

impl Run<'_> {
    /// DVC's `_reproduce`: each planned stage in order, with forcing, skipping and failures
    /// handled as `on_error` says. With `-j N` above one, up to N stages whose upstream stages
    /// in the plan are done run their commands at once (on worker threads, their output
    /// prefixed by the stage name); checking, hashing, caching and lock writing stay on this
    /// thread, one stage at a time, so `dvc.lock` is the same whatever the order.
    pub(super) fn reproduce(
        &mut self,
        graph: Option<&StageGraph>,
        steps: &[usize],
        events: &mut dyn FnMut(ReproEvent),
    ) -> anyhow::Result<()> {
        let count = self.index.stages.len();
        let mut tally = Tally {
            forced: vec![self.options.force; count],
            skipped: vec![false; count],
            failed: Vec::new(),
            stop: None,
        };
        let mut previous_ran = false;
        let mut state = self.workspace.load_state();
        let jobs = self.workspace.jobs(self.options.jobs);
        let parallel = self.options.stage_jobs.max(1);

        // The plan's own edges: a step waits for the steps of the plan it depends on (without
        // a graph, `-s`, for the step before it).
        let mut waiting = vec![0usize; steps.len()];
        let mut later: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
        for (at, &step) in steps.iter().enumerate() {
            let before: Vec<usize> = match graph {
                Some(graph) => graph
                    .dependencies(step)
                    .iter()
                    .filter_map(|dependency| steps.iter().position(|s| s == dependency))
                    .collect(),
                None => at.checked_sub(1).into_iter().collect(),
            };
            waiting[at] = before.len();
            for earlier in before {
                later[earlier].push(at);
            }
        }
        let mut ready: std::collections::BTreeSet<usize> =
            (0..steps.len()).filter(|&at| waiting[at] == 0).collect();
        let mut running: std::collections::HashMap<usize, Recording> =
            std::collections::HashMap::new();

        let result = std::thread::scope(|scope| -> anyhow::Result<()> {
            let (sender, receiver) = std::sync::mpsc::channel::<WorkerMessage>();
            loop {
                while tally.stop.is_none() && running.len() < parallel {
                    let Some(at) = ready.pop_first() else {
                        break;
                    };
                    let step = steps[at];
                    if !tally.skipped[step] {
                        if previous_ran {
                            events(ReproEvent::Separator);
                        }
                        let addressing = self.index.stages[step].addressing(&self.index.cwd);
                        self.log_start(step);
                        let prepared = self.prepare(
                            graph,
                            step,
                            tally.forced[step],
                            &mut RepoWorkspace::new(self.workspace, &mut state, jobs),
                            events,
                        );
                        let finished = match prepared {
                            Ok(Prepared::Done(ran)) => Ok(ran),
                            Ok(Prepared::Record(recording)) => {
                                self.record_ran(step, recording, &mut state, jobs, events)
                            }
                            Ok(Prepared::Execute(recording, command)) if parallel == 1 => {
                                let interrupts = &self.options.interrupts;
                                let status = self.unlocked(|| {
                                    execute_inline(&command, interrupts, &mut *events)
                                });
                                status.and_then(|()| {
                                    self.record_ran(step, recording, &mut state, jobs, events)
                                })
                            }
                            Ok(Prepared::Execute(recording, command)) => {
                                let sender = sender.clone();
                                let interrupts = self.options.interrupts.clone();
                                scope.spawn(move || {
                                    let result = execute_prefixed(&command, &interrupts, &sender);
                                    let _ = sender.send(WorkerMessage::Done(at, result));
                                });
                                running.insert(at, recording);
                                previous_ran = true;
                                continue;
                            }
                            Err(error) => Err(error),
                        };
                        let outcome =
                            self.settle(graph, step, &addressing, finished, &mut tally, events);
                        previous_ran = outcome == Outcome::Ran;
                    }
                    done(at, &mut waiting, &later, &mut ready);
                }
                if running.is_empty() {
                    break;
                }
                // Waiting for commands: the repository is theirs (a stage may run `dv`).
                self.workspace.release_lock();
                let message = receiver
                    .recv()
                    .map_err(|_| anyhow::anyhow!("a stage's worker thread stopped"))?;
                match message {
                    WorkerMessage::Event(event) => events(event),
                    WorkerMessage::Done(at, result) => {
                        self.workspace.reacquire_lock()?;
                        self.locks_checked.clear();
                        let step = steps[at];
                        let addressing = self.index.stages[step].addressing(&self.index.cwd);
                        let recording = running
                            .remove(&at)
                            .ok_or_else(|| anyhow::anyhow!("unknown stage finished"))?;
                        let finished = result.and_then(|()| {
                            self.record_ran(step, recording, &mut state, jobs, events)
                        });
                        self.settle(graph, step, &addressing, finished, &mut tally, events);
                        done(at, &mut waiting, &later, &mut ready);
                    }
                }
            }
            Ok(())
        });
        self.workspace.reacquire_lock()?;
        self.workspace.save_state(&mut state);
        result?;
        if let Some(error) = tally.stop {
            return Err(error);
        }
        if self.options.on_error != OnError::Ignore && !tally.failed.is_empty() {
            let segment = if tally.failed.len() > 1 {
                " stages:"
            } else {
                ""
            };
            return Err(DvcError(format!(
                "failed to reproduce{segment} {}",
                join_names(&tally.failed)
            ))
            .into());
        }
        Ok(())
    }

    /// Runs `f` (a stage's command) with the repository lock released, as DVC's
    /// `unlocked_repo` does, and takes it back afterwards; lock entries read so far are read
    /// again (the command may have changed them).
    pub(super) fn unlocked<T>(
        &mut self,
        f: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.workspace.release_lock();
        let result = f();
        self.workspace.reacquire_lock()?;
        self.locks_checked.clear();
        result
    }

    /// What a stage's result means for the rest of the run: `--force-downstream`, the list
    /// of stages that ran, and failures as `on_error` says (`stop` set for the default).
    pub(super) fn settle(
        &mut self,
        graph: Option<&StageGraph>,
        step: usize,
        addressing: &str,
        finished: anyhow::Result<bool>,
        tally: &mut Tally,
        events: &mut dyn FnMut(ReproEvent),
    ) -> Outcome {
        let Tally {
            forced,
            skipped,
            failed,
            stop,
        } = tally;
        match &finished {
            Ok(true) => self
                .log
                .ended
                .push((step, std::time::SystemTime::now(), None)),
            Err(error) => self.log.ended.push((
                step,
                std::time::SystemTime::now(),
                Some(Failure::messages(error).1),
            )),
            Ok(false) => {}
        }
        match finished {
            Ok(ran) => {
                if let Some(graph) = graph
                    && self.options.force_downstream
                    && (ran || forced[step])
                {
                    for &dependent in graph.dependents(step) {
                        forced[dependent] = true;
                    }
                }
                if ran {
                    self.report.ran.push(addressing.to_owned());
                    Outcome::Ran
                } else {
                    Outcome::Unchanged
                }
            }
            Err(error) => {
                let (message, full) = Failure::messages(&error);
                if self.options.on_error == OnError::Fail {
                    let error = DvcError(format!("failed to reproduce '{addressing}': {full}"));
                    match stop {
                        None => *stop = Some(error.into()),
                        // Another stage running at the same time failed first.
                        Some(_) => events(ReproEvent::Failed {
                            message: error.0,
                            ignored: false,
                        }),
                    }
                    return Outcome::Failed;
                }
                failed.push(addressing.to_owned());
                let ignored = self.options.on_error == OnError::Ignore;
                events(ReproEvent::Failed { message, ignored });
                if let Some(graph) = graph
                    && !ignored
                {
                    let dependents: Vec<usize> = graph
                        .with_dependents(step)
                        .into_iter()
                        .skip(1)
                        .filter(|&node| !skipped[node])
                        .collect();
                    if !dependents.is_empty() {
                        events(ReproEvent::DependentsSkipped(
                            dependents
                                .iter()
                                .map(|&node| self.index.stages[node].addressing(&self.index.cwd))
                                .collect(),
                        ));
                    }
                    for node in dependents {
                        skipped[node] = true;
                    }
                }
                Outcome::Failed
            }
        }
    }
}
