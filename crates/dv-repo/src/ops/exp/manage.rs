//! `exp apply`, `exp branch`, `exp rename`, `exp remove` and `exp ls` (DVC's
//! `repo/experiments/{apply,branch,rename,remove,ls}.py`): experiments found by name (or full
//! ref), their refs changed, their files written into the work tree.

use std::collections::BTreeMap;

use dv_data::progress::Progress;
use dv_scm::Git;

use crate::error::DvcError;
use crate::experiments::refs::{
    self, APPLY_HEAD, APPLY_STASH, EXEC_APPLY, ExpRef, Experiment, check_name, resolve_all,
};
use crate::ops::checkout::{CheckoutOptions, checkout};
use crate::revisions::{At, Revisions, Scope, select};
use crate::workspace::Workspace;

/// The git repository of `workspace`, which experiments need.
pub(crate) fn git_of(workspace: &Workspace) -> anyhow::Result<&Git> {
    workspace
        .git()
        .ok_or_else(|| DvcError("Experiments require a Git repository".to_string()).into())
}

/// The commit `HEAD` names, if any.
pub(crate) fn head(git: &Git) -> Option<String> {
    git.resolve_commit("HEAD")
}

/// Which baselines a listing covers (`--rev`, `-n`, `-A`; `HEAD` by default).
#[derive(Debug, Clone, Default)]
pub struct Baselines {
    /// `--rev` (HEAD when empty).
    pub revs: Vec<String>,
    /// `-n`: first-parent commits from each.
    pub num: usize,
    /// `-A`: every baseline.
    pub all_commits: bool,
}

/// The baseline commits `selection` names (`None`: all).
pub(crate) fn baseline_commits(
    workspace: &Workspace,
    selection: &Baselines,
) -> anyhow::Result<Option<Vec<String>>> {
    if selection.all_commits {
        return Ok(None);
    }
    let revisions = Revisions::open(workspace)?;
    if !revisions.has_commits() {
        return Ok(Some(Vec::new()));
    }
    let revs = if selection.revs.is_empty() {
        vec!["HEAD".to_string()]
    } else {
        selection.revs.clone()
    };
    let scope = Scope {
        revs,
        num: selection.num.max(1),
        ..Scope::default()
    };
    Ok(Some(
        select(&revisions, &scope, false)?
            .into_iter()
            .filter_map(|revision| match revision.at {
                At::Commit(id) => Some(id.to_string()),
                At::Workspace => None,
            })
            .collect(),
    ))
}

/// `exp ls`: the experiments of each selected baseline, baselines in the order their refs sort.
pub fn ls(
    workspace: &Workspace,
    selection: &Baselines,
    git_remote: Option<&str>,
) -> anyhow::Result<Vec<(String, Vec<Experiment>)>> {
    let git = git_of(workspace)?;
    let all = match git_remote {
        Some(remote) => refs::list_remote(git, remote)?,
        None => refs::list(git)?,
    };
    let wanted = baseline_commits(workspace, selection)?;
    let mut grouped: Vec<(String, Vec<Experiment>)> = Vec::new();
    for experiment in all {
        let baseline = experiment.reference.baseline.clone();
        if wanted
            .as_ref()
            .is_some_and(|wanted| !wanted.contains(&baseline))
        {
            continue;
        }
        match grouped.iter_mut().find(|(known, _)| *known == baseline) {
            Some((_, list)) => list.push(experiment),
            None => grouped.push((baseline, vec![experiment])),
        }
    }
    Ok(grouped)
}

/// How DVC names baselines in listings: the branch `HEAD` is on, else a tag, else a branch
/// (refs read in process).
pub fn describe(
    history: &dv_scm::history::History,
    commits: &[String],
) -> anyhow::Result<BTreeMap<String, String>> {
    let by_commit = |prefix: &str| -> anyhow::Result<BTreeMap<String, String>> {
        let mut names = BTreeMap::new();
        for (name, id) in history
            .names_under(prefix)
            .map_err(|error| anyhow::anyhow!("{error}"))?
        {
            names.entry(id.to_string()).or_insert(name);
        }
        Ok(names)
    };
    let tags = by_commit("refs/tags/")?;
    let branches = by_commit("refs/heads/")?;
    let head = history.resolve("HEAD").ok().map(|id| id.to_string());
    let head_branch = history.active_branch();
    let mut names = BTreeMap::new();
    for commit in commits {
        let name = match (&head, &head_branch) {
            (Some(head), Some(branch)) if head == commit => Some(branch.clone()),
            _ => tags.get(commit).or_else(|| branches.get(commit)).cloned(),
        };
        if let Some(name) = name {
            names.insert(commit.clone(), name);
        }
    }
    Ok(names)
}

/// An experiment named by `rev` as DVC's `resolve_rev` finds it: a git revision first, else
/// an experiment name.
fn resolve_rev(git: &Git, rev: &str) -> anyhow::Result<Option<String>> {
    if let Some(commit) = git.resolve_commit(rev) {
        return Ok(Some(commit));
    }
    if rev == "HEAD" || rev.starts_with("refs/") {
        return Ok(None);
    }
    let all = refs::list(git)?;
    match refs::resolve(&all, head(git).as_deref(), &[rev.to_string()]) {
        Ok(found) => Ok(found
            .into_iter()
            .next()
            .and_then(|(_, exp)| exp.map(|e| e.commit))),
        Err(_) => Err(DvcError(format!("ambiguous Git revision '{rev}'")).into()),
    }
}

/// `exp apply REV`: the experiment's files written into the work tree (the replaced work tree
/// changes kept in `refs/exps/apply/stash`, as DVC keeps them), then its outputs checked out.
pub fn apply(workspace: &Workspace, rev: &str, progress: &Progress) -> anyhow::Result<()> {
    let git = git_of(workspace)?;
    let commit = resolve_rev(git, rev)?.ok_or_else(|| {
        DvcError(format!(
            "'{rev}' does not appear to be an experiment commit.: unknown Git revision '{rev}'"
        ))
    })?;
    if let Some(head) = head(git) {
        git.update_ref(APPLY_HEAD, &head, None, "dvc: exp apply")?;
        if let Some(stash) = git.stash_create(&format!("dvc-exp-apply:{head}:{commit}:{rev}"))? {
            git.push_reflog(APPLY_STASH, &stash, "dvc: exp apply")?;
        }
    }
    git.write_tree_files(&commit)?;
    checkout(
        workspace,
        &CheckoutOptions {
            force: true,
            ..CheckoutOptions::default()
        },
        progress,
    )?;
    git.update_ref(EXEC_APPLY, &commit, None, "dvc: exp apply")?;
    Ok(())
}

/// `exp branch EXP [BRANCH]`: a git branch at the experiment; returns (branch, experiment name).
pub fn branch(
    workspace: &Workspace,
    rev: &str,
    name: Option<&str>,
) -> anyhow::Result<(String, String)> {
    let git = git_of(workspace)?;
    let commit = resolve_rev(git, rev)?.ok_or_else(|| DvcError(rev.to_string()))?;
    let holding: Vec<Experiment> = refs::list(git)?
        .into_iter()
        .filter(|exp| exp.commit == commit)
        .collect();
    let head = head(git);
    let chosen = match &holding[..] {
        [] => None,
        [one] => Some(one.clone()),
        several => match several
            .iter()
            .find(|exp| Some(&exp.reference.baseline) == head.as_ref())
        {
            Some(exp) => Some(exp.clone()),
            None => {
                let mut lines = vec![
                    format!(
                        "Ambiguous experiment name '{rev}' can refer to multiple experiments. To \
                         create a branch use a full experiment ref:"
                    ),
                    String::new(),
                ];
                lines.extend(several.iter().map(|exp| exp.reference.full()));
                return Err(DvcError(lines.join("\n")).into());
            }
        },
    };
    let experiment = chosen.ok_or_else(|| {
        DvcError(format!(
            "'{rev}' does not appear to be an experiment commit."
        ))
    })?;
    let branch = name
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}-branch", experiment.reference.name));
    if git
        .resolve_commit(&format!("refs/heads/{branch}"))
        .is_some()
    {
        return Err(DvcError(format!("Git branch '{branch}' already exists.")).into());
    }
    git.create_branch(&branch, &experiment.commit)?;
    Ok((branch, experiment.reference.name))
}

/// `exp rename EXP NEW [-f]`: the names renamed (none when they are the same).
pub fn rename(
    workspace: &Workspace,
    name: &str,
    new_name: &str,
    force: bool,
) -> anyhow::Result<Vec<String>> {
    if name == new_name {
        return Ok(Vec::new());
    }
    let git = git_of(workspace)?;
    let all = refs::list(git)?;
    let found = resolve_all(&all, head(git).as_deref(), &[name.to_string()])?;
    let mut renamed = Vec::new();
    for experiment in found {
        let new = ExpRef::new(&experiment.reference.baseline, new_name);
        let existing = git.resolve_commit(&new.full());
        if existing.is_some() && !force {
            return Err(crate::experiments::exists_error(new_name, "run").into());
        }
        check_name(git, &new)?;
        git.update_ref(
            &new.full(),
            &experiment.commit,
            Some(existing.as_deref().unwrap_or("")),
            "dvc: rename experiment",
        )?;
        git.delete_ref(&experiment.reference.full())?;
        renamed.push(name.to_string());
    }
    Ok(renamed)
}

/// What `exp remove` removes.
#[derive(Debug, Clone, Default)]
pub struct RemoveOptions {
    /// Experiment names (or full refs).
    pub names: Vec<String>,
    /// `--rev`/`-n`/`-A`: every experiment of those baselines.
    pub baselines: Option<Baselines>,
    /// `--keep`: remove every other experiment instead.
    pub keep: bool,
    /// `-g`: remove them from this git remote instead.
    pub git_remote: Option<String>,
}

/// `exp remove`: the names removed.
pub fn remove(workspace: &Workspace, options: &RemoveOptions) -> anyhow::Result<Vec<String>> {
    let git = git_of(workspace)?;
    let all = match &options.git_remote {
        Some(remote) => refs::list_remote(git, remote)?,
        None => refs::list(git)?,
    };
    let mut chosen: Vec<Experiment> = Vec::new();
    if !options.names.is_empty() {
        let mut missing = Vec::new();
        for (name, found) in refs::resolve(&all, head(git).as_deref(), &options.names)? {
            match found {
                Some(experiment) => chosen.push(experiment),
                None => missing.push(name),
            }
        }
        if !missing.is_empty() {
            return Err(match &options.git_remote {
                Some(remote) => DvcError(format!(
                    "Experiment '{}' does not exist in '{remote}'",
                    missing.join("; ")
                )),
                None => refs::unknown_names(&missing),
            }
            .into());
        }
    } else if let Some(selection) = &options.baselines {
        let wanted = baseline_commits(workspace, selection)?;
        chosen.extend(
            all.iter()
                .filter(|exp| {
                    wanted
                        .as_ref()
                        .is_none_or(|wanted| wanted.contains(&exp.reference.baseline))
                })
                .cloned(),
        );
    }
    if options.keep {
        chosen = all
            .into_iter()
            .filter(|exp| !chosen.contains(exp))
            .collect();
    }
    let removed: Vec<String> = if options.keep || options.names.is_empty() {
        chosen
            .iter()
            .map(|exp| exp.reference.name.clone())
            .collect()
    } else {
        options.names.clone()
    };
    match &options.git_remote {
        Some(remote) => {
            let refspecs: Vec<String> = chosen
                .iter()
                .map(|exp| format!(":{}", exp.reference.full()))
                .collect();
            if !refspecs.is_empty() {
                git.push_refspecs(remote, &refspecs, false)?;
            }
        }
        None => {
            let applied = git.resolve_commit(EXEC_APPLY);
            for experiment in &chosen {
                if applied.as_deref() == Some(experiment.commit.as_str()) {
                    let _ = git.delete_ref(EXEC_APPLY);
                }
                git.delete_ref(&experiment.reference.full())?;
            }
        }
    }
    Ok(removed)
}
