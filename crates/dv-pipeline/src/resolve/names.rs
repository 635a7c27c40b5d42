//! How pipeline files and stages are named: the file name, generated stage names, stage
//! addressings (`sub/dvc.yaml:train`) and files shown relative to the current directory.

use dv_schema::repo_path::RepoPath;

use crate::context::normalize_shown;

/// The file name of pipeline files.
pub const DVC_YAML: &str = "dvc.yaml";

/// The separator of generated stage names (`fe@a`, `mx@x-1`).
pub const GENERATED_NAME_SEPARATOR: char = '@';

/// `path` as DVC names it, relative to `cwd`.
pub(super) fn shown_path(path: &RepoPath, cwd: &RepoPath) -> String {
    path.relative_to(cwd)
}

/// Whether `name` is allowed as a stage name: no punctuation other than `-` and `_`.
pub fn is_valid_stage_name(name: &str) -> bool {
    !name
        .chars()
        .any(|ch| ch.is_ascii_punctuation() && ch != '_' && ch != '-')
}

/// The `(dvc.yaml path, stage name)` a stage addressing names: `name` for the `dvc.yaml` of the
/// current directory, `path/dvc.yaml:name` for another one. Addressings whose file part is not
/// a `dvc.yaml` return `None`.
pub fn split_addressing(addressing: &str) -> (Option<&str>, &str) {
    match addressing.rsplit_once(':') {
        Some((file, name)) if file.ends_with(DVC_YAML) || file.ends_with("dvc.yml") => {
            (Some(file), name)
        }
        _ => (None, addressing),
    }
}

/// The name a `dvc.yaml` path is shown by, relative to the current directory.
pub fn shown_file(path: &RepoPath, cwd: &RepoPath) -> String {
    normalize_shown(&shown_path(path, cwd))
}
