//! Submitting a cluster run, waiting for it, cancelling it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cluster::resources::{self, Resources};
use crate::cluster::slurm::{self, Submission};
use crate::cluster::state::{RunState, run_state};
use crate::cluster::{self, ClusterRun, StageJob, file_name_of};
use crate::error::DvcError;
use crate::index::RepoStage;
use crate::pipelines::RepoWorkspace;
use crate::workspace::Workspace;

use super::super::run::{ReproEvent, ReproOptions, Run};
use super::super::{Plan, plan};
use super::job::{JobArgs, Task};
use super::refuse_in_flight;

/// How a cluster run is submitted.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The dv executable the jobs run (it must be reachable from the compute nodes).
    pub dv: PathBuf,
    /// `-j N`: at most N tasks of an array job run at once.
    pub array_limit: Option<usize>,
}

/// A group of planned steps submitted as one job (an array job when more than one).
struct Unit {
    /// Plan positions of its members.
    members: Vec<usize>,
    /// Plan positions its members wait for.
    upstream: Vec<usize>,
    resources: Resources,
}

/// Submits the stages of the targets' pipelines that must run; the run as submitted. Stages
/// that need not run are reported as a local `repro` reports them (`didn't change`).
pub fn submit(
    workspace: &Workspace,
    options: &ReproOptions,
    cluster: &ClusterOptions,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<Option<ClusterRun>> {
    refuse_in_flight(workspace)?;
    let Plan {
        index,
        graph,
        steps,
    } = plan(workspace, options, events)?;
    let confirm = |_: &str| true;
    let mut run = Run::new(workspace, options, &index, &steps, &confirm);
    let mut state = workspace.load_state();
    let jobs = workspace.jobs(options.jobs);
    let defaults = resources::defaults(workspace)?;

    // Which steps must run: forced, changed now, or downstream of one that will run (its
    // job checks again once its upstream stages ran, as a local run would).
    let mut needed = vec![false; steps.len()];
    let mut upstream_of: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (at, &step) in steps.iter().enumerate() {
        let before: Vec<usize> = match &graph {
            Some(graph) => graph
                .dependencies(step)
                .iter()
                .filter_map(|dependency| steps.iter().position(|s| s == dependency))
                .filter(|&position| needed[position])
                .collect(),
            None => Vec::new(),
        };
        let addressing = index.stages[step].addressing(&index.cwd);
        let must = options.force || !before.is_empty() || {
            let mut repo_workspace = RepoWorkspace::new(workspace, &mut state, jobs);
            run.changed_now(graph.as_ref(), step, &mut repo_workspace)
                .map_err(|error| {
                    DvcError(format!("failed to reproduce '{addressing}': {error:#}"))
                })?
        };
        if must {
            needed[at] = true;
            upstream_of[at] = before;
        } else if matches!(index.stages[step], RepoStage::File { .. }) {
            events(ReproEvent::DataSourceSkipped(addressing));
        } else {
            events(ReproEvent::Skipped(addressing));
        }
    }
    workspace.save_state(&mut state);
    if !needed.contains(&true) {
        return Ok(None);
    }
    if options.dry {
        // What would be submitted, without submitting or writing anything.
        for (at, &step) in steps.iter().enumerate() {
            if !needed[at] {
                continue;
            }
            events(ReproEvent::Running(
                index.stages[step].addressing(&index.cwd),
            ));
            if let RepoStage::Pipeline { stage, .. } = &index.stages[step] {
                for command in stage.cmd().commands() {
                    events(ReproEvent::Command(command.to_owned()));
                }
            }
        }
        return Ok(None);
    }

    // Units: members of one foreach/matrix group with the same upstream jobs and resources
    // become one array job.
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_of = vec![usize::MAX; steps.len()];
    for (at, &step) in steps.iter().enumerate() {
        if !needed[at] {
            continue;
        }
        let (group, resources) = match &index.stages[step] {
            RepoStage::Pipeline { stage, .. } => (
                stage.group.clone().map(|group| (stage.file.clone(), group)),
                resources::of_stage(
                    &defaults,
                    stage.definition.meta.as_ref(),
                    stage.file.as_str(),
                    &stage.name,
                )?,
            ),
            RepoStage::File { .. } => (None, defaults.clone()),
        };
        let joins = group.as_ref().and_then(|group| {
            units.iter().position(|unit| {
                let first = steps[unit.members[0]];
                let same_group = match &index.stages[first] {
                    RepoStage::Pipeline { stage, .. } => stage
                        .group
                        .as_ref()
                        .is_some_and(|g| *g == group.1 && stage.file == group.0),
                    RepoStage::File { .. } => false,
                };
                same_group && unit.upstream == upstream_of[at] && unit.resources == resources
            })
        });
        match joins {
            Some(unit) => {
                units[unit].members.push(at);
                unit_of[at] = unit;
            }
            None => {
                unit_of[at] = units.len();
                units.push(Unit {
                    members: vec![at],
                    upstream: upstream_of[at].clone(),
                    resources,
                });
            }
        }
    }

    let submitted = crate::run_log::iso8601(std::time::SystemTime::now());
    let id = format!(
        "{}-{}",
        submitted
            .get(..19)
            .unwrap_or_default()
            .replace(['-', ':'], ""),
        std::process::id()
    );
    let dir = cluster::run_dir(workspace, &id);
    let shown_dir = workspace.display_path(&dir);
    let mut cluster_run = ClusterRun {
        id: id.clone(),
        executor: "slurm".to_owned(),
        submitted,
        stages: Vec::new(),
        merge_job: None,
        merged: None,
    };
    let root = workspace.root().display().to_string();
    let mut job_of: Vec<String> = vec![String::new(); steps.len()];
    let mut submitted_jobs: Vec<String> = Vec::new();
    let mut placed: Vec<(usize, StageJob)> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        // SLURM fails to launch a job whose log directory does not exist.
        let logs = dir.join("logs");
        crate::confine::guard_generated(workspace, &logs)?;
        std::fs::create_dir_all(&logs)?;
        // Units in levels: a unit's upstream units are in earlier levels, so the units of one
        // level are submitted at once (a few `sbatch` calls in parallel).
        let mut level = vec![0usize; units.len()];
        for (number, unit) in units.iter().enumerate() {
            level[number] = unit
                .upstream
                .iter()
                .map(|&at| level[unit_of[at]] + 1)
                .max()
                .unwrap_or(0);
        }
        let levels = level.iter().copied().max().unwrap_or(0) + 1;
        for current in 0..levels {
            let mut prepared: Vec<(usize, Submission, Vec<Task>, String)> = Vec::new();
            for (number, unit) in units.iter().enumerate() {
                if level[number] != current {
                    continue;
                }
                let first = steps[unit.members[0]];
                let name = match &index.stages[first] {
                    RepoStage::Pipeline { stage, .. } if unit.members.len() > 1 => {
                        stage.group.clone().unwrap_or_else(|| stage.name.clone())
                    }
                    RepoStage::Pipeline { stage, .. } => stage.name.clone(),
                    RepoStage::File { .. } => index.stages[first].addressing(&index.cwd),
                };
                let log_stem = format!("{number}-{}", file_name_of(&name));
                let tasks: Vec<Task> = unit
                    .members
                    .iter()
                    .map(|&at| Task {
                        stage: index.stages[steps[at]].addressing(&index.cwd),
                        record: format!("{at}.json"),
                    })
                    .collect();
                let tasks_file = dir.join("tasks").join(format!("{number}.json"));
                let job_args = JobArgs {
                    run: id.clone(),
                    tasks: tasks.clone(),
                    force: options.force,
                    allow_missing: options.allow_missing,
                    no_commit: options.no_commit,
                    no_run_cache: options.no_run_cache,
                    pull: options.pull,
                };
                cluster::write_file(
                    workspace,
                    &tasks_file,
                    &serde_json::to_vec_pretty(&job_args)?,
                )?;
                let array = unit.members.len() > 1;
                let output = if array {
                    format!("{log_stem}-%a.out")
                } else {
                    format!("{log_stem}.out")
                };
                let after_ok: Vec<String> = unit
                    .upstream
                    .iter()
                    .map(|&at| job_of[at].clone())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let submission = Submission {
                    name,
                    output: dir.join("logs").join(output).display().to_string(),
                    chdir: root.clone(),
                    after_ok,
                    after_any: Vec::new(),
                    array: array.then_some((unit.members.len(), cluster.array_limit)),
                    arguments: unit.resources.arguments(),
                    script: slurm::script(&[
                        cluster.dv.display().to_string(),
                        "repro".to_owned(),
                        "--dv-cluster-job".to_owned(),
                        tasks_file.display().to_string(),
                    ]),
                };
                prepared.push((number, submission, tasks, log_stem));
            }
            let submissions: Vec<&Submission> = prepared.iter().map(|(_, s, _, _)| s).collect();
            let results = sbatch_all(&submissions);
            let mut failure = None;
            for ((number, _, tasks, log_stem), result) in prepared.iter().zip(results) {
                let job = match result {
                    Ok(job) => job,
                    Err(error) => {
                        failure.get_or_insert(error);
                        continue;
                    }
                };
                submitted_jobs.push(job.clone());
                let unit = &units[*number];
                let array = unit.members.len() > 1;
                for (task, (&at, member)) in unit.members.iter().zip(tasks).enumerate() {
                    let (job_id, log) = if array {
                        (format!("{job}_{task}"), format!("{log_stem}-{task}.out"))
                    } else {
                        (job.clone(), format!("{log_stem}.out"))
                    };
                    job_of[at] = job_id.clone();
                    placed.push((
                        at,
                        StageJob {
                            stage: member.stage.clone(),
                            job: job_id,
                            log: workspace.display_path(&dir.join("logs").join(log)),
                            record: member.record.clone(),
                        },
                    ));
                }
            }
            if let Some(error) = failure {
                return Err(error);
            }
        }
        // In plan order: the order the merge sets lock entries in.
        placed.sort_by_key(|(at, _)| *at);
        cluster_run.stages = placed.into_iter().map(|(_, stage)| stage).collect();
        cluster_run.save(workspace)?;
        let merge_job = slurm::sbatch(&Submission {
            name: "dv-merge".to_owned(),
            output: dir.join("logs").join("merge.out").display().to_string(),
            chdir: root.clone(),
            after_ok: Vec::new(),
            after_any: submitted_jobs.clone(),
            array: None,
            arguments: defaults.arguments(),
            script: slurm::script(&[
                cluster.dv.display().to_string(),
                "repro".to_owned(),
                "--dv-cluster-merge".to_owned(),
                id.clone(),
            ]),
        })?;
        cluster_run.merge_job = Some(merge_job);
        cluster_run.save(workspace)?;
        Ok(())
    })();
    if let Err(error) = result {
        // Nothing half-submitted stays behind: the jobs already submitted are cancelled.
        let _ = slurm::scancel(&submitted_jobs);
        let _ = std::fs::remove_dir_all(&dir);
        return Err(error.context(format!("submitting cluster run '{shown_dir}'")));
    }
    Ok(Some(cluster_run))
}

/// Submits `jobs` with a few `sbatch` calls at a time (each waits on the controller), their
/// ids in the same order.
fn sbatch_all(jobs: &[&Submission]) -> Vec<anyhow::Result<String>> {
    const AT_ONCE: usize = 4;
    if jobs.len() <= 1 {
        return jobs.iter().map(|job| slurm::sbatch(job)).collect();
    }
    let chunk = jobs.len().div_ceil(AT_ONCE);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|job| slurm::sbatch(job))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("an sbatch thread panicked"))
            .collect()
    })
}

/// Waits until no stage job of `run` can change state any more, calling `progress` when
/// something changed; the final state (`None`: interrupted, the jobs were cancelled). The record files are looked at every 200 ms (they say
/// when the last stage is done); SLURM is asked with one `squeue` for all the jobs without a
/// record, backing off from half a second to thirty. Ctrl-C cancels the run's jobs.
pub fn wait(
    workspace: &Workspace,
    run: &ClusterRun,
    interrupts: &crate::Interrupts,
    progress: &mut dyn FnMut(&RunState),
) -> anyhow::Result<Option<RunState>> {
    let deferral = interrupts.defer();
    let records = cluster::run_dir(workspace, &run.id).join("records");
    let recorded = || {
        run.stages
            .iter()
            .filter(|stage| records.join(&stage.record).is_file())
            .count()
    };
    let mut delay = Duration::from_millis(500);
    let mut last: Option<Vec<String>> = None;
    loop {
        let state = run_state(workspace, run);
        let summary: Vec<String> = state
            .stages
            .iter()
            .map(|(_, stage_state, _)| format!("{stage_state:?}"))
            .collect();
        if last.as_ref() != Some(&summary) {
            progress(&state);
            delay = Duration::from_millis(500);
            last = Some(summary);
        }
        if !state.is_active() {
            return Ok(Some(state));
        }
        let until = Instant::now() + delay;
        while Instant::now() < until {
            if deferral.interrupted() {
                let jobs: Vec<String> = run
                    .stages
                    .iter()
                    .map(|stage| stage.job.clone())
                    .chain(run.merge_job.clone())
                    .collect();
                slurm::scancel(&jobs)?;
                return Ok(None);
            }
            if recorded() == run.stages.len() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

/// Cancels the jobs of the repository's latest cluster run that have not ended and merges
/// what its finished stages recorded, so that the run is no longer in flight (also when SLURM
/// cannot be asked, e.g. on a machine without it); the run.
pub fn cancel(workspace: &Workspace) -> anyhow::Result<Option<ClusterRun>> {
    let Some(run) = ClusterRun::latest(workspace)? else {
        return Ok(None);
    };
    if run.merged.is_some() {
        return Ok(Some(run));
    }
    let state = run_state(workspace, &run);
    let mut jobs: Vec<String> = state
        .stages
        .iter()
        .filter(|(_, stage_state, _)| stage_state.is_active())
        .map(|(job, _, _)| job.job.clone())
        .collect();
    jobs.extend(run.merge_job.clone());
    if state.unreachable.is_none() {
        slurm::scancel(&jobs)?;
    } else {
        let _ = slurm::scancel(&jobs);
    }
    super::merge(workspace, &run, &mut |_| {})?;
    Ok(Some(run))
}
