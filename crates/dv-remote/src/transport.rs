//! [`http_client`]: the reqwest client under every HTTP-based backend (S3, Google Cloud Storage,
//! Azure, WebDAV, HTTP remotes and import sources), configured from DVC's common options:
//! `ssl_verify`, `connect_timeout`, `read_timeout`, and proxies from the environment passed in.

use std::time::Duration;

use crate::config::{Options, parse_bool};
use crate::error::{RemoteError, without_userinfo};

/// The default connect and read timeouts (botocore's, and dvc-http's).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The HTTP client: timeouts, TLS verification per `ssl_verify` (`true`, `false` or the path
/// of a CA bundle), and proxies from the environment passed in. Redirects are followed by
/// reqwest, which drops `Authorization` on a change of origin.
pub(crate) fn http_client(
    options: &Options<'_>,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<reqwest::Client, RemoteError> {
    build(
        options,
        http_client_builder(options, connect_timeout, read_timeout)?,
    )
}

/// [`http_client`] that never follows a redirect: the caller follows them itself, deciding
/// which headers go to which origin.
pub(crate) fn http_client_without_redirects(
    options: &Options<'_>,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<reqwest::Client, RemoteError> {
    let builder = http_client_builder(options, connect_timeout, read_timeout)?
        .redirect(reqwest::redirect::Policy::none());
    build(options, builder)
}

fn http_client_builder(
    options: &Options<'_>,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<reqwest::ClientBuilder, RemoteError> {
    let config = options.config;
    let invalid = |option: &str, value: &str, reason: String| RemoteError::InvalidOption {
        remote: options.label.clone(),
        option: option.to_owned(),
        value: without_userinfo(value),
        reason,
    };
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .no_proxy();
    match config.option("ssl_verify") {
        None => {}
        Some(value) => match parse_bool(value) {
            Some(true) => {}
            Some(false) => builder = builder.tls_danger_accept_invalid_certs(true),
            None => {
                let path = config.expand_user(value);
                let pem = std::fs::read(&path).map_err(|error| {
                    invalid(
                        "ssl_verify",
                        value,
                        format!("cannot read the CA bundle: {error}"),
                    )
                })?;
                let certificates =
                    reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| {
                        invalid("ssl_verify", value, format!("not a PEM CA bundle: {error}"))
                    })?;
                builder = builder.tls_certs_only(certificates);
            }
        },
    }
    let variable = |name: &str| {
        config
            .env(name)
            .or_else(|| config.env(&name.to_lowercase()))
    };
    let no_proxy = variable("NO_PROXY").and_then(reqwest::NoProxy::from_string);
    for name in ["HTTPS_PROXY", "HTTP_PROXY"] {
        if let Some(url) = variable(name) {
            let proxy = if name == "HTTPS_PROXY" {
                reqwest::Proxy::https(url)
            } else {
                reqwest::Proxy::http(url)
            }
            .map_err(|error| invalid(name, url, format!("not a proxy URL: {error}")))?;
            builder = builder.proxy(proxy.no_proxy(no_proxy.clone()));
        }
    }
    Ok(builder)
}

fn build(
    options: &Options<'_>,
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::Client, RemoteError> {
    builder.build().map_err(|error| RemoteError::Storage {
        remote: options.label.clone(),
        action: "create the HTTP client",
        object: String::new(),
        detail: error.to_string(),
    })
}
