//! `dv exp diff`: the metrics table, a blank line, then the params table, as dvc prints them
//! (`Change` holds `diff not supported` for values that are not both numbers), or `--json`
//! (`{"metrics": …, "params": …}`).
//!
//! DVC orders files and keys at random (Python sets); dv sorts them.

use clap::Args;
use dv_repo::compare::Diff;
use dv_repo::ops::exp::diff::{DiffOptions, diff};
use dv_repo::{Environment, Workspace};
use dv_schema::yaml::{Mapping, Value};

use crate::exit::ExitStatus;
use crate::output::{FloatStyle, Table, format_field, python_str, yaml_to_python_json};
use crate::printer::Printer;

/// DVC's default precision for metrics (`.5g`).
const DEFAULT_PRECISION: i32 = 5;

#[derive(Debug, Args)]
pub struct ExpDiffArgs {
    /// Old experiment to compare (defaults to HEAD)
    pub a_rev: Option<String>,
    /// New experiment to compare (defaults to the current workspace)
    pub b_rev: Option<String>,
    /// Show unchanged metrics/params as well.
    #[arg(long)]
    pub all: bool,
    /// Show only params that are stage dependencies.
    #[arg(long)]
    pub param_deps: bool,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Show tabulated output in the Markdown format (GFM).
    #[arg(long = "md")]
    pub markdown: bool,
    /// Don't show metric/param path.
    #[arg(long)]
    pub no_path: bool,
    /// Round metrics/params to `n` digits precision after the decimal point. Rounds to 5
    /// digits by default.
    #[arg(long, value_name = "<n>", allow_negative_numbers = true)]
    pub precision: Option<i32>,
}

pub fn run(
    args: ExpDiffArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let options = DiffOptions {
        a_rev: args.a_rev.clone(),
        b_rev: args.b_rev.clone(),
        all: args.all,
        param_deps: args.param_deps,
    };
    let result = diff(&workspace, &options).map_err(failed)?;
    if args.json {
        let value = match &result {
            None => Value::Mapping(Mapping::new()),
            Some(result) => {
                let mut root = Mapping::new();
                root.insert(key("metrics"), diff_json(&result.metrics));
                root.insert(key("params"), diff_json(&result.params));
                Value::Mapping(root)
            }
        };
        printer.data(yaml_to_python_json(&value));
        return Ok(ExitStatus::Success);
    }
    let Some(result) = result else {
        return Ok(ExitStatus::Success);
    };
    let precision = match args.precision {
        None | Some(0) => DEFAULT_PRECISION,
        Some(precision) => precision,
    };
    let a_rev = args.a_rev.as_deref().unwrap_or("HEAD");
    let b_rev = args.b_rev.as_deref().unwrap_or("workspace");
    let tables = [
        (
            &result.metrics,
            "Metric",
            FloatStyle::from_dvc(Some(precision), false),
        ),
        (&result.params, "Param", FloatStyle::Repr),
    ];
    for (index, (changes, title, style)) in tables.into_iter().enumerate() {
        if index > 0 {
            printer.forced_data("");
        }
        let table = diff_table(changes, title, a_rev, b_rev, args.no_path, style);
        if let Some(text) = table.to_dvc_output(args.markdown) {
            printer.forced_data(text);
        }
    }
    Ok(ExitStatus::Success)
}

fn key(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// DVC's `format_dict`: lists become their Python `str`.
fn formatted(value: &Value) -> Value {
    match value {
        Value::Sequence(_) => Value::String(python_str(value)),
        other => other.clone(),
    }
}

fn diff_json(diff: &Diff) -> Value {
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
    Value::Mapping(root)
}

/// DVC's `diff_table` with `on_empty_diff="diff not supported"`.
fn diff_table(
    diff: &Diff,
    title: &str,
    a_rev: &str,
    b_rev: &str,
    no_path: bool,
    style: FloatStyle,
) -> Table {
    let mut headers: Vec<&str> = Vec::new();
    if !no_path {
        headers.push("Path");
    }
    headers.extend([title, a_rev, b_rev, "Change"]);
    let mut table = Table::new(headers);
    let cell = |value: Option<&Value>| match value {
        None => "-".to_owned(),
        Some(value) => format_field(&formatted(value), style),
    };
    for (path, changes) in diff {
        for (name, change) in changes {
            let mut row: Vec<String> = Vec::new();
            if !no_path {
                row.push(path.clone());
            }
            row.push(name.clone());
            row.push(cell(change.old.as_ref()));
            row.push(cell(change.new.as_ref()));
            row.push(match &change.diff {
                Some(difference) => cell(Some(difference)),
                None => "diff not supported".to_owned(),
            });
            table.push_row(row);
        }
    }
    table
}

/// DVC's `failed to show experiments diff - …` (exit code 1) for the errors its command catches.
fn failed(error: anyhow::Error) -> anyhow::Error {
    match error.downcast_ref::<dv_repo::DvcError>() {
        Some(inner) => {
            dv_repo::CommandError(format!("failed to show experiments diff - {inner}")).into()
        }
        None => error,
    }
}
