//! [`Location`]: what a remote's `url` points at (a local directory, an S3 bucket and prefix, a
//! web server),
//! and the schemes that are recognised but not supported yet.

use std::path::PathBuf;

use crate::config::RemoteConfig;
use crate::error::{RemoteError, RemoteLabel};
use crate::ssh::SshUrl;

/// Where a remote's objects live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A directory (`/path`, `~/path`, `file:///path`).
    Local(PathBuf),
    /// An S3 (or S3-compatible) bucket and the key prefix inside it, without leading or
    /// trailing `/` (empty for the bucket root).
    S3 { bucket: String, prefix: String },
    /// A web server: the remote's `url` as given (`http://…` or `https://…`).
    Http(String),
    /// A directory on an SSH server (`ssh://[user@]host[:port]/path`).
    Ssh(SshUrl),
    /// A Google Cloud Storage bucket and key prefix (`gs://bucket/prefix`).
    Gcs { bucket: String, prefix: String },
    /// An Azure Blob Storage container and key prefix (`azure://container/prefix`).
    Azure { container: String, prefix: String },
    /// A WebDAV server: whether it is `webdavs://` (https), and the url after the scheme.
    WebDav { secure: bool, rest: String },
}

impl Location {
    /// Parses the remote's `url` option.
    pub(crate) fn parse(config: &RemoteConfig, label: &RemoteLabel) -> Result<Self, RemoteError> {
        let invalid = |reason: &str| RemoteError::InvalidUrl {
            remote: label.clone(),
            reason: reason.to_owned(),
        };
        let Some(url) = config.option("url") else {
            return Err(invalid("the remote has no `url`"));
        };
        let Some((scheme, rest)) = split_scheme(url) else {
            return Ok(Location::Local(PathBuf::from(config.expand_user(url))));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "file" => {
                // `file:///abs/path`, or `file://localhost/abs/path`.
                let path = rest.strip_prefix("localhost").unwrap_or(rest);
                if path.is_empty() {
                    return Err(invalid("a `file://` url needs a path"));
                }
                Ok(Location::Local(PathBuf::from(path)))
            }
            "s3" => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(invalid("an `s3://` url needs a bucket: `s3://BUCKET/PATH`"));
                }
                Ok(Location::S3 {
                    bucket: bucket.to_owned(),
                    prefix: prefix.trim_matches('/').to_owned(),
                })
            }
            "http" | "https" => Ok(Location::Http(url.to_owned())),
            "gs" | "azure" => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                let prefix = prefix.trim_matches('/').to_owned();
                if bucket.is_empty() {
                    return Err(invalid(&format!(
                        "a `{scheme}://` url needs a {}: `{scheme}://NAME/PATH`",
                        if scheme == "gs" {
                            "bucket"
                        } else {
                            "container"
                        }
                    )));
                }
                let bucket = bucket.to_owned();
                Ok(if scheme.eq_ignore_ascii_case("gs") {
                    Location::Gcs { bucket, prefix }
                } else {
                    Location::Azure {
                        container: bucket,
                        prefix,
                    }
                })
            }
            "webdav" | "webdavs" => Ok(Location::WebDav {
                secure: scheme.eq_ignore_ascii_case("webdavs"),
                rest: rest.to_owned(),
            }),
            "ssh" => SshUrl::parse(rest)
                .map(Location::Ssh)
                .map_err(|reason| invalid(&reason)),
            other => Err(RemoteError::Unsupported {
                remote: label.clone(),
                reason: format!("`{other}://` remotes are not supported yet"),
            }),
        }
    }
}

/// The scheme and the rest of `url` when it matches DVC's `^\w+://`.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let is_word = !scheme.is_empty()
        && scheme
            .chars()
            .all(|character| character.is_alphanumeric() || character == '_');
    is_word.then_some((scheme, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<Location, RemoteError> {
        let config = RemoteConfig::new(
            "storage",
            [("url".to_owned(), url.to_owned())],
            [("HOME".to_owned(), "/home/user".to_owned())],
        );
        Location::parse(&config, &RemoteLabel::new("storage", url))
    }

    #[test]
    fn local_and_s3_urls_are_recognised() {
        assert_eq!(
            parse("/srv/store").ok(),
            Some(Location::Local("/srv/store".into()))
        );
        assert_eq!(
            parse("~/store").ok(),
            Some(Location::Local("/home/user/store".into()))
        );
        assert_eq!(
            parse("file:///srv/store").ok(),
            Some(Location::Local("/srv/store".into()))
        );
        assert_eq!(
            parse("s3://bucket/path/to/store/").ok(),
            Some(Location::S3 {
                bucket: "bucket".into(),
                prefix: "path/to/store".into()
            })
        );
        assert_eq!(
            parse("s3://bucket").ok(),
            Some(Location::S3 {
                bucket: "bucket".into(),
                prefix: String::new()
            })
        );
    }

    #[test]
    fn other_schemes_are_unsupported() {
        for url in ["hdfs://host/x", "oss://bucket/x", "gdrive://folder"] {
            let error = parse(url).err().map(|error| error.to_string());
            let expected = format!(
                "`{}://` remotes are not supported yet",
                &url[..url.find(':').unwrap_or(0)]
            );
            assert!(
                error
                    .as_deref()
                    .is_some_and(|error| error.contains(&expected)),
                "{url}: {error:?}"
            );
        }
        assert!(matches!(
            parse("s3:///x"),
            Err(RemoteError::InvalidUrl { .. })
        ));
    }
}
