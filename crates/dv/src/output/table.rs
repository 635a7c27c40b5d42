//! Tables as DVC prints them (spec §0.3, §4.2): `tabulate(rows, headers, tablefmt="plain" or
//! "github", disable_numparse=True, missingval="-")` from `dvc/ui/table.py:plain_table`, with
//! tabulate 0.10.0's rules reproduced byte for byte.
//!
//! The rules, in short: every cell is text, stripped of surrounding whitespace (unless
//! whitespace is preserved, as `ls` asks) and left-aligned unless its column is right-aligned.
//! A column is as wide as its widest cell, and at least two wider than its header. `plain`
//! joins cells with two spaces, `github` frames them as `| a | b |` under a `|---|---|` rule.
//! Every line is right-stripped. A missing cell or `None` prints `-`. A cell with a line break
//! makes the whole table multi-line: the row takes as many lines as its tallest cell.

use super::text::{display_width, python_rstrip, python_splitlines, python_strip, split_cr_lf};

/// The tabulate format to render with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `plain`: cells joined by two spaces, no rules (DVC's default).
    Plain,
    /// `github`: `| a | b |` rows under a `|---|---|` rule (DVC's `--md`).
    Github,
}

/// The alignment of a column's cells (and of its header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Align {
    /// Flush left: DVC's choice for every column, since it disables number parsing.
    #[default]
    Left,
    /// Flush right: the size column of `ls --size`.
    Right,
}

/// One table cell: text, or nothing (printed as tabulate's `missingval`, `-`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cell(Option<String>);

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell(Some(text))
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Self {
        Cell(Some(text.clone()))
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell(Some(text.to_owned()))
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell(None), Into::into)
    }
}

/// A table to print like DVC: headers (optional), rows of cells, per-column alignment.
///
/// ```ignore
/// let text = Table::new(["Path", "Param", "HEAD", "workspace"])
///     .row(["params.yaml", "lr", "0.1", "0.01"])
///     .render(Format::Plain);
/// ```
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
    aligns: Vec<Align>,
    preserve_whitespace: bool,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new<I>(headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            ..Table::default()
        }
    }

    /// A table without a header line (`ls --size`, `du`).
    pub(crate) fn headless() -> Self {
        Table::default()
    }

    /// The table with one more row. A row shorter than the others is filled with `-`.
    pub(crate) fn row<I>(mut self, cells: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Cell>,
    {
        self.push_row(cells);
        self
    }

    /// Adds one row (see [`Table::row`]).
    pub(crate) fn push_row<I>(&mut self, cells: I)
    where
        I: IntoIterator,
        I::Item: Into<Cell>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// The table with column `column` (from 0) aligned as `align` (tabulate's `colalign`).
    pub(crate) fn align(mut self, column: usize, align: Align) -> Self {
        if self.aligns.len() <= column {
            self.aligns.resize(column + 1, Align::Left);
        }
        self.aligns[column] = align;
        self
    }

    /// The table with cells printed as given, surrounding whitespace kept (tabulate's
    /// `preserve_whitespace=True`, which `dvc ls` asks for).
    pub(crate) fn preserve_whitespace(mut self) -> Self {
        self.preserve_whitespace = true;
        self
    }

    /// Whether the table has no rows (DVC prints nothing for such a table unless `--md`).
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// What DVC's `ui.table` writes for this table, without the final line break (which the
    /// printer adds): nothing for a table without rows in plain format; the `github` table
    /// followed by DVC's extra empty line for `--md`; the `plain` table otherwise.
    pub(crate) fn to_dvc_output(&self, markdown: bool) -> Option<String> {
        if markdown {
            let mut text = self.render(Format::Github);
            text.push('\n');
            Some(text)
        } else if self.is_empty() {
            None
        } else {
            Some(self.render(Format::Plain))
        }
    }

    /// The text `tabulate` returns for this table in `format` (no trailing line break; empty
    /// for a table with neither headers nor rows).
    pub(crate) fn render(&self, format: Format) -> String {
        let layout = Layout::of(self);
        let pad = match format {
            Format::Plain => "",
            Format::Github => " ",
        };
        let (begin, separator, end) = match format {
            Format::Plain => ("", "  ", ""),
            Format::Github => ("|", "|", "|"),
        };
        let build_row = |lines: &mut Vec<String>, cells: &[String]| {
            if layout.multiline {
                append_multiline_row(lines, cells, &layout.widths, pad, (begin, separator, end));
            } else {
                lines.push(simple_row(
                    cells.iter().map(String::as_str),
                    pad,
                    begin,
                    separator,
                    end,
                ));
            }
        };
        let rule = || {
            let dashes = layout
                .widths
                .iter()
                .map(|width| "-".repeat(usize::try_from(width + 2).unwrap_or(0)));
            let line = format!("|{}|", dashes.collect::<Vec<_>>().join("|"));
            python_rstrip(&line).to_owned()
        };

        let mut lines = Vec::new();
        let has_headers = !layout.headers.is_empty();
        if format == Format::Github && !has_headers {
            lines.push(rule());
        }
        if has_headers {
            build_row(&mut lines, &layout.headers);
            if format == Format::Github {
                lines.push(rule());
            }
        }
        for row in &layout.rows {
            build_row(&mut lines, row);
        }
        if !has_headers && layout.rows.is_empty() {
            return String::new();
        }
        lines.join("\n")
    }
}

/// The cells of a table padded to their column widths, as tabulate lays them out before it
/// joins them into lines.
struct Layout {
    /// Padded headers (empty when the table has none).
    headers: Vec<String>,
    /// Padded data rows.
    rows: Vec<Vec<String>>,
    /// Column widths; -1 can occur, as in tabulate, for a column of control characters.
    widths: Vec<isize>,
    /// Whether some header or cell holds a line break.
    multiline: bool,
}

impl Layout {
    fn of(table: &Table) -> Layout {
        let multiline = table
            .headers
            .iter()
            .map(String::as_str)
            .chain(
                table
                    .rows
                    .iter()
                    .flatten()
                    .filter_map(|cell| cell.0.as_deref()),
            )
            .any(|text| text.contains(['\r', '\n']));
        let width_of = |text: &str| -> isize {
            if multiline {
                split_cr_lf(text).map(display_width).max().unwrap_or(0)
            } else {
                display_width(text)
            }
        };

        // Headers: padded on the left with empty ones when the first row is longer; columns
        // beyond the headers are dropped; a table without data cells keeps every header.
        let data_columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut headers = table.headers.clone();
        if let Some(first) = table.rows.first()
            && !headers.is_empty()
        {
            let missing = first.len().saturating_sub(headers.len());
            headers.splice(0..0, std::iter::repeat_n(String::new(), missing));
        }
        let columns = if headers.is_empty() {
            data_columns
        } else {
            data_columns.min(headers.len())
        };
        // With no data column tabulate has no alignments at all, so headers go left.
        let aligns: Vec<Align> = (0..data_columns)
            .map(|column| table.aligns.get(column).copied().unwrap_or_default())
            .collect();

        let mut padded_columns: Vec<Vec<String>> = Vec::with_capacity(columns);
        let mut widths = Vec::with_capacity(columns.max(headers.len()));
        for (column, align) in aligns.iter().copied().enumerate().take(columns) {
            let cells: Vec<&str> = table
                .rows
                .iter()
                .map(|row| match row.get(column) {
                    Some(Cell(Some(text))) if table.preserve_whitespace => text.as_str(),
                    Some(Cell(Some(text))) => python_strip(text),
                    Some(Cell(None)) | None => "-",
                })
                .collect();
            let header_width = headers.get(column).map(|header| width_of(header) + 2);
            let padded = pad_column(&cells, align, header_width.unwrap_or(0), multiline);
            let widest = padded.iter().map(|cell| width_of(cell)).max().unwrap_or(0);
            widths.push(header_width.map_or(widest, |header| header.max(widest)));
            padded_columns.push(padded);
        }

        let mut padded_headers = Vec::new();
        if !headers.is_empty() {
            let count = if columns == 0 { headers.len() } else { columns };
            for (column, header) in headers.iter().take(count).enumerate() {
                if columns == 0 {
                    // tabulate measures an empty column under each header.
                    widths.push((width_of(header) + 2).max(0));
                }
                let align = aligns.get(column).copied().unwrap_or_default();
                padded_headers.push(pad_header(header, align, widths[column], multiline));
            }
        }

        let rows = if columns == 0 {
            Vec::new()
        } else {
            (0..table.rows.len())
                .map(|row| {
                    padded_columns
                        .iter()
                        .map(|cells| cells[row].clone())
                        .collect()
                })
                .collect()
        };
        Layout {
            headers: padded_headers,
            rows,
            widths,
            multiline,
        }
    }
}

fn char_count(text: &str) -> isize {
    isize::try_from(text.chars().count()).unwrap_or(isize::MAX)
}

/// `text` padded with `spaces` blanks on the side `align` leaves free.
fn pad(text: &str, spaces: isize, align: Align) -> String {
    let blanks = " ".repeat(usize::try_from(spaces).unwrap_or(0));
    match align {
        Align::Left => format!("{text}{blanks}"),
        Align::Right => format!("{blanks}{text}"),
    }
}

/// One column's cells padded to a common width of at least `min_width` (tabulate's
/// `_align_column` with wide-character support). Widths of -1 (control characters) count as
/// tabulate counts them.
fn pad_column(cells: &[&str], align: Align, min_width: isize, multiline: bool) -> Vec<String> {
    if multiline {
        let part_widths: Vec<Vec<isize>> = cells
            .iter()
            .map(|cell| split_cr_lf(cell).map(display_width).collect())
            .collect();
        let width = part_widths
            .iter()
            .flatten()
            .copied()
            .max()
            .unwrap_or(0)
            .max(min_width);
        cells
            .iter()
            .zip(&part_widths)
            .map(|(cell, widths)| {
                // tabulate pairs the lines `splitlines` gives with the widths and lengths of
                // the parts split at `\r`/`\n`; the two differ at `\r\n`, and so then do
                // the paddings, which this keeps.
                python_splitlines(cell)
                    .iter()
                    .zip(split_cr_lf(cell).zip(widths))
                    .map(|(line, (part, part_width))| {
                        let target = width - part_width + char_count(part);
                        pad(line, target - char_count(line), align)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect()
    } else {
        let widths: Vec<isize> = cells.iter().map(|cell| display_width(cell)).collect();
        let width = widths.iter().copied().max().unwrap_or(0).max(min_width);
        cells
            .iter()
            .zip(widths)
            .map(|(cell, cell_width)| pad(cell, width - cell_width, align))
            .collect()
    }
}

/// A header padded to its column's width (tabulate's `_align_header`); each line of a
/// multi-line header is padded on its own.
fn pad_header(header: &str, align: Align, width: isize, multiline: bool) -> String {
    if multiline {
        split_cr_lf(header)
            .map(|line| pad(line, width - display_width(line), align))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        pad(header, width - display_width(header), align)
    }
}

/// One output line: each cell framed by `pad`, joined by `separator` between `begin` and
/// `end`, right-stripped.
fn simple_row<'a>(
    cells: impl Iterator<Item = &'a str>,
    pad: &str,
    begin: &str,
    separator: &str,
    end: &str,
) -> String {
    let cells: Vec<String> = cells.map(|cell| format!("{pad}{cell}{pad}")).collect();
    let line = format!("{begin}{}{end}", cells.join(separator));
    python_rstrip(&line).to_owned()
}

/// The lines of one row whose cells may span several lines: a cell with fewer lines than the
/// tallest is filled with blank lines of its column's width below its text.
fn append_multiline_row(
    lines: &mut Vec<String>,
    cells: &[String],
    widths: &[isize],
    pad: &str,
    (begin, separator, end): (&str, &str, &str),
) {
    let cell_lines: Vec<Vec<&str>> = cells.iter().map(|cell| python_splitlines(cell)).collect();
    let height = cell_lines.iter().map(Vec::len).max().unwrap_or(0);
    let blanks: Vec<String> = widths
        .iter()
        .map(|width| " ".repeat(usize::try_from(*width).unwrap_or(0)))
        .collect();
    for index in 0..height {
        let row = cell_lines
            .iter()
            .zip(&blanks)
            .map(|(cell, blank)| cell.get(index).copied().unwrap_or(blank.as_str()));
        lines.push(simple_row(row, pad, begin, separator, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_reads_like_dvc_tables() {
        let table = Table::new(["Path", "Param", "HEAD", "workspace"])
            .row(["params.yaml", "lr", "0.1", "0.01"])
            .row(vec![
                Cell::from("params.yaml"),
                "epochs".into(),
                None::<&str>.into(),
            ]);
        assert_eq!(
            table.render(Format::Plain),
            "Path         Param    HEAD    workspace\n\
             params.yaml  lr       0.1     0.01\n\
             params.yaml  epochs   -       -"
        );
        assert_eq!(
            table.to_dvc_output(true).as_deref(),
            Some(
                "| Path        | Param   | HEAD   | workspace   |\n\
                 |-------------|---------|--------|-------------|\n\
                 | params.yaml | lr      | 0.1    | 0.01        |\n\
                 | params.yaml | epochs  | -      | -           |\n"
            )
        );
        assert_eq!(Table::new(["a"]).to_dvc_output(false), None);
        assert_eq!(
            Table::new(["a"]).to_dvc_output(true).as_deref(),
            Some("| a   |\n|-----|\n")
        );
    }

    #[test]
    fn matches_tabulate_fixtures() {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/output/tables.json"))
                .expect("fixture is json");
        let cases = fixtures.as_array().expect("fixture is a list");
        assert!(cases.len() > 30);
        for case in cases {
            let mut table = match case["headers"].as_array() {
                Some(headers) => Table::new(headers.iter().map(text)),
                None => Table::headless(),
            };
            for row in case["rows"].as_array().expect("rows") {
                let cells = row.as_array().expect("row");
                table.push_row(cells.iter().map(|cell| cell.as_str().map(str::to_owned)));
            }
            if let Some(aligns) = case["colalign"].as_array() {
                for (column, align) in aligns.iter().enumerate() {
                    let align = match align.as_str() {
                        Some("right") => Align::Right,
                        _ => Align::Left,
                    };
                    table = table.align(column, align);
                }
            }
            if case["preserve_whitespace"].as_bool() == Some(true) {
                table = table.preserve_whitespace();
            }
            assert_eq!(
                table.render(Format::Plain),
                text(&case["plain"]),
                "plain: {case}"
            );
            assert_eq!(
                table.render(Format::Github),
                text(&case["github"]),
                "github: {case}"
            );
        }
    }

    fn text(value: &serde_json::Value) -> String {
        value.as_str().expect("string in fixture").to_owned()
    }
}
