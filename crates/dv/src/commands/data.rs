//! `dv data status`.

use dv_schema::shown::escape_name;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use dv_repo::ops::data_status::{ChangeGroup, ChangeItem, DataStatusOptions, data_status};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::output::to_python_json;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    pub command: DataCommand,
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Show changes between the last git commit, the dvcfiles and the workspace.
    Status(DataStatusArgs),
}

#[derive(Debug, Args)]
pub struct DataStatusArgs {
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    pub targets: Vec<PathBuf>,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Show granular file-level info for DVC-tracked directories.
    #[arg(long)]
    pub granular: bool,
    /// Show unmodified DVC-tracked files.
    #[arg(long)]
    pub unchanged: bool,
    /// Show untracked files.
    #[arg(long, value_parser = ["no", "all"], num_args = 0..=1, default_missing_value = "all", default_value = "no")]
    pub untracked_files: String,
    /// Remote storage to check (only applicable with --not-in-remote).
    #[arg(short, long, value_name = "name")]
    pub remote: Option<String>,
    /// Show files not in remote.
    #[arg(long)]
    pub not_in_remote: bool,
    /// Use cached remote index (don't check remote).
    #[arg(long)]
    pub no_remote_refresh: bool,
}

pub fn run(
    args: DataArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match args.command {
        DataCommand::Status(args) => status(args, environment, printer),
    }
}

fn status(
    args: DataStatusArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let report = data_status(
        &workspace,
        &DataStatusOptions {
            granular: args.granular,
            jobs: None,
            targets: args.targets.clone(),
            untracked: args.untracked_files != "no",
            not_in_remote: args.not_in_remote,
            remote: args.remote.clone(),
        },
    )?;
    let unchanged = if args.unchanged {
        report.unchanged.clone()
    } else {
        Vec::new()
    };
    if args.json {
        let mut map = serde_json::Map::new();
        let list = |items: &[String]| serde_json::Value::from(items.to_vec());
        if !report.not_in_cache.is_empty() {
            map.insert("not_in_cache".into(), list(&report.not_in_cache));
        }
        if !report.not_in_remote.is_empty() {
            map.insert("not_in_remote".into(), list(&report.not_in_remote));
        }
        for (name, groups) in [
            ("committed", &report.committed),
            ("uncommitted", &report.uncommitted),
        ] {
            if !groups.is_empty() {
                map.insert(name.into(), groups_json(groups));
            }
        }
        if !report.untracked.is_empty() {
            map.insert("untracked".into(), list(&report.untracked));
        }
        if !unchanged.is_empty() {
            map.insert("unchanged".into(), list(&unchanged));
        }
        printer.data(to_python_json(&serde_json::Value::Object(map)));
        return Ok(ExitStatus::Success);
    }
    let indent = " ".repeat(8);
    let mut sections: Vec<Vec<String>> = Vec::new();
    if !report.not_in_cache.is_empty() {
        let mut lines = vec![
            "Not in cache:".to_string(),
            "  (use \"dvc fetch <file>...\" to download files)".to_string(),
        ];
        lines.extend(
            report
                .not_in_cache
                .iter()
                .map(|p| format!("{indent}{}", escape_name(p))),
        );
        sections.push(lines);
    }
    if !report.not_in_remote.is_empty() {
        let mut lines = vec![
            "Not in remote:".to_string(),
            "  (use \"dvc push <file>...\" to upload files)".to_string(),
        ];
        lines.extend(
            report
                .not_in_remote
                .iter()
                .map(|p| format!("{indent}{}", escape_name(p))),
        );
        sections.push(lines);
    }
    for (header, hints, groups) in [
        (
            "DVC committed changes:",
            &["git commit the corresponding dvc files to update the repo"][..],
            &report.committed,
        ),
        (
            "DVC uncommitted changes:",
            &[
                "use \"dvc commit <file>...\" to track changes",
                "use \"dvc checkout <file>...\" to discard changes",
            ][..],
            &report.uncommitted,
        ),
    ] {
        if groups.is_empty() {
            continue;
        }
        let mut lines = vec![header.to_string()];
        lines.extend(hints.iter().map(|hint| format!("  ({hint})")));
        for group in groups {
            for item in &group.items {
                // A name with a line break stays on its line.
                let shown = match item {
                    ChangeItem::Path(path) => escape_name(path).into_owned(),
                    ChangeItem::Rename { old, new } => {
                        format!("{} -> {}", escape_name(old), escape_name(new))
                    }
                };
                lines.push(format!("{indent}{}: {shown}", group.kind));
            }
        }
        sections.push(lines);
    }
    if !report.untracked.is_empty() {
        let mut lines = vec![
            "Untracked files:".to_string(),
            "  (use \"git add <file> ...\" or \"dvc add <file>...\" to commit to git or to dvc)"
                .to_string(),
        ];
        lines.extend(
            report
                .untracked
                .iter()
                .map(|p| format!("{indent}{}", escape_name(p))),
        );
        sections.push(lines);
    }
    if !unchanged.is_empty() {
        let mut lines = vec!["DVC unchanged files:".to_string()];
        lines.extend(
            unchanged
                .iter()
                .map(|p| format!("{indent}{}", escape_name(p))),
        );
        sections.push(lines);
    }
    if sections.is_empty() {
        printer.data(if report.git_empty {
            "No changes in an empty git repo."
        } else {
            "No changes."
        });
    }
    let any = !sections.is_empty();
    for (i, lines) in sections.into_iter().enumerate() {
        if i > 0 {
            printer.data("");
        }
        printer.data(lines.join("\n"));
    }
    if report.git_dirty {
        let other = if any { "other " } else { "" };
        printer.data(format!(
            "(there are {other}changes not tracked by dvc, use \"git status\" to see)"
        ));
    }
    Ok(ExitStatus::Success)
}

fn groups_json(groups: &[ChangeGroup]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for group in groups {
        let items: Vec<serde_json::Value> = group
            .items
            .iter()
            .map(|item| match item {
                ChangeItem::Path(path) => serde_json::Value::from(path.clone()),
                ChangeItem::Rename { old, new } => serde_json::json!({"old": old, "new": new}),
            })
            .collect();
        map.insert(group.kind.into(), serde_json::Value::Array(items));
    }
    serde_json::Value::Object(map)
}
