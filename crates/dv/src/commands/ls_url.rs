//! `dv list-url` / `dv ls-url`: lists what is at a URL (a local path, `s3://`,
//! `remote://NAME/path`, `http(s)://`) without downloading it, inside or outside a repository,
//! printed as DVC prints it: one path a line, `--size` as a table, `--tree` as a tree; names
//! coloured by `LS_COLORS` on a terminal. Failures are DVC's: uncaught by the command, so a
//! missing path exits with 255 and configuration errors with 251.

use std::io::IsTerminal as _;

use clap::Args;
use dv_repo::ops::ls_url::{LsUrlOptions, LsUrlReport, TreeEntry, ls_url};
use dv_repo::{ArgumentError, Environment};

use crate::exit::ExitStatus;
use crate::output::listing::{Columns, Entry, LsColors, TreeNode, show_entries, show_tree};
use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct LsUrlArgs {
    /// See `dvc import-url -h` for full list of supported URLs.
    pub url: String,
    /// Recursively list files.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Recurse into directories as a tree.
    #[arg(short = 'T', long)]
    pub tree: bool,
    /// Limit the depth of recursion.
    #[arg(short = 'L', long, value_name = "depth", allow_negative_numbers = true)]
    pub level: Option<i64>,
    /// Show sizes.
    #[arg(long)]
    pub size: bool,
    /// Config options for the target url (`--fs-config a=1 b=2`, or the option repeated).
    #[arg(long, value_name = "<name>=<value>", num_args = 0..)]
    pub fs_config: Vec<String>,
}

pub fn run(
    args: LsUrlArgs,
    environment: &Environment,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let fs_config = fs_config_pairs(&args.fs_config)?;
    // DVC's `Config.from_cwd()`: the repository's levels inside one, else global and system.
    let config = crate::commands::config_from_cwd(environment).load_validated()?;
    let report = ls_url(
        environment,
        &config,
        &LsUrlOptions {
            url: args.url,
            recursive: args.recursive,
            tree: args.tree,
            level: args.level,
            fs_config,
        },
    )?;
    let colors = std::io::stdout()
        .is_terminal()
        .then(|| LsColors::new(environment.var("LS_COLORS")));
    let columns = Columns {
        size: args.size,
        hash: false,
    };
    let text = match &report {
        LsUrlReport::List(entries) => {
            let entries: Vec<Entry<'_>> = entries
                .iter()
                .map(|entry| Entry {
                    path: &entry.path,
                    isdir: entry.isdir,
                    size: entry.size,
                    ..Entry::default()
                })
                .collect();
            show_entries(&entries, colors.as_ref(), columns)
        }
        LsUrlReport::Tree(root) => show_tree(&tree_node(root), colors.as_ref(), columns),
    };
    if let Some(text) = text {
        printer.styled_data(text);
    }
    Ok(ExitStatus::Success)
}

/// `--fs-config` values as DVC's `DictAction` reads them: a value without `=` fails as
/// Python's unpacking does (an unexpected error), an empty value as an argument error naming
/// the values given (DVC names those of the one `--fs-config` they follow).
fn fs_config_pairs(values: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for pair in values {
        let Some((key, value)) = pair.split_once('=') else {
            anyhow::bail!("not enough values to unpack (expected 2, got 1)");
        };
        if value.is_empty() {
            let shown: Vec<String> = values
                .iter()
                .map(|value| dv_schema::shown::python_repr(value))
                .collect();
            return Err(ArgumentError(format!(
                "argument --fs-config: Could not parse argument \"[{}]\" as k1=v1 k2=v2 ... format",
                shown.join(", ")
            ))
            .into());
        }
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Ok(pairs)
}

fn tree_node(entry: &TreeEntry) -> TreeNode<'_> {
    TreeNode {
        entry: Entry {
            path: &entry.name,
            isdir: entry.isdir,
            size: entry.size,
            ..Entry::default()
        },
        contents: entry.contents.iter().map(tree_node).collect(),
    }
}
