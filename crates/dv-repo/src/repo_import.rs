//! `.dvc` files written by `dvc import` (spec §6.7): a single output whose dependency names a
//! path inside another git repository (`repo: {url, rev, rev_lock}`).
//!
//! dv reads such files and treats their output like any other tracked output in `status`,
//! `checkout`, `dag` and `repro`. As in DVC, the output is not pushed to the user's remote and
//! is not kept by `gc` (DVC fetches it from the source repository again); `status` asks the
//! source repository whether the locked revision is still the newest. Importing and updating
//! are not implemented yet.

use std::process::Command;

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
        Some(rev) => resolve(&refs, rev),
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
    let output = Command::new("git")
        // A `.dvc` file from a cloned repository chooses the URL: only ordinary transports.
        .args(["-c", "protocol.ext.allow=never", "ls-remote", "--"])
        .arg(url)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let reason = stderr
                .lines()
                .map(|line| line.trim_start_matches("fatal: ").trim())
                .find(|line| !line.is_empty())
                .unwrap_or("git ls-remote failed")
                .to_owned();
            return Err(clone_error(url, &reason));
        }
        Err(error) => return Err(clone_error(url, &format!("cannot run git: {error}"))),
    };
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (id, name) = line.split_once('\t')?;
            Some((name.to_owned(), id.to_owned()))
        })
        .collect())
}

fn clone_error(url: &str, reason: &str) -> anyhow::Error {
    CommandError(format!("SCM error: Failed to clone repo '{url}': {reason}")).into()
}

/// The commit `rev` names in a clone of the repository: a tag, a branch, or a full commit id.
fn resolve(refs: &[(String, String)], rev: &str) -> Option<String> {
    let find = |name: String| {
        refs.iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, id)| id.clone())
    };
    find(format!("refs/tags/{rev}^{{}}"))
        .or_else(|| find(format!("refs/tags/{rev}")))
        .or_else(|| find(format!("refs/heads/{rev}")))
        .or_else(|| {
            (rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| rev.to_ascii_lowercase())
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

/// What `fetch`/`pull` say for an imported output the cache lacks.
pub(crate) fn fetch_not_implemented(output: &str, source: &str) -> String {
    format!(
        "fetching '{output}' from its source '{source}' (a `dvc import`) is not implemented \
         yet; run it with dvc (the repository is shared)"
    )
}

/// What dv says for operations on a `dvc import` stage it cannot do yet (re-importing it).
pub fn not_implemented_message(file: &str, what: &str) -> String {
    format!(
        "{what} '{file}' (a `dvc import` from another repository) is not implemented yet; \
         run it with dvc (the repository is shared)"
    )
}

/// [`not_implemented_message`] as an error of the failing command (exit code 1, as DVC's
/// commands fail on operations they do not support).
pub fn not_implemented(file: &str, what: &str) -> anyhow::Error {
    CommandError(not_implemented_message(file, what)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_tags_before_branches_and_peels_annotated_tags() {
        let refs = vec![
            ("HEAD".to_owned(), "a".repeat(40)),
            ("refs/heads/v1".to_owned(), "b".repeat(40)),
            ("refs/tags/v1".to_owned(), "c".repeat(40)),
            ("refs/tags/v1^{}".to_owned(), "d".repeat(40)),
        ];
        assert_eq!(resolve(&refs, "v1"), Some("d".repeat(40)));
        assert_eq!(resolve(&refs, &"E".repeat(40)), Some("e".repeat(40)));
        assert_eq!(resolve(&refs, "nope"), None);
    }
}
