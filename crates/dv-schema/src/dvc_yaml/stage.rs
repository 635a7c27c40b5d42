//! One resolved stage of a `dvc.yaml` ([`StageDefinition`]): read from its value after
//! templating, and written back as `dvc stage add` writes it (spec §7.3).

use std::fmt;

use crate::yaml::{Mapping, Value};

/// The name of the params file every stage reads by default.
pub const DEFAULT_PARAMS_FILE: &str = "params.yaml";

/// A stage command: one shell command, or a list run one after the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `cmd: <string>` (a multi-line string runs each line as its own command).
    Text(String),
    /// `cmd: [<string>, ...]`.
    List(Vec<String>),
}

impl Command {
    /// Reads a command value: a string or a list of strings.
    pub fn from_value(value: &Value) -> Option<Command> {
        match value {
            Value::String(text) => Some(Command::Text(text.clone())),
            Value::Sequence(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .map(Command::List),
            _ => None,
        }
    }

    /// The value as written in `dvc.yaml` and `dvc.lock`.
    pub fn to_value(&self) -> Value {
        match self {
            Command::Text(text) => Value::String(text.clone()),
            Command::List(items) => {
                Value::Sequence(items.iter().cloned().map(Value::String).collect())
            }
        }
    }

    /// The commands to run in order (DVC runs each line of a text command separately).
    pub fn commands(&self) -> Vec<&str> {
        match self {
            Command::Text(text) => text.lines().collect(),
            Command::List(items) => items.iter().map(String::as_str).collect(),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Text(text) => f.write_str(text),
            Command::List(items) => f.write_str(&items.join("\n")),
        }
    }
}

/// Which list of a stage an output comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputKind {
    /// `outs`.
    Out,
    /// `metrics`.
    Metric,
    /// `plots`.
    Plot,
}

/// One output of a stage, after templating (`outs`, `metrics` and `plots` entries).
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDefinition {
    /// The path as written, relative to the stage's working directory.
    pub path: String,
    /// The list it was declared in.
    pub kind: OutputKind,
    /// `cache` (default true).
    pub cache: bool,
    /// `persist` (default false).
    pub persist: bool,
    /// `remote`.
    pub remote: Option<String>,
    /// `push` (default true).
    pub push: bool,
    /// `desc` annotation.
    pub desc: Option<String>,
    /// `type` annotation.
    pub type_: Option<String>,
    /// `labels` annotation.
    pub labels: Vec<String>,
    /// `meta` annotation.
    pub meta: Option<Value>,
    /// Plot properties of a `plots` entry (`template`, `x`, `y`, ...), in DVC's order.
    pub plot_props: Mapping,
}

impl OutputDefinition {
    /// An output with default flags.
    pub fn new(path: impl Into<String>, kind: OutputKind) -> OutputDefinition {
        OutputDefinition {
            path: path.into(),
            kind,
            cache: true,
            persist: false,
            remote: None,
            push: true,
            desc: None,
            type_: None,
            labels: Vec::new(),
            meta: None,
            plot_props: Mapping::new(),
        }
    }

    /// The flags as `dvc stage add` writes them (`_get_flags`): `desc, type, labels, meta,
    /// cache: false, persist: true, <plot props>, remote, push: false`.
    pub fn flags(&self) -> Mapping {
        let mut flags = Mapping::new();
        let mut put = |key: &str, value: Value| {
            flags.insert(Value::String(key.to_owned()), value);
        };
        if let Some(desc) = self.desc.as_ref().filter(|desc| !desc.is_empty()) {
            put("desc", Value::String(desc.clone()));
        }
        if let Some(type_) = self.type_.as_ref().filter(|type_| !type_.is_empty()) {
            put("type", Value::String(type_.clone()));
        }
        if !self.labels.is_empty() {
            put(
                "labels",
                Value::Sequence(self.labels.iter().cloned().map(Value::String).collect()),
            );
        }
        if let Some(meta) = self.meta.as_ref().filter(|meta| is_truthy(meta)) {
            put("meta", meta.clone());
        }
        if !self.cache {
            put("cache", Value::Bool(false));
        }
        if self.persist {
            put("persist", Value::Bool(true));
        }
        for (key, value) in &self.plot_props {
            flags.insert(key.clone(), value.clone());
        }
        let mut put = |key: &str, value: Value| {
            flags.insert(Value::String(key.to_owned()), value);
        };
        if let Some(remote) = &self.remote {
            put("remote", Value::String(remote.clone()));
        }
        if !self.push {
            put("push", Value::Bool(false));
        }
        flags
    }
}

/// A params dependency: the params file and its tracked keys (none: the whole file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamsDefinition {
    /// The file, relative to the stage's working directory.
    pub path: String,
    /// Dotted keys; empty when the whole file is tracked.
    pub keys: Vec<String>,
}

/// One stage of a `dvc.yaml` after templating.
#[derive(Clone, Debug, PartialEq)]
pub struct StageDefinition {
    /// `cmd`.
    pub cmd: Command,
    /// `wdir`, relative to the `dvc.yaml` directory.
    pub wdir: Option<String>,
    /// `deps`, as written.
    pub deps: Vec<String>,
    /// `params`, merged per file as DVC does (`_merge_params`).
    pub params: Vec<ParamsDefinition>,
    /// `outs`, then `metrics`, then `plots` (entries of the same path in one list merged).
    pub outs: Vec<OutputDefinition>,
    /// `frozen`.
    pub frozen: bool,
    /// `always_changed`.
    pub always_changed: bool,
    /// `desc`.
    pub desc: Option<String>,
    /// `meta`, kept as written.
    pub meta: Option<Value>,
}

/// A resolved stage whose content DVC cannot load.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DefinitionError {
    /// What is wrong.
    pub message: String,
    /// The stage key it is about (`cmd`, `outs`, ...).
    pub key: String,
}

const PLOT_PROPS: [&str; 7] = [
    "template", "x", "y", "x_label", "y_label", "title", "header",
];

impl StageDefinition {
    /// A stage running `cmd` with nothing else set.
    pub fn new(cmd: Command) -> StageDefinition {
        StageDefinition {
            cmd,
            wdir: None,
            deps: Vec::new(),
            params: Vec::new(),
            outs: Vec::new(),
            frozen: false,
            always_changed: false,
            desc: None,
            meta: None,
        }
    }

    /// Reads a resolved stage mapping (DVC's `StageLoader.load_stage`).
    pub fn from_value(value: &Value) -> Result<StageDefinition, DefinitionError> {
        let error = |key: &str, message: String| DefinitionError {
            message,
            key: key.to_owned(),
        };
        let Value::Mapping(map) = value else {
            return Err(error("", "expected a dictionary".to_owned()));
        };
        let cmd = map
            .get("cmd")
            .and_then(Command::from_value)
            .ok_or_else(|| error("cmd", "expected str or a list of str".to_owned()))?;
        let text = |key: &str| -> Result<Option<String>, DefinitionError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(other) => Err(error(
                    key,
                    format!("expected str, got {}", type_name(other)),
                )),
            }
        };
        let flag = |key: &str| -> Result<bool, DefinitionError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(flag)) => Ok(*flag),
                Some(other) => Err(error(
                    key,
                    format!("expected bool, got {}", type_name(other)),
                )),
            }
        };
        let deps = match map.get("deps") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_owned).ok_or_else(|| {
                        error("deps", format!("expected str, got {}", type_name(item)))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(error(
                    "deps",
                    format!("expected a list, got {}", type_name(other)),
                ));
            }
        };
        let params = merge_params(map.get("params")).map_err(|message| error("params", message))?;
        let mut outs = Vec::new();
        for (key, kind) in [
            ("outs", OutputKind::Out),
            ("metrics", OutputKind::Metric),
            ("plots", OutputKind::Plot),
        ] {
            outs.extend(merge_outputs(map.get(key), kind).map_err(|message| error(key, message))?);
        }
        Ok(StageDefinition {
            cmd,
            wdir: text("wdir")?,
            deps,
            params,
            outs,
            frozen: flag("frozen")?,
            always_changed: flag("always_changed")?,
            desc: text("desc")?,
            meta: map.get("meta").cloned(),
        })
    }

    /// The stage as `dvc stage add` writes it (`to_pipeline_file`, spec §7.3): `desc, cmd,
    /// wdir, deps, params, outs, metrics, plots, frozen, always_changed, meta`, empty ones
    /// left out; deps sorted; params keys of `params.yaml` first, then `{file: [keys]}` per
    /// other file; each output list sorted by path.
    pub fn to_value(&self) -> Value {
        let mut map = Mapping::new();
        let mut put = |key: &str, value: Value| {
            map.insert(Value::String(key.to_owned()), value);
        };
        if let Some(desc) = self.desc.as_ref().filter(|desc| !desc.is_empty()) {
            put("desc", Value::String(desc.clone()));
        }
        put("cmd", self.cmd.to_value());
        if let Some(wdir) = self
            .wdir
            .as_ref()
            .filter(|wdir| !wdir.is_empty() && *wdir != ".")
        {
            put("wdir", Value::String(wdir.clone()));
        }
        let mut deps = self.deps.clone();
        deps.sort();
        if !deps.is_empty() {
            put(
                "deps",
                Value::Sequence(deps.into_iter().map(Value::String).collect()),
            );
        }
        let params = self.params_value();
        if !params.is_empty() {
            put("params", Value::Sequence(params));
        }
        let mut outputs: Vec<&OutputDefinition> = self.outs.iter().collect();
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        for (key, kind) in [
            ("outs", OutputKind::Out),
            ("metrics", OutputKind::Metric),
            ("plots", OutputKind::Plot),
        ] {
            let entries: Vec<Value> = outputs
                .iter()
                .filter(|out| out.kind == kind)
                .map(|out| {
                    let flags = out.flags();
                    if flags.is_empty() {
                        Value::String(out.path.clone())
                    } else {
                        let mut entry = Mapping::new();
                        entry.insert(Value::String(out.path.clone()), Value::Mapping(flags));
                        Value::Mapping(entry)
                    }
                })
                .collect();
            if !entries.is_empty() {
                put(key, Value::Sequence(entries));
            }
        }
        if self.frozen {
            put("frozen", Value::Bool(true));
        }
        if self.always_changed {
            put("always_changed", Value::Bool(true));
        }
        if let Some(meta) = self.meta.as_ref().filter(|meta| is_truthy(meta)) {
            put("meta", meta.clone());
        }
        Value::Mapping(map)
    }

    /// `_serialize_params_keys`.
    fn params_value(&self) -> Vec<Value> {
        let mut files: Vec<&ParamsDefinition> = self.params.iter().collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut entries = Vec::new();
        for file in files {
            let mut keys = file.keys.clone();
            keys.sort();
            if !keys.is_empty() && file.path == DEFAULT_PARAMS_FILE {
                let mut front: Vec<Value> = keys.into_iter().map(Value::String).collect();
                front.append(&mut entries);
                entries = front;
            } else {
                let mut entry = Mapping::new();
                let value = if keys.is_empty() {
                    Value::Null
                } else {
                    Value::Sequence(keys.into_iter().map(Value::String).collect())
                };
                entry.insert(Value::String(file.path.clone()), value);
                entries.push(Value::Mapping(entry));
            }
        }
        entries
    }
}

/// DVC's `_merge_params`: plain keys belong to `params.yaml` (unless it is tracked whole),
/// `{file: [keys]}` adds keys of another file, `{file: null}` (or an empty list) tracks a whole
/// file. Files keep the order of their first mention.
fn merge_params(value: Option<&Value>) -> Result<Vec<ParamsDefinition>, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(other) => return Err(format!("expected a list, got {}", type_name(other))),
    };
    let mut whole = Vec::new();
    for item in items {
        if let Value::Mapping(map) = item {
            for (file, keys) in map {
                if is_falsy(keys)
                    && let Some(file) = file.as_str()
                {
                    whole.push(file.to_owned());
                }
            }
        }
    }
    let mut merged: Vec<ParamsDefinition> = Vec::new();
    let mut entry = |path: &str| -> usize {
        match merged.iter().position(|param| param.path == path) {
            Some(index) => index,
            None => {
                merged.push(ParamsDefinition {
                    path: path.to_owned(),
                    keys: Vec::new(),
                });
                merged.len() - 1
            }
        }
    };
    let mut additions: Vec<(usize, Vec<String>)> = Vec::new();
    for item in items {
        match item {
            Value::String(key) => {
                if !whole.iter().any(|file| file == DEFAULT_PARAMS_FILE) {
                    additions.push((entry(DEFAULT_PARAMS_FILE), vec![key.clone()]));
                }
            }
            Value::Mapping(map) => {
                for (file, keys) in map {
                    let Some(file) = file.as_str() else {
                        return Err("Only list of str/dict is supported.".to_owned());
                    };
                    let index = entry(file);
                    if whole.iter().any(|whole| whole == file) {
                        continue;
                    }
                    let Value::Sequence(keys) = keys else {
                        return Err(format!(
                            "Expected list of params for custom params file '{file}', got '{}'.",
                            python_type_name(keys)
                        ));
                    };
                    let keys = keys
                        .iter()
                        .map(|key| match key {
                            Value::String(key) => Ok(key.clone()),
                            other => Err(format!("expected str, got {}", type_name(other))),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    additions.push((index, keys));
                }
            }
            other => {
                return Err(format!(
                    "Only list of str/dict is supported. Got: '{}'.",
                    python_type_name(other)
                ));
            }
        }
    }
    for (index, keys) in additions {
        merged[index].keys.extend(keys);
    }
    Ok(merged)
}

/// DVC's `_merge_data` + `load_from_pipeline` for one output list.
fn merge_outputs(value: Option<&Value>, kind: OutputKind) -> Result<Vec<OutputDefinition>, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(other) => return Err(format!("expected a list, got {}", type_name(other))),
    };
    let mut merged: Vec<(String, Mapping)> = Vec::new();
    let mut slot = |path: &str| -> usize {
        match merged.iter().position(|(existing, _)| existing == path) {
            Some(index) => index,
            None => {
                merged.push((path.to_owned(), Mapping::new()));
                merged.len() - 1
            }
        }
    };
    let mut updates: Vec<(usize, Mapping)> = Vec::new();
    for item in items {
        match item {
            Value::String(path) => {
                slot(path);
            }
            Value::Mapping(map) => {
                for (path, flags) in map {
                    let Some(path) = path.as_str() else {
                        return Err(format!("expected str, got {}", type_name(path)));
                    };
                    let Value::Mapping(flags) = flags else {
                        return Err(format!(
                            "Expected dict for '{path}', got: '{}'",
                            python_type_name(flags)
                        ));
                    };
                    let index = slot(path);
                    updates.push((index, flags.clone()));
                }
            }
            other => return Err(format!("'{}' not supported.", python_type_name(other))),
        }
    }
    for (index, flags) in updates {
        for (key, value) in flags {
            merged[index].1.insert(key, value);
        }
    }
    merged
        .into_iter()
        .map(|(path, flags)| output_from_flags(path, kind, &flags))
        .collect()
}

fn output_from_flags(
    path: String,
    kind: OutputKind,
    flags: &Mapping,
) -> Result<OutputDefinition, String> {
    let mut out = OutputDefinition::new(path, kind);
    let flag = |key: &str, default: bool| -> Result<bool, String> {
        match flags.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(other) => Err(format!(
                "expected bool for '{key}', got {}",
                type_name(other)
            )),
        }
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match flags.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!(
                "expected str for '{key}', got {}",
                type_name(other)
            )),
        }
    };
    out.cache = flag("cache", true)?;
    out.persist = flag("persist", false)?;
    out.push = flag("push", true)?;
    out.remote = text("remote")?;
    out.desc = text("desc")?;
    out.type_ = text("type")?;
    out.labels = match flags.get("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(labels)) => labels
            .iter()
            .filter_map(|label| label.as_str().map(str::to_owned))
            .collect(),
        Some(other) => {
            return Err(format!(
                "expected a list for 'labels', got {}",
                type_name(other)
            ));
        }
    };
    out.meta = flags.get("meta").cloned();
    if kind == OutputKind::Plot {
        for prop in PLOT_PROPS {
            if let Some(value) = flags.get(prop) {
                out.plot_props
                    .insert(Value::String(prop.to_owned()), value.clone());
            }
        }
    }
    Ok(out)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Python's name for the type of a loaded value.
fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Sequence(_) => "list",
        Value::Mapping(_) => "dict",
        Value::Tagged(tagged) => python_type_name(&tagged.value),
    }
}

/// Python truthiness of a loaded value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Sequence(items) => !items.is_empty(),
        Value::Mapping(map) => !map.is_empty(),
        Value::Tagged(tagged) => is_truthy(&tagged.value),
    }
}

fn is_falsy(value: &Value) -> bool {
    !is_truthy(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, to_string};

    fn stage(text: &str) -> StageDefinition {
        StageDefinition::from_value(&parse(text).expect("valid yaml")).expect("valid stage")
    }

    #[test]
    fn reads_a_stage() {
        let s = stage(
            "cmd: [a, b]\nwdir: sub\ndeps: [x, y]\nparams: [lr, {p.json: [seed]}, train]\n\
             outs: [o, {o: {cache: false}}, {p: {persist: true}}]\nmetrics: [m.json]\n\
             plots: [{pl.csv: {x: a, cache: false}}]\nfrozen: true\n",
        );
        assert_eq!(s.cmd.commands(), ["a", "b"]);
        assert_eq!(s.wdir.as_deref(), Some("sub"));
        assert_eq!(
            s.params,
            [
                ParamsDefinition {
                    path: "params.yaml".to_owned(),
                    keys: vec!["lr".to_owned(), "train".to_owned()]
                },
                ParamsDefinition {
                    path: "p.json".to_owned(),
                    keys: vec!["seed".to_owned()]
                }
            ]
        );
        let paths: Vec<(&str, OutputKind, bool)> = s
            .outs
            .iter()
            .map(|out| (out.path.as_str(), out.kind, out.cache))
            .collect();
        assert_eq!(
            paths,
            [
                ("o", OutputKind::Out, false),
                ("p", OutputKind::Out, true),
                ("m.json", OutputKind::Metric, true),
                ("pl.csv", OutputKind::Plot, false)
            ]
        );
        assert!(s.frozen && !s.always_changed);
    }

    #[test]
    fn whole_params_files() {
        let s = stage("cmd: x\nparams: [lr, {params.yaml: null}, {p.json: []}]\n");
        assert_eq!(
            s.params,
            [
                ParamsDefinition {
                    path: "params.yaml".to_owned(),
                    keys: vec![]
                },
                ParamsDefinition {
                    path: "p.json".to_owned(),
                    keys: vec![]
                }
            ]
        );
    }

    #[test]
    fn writes_like_stage_add() {
        // spec §7.3
        let text = "desc: Prepare data\ncmd: run\nwdir: .\ndeps: [src/prep.py, data/raw.txt]\n\
                    params: [train.batch, lr, {p2.json: [seed]}]\n\
                    outs: [data/prepared, {data/nocache.txt: {cache: false}}]\n\
                    metrics: [metrics.json, {metrics2.json: {cache: false}}]\n\
                    plots: [plots.csv, {plots2.csv: {cache: false}}]\n";
        assert_eq!(
            to_string(&stage(text).to_value()),
            "desc: Prepare data\ncmd: run\ndeps:\n- data/raw.txt\n- src/prep.py\nparams:\n- lr\n\
             - train.batch\n- p2.json:\n  - seed\nouts:\n- data/nocache.txt:\n    cache: false\n\
             - data/prepared\nmetrics:\n- metrics.json\n- metrics2.json:\n    cache: false\n\
             plots:\n- plots.csv\n- plots2.csv:\n    cache: false\n"
        );
        let whole = stage("cmd: x\nparams: [{p.json: null}, {params.yaml: null}]\n");
        assert_eq!(
            to_string(&whole.to_value()),
            "cmd: x\nparams:\n- p.json:\n- params.yaml:\n"
        );
    }
}
