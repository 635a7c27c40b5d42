//! `dvc config`: get, set, unset and list options at any level (spec §2.7).

use dv_schema::config::{Node, Setting, Table};

use crate::config::{Config, Level};
use crate::error::{ArgumentError, ConfigError};

/// A parsed option name: `section.option`, `remote.name.option` or `db.name.option`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionName {
    /// `remote` or `db` for named sections.
    pub kind: Option<String>,
    /// Section (or remote/db name), lower-cased.
    pub section: String,
    /// Option, lower-cased.
    pub option: String,
}

impl std::str::FromStr for OptionName {
    type Err = ArgumentError;

    /// Parses like DVC's `^((remote|db)\.)?([^.]*)\.([^.]*)$`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            ArgumentError(
                "argument name: name argument should look like remote.name.option or db.name.option or section.option"
                    .to_string(),
            )
        };
        let parts: Vec<&str> = name.split('.').collect();
        let (kind, section, option) = match parts.as_slice() {
            [section, option] => (None, *section, *option),
            [kind @ ("remote" | "db"), section, option] => {
                (Some(kind.to_string()), *section, *option)
            }
            _ => return Err(invalid()),
        };
        Ok(OptionName {
            kind,
            section: section.to_lowercase(),
            option: option.to_lowercase(),
        })
    }
}

/// One listed value.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedOption {
    /// The file it came from, shown with `--show-origin`.
    pub origin: String,
    /// `section.option` or `remote.name.option`.
    pub name: String,
    /// The value as DVC prints it (paths resolved).
    pub value: String,
}

/// Levels a read looks at (DVC's `_get_appropriate_levels`).
fn levels(config: &Config, level: Option<Level>) -> Result<Vec<Level>, ConfigError> {
    match level {
        Some(level) => {
            if level.is_repo_level() && !config.has_repo() {
                return Err(ConfigError("Not inside a DVC repo".to_string()));
            }
            Ok(vec![level])
        }
        None if config.has_repo() => Ok(Level::ALL.to_vec()),
        None => Ok(vec![Level::System, Level::Global]),
    }
}

fn origin(config: &Config, level: Level) -> String {
    config
        .file(level)
        .map(|f| config.display_file(&f))
        .unwrap_or_default()
}

/// `dvc config -l`: every value of every level (or one), in level order.
pub fn list(config: &Config, level: Option<Level>) -> Result<Vec<ListedOption>, ConfigError> {
    let mut out = Vec::new();
    for level in levels(config, level)? {
        let table = config.read(Some(level))?;
        for (name, setting) in table.flatten() {
            out.push(ListedOption {
                origin: origin(config, level),
                name,
                value: setting.value.to_string(),
            });
        }
    }
    Ok(out)
}

fn check<'a>(conf: &'a Table, name: &OptionName) -> Result<&'a Setting, ConfigError> {
    let what = name.kind.as_deref().unwrap_or("section");
    let conf = match &name.kind {
        Some(kind) => conf
            .table(kind)
            .ok_or_else(|| ConfigError(format!("{what} '{}' doesn't exist", name.section)))?,
        None => conf,
    };
    let section = conf
        .table(&name.section)
        .ok_or_else(|| ConfigError(format!("{what} '{}' doesn't exist", name.section)))?;
    section.setting(&name.option).ok_or_else(|| {
        ConfigError(format!(
            "option '{}' doesn't exist in {what} '{}'",
            name.option, name.section
        ))
    })
}

/// `dvc config NAME`: the value from the highest-priority level that has it. Without an
/// explicit level a missing option is not an error (`Ok(None)`), as in DVC.
pub fn get(
    config: &Config,
    level: Option<Level>,
    name: &OptionName,
) -> Result<Option<ListedOption>, ConfigError> {
    for candidate in levels(config, level)?.into_iter().rev() {
        let table = config.read(Some(candidate))?;
        match check(&table, name) {
            Ok(setting) => {
                return Ok(Some(ListedOption {
                    origin: origin(config, candidate),
                    name: String::new(),
                    value: setting.value.to_string(),
                }));
            }
            Err(e) if level.is_some() => return Err(e),
            Err(_) => {}
        }
    }
    Ok(None)
}

/// `dvc config NAME VALUE`: sets the option at one level (default: repo).
pub fn set(
    config: &Config,
    level: Option<Level>,
    name: &OptionName,
    value: &str,
) -> Result<(), ConfigError> {
    config.edit(level, |conf| {
        let conf = match &name.kind {
            Some(kind) => conf.table_mut(kind),
            None => conf,
        };
        conf.table_mut(&name.section)
            .insert(name.option.clone(), Node::Setting(Setting::new(value)));
        Ok(())
    })
}

/// `dvc config -u NAME`: removes the option from one level; an error if it is not there.
pub fn unset(config: &Config, level: Option<Level>, name: &OptionName) -> Result<(), ConfigError> {
    config.edit(level, |conf| {
        check(conf, name)?;
        let conf = match &name.kind {
            Some(kind) => conf.table_mut(kind),
            None => conf,
        };
        conf.table_mut(&name.section).remove(&name.option);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn option_names() {
        let n: OptionName = "core.Remote".parse().unwrap();
        assert_eq!(
            (n.kind, n.section.as_str(), n.option.as_str()),
            (None, "core", "remote")
        );
        let n: OptionName = "remote.Store.url".parse().unwrap();
        assert_eq!(n.kind.as_deref(), Some("remote"));
        assert_eq!(n.section, "store");
        assert!("core".parse::<OptionName>().is_err());
        assert!("core.remote.x.y".parse::<OptionName>().is_err());
        assert!("machine.x.y".parse::<OptionName>().is_err());
    }
}
