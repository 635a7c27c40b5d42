//! What `ls` and `du` print beyond tables, as DVC prints it:
//!
//! - [`naturalsize`]: DVC's `naturalsize` (tqdm's `format_sizeof`, base 1024: `4.00k`);
//! - [`LsColors`]: `dvc ls`'s colours on a terminal, from `LS_COLORS` (`out`, `di`, `ex`,
//!   `*.ext` codes; DVC's default `rs=0:di=01;34:ex=01;32`);
//! - [`TreePart`]: the box drawing of `ls --tree`;
//! - [`python_splitext`]: Python's `os.path.splitext`, which picks the extension's colour.

use std::collections::HashMap;

/// DVC's `naturalsize(value)`: plain bytes below 1024, else three significant figures and a
/// binary unit (`4.00k`, `12.3M`, `100G`).
pub(crate) fn naturalsize(value: u64) -> String {
    const BASE: u64 = 1024;
    if value < BASE {
        return value.to_string();
    }
    // Precision is lost only past 2^53 bytes, far beyond three figures.
    #[allow(clippy::cast_precision_loss)]
    let mut num = value as f64;
    for unit in ["", "k", "M", "G", "T", "P", "E", "Z"] {
        if num.abs() < 999.5 {
            if num.abs() < 99.95 {
                if num.abs() < 9.995 {
                    return format!("{num:.2}{unit}");
                }
                return format!("{num:.1}{unit}");
            }
            return format!("{num:.0}{unit}");
        }
        #[allow(clippy::cast_precision_loss)]
        let divisor = BASE as f64;
        num /= divisor;
    }
    format!("{num:.1}Y")
}

/// The pieces `ls --tree` draws before a name.
pub(crate) struct TreePart;

impl TreePart {
    /// Before an entry with more entries after it.
    pub(crate) const EDGE: &'static str = "├── ";
    /// Below an entry with more entries after it.
    pub(crate) const LINE: &'static str = "│   ";
    /// Before the last entry.
    pub(crate) const CORNER: &'static str = "└── ";
    /// Below the last entry.
    pub(crate) const BLANK: &'static str = "    ";
}

/// `LS_COLORS` as DVC's `LsColors` reads it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LsColors {
    /// `*.ext=…` by `.ext`.
    extensions: HashMap<String, String>,
    /// `di=…`, `ex=…`, `out=…`, `rs=…`.
    codes: HashMap<String, String>,
}

impl LsColors {
    /// DVC's colours when `LS_COLORS` is unset or empty.
    pub(crate) const DEFAULT: &'static str = "rs=0:di=01;34:ex=01;32";

    /// The colours `spec` (`LS_COLORS`) names, else DVC's default.
    pub(crate) fn new(spec: Option<&str>) -> LsColors {
        let spec = spec
            .filter(|spec| !spec.is_empty())
            .unwrap_or(Self::DEFAULT);
        let mut colors = LsColors::default();
        for item in spec.split(':') {
            let Some((code, color)) = item.split_once('=') else {
                continue;
            };
            match code.strip_prefix('*') {
                Some(extension) if extension.starts_with('.') => {
                    colors
                        .extensions
                        .insert(extension.to_owned(), color.to_owned());
                }
                _ => {
                    colors.codes.insert(code.to_owned(), color.to_owned());
                }
            }
        }
        colors
    }

    /// `text` (an entry's path or name) in its colour: outputs by `out` if set, then
    /// directories by `di`, executables by `ex`, else by extension.
    pub(crate) fn paint(&self, text: &str, isout: bool, isdir: bool, isexec: bool) -> String {
        if isout && self.codes.contains_key("out") {
            return self.code(text, "out");
        }
        if isdir {
            return self.code(text, "di");
        }
        if isexec {
            return self.code(text, "ex");
        }
        let (stem, extension) = python_splitext(text);
        let extension = if extension.is_empty() && stem.starts_with('.') {
            stem
        } else {
            extension
        };
        let color = if extension.is_empty() {
            None
        } else {
            self.extensions.get(extension)
        };
        self.wrap(text, color)
    }

    fn code(&self, text: &str, code: &str) -> String {
        self.wrap(text, self.codes.get(code))
    }

    fn wrap(&self, text: &str, color: Option<&String>) -> String {
        match color {
            Some(color) if !color.is_empty() => {
                let reset = self.codes.get("rs").map_or("0", String::as_str);
                format!("\x1b[{color}m{text}\x1b[{reset}m")
            }
            _ => text.to_owned(),
        }
    }
}

/// Python's `os.path.splitext` (POSIX): the extension starts at the last dot of the last
/// component, unless only dots come before it there.
pub(crate) fn python_splitext(path: &str) -> (&str, &str) {
    let name_start = path.rfind('/').map_or(0, |slash| slash + 1);
    let Some(dot) = path.rfind('.') else {
        return (path, "");
    };
    if dot < name_start || path[name_start..dot].bytes().all(|b| b == b'.') {
        return (path, "");
    }
    path.split_at(dot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_tqdm() {
        let cases = [
            (0, "0"),
            (7, "7"),
            (1023, "1023"),
            (1024, "1.00k"),
            (4096, "4.00k"),
            (10_234, "9.99k"),
            (10_235, "10.0k"),
            (102_348, "99.9k"),
            (102_349, "100k"),
            (102_400, "100k"),
            (1_023_487, "999k"),
            (1_023_488, "0.98M"),
            (1 << 30, "1.00G"),
            (u64::MAX, "16.0E"),
        ];
        for (value, shown) in cases {
            assert_eq!(naturalsize(value), shown, "{value}");
        }
    }

    #[test]
    fn splitext_matches_python() {
        assert_eq!(python_splitext("a/b.txt"), ("a/b", ".txt"));
        assert_eq!(python_splitext(".bashrc"), (".bashrc", ""));
        assert_eq!(python_splitext("dir/.hidden"), ("dir/.hidden", ""));
        assert_eq!(python_splitext("a.b/c"), ("a.b/c", ""));
        assert_eq!(python_splitext("x..y"), ("x.", ".y"));
        assert_eq!(python_splitext("..a"), ("..a", ""));
        assert_eq!(python_splitext("a."), ("a", "."));
    }

    #[test]
    fn colours_follow_dvc() {
        let colors = LsColors::new(None);
        assert_eq!(
            colors.paint("data", false, true, false),
            "\x1b[01;34mdata\x1b[0m"
        );
        assert_eq!(
            colors.paint("run", false, false, true),
            "\x1b[01;32mrun\x1b[0m"
        );
        assert_eq!(colors.paint("a.md", false, false, false), "a.md");
        let colors = LsColors::new(Some("out=01;31:*.md=35:*.dvcignore=36"));
        assert_eq!(
            colors.paint("data", true, true, false),
            "\x1b[01;31mdata\x1b[0m"
        );
        assert_eq!(
            colors.paint("README.md", false, false, false),
            "\x1b[35mREADME.md\x1b[0m"
        );
        assert_eq!(
            colors.paint(".dvcignore", false, false, false),
            "\x1b[36m.dvcignore\x1b[0m"
        );
        // `di` unset: a directory is not coloured (not even by its extension).
        assert_eq!(colors.paint("x.md", false, true, false), "x.md");
    }
}
