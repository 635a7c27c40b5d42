//! DVC configuration files (`.dvc/config`, `.dvc/config.local`, global and system `config`).
//!
//! DVC reads these files with Python's configobj and regenerates them completely on every edit
//! (spec §2.2). This module owns:
//! - `table`: [`Table`], the logical configuration as DVC sees it after loading (keys
//!   lower-cased, `['remote "name"']` sections folded into `remote.name`), with the file line
//!   of every value;
//! - `parse`: [`parse()`], the configobj dialect reader (quoting, lists, triple quotes, inline
//!   comments);
//! - `write`: [`write()`], the writer producing the bytes DVC would write for the same table;
//! - `schema`: [`validate`], DVC's configuration schema, with its error wording.

mod parse;
mod schema;
mod table;
mod write;

pub use parse::{ParseError, parse};
pub use schema::{SchemaError, known_options, validate};
pub use table::{NAMED_SECTIONS, Node, Origin, Setting, Table, Value};
pub use write::{QuoteError, write};
