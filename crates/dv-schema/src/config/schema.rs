//! DVC's configuration schema (spec §2.4), with DVC's error wording
//! (`extra keys not allowed @ data['core']['bogus']`).
//!
//! Remote sections are checked against the options of their URL scheme; unknown sections and
//! keys are rejected, as DVC does.

use super::table::{Node, Origin, Setting, Table, Value};

/// A configuration that DVC would reject, with the location of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SchemaError {
    /// DVC's message, e.g. `expected int for dictionary value @ data['core']['checksum_jobs']`.
    pub message: String,
    /// The file and line of the offending value, when known.
    pub origin: Option<Origin>,
}

#[derive(Clone, Copy)]
enum Check {
    Str,
    Bool,
    /// Python `int()` coercion with an optional minimum and maximum.
    Int(Option<i64>, Option<i64>),
    Float(Option<f64>),
    /// Lower-cased string (no constraint).
    Lower,
    Choices(&'static [&'static str]),
    CacheType,
    /// `Any(Bool, str)`: every string passes.
    BoolOrStr,
    /// Python `bool` type: a string from a file never passes.
    PyBool,
}

type Options = &'static [(&'static str, Check)];

const REMOTE_COMMON: Options = &[
    ("url", Check::Str),
    ("checksum_jobs", Check::Int(Some(1), None)),
    ("jobs", Check::Int(Some(1), None)),
    ("worktree", Check::Bool),
    ("no_traverse", Check::Bool),
    ("version_aware", Check::Bool),
];
const LOCAL_COMMON: Options = &[
    ("type", Check::CacheType),
    ("protected", Check::Bool),
    ("shared", Check::Choices(&["group"])),
    ("slow_link_warning", Check::Bool),
    ("verify", Check::Bool),
];
const HTTP: Options = &[
    ("auth", Check::Choices(&["basic", "digest", "custom"])),
    ("custom_auth_header", Check::Str),
    ("user", Check::Str),
    ("password", Check::Str),
    ("ask_password", Check::Bool),
    ("ssl_verify", Check::BoolOrStr),
    ("method", Check::Str),
    ("connect_timeout", Check::Float(Some(0.0))),
    ("read_timeout", Check::Float(Some(0.0))),
    ("verify", Check::Bool),
];
const WEBDAV: Options = &[
    ("user", Check::Str),
    ("password", Check::Str),
    ("ask_password", Check::Bool),
    ("token", Check::Str),
    ("bearer_token_command", Check::Str),
    ("custom_auth_header", Check::Str),
    ("cert_path", Check::Str),
    ("key_path", Check::Str),
    ("timeout", Check::Int(None, None)),
    ("ssl_verify", Check::BoolOrStr),
    ("verify", Check::Bool),
];
const S3: Options = &[
    ("region", Check::Str),
    ("profile", Check::Str),
    ("credentialpath", Check::Str),
    ("configpath", Check::Str),
    ("endpointurl", Check::Str),
    ("access_key_id", Check::Str),
    ("secret_access_key", Check::Str),
    ("session_token", Check::Str),
    ("listobjects", Check::Bool),
    ("use_ssl", Check::Bool),
    ("allow_anonymous_login", Check::Bool),
    ("ssl_verify", Check::BoolOrStr),
    ("sse", Check::Str),
    ("sse_kms_key_id", Check::Str),
    ("sse_customer_algorithm", Check::Str),
    ("sse_customer_key", Check::Str),
    ("acl", Check::Str),
    ("grant_read", Check::Str),
    ("grant_read_acp", Check::Str),
    ("grant_write_acp", Check::Str),
    ("grant_full_control", Check::Str),
    ("cache_regions", Check::PyBool),
    ("read_timeout", Check::Int(None, None)),
    ("connect_timeout", Check::Int(None, None)),
    ("verify", Check::Bool),
];
const GS: Options = &[
    ("projectname", Check::Str),
    ("credentialpath", Check::Str),
    ("endpointurl", Check::Str),
    ("verify", Check::Bool),
    ("allow_anonymous_login", Check::Bool),
];
const SSH: Options = &[
    ("type", Check::CacheType),
    ("port", Check::Int(None, None)),
    ("user", Check::Str),
    ("password", Check::Str),
    ("ask_password", Check::Bool),
    ("passphrase", Check::Str),
    ("ask_passphrase", Check::Bool),
    ("keyfile", Check::Str),
    ("timeout", Check::Int(None, None)),
    ("gss_auth", Check::Bool),
    ("allow_agent", Check::Bool),
    ("max_sessions", Check::Int(None, None)),
    ("verify", Check::Bool),
];
const HDFS: Options = &[
    ("user", Check::Str),
    ("kerb_ticket", Check::Str),
    ("replication", Check::PyBool),
];
const WEBHDFS: Options = &[
    ("kerberos", Check::Bool),
    ("kerberos_principal", Check::Str),
    ("proxy_to", Check::Str),
    ("ssl_verify", Check::BoolOrStr),
    ("token", Check::Str),
    ("use_https", Check::Bool),
    ("user", Check::Str),
    ("password", Check::Str),
    ("data_proxy_target", Check::Str),
    ("verify", Check::Bool),
];
const AZURE: Options = &[
    ("connection_string", Check::Str),
    ("sas_token", Check::Str),
    ("account_name", Check::Str),
    ("account_key", Check::Str),
    ("tenant_id", Check::Str),
    ("client_id", Check::Str),
    ("client_secret", Check::Str),
    ("allow_anonymous_login", Check::Bool),
    ("exclude_environment_credential", Check::Bool),
    ("exclude_visual_studio_code_credential", Check::Bool),
    ("exclude_shared_token_cache_credential", Check::Bool),
    ("exclude_managed_identity_credential", Check::Bool),
    ("verify", Check::Bool),
    ("timeout", Check::Int(None, None)),
    ("read_timeout", Check::Int(None, None)),
    ("connection_timeout", Check::Int(None, None)),
];
const OSS: Options = &[
    ("oss_key_id", Check::Str),
    ("oss_key_secret", Check::Str),
    ("oss_endpoint", Check::Str),
    ("verify", Check::Bool),
];
const GDRIVE: Options = &[
    ("profile", Check::Str),
    ("gdrive_use_service_account", Check::Bool),
    ("gdrive_client_id", Check::Str),
    ("gdrive_client_secret", Check::Str),
    ("gdrive_user_credentials_file", Check::Str),
    ("gdrive_service_account_user_email", Check::Str),
    ("gdrive_service_account_json_file_path", Check::Str),
    ("gdrive_trash_only", Check::Bool),
    ("gdrive_acknowledge_abuse", Check::Bool),
    ("verify", Check::Bool),
];

/// Option tables for a remote URL scheme (`""` = local path). `None` for unknown schemes.
fn remote_options(scheme: &str) -> Option<Vec<Options>> {
    Some(match scheme {
        "" => vec![LOCAL_COMMON, REMOTE_COMMON],
        "s3" => vec![S3, REMOTE_COMMON],
        "gs" => vec![GS, REMOTE_COMMON],
        "ssh" => vec![SSH, REMOTE_COMMON],
        "hdfs" => vec![HDFS, REMOTE_COMMON],
        "webhdfs" => vec![WEBHDFS, REMOTE_COMMON],
        "azure" => vec![AZURE, REMOTE_COMMON],
        "oss" => vec![OSS, REMOTE_COMMON],
        "gdrive" => vec![GDRIVE, REMOTE_COMMON],
        "http" | "https" => vec![HTTP, REMOTE_COMMON],
        "webdav" | "webdavs" => vec![WEBDAV, REMOTE_COMMON],
        "remote" => vec![],
        _ => return None,
    })
}

const CORE: Options = &[
    ("remote", Check::Lower),
    ("checksum_jobs", Check::Int(Some(1), None)),
    ("interactive", Check::Bool),
    ("analytics", Check::Bool),
    ("hardlink_lock", Check::Bool),
    ("no_scm", Check::Bool),
    ("autostage", Check::Bool),
    ("experiments", Check::Bool),
    ("check_update", Check::Bool),
    ("site_cache_dir", Check::Str),
    ("machine", Check::Lower),
];
const CACHE: Options = &[
    ("local", Check::Str),
    ("s3", Check::Str),
    ("gs", Check::Str),
    ("hdfs", Check::Str),
    ("webhdfs", Check::Str),
    ("ssh", Check::Str),
    ("azure", Check::Str),
    ("dir", Check::Str),
    ("type", Check::CacheType),
    ("protected", Check::Bool),
    ("shared", Check::Choices(&["group"])),
    ("slow_link_warning", Check::Bool),
    ("verify", Check::Bool),
];
const STATE: Options = &[
    ("dir", Check::Str),
    ("row_limit", Check::Int(Some(1), None)),
    ("row_cleanup_quota", Check::Int(Some(0), Some(100))),
];
const INDEX: Options = &[("dir", Check::Str)];
const PLOTS: Options = &[
    ("html_template", Check::Str),
    ("auto_open", Check::Bool),
    ("out_dir", Check::Str),
];
const EXP: Options = &[
    ("code", Check::Str),
    ("data", Check::Str),
    ("models", Check::Str),
    ("metrics", Check::Str),
    ("params", Check::Str),
    ("plots", Check::Str),
    ("live", Check::Str),
    ("auto_push", Check::Bool),
    ("git_remote", Check::Str),
];
const PARSING: Options = &[
    ("bool", Check::Choices(&["store_true", "boolean_optional"])),
    ("list", Check::Choices(&["nargs", "append"])),
];
const HYDRA: Options = &[
    ("enabled", Check::Bool),
    ("config_dir", Check::Str),
    ("config_module", Check::Str),
    ("config_name", Check::Str),
    ("plugins_path", Check::Str),
];
const STUDIO: Options = &[
    ("token", Check::Str),
    ("url", Check::Str),
    ("repo_url", Check::Str),
    ("offline", Check::Bool),
];
const MACHINE: Options = &[
    ("cloud", Check::Choices(&["aws", "azure"])),
    (
        "region",
        Check::Choices(&["us-west", "us-east", "eu-west", "eu-north"]),
    ),
    ("image", Check::Str),
    ("spot", Check::Bool),
    ("spot_price", Check::Float(None)),
    ("instance_hdd_size", Check::Int(None, None)),
    ("instance_type", Check::Lower),
    ("instance_gpu", Check::Lower),
    ("ssh_private", Check::Str),
    ("startup_script", Check::Str),
    ("setup_script", Check::Str),
];
const DB: Options = &[
    ("url", Check::Str),
    ("username", Check::Str),
    ("password", Check::Str),
];
const FEATURE: Options = &[("machine", Check::Bool)];

fn plain_section(name: &str) -> Option<Options> {
    Some(match name {
        "core" => CORE,
        "cache" => CACHE,
        "state" => STATE,
        "index" => INDEX,
        "plots" => PLOTS,
        "exp" => EXP,
        "parsing" => PARSING,
        "hydra" => HYDRA,
        "studio" => STUDIO,
        "feature" => FEATURE,
        _ => return None,
    })
}

/// Every `section.option` DVC documents, for shell completion and suggestions.
pub fn known_options() -> Vec<String> {
    let mut out = Vec::new();
    for section in [
        "core", "cache", "plots", "exp", "parsing", "hydra", "studio",
    ] {
        if let Some(options) = plain_section(section) {
            out.extend(options.iter().map(|(k, _)| format!("{section}.{k}")));
        }
    }
    out
}

struct Path(Vec<String>);

impl Path {
    fn render(&self) -> String {
        let mut s = String::from("data");
        for part in &self.0 {
            s.push_str(&format!("['{part}']"));
        }
        s
    }
}

fn fail(message: String, origin: Option<Origin>) -> SchemaError {
    SchemaError { message, origin }
}

fn table_origin(table: &Table) -> Option<Origin> {
    Some(Origin {
        file: table.file.clone()?,
        line: table.line?,
    })
}

/// Validates a merged configuration the way DVC does on load and before every edit.
pub fn validate(config: &Table) -> Result<(), SchemaError> {
    for (key, node) in config.iter() {
        let path = Path(vec![key.to_string()]);
        let table = match node {
            Node::Table(t) => t,
            Node::Setting(s) => {
                let message =
                    if plain_section(key).is_some() || ["remote", "machine", "db"].contains(&key) {
                        format!(
                            "expected a dictionary for dictionary value @ {}",
                            path.render()
                        )
                    } else {
                        format!("extra keys not allowed @ {}", path.render())
                    };
                return Err(fail(message, s.origin.clone()));
            }
        };
        match key {
            "remote" => {
                for (name, node) in table.iter() {
                    let path = Path(vec![key.to_string(), name.to_string()]);
                    validate_remote(node, &path)?;
                }
            }
            "machine" | "db" => {
                let options = if key == "machine" { MACHINE } else { DB };
                for (name, node) in table.iter() {
                    let path = Path(vec![key.to_string(), name.to_string()]);
                    validate_options(node, &[options], &path, false)?;
                }
            }
            _ => match plain_section(key) {
                Some(options) => validate_options(node, &[options], &path, key == "feature")?,
                None => {
                    return Err(fail(
                        format!("extra keys not allowed @ {}", path.render()),
                        table_origin(table),
                    ));
                }
            },
        }
    }
    Ok(())
}

fn validate_remote(node: &Node, path: &Path) -> Result<(), SchemaError> {
    let table = match node {
        Node::Table(t) => t,
        Node::Setting(s) => {
            return Err(fail(
                format!(
                    "expected a dictionary for dictionary value @ {}",
                    path.render()
                ),
                s.origin.clone(),
            ));
        }
    };
    let Some(url) = table.setting("url") else {
        return Err(fail(
            format!("expected 'url' for dictionary value @ {}", path.render()),
            table_origin(table),
        ));
    };
    let scheme = match &url.value {
        Value::Str(url) => url_scheme(url),
        Value::List(_) => String::new(),
    };
    let Some(options) = remote_options(&scheme) else {
        return Err(fail(
            format!(
                "Unsupported URL type {scheme}:// for dictionary value @ {}",
                path.render()
            ),
            url.origin.clone(),
        ));
    };
    if scheme == "remote" {
        return Ok(());
    }
    validate_options(node, &options, path, false)
}

/// The scheme of a URL as Python's `urlparse` sees it, or `""` when it has no network
/// location (local paths, `file:///x`).
pub(crate) fn url_scheme(url: &str) -> String {
    let Some(colon) = url.find(':') else {
        return String::new();
    };
    let scheme = &url[..colon];
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !valid {
        return String::new();
    }
    let rest = &url[colon + 1..];
    match rest.strip_prefix("//") {
        Some(after) if !after.is_empty() && !after.starts_with('/') => scheme.to_lowercase(),
        _ => String::new(),
    }
}

fn validate_options(
    node: &Node,
    tables: &[Options],
    path: &Path,
    allow_extra: bool,
) -> Result<(), SchemaError> {
    let table = match node {
        Node::Table(t) => t,
        Node::Setting(s) => {
            return Err(fail(
                format!(
                    "expected a dictionary for dictionary value @ {}",
                    path.render()
                ),
                s.origin.clone(),
            ));
        }
    };
    for (key, node) in table.iter() {
        let mut sub = Path(path.0.clone());
        sub.0.push(key.to_string());
        let check = tables
            .iter()
            .flat_map(|t| t.iter())
            .find(|(k, _)| *k == key)
            .map(|(_, c)| *c);
        let Some(check) = check else {
            if allow_extra {
                continue;
            }
            let origin = match node {
                Node::Setting(s) => s.origin.clone(),
                Node::Table(t) => table_origin(t),
            };
            return Err(fail(
                format!("extra keys not allowed @ {}", sub.render()),
                origin,
            ));
        };
        let setting = match node {
            Node::Setting(s) => s,
            Node::Table(t) => {
                return Err(fail(
                    format!("expected str for dictionary value @ {}", sub.render()),
                    table_origin(t),
                ));
            }
        };
        if let Err(message) = check_value(check, setting) {
            return Err(fail(
                format!("{message} for dictionary value @ {}", sub.render()),
                setting.origin.clone(),
            ));
        }
    }
    Ok(())
}

fn check_value(check: Check, setting: &Setting) -> Result<(), String> {
    let text = setting.value.to_string();
    let as_str = setting.value.as_str();
    match check {
        Check::Lower => Ok(()),
        Check::Str => as_str.map(|_| ()).ok_or_else(|| "expected str".to_string()),
        Check::BoolOrStr => {
            if as_str.is_some() || matches!(text.to_lowercase().as_str(), "true" | "false") {
                Ok(())
            } else {
                Err("expected str".to_string())
            }
        }
        Check::Bool => match text.to_lowercase().as_str() {
            "true" | "false" => Ok(()),
            _ => Err("expected true or false".to_string()),
        },
        Check::PyBool => Err("expected bool".to_string()),
        Check::Int(min, max) => {
            let n: i64 = as_str
                .and_then(|s| s.trim().replace('_', "").parse().ok())
                .ok_or_else(|| "expected int".to_string())?;
            range(n as f64, min.map(|m| m as f64), max.map(|m| m as f64))
        }
        Check::Float(min) => {
            let n: f64 = as_str
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| "expected float".to_string())?;
            range(n, min, None)
        }
        Check::Choices(choices) => {
            if choices.contains(&text.to_lowercase().as_str()) {
                Ok(())
            } else {
                Err(format!("expected one of {}", choices.join(", ")))
            }
        }
        Check::CacheType => {
            let types: Vec<String> = match &setting.value {
                Value::Str(s) => s.split(',').map(|t| t.trim().to_string()).collect(),
                Value::List(items) => items.clone(),
            };
            let unsupported: Vec<&str> = types
                .iter()
                .map(String::as_str)
                .filter(|t| !["reflink", "hardlink", "symlink", "copy"].contains(t))
                .collect();
            if unsupported.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "Unsupported cache type(s): {}",
                    unsupported.join(", ")
                ))
            }
        }
    }
}

fn range(n: f64, min: Option<f64>, max: Option<f64>) -> Result<(), String> {
    if let Some(min) = min
        && n < min
    {
        return Err(format!("value must be at least {min}"));
    }
    if let Some(max) = max
        && n > max
    {
        return Err(format!("value must be at most {max}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::parse;
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        validate(&parse(text.as_bytes(), None).unwrap()).map_err(|e| e.message)
    }

    #[test]
    fn accepts_dvc_written_config() {
        check("[core]\n    remote = jasmin\n    autostage = true\n[cache]\n    type = \"hardlink,symlink\"\n['remote \"jasmin\"']\n    url = s3://b/p\n    endpointurl = https://x\n    region = us-east-1\n    version_aware = true\n    access_key_id = A\n['remote \"backup\"']\n    url = ../../backup\n    type = copy\n").unwrap();
    }

    #[test]
    fn dvc_error_wording() {
        let cases = [
            ("[foo]\n    a = 1\n", "extra keys not allowed @ data['foo']"),
            (
                "[core]\n    bogus = 1\n",
                "extra keys not allowed @ data['core']['bogus']",
            ),
            (
                "[core]\n    checksum_jobs = many\n",
                "expected int for dictionary value @ data['core']['checksum_jobs']",
            ),
            (
                "[core]\n    checksum_jobs = 0\n",
                "value must be at least 1 for dictionary value @ data['core']['checksum_jobs']",
            ),
            (
                "[core]\n    analytics = maybe\n",
                "expected true or false for dictionary value @ data['core']['analytics']",
            ),
            (
                "['remote \"a\"']\n    endpointurl = x\n",
                "expected 'url' for dictionary value @ data['remote']['a']",
            ),
            (
                "['remote \"a\"']\n    url = s3://b\n    foo = 1\n",
                "extra keys not allowed @ data['remote']['a']['foo']",
            ),
            (
                "['remote \"a\"']\n    url = /x\n    endpointurl = 1\n",
                "extra keys not allowed @ data['remote']['a']['endpointurl']",
            ),
            (
                "['remote \"a\"']\n    url = foo://b\n",
                "Unsupported URL type foo:// for dictionary value @ data['remote']['a']",
            ),
            (
                "[cache]\n    type = hardlink, bogus\n",
                "Unsupported cache type(s): bogus for dictionary value @ data['cache']['type']",
            ),
            (
                "[cache]\n    shared = world\n",
                "expected one of group for dictionary value @ data['cache']['shared']",
            ),
            (
                "remote = x\n",
                "expected a dictionary for dictionary value @ data['remote']",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(check(text), Err(message.to_string()), "{text}");
        }
    }

    #[test]
    fn remote_scheme_takes_anything_and_feature_is_lenient() {
        check("['remote \"r\"']\n    url = remote://other/path\n    anything = 1\n[feature]\n    old = 1\n")
            .unwrap();
    }

    #[test]
    fn url_schemes_like_urlparse() {
        assert_eq!(url_scheme("s3://bucket/x"), "s3");
        assert_eq!(url_scheme("S3://bucket"), "s3");
        assert_eq!(url_scheme("../store"), "");
        assert_eq!(url_scheme("/abs/store"), "");
        assert_eq!(url_scheme("file:///x"), "");
        assert_eq!(url_scheme("remote://name/p"), "remote");
    }
}
