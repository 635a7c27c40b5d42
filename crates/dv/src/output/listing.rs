//! Listings as DVC's `commands/ls` prints them (`show_entries`, `show_tree`), byte for byte:
//! one name a line, or with `--size` (and `ls --show-hash`) a `plain` table whose size column
//! is right-aligned; `--tree` draws `├── `/`└── ` branches. `ls-url` prints through this
//! module, and `dv ls` will reuse it when it lands (its entries add `isexec`, `isout` and a
//! hash).
//!
//! Sizes are DVC's `naturalsize`: bytes below 1024, else tqdm's `format_sizeof` with a divisor
//! of 1024 (`4.88k`, `12.0M`). On a terminal, names are coloured by `LS_COLORS` (DVC's
//! `LsColors`, default `rs=0:di=01;34:ex=01;32`); DVC's colours reach only terminals (colorama
//! strips them elsewhere), so callers ask for colours only when stdout is one.

use dv_schema::shown::escape_name;

use super::table::{Align, Table};

/// One listed entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    /// What is shown: a path, or a base name in a tree.
    pub(crate) path: &'a str,
    pub(crate) isdir: bool,
    /// Executable (DVC's `ls`; never set by `ls-url`).
    pub(crate) isexec: bool,
    /// A DVC output (DVC's `ls`; never set by `ls-url`).
    pub(crate) isout: bool,
    pub(crate) size: Option<u64>,
    /// The md5 `ls --show-hash` shows.
    pub(crate) md5: Option<&'a str>,
}

/// An entry of a tree and what is in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TreeNode<'a> {
    pub(crate) entry: Entry<'a>,
    pub(crate) contents: Vec<TreeNode<'a>>,
}

/// Which columns come before the names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Columns {
    /// `--size`.
    pub(crate) size: bool,
    /// `--show-hash`.
    pub(crate) hash: bool,
}

/// DVC's `show_entries`: the text to print (without the final line break), `None` when there
/// is nothing to list.
pub(crate) fn show_entries(
    entries: &[Entry<'_>],
    colors: Option<&LsColors>,
    columns: Columns,
) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    if !columns.size && !columns.hash {
        let names: Vec<String> = entries.iter().map(|entry| name(entry, colors)).collect();
        return Some(names.join("\n"));
    }
    let mut table = Table::headless();
    if columns.size {
        table = table.align(0, Align::Right);
    }
    for entry in entries {
        table.push_row(row(entry, name(entry, colors), columns));
    }
    table.to_dvc_output(false)
}

/// DVC's `show_tree`: the root, then each entry under its parent with `├── ` (`└── ` for the
/// last), nested under `│   ` (or blanks below a last entry); `None` for nothing.
pub(crate) fn show_tree(
    root: &TreeNode<'_>,
    colors: Option<&LsColors>,
    columns: Columns,
) -> Option<String> {
    let mut table = Table::headless().preserve_whitespace();
    if columns.size {
        table = table.align(0, Align::Right);
    }
    tree_rows(
        std::slice::from_ref(root),
        colors,
        columns,
        0,
        "",
        &mut table,
    );
    table.to_dvc_output(false)
}

fn tree_rows(
    nodes: &[TreeNode<'_>],
    colors: Option<&LsColors>,
    columns: Columns,
    depth: usize,
    prefix: &str,
    table: &mut Table,
) {
    for (index, node) in nodes.iter().enumerate() {
        let last = index + 1 >= nodes.len();
        let branch = match (depth, last) {
            (0, _) => "",
            (_, true) => "└── ",
            (_, false) => "├── ",
        };
        let shown = format!("{prefix}{branch}{}", name(&node.entry, colors));
        table.push_row(row(&node.entry, shown, columns));
        if !node.contents.is_empty() {
            let nested = match (depth, last) {
                (0, _) => prefix.to_owned(),
                (_, true) => format!("{prefix}    "),
                (_, false) => format!("{prefix}│   "),
            };
            tree_rows(&node.contents, colors, columns, depth + 1, &nested, table);
        }
    }
}

/// The cells of one row: the size and hash asked for, then `shown`.
fn row(entry: &Entry<'_>, shown: String, columns: Columns) -> Vec<String> {
    let mut cells = Vec::with_capacity(3);
    if columns.size {
        cells.push(size_cell(entry));
    }
    if columns.hash {
        cells.push(entry.md5.unwrap_or_default().to_owned());
    }
    cells.push(shown);
    cells
}

/// The size column: nothing for an unknown size or an empty directory size.
fn size_cell(entry: &Entry<'_>) -> String {
    match entry.size {
        None => String::new(),
        Some(0) if entry.isdir => String::new(),
        Some(size) => naturalsize(size),
    }
}

/// An entry's name, escaped to stay on its line, coloured when asked.
fn name(entry: &Entry<'_>, colors: Option<&LsColors>) -> String {
    let text = escape_name(entry.path).into_owned();
    match colors {
        Some(colors) => colors.format(entry, text),
        None => text,
    }
}

/// DVC's `naturalsize(value)` (base 1024): `1023`, `1.00k`, `4.88k`, `12.0M`, `100M`.
pub(crate) fn naturalsize(value: u64) -> String {
    if value < 1024 {
        return value.to_string();
    }
    #[allow(clippy::cast_precision_loss)]
    let mut number = value as f64;
    for unit in ["", "k", "M", "G", "T", "P", "E", "Z"] {
        if number.abs() < 999.5 {
            if number.abs() < 99.95 {
                if number.abs() < 9.995 {
                    return format!("{number:1.2}{unit}");
                }
                return format!("{number:2.1}{unit}");
            }
            return format!("{number:3.0}{unit}");
        }
        number /= 1024.0;
    }
    format!("{number:3.1}Y")
}

/// DVC's `LsColors`: `LS_COLORS` codes for directories (`di`), executables (`ex`), outputs
/// (`out`) and extensions (`*.ext`), reset with `rs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LsColors {
    codes: Vec<(String, String)>,
    extensions: Vec<(String, String)>,
}

impl LsColors {
    /// DVC's default when `LS_COLORS` is unset or empty.
    const DEFAULT: &'static str = "rs=0:di=01;34:ex=01;32";

    /// The colours of `ls_colors` (the `LS_COLORS` value), DVC's default without one.
    pub(crate) fn new(ls_colors: Option<&str>) -> Self {
        let text = ls_colors
            .filter(|text| !text.is_empty())
            .unwrap_or(Self::DEFAULT);
        let mut colors = LsColors::default();
        for item in text.split(':') {
            let Some((code, color)) = item.split_once('=') else {
                continue;
            };
            let (list, key) = match code.strip_prefix('*') {
                Some(extension) if extension.starts_with('.') => {
                    (&mut colors.extensions, extension)
                }
                _ => (&mut colors.codes, code),
            };
            match list.iter_mut().find(|(known, _)| known == key) {
                Some(known) => known.1 = color.to_owned(),
                None => list.push((key.to_owned(), color.to_owned())),
            }
        }
        colors
    }

    fn code(&self, key: &str) -> Option<&str> {
        self.codes
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, color)| color.as_str())
    }

    /// `text` (the entry's escaped name) wrapped in its colour, if it has one.
    fn format(&self, entry: &Entry<'_>, text: String) -> String {
        let color = if entry.isout && self.code("out").is_some() {
            self.code("out")
        } else if entry.isdir {
            self.code("di")
        } else if entry.isexec {
            self.code("ex")
        } else {
            let extension = extension(entry.path);
            self.extensions
                .iter()
                .find(|(known, _)| !extension.is_empty() && known == extension)
                .map(|(_, color)| color.as_str())
        };
        match color.filter(|color| !color.is_empty()) {
            Some(color) => {
                let reset = self.code("rs").unwrap_or("0");
                format!("\u{1b}[{color}m{text}\u{1b}[{reset}m")
            }
            None => text,
        }
    }
}

/// The extension `LsColors` looks up: `os.path.splitext`'s (from the last dot of the last
/// part, leading dots not counting), or the whole text when it has none and starts with a dot.
fn extension(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let start = name.len() - name.trim_start_matches('.').len();
    match name.rfind('.') {
        Some(dot) if dot > start => &name[dot..],
        _ if path.starts_with('.') => path,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file<'a>(path: &'a str, size: Option<u64>) -> Entry<'a> {
        Entry {
            path,
            size,
            ..Entry::default()
        }
    }

    fn dir<'a>(path: &'a str, size: Option<u64>) -> Entry<'a> {
        Entry {
            path,
            isdir: true,
            size,
            ..Entry::default()
        }
    }

    #[test]
    fn sizes_are_dvcs_naturalsize() {
        for (value, text) in [
            (0, "0"),
            (1023, "1023"),
            (1024, "1.00k"),
            (5000, "4.88k"),
            (4096, "4.00k"),
            (10_239, "10.0k"),
            (1_048_063, "1.00M"),
            (10_240, "10.0k"),
            (102_348, "99.9k"),
            (102_349, "100k"),
            (1_023_487, "999k"),
            (1_023_488, "0.98M"),
            (12 * 1024 * 1024, "12.0M"),
            (u64::MAX, "16.0E"),
        ] {
            assert_eq!(naturalsize(value), text, "{value}");
        }
    }

    #[test]
    fn entries_are_lines_or_a_size_table() {
        let entries = [
            file("a.txt", Some(5)),
            file("big.bin", Some(5000)),
            dir("sub", Some(4096)),
            dir("s3dir", Some(0)),
            file("/abs/file", None),
        ];
        let plain = show_entries(&entries, None, Columns::default());
        assert_eq!(
            plain.as_deref(),
            Some("a.txt\nbig.bin\nsub\ns3dir\n/abs/file")
        );
        let sized = Columns {
            size: true,
            hash: false,
        };
        assert_eq!(
            show_entries(&entries, None, sized).as_deref(),
            Some("    5  a.txt\n4.88k  big.bin\n4.00k  sub\n       s3dir\n       /abs/file")
        );
        assert_eq!(
            show_entries(&[file("/abs/file", None)], None, sized).as_deref(),
            Some("  /abs/file")
        );
        assert_eq!(show_entries(&[], None, sized), None);
        let hashed = Columns {
            size: false,
            hash: true,
        };
        let with_md5 = Entry {
            md5: Some("abc"),
            ..file("x", None)
        };
        assert_eq!(
            show_entries(&[with_md5, file("y", None)], None, hashed).as_deref(),
            Some("abc  x\n     y")
        );
    }

    #[test]
    fn trees_draw_branches() {
        let node = |entry, contents| TreeNode { entry, contents };
        let root = node(
            dir("data", Some(0)),
            vec![
                node(file("b.txt", Some(10)), vec![]),
                node(
                    dir("dir", Some(0)),
                    vec![
                        node(dir("y", Some(0)), vec![node(file("q", Some(1)), vec![])]),
                        node(file("y.txt", Some(4)), vec![]),
                    ],
                ),
                node(dir("empty", Some(0)), vec![node(file("", Some(0)), vec![])]),
                node(file("file.csv", Some(8)), vec![]),
            ],
        );
        assert_eq!(
            show_tree(&root, None, Columns::default()).as_deref(),
            Some(
                "data\n├── b.txt\n├── dir\n│   ├── y\n│   │   └── q\n│   └── y.txt\n├── empty\n│   └──\n└── file.csv"
            )
        );
        let sized = Columns {
            size: true,
            hash: false,
        };
        assert_eq!(
            show_tree(&root, None, sized).as_deref(),
            Some(
                "    data\n10  ├── b.txt\n    ├── dir\n    │   ├── y\n 1  │   │   └── q\n 4  │   └── y.txt\n    ├── empty\n 0  │   └──\n 8  └── file.csv"
            )
        );
    }

    #[test]
    fn colors_follow_ls_colors() {
        let colors = LsColors::new(None);
        assert_eq!(
            colors.format(&dir("sub", None), "sub".to_owned()),
            "\u{1b}[01;34msub\u{1b}[0m"
        );
        assert_eq!(
            colors.format(&file("a.txt", None), "a.txt".to_owned()),
            "a.txt"
        );
        let colors = LsColors::new(Some("di=1:*.txt=31:*.hidden=33:bogus"));
        assert_eq!(
            colors.format(&file("sub/a.txt", None), "sub/a.txt".to_owned()),
            "\u{1b}[31msub/a.txt\u{1b}[0m"
        );
        assert_eq!(
            colors.format(&file(".hidden", None), ".hidden".to_owned()),
            "\u{1b}[33m.hidden\u{1b}[0m"
        );
        assert_eq!(
            colors.format(&file("sub/.hidden", None), "sub/.hidden".to_owned()),
            "sub/.hidden"
        );
        // A directory takes the directory colour, whatever its extension.
        assert_eq!(
            colors.format(&dir("d.txt", None), "d.txt".to_owned()),
            "\u{1b}[1md.txt\u{1b}[0m"
        );
        // Widths ignore colours: sizes stay aligned.
        let sized = Columns {
            size: true,
            hash: false,
        };
        assert_eq!(
            show_entries(
                &[dir("sub", Some(4096)), file("a", Some(1))],
                Some(&colors),
                sized
            )
            .as_deref(),
            Some("4.00k  \u{1b}[1msub\u{1b}[0m\n    1  a")
        );
    }
}
