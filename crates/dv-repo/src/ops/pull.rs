//! `dvc pull`: `fetch`, then `checkout` of the same targets (spec §10.2, §10.4).
//!
//! Like DVC, nothing is checked out when any download failed: a corrupted object on the
//! remote never reaches the workspace.

use std::path::PathBuf;

use dv_data::progress::Progress;

use crate::ops::checkout::{self, CheckoutOptions, CheckoutReport};
use crate::ops::fetch::{self, FetchOptions, FetchReport};
use crate::transfer;
use crate::workspace::Workspace;

/// What `pull` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `.dvc` files or outputs (all when empty).
    pub targets: Vec<PathBuf>,
    /// `-r NAME`: the remote for outputs without their own `remote:`.
    pub remote: Option<String>,
    /// Concurrent transfers, and threads for checkout.
    pub jobs: Option<usize>,
    /// `-R`: directory targets stand for every `.dvc` file under them.
    pub recursive: bool,
    /// `-f`: overwrite or remove unsaved workspace content.
    pub force: bool,
    /// `--run-cache`: also fetch every run-cache entry of the remote.
    pub run_cache: bool,
    /// The commits whose outputs are fetched too (`-a`, `-T`, `-A`, `--rev`); only the
    /// workspace's are checked out.
    pub scope: crate::revisions::Scope,
}

/// What `pull` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PullReport {
    /// The fetch.
    pub fetch: FetchReport,
    /// The checkout; `None` when a download failed and nothing was checked out. Outputs the
    /// cache still lacks are in its `failed`.
    pub checkout: Option<CheckoutReport>,
    /// Errors of imports made with `--no-download` whose data could not be downloaded from
    /// their source.
    pub import_failures: Vec<String>,
}

/// Fetches, then checks out unless a download failed; downloads and files checked out are
/// counted in `progress`.
///
/// # Errors
///
/// Those of [`fetch::fetch`], and of checkout (unsaved workspace files without `force`).
pub fn pull(
    workspace: &Workspace,
    options: &PullOptions,
    progress: &Progress,
) -> anyhow::Result<PullReport> {
    let fetched = fetch::fetch(
        workspace,
        &FetchOptions {
            targets: options.targets.clone(),
            remote: options.remote.clone(),
            jobs: options.jobs,
            recursive: options.recursive,
            run_cache: options.run_cache,
            scope: options.scope.clone(),
        },
        progress,
    )?;
    let mut import_failures = fetched.source_imports.clone();
    if !fetched.failures.is_empty() {
        return Ok(PullReport {
            fetch: fetched,
            checkout: None,
            import_failures,
        });
    }
    let targets = if options.recursive {
        transfer::expand_directories(workspace, &options.targets)?
    } else {
        options.targets.clone()
    };
    if options.recursive && !options.targets.is_empty() && targets.is_empty() {
        return Ok(PullReport {
            fetch: fetched,
            checkout: Some(CheckoutReport::default()),
            import_failures,
        });
    }
    let mut checked_out = checkout::checkout_available(
        workspace,
        &CheckoutOptions {
            targets: targets.clone(),
            // Directories were expanded to their `.dvc` files, as for the fetch.
            recursive: false,
            force: options.force,
            relink: false,
            jobs: None,
        },
        progress,
    )?;
    // Imports registered with `--no-download` come from their source, as with DVC.
    let entries = crate::index::load_targets(workspace, &targets)?;
    let (written, url_import_failures) =
        crate::imports::pull_unrecorded_imports(workspace, &entries, options.jobs, progress)?;
    import_failures.extend(url_import_failures);
    // Like DVC, every file of an import counts as fetched and as added.
    let mut fetched = fetched;
    for (path, files) in written {
        fetched.fetched += usize::try_from(files).unwrap_or(usize::MAX);
        let shown = if workspace.absolute(std::path::Path::new(&path)).is_dir() {
            format!("{path}/")
        } else {
            path
        };
        checked_out.changes.push(("A", shown.clone()));
        checked_out.added.push(shown);
        checked_out.stats.added += usize::try_from(files).unwrap_or(usize::MAX);
    }
    Ok(PullReport {
        fetch: fetched,
        checkout: Some(checked_out),
        import_failures,
    })
}
