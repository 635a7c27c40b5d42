//! What `commit` reports, and the question it asks before saving a changed stage (DVC's wording).

use std::path::PathBuf;

/// What `commit` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CommitReport {
    /// The `.dvc` files committed, absolute.
    pub committed: Vec<PathBuf>,
    /// The `.dvc` files whose text changed, absolute.
    pub rewritten: Vec<PathBuf>,
    /// Saved outputs that are empty (DVC warns about them), as shown.
    pub empty: Vec<String>,
    /// The `dvc.lock` files updated for pipeline stages, as shown.
    pub locks_updated: Vec<String>,
}

/// DVC's question before saving a changed stage.
pub(super) fn question(
    stage_name: &str,
    changed_deps: &[String],
    changed_outs: &[String],
) -> String {
    let list = |names: &[String]| {
        let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
        format!("[{}]", quoted.join(", "))
    };
    let stage = format!("stage: '{stage_name}'");
    let what = match (changed_deps.is_empty(), changed_outs.is_empty()) {
        (false, false) => format!(
            "dependencies {} and outputs {} of {stage} changed.",
            list(changed_deps),
            list(changed_outs)
        ),
        (false, true) => format!("dependencies {} of {stage} changed.", list(changed_deps)),
        (true, false) => format!("outputs {} of {stage} changed.", list(changed_outs)),
        // DVC formats the bare flag here.
        (true, true) => "True".to_owned(),
    };
    format!("{what} Are you sure you want to commit it?")
}
