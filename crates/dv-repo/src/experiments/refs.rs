//! Experiment refs as DVC lays them out: `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`,
//! DVC's internal refs beside them (`exec/`, `apply/`, `celery/`, `temp/`, the stashes), and
//! experiment names resolved the way DVC resolves them.

use dv_scm::Git;

use crate::error::DvcError;

/// Where experiment refs live.
pub const NAMESPACE: &str = "refs/exps";
/// The experiment applied last (`exp apply`, and a workspace run's result).
pub const EXEC_APPLY: &str = "refs/exps/exec/EXEC_APPLY";
/// The commit a workspace run started from.
pub const EXEC_HEAD: &str = "refs/exps/exec/EXEC_HEAD";
/// The branch `HEAD` named before `exp apply`.
pub const APPLY_HEAD: &str = "refs/exps/apply/ORIG_HEAD";
/// The work tree changes `exp apply` replaced.
pub const APPLY_STASH: &str = "refs/exps/apply/stash";

/// Internal namespaces and stashes no listing shows (DVC's `ITER_SKIP_NAMESPACES`, `STASHES`).
fn internal(name: &str) -> bool {
    ["apply", "celery", "exec", "temp"]
        .iter()
        .any(|space| name.starts_with(&format!("{NAMESPACE}/{space}")))
        || name == "refs/exps/stash"
        || name == "refs/exps/celery/stash"
}

/// One experiment's ref: the baseline commit it was run from and its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExpRef {
    /// The baseline commit (40 hex digits).
    pub baseline: String,
    /// The experiment's name.
    pub name: String,
}

impl ExpRef {
    /// The ref of experiment `name` run from `baseline`.
    pub fn new(baseline: &str, name: &str) -> ExpRef {
        ExpRef {
            baseline: baseline.to_string(),
            name: name.to_string(),
        }
    }

    /// `refs/exps/ab/cdef…/name`.
    pub fn full(&self) -> String {
        format!(
            "{NAMESPACE}/{}/{}/{}",
            &self.baseline[..2.min(self.baseline.len())],
            self.baseline.get(2..).unwrap_or(""),
            self.name
        )
    }

    /// The experiment a full ref names, if it is one.
    pub fn parse(full: &str) -> Option<ExpRef> {
        let rest = full.strip_prefix(NAMESPACE)?.strip_prefix('/')?;
        let parts: Vec<&str> = rest.split('/').collect();
        let [head, tail, name] = parts[..] else {
            return None;
        };
        Some(ExpRef {
            baseline: format!("{head}{tail}"),
            name: name.to_string(),
        })
    }
}

/// An experiment and the commit its ref names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experiment {
    /// Its ref.
    pub reference: ExpRef,
    /// The experiment commit.
    pub commit: String,
}

fn listed(refs: Vec<(String, String)>) -> Vec<Experiment> {
    refs.into_iter()
        .filter(|(name, _)| !internal(name))
        .filter_map(|(name, commit)| {
            ExpRef::parse(&name).map(|reference| Experiment { reference, commit })
        })
        .collect()
}

/// Every experiment of the repository, by ref name.
pub fn list(git: &Git) -> anyhow::Result<Vec<Experiment>> {
    Ok(listed(git.refs_under(&format!("{NAMESPACE}/"))?))
}

/// Every experiment of the repository, read in process (no `git` process).
pub fn list_in(history: &dv_scm::history::History) -> anyhow::Result<Vec<Experiment>> {
    let prefix = format!("{NAMESPACE}/");
    let refs = history
        .names_under(&prefix)
        .map_err(|error| anyhow::anyhow!("{error}"))?
        .into_iter()
        .map(|(name, id)| (format!("{prefix}{name}"), id.to_string()))
        .collect();
    Ok(listed(refs))
}

/// Every experiment a git remote (name or URL) has.
pub fn list_remote(git: &Git, remote: &str) -> anyhow::Result<Vec<Experiment>> {
    Ok(listed(git.remote_refs(remote, &format!("{NAMESPACE}/"))?))
}

/// The experiment each of `names` names (`None` when none does), as DVC's `resolve_name`: a
/// full `refs/exps/...` ref as is, else the experiments of that name; several are resolved by
/// the one whose baseline is `HEAD`, else the name is ambiguous.
pub fn resolve(
    experiments: &[Experiment],
    head: Option<&str>,
    names: &[String],
) -> anyhow::Result<Vec<(String, Option<Experiment>)>> {
    let mut resolved = Vec::new();
    for name in names {
        let found: Vec<&Experiment> = if name.starts_with("refs/") {
            experiments
                .iter()
                .filter(|exp| exp.reference.full() == *name)
                .collect()
        } else {
            experiments
                .iter()
                .filter(|exp| exp.reference.name == *name)
                .collect()
        };
        let chosen = match found[..] {
            [] => None,
            [one] => Some(one.clone()),
            _ => match found
                .iter()
                .find(|exp| Some(exp.reference.baseline.as_str()) == head)
            {
                Some(exp) => Some((*exp).clone()),
                None => {
                    let mut lines = vec![
                        format!(
                            "Ambiguous name '{name}' refers to multiple experiments. Use one of \
                             the following full refnames instead:"
                        ),
                        String::new(),
                    ];
                    lines.extend(
                        found
                            .iter()
                            .map(|exp| format!("\t{}", exp.reference.full())),
                    );
                    return Err(DvcError(lines.join("\n")).into());
                }
            },
        };
        resolved.push((name.clone(), chosen));
    }
    Ok(resolved)
}

/// The experiments `names` name; an unknown one fails with DVC's message (exit code 255).
pub fn resolve_all(
    experiments: &[Experiment],
    head: Option<&str>,
    names: &[String],
) -> anyhow::Result<Vec<Experiment>> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (name, experiment) in resolve(experiments, head, names)? {
        match experiment {
            Some(experiment) => found.push(experiment),
            None => missing.push(name),
        }
    }
    if !missing.is_empty() {
        return Err(unknown_names(&missing).into());
    }
    Ok(found)
}

/// DVC's error for names no experiment has.
pub fn unknown_names(names: &[String]) -> DvcError {
    if let [one] = names {
        DvcError(format!("'{one}' is not a valid experiment name"))
    } else {
        DvcError(format!(
            "'{}' are not valid experiment names",
            names.join("; ")
        ))
    }
}

/// Checks a new experiment name as DVC does (a valid ref name, no `/`).
pub fn check_name(git: &Git, reference: &ExpRef) -> anyhow::Result<()> {
    if reference.name.contains('/') || !git.is_valid_ref(&reference.full()) {
        return Err(DvcError(format!(
            "Invalid exp name {}, the exp name must follow rules in \
             https://git-scm.com/docs/git-check-ref-format",
            reference.name
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_round_trip() {
        let base = "8f66b6c8cda3558f76b20bc30468902afe6e1346";
        let reference = ExpRef::new(base, "lr05");
        assert_eq!(
            reference.full(),
            "refs/exps/8f/66b6c8cda3558f76b20bc30468902afe6e1346/lr05"
        );
        assert_eq!(ExpRef::parse(&reference.full()), Some(reference));
        assert_eq!(ExpRef::parse("refs/exps/exec/EXEC_HEAD"), None);
        assert!(internal("refs/exps/exec/EXEC_APPLY"));
        assert!(internal("refs/exps/celery/stash"));
        assert!(!internal("refs/exps/8f/66/x"));
    }

    #[test]
    fn names_resolve_by_head_when_ambiguous() {
        let exp = |base: &str, name: &str| Experiment {
            reference: ExpRef::new(base, name),
            commit: "c".repeat(40),
        };
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let all = vec![exp(&a, "x"), exp(&b, "x"), exp(&a, "y")];
        let names = vec!["x".to_string()];
        let found = resolve(&all, Some(&b), &names).expect("resolved");
        assert_eq!(found[0].1.as_ref().map(|e| &e.reference.baseline), Some(&b));
        assert!(resolve(&all, Some("c"), &names).is_err());
        assert!(resolve_all(&all, None, &["z".to_string()]).is_err());
    }
}
