//! `.dvc` files written by `dvc import` (spec §6.7): a single output whose dependency names a
//! path inside another git repository (`repo: {url, rev, rev_lock}`).
//!
//! dv reads such files and treats their output like any other tracked output in `status`,
//! `checkout`, `dag` and `repro`. As in DVC, the output is not pushed to the user's remote and
//! is not kept by `gc` (DVC fetches it from the source repository again); `status` asks the
//! source repository whether the locked revision is still the newest. Importing, updating and
//! fetching them is `crate::sources`.

use dv_schema::dvc_file::Output;

use crate::error::CommandError;

/// How DVC names the dependency in `status`: `path (url)`.
pub fn shown_dependency(dep: &Output) -> String {
    format!("{} ({})", dep.path, dep.repo_url().unwrap_or_default())
}

/// Whether the source repository has moved on from the locked revision (DVC's
/// `update available`): the commit `rev` (or the source's `HEAD`) names now differs from
/// `rev_lock`. Fails as DVC does when the source repository cannot be reached.
pub fn update_available(dep: &Output) -> anyhow::Result<bool> {
    let url = dep.repo_url().unwrap_or_default();
    let refs = list_refs(url)?;
    let rev = dep.repo_field("rev");
    let Some(locked) = dep.repo_field("rev_lock") else {
        return Ok(false);
    };
    let newest = match rev {
        None => refs
            .iter()
            .find(|(name, _)| name == "HEAD")
            .map(|(_, id)| id.clone()),
        Some(rev) => dv_scm::mirror::resolve_advertised(&refs, rev),
    };
    match newest {
        Some(newest) => Ok(newest != locked),
        None => Err(CommandError(format!(
            "SCM error: unknown Git revision '{}' in repo '{url}'",
            rev.unwrap_or("HEAD")
        ))
        .into()),
    }
}

/// The refs of the repository at `url` as `(name, commit)`, with annotated tags peeled.
fn list_refs(url: &str) -> anyhow::Result<Vec<(String, String)>> {
    dv_scm::mirror::ls_remote(url).map_err(|error| {
        let reason = match error {
            dv_scm::ScmError::Git { message, .. } => message,
            other => other.to_string(),
        };
        CommandError(format!("SCM error: Failed to clone repo '{url}': {reason}")).into()
    })
}

/// Whether the cache holds the object `id` and, for a directory, every file it lists.
pub(crate) fn in_cache(
    workspace: &crate::Workspace,
    hash_name: dv_schema::hash::HashName,
    id: &dv_schema::hash::ObjectId,
) -> anyhow::Result<bool> {
    let odb = workspace.odb(hash_name);
    if !odb.contains(id) {
        return Ok(false);
    }
    if !id.is_tree() {
        return Ok(true);
    }
    let manifest = odb.read_tree(id)?;
    Ok(manifest.entries().iter().all(|entry| {
        entry
            .hash
            .md5()
            .is_none_or(|md5| odb.contains(&dv_schema::hash::ObjectId::file(md5)))
    }))
}
