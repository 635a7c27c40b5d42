//! `dvc remote add|modify|list|default|remove|rename` (spec §2.6).
//!
//! Remote names are lower-cased like DVC does. Each edit touches one level's file; removing
//! or renaming a remote also updates `core.remote` at that level and the levels shadowing it.

use dv_schema::config::{Node, Setting, Table};

use crate::config::{Config, Level};
use crate::error::ConfigError;

/// A remote as listed by `dvc remote list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoteEntry {
    /// Name.
    pub name: String,
    /// URL (local paths resolved to absolute), with any password in it masked.
    pub url: Option<String>,
    /// Whether it is the default remote at the level read.
    pub default: bool,
}

fn remotes(conf: &Table) -> Option<&Table> {
    conf.table("remote")
}

fn exists(conf: &Table, name: &str) -> bool {
    remotes(conf).is_some_and(|r| r.contains(name))
}

fn default_remote(conf: &Table) -> Option<&str> {
    conf.table("core").and_then(|c| c.str("remote"))
}

fn missing(name: &str) -> ConfigError {
    ConfigError(format!("remote '{name}' doesn't exist."))
}

/// `dvc remote add`: a new remote with just `url` (replacing an existing one with `force`),
/// optionally made the default at the same level.
pub fn add(
    config: &Config,
    level: Option<Level>,
    name: &str,
    url: &str,
    default: bool,
    force: bool,
) -> Result<(), ConfigError> {
    let name = name.to_lowercase();
    config.edit(level, |conf| {
        if exists(conf, &name) && !force {
            return Err(ConfigError(format!(
                "remote '{name}' already exists. Use `-f|--force` to overwrite it."
            )));
        }
        let mut section = Table::new();
        section.insert("url", Node::Setting(Setting::new(url)));
        conf.table_mut("remote")
            .insert(name.clone(), Node::Table(section));
        if default {
            conf.table_mut("core")
                .insert("remote", Node::Setting(Setting::new(&name)));
        }
        Ok(())
    })
}

/// `dvc remote modify`: sets or unsets one option at one level. The remote must exist in the
/// levels up to and including that one.
pub fn modify(
    config: &Config,
    level: Option<Level>,
    name: &str,
    option: &str,
    value: Option<&str>,
) -> Result<(), ConfigError> {
    let name = name.to_lowercase();
    let option = option.to_lowercase();
    let below = config.load_to_level(Some(level.unwrap_or(Level::Repo)))?;
    config.edit(level, |conf| {
        if !exists(conf, &name) && !exists(&below, &name) {
            return Err(missing(&name));
        }
        let section = conf.table_mut("remote").table_mut(&name);
        match value {
            Some(value) => section.insert(option.clone(), Node::Setting(Setting::new(value))),
            None => {
                section.remove(&option);
            }
        }
        Ok(())
    })
}

/// `dvc remote list`: the remotes of the merged configuration (or one level).
pub fn list(config: &Config, level: Option<Level>) -> Result<Vec<RemoteEntry>, ConfigError> {
    let conf = config.read(level)?;
    let default = default_remote(&conf).map(str::to_lowercase);
    let Some(remotes) = remotes(&conf) else {
        return Ok(Vec::new());
    };
    Ok(remotes
        .iter()
        .map(|(name, node)| {
            let url = match node {
                Node::Table(t) => t.str("url").map(mask_password),
                Node::Setting(_) => None,
            };
            RemoteEntry {
                name: name.to_string(),
                url,
                default: default.as_deref() == Some(name),
            }
        })
        .collect())
}

/// `user:password@` in a URL becomes `user:***@`: listings never show secrets.
fn mask_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => format!(
                "{}://{}:***{}",
                &url[..scheme_end],
                &authority[..colon],
                &rest[at..]
            ),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// `dvc remote default` without a name: the default remote, if any.
pub fn get_default(config: &Config, level: Option<Level>) -> Result<Option<String>, ConfigError> {
    let conf = config.read(level)?;
    Ok(default_remote(&conf).map(str::to_string))
}

/// `dvc remote default NAME` / `-u`: sets or unsets `core.remote` at one level.
pub fn set_default(
    config: &Config,
    level: Option<Level>,
    name: Option<&str>,
) -> Result<(), ConfigError> {
    let name = name.map(str::to_lowercase);
    let below = config.load_to_level(Some(level.unwrap_or(Level::Repo)))?;
    config.edit(level, |conf| {
        match &name {
            None => {
                conf.table_mut("core").remove("remote");
            }
            Some(name) => {
                if !exists(conf, name) && !exists(&below, name) {
                    return Err(ConfigError(
                        "default remote must be present in remote list.".to_string(),
                    ));
                }
                conf.table_mut("core")
                    .insert("remote", Node::Setting(Setting::new(name)));
            }
        }
        Ok(())
    })
}

/// Levels from the highest priority down to `level` (DVC walks these to fix `core.remote`).
fn shadowing_levels(config: &Config, level: Option<Level>) -> Vec<Level> {
    let up_to = level.unwrap_or(Level::Repo);
    config
        .levels()
        .into_iter()
        .rev()
        .take_while(|l| *l >= up_to)
        .collect()
}

/// `dvc remote remove`: deletes the remote at one level and any `core.remote` naming it at
/// that level and the levels shadowing it.
pub fn remove(config: &Config, level: Option<Level>, name: &str) -> Result<(), ConfigError> {
    let name = name.to_lowercase();
    config.edit(level, |conf| {
        if !exists(conf, &name) {
            return Err(missing(&name));
        }
        conf.table_mut("remote").remove(&name);
        if default_remote(conf) == Some(name.as_str()) {
            conf.table_mut("core").remove("remote");
        }
        Ok(())
    })?;
    for other in shadowing_levels(config, level) {
        if Some(other) == level || (level.is_none() && other == Level::Repo) {
            continue;
        }
        if default_remote(&config.load_one(other)?) == Some(name.as_str()) {
            config.edit(Some(other), |conf| {
                conf.table_mut("core").remove("remote");
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// `dvc remote rename OLD NEW`: fails if NEW exists at any level.
pub fn rename(
    config: &Config,
    level: Option<Level>,
    name: &str,
    new: &str,
) -> Result<(), ConfigError> {
    let name = name.to_lowercase();
    let new = new.to_lowercase();
    if exists(&config.load_to_level(None)?, &new) {
        return Err(ConfigError(format!(
            "Rename failed. Remote name '{new}' already exists."
        )));
    }
    config.edit(level, |conf| {
        let remotes = conf.table_mut("remote");
        let Some(section) = remotes.remove(&name) else {
            return Err(missing(&name));
        };
        remotes.insert(new.clone(), section);
        if default_remote(conf) == Some(name.as_str()) {
            conf.table_mut("core")
                .insert("remote", Node::Setting(Setting::new(&new)));
        }
        Ok(())
    })?;
    for other in shadowing_levels(config, level) {
        if Some(other) == level || (level.is_none() && other == Level::Repo) {
            continue;
        }
        if default_remote(&config.load_one(other)?) == Some(name.as_str()) {
            config.edit(Some(other), |conf| {
                conf.table_mut("core")
                    .insert("remote", Node::Setting(Setting::new(&new)));
                Ok(())
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_in_urls() {
        assert_eq!(mask_password("https://u:p@h/x"), "https://u:***@h/x");
        assert_eq!(mask_password("ssh://u@h/x"), "ssh://u@h/x");
        assert_eq!(mask_password("s3://b/x"), "s3://b/x");
        assert_eq!(mask_password("/local/path"), "/local/path");
    }
}
