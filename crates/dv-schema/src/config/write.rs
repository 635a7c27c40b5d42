//! Writer producing the bytes DVC writes for a configuration level (spec §2.2).
//!
//! DVC regenerates the whole file: empty sections dropped, plain sections in their order,
//! then `['remote "x"']`, `['machine "x"']`, `['db "x"']` sections; keys indented by four
//! spaces; values quoted by configobj's rules.

use super::table::{NAMED_SECTIONS, Node, Table, Value};

/// A value configobj cannot write (it holds both quote characters and a newline, or both
/// triple-quote forms).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Value \"{0}\" cannot be safely quoted.")]
pub struct QuoteError(pub String);

/// Serializes one configuration level.
pub fn write(table: &Table) -> Result<String, QuoteError> {
    let mut out = String::new();
    // Top-level scalars first (configobj writes scalars before sections).
    for (key, node) in table.iter() {
        if let Node::Setting(setting) = node {
            if NAMED_SECTIONS.contains(&key) {
                continue;
            }
            write_entry(&mut out, "", key, &setting.value)?;
        }
    }
    for (key, node) in table.iter() {
        if let Node::Table(section) = node {
            if NAMED_SECTIONS.contains(&key) || section.is_empty() {
                continue;
            }
            write_section(&mut out, key, section)?;
        }
    }
    for kind in NAMED_SECTIONS {
        if let Some(named) = table.table(kind) {
            for (name, node) in named.iter() {
                if let Node::Table(section) = node {
                    write_section(&mut out, &format!("{kind} \"{name}\""), section)?;
                }
            }
        }
    }
    Ok(out)
}

fn write_section(out: &mut String, name: &str, section: &Table) -> Result<(), QuoteError> {
    out.push('[');
    out.push_str(&quote(name, false)?);
    out.push_str("]\n");
    for (key, node) in section.iter() {
        match node {
            Node::Setting(setting) => write_entry(out, "    ", key, &setting.value)?,
            // Deeper nesting never occurs in DVC configs; flatten it into dotted keys.
            Node::Table(sub) => {
                for (sub_key, setting) in sub.flatten() {
                    write_entry(out, "    ", &format!("{key}.{sub_key}"), &setting.value)?;
                }
            }
        }
    }
    Ok(())
}

fn write_entry(out: &mut String, indent: &str, key: &str, value: &Value) -> Result<(), QuoteError> {
    out.push_str(indent);
    out.push_str(&quote(key, false)?);
    out.push_str(" = ");
    match value {
        Value::Str(s) => out.push_str(&quote(s, true)?),
        Value::List(items) => match items.as_slice() {
            [] => out.push(','),
            [one] => {
                out.push_str(&quote(one, false)?);
                out.push(',');
            }
            many => {
                let quoted: Result<Vec<String>, QuoteError> =
                    many.iter().map(|item| quote(item, false)).collect();
                out.push_str(&quoted?.join(", "));
            }
        },
    }
    out.push('\n');
    Ok(())
}

const WHITESPACE_PLUS: &[char] = &[' ', '\r', '\n', '\u{b}', '\t', '\'', '"'];

/// configobj's `_quote` with `list_values` on.
pub(crate) fn quote(value: &str, multiline: bool) -> Result<String, QuoteError> {
    if value.is_empty() {
        return Ok("\"\"".to_string());
    }
    let has_single = value.contains('\'');
    let has_double = value.contains('"');
    let need_triple = multiline && ((has_single && has_double) || value.contains('\n'));
    let hash_triple = multiline && !need_triple && has_single && has_double && value.contains('#');
    let single = |v: &str| -> Result<String, QuoteError> {
        if v.contains('\'') && v.contains('"') {
            Err(QuoteError(v.to_string()))
        } else if v.contains('"') {
            Ok(format!("'{v}'"))
        } else {
            Ok(format!("\"{v}\""))
        }
    };
    if !need_triple && !hash_triple {
        if value.contains('\n') {
            return Err(QuoteError(value.to_string()));
        }
        let first = value.chars().next().unwrap_or(' ');
        let last = value.chars().next_back().unwrap_or(' ');
        if !WHITESPACE_PLUS.contains(&first)
            && !WHITESPACE_PLUS.contains(&last)
            && !value.contains(',')
        {
            if value.contains('#') {
                return single(value);
            }
            return Ok(value.to_string());
        }
        return single(value);
    }
    if value.contains("\"\"\"") && value.contains("'''") {
        return Err(QuoteError(value.to_string()));
    }
    if value.contains("\"\"\"") {
        Ok(format!("'''{value}'''"))
    } else {
        Ok(format!("\"\"\"{value}\"\"\""))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::parse;
    use super::*;

    #[test]
    fn quoting_rules() {
        assert_eq!(quote("", true).unwrap(), "\"\"");
        assert_eq!(quote("s3://b/p", true).unwrap(), "s3://b/p");
        assert_eq!(
            quote("hardlink,symlink", true).unwrap(),
            "\"hardlink,symlink\""
        );
        assert_eq!(quote("sec ret#x;y", true).unwrap(), "\"sec ret#x;y\"");
        assert_eq!(quote("a#b", true).unwrap(), "\"a#b\"");
        assert_eq!(quote(" lead", true).unwrap(), "\" lead\"");
        assert_eq!(quote("say \"hi\"", true).unwrap(), "'say \"hi\"'");
        assert_eq!(quote("it's \"x\"", true).unwrap(), "\"\"\"it's \"x\"\"\"\"");
        assert_eq!(quote("two\nlines", true).unwrap(), "\"\"\"two\nlines\"\"\"");
        assert_eq!(quote("remote \"x\"", false).unwrap(), "'remote \"x\"'");
        assert!(quote("a\nb", false).is_err());
    }

    #[test]
    fn rewrites_like_dvc() {
        let text = "# comment dropped\n['remote \"jasmin\"']\n    url = s3://my-bucket/path/to/store\n[core]\n    remote = jasmin\n[empty]\n[cache]\n    type = \"hardlink,symlink\"\n";
        let table = parse(text.as_bytes(), None).unwrap();
        assert_eq!(
            write(&table).unwrap(),
            "[core]\n    remote = jasmin\n[cache]\n    type = \"hardlink,symlink\"\n['remote \"jasmin\"']\n    url = s3://my-bucket/path/to/store\n"
        );
    }

    #[test]
    fn round_trips_values() {
        for value in [
            "plain", "a,b", "x#y", " sp ", "q\"uote", "it's", "a'b\"c", "l1\nl2", "",
        ] {
            let mut table = Table::new();
            table
                .table_mut("core")
                .insert("k", Node::Setting(crate::config::Setting::new(value)));
            let text = write(&table).unwrap();
            let back = parse(text.as_bytes(), None).unwrap();
            assert_eq!(
                back.table("core").unwrap().str("k"),
                Some(value),
                "value {value:?} written as {text:?}"
            );
        }
    }
}
