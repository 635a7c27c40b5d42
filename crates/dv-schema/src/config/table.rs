//! The logical configuration as DVC sees it after loading: a [`Table`] of sections and
//! settings, each value with the file and line it came from.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The kinds of named sections: `['remote "x"']`, `['machine "x"']`, `['db "x"']`.
pub const NAMED_SECTIONS: [&str; 3] = ["remote", "machine", "db"];

/// Where a value was read from: the config file and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The config file the value came from.
    pub file: Arc<PathBuf>,
    /// 1-based line number of the `key = value` line.
    pub line: usize,
}

/// A configuration value as configobj produces it: a string, or a list for unquoted
/// comma-separated values (`type = hardlink, symlink`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A single string.
    Str(String),
    /// A comma-separated list.
    List(Vec<String>),
}

impl Value {
    /// The string, if this is not a list.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::List(_) => None,
        }
    }
}

impl fmt::Display for Value {
    /// Renders like Python's `str()`, which is what `dvc config` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", crate::shown::python_repr(item))?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A leaf of the configuration: a value and where it came from (none when set from the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value.
    pub value: Value,
    /// The file and line it was read from.
    pub origin: Option<Origin>,
    /// For path options resolved on load: the value as written in the file, which is what
    /// goes back on save.
    pub written: Option<String>,
}

impl Setting {
    /// A string value with no origin (set by a command).
    pub fn new(value: impl Into<String>) -> Self {
        Setting {
            value: Value::Str(value.into()),
            origin: None,
            written: None,
        }
    }
}

/// A node of the configuration tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A `key = value` entry.
    Setting(Setting),
    /// A section (or, under `remote`/`machine`/`db`, one named section).
    Table(Table),
}

/// An ordered mapping, like the Python dicts DVC keeps its configuration in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub(super) entries: Vec<(String, Node)>,
    /// Line of the section header this table came from, if any.
    pub line: Option<usize>,
    /// The file this table was read from, if any.
    pub file: Option<Arc<PathBuf>>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The node under `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The node under `key`, mutable.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// True when `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The sub-table under `key`, if it is a table.
    pub fn table(&self, key: &str) -> Option<&Table> {
        match self.get(key) {
            Some(Node::Table(t)) => Some(t),
            _ => None,
        }
    }

    /// The sub-table under `key`, created empty (at the end) when absent or not a table.
    pub fn table_mut(&mut self, key: &str) -> &mut Table {
        let index = match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => {
                if !matches!(self.entries[i].1, Node::Table(_)) {
                    self.entries[i].1 = Node::Table(Table::new());
                }
                i
            }
            None => {
                self.entries
                    .push((key.to_string(), Node::Table(Table::new())));
                self.entries.len() - 1
            }
        };
        match &mut self.entries[index].1 {
            Node::Table(t) => t,
            Node::Setting(_) => unreachable!("entry was made a table above"),
        }
    }

    /// The setting under `key`, if it is a leaf.
    pub fn setting(&self, key: &str) -> Option<&Setting> {
        match self.get(key) {
            Some(Node::Setting(s)) => Some(s),
            _ => None,
        }
    }

    /// The string value under `key`, if it is a leaf string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.setting(key).and_then(|s| s.value.as_str())
    }

    /// Sets `key`, keeping its position when it exists, appending otherwise.
    pub fn insert(&mut self, key: impl Into<String>, node: Node) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = node,
            None => self.entries.push((key, node)),
        }
    }

    /// Removes `key`, returning its node.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(index).1)
    }

    /// Renames `old` to `new` in place, keeping the position.
    pub fn rename(&mut self, old: &str, new: &str) {
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| k == old) {
            entry.0 = new.to_string();
        }
    }

    /// Deep merge of `other` into `self`, key by key, like DVC's `merge` (spec §2.1).
    pub fn merge(&mut self, other: &Table) {
        for (key, node) in &other.entries {
            match (self.get_mut(key), node) {
                (Some(Node::Table(mine)), Node::Table(theirs)) => mine.merge(theirs),
                _ => self.insert(key.clone(), node.clone()),
            }
        }
    }

    /// Flattened `a.b.c` → setting pairs in order, like DVC's `flatten` (empty tables vanish).
    pub fn flatten(&self) -> Vec<(String, &Setting)> {
        let mut out = Vec::new();
        self.flatten_into("", &mut out);
        out
    }

    fn flatten_into<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Setting)>) {
        for (key, node) in &self.entries {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match node {
                Node::Setting(s) => out.push((path, s)),
                Node::Table(t) => t.flatten_into(&path, out),
            }
        }
    }
}
