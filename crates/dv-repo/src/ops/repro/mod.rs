//! `dvc repro` (spec §9.2): the stages the targets select — `dvc.yaml` stages and `.dvc`
//! files alike, planned over the repository's stage graph as DVC's `plan_repro` does — each
//! checked and, when its command, dependencies or outputs changed since it was recorded,
//! reproduced: a pipeline stage's outputs are removed, its commands run through the shell in
//! its working directory, then its outputs are saved to the cache, its new lock entry is
//! written and the run is saved to the run-cache; a `.dvc` file's outputs are verified and
//! saved again (DVC's data sources, `data_source`).
//!
//! Before running a changed stage (unless forced), DVC's `StageCache.restore` is followed
//! (spec §9.4): when only its outputs changed, its `dvc.lock` entry is the run to restore;
//! otherwise the newest run-cache entry for its current command, dependencies and params (not
//! with `--no-run-cache`). If the cache has every output of that run, the outputs are checked
//! out instead of running the command.
//!
//! A failing stage stops the run (`failed to reproduce 'x': <why>`), or with `--keep-going`
//! is reported and skips the stages depending on it, or with `--ignore-errors` is reported
//! and nothing else changes (DVC's `_reproduce`). `.gitignore` entries added during a run that
//! fails are removed again, as DVC's `scm_context` does. `--pull` fetches what is missing from
//! the remote along the way (`pull`).

pub mod cluster;
mod command;
mod data_source;
mod prepare;
mod pull;
mod record;
mod run;
mod schedule;
mod trash;

use run::Run;
pub use run::{OnError, ReproEvent, ReproOptions, ReproReport, join_names};

use dv_pipeline::graph::Selection;

use crate::index::{self as stages, Index};
use crate::workspace::Workspace;

/// What a `repro` will look at: the stage index, the active stage graph (none with `-s`) and
/// the planned steps (positions in the index), in order.
pub(crate) struct Plan {
    pub(crate) index: Index,
    pub(crate) graph: Option<dv_pipeline::graph::StageGraph>,
    pub(crate) steps: Vec<usize>,
}

/// Selects the targets' stages and plans them as DVC's `plan_repro` does.
pub(crate) fn plan(
    workspace: &Workspace,
    options: &ReproOptions,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<Plan> {
    let index = Index::collect(workspace, stages::OnError::Fail)?;
    let pipeline = options.pipeline || options.all_pipelines;
    let mut selected = Vec::new();
    if !options.all_pipelines {
        let default = [dv_pipeline::resolve::DVC_YAML.to_owned()];
        let targets = if options.targets.is_empty() {
            &default[..]
        } else {
            &options.targets[..]
        };
        for target in targets {
            let how = stages::Collect {
                recursive: options.recursive,
                glob: options.glob,
            };
            let found = stages::collect(workspace, &index, target, how)?;
            for warning in found.warnings {
                events(ReproEvent::TargetWarning(warning));
            }
            for stage in &found.stages {
                if let Some(position) = index.position(stage)
                    && !selected.contains(&position)
                {
                    selected.push(position);
                }
            }
        }
    }
    let (graph, steps) = if options.single_item && !pipeline {
        (None, selected)
    } else {
        let graph = index.graph(workspace)?;
        let steps = graph.plan(
            &selected,
            Selection {
                single_item: false,
                downstream: options.downstream && !pipeline,
                pipeline: options.pipeline,
                all_pipelines: options.all_pipelines,
            },
        );
        (Some(graph.active()), steps)
    };
    Ok(Plan {
        index,
        graph,
        steps,
    })
}

impl<'a> Run<'a> {
    /// A run of `steps` of `index`, nothing done yet.
    pub(super) fn new(
        workspace: &'a Workspace,
        options: &'a ReproOptions,
        index: &'a Index,
        steps: &[usize],
        confirm: &'a dyn Fn(&str) -> bool,
    ) -> Run<'a> {
        Run {
            workspace,
            options,
            index,
            report: ReproReport::default(),
            ignored: Vec::new(),
            locks: std::collections::HashMap::new(),
            locks_checked: std::collections::HashSet::new(),
            confirm,
            plan_position: steps
                .iter()
                .enumerate()
                .map(|(position, &step)| (step, position))
                .collect(),
            created: std::collections::HashMap::new(),
            current: 0,
            deferred_ignores: Vec::new(),
            log: run::RunLogDraft::default(),
        }
    }
}

/// Reproduces the targets' pipelines.
/// `confirm` asks the user a yes/no question (for `-i`).
pub fn repro(
    workspace: &Workspace,
    options: &ReproOptions,
    confirm: &dyn Fn(&str) -> bool,
    events: &mut dyn FnMut(ReproEvent),
) -> anyhow::Result<ReproReport> {
    if !options.cluster_job {
        cluster::refuse_in_flight(workspace)?;
    }
    let Plan {
        index,
        graph,
        steps,
    } = plan(workspace, options, events)?;
    if options.pull && !options.no_run_cache {
        pull::pull_run_cache(workspace, events)?;
    }
    let mut run = Run::new(workspace, options, &index, &steps, confirm);
    let result = run
        .reproduce(graph.as_ref(), &steps, events)
        .and_then(|()| {
            if options.cluster_job {
                run.report.unignored = std::mem::take(&mut run.deferred_ignores)
                    .into_iter()
                    .map(|(_, path)| path)
                    .collect();
                Ok(())
            } else {
                run.flush_ignores()
            }
        });
    if !options.dry {
        run.write_run_log();
    }
    if let Err(error) = result {
        run.forget_ignored();
        return Err(error);
    }
    let mut report = run.report;
    if !report.to_track.is_empty() && !options.cluster_job {
        report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    }
    Ok(report)
}
