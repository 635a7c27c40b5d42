//! Turning OpenDAL's S3 errors into [`RemoteError`]s that say whether the credentials, the
//! bucket or the endpoint is at fault: S3 error codes from the XML body, HTTP statuses of
//! body-less `HEAD` responses, and network causes (connection refused, DNS, timeouts) found in
//! the error's source chain.

use std::io;
use std::path::PathBuf;

use opendal::ErrorKind;

use crate::error::{RemoteError, RemoteLabel};

/// S3 error codes that mean the request's credentials were refused.
const CREDENTIAL_ERRORS: &[&str] = &[
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "InvalidSecurity",
    "AllAccessDisabled",
];

/// What error messages name: the remote, the endpoint contacted and the bucket; and the
/// `Content-Type` uploads are sent with, when the service wants one.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) label: RemoteLabel,
    pub(crate) endpoint: String,
    pub(crate) bucket: String,
    pub(crate) content_type: Option<&'static str>,
}

impl Target {
    /// Maps an OpenDAL error from `action` on `object` (a remote-relative path).
    pub(crate) fn error(
        &self,
        action: &'static str,
        object: &str,
        error: &opendal::Error,
    ) -> RemoteError {
        let (code, message) = s3_error_code(error.message());
        if code.as_deref() == Some("NoSuchBucket") {
            return RemoteError::MissingBucket {
                remote: self.label.clone(),
                bucket: self.bucket.clone(),
            };
        }
        if error.message() == "signing http request" {
            // OpenDAL's request signer failed: no credentials were found (or could be fetched).
            let cause = std::error::Error::source(error)
                .map(innermost)
                .unwrap_or_default();
            return RemoteError::Credentials {
                remote: self.label.clone(),
                detail: format!(
                    "no usable {} credentials were found ({cause})",
                    self.label.service()
                ),
            };
        }
        let detail = describe(code.as_deref(), message.as_deref(), error);
        let refused = code
            .as_deref()
            .is_some_and(|code| CREDENTIAL_ERRORS.contains(&code))
            // Services other than S3 report refused credentials as bare 401/403 statuses.
            || detail.starts_with("HTTP status 401")
            || detail.starts_with("HTTP status 403");
        if refused || error.kind() == ErrorKind::PermissionDenied {
            return RemoteError::Credentials {
                remote: self.label.clone(),
                detail,
            };
        }
        if let Some(detail) = unreachable_detail(error) {
            return RemoteError::Unreachable {
                remote: self.label.clone(),
                endpoint: self.endpoint.clone(),
                detail,
            };
        }
        RemoteError::Storage {
            remote: self.label.clone(),
            action,
            object: object.to_owned(),
            detail,
        }
    }

    pub(crate) fn io_error(
        &self,
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    ) -> RemoteError {
        RemoteError::Io {
            remote: self.label.clone(),
            action,
            path,
            source,
        }
    }
}

/// The `code` and `message` of an S3 XML error, which OpenDAL puts in its message as
/// `S3Error { code: "…", message: "…", … }`.
fn s3_error_code(text: &str) -> (Option<String>, Option<String>) {
    let field = |name: &str| {
        let start = text.find(&format!("{name}: \""))? + name.len() + 3;
        let end = text[start..].find('"')?;
        Some(text[start..start + end].to_owned()).filter(|value| !value.is_empty())
    };
    if !text.starts_with("S3Error") {
        return (None, None);
    }
    (field("code"), field("message"))
}

/// A one-line description: the S3 code and message, else the HTTP status or OpenDAL's message.
pub(crate) fn describe(
    code: Option<&str>,
    message: Option<&str>,
    error: &opendal::Error,
) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => {
            let full = error.to_string();
            let status = full
                .find("status: ")
                .map(|start| &full[start + 8..])
                .map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .filter(|status| !status.is_empty());
            match status {
                Some(status) => format!("HTTP status {status} ({})", error.kind()),
                None if error.message().is_empty() => error.kind().to_string(),
                None => error.message().to_owned(),
            }
        }
    }
}

/// The network failure behind `error`, if it is one: connection refused or reset, DNS failure,
/// or a timeout.
fn unreachable_detail(error: &opendal::Error) -> Option<String> {
    if error.message().contains("timeout reached") {
        return Some("the request timed out".to_owned());
    }
    let mut source = std::error::Error::source(error);
    while let Some(current) = source {
        if let Some(request) = current.downcast_ref::<reqwest::Error>()
            && (request.is_connect() || request.is_timeout())
        {
            return Some(innermost(current));
        }
        if let Some(io) = current.downcast_ref::<io::Error>()
            && matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::AddrNotAvailable
            )
        {
            return Some(io.to_string());
        }
        source = current.source();
    }
    None
}

/// The message of the deepest cause of `error`.
pub(crate) fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_error_codes_are_extracted() {
        let text = "S3Error { code: \"NoSuchBucket\", message: \"The specified bucket does not \
                    exist\", resource: \"\", request_id: \"\" }";
        assert_eq!(
            s3_error_code(text),
            (
                Some("NoSuchBucket".to_owned()),
                Some("The specified bucket does not exist".to_owned())
            )
        );
        assert_eq!(s3_error_code("something else"), (None, None));
    }
}
