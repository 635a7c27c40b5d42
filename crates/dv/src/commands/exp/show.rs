//! `dv exp show`: the experiments of the selected baselines, printed as dvc prints them: the
//! rich table (box `HORIZONTALS`, at its natural width, as DVC prints it through its pager),
//! `--md` (tabulate's `github` format), `--csv` (Python's `csv` module) or `--json`
//! (`json.dumps` of DVC's serialized experiment states).
//!
//! dv has no pager: the table is always printed whole, so `--no-pager` changes nothing.

use clap::Args;
use dv_repo::compare::{FileData, ReadError};
use dv_repo::ops::exp::show::{
    ColumnPattern, DepInfo, ExpData, ExpRange, ExpState, LocalTime, Names, ShowOptions,
    local_times, now_seconds, show, sort_column, sort_ranges,
};
use dv_repo::{Environment, Workspace};
use dv_schema::yaml::{Mapping, Number, Value};
use unicode_width::UnicodeWidthStr;

use crate::exit::ExitStatus;
use crate::output::{FloatStyle, Table, format_field, yaml_to_python_json};
use crate::printer::Printer;

/// DVC's default precision for `exp show` tables (`.5g`).
const DEFAULT_PRECISION: i32 = 5;

#[derive(Debug, Args)]
pub struct ExpShowArgs {
    /// Show all experiments in the repository (overrides `--rev` and `--num`).
    #[arg(short = 'A', long)]
    pub all_commits: bool,
    /// Show experiments derived from the specified `<commit>` as baseline (HEAD by default).
    #[arg(long, value_name = "<commit>")]
    pub rev: Vec<String>,
    /// Show experiments from the last `num` commits (first parents) starting from the `--rev`
    /// baseline. Give a negative value to include all first-parent commits (similar to `git
    /// log -n`).
    #[arg(
        short = 'n',
        long,
        value_name = "<num>",
        default_value_t = 1,
        allow_negative_numbers = true
    )]
    pub num: i64,
    /// Show experiments derived from the tip of all Git branches.
    #[arg(short = 'a', long)]
    pub all_branches: bool,
    /// Show experiments derived from all Git tags.
    #[arg(short = 'T', long)]
    pub all_tags: bool,
    /// Do not pipe output into a pager (dv never pages).
    #[arg(long)]
    pub no_pager: bool,
    /// Only show metrics/params with values varying across the selected experiments.
    #[arg(long)]
    pub only_changed: bool,
    /// Remove the columns matching the specified regex pattern.
    #[arg(long, value_name = "<regex_pattern>")]
    pub drop: Vec<String>,
    /// Preserve the columns matching the specified regex pattern.
    #[arg(long, value_name = "<regex_pattern>")]
    pub keep: Vec<String>,
    /// Show only params that are stage dependencies.
    #[arg(long)]
    pub param_deps: bool,
    /// Sort related experiments by the specified metric or param.
    #[arg(long, value_name = "<metric/param>")]
    pub sort_by: Option<String>,
    /// Sort order to use with --sort-by. Defaults to ascending ('asc').
    #[arg(long, value_parser = ["asc", "desc"], default_value = "asc")]
    pub sort_order: String,
    /// Always show git commit SHAs instead of branch/tag names.
    #[arg(long)]
    pub sha: bool,
    /// Hide failed experiments in the table.
    #[arg(long)]
    pub hide_failed: bool,
    /// Hide queued experiments in the table.
    #[arg(long)]
    pub hide_queued: bool,
    /// Hide workspace row in the table.
    #[arg(long)]
    pub hide_workspace: bool,
    /// Print output in JSON format instead of a human-readable table.
    #[arg(long)]
    pub json: bool,
    /// Print output in csv format instead of a human-readable table.
    #[arg(long)]
    pub csv: bool,
    /// Show tabulated output in the Markdown format (GFM).
    #[arg(long = "md")]
    pub markdown: bool,
    /// Round metrics/params to `n` digits precision after the decimal point. Rounds to 5
    /// digits by default.
    #[arg(long, value_name = "<n>", allow_negative_numbers = true)]
    pub precision: Option<i32>,
    /// Kept for compatibility (DVC's running experiments are never fetched by dv).
    #[arg(long, hide = true)]
    pub no_fetch: bool,
    /// Force re-collection of experiments instead of loading from exp cache.
    #[arg(short = 'f', long)]
    pub force: bool,
}

pub fn run(
    args: ExpShowArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let options = ShowOptions {
        revs: args.rev.clone(),
        num: usize::try_from(args.num).unwrap_or(usize::MAX),
        all_branches: args.all_branches,
        all_tags: args.all_tags,
        all_commits: args.all_commits,
        hide_workspace: args.hide_workspace,
        sha_only: args.sha,
        param_deps: args.param_deps,
    };
    let states = show(&workspace, &options).map_err(failed)?;
    let times = Times::of(&states);
    if args.json {
        let list = Value::Sequence(
            states
                .iter()
                .map(|state| state_json(state, &times))
                .collect(),
        );
        printer.data(yaml_to_python_json(&list));
        return Ok(ExitStatus::Success);
    }
    let style = if args.csv {
        FloatStyle::from_dvc(args.precision, false)
    } else {
        FloatStyle::from_dvc(Some(DEFAULT_PRECISION), false)
    };
    let settings = Settings {
        fill: if args.csv { "" } else { "-" },
        style,
        iso: args.csv,
        times: &times,
    };
    let sort = match &args.sort_by {
        Some(sort_by) => Some((sort_by.as_str(), args.sort_order == "desc")),
        None => None,
    };
    let mut table = tabulate(&states, &settings, sort)?;
    let keep = ColumnPattern::new(&args.keep)?;
    let drop = ColumnPattern::new(&args.drop)?;
    if let Some(keep) = &keep {
        table.protected = table
            .columns
            .iter()
            .map(|column| keep.matches(&column.name))
            .collect();
    }
    for name in ["State", "Executor"] {
        if table.is_empty(name) {
            table.drop(name);
        }
    }
    if !args.csv {
        table.merge_experiment_ids();
    }
    if args.only_changed {
        table.drop_constant();
    }
    if let Some(drop) = &drop {
        let names: Vec<String> = table
            .columns
            .iter()
            .filter(|column| drop.matches(&column.name))
            .map(|column| column.name.clone())
            .collect();
        for name in names {
            table.drop(&name);
        }
    }
    if args.csv {
        printer.styled_data(table.csv().trim_end_matches('\n'));
    } else if args.markdown {
        printer.forced_data(table.markdown());
    } else if let Some(text) = table.rich() {
        printer.data(text);
    }
    Ok(ExitStatus::Success)
}

/// Local times of every timestamp shown, converted at once, and today's date.
struct Times {
    local: std::collections::HashMap<i64, LocalTime>,
    today: Option<LocalTime>,
}

impl Times {
    fn of(states: &[ExpState]) -> Times {
        let mut seconds = Vec::new();
        fn collect(state: &ExpState, seconds: &mut Vec<i64>) {
            if let Some(time) = state.data.as_ref().and_then(|data| data.timestamp) {
                seconds.push(time);
            }
            for range in state.experiments.iter().flatten() {
                for rev in &range.revs {
                    collect(rev, seconds);
                }
            }
        }
        for state in states {
            collect(state, &mut seconds);
        }
        seconds.sort_unstable();
        seconds.dedup();
        if seconds.is_empty() {
            return Times {
                local: Default::default(),
                today: None,
            };
        }
        seconds.push(now_seconds());
        let mut converted = local_times(&seconds);
        let today = converted.pop();
        seconds.pop();
        Times {
            local: seconds.into_iter().zip(converted).collect(),
            today,
        }
    }

    fn iso(&self, seconds: i64) -> Value {
        match self.local.get(&seconds) {
            Some(time) => Value::String(time.iso()),
            None => Value::Null,
        }
    }

    /// DVC's `format_time`: ISO for `--csv`, `%I:%M %p` today, else `%b %d, %Y`.
    fn shown(&self, seconds: i64, iso: bool) -> Option<String> {
        let time = self.local.get(&seconds)?;
        if iso {
            return Some(time.iso());
        }
        Some(time.shown(self.today.as_ref()))
    }
}

fn key(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn optional<T>(value: Option<T>, to: impl FnOnce(T) -> Value) -> Value {
    value.map_or(Value::Null, to)
}

fn count(value: Option<u64>) -> Value {
    optional(value, |n| Value::Number(Number::from(n)))
}

fn files_json(files: &[(String, FileData)]) -> Value {
    let mut map = Mapping::new();
    for (path, data) in files {
        let mut entry = Mapping::new();
        match data {
            FileData::Data(value) => {
                entry.insert(key("data"), value.clone());
            }
            FileData::Error(error) => {
                let mut inner = Mapping::new();
                inner.insert(key("type"), key(&error.kind));
                inner.insert(key("msg"), key(&error.message));
                entry.insert(key("error"), Value::Mapping(inner));
            }
        }
        map.insert(key(path), Value::Mapping(entry));
    }
    Value::Mapping(map)
}

fn recorded_json(map: &mut Mapping, info: &DepInfo) {
    map.insert(key("hash"), optional(info.hash.as_deref(), key));
    map.insert(key("size"), count(info.size));
    map.insert(key("nfiles"), count(info.nfiles));
}

fn data_json(data: &ExpData, times: &Times) -> Value {
    let mut map = Mapping::new();
    map.insert(key("rev"), key(&data.rev));
    map.insert(
        key("timestamp"),
        optional(data.timestamp, |seconds| times.iso(seconds)),
    );
    map.insert(key("params"), files_json(&data.params));
    map.insert(key("metrics"), files_json(&data.metrics));
    let mut deps = Mapping::new();
    for (path, info) in &data.deps {
        let mut entry = Mapping::new();
        recorded_json(&mut entry, info);
        deps.insert(key(path), Value::Mapping(entry));
    }
    map.insert(key("deps"), Value::Mapping(deps));
    let mut outs = Mapping::new();
    for (path, info) in &data.outs {
        let mut entry = Mapping::new();
        recorded_json(&mut entry, &info.recorded);
        entry.insert(key("use_cache"), Value::Bool(info.use_cache));
        entry.insert(key("is_data_source"), Value::Bool(info.is_data_source));
        outs.insert(key(path), Value::Mapping(entry));
    }
    map.insert(key("outs"), Value::Mapping(outs));
    map.insert(key("meta"), Value::Mapping(Mapping::new()));
    Value::Mapping(map)
}

fn error_json(error: &ReadError) -> Value {
    let mut map = Mapping::new();
    map.insert(key("msg"), key(&error.message));
    map.insert(key("type"), key(&error.kind));
    Value::Mapping(map)
}

fn range_json(range: &ExpRange, times: &Times) -> Value {
    let mut map = Mapping::new();
    map.insert(
        key("revs"),
        Value::Sequence(
            range
                .revs
                .iter()
                .map(|rev| state_json(rev, times))
                .collect(),
        ),
    );
    map.insert(key("executor"), Value::Null);
    map.insert(key("name"), optional(range.name.as_deref(), key));
    Value::Mapping(map)
}

/// DVC's `ExpState.dumpd()`.
fn state_json(state: &ExpState, times: &Times) -> Value {
    let mut map = Mapping::new();
    map.insert(key("rev"), key(&state.rev));
    map.insert(key("name"), optional(state.name.as_deref(), key));
    map.insert(
        key("data"),
        optional(state.data.as_ref(), |data| data_json(data, times)),
    );
    map.insert(key("error"), optional(state.error.as_ref(), error_json));
    map.insert(
        key("experiments"),
        optional(state.experiments.as_ref(), |ranges| {
            Value::Sequence(
                ranges
                    .iter()
                    .map(|range| range_json(range, times))
                    .collect(),
            )
        }),
    );
    Value::Mapping(map)
}

/// How cells are written.
struct Settings<'a> {
    /// DVC's fill value: `-`, or nothing for `--csv`.
    fill: &'a str,
    style: FloatStyle,
    iso: bool,
    times: &'a Times,
}

/// What a column holds (metrics are right-aligned in the rich table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Info,
    Metric,
    Param,
    Dep,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    cells: Vec<String>,
}

/// DVC's `TabularData` for `exp show`: named columns, some protected from dropping.
#[derive(Debug, Default)]
struct ExpTable {
    columns: Vec<Column>,
    protected: Vec<bool>,
    fill: String,
}

fn add_names(names: &mut Names, files: &[(String, FileData)]) {
    for (path, data) in files {
        let FileData::Data(value @ Value::Mapping(_)) = data else {
            if !names.iter().any(|(known, _)| known == path) {
                names.push((path.clone(), Vec::new()));
            }
            continue;
        };
        let index = match names.iter().position(|(known, _)| known == path) {
            Some(index) => index,
            None => {
                names.push((path.clone(), Vec::new()));
                names.len() - 1
            }
        };
        for (name, _) in dv_repo::compare::flatten(value) {
            if !names[index].1.contains(&name) {
                names[index].1.push(name);
            }
        }
    }
}

fn collect_names(
    states: &[ExpState],
    metrics: &mut Names,
    params: &mut Names,
    deps: &mut Vec<String>,
) {
    for state in states {
        if let Some(data) = &state.data {
            add_names(metrics, &data.metrics);
            add_names(params, &data.params);
            for (path, _) in &data.deps {
                if !deps.contains(path) {
                    deps.push(path.clone());
                }
            }
        }
        for range in state.experiments.iter().flatten() {
            collect_names(&range.revs, metrics, params, deps);
        }
    }
}

const INFO_HEADERS: [&str; 7] = [
    "Experiment",
    "rev",
    "typ",
    "Created",
    "parent",
    "State",
    "Executor",
];

/// DVC's `_normalize_headers`: a name seen once stays as it is, else it is prefixed with its
/// file.
fn headers(
    names: &Names,
    counts: &std::collections::HashMap<&str, usize>,
) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for (path, keys) in names {
        for name in keys {
            let header = if counts.get(name.as_str()).copied().unwrap_or(0) == 1 {
                name.clone()
            } else {
                format!("{path}:{name}")
            };
            found.push((header, path.clone(), name.clone()));
        }
    }
    found
}

/// One row: the cells by header.
type Row = Vec<(String, String)>;

fn tabulate(
    states: &[ExpState],
    settings: &Settings<'_>,
    sort: Option<(&str, bool)>,
) -> anyhow::Result<ExpTable> {
    let (mut metrics, mut params, mut deps) = (Names::new(), Names::new(), Vec::new());
    collect_names(states, &mut metrics, &mut params, &mut deps);
    deps.sort();
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    // `metrics_names | params_names`: a file in both counts with its params keys.
    let mut merged: Vec<&(String, Vec<String>)> = Vec::new();
    for entry in metrics.iter().chain(params.iter()) {
        match merged.iter_mut().find(|(path, _)| *path == entry.0) {
            Some(slot) => *slot = entry,
            None => merged.push(entry),
        }
    }
    for (_, keys) in merged {
        for name in keys {
            *counts.entry(name.as_str()).or_default() += 1;
        }
    }
    for header in INFO_HEADERS {
        *counts.entry(header).or_default() += 1;
    }
    let metric_headers = headers(&metrics, &counts);
    let param_headers = headers(&params, &counts);
    let mut columns: Vec<Column> = Vec::new();
    let mut add = |name: &str, kind: Kind| {
        columns.push(Column {
            name: name.to_string(),
            kind,
            cells: Vec::new(),
        })
    };
    for header in INFO_HEADERS {
        add(header, Kind::Info);
    }
    for (header, _, _) in &metric_headers {
        add(header, Kind::Metric);
    }
    for (header, _, _) in &param_headers {
        add(header, Kind::Param);
    }
    for dep in &deps {
        add(dep, Kind::Dep);
    }
    let mut rows: Vec<Row> = Vec::new();
    let cells = |state: &ExpState, row: &mut Row| {
        let Some(data) = &state.data else {
            return;
        };
        if let Some(time) = data
            .timestamp
            .and_then(|seconds| settings.times.shown(seconds, settings.iso))
        {
            row.push(("Created".to_string(), time));
        }
        for (files, headers) in [
            (&data.metrics, &metric_headers),
            (&data.params, &param_headers),
        ] {
            for (path, file) in files {
                let (flat, errored): (Vec<(String, Value)>, bool) = match file {
                    FileData::Data(value @ Value::Mapping(_)) => {
                        (dv_repo::compare::flatten(value), false)
                    }
                    FileData::Data(_) => (Vec::new(), false),
                    FileData::Error(_) => (Vec::new(), true),
                };
                for (header, _, name) in headers.iter().filter(|(_, file, _)| file == path) {
                    let text = match flat.iter().find(|(key, _)| key == name) {
                        Some((_, value)) => format_field(value, settings.style),
                        None if errored => "!".to_string(),
                        None => settings.fill.to_string(),
                    };
                    row.push((header.clone(), text));
                }
            }
        }
        for (path, info) in &data.deps {
            if deps.contains(path) {
                row.push((
                    path.clone(),
                    info.hash
                        .clone()
                        .unwrap_or_else(|| settings.fill.to_string()),
                ));
            }
        }
    };
    for baseline in states {
        let mut row: Row = vec![
            ("Experiment".to_string(), String::new()),
            (
                "rev".to_string(),
                match &baseline.name {
                    Some(name) => name.clone(),
                    None if is_sha(&baseline.rev) => baseline.rev[..7].to_string(),
                    None => baseline.rev.clone(),
                },
            ),
            ("typ".to_string(), "baseline".to_string()),
            ("parent".to_string(), String::new()),
        ];
        cells(baseline, &mut row);
        rows.push(row);
        let Some(experiments) = &baseline.experiments else {
            continue;
        };
        let sorted: Vec<&ExpRange> = match sort {
            Some((sort_by, reverse)) => {
                let (path, name, typ) = sort_column(sort_by, &metrics, &params)?;
                sort_ranges(experiments, &path, &name, typ, reverse)
            }
            None => experiments.iter().collect(),
        };
        let last = sorted.len().saturating_sub(1);
        for (index, range) in sorted.into_iter().enumerate() {
            let Some(exp) = range.revs.first() else {
                continue;
            };
            let mut row: Row = vec![
                (
                    "Experiment".to_string(),
                    exp.name.clone().unwrap_or_default(),
                ),
                (
                    "rev".to_string(),
                    if is_sha(&exp.rev) {
                        exp.rev[..7].to_string()
                    } else {
                        exp.rev.clone()
                    },
                ),
                (
                    "typ".to_string(),
                    if index == last {
                        "branch_base"
                    } else {
                        "branch_commit"
                    }
                    .to_string(),
                ),
                ("parent".to_string(), String::new()),
            ];
            cells(exp, &mut row);
            rows.push(row);
        }
    }
    for row in &rows {
        for column in columns.iter_mut() {
            // Python's dict update: the last value given for a header wins.
            let value = row
                .iter()
                .rev()
                .find(|(header, _)| *header == column.name)
                .map(|(_, value)| value.clone())
                .unwrap_or_else(|| settings.fill.to_string());
            column.cells.push(value);
        }
    }
    let protected = vec![false; columns.len()];
    Ok(ExpTable {
        columns,
        protected,
        fill: settings.fill.to_string(),
    })
}

fn is_sha(rev: &str) -> bool {
    rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit())
}

impl ExpTable {
    fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }

    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |column| column.cells.len())
    }

    /// Whether every cell of the column is the fill value.
    fn is_empty(&self, name: &str) -> bool {
        self.position(name).is_some_and(|index| {
            self.columns[index]
                .cells
                .iter()
                .all(|cell| *cell == self.fill)
        })
    }

    /// Drops a column unless it is protected (`--keep`).
    fn drop(&mut self, name: &str) {
        if let Some(index) = self.position(name)
            && !self.protected.get(index).copied().unwrap_or(false)
        {
            self.columns.remove(index);
            if index < self.protected.len() {
                self.protected.remove(index);
            }
        }
    }

    /// DVC's `prepare_exp_id`: `rev [name]` under tree glyphs in the `Experiment` column, and
    /// the `rev`, `typ` and `parent` columns dropped.
    fn merge_experiment_ids(&mut self) {
        let column = |name: &str| -> Vec<String> {
            self.position(name)
                .map(|index| self.columns[index].cells.clone())
                .unwrap_or_default()
        };
        let (names, revs, types, parents) = (
            column("Experiment"),
            column("rev"),
            column("typ"),
            column("parent"),
        );
        let ids: Vec<String> = (0..self.rows())
            .map(|row| {
                let name = names.get(row).map_or("", String::as_str);
                let rev = revs.get(row).map_or("", String::as_str);
                let typ = types.get(row).map_or("baseline", String::as_str);
                let parent = parents.get(row).map_or("", String::as_str);
                let mut text = if typ == "baseline" || name.is_empty() {
                    if name.is_empty() {
                        rev.to_string()
                    } else {
                        name.to_string()
                    }
                } else {
                    format!("{rev} [{name}]")
                };
                if !parent.is_empty() {
                    text.push_str(&format!(" ({parent})"));
                }
                let tree = match typ {
                    "branch_commit" => "├── ",
                    "branch_base" => "└── ",
                    _ => "",
                };
                format!("{tree}{text}")
            })
            .collect();
        if let Some(index) = self.position("Experiment") {
            self.columns[index].cells = ids;
        }
        for name in ["rev", "typ", "parent"] {
            self.drop(name);
        }
    }

    /// `--only-changed`: columns holding one value throughout are dropped.
    fn drop_constant(&mut self) {
        let constant: Vec<String> = self
            .columns
            .iter()
            .filter(|column| {
                let mut values: Vec<&String> = column.cells.iter().collect();
                values.sort();
                values.dedup();
                values.len() == 1
            })
            .map(|column| column.name.clone())
            .collect();
        for name in constant {
            self.drop(&name);
        }
    }

    /// Python's `csv.writer` (`\r\n` line ends, minimal quoting).
    fn csv(&self) -> String {
        let quote = |field: &str| {
            if field.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.to_string()
            }
        };
        let line = |fields: Vec<&str>| {
            if fields.len() == 1 && fields[0].is_empty() {
                return "\"\"\r\n".to_string();
            }
            let quoted: Vec<String> = fields.into_iter().map(quote).collect();
            format!("{}\r\n", quoted.join(","))
        };
        let mut out = line(self.columns.iter().map(|c| c.name.as_str()).collect());
        for row in 0..self.rows() {
            out.push_str(&line(
                self.columns.iter().map(|c| c.cells[row].as_str()).collect(),
            ));
        }
        out
    }

    /// `--md`: tabulate's `github` format, with DVC's extra line break.
    fn markdown(&self) -> String {
        let mut table = Table::new(self.columns.iter().map(|column| column.name.clone()));
        for row in 0..self.rows() {
            table.push_row(self.columns.iter().map(|column| column.cells[row].clone()));
        }
        table.to_dvc_output(true).unwrap_or_default()
    }

    /// The rich table with box `HORIZONTALS` at its natural width: rules of `─` framed by
    /// spaces, cells padded by one space and separated by one, metrics right-aligned.
    /// Nothing for a table without rows.
    fn rich(&self) -> Option<String> {
        if self.rows() == 0 || self.columns.is_empty() {
            return None;
        }
        let widths: Vec<usize> = self
            .columns
            .iter()
            .map(|column| {
                column
                    .cells
                    .iter()
                    .map(|cell| cell.width())
                    .chain([column.name.width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let total: usize = widths.iter().map(|width| width + 2).sum::<usize>() + widths.len() - 1;
        let rule = format!(" {} ", "─".repeat(total));
        let line = |cells: Vec<&str>| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&self.columns)
                .map(|((cell, width), column)| {
                    let blanks = " ".repeat(width.saturating_sub(cell.width()));
                    if column.kind == Kind::Metric {
                        format!(" {blanks}{cell} ")
                    } else {
                        format!(" {cell}{blanks} ")
                    }
                })
                .collect();
            format!(" {} ", padded.join(" "))
        };
        let mut lines = vec![
            rule.clone(),
            line(self.columns.iter().map(|c| c.name.as_str()).collect()),
            rule.clone(),
        ];
        for row in 0..self.rows() {
            lines.push(line(
                self.columns.iter().map(|c| c.cells[row].as_str()).collect(),
            ));
        }
        lines.push(rule);
        Some(lines.join("\n"))
    }
}

/// DVC's `failed to show experiments - …` (exit code 1) for the errors its command catches.
fn failed(error: anyhow::Error) -> anyhow::Error {
    match error.downcast_ref::<dv_repo::DvcError>() {
        Some(inner) => {
            dv_repo::CommandError(format!("failed to show experiments - {inner}")).into()
        }
        None => error,
    }
}
