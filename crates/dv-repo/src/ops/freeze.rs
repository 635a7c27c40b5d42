//! `dvc freeze` / `dvc unfreeze` (spec §4.5, §9.3): sets or removes `frozen: true` on one
//! stage — in its `dvc.yaml` (the stage re-dumped as DVC writes it, comments and order of the
//! rest kept) or in a `.dvc` file — without touching `dvc.lock`.

use anyhow::Context;
use dv_schema::dvc_yaml::dump_stages;

use crate::error::DvcError;
use crate::index::{RepoStage, load_one};
use crate::workspace::Workspace;
use crate::workspace::absolute;

/// What `freeze`/`unfreeze` did to one target.
#[derive(Debug, Clone, Default)]
pub struct FreezeReport {
    /// `Modifying stage 'x' in 'dvc.yaml'` for a `dvc.yaml` stage.
    pub message: Option<String>,
    /// `WARNING:` lines (a stage name given with a `.dvc` file is ignored).
    pub warnings: Vec<String>,
}

/// Sets `frozen` of the stage `target` names (DVC's `StageLoad.load_one` addressing).
pub fn set_frozen(
    workspace: &Workspace,
    target: &str,
    frozen: bool,
) -> anyhow::Result<FreezeReport> {
    let found = load_one(workspace, target).map_err(DvcError::from)?;
    let mut report = FreezeReport {
        message: None,
        warnings: found.warnings,
    };
    let Some(stage) = found.stages.into_iter().next() else {
        return Ok(report);
    };
    let cwd = crate::workspace::repo_cwd(workspace);
    match stage {
        RepoStage::Pipeline {
            stage,
            parametrized,
        } => {
            if parametrized {
                return Err(DvcError(format!(
                    "cannot dump a parametrized stage: '{}'",
                    stage.addressing(&cwd)
                ))
                .into());
            }
            let path = absolute(workspace, &stage.file);
            let shown = workspace.display_path(&path);
            let previous = std::fs::read_to_string(&path)
                .with_context(|| format!("failed to read '{shown}'"))?;
            let mut definition = stage.definition.clone();
            definition.frozen = frozen;
            let update = dump_stages(
                Some(&previous),
                &[(stage.name.as_str(), definition.to_value())],
            )
            .map_err(|error| DvcError(format!("failed to update '{shown}': {}", error.message)))?;
            crate::confine::write_metafile(workspace, &path, update.text.as_bytes())
                .with_context(|| format!("failed to write '{shown}'"))?;
            report.message = Some(format!("Modifying stage '{}' in '{shown}'", stage.name));
        }
        RepoStage::File { entry, .. } => {
            let shown = workspace.display_path(&entry.path);
            let mut file = entry.file.clone();
            file.frozen = frozen;
            let text = file.update_yaml(&entry.text).map_err(|error| {
                DvcError(format!("failed to update '{shown}': {}", error.message))
            })?;
            crate::confine::write_metafile(workspace, &entry.path, text.as_bytes())
                .with_context(|| format!("failed to write '{shown}'"))?;
        }
    }
    Ok(report)
}
