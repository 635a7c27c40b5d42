//! What the history commands (`params diff`, `metrics show/diff`, `diff`, `exp show`, `ls`)
//! print, byte for byte as dvc 3.67.1 prints it through Python (spec §0.3, §4.2-4.4):
//!
//! - [`table`]: `tabulate` in the `plain` and `github` (`--md`) formats DVC uses.
//! - [`number`]: `repr(float)`, `round(x, n)`, `f"{x:.{p}g}"`.
//! - [`value`]: `str()`/`repr()` of a params or metrics value, DVC's `_format_field`.
//! - [`json`]: `json.dumps` with DVC's settings, for `serde_json` and YAML values.
//! - [`listing`]: `ls-url` (and later `ls`) listings: names, `--size` tables, `--tree`.
//! - [`tree_listing`]: `ls`/`du` sizes (`naturalsize`), `ls --tree` drawing, `LS_COLORS`.
//!
//! Expected outputs come from the oracle's Python: `crates/dv/tests/fixtures/output/`.

// The history commands that print through this module land after it; until then some of it
// has no caller in the binary.
#![allow(dead_code, unused_imports)]

pub(crate) mod json;
pub(crate) mod listing;
pub(crate) mod number;
mod printable;
pub(crate) mod table;
mod text;
pub(crate) mod tree_listing;
pub(crate) mod value;

pub(crate) use json::{to_python_json, yaml_to_python_json};
pub(crate) use number::{float_json, float_repr, format_general, round};
pub(crate) use table::{Align, Cell, Format, Table};
pub(crate) use value::{FloatStyle, format_field, python_repr, python_str, string_repr};
