//! The `dvc status` report of pipeline stages, in text and JSON.

use dv_schema::repo_path::RepoPath;
use dv_schema::shown::escape_name;
use serde::Serialize;

use super::changes::{ChangeKind, EntryChange, ParamsChange, StageChanges};

/// The status of one entry as `dvc status` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryStatus {
    /// A word: `modified`, `deleted`, `new`, `not in cache`.
    Word(String),
    /// Per-key words of a params file.
    Params(Vec<(String, String)>),
}

/// One line group of a stage's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusItem {
    /// `changed deps:` and the entries.
    ChangedDeps(Vec<(String, EntryStatus)>),
    /// `changed outs:` and the entries.
    ChangedOuts(Vec<(String, EntryStatus)>),
    /// `always changed`.
    AlwaysChanged,
    /// `changed command` (pipeline stages).
    ChangedCommand,
    /// `changed checksum` (`.dvc` file stages).
    ChangedChecksum,
}

/// The status of one stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageReport {
    /// The stage's addressing (`train`, `sub/dvc.yaml:train`, `data.dvc`).
    pub addressing: String,
    /// Its items, in DVC's order.
    pub items: Vec<StatusItem>,
    /// Why, one line per reason with old and new values ([`crate::explain::reasons`]);
    /// shown only when asked (`--explain`).
    pub explanation: Vec<String>,
}

impl StageReport {
    /// The report of a pipeline stage's changes, paths shown relative to `cwd`; `None` when
    /// there is nothing to report.
    pub fn from_changes(
        addressing: &str,
        changes: &StageChanges,
        recorded: bool,
        cwd: &RepoPath,
    ) -> Option<StageReport> {
        let entries = |list: &[EntryChange]| {
            let mut shown: Vec<(String, EntryStatus)> = Vec::new();
            for change in list {
                let status = match (&change.kind, change.kind.word()) {
                    (_, Some(word)) => EntryStatus::Word(word.to_owned()),
                    (ChangeKind::Params(ParamsChange::Keys(keys)), None) => EntryStatus::Params(
                        keys.iter()
                            .map(|key| (key.key.clone(), key.kind.word().to_owned()))
                            .collect(),
                    ),
                    _ => continue,
                };
                let path = change.path.shown(cwd);
                match shown.iter_mut().find(|(existing, _)| *existing == path) {
                    Some(entry) => entry.1 = status,
                    None => shown.push((path, status)),
                }
            }
            shown
        };
        let mut items = Vec::new();
        let deps = entries(&changes.deps);
        if !deps.is_empty() {
            items.push(StatusItem::ChangedDeps(deps));
        }
        let outs = entries(&changes.outs);
        if !outs.is_empty() {
            items.push(StatusItem::ChangedOuts(outs));
        }
        if changes.always_changed {
            items.push(StatusItem::AlwaysChanged);
        }
        if changes.command.is_some() {
            items.push(StatusItem::ChangedCommand);
        }
        (!items.is_empty()).then(|| StageReport {
            addressing: addressing.to_owned(),
            items,
            explanation: crate::explain::reasons(changes, recorded, cwd),
        })
    }
}

/// The result of `dvc status` for stages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusReport {
    /// Stages with something to report, in the order checked.
    pub stages: Vec<StageReport>,
}

/// The width DVC pads status words to (`word:` left-justified).
const STATUS_WIDTH: usize = 20;

impl StatusReport {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Adds a stage's report (a later report for the same addressing replaces it, as DVC's
    /// dict update does).
    pub fn push(&mut self, report: StageReport) {
        match self
            .stages
            .iter_mut()
            .find(|existing| existing.addressing == report.addressing)
        {
            Some(existing) => *existing = report,
            None => self.stages.push(report),
        }
    }

    /// The text `dvc status` prints (each line ends with a newline); empty when nothing
    /// changed.
    pub fn to_text(&self) -> String {
        self.text(false)
    }

    /// [`StatusReport::to_text`] with each stage's explanation under `why:` (`--explain`).
    pub fn to_text_explained(&self) -> String {
        self.text(true)
    }

    fn text(&self, explain: bool) -> String {
        let mut out = String::new();
        let word = |word: &str| {
            let mut text = format!("{word}:");
            while text.len() < STATUS_WIDTH {
                text.push(' ');
            }
            text
        };
        for stage in &self.stages {
            // Names from the repository stay on their line (see `dv_schema::shown`).
            out.push_str(&format!("{}:\n", escape_name(&stage.addressing)));
            for item in &stage.items {
                let (title, entries) = match item {
                    StatusItem::ChangedDeps(entries) => ("changed deps", entries),
                    StatusItem::ChangedOuts(entries) => ("changed outs", entries),
                    StatusItem::AlwaysChanged => {
                        out.push_str("\talways changed\n");
                        continue;
                    }
                    StatusItem::ChangedCommand => {
                        out.push_str("\tchanged command\n");
                        continue;
                    }
                    StatusItem::ChangedChecksum => {
                        out.push_str("\tchanged checksum\n");
                        continue;
                    }
                };
                out.push_str(&format!("\t{title}:\n"));
                for (path, status) in entries {
                    match status {
                        EntryStatus::Word(status) => {
                            out.push_str(&format!("\t\t{}{}\n", word(status), escape_name(path)));
                        }
                        EntryStatus::Params(keys) if !keys.is_empty() => {
                            out.push_str(&format!("\t\t{}:\n", escape_name(path)));
                            for (key, status) in keys {
                                out.push_str(&format!(
                                    "\t\t\t{}{}\n",
                                    word(status),
                                    escape_name(key)
                                ));
                            }
                        }
                        EntryStatus::Params(_) => {}
                    }
                }
            }
            if explain && !stage.explanation.is_empty() {
                out.push_str("\twhy:\n");
                for reason in &stage.explanation {
                    out.push_str(&format!("\t\t{reason}\n"));
                }
            }
        }
        out
    }

    /// The `--json` value: `{"stage": [{"changed deps": {"path": "modified"}}, "always
    /// changed"]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for StatusReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.stages.len()))?;
        for stage in &self.stages {
            map.serialize_entry(&stage.addressing, &ItemsJson(&stage.items))?;
        }
        map.end()
    }
}

struct ItemsJson<'a>(&'a [StatusItem]);

impl Serialize for ItemsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Entries<'a>(&'a [(String, EntryStatus)]);
        impl Serialize for Entries<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (path, status) in self.0 {
                    match status {
                        EntryStatus::Word(word) => map.serialize_entry(path, word)?,
                        EntryStatus::Params(keys) => {
                            let keys: serde_json::Map<String, serde_json::Value> = keys
                                .iter()
                                .map(|(key, word)| {
                                    (key.clone(), serde_json::Value::from(word.as_str()))
                                })
                                .collect();
                            map.serialize_entry(path, &keys)?;
                        }
                    }
                }
                map.end()
            }
        }
        struct Group<'a>(&'a str, &'a [(String, EntryStatus)]);
        impl Serialize for Group<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(self.0, &Entries(self.1))?;
                map.end()
            }
        }
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            match item {
                StatusItem::ChangedDeps(entries) => {
                    seq.serialize_element(&Group("changed deps", entries))?
                }
                StatusItem::ChangedOuts(entries) => {
                    seq.serialize_element(&Group("changed outs", entries))?
                }
                StatusItem::AlwaysChanged => seq.serialize_element("always changed")?,
                StatusItem::ChangedCommand => seq.serialize_element("changed command")?,
                StatusItem::ChangedChecksum => seq.serialize_element("changed checksum")?,
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileContent;
    use crate::files::MemoryFiles;
    use crate::resolve::{LoadOptions, load};
    use crate::stage::EntryPath;
    use crate::status::changes::{
        CheckOptions, EntryHash, EntryRole, HashValue, Workspace, WorkspaceError, check,
    };
    use dv_schema::hash::Md5;
    use dv_schema::hash::{HashName, ObjectId};
    use dv_schema::lock_file::LockFile;

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dv-schema/tests/fixtures/outputs"
    );

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture file")
    }

    /// Files in memory, all objects in the cache.
    struct Memory {
        files: Vec<(String, Vec<u8>)>,
    }

    impl Workspace for Memory {
        fn hash(
            &mut self,
            path: &EntryPath,
            hash_name: HashName,
            _role: EntryRole,
        ) -> Result<Option<EntryHash>, WorkspaceError> {
            Ok(self
                .files
                .iter()
                .find(|(name, _)| *name == path.to_string())
                .map(|(_, bytes)| EntryHash {
                    value: HashValue::Md5(ObjectId::file(Md5::digest(bytes))),
                    hash_name,
                    size: Some(bytes.len() as u64),
                    nfiles: None,
                    isexec: false,
                }))
        }

        fn read(&mut self, path: &EntryPath) -> Result<FileContent, WorkspaceError> {
            Ok(self
                .files
                .iter()
                .find(|(name, _)| *name == path.to_string())
                .map_or(FileContent::Missing, |(_, bytes)| {
                    FileContent::File(bytes.clone())
                }))
        }

        fn in_cache(
            &mut self,
            _id: &ObjectId,
            _hash_name: HashName,
        ) -> Result<bool, WorkspaceError> {
            Ok(true)
        }
    }

    fn report(dvc_yaml: &str, lock: Option<&str>, files: &[(&str, &str)]) -> StatusReport {
        let sources = MemoryFiles::new(&[("dvc.yaml", dvc_yaml)]);
        let file = load(
            &sources,
            &RepoPath::new("dvc.yaml").expect("path"),
            &LoadOptions::default(),
        )
        .expect("loads");
        let stages = crate::stage::Stage::all(&file).expect("stages");
        let lock = lock.map(|text| LockFile::from_yaml(text).expect("valid lock"));
        let mut workspace = Memory {
            files: files
                .iter()
                .map(|(name, text)| ((*name).to_owned(), text.as_bytes().to_vec()))
                .collect(),
        };
        let mut report = StatusReport::default();
        for stage in &stages {
            let entry = lock.as_ref().and_then(|lock| lock.stage(&stage.name));
            let changes =
                check(stage, entry, &mut workspace, CheckOptions::default(), &[]).expect("checked");
            if let Some(stage_report) =
                StageReport::from_changes(&stage.name, &changes, entry.is_some(), &RepoPath::root())
            {
                report.push(stage_report);
            }
        }
        report
    }

    #[test]
    fn outputs_fixtures() {
        let dvc_yaml = fixture("dvc.yaml");
        let original = dvc_yaml.replace("cp  in mid", "cp in mid");
        let lock = fixture("dvc.lock");

        let never_run = report(&original, None, &[("in", "i\n")]);
        assert_eq!(never_run.to_text(), fixture("status-never-run.txt"));
        assert_eq!(
            format!("{}\n", crate_python_json(&never_run.to_json())),
            fixture("status-never-run.json")
        );

        let ran = [("in", "i\n"), ("mid", "i\n"), ("fin", "i\n")];
        assert!(report(&original, Some(&lock), &ran).is_empty());
        assert_eq!(
            fixture("status-clean.txt"),
            "Data and pipelines are up to date.\n"
        );

        let modified = [("in", "i2\n"), ("mid", "i\n"), ("fin", "i\n")];
        assert_eq!(
            report(&original, Some(&lock), &modified).to_text(),
            fixture("status-dep-modified.txt")
        );
        assert_eq!(
            report(&dvc_yaml, Some(&lock), &modified).to_text(),
            fixture("status-cmd-changed.txt")
        );
    }

    #[test]
    fn params_and_always_changed_rendering() {
        let report = StatusReport {
            stages: vec![StageReport {
                addressing: "sub/dvc.yaml:s".to_owned(),
                items: vec![
                    StatusItem::ChangedDeps(vec![
                        ("in".to_owned(), EntryStatus::Word("modified".to_owned())),
                        (
                            "params.yaml".to_owned(),
                            EntryStatus::Params(vec![("lr".to_owned(), "modified".to_owned())]),
                        ),
                    ]),
                    StatusItem::AlwaysChanged,
                    StatusItem::ChangedCommand,
                ],
                explanation: vec!["cmd changed: 'a' -> 'b'".to_owned()],
            }],
        };
        assert_eq!(
            report.to_text(),
            "sub/dvc.yaml:s:\n\tchanged deps:\n\t\tmodified:           in\n\t\tparams.yaml:\n\
             \t\t\tmodified:           lr\n\talways changed\n\tchanged command\n"
        );
        assert!(
            report
                .to_text_explained()
                .ends_with("\tchanged command\n\twhy:\n\t\tcmd changed: 'a' -> 'b'\n")
        );
        assert_eq!(
            crate_python_json(&report.to_json()),
            r#"{"sub/dvc.yaml:s": [{"changed deps": {"in": "modified", "params.yaml": {"lr": "modified"}}}, "always changed", "changed command"]}"#
        );
    }

    /// `json.dumps` of a JSON value, in its order.
    fn crate_python_json(value: &serde_json::Value) -> String {
        match value {
            serde_json::Value::Object(map) => format!(
                "{{{}}}",
                map.iter()
                    .map(|(key, value)| format!(
                        "{}: {}",
                        serde_json::Value::from(key.as_str()),
                        crate_python_json(value)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            serde_json::Value::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(crate_python_json)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => other.to_string(),
        }
    }
}
