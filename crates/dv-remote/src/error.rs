//! [`RemoteError`]: everything that can go wrong opening or using a remote, each variant naming
//! the remote (name and URL) and what was attempted, plus the hint the CLI shows under it.
//! Secrets never reach these messages: credentials are not part of any variant.

use std::fmt;
use std::path::PathBuf;

/// The remote an error is about: its name and URL, shown as ``remote `NAME` (`URL`)``, or as
/// just `` `URL` `` when the name is empty (an import source given by URL rather than a remote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLabel {
    /// The remote's name in the config (`['remote "NAME"']`); empty for a plain URL.
    pub name: String,
    /// The remote's `url` option, with any `user:password@` removed.
    pub url: String,
}

impl RemoteLabel {
    pub(crate) fn new(name: &str, url: &str) -> Self {
        RemoteLabel {
            name: name.to_owned(),
            url: without_userinfo(url),
        }
    }
}

impl RemoteLabel {
    /// Whether this is a plain URL rather than a configured remote.
    fn is_url_only(&self) -> bool {
        self.name.is_empty()
    }

    /// The URL's scheme in lower case (`""` for a local path).
    fn scheme(&self) -> String {
        self.url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// The storage service the URL's scheme names, for messages about its credentials.
    pub(crate) fn service(&self) -> &'static str {
        match self.scheme().as_str() {
            "s3" => "AWS",
            "gs" | "gcs" => "Google Cloud",
            "azure" => "Azure",
            "webdav" | "webdavs" => "WebDAV",
            "ssh" => "SSH",
            "http" | "https" => "HTTP",
            _ => "storage",
        }
    }

    /// Whether the storage is reached through an `endpointurl` (S3, Google Cloud Storage).
    fn has_endpoint_option(&self) -> bool {
        matches!(self.scheme().as_str(), "s3" | "gs")
    }

    /// Whether the URL is an `http://` or `https://` one.
    fn is_http(&self) -> bool {
        let url = self.url.to_ascii_lowercase();
        url.starts_with("http://") || url.starts_with("https://")
    }
}

impl fmt::Display for RemoteLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_url_only() {
            write!(f, "`{}`", self.url)
        } else {
            write!(f, "remote `{}` (`{}`)", self.name, self.url)
        }
    }
}

/// A failure opening or using a remote.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The remote's URL names a storage type `dv` does not support (yet).
    #[error("{remote} has an unsupported remote type: {reason}")]
    Unsupported {
        /// The remote.
        remote: RemoteLabel,
        /// What is unsupported, e.g. ```gs://` remotes are not supported yet``.
        reason: String,
    },
    /// The operation is not available for this kind of storage (e.g. listing a directory of an
    /// HTTP server).
    #[error("{operation} is not supported for {remote}")]
    UnsupportedOperation {
        /// The remote or URL.
        remote: RemoteLabel,
        /// What was attempted, e.g. ``listing directory `data` ``.
        operation: String,
    },
    /// The remote's URL cannot be used (e.g. `s3://` without a bucket).
    #[error("{remote} has an invalid url: {reason}")]
    InvalidUrl {
        /// The remote.
        remote: RemoteLabel,
        /// What is wrong with it.
        reason: String,
    },
    /// An option of the remote's config section has a value that cannot be used.
    #[error("invalid value `{value}` for option `{option}` of {remote}: {reason}")]
    InvalidOption {
        /// The remote.
        remote: RemoteLabel,
        /// The option's name, e.g. `ssl_verify`.
        option: String,
        /// The value given (never a secret: secret options are not validated here).
        value: String,
        /// What was expected.
        reason: String,
    },
    /// The storage refused the credentials (S3 `403`, `InvalidAccessKeyId`,
    /// `SignatureDoesNotMatch`, …) or none could be found.
    #[error("authentication with {remote} failed: {detail}")]
    Credentials {
        /// The remote.
        remote: RemoteLabel,
        /// The storage's error code and message.
        detail: String,
    },
    /// The S3 bucket does not exist.
    #[error("bucket `{bucket}` of {remote} does not exist")]
    MissingBucket {
        /// The remote.
        remote: RemoteLabel,
        /// The bucket named in the URL.
        bucket: String,
    },
    /// The storage endpoint cannot be reached: connection refused, DNS failure, timeout.
    #[error("cannot reach {remote} at `{endpoint}`: {detail}")]
    Unreachable {
        /// The remote.
        remote: RemoteLabel,
        /// The endpoint that was contacted.
        endpoint: String,
        /// The underlying network error.
        detail: String,
    },
    /// An object to download is not on the remote.
    #[error("object `{object}` is missing from {remote}")]
    MissingObject {
        /// The remote.
        remote: RemoteLabel,
        /// The object's path relative to the remote root.
        object: String,
    },
    /// A downloaded object's content does not hash to its name; nothing was written.
    #[error("object `{object}` of {remote} is corrupted: its content hashes to `{actual}`")]
    Corrupted {
        /// The remote.
        remote: RemoteLabel,
        /// The object's path relative to the remote root.
        object: String,
        /// The md5 of the bytes received.
        actual: String,
    },
    /// A downloaded object's content is larger than the size its metafile records; the
    /// download was stopped there and nothing was written.
    #[error(
        "object `{object}` of {remote} is corrupted: it is larger than its recorded size \
         ({size} bytes)"
    )]
    TooLarge {
        /// The remote.
        remote: RemoteLabel,
        /// The object's path relative to the remote root.
        object: String,
        /// The recorded size.
        size: u64,
    },
    /// A local file operation failed.
    #[error("failed to {action} `{}` for {remote}", path.display())]
    Io {
        /// The remote.
        remote: RemoteLabel,
        /// What was being done, e.g. `read` or `write`.
        action: &'static str,
        /// The local path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Any other storage failure.
    #[error("failed to {action} `{object}` on {remote}: {detail}")]
    Storage {
        /// The remote.
        remote: RemoteLabel,
        /// What was being done, e.g. `upload` or `list`.
        action: &'static str,
        /// The object or prefix, relative to the remote root.
        object: String,
        /// The storage's error.
        detail: String,
    },
}

impl RemoteError {
    /// The remote this error is about.
    pub fn remote(&self) -> &RemoteLabel {
        match self {
            RemoteError::Unsupported { remote, .. }
            | RemoteError::UnsupportedOperation { remote, .. }
            | RemoteError::InvalidUrl { remote, .. }
            | RemoteError::InvalidOption { remote, .. }
            | RemoteError::Credentials { remote, .. }
            | RemoteError::MissingBucket { remote, .. }
            | RemoteError::Unreachable { remote, .. }
            | RemoteError::MissingObject { remote, .. }
            | RemoteError::Corrupted { remote, .. }
            | RemoteError::TooLarge { remote, .. }
            | RemoteError::Io { remote, .. }
            | RemoteError::Storage { remote, .. } => remote,
        }
    }

    /// What the user can do about it, for the CLI to print below the error; `None` when there
    /// is nothing more specific to say than the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            RemoteError::Credentials { remote, .. } if remote.is_http() => {
                Some(if remote.is_url_only() {
                    "the server refused the request: check that the URL is public or that the \
                     credentials given for it are right"
                        .to_owned()
                } else {
                    format!(
                        "set the credentials with `dv remote modify --local {name} auth basic`, \
                         `dv remote modify --local {name} user ...` and `dv remote modify --local \
                         {name} password ...`",
                        name = remote.name
                    )
                })
            }
            RemoteError::Credentials { remote, .. } if !remote.is_url_only() => {
                let name = &remote.name;
                match remote.scheme().as_str() {
                    "ssh" => Some(format!(
                        "check the remote's `user`, and its `keyfile` (`dv remote modify --local \
                         {name} keyfile PATH`, or a key in ssh-agent) or `password` (`dv remote \
                         modify --local {name} password ...`)"
                    )),
                    "gs" => Some(format!(
                        "set a service account key file with `dv remote modify --local {name} \
                         credentialpath PATH`, or GOOGLE_APPLICATION_CREDENTIALS"
                    )),
                    "azure" => Some(format!(
                        "set `connection_string`, or `account_name` with `account_key` or \
                         `sas_token`, with `dv remote modify --local {name} ...`"
                    )),
                    "webdav" | "webdavs" => Some(format!(
                        "set `user` and `password` (or a bearer `token`) with `dv remote modify \
                         --local {name} ...`"
                    )),
                    _ => Some(format!(
                        "set access_key_id/secret_access_key with `dv remote modify --local \
                         {name} access_key_id ...` and `dv remote modify --local {name} \
                         secret_access_key ...`, or provide AWS_ACCESS_KEY_ID/\
                         AWS_SECRET_ACCESS_KEY or a profile in `~/.aws/credentials`"
                    )),
                }
            }
            RemoteError::Credentials { remote, .. } if remote.is_url_only() => {
                Some(match remote.scheme().as_str() {
                    "s3" => "provide AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile in \
                             `~/.aws/credentials`"
                        .to_owned(),
                    "gs" => "point GOOGLE_APPLICATION_CREDENTIALS at a service account key file"
                        .to_owned(),
                    _ => "check the credentials available for this storage".to_owned(),
                })
            }
            RemoteError::Unreachable { remote, .. } if remote.is_url_only() => Some(
                "check the URL, and that the server is running and reachable from here".to_owned(),
            ),
            RemoteError::MissingBucket { remote, .. } if remote.is_url_only() => {
                Some("check the bucket name in the URL".to_owned())
            }
            RemoteError::Unreachable { remote, .. } if !remote.has_endpoint_option() => {
                Some(format!(
                    "check that the server is running, and the remote's `url` \
                 (`dv remote modify {} url URL`)",
                    remote.name
                ))
            }
            RemoteError::Unreachable { remote, .. } => Some(format!(
                "check that the storage server is running, and the remote's `endpointurl` \
                 (`dv remote modify {} endpointurl URL`)",
                remote.name
            )),
            RemoteError::MissingBucket { remote, .. } => Some(format!(
                "create the bucket, or point the remote at an existing one with \
                 `dv remote modify {} url {}://BUCKET/PATH`",
                remote.name,
                remote.scheme()
            )),
            _ => None,
        }
    }

    /// Whether this error concerns the whole remote rather than one object, so that a batch
    /// should stop instead of trying the remaining objects.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            RemoteError::Credentials { .. }
                | RemoteError::MissingBucket { .. }
                | RemoteError::Unreachable { .. }
        )
    }
}

/// `url` without the `user:password@` part of its authority, if any.
pub(crate) fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_removed_from_urls() {
        assert_eq!(
            without_userinfo("https://user:secret@example.com/path"),
            "https://example.com/path"
        );
        assert_eq!(without_userinfo("s3://bucket/a@b"), "s3://bucket/a@b");
        assert_eq!(without_userinfo("/local/path"), "/local/path");
    }

    #[test]
    fn credentials_hint_names_the_remote() {
        let error = RemoteError::Credentials {
            remote: RemoteLabel::new("storage", "s3://bucket/store"),
            detail: "InvalidAccessKeyId".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "authentication with remote `storage` (`s3://bucket/store`) failed: InvalidAccessKeyId"
        );
        let hint = error.hint().unwrap_or_default();
        assert!(
            hint.contains("dv remote modify --local storage access_key_id"),
            "{hint}"
        );
    }

    #[test]
    fn credential_messages_name_the_service_of_the_url() {
        let label = |url: &str| RemoteLabel::new("store", url);
        assert_eq!(label("gs://bucket/x").service(), "Google Cloud");
        assert_eq!(label("s3://bucket/x").service(), "AWS");
        assert_eq!(label("azure://container").service(), "Azure");
        for url in ["gs://bucket/x", "azure://container/x"] {
            for name in ["store", ""] {
                let error = RemoteError::Credentials {
                    remote: RemoteLabel::new(name, url),
                    detail: "HTTP status 401 Unauthorized".to_owned(),
                };
                let hint = error.hint().unwrap_or_default();
                assert!(!hint.contains("AWS") && !hint.contains("aws"), "{hint}");
            }
        }
        let error = RemoteError::MissingBucket {
            remote: label("gs://missing/x"),
            bucket: "missing".to_owned(),
        };
        assert!(
            error
                .hint()
                .unwrap_or_default()
                .contains("url gs://BUCKET/PATH")
        );
    }

    #[test]
    fn plain_urls_are_shown_without_a_remote_name() {
        let remote = RemoteLabel::new("", "https://user:pw@example.com/data");
        let error = RemoteError::Credentials {
            remote: remote.clone(),
            detail: "HTTP status 403 Forbidden".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "authentication with `https://example.com/data` failed: HTTP status 403 Forbidden"
        );
        let hint = error.hint().unwrap_or_default();
        assert!(!hint.contains("dv remote modify"), "{hint}");
        let error = RemoteError::UnsupportedOperation {
            remote,
            operation: "listing directory `d`".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "listing directory `d` is not supported for `https://example.com/data`"
        );
    }
}
