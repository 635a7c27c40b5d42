//! Bounds on what one `dvc.yaml` may generate: `foreach`/`matrix` stages and the text that
//! resolving templates and `${...}` expressions produces.
//!
//! A `matrix` multiplies the lengths of its axes, and every generated stage copies its template
//! with the expressions replaced, so a few hundred bytes of a cloned repository's `dvc.yaml` can
//! ask for billions of stages or gigabytes of text. DVC sets no bound; dv refuses such files
//! with an error naming the file and the stage group, before allocating anything for them.
//! The limits sit far above any pipeline one could run: a group of 10,000 stages, or 100,000
//! stages in one file, would take days to reproduce even at a second per stage, and 256 MiB of
//! resolved text is thousands of times what real pipelines resolve to.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dv_schema::yaml::Value;

/// The most stages one `foreach` or `matrix` group may generate.
pub(crate) const MAX_STAGES_PER_GROUP: usize = 10_000;

/// The most stages one `dvc.yaml` may define, generated ones included.
pub(crate) const MAX_STAGES_PER_FILE: usize = 100_000;

/// The most text (in bytes, keys and values) resolving one `dvc.yaml`'s stages and top-level
/// sections may produce.
pub(crate) const MAX_RESOLVED_BYTES: usize = 256 << 20;

/// The text resolved so far for one `dvc.yaml`, shared by everything that resolves it (clones
/// share one count).
#[derive(Clone, Debug, Default)]
pub(crate) struct Budget {
    used: Arc<AtomicUsize>,
}

/// Resolving would produce more text than [`MAX_RESOLVED_BYTES`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct OverBudget;

impl OverBudget {
    pub(crate) fn message() -> String {
        format!(
            "resolving it produces more than {} MiB of text, more than dv allows for one file",
            MAX_RESOLVED_BYTES >> 20
        )
    }
}

impl Budget {
    /// Takes `bytes` from the budget, or fails when it would be exceeded.
    pub(crate) fn take(&self, bytes: usize) -> Result<(), OverBudget> {
        let used = self.used.load(Ordering::Relaxed).saturating_add(bytes);
        if used > MAX_RESOLVED_BYTES {
            return Err(OverBudget);
        }
        self.used.store(used, Ordering::Relaxed);
        Ok(())
    }
}

/// About how many bytes a value takes once copied: its text plus a little per node.
pub(crate) fn value_size(value: &Value) -> usize {
    const NODE: usize = 8;
    match value {
        Value::String(text) => NODE + text.len(),
        Value::Sequence(items) => items
            .iter()
            .fold(NODE, |total, item| total.saturating_add(value_size(item))),
        Value::Mapping(map) => map.iter().fold(NODE, |total, (key, item)| {
            total
                .saturating_add(value_size(key))
                .saturating_add(value_size(item))
        }),
        Value::Tagged(tagged) => NODE + value_size(&tagged.value),
        _ => NODE,
    }
}

/// How many stages a `matrix` with axes of these lengths generates, when within
/// [`MAX_STAGES_PER_GROUP`]; `Err` with the count (saturated) otherwise.
pub(crate) fn matrix_size(lengths: &[usize]) -> Result<usize, usize> {
    let count = lengths
        .iter()
        .try_fold(1usize, |count, length| count.checked_mul(*length))
        .unwrap_or(usize::MAX);
    if lengths.contains(&0) {
        return Ok(0);
    }
    if count > MAX_STAGES_PER_GROUP {
        Err(count)
    } else {
        Ok(count)
    }
}

/// The message for a group generating `count` stages (`usize::MAX`: too many to count).
pub(crate) fn too_many_stages(count: usize) -> String {
    let count = if count == usize::MAX {
        "more stages than can be counted".to_owned()
    } else {
        format!("{count} stages")
    };
    format!("it generates {count}, more than the {MAX_STAGES_PER_GROUP} dv allows in one group")
}

/// The message for a file defining more than [`MAX_STAGES_PER_FILE`] stages.
pub(crate) fn too_many_stages_in_file() -> String {
    format!("it defines more than the {MAX_STAGES_PER_FILE} stages dv allows in one file")
}

/// `itertools.product` over axes of the given lengths: index tuples, the last axis varying
/// fastest (one empty tuple for no axes, none when an axis is empty). Callers bound the
/// product with [`matrix_size`] first.
pub(crate) fn cartesian_product(lengths: &[usize]) -> Vec<Vec<usize>> {
    let mut combinations = vec![Vec::new()];
    for &length in lengths {
        combinations = combinations
            .into_iter()
            .flat_map(|prefix| {
                (0..length).map(move |index| {
                    let mut combination = prefix.clone();
                    combination.push(index);
                    combination
                })
            })
            .collect();
    }
    combinations
}

/// Entries in first-insertion order where a later value replaces an earlier one of the same
/// key (Python dict assignment), in time linear in the number of entries.
pub(crate) struct UniqueEntries<T> {
    entries: Vec<(String, T)>,
    index: HashMap<String, usize>,
}

impl<T> UniqueEntries<T> {
    pub(crate) fn new() -> Self {
        UniqueEntries {
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub(crate) fn insert(&mut self, key: String, value: T) {
        match self.index.get(&key) {
            Some(&at) => self.entries[at].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }

    pub(crate) fn into_vec(self) -> Vec<(String, T)> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_sizes_are_bounded_without_overflow() {
        assert_eq!(matrix_size(&[]), Ok(1));
        assert_eq!(matrix_size(&[3, 4]), Ok(12));
        assert_eq!(matrix_size(&[100, 100]), Ok(10_000));
        assert_eq!(matrix_size(&[100, 101]), Err(10_100));
        assert_eq!(matrix_size(&[1 << 40, 1 << 40, 0]), Ok(0));
        assert_eq!(matrix_size(&[1 << 40, 1 << 40]), Err(usize::MAX));
        assert!(too_many_stages(usize::MAX).contains("more stages than can be counted"));
    }

    #[test]
    fn budget_refuses_past_the_limit() {
        let budget = Budget::default();
        assert!(budget.take(MAX_RESOLVED_BYTES - 1).is_ok());
        assert!(budget.take(1).is_ok());
        assert!(budget.take(1).is_err());
        assert!(Budget::default().take(usize::MAX).is_err());
        // clones share the count
        let shared = Budget::default();
        shared.clone().take(MAX_RESOLVED_BYTES).expect("within");
        assert!(shared.take(1).is_err());
    }

    #[test]
    fn later_entries_replace_earlier_ones_in_place() {
        let mut entries = UniqueEntries::new();
        entries.insert("a".to_owned(), 1);
        entries.insert("b".to_owned(), 2);
        entries.insert("a".to_owned(), 3);
        assert_eq!(
            entries.into_vec(),
            vec![("a".to_owned(), 3), ("b".to_owned(), 2)]
        );
    }

    fn load(text: &str) -> Result<crate::resolve::PipelineFile, crate::resolve::LoadError> {
        let files = crate::files::MemoryFiles::new(&[("dvc.yaml", text)]);
        crate::resolve::load(
            &files,
            &dv_schema::repo_path::RepoPath::new("dvc.yaml").expect("path"),
            &crate::resolve::LoadOptions::default(),
        )
    }

    fn list(length: usize) -> String {
        let items: Vec<String> = (0..length).map(|index| index.to_string()).collect();
        format!("[{}]", items.join(", "))
    }

    #[test]
    fn a_matrix_bomb_is_refused_before_expansion() {
        let axis = list(1000);
        let text = format!(
            "stages:\n  ok:\n    cmd: echo\n  bomb:\n    matrix:\n      a: {axis}\n      b: {axis}\n      c: {axis}\n    cmd: echo ${{item.a}}\n"
        );
        let error = load(&text).expect_err("too many stages");
        let message = error.to_string();
        assert!(
            message.contains("'stages.bomb.matrix' in 'dvc.yaml'")
                && message.contains("1000000000 stages"),
            "{message}"
        );
        assert_eq!(error.stage(), Some("bomb"));
        assert_eq!(error.line(), Some(5));
        // a large but real matrix still expands
        let axis = list(100);
        let text = format!(
            "stages:\n  grid:\n    matrix:\n      a: {axis}\n      b: {axis}\n    cmd: echo ${{item.a}} ${{item.b}}\n"
        );
        let file = load(&text).expect("10,000 stages");
        assert_eq!(file.stages.len(), MAX_STAGES_PER_GROUP);
    }

    #[test]
    fn foreach_groups_are_bounded() {
        let text = format!(
            "stages:\n  many:\n    foreach: {}\n    do:\n      cmd: echo ${{item}}\n",
            list(MAX_STAGES_PER_GROUP + 1)
        );
        let message = load(&text).expect_err("too many").to_string();
        assert!(
            message.contains("'stages.many.foreach'") && message.contains("10001 stages"),
            "{message}"
        );
    }

    #[test]
    fn repeated_interpolation_is_bounded() {
        // 4,000 references to a 100 KB value would resolve to 400 MB of text
        let big = "x".repeat(100_000);
        let refs = "${big}".repeat(4_000);
        let text = format!("vars:\n  - big: {big}\nstages:\n  s:\n    cmd: {refs}\n");
        let message = load(&text).expect_err("too much text").to_string();
        assert!(
            message.contains("'stages.s.cmd' in 'dvc.yaml'") && message.contains("MiB of text"),
            "{message}"
        );
    }
}
