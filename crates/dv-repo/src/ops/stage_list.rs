//! `dvc stage list`: the stages the targets name (`dvc.yaml` of the working directory by
//! default), or every stage with `--all`, each with its addressing and a one-line description
//! (its `desc`, or what it outputs, reports or depends on).

use crate::index::{Collect, Index, OnError, RepoStage, collect};
use crate::workspace::Workspace;

/// Longest description shown; longer ones end with `…`.
const MAX_DESCRIPTION: usize = 80;

/// What `stage list` was asked for.
#[derive(Debug, Clone, Default)]
pub struct StageListOptions {
    /// Stages, stage files or (with `recursive`) directories.
    pub targets: Vec<String>,
    /// `--all`: every stage of the repository.
    pub all: bool,
    /// `--fail`: with `--all`, a stage file that cannot be loaded is an error instead of being
    /// left out.
    pub fail: bool,
    /// `-R`: a directory target lists the stages inside it.
    pub recursive: bool,
}

/// One listed stage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListedStage {
    /// Its addressing.
    pub addressing: String,
    /// Its description, at most 80 characters.
    pub description: String,
}

/// What `stage list` found.
#[derive(Debug, Clone, Default)]
pub struct StageListReport {
    /// The stages, each once, in order.
    pub stages: Vec<ListedStage>,
    /// `WARNING:` lines logged while resolving targets.
    pub warnings: Vec<String>,
}

/// DVC's `truncate_text` with an ellipsis.
fn truncate(text: String) -> String {
    if text.chars().count() > MAX_DESCRIPTION {
        let mut short: String = text.chars().take(MAX_DESCRIPTION - 1).collect();
        short.push('…');
        short
    } else {
        text
    }
}

/// Lists the stages.
pub fn list_stages(
    workspace: &Workspace,
    options: &StageListOptions,
) -> anyhow::Result<StageListReport> {
    let mut report = StageListReport::default();
    let mut stages: Vec<RepoStage> = Vec::new();
    let on_error = if options.fail {
        OnError::Fail
    } else {
        OnError::Skip
    };
    let index = if options.all || options.recursive {
        Some(Index::collect(workspace, on_error)?)
    } else {
        None
    };
    let cwd = crate::workspace::repo_cwd(workspace);
    if options.all {
        stages = index.map(|index| index.stages).unwrap_or_default();
    } else {
        let empty = Index {
            stages: Vec::new(),
            cwd: cwd.clone(),
            top_level: Vec::new(),
        };
        let index = index.as_ref().unwrap_or(&empty);
        for target in &options.targets {
            let how = Collect {
                recursive: options.recursive,
                glob: false,
            };
            let found = collect(workspace, index, target, how)?;
            report.warnings.extend(found.warnings);
            for stage in found.stages {
                if !stages.iter().any(|other| other.same(&stage)) {
                    stages.push(stage);
                }
            }
        }
    }
    for stage in &stages {
        let addressing = stage.addressing(&cwd);
        let description = truncate(stage.description());
        match report
            .stages
            .iter_mut()
            .find(|listed| listed.addressing == addressing)
        {
            Some(listed) => listed.description = description,
            None => report.stages.push(ListedStage {
                addressing,
                description,
            }),
        }
    }
    Ok(report)
}
