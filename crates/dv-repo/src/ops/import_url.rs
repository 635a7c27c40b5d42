//! `dvc import-url` (spec §6): register files or directories that live outside the repository
//! (a local path, `s3://`, `remote://NAME/...`, `http(s)://`) as frozen single-stage `.dvc`
//! files whose dependency records the source's hash (`md5`, `etag` or `checksum`) and whose
//! output is the downloaded copy. Several URLs are imported as one batch
//! (`imports::batch`).

use dv_data::progress::Progress;

use crate::error::CommandError;
pub use crate::imports::batch::{ImportFailure, ImportReport, ImportUrlOptions, Imported};
use crate::imports::batch::{check_outputs, plan_import, run_imports};
use crate::imports::fs_config;
use crate::imports::url::Storages;
use crate::workspace::Workspace;

/// Imports `options.urls`, counting the files hashed, downloaded, stored, uploaded and linked
/// in `progress`.
pub fn import_url(
    workspace: &Workspace,
    options: &ImportUrlOptions,
    progress: &Progress,
) -> anyhow::Result<ImportReport> {
    if options.urls.is_empty() {
        return Err(CommandError("no URL to import".to_owned()).into());
    }
    let batch = options.urls.len() > 1;
    let out_dir = match (&options.out, batch) {
        (Some(out), true) => {
            let dir = workspace.absolute(out);
            if !dir.is_dir() {
                return Err(CommandError(format!(
                    "'{}' is not a directory: importing several URLs needs an existing output directory",
                    out.display()
                ))
                .into());
            }
            Some(dir)
        }
        _ => None,
    };
    let mut storages = Storages::default();
    let mut plans = Vec::with_capacity(options.urls.len());
    let fs_config = fs_config::recorded(&options.fs_config, options.version_aware);
    for url in &options.urls {
        let out = match (&options.out, &out_dir) {
            (_, Some(dir)) => Some(dir.clone()),
            (Some(out), None) => Some(workspace.absolute(out)),
            (None, None) => None,
        };
        plans.push(plan_import(
            workspace,
            url,
            out,
            false,
            fs_config.clone(),
            &mut storages,
        ));
    }
    check_outputs(workspace, &mut plans, options.force)?;
    let mut report = run_imports(
        workspace,
        &mut plans,
        &mut storages,
        options,
        batch,
        progress,
    )?;
    // `update` stages nothing, even with `core.autostage`: as in DVC, only `import-url` does.
    report.staged = crate::tracking::autostage(workspace, &report.to_track)?;
    Ok(report)
}
