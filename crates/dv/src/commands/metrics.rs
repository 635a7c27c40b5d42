//! `dv metrics show` and `dv metrics diff`, printed as dvc prints them (tables through
//! `output::table`, values through Python's formatting, `--json` as `json.dumps`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dv_repo::compare::{Diff, FileData, ReadError, RevisionData};
use dv_repo::ops::metrics::{DiffOptions, Scope, ShowOptions, diff, show};
use dv_repo::{Environment, Workspace};
use dv_schema::yaml::{Mapping, Value};

use crate::exit::ExitStatus;
use crate::output::{FloatStyle, Table, format_field, python_str, yaml_to_python_json};
use crate::printer::Printer;

/// DVC's default `--precision` for metrics tables.
const DEFAULT_PRECISION: i32 = 5;

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(subcommand)]
    pub command: MetricsCommand,
}

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Print metrics, with optional formatting.
    Show(ShowArgs),
    /// Show changes in metrics between commits in the DVC repository, or between a commit and
    /// the workspace.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Limit command scope to these metrics files.
    pub targets: Vec<PathBuf>,
    /// Show metrics for all branches.
    #[arg(short, long)]
    pub all_branches: bool,
    /// Show metrics for all tags.
    #[arg(short = 'T', long)]
    pub all_tags: bool,
    /// Show metrics for all commits.
    #[arg(short = 'A', long)]
    pub all_commits: bool,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Show tabulated output in the Markdown format (GFM).
    #[arg(long = "md")]
    pub markdown: bool,
    /// If any target is a directory, recursively search and process metrics inside it.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Round metrics to `n` digits precision after the decimal point.
    #[arg(long, value_name = "n")]
    pub precision: Option<i32>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Old Git commit to compare (defaults to HEAD)
    #[arg(default_value = "HEAD")]
    pub a_rev: String,
    /// New Git commit to compare (defaults to the current workspace)
    #[arg(default_value = "workspace")]
    pub b_rev: String,
    /// Specific metrics file(s) to compare.
    #[arg(long, num_args = 0.., value_name = "<paths>")]
    pub targets: Vec<PathBuf>,
    /// If any target is a directory, recursively search and process metrics inside it.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Show unchanged metrics as well.
    #[arg(long)]
    pub all: bool,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Show tabulated output in the Markdown format (GFM).
    #[arg(long = "md")]
    pub markdown: bool,
    /// Don't show metric path.
    #[arg(long)]
    pub no_path: bool,
    /// Round metrics to `n` digits precision after the decimal point.
    #[arg(long, value_name = "n")]
    pub precision: Option<i32>,
}

pub fn run(
    args: MetricsArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    match args.command {
        MetricsCommand::Show(args) => run_show(args, &workspace, printer),
        MetricsCommand::Diff(args) => run_diff(args, &workspace, printer),
    }
}

fn run_show(
    args: ShowArgs,
    workspace: &Workspace,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let options = ShowOptions {
        targets: args.targets,
        scope: Scope {
            num: 1,
            all_branches: args.all_branches,
            all_tags: args.all_tags,
            all_commits: args.all_commits,
            ..Scope::default()
        },
    };
    let results = show(workspace, &options)?;
    let errored: Vec<&str> = results
        .iter()
        .filter(|result| result.has_errors())
        .map(|result| result.name.as_str())
        .collect();
    warn_failed(
        printer,
        "metrics",
        &dv_repo::compare::failed_revisions(&results),
    );
    if !errored.is_empty() {
        report_errored(printer, &errored);
    }
    if args.json {
        printer.data(yaml_to_python_json(&show_json(&results)));
        return Ok(ExitStatus::Success);
    }
    let style = FloatStyle::from_dvc(Some(args.precision.unwrap_or(DEFAULT_PRECISION)), true);
    let with_revision = args.all_branches || args.all_tags || args.all_commits;
    if let Some(text) = metrics_table(&results, style, with_revision).to_dvc_output(args.markdown) {
        printer.data(text);
    }
    Ok(ExitStatus::Success)
}

/// DVC's warning for each revision that could not be read at all (`what`: `metrics` or
/// `params`), in the order they were read.
pub(crate) fn warn_failed(printer: &Printer, what: &str, failed: &[(String, String)]) {
    for (revision, why) in failed {
        printer.warn(format!(
            "failed to load {what} in revision {}, {why}",
            crate::output::python_repr(&Value::String(revision.clone()))
        ));
    }
}

/// `DVC failed to load some metrics for following revisions: 'a, b'.` on stderr.
pub(crate) fn report_errored(printer: &Printer, errored: &[&str]) {
    printer.notice(format!(
        "DVC failed to load some metrics for following revisions: '{}'.",
        errored.join(", ")
    ));
}

fn key(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn error_json(error: &ReadError) -> Value {
    let mut map = Mapping::new();
    map.insert(key("type"), key(&error.kind));
    map.insert(key("msg"), key(&error.message));
    Value::Mapping(map)
}

/// `{rev: {"data": {path: {"data": ...} | {"error": ...}}} | {"error": ...}}`.
fn show_json(results: &[RevisionData]) -> Value {
    let mut root = Mapping::new();
    for result in results {
        let mut entry = Mapping::new();
        match &result.files {
            Err(error) => {
                entry.insert(key("error"), error_json(error));
            }
            Ok(files) => {
                let mut data = Mapping::new();
                for (path, file) in files {
                    let mut file_entry = Mapping::new();
                    match file {
                        FileData::Data(value) => file_entry.insert(key("data"), value.clone()),
                        FileData::Error(error) => {
                            file_entry.insert(key("error"), error_json(error))
                        }
                    };
                    data.insert(key(path), Value::Mapping(file_entry));
                }
                entry.insert(key("data"), Value::Mapping(data));
            }
        }
        root.insert(key(&result.name), Value::Mapping(entry));
    }
    Value::Mapping(root)
}

/// DVC's `metrics_table`: one row per revision and file, a column per flattened key (sorted).
fn metrics_table(results: &[RevisionData], style: FloatStyle, with_revision: bool) -> Table {
    /// Revision, path, and the formatted value of each flattened key.
    type Row = (String, String, Vec<(String, String)>);
    let mut rows: Vec<Row> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for result in results {
        let Ok(files) = &result.files else {
            continue;
        };
        for (path, file) in files {
            let cells: Vec<(String, String)> = match file {
                FileData::Error(_) => Vec::new(),
                FileData::Data(value @ Value::Mapping(_)) => dv_repo::compare::flatten(value)
                    .into_iter()
                    .map(|(name, value)| (name, format_field(&formatted(&value), style)))
                    .collect(),
                FileData::Data(value) => vec![(String::new(), format_field(value, style))],
            };
            for (name, _) in &cells {
                if !keys.contains(name) {
                    keys.push(name.clone());
                }
            }
            rows.push((result.name.clone(), path.clone(), cells));
        }
    }
    keys.sort();
    let mut headers: Vec<String> = Vec::new();
    if with_revision {
        headers.push("Revision".to_owned());
    }
    headers.push("Path".to_owned());
    headers.extend(keys.iter().cloned());
    let mut table = Table::new(headers);
    for (revision, path, cells) in rows {
        let mut row: Vec<Option<String>> = Vec::new();
        if with_revision {
            row.push(Some(revision));
        }
        row.push(Some(path));
        for name in &keys {
            row.push(
                cells
                    .iter()
                    .find(|(cell, _)| cell == name)
                    .map(|(_, value)| value.clone()),
            );
        }
        table.push_row(row);
    }
    table
}

/// DVC's `format_dict`: lists become their Python `str`.
pub(crate) fn formatted(value: &Value) -> Value {
    match value {
        Value::Sequence(_) => Value::String(python_str(value)),
        other => other.clone(),
    }
}

fn run_diff(
    args: DiffArgs,
    workspace: &Workspace,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let options = DiffOptions {
        a_rev: args.a_rev.clone(),
        b_rev: args.b_rev.clone(),
        targets: args.targets,
        all: args.all,
    };
    let result = diff(workspace, &options)?;
    warn_failed(printer, "metrics", &result.failed);
    if !result.errored.is_empty() {
        let errored: Vec<&str> = result.errored.iter().map(String::as_str).collect();
        report_errored(printer, &errored);
    }
    let shown = DiffShown {
        title: "Metric",
        a_rev: &args.a_rev,
        b_rev: &args.b_rev,
        no_path: args.no_path,
        show_changes: true,
        style: FloatStyle::from_dvc(Some(args.precision.unwrap_or(DEFAULT_PRECISION)), true),
    };
    print_diff(printer, &result.diff, &shown, args.json, args.markdown);
    Ok(ExitStatus::Success)
}

/// How a params or metrics diff is shown.
pub(crate) struct DiffShown<'a> {
    /// `Metric` or `Param`.
    pub(crate) title: &'a str,
    pub(crate) a_rev: &'a str,
    pub(crate) b_rev: &'a str,
    pub(crate) no_path: bool,
    /// Whether the `Change` column is shown.
    pub(crate) show_changes: bool,
    pub(crate) style: FloatStyle,
}

/// Prints a diff as DVC's `show_diff` (or `--json`).
pub(crate) fn print_diff(
    printer: &Printer,
    diff: &Diff,
    shown: &DiffShown<'_>,
    json: bool,
    markdown: bool,
) {
    if json {
        let mut root = Mapping::new();
        for (path, changes) in diff {
            let mut file = Mapping::new();
            for (name, change) in changes {
                let mut entry = Mapping::new();
                let side = |value: &Option<Value>| value.as_ref().map_or(Value::Null, formatted);
                entry.insert(key("old"), side(&change.old));
                entry.insert(key("new"), side(&change.new));
                if let Some(difference) = &change.diff {
                    entry.insert(key("diff"), difference.clone());
                }
                file.insert(key(name), Value::Mapping(entry));
            }
            root.insert(key(path), Value::Mapping(file));
        }
        printer.data(yaml_to_python_json(&Value::Mapping(root)));
        return;
    }
    let mut headers: Vec<&str> = Vec::new();
    if !shown.no_path {
        headers.push("Path");
    }
    headers.extend([shown.title, shown.a_rev, shown.b_rev]);
    if shown.show_changes {
        headers.push("Change");
    }
    let mut table = Table::new(headers);
    let cell = |value: &Option<Value>| match value {
        None => "-".to_owned(),
        Some(value) => format_field(&formatted(value), shown.style),
    };
    for (path, changes) in diff {
        for (name, change) in changes {
            let mut row: Vec<Option<String>> = Vec::new();
            if !shown.no_path {
                row.push(Some(path.clone()));
            }
            row.push(Some(name.clone()));
            row.push(Some(cell(&change.old)));
            row.push(Some(cell(&change.new)));
            if shown.show_changes {
                row.push(Some(cell(&change.diff)));
            }
            table.push_row(row);
        }
    }
    if let Some(text) = table.to_dvc_output(markdown) {
        printer.data(text);
    }
}
