//! `dv list`/`dv ls URL [PATH]`: a repository's files and the outputs it records, printed as
//! `dvc/commands/ls/__init__.py` prints them: paths one a line, a table with `--size` or
//! `--show-hash` (sizes right-aligned), a box-drawn tree with `--tree`, or `--json`.
//! Names are coloured by `LS_COLORS` on a terminal.
//!
//! A path the source does not have is `ERROR: [Errno 2] ...` with exit code 1; any other
//! expected failure is `ERROR: failed to list '<url>' - <reason>`, exit code 1.

use std::io::IsTerminal;

use clap::Args;
use dv_repo::ops::ls::{LsEntry, LsOptions, LsTree, ls, ls_tree};
use dv_repo::sources::{PathError, SourceSpec};
use dv_repo::{ArgumentError, CommandError, ConfigError, DvcError, Environment};
use dv_schema::shown::{escape_name, python_repr};

use crate::exit::ExitStatus;
use crate::output::tree_listing::{LsColors, TreePart, naturalsize};
use crate::output::{Align, Cell, Format, Table, to_python_json};
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Location of DVC repository to list
    pub url: String,
    /// Path to directory within the repository to list outputs for
    pub path: Option<String>,
    /// Recursively list files.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Recurse into directories as a tree.
    #[arg(short = 'T', long)]
    pub tree: bool,
    /// Limit the depth of recursion.
    #[arg(short = 'L', long, value_name = "depth", allow_negative_numbers = true)]
    pub level: Option<i64>,
    /// Show only DVC outputs.
    #[arg(long)]
    pub dvc_only: bool,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Git revision (e.g. SHA, branch, tag)
    #[arg(long, value_name = "commit", num_args = 0..=1)]
    pub rev: Option<Option<String>>,
    /// Path to a config file that will be merged with the config in the target repository.
    #[arg(long, value_name = "config")]
    pub config: Option<String>,
    /// Remote name to set as a default in the target repository.
    #[arg(long, value_name = "remote")]
    pub remote: Option<String>,
    /// Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.
    #[arg(long, value_name = "name>=<value", num_args = 0..)]
    pub remote_config: Vec<String>,
    /// Show sizes.
    #[arg(long)]
    pub size: bool,
    /// Display hash value for each item.
    #[arg(long)]
    pub show_hash: bool,
}

/// The source a command names (`URL`, `--rev`, `--config`, `--remote`, `--remote-config`),
/// with DVC's parsing of `--remote-config` pairs.
pub(crate) fn source_spec(
    url: &str,
    rev: Option<Option<String>>,
    config: Option<String>,
    remote: Option<String>,
    remote_config: &[String],
) -> anyhow::Result<SourceSpec> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in remote_config {
        let Some((key, value)) = pair.split_once('=') else {
            // Python's unpacking of `kv.split("=", 1)`: not a DVC error.
            anyhow::bail!("not enough values to unpack (expected 2, got 1)");
        };
        if value.is_empty() {
            let given: Vec<String> = remote_config.iter().map(|v| python_repr(v)).collect();
            return Err(ArgumentError(format!(
                "argument --remote-config: Could not parse argument \"[{}]\" as k1=v1 k2=v2 ... format",
                given.join(", ")
            ))
            .into());
        }
        match pairs.iter_mut().find(|(known, _)| known == key) {
            Some(known) => known.1 = value.to_owned(),
            None => pairs.push((key.to_owned(), value.to_owned())),
        }
    }
    Ok(SourceSpec {
        url: url.to_owned(),
        // DVC tests the revision for truth: `--rev` alone or empty is no revision.
        rev: rev.flatten().filter(|rev| !rev.is_empty()),
        config,
        remote,
        remote_config: pairs,
    })
}

pub fn run(
    args: LsArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if args.tree && args.json {
        return Err(DvcError("Cannot use --tree and --json options together.".to_owned()).into());
    }
    let source = source_spec(
        &args.url,
        args.rev.clone(),
        args.config.clone(),
        args.remote.clone(),
        &args.remote_config,
    )?;
    // Only for where the clone cache is: a broken configuration here does not stop `ls`.
    let config = crate::commands::config_from_cwd(environment)
        .load_validated()
        .ok();
    let options = LsOptions {
        source,
        path: args.path.clone(),
        recursive: args.recursive,
        dvc_only: args.dvc_only,
        level: args.level,
        jobs: None,
    };
    let colors = std::io::stdout()
        .is_terminal()
        .then(|| LsColors::new(environment.var("LS_COLORS")));
    let view = View {
        size: args.size,
        hash: args.show_hash,
        colors: colors.as_ref(),
        printer,
    };
    let activity = printer.activity(format!("Listing {}", args.url));
    let outcome = if args.tree {
        ls_tree(environment, config.as_ref(), &options, activity.progress()).map(|tree| {
            drop(activity);
            view.tree(&tree);
        })
    } else {
        ls(environment, config.as_ref(), &options, activity.progress()).map(|entries| {
            drop(activity);
            if args.json {
                printer.data(to_python_json(&serde_json::json!(entries)));
            } else {
                view.list(&entries);
            }
        })
    };
    match outcome {
        Ok(()) => Ok(ExitStatus::Success),
        Err(error) => match error.downcast_ref::<PathError>() {
            Some(PathError::NotFound(_)) => {
                printer.error(error.to_string());
                Ok(ExitStatus::Failure)
            }
            _ if error.downcast_ref::<CommandError>().is_some()
                || error.downcast_ref::<ConfigError>().is_some()
                || error.downcast_ref::<DvcError>().is_some() =>
            {
                let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
                printer.error(format!(
                    "failed to list '{}' - {}",
                    args.url,
                    chain.join(" - ")
                ));
                Ok(ExitStatus::Failure)
            }
            _ => Err(error),
        },
    }
}

/// How entries are printed.
struct View<'a> {
    size: bool,
    hash: bool,
    colors: Option<&'a LsColors>,
    printer: &'a Printer,
}

impl View<'_> {
    /// Paths one a line, or a table with `--size`/`--show-hash`; nothing for no entries.
    fn list(&self, entries: &[LsEntry]) {
        if entries.is_empty() {
            return;
        }
        let rows: Vec<(String, &LsEntry)> =
            entries.iter().map(|entry| (String::new(), entry)).collect();
        if self.size || self.hash {
            self.table(&rows, false);
            return;
        }
        let lines: Vec<String> = rows.iter().map(|(_, entry)| self.name(entry)).collect();
        self.print(&lines.join("\n"), false);
    }

    /// The tree: the path, then each entry under its parent, drawn with boxes.
    fn tree(&self, tree: &LsTree) {
        let mut rows = Vec::new();
        tree_rows(tree, 0, "", true, &mut rows);
        self.table(&rows, true);
    }

    /// A table (DVC's `ui.table`, printed even with `-q`): size (right-aligned), hash, name
    /// after its drawn prefix.
    fn table(&self, rows: &[(String, &LsEntry)], tree: bool) {
        let mut table = Table::headless();
        for (prefix, entry) in rows {
            let mut cells: Vec<Cell> = Vec::new();
            if self.size {
                let shown = match entry.size {
                    Some(size) if size > 0 || !entry.isdir => naturalsize(size),
                    _ => String::new(),
                };
                cells.push(shown.into());
            }
            if self.hash {
                cells.push(entry.md5.clone().into());
            }
            cells.push(format!("{prefix}{}", escape_name(&entry.path)).into());
            table.push_row(cells);
        }
        if self.size {
            table = table.align(0, Align::Right);
        }
        if tree {
            table = table.preserve_whitespace();
        }
        let text = table.render(Format::Plain);
        let Some(colors) = self.colors else {
            self.printer.forced_data(text);
            return;
        };
        // Colour each line's name: the last cell, so the end of the line.
        let lines: Vec<String> = text
            .lines()
            .zip(rows)
            .map(|(line, (_, entry))| {
                let name = escape_name(&entry.path);
                match line.strip_suffix(name.as_ref()) {
                    Some(head) => format!("{head}{}", paint(colors, entry, &name)),
                    None => line.to_owned(),
                }
            })
            .collect();
        self.print(&lines.join("\n"), true);
    }

    fn name(&self, entry: &LsEntry) -> String {
        let name = escape_name(&entry.path);
        match self.colors {
            Some(colors) => paint(colors, entry, &name),
            None => name.into_owned(),
        }
    }

    fn print(&self, text: &str, forced: bool) {
        match (self.colors.is_some(), forced) {
            (true, _) => self.printer.colored_data(text, forced),
            (false, true) => self.printer.forced_data(text),
            (false, false) => self.printer.data(text),
        }
    }
}

fn paint(colors: &LsColors, entry: &LsEntry, name: &str) -> String {
    colors.paint(name, entry.isout, entry.isdir, entry.isexec)
}

/// The rows of `tree`: each node with the boxes drawn before its name.
fn tree_rows<'t>(
    node: &'t LsTree,
    depth: usize,
    prefix: &str,
    is_last: bool,
    rows: &mut Vec<(String, &'t LsEntry)>,
) {
    let part = match (depth, is_last) {
        (0, _) => "",
        (_, true) => TreePart::CORNER,
        (_, false) => TreePart::EDGE,
    };
    rows.push((format!("{prefix}{part}"), &node.entry));
    let mut below = prefix.to_owned();
    if depth > 0 {
        below.push_str(if is_last {
            TreePart::BLANK
        } else {
            TreePart::LINE
        });
    }
    let count = node.contents.len();
    for (index, child) in node.contents.iter().enumerate() {
        tree_rows(child, depth + 1, &below, index + 1 == count, rows);
    }
}
