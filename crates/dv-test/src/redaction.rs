//! Replacing the per-test temporary paths in command output with stable placeholders, so that
//! snapshots do not change from run to run.

use crate::TestRepo;

/// Replaces the repository root of `repo` with `[ROOT]` and its temporary directory (which holds
/// the root, the isolated home and config directories) with `[TMP]`.
///
/// Both the canonical and the as-created spelling of each path are replaced, longest first, so
/// `<tmp>/work/data` becomes `[ROOT]/data` and `<tmp>/config/global` becomes
/// `[TMP]/config/global`.
pub fn redact(text: &str, repo: &TestRepo) -> String {
    let mut replacements: Vec<(String, &str)> = Vec::new();
    for root in repo.root_spellings() {
        replacements.push((root.to_string_lossy().into_owned(), "[ROOT]"));
    }
    for temp in repo.temp_spellings() {
        replacements.push((temp.to_string_lossy().into_owned(), "[TMP]"));
    }
    replacements.retain(|(path, _)| !path.is_empty());
    replacements.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
    replacements.dedup_by(|a, b| a.0 == b.0);

    let mut text = text.to_owned();
    for (path, placeholder) in replacements {
        text = text.replace(&path, placeholder);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_temp_paths_become_placeholders() {
        let repo = TestRepo::without_git();
        let root = repo.root().display().to_string();
        let global = repo.global_config_dir().display().to_string();
        let text = format!("ERROR: `{root}/data` and `{global}/config` in {root}\n");
        assert_eq!(
            redact(&text, &repo),
            "ERROR: `[ROOT]/data` and `[TMP]/config/global/config` in [ROOT]\n"
        );
    }

    #[test]
    fn other_text_is_unchanged() {
        let repo = TestRepo::without_git();
        assert_eq!(redact("/usr/bin/git\n", &repo), "/usr/bin/git\n");
    }
}
