//! `dv import-url` and `dv update`.
//!
//! `import-url` takes DVC's `URL [OUT]`, and also several URLs (`URL... DIR`) or a list file
//! (`--from-list FILE`, one URL a line or a CSV column chosen with `--column`): every URL gets
//! the `.dvc` file a single call would write, the lookups run concurrently, and a URL that
//! fails does not stop the others.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use dv_repo::ops::import_url::{ImportReport, ImportUrlOptions, import_url};
use dv_repo::ops::update::{UpdateOptions, update};
use dv_repo::{Environment, Workspace};

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ImportUrlArgs {
    /// Location of the data to download (local path, s3://, remote://NAME/path, http(s)://);
    /// several URLs may be given, followed by an existing output directory.
    #[arg(value_name = "URL", required_unless_present = "from_list")]
    pub urls: Vec<String>,
    /// Read URLs from a file: one a line, or a CSV column chosen with --column.
    #[arg(long, value_name = "FILE")]
    pub from_list: Option<PathBuf>,
    /// The CSV column (by header name) that holds the URLs in --from-list.
    #[arg(long, value_name = "NAME", requires = "from_list")]
    pub column: Option<String>,
    /// Number of jobs to run simultaneously.
    #[arg(short, long, value_name = "number")]
    pub jobs: Option<usize>,
    /// Download data directly to remote storage.
    #[arg(long)]
    pub to_remote: bool,
    /// Remote storage to download to.
    #[arg(short, long, value_name = "name", requires = "to_remote")]
    pub remote: Option<String>,
    /// Create .dvc file including the dependency's hash without downloading the data.
    #[arg(long, conflicts_with = "to_remote")]
    pub no_download: bool,
    /// Override local file or folder if exists.
    #[arg(short, long)]
    pub force: bool,
    /// Import using cloud versioning. Implied if the URL contains a version ID.
    #[arg(long)]
    pub version_aware: bool,
    /// Config options for the target url (`--fs-config a=1 b=2`, or the option repeated).
    #[arg(long, value_name = "name>=<value", num_args = 1..)]
    pub fs_config: Vec<String>,
    /// User description of the data.
    #[arg(long, value_name = "text")]
    pub desc: Option<String>,
}

pub fn run(
    args: ImportUrlArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let mut urls = args.urls;
    let mut out = None;
    let listed = match &args.from_list {
        Some(file) => read_list(&environment.cwd.join(file), args.column.as_deref())?,
        None => Vec::new(),
    };
    // DVC's `URL OUT`; with a list or more URLs, a last argument without a scheme is the
    // output directory.
    if (urls.len() >= 2 || !listed.is_empty()) && urls.last().is_some_and(|last| !has_scheme(last))
    {
        out = urls.pop().map(PathBuf::from);
    }
    urls.extend(listed);
    let mut fs_config = Vec::new();
    for pair in &args.fs_config {
        let Some((key, value)) = pair.split_once('=').filter(|(_, value)| !value.is_empty()) else {
            return Err(dv_repo::ArgumentError(format!(
                "argument --fs-config: Could not parse argument \"{pair}\" as k1=v1 k2=v2 ... format"
            ))
            .into());
        };
        fs_config.push((key.to_owned(), value.to_owned()));
    }
    let batch = urls.len() > 1;
    let activity = printer.activity(if batch {
        format!("Importing {} URLs", urls.len())
    } else {
        "Importing".to_owned()
    });
    let result = import_url(
        &workspace,
        &ImportUrlOptions {
            urls,
            out,
            no_download: args.no_download,
            to_remote: args.to_remote,
            remote: args.remote,
            version_aware: args.version_aware,
            fs_config,
            jobs: args.jobs,
            force: args.force,
            desc: args.desc,
        },
        activity.progress(),
    );
    drop(activity);
    let report = result?;
    print_report(&workspace, &report, printer, batch);
    Ok(ExitStatus::failure_if(!report.failed.is_empty()))
}

fn print_report(workspace: &Workspace, report: &ImportReport, printer: &Printer, batch: bool) {
    for imported in report.imported.iter().filter(|i| !i.to_remote) {
        printer.info(format!(
            "Importing '{}' -> '{}'",
            imported.source, imported.out
        ));
    }
    for empty in &report.empty {
        printer.warn(format!("'{empty}' is empty."));
    }
    for failure in &report.failed {
        printer.error(&failure.message);
    }
    if batch {
        let total = report.imported.len() + report.failed.len();
        if report.failed.is_empty() {
            printer.info(format!("Imported {total} URLs."));
        } else {
            printer.info(format!(
                "Imported {} of {total} URLs; {} failed.",
                report.imported.len(),
                report.failed.len()
            ));
        }
    }
    if !report.staged {
        crate::git_hint::print_git_add_hint(workspace, &report.to_track, printer);
    }
}

/// DVC's `^\w+://` test.
fn has_scheme(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The URLs of a list file: one a line (blank lines and `#` comments skipped), or the values
/// of `column` in a CSV file whose first line names the columns.
fn read_list(path: &Path, column: Option<&str>) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read the URL list '{}'", path.display()))?;
    let Some(column) = column else {
        return Ok(text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect());
    };
    let mut rows = csv_rows(&text).into_iter();
    let header = rows.next().unwrap_or_default();
    let index = header
        .iter()
        .position(|name| name.trim() == column)
        .ok_or_else(|| {
            dv_repo::CommandError(format!(
                "'{}' has no column named '{column}' (columns: {})",
                path.display(),
                header.join(", ")
            ))
        })?;
    let mut urls = Vec::new();
    for (number, row) in rows.enumerate() {
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        match row.get(index).map(|cell| cell.trim()) {
            Some(url) if !url.is_empty() => urls.push(url.to_owned()),
            _ => {
                return Err(dv_repo::CommandError(format!(
                    "'{}', line {}: no value in column '{column}'",
                    path.display(),
                    number + 2
                ))
                .into());
            }
        }
    }
    Ok(urls)
}

/// RFC 4180 rows: `,` separated, `"` quoted fields with `""` escapes, CRLF or LF line ends.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Import stages to update.
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
    /// Update all stages in the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Update .dvc file hashes without downloading the latest data.
    #[arg(long)]
    pub no_download: bool,
    /// Update data directly on the remote.
    #[arg(long)]
    pub to_remote: bool,
    /// Remote storage to perform updates to.
    #[arg(short, long, value_name = "name")]
    pub remote: Option<String>,
    /// Number of jobs to run simultaneously.
    #[arg(short, long, value_name = "number")]
    pub jobs: Option<usize>,
    /// Git revision (e.g. SHA, branch, tag).
    #[arg(long, value_name = "<commit>")]
    pub rev: Option<String>,
}

pub fn run_update(
    args: UpdateArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let workspace = Workspace::open(environment)?;
    let activity = printer.activity("Updating");
    let result = update(
        &workspace,
        &UpdateOptions {
            targets: args.targets,
            recursive: args.recursive,
            no_download: args.no_download,
            to_remote: args.to_remote,
            remote: args.remote,
            jobs: args.jobs,
            rev: args.rev,
            reimport_recorded: false,
        },
        activity.progress(),
    );
    drop(activity);
    let report = result?;
    for unchanged in &report.unchanged {
        printer.info(format!("'{unchanged}' didn't change, skipping"));
    }
    for imported in report.imported.iter().filter(|i| !i.to_remote) {
        printer.info(format!(
            "Importing '{}' -> '{}'",
            imported.source, imported.out
        ));
    }
    for failure in &report.failed {
        printer.error(&failure.message);
    }
    Ok(ExitStatus::failure_if(!report.failed.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_handle_quotes_and_line_ends() {
        let rows = csv_rows("id,url\r\n1,\"s3://b/a,b.tif\"\n2,\"say \"\"hi\"\"\"\n3,");
        assert_eq!(
            rows,
            vec![
                vec!["id", "url"],
                vec!["1", "s3://b/a,b.tif"],
                vec!["2", "say \"hi\""],
                vec!["3", ""],
            ]
        );
    }

    #[test]
    fn schemes_are_recognised_like_dvc() {
        assert!(has_scheme("s3://bucket/key"));
        assert!(has_scheme("remote://store/x"));
        assert!(!has_scheme("data/"));
        assert!(!has_scheme("/abs/path"));
    }
}
