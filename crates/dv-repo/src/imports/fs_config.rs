//! `fs_config`: the filesystem options of a URL source (`--fs-config KEY=VALUE` of `import-url`
//! and `get-url`, `version_aware`), recorded on the dependency of an import's `.dvc` file as
//! DVC records them and read back from files either tool wrote.

use std::collections::BTreeMap;

use dv_schema::config::{Node, Setting, Table};
use dv_schema::yaml::{Mapping, Value};

use crate::error::ConfigError;
use crate::imports::url::{remote_options, split_scheme};

/// The `fs_config` mapping DVC records for `--fs-config` `pairs` (in the order given, a key
/// given again keeping its first place and its last value, every value a string) and
/// `--version-aware` (`version_aware: true`); `None` when there is neither.
pub(crate) fn recorded(pairs: &[(String, String)], version_aware: bool) -> Option<Value> {
    let mut map = Mapping::new();
    for (key, value) in pairs {
        map.insert(Value::String(key.clone()), Value::String(value.clone()));
    }
    if version_aware {
        map.insert(Value::String("version_aware".to_owned()), Value::Bool(true));
    }
    (!map.is_empty()).then_some(Value::Mapping(map))
}

/// The options a recorded `fs_config` gives the source's filesystem, as configuration
/// strings (`true`, `10`); entries that are not scalars are left out.
pub(crate) fn options(fs_config: Option<&Value>) -> BTreeMap<String, String> {
    let Some(Value::Mapping(map)) = fs_config else {
        return BTreeMap::new();
    };
    map.iter()
        .filter_map(|(key, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Bool(flag) => flag.to_string(),
                Value::Number(number) => number.to_string(),
                _ => return None,
            };
            Some((key.as_str()?.to_owned(), value))
        })
        .collect()
}

/// Whether a recorded `fs_config` asks for cloud versioning.
pub(crate) fn is_version_aware(fs_config: Option<&Value>) -> bool {
    options(fs_config)
        .get("version_aware")
        .is_some_and(|value| value == "true")
}

/// Checks `fs_config` options against DVC's schema of a remote with the source's URL, as DVC
/// does for the filesystem it opens (`extra keys not allowed @ data['foo']`).
pub(crate) fn validate(
    config: &Table,
    url: &str,
    fs_config: &BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    if fs_config.is_empty() {
        return Ok(());
    }
    let mut options = match split_scheme(url) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("remote") => {
            let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
            let mut options = remote_options(config, name, 0)?;
            if let Some(base) = options.get_mut("url")
                && !path.is_empty()
            {
                *base = format!("{}/{path}", base.trim_end_matches('/'));
            }
            options
        }
        _ => BTreeMap::from([("url".to_owned(), url.to_owned())]),
    };
    options.extend(fs_config.iter().map(|(k, v)| (k.clone(), v.clone())));
    const NAME: &str = "fs-config";
    let mut section = Table::new();
    for (key, value) in options {
        section.insert(key, Node::Setting(Setting::new(value)));
    }
    let mut root = Table::new();
    root.table_mut("remote").insert(NAME, Node::Table(section));
    dv_schema::config::validate(&root).map_err(|error| {
        ConfigError(
            error
                .message
                .replace(&format!("data['remote']['{NAME}']"), "data"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_keeps_dvcs_dict_order_and_string_values() {
        let pairs = [
            ("region".to_owned(), "x".to_owned()),
            ("use_ssl".to_owned(), "false".to_owned()),
            ("region".to_owned(), "y".to_owned()),
        ];
        let value = recorded(&pairs, true).expect("options given");
        assert_eq!(
            dv_schema::yaml::to_string(&value),
            "region: y\nuse_ssl: 'false'\nversion_aware: true\n"
        );
        assert!(is_version_aware(Some(&value)));
        assert_eq!(options(Some(&value))["use_ssl"], "false");
        assert_eq!(recorded(&[], false), None);
    }
}
