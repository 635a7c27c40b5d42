//! `dvc status` for pipeline stages (spec §9.5): each stage of the repository's `dvc.yaml`
//! files compared with its `dvc.lock` entry, every reason collected, in DVC's wording.

use dv_pipeline::status::{CheckMode, CheckOptions, StageReport, StatusReport, check};
use dv_schema::repo_path::RepoPath;

use crate::error::DvcError;
use crate::pipelines::{Pipelines, RepoWorkspace, read_lock};
use crate::workspace::Workspace;

/// The status of pipeline stages.
#[derive(Debug, Clone, Default)]
pub struct PipelineStatus {
    /// Whether the repository has any pipeline stage.
    pub has_stages: bool,
    /// Stages with changes.
    pub report: StatusReport,
    /// Targets that name no stage (left for `.dvc` files).
    pub other_targets: Vec<String>,
    /// The checked stages that are frozen, whose dependencies are not checked (DVC warns
    /// about each), in order.
    pub frozen: Vec<FrozenStage>,
}

/// A frozen stage `status` checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenStage {
    /// Its `dvc.yaml`.
    pub file: RepoPath,
    /// Its addressing.
    pub addressing: String,
    /// The index of the target that selected it (`None` without targets).
    pub target: Option<usize>,
}

/// Checks the stages `targets` name (all when empty).
pub fn pipeline_status(
    workspace: &Workspace,
    targets: &[String],
    jobs: Option<usize>,
) -> anyhow::Result<PipelineStatus> {
    // DVC's `status` does not build the stage graph: overlapping outputs and cycles are
    // reported by `repro` and `dag`, not here.
    let pipelines = Pipelines::load_unchecked(workspace)?;
    let mut selected: Vec<(usize, Option<usize>)> = Vec::new();
    let mut other_targets = Vec::new();
    if targets.is_empty() {
        selected = (0..pipelines.stages.len())
            .map(|index| (index, None))
            .collect();
    } else {
        for (position, target) in targets.iter().enumerate() {
            match pipelines.resolve_target(workspace, target) {
                Some(found) => {
                    selected.extend(found.into_iter().map(|index| (index, Some(position))))
                }
                None => other_targets.push(target.clone()),
            }
        }
    }
    let frozen = selected
        .iter()
        .filter(|(index, _)| pipelines.stages[*index].is_frozen())
        .map(|&(index, target)| FrozenStage {
            file: pipelines.stages[index].file.clone(),
            addressing: pipelines.stages[index].addressing(&pipelines.cwd),
            target,
        })
        .collect();
    let mut report = StatusReport::default();
    if selected.is_empty() {
        // Nothing to check: the hash cache is not read (`status` reads it next).
        return Ok(PipelineStatus {
            has_stages: !pipelines.stages.is_empty(),
            report,
            other_targets,
            frozen,
        });
    }
    let jobs = workspace.jobs(jobs);
    let mut state = workspace.load_state();
    let result = (|| -> anyhow::Result<()> {
        let mut repo_workspace = RepoWorkspace::new(workspace, &mut state, jobs);
        // Each `dvc.lock` is parsed once, not once per stage (200 stages, one file).
        let mut locks = std::collections::HashMap::new();
        for &(index, _) in &selected {
            let stage = &pipelines.stages[index];
            if !locks.contains_key(&stage.file) {
                let (_, lock) = read_lock(workspace, &stage.file)?;
                locks.insert(stage.file.clone(), lock);
            }
            let lock = &locks[&stage.file];
            let changes = check(
                stage,
                lock.stage(&stage.name),
                &mut repo_workspace,
                CheckOptions {
                    mode: CheckMode::All,
                    allow_missing: false,
                },
                &[],
            )
            .map_err(|error| DvcError(error.to_string()))?;
            let addressing = stage.addressing(&pipelines.cwd);
            if let Some(stage_report) = StageReport::from_changes(
                &addressing,
                &changes,
                lock.stage(&stage.name).is_some(),
                &pipelines.cwd,
            ) {
                report.push(stage_report);
            }
        }
        Ok(())
    })();
    workspace.save_state(&mut state);
    result?;
    Ok(PipelineStatus {
        has_stages: !pipelines.stages.is_empty(),
        report,
        other_targets,
        frozen,
    })
}
