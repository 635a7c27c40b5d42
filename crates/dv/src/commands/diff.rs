//! `dv diff [A [B]]`: the data that changed between two commits or a commit and the
//! workspace, printed as dvc prints it (`dvc/commands/diff.py`): sections with a summary line,
//! a `--md` table, or `--json` (`{}` when nothing changed).

use clap::Args;
use dv_repo::ops::diff::{Change, ChangeHash, ChangePath, DiffOptions, DiffReport, diff};
use dv_repo::{CommandError, DvcError, Environment, Workspace};
use serde_json::{Map, Value};

use crate::exit::ExitStatus;
use crate::output::{Table, to_python_json};
use crate::printer::Printer;

/// `dv diff`'s arguments, as dvc's parser takes them (`--targets` takes every value after it).
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Specific DVC-tracked files to compare. Accepts one or more file paths.
    #[arg(long, num_args = 0.., value_name = "<paths>")]
    pub targets: Vec<String>,
    /// Old Git commit to compare (defaults to HEAD)
    #[arg(default_value = "HEAD")]
    pub a_rev: String,
    /// New Git commit to compare (defaults to the current workspace)
    pub b_rev: Option<String>,
    /// Format the output into a JSON
    #[arg(long)]
    pub json: bool,
    /// Display hash value for each entry
    #[arg(long)]
    pub show_hash: bool,
    /// Show tabulated output in the Markdown format (GFM).
    #[arg(long = "md")]
    pub markdown: bool,
    /// Hide missing cache file status.
    #[arg(long)]
    pub hide_missing: bool,
}

/// The sections in the order DVC prints them (`--json` keeps the report's own order).
const SHOWN: [&str; 5] = ["added", "deleted", "renamed", "modified", "not in cache"];

/// What Python raises when DVC formats a hash it does not have.
const NONE_SUBSCRIPT: &str = "'NoneType' object is not subscriptable";

/// Runs `dv diff` and prints the changes as dvc does; a failure DVC catches (a revision git
/// does not know, no git) prints `failed to get diff - ...` and exits with 1.
pub fn run(
    args: DiffArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    // DVC tests the revision for truth: an empty `B` is the workspace.
    let b_rev = args.b_rev.filter(|rev| !rev.is_empty());
    let hide_missing = b_rev.is_some() || args.hide_missing;
    let options = DiffOptions {
        a_rev: args.a_rev,
        b_rev,
        targets: args.targets,
    };
    let activity = printer.activity("Building workspace index");
    let outcome = diff(&workspace, &options, activity.progress());
    drop(activity);
    let report = match outcome {
        Ok(report) => report,
        Err(error)
            if error.downcast_ref::<DvcError>().is_some()
                || error.downcast_ref::<CommandError>().is_some() =>
        {
            printer.error(format!("failed to get diff - {}", chain(&error)));
            return Ok(ExitStatus::Failure);
        }
        Err(error) => return Err(error),
    };
    let sections = sections(&report, hide_missing);
    if args.json {
        printer.data(json(&report, hide_missing, args.show_hash));
    } else if args.markdown {
        printer.data(markdown(&sections, args.show_hash)?);
    } else if !report.is_empty() {
        let (text, failure) = text(&sections, args.show_hash);
        if !text.is_empty() {
            printer.data(text);
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
    }
    Ok(ExitStatus::Success)
}

/// The sections shown, in DVC's order, with their names.
fn sections(report: &DiffReport, hide_missing: bool) -> Vec<(&'static str, &[Change])> {
    SHOWN
        .into_iter()
        .filter(|name| !hide_missing || *name != "not in cache")
        .map(|name| {
            let changes: &[Change] = match name {
                "added" => &report.added,
                "deleted" => &report.deleted,
                "renamed" => &report.renamed,
                "modified" => &report.modified,
                _ => &report.not_in_cache,
            };
            (name, changes)
        })
        .collect()
}

/// A path as shown: `old -> new` for a rename.
fn shown_path(change: &Change) -> String {
    match &change.path {
        ChangePath::Path(path) => path.clone(),
        ChangePath::Renamed { old, new } => format!("{old} -> {new}"),
    }
}

/// DVC's `_digest`: the first 8 characters, `old..new` for a modification; Python fails on
/// a hash that is not there.
fn digest(hash: &ChangeHash) -> anyhow::Result<String> {
    let short = |hash: &Option<String>| match hash {
        Some(hash) => Ok(hash.chars().take(8).collect::<String>()),
        None => Err(anyhow::anyhow!(NONE_SUBSCRIPT)),
    };
    match hash {
        ChangeHash::One(hash) => short(hash),
        ChangeHash::Modified { old, new } => Ok(format!("{}..{}", short(old)?, short(new)?)),
    }
}

/// The sections with their entries and the `files summary:` line (directories are not
/// counted); with `--show-hash`, a hash DVC cannot format stops the output there, as the
/// Python error does.
fn text(sections: &[(&str, &[Change])], show_hash: bool) -> (String, Option<anyhow::Error>) {
    let mut lines: Vec<String> = Vec::new();
    let mut summary: Vec<(&str, usize)> = Vec::new();
    for (name, changes) in sections {
        let mut count = 0;
        if !changes.is_empty() {
            let mut header = name.to_string();
            header[..1].make_ascii_uppercase();
            lines.push(format!("{header}:"));
            for change in *changes {
                let path = shown_path(change);
                let hashed = match &change.hash {
                    ChangeHash::One(None) => None,
                    hash if show_hash => Some(hash),
                    _ => None,
                };
                if !path.ends_with('/') {
                    count += 1;
                }
                match hashed.map(digest) {
                    None => lines.push(format!("    {path}")),
                    Some(Ok(short)) => lines.push(format!("    {short}  {path}")),
                    Some(Err(error)) => return (joined(&lines), Some(error)),
                }
            }
            lines.push(String::new());
        }
        summary.push((name, count));
    }
    if summary.iter().any(|(_, count)| *count > 0) {
        let counts: Vec<String> = summary
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(name, count)| format!("{count} {name}"))
            .collect();
        lines.push(format!("files summary: {}", counts.join(", ")));
    }
    (joined(&lines), None)
}

/// Lines joined for the printer, which ends the last one.
fn joined(lines: &[String]) -> String {
    lines.join("\n")
}

/// The `--md` table (printed even without rows, as DVC does).
fn markdown(sections: &[(&str, &[Change])], show_hash: bool) -> anyhow::Result<String> {
    let headers: &[&str] = if show_hash {
        &["Status", "Hash", "Path"]
    } else {
        &["Status", "Path"]
    };
    let mut table = Table::new(headers.iter().copied());
    for (name, changes) in sections {
        for change in *changes {
            let path = shown_path(change);
            if show_hash {
                table.push_row([name.to_string(), digest(&change.hash)?, path]);
            } else {
                table.push_row([name.to_string(), path]);
            }
        }
    }
    Ok(table.to_dvc_output(true).unwrap_or_default())
}

/// `--json`: every section in the report's order (`not in cache` unless hidden), entries
/// with their hash only with `--show-hash`; `{}` when nothing changed.
fn json(report: &DiffReport, hide_missing: bool, show_hash: bool) -> String {
    if report.is_empty() {
        return "{}".to_owned();
    }
    let optional = |hash: &Option<String>| hash.clone().map_or(Value::Null, Value::String);
    let entry = |change: &Change| {
        let mut object = Map::new();
        let path = match &change.path {
            ChangePath::Path(path) => Value::String(path.clone()),
            ChangePath::Renamed { old, new } => {
                let mut pair = Map::new();
                pair.insert("old".to_owned(), Value::String(old.clone()));
                pair.insert("new".to_owned(), Value::String(new.clone()));
                Value::Object(pair)
            }
        };
        object.insert("path".to_owned(), path);
        if show_hash {
            let hash = match &change.hash {
                ChangeHash::One(hash) => optional(hash),
                ChangeHash::Modified { old, new } => {
                    let mut pair = Map::new();
                    pair.insert("old".to_owned(), optional(old));
                    pair.insert("new".to_owned(), optional(new));
                    Value::Object(pair)
                }
            };
            object.insert("hash".to_owned(), hash);
        }
        Value::Object(object)
    };
    let mut root = Map::new();
    for (name, changes) in [
        ("added", &report.added),
        ("deleted", &report.deleted),
        ("modified", &report.modified),
        ("renamed", &report.renamed),
        ("not in cache", &report.not_in_cache),
    ] {
        if hide_missing && name == "not in cache" {
            continue;
        }
        root.insert(
            name.to_owned(),
            Value::Array(changes.iter().map(entry).collect()),
        );
    }
    to_python_json(&Value::Object(root))
}

/// An error's messages joined with ` - `, as DVC logs a caught exception and its causes.
fn chain(error: &anyhow::Error) -> String {
    let mut kept: Vec<String> = Vec::new();
    for message in error.chain().map(ToString::to_string) {
        if !kept.last().is_some_and(|last| last.ends_with(&message)) {
            kept.push(message);
        }
    }
    kept.join(" - ")
}
