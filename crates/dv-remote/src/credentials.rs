//! S3 credentials and region, resolved the way DVC (through botocore) does, from the remote's
//! options and the environment passed in: `access_key_id`/`secret_access_key`/`session_token`
//! options, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` (skipped when
//! the `profile` option names a profile), else the profile (`profile` option, `AWS_PROFILE`,
//! `default`) of the shared credentials file and then of the config file.
//!
//! [`S3Credentials`] never shows its values: its `Debug` is written by hand.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::RemoteConfig;
use crate::error::{RemoteError, RemoteLabel};

/// A static AWS key pair and optional session token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct S3Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: Option<String>,
}

/// Redacted: shows only which parts are present.
impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &"<redacted>")
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Where the credentials were found, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    /// The remote's `access_key_id`/`secret_access_key` options.
    Options,
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
    Environment,
    /// A profile of the shared credentials or config file.
    Profile { file: PathBuf, profile: String },
}

/// The AWS settings of one remote that come from outside its `url`.
#[derive(Debug, Clone)]
pub(crate) struct AwsSettings {
    /// Static credentials, if any were found; otherwise OpenDAL's remaining providers
    /// (container, instance metadata, web identity) are tried at request time.
    pub(crate) credentials: Option<(S3Credentials, CredentialSource)>,
    /// The region from the `region` option, `AWS_REGION`/`AWS_DEFAULT_REGION` or the profile.
    pub(crate) region: Option<String>,
}

impl AwsSettings {
    /// Resolves credentials and region for `config`.
    pub(crate) fn resolve(config: &RemoteConfig, label: &RemoteLabel) -> Result<Self, RemoteError> {
        let profile_option = config.option("profile");
        let profile = profile_option
            .or_else(|| config.env("AWS_PROFILE"))
            .or_else(|| config.env("AWS_DEFAULT_PROFILE"))
            .unwrap_or("default")
            .to_owned();
        let credentials_file = shared_file(
            config,
            "AWS_SHARED_CREDENTIALS_FILE",
            "credentialpath",
            "credentials",
        );
        let config_file = shared_file(config, "AWS_CONFIG_FILE", "configpath", "config");
        let credentials_profile = match &credentials_file {
            Some(path) => read_profile(path, &profile, ProfileFile::Credentials, label)?,
            None => None,
        };
        let config_profile = match &config_file {
            Some(path) => read_profile(path, &profile, ProfileFile::Config, label)?,
            None => None,
        };

        let credentials = if let Some(pair) = from_options(config, label)? {
            Some((pair, CredentialSource::Options))
        } else if let Some(pair) = from_environment(config, label, profile_option.is_some())? {
            Some((pair, CredentialSource::Environment))
        } else {
            [
                (credentials_file.as_ref(), credentials_profile.as_ref()),
                (config_file.as_ref(), config_profile.as_ref()),
            ]
            .into_iter()
            .find_map(|(file, section)| {
                let pair = from_profile(section?)?;
                Some((
                    pair,
                    CredentialSource::Profile {
                        file: file?.clone(),
                        profile: profile.clone(),
                    },
                ))
            })
        };

        let region = config
            .option("region")
            .or_else(|| config.env("AWS_REGION"))
            .or_else(|| config.env("AWS_DEFAULT_REGION"))
            .map(str::to_owned)
            .or_else(|| {
                config_profile
                    .as_ref()
                    .and_then(|section| section.get("region"))
                    .filter(|region| !region.is_empty())
                    .cloned()
            });
        Ok(AwsSettings {
            credentials,
            region,
        })
    }
}

fn from_options(
    config: &RemoteConfig,
    label: &RemoteLabel,
) -> Result<Option<S3Credentials>, RemoteError> {
    match (
        config.option("access_key_id"),
        config.option("secret_access_key"),
    ) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(S3Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: config.option("session_token").map(str::to_owned),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(partial(
            label,
            "option `access_key_id`",
            "`secret_access_key`",
        )),
        (None, Some(_)) => Err(partial(
            label,
            "option `secret_access_key`",
            "`access_key_id`",
        )),
    }
}

/// Like botocore, environment credentials are skipped when a profile is named explicitly.
fn from_environment(
    config: &RemoteConfig,
    label: &RemoteLabel,
    explicit_profile: bool,
) -> Result<Option<S3Credentials>, RemoteError> {
    if explicit_profile {
        return Ok(None);
    }
    match (
        config.env("AWS_ACCESS_KEY_ID"),
        config.env("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(S3Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: config
                .env("AWS_SESSION_TOKEN")
                .or_else(|| config.env("AWS_SECURITY_TOKEN"))
                .map(str::to_owned),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(partial(
            label,
            "`AWS_ACCESS_KEY_ID`",
            "`AWS_SECRET_ACCESS_KEY`",
        )),
        (None, Some(_)) => Err(partial(
            label,
            "`AWS_SECRET_ACCESS_KEY`",
            "`AWS_ACCESS_KEY_ID`",
        )),
    }
}

fn partial(label: &RemoteLabel, given: &str, missing: &str) -> RemoteError {
    RemoteError::Credentials {
        remote: label.clone(),
        detail: format!("partial credentials: {given} is set but {missing} is not"),
    }
}

fn from_profile(section: &HashMap<String, String>) -> Option<S3Credentials> {
    let access_key_id = section.get("aws_access_key_id").filter(|v| !v.is_empty())?;
    let secret_access_key = section
        .get("aws_secret_access_key")
        .filter(|v| !v.is_empty())?;
    Some(S3Credentials {
        access_key_id: access_key_id.clone(),
        secret_access_key: secret_access_key.clone(),
        session_token: section
            .get("aws_session_token")
            .or_else(|| section.get("aws_security_token"))
            .filter(|v| !v.is_empty())
            .cloned(),
    })
}

/// The shared file named by `variable`, else by `option` (DVC only sets the variable when it is
/// unset, so the variable wins), else `~/.aws/<default_name>`.
fn shared_file(
    config: &RemoteConfig,
    variable: &str,
    option: &str,
    default_name: &str,
) -> Option<PathBuf> {
    if let Some(path) = config.env(variable).or_else(|| config.option(option)) {
        return Some(PathBuf::from(config.expand_user(path)));
    }
    config
        .env("HOME")
        .map(|home| Path::new(home).join(".aws").join(default_name))
}

#[derive(Clone, Copy)]
enum ProfileFile {
    /// `[NAME]` sections.
    Credentials,
    /// `[default]` and `[profile NAME]` sections.
    Config,
}

/// The keys of profile `profile` in the INI file at `path`; `None` if the file or the profile
/// does not exist.
fn read_profile(
    path: &Path,
    profile: &str,
    file: ProfileFile,
    label: &RemoteLabel,
) -> Result<Option<HashMap<String, String>>, RemoteError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RemoteError::Io {
                remote: label.clone(),
                action: "read AWS settings file",
                path: path.to_owned(),
                source,
            });
        }
    };
    let wanted = match file {
        ProfileFile::Credentials => profile.to_owned(),
        ProfileFile::Config if profile == "default" => "default".to_owned(),
        ProfileFile::Config => format!("profile {profile}"),
    };
    Ok(parse_ini(&text).remove(&wanted))
}

/// Sections of an AWS INI file: `[section]` headers, `key = value` lines, `#`/`;` comments.
/// Indented lines (nested `s3 =` blocks) are skipped.
fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = header.split_whitespace().collect::<Vec<_>>().join(" ");
            sections.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    sections
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn label() -> RemoteLabel {
        RemoteLabel::new("storage", "s3://bucket")
    }

    fn config(options: &[(&str, &str)], env: &[(&str, &str)]) -> RemoteConfig {
        RemoteConfig::new(
            "storage",
            options.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn options_win_over_environment_and_files() {
        let config = config(
            &[
                ("access_key_id", "AKOPT"),
                ("secret_access_key", "optsecret"),
            ],
            &[
                ("AWS_ACCESS_KEY_ID", "AKENV"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ],
        );
        let settings = AwsSettings::resolve(&config, &label()).unwrap();
        let (credentials, source) = settings.credentials.unwrap();
        assert_eq!(credentials.access_key_id, "AKOPT");
        assert_eq!(source, CredentialSource::Options);
    }

    #[test]
    fn profile_of_the_credentials_file_is_used() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = AKDEF\naws_secret_access_key = defsecret\n\n\
             [work]\naws_access_key_id=AKWORK\naws_secret_access_key=worksecret\n\
             aws_session_token = token\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile work]\nregion = eu-west-3\ns3 =\n  addressing_style = path\n",
        )
        .unwrap();
        let home = home.path().to_str().unwrap();
        // The environment's keys are skipped because a profile is named explicitly.
        let config = config(
            &[("profile", "work")],
            &[
                ("HOME", home),
                ("AWS_ACCESS_KEY_ID", "AKENV"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ],
        );
        let settings = AwsSettings::resolve(&config, &label()).unwrap();
        let (credentials, source) = settings.credentials.unwrap();
        assert_eq!(credentials.access_key_id, "AKWORK");
        assert_eq!(credentials.session_token.as_deref(), Some("token"));
        assert!(matches!(source, CredentialSource::Profile { profile, .. } if profile == "work"));
        assert_eq!(settings.region.as_deref(), Some("eu-west-3"));
    }

    #[test]
    fn partial_credentials_are_an_error_without_the_secret() {
        let config = config(&[("access_key_id", "AKOPT")], &[]);
        let error = AwsSettings::resolve(&config, &label()).unwrap_err();
        assert!(matches!(error, RemoteError::Credentials { .. }), "{error}");
    }

    #[test]
    fn debug_output_redacts_every_value() {
        let credentials = S3Credentials {
            access_key_id: "AKIAEXAMPLE".to_owned(),
            secret_access_key: "hunter2".to_owned(),
            session_token: Some("sessiontoken".to_owned()),
        };
        let debug = format!("{credentials:?}");
        for secret in ["AKIAEXAMPLE", "hunter2", "sessiontoken"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
