//! Connecting to S3: the OpenDAL operator built from a remote's options (endpoint and
//! addressing style, region, credentials, encryption and ACL), the reqwest client under it
//! (`ssl_verify`, timeouts, proxies from the environment passed in; HTTP import sources use the
//! same client), and the timeout and retry layers around it.

use std::sync::OnceLock;
use std::time::Duration;

use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{HttpTransporter, Operator};
use opendal_http_transport_reqwest::ReqwestTransport;
use tokio::runtime::Runtime;

use super::failure::{Target, describe};
use crate::config::{Options, RemoteConfig, parse_bool};
use crate::credentials::AwsSettings;
use crate::error::{RemoteError, RemoteLabel, without_userinfo};
use crate::runtime::start_runtime;

/// botocore's default connect and read timeouts.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to wait for AWS to tell a bucket's region before assuming [`DEFAULT_REGION`].
const REGION_DETECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// The region used when nothing else names one.
const DEFAULT_REGION: &str = "us-east-1";

/// The OpenDAL operator for `s3://bucket/prefix`, configured from the remote's options, and
/// the names its errors mention. Contacts the network only when no region is configured and no
/// `endpointurl` is set, to ask AWS for the bucket's region (like DVC's `cache_regions`),
/// starting the runtime in `runtime` for that.
pub(crate) fn connect(
    config: &RemoteConfig,
    label: &RemoteLabel,
    bucket: &str,
    prefix: &str,
    runtime: &OnceLock<Runtime>,
) -> Result<(Target, Operator), RemoteError> {
    opendal::install_default();
    let options = Options { config, label };
    for unsupported in [
        "sse_customer_key",
        "sse_customer_algorithm",
        "grant_read",
        "grant_read_acp",
        "grant_write_acp",
        "grant_full_control",
    ] {
        options.reject(unsupported)?;
    }
    let use_ssl = options.bool("use_ssl", true)?;
    let connect_timeout = options
        .seconds("connect_timeout")?
        .unwrap_or(DEFAULT_TIMEOUT);
    let read_timeout = options.seconds("read_timeout")?.unwrap_or(DEFAULT_TIMEOUT);
    let client = http_client(&options, connect_timeout, read_timeout)?;
    let settings = AwsSettings::resolve(config, label)?;

    let configured_endpoint = config
        .option("endpointurl")
        .or_else(|| config.env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| config.env("AWS_ENDPOINT_URL"))
        .map(|endpoint| with_scheme(endpoint.trim_end_matches('/'), use_ssl));

    let region = match (&settings.region, &configured_endpoint) {
        (Some(region), _) => region.clone(),
        (None, Some(_)) => DEFAULT_REGION.to_owned(),
        (None, None) => {
            let runtime = start_runtime(runtime, label)?;
            runtime
                .block_on(async {
                    let detect = detect_bucket_region(&client, bucket);
                    tokio::time::timeout(REGION_DETECTION_TIMEOUT, detect).await
                })
                .ok()
                .flatten()
                .unwrap_or_else(|| DEFAULT_REGION.to_owned())
        }
    };
    let scheme = if use_ssl { "https" } else { "http" };
    let endpoint = configured_endpoint
        .clone()
        .unwrap_or_else(|| format!("{scheme}://s3.{region}.amazonaws.com"));

    let root = if prefix.is_empty() {
        "/".to_owned()
    } else {
        format!("/{prefix}/")
    };
    let mut builder = opendal::services::S3::default()
        .bucket(bucket)
        .root(&root)
        .region(&region)
        .endpoint(&endpoint)
        .disable_config_load();
    if configured_endpoint.is_none() {
        // AWS itself: virtual-hosted addressing unless the bucket name has dots, which
        // would break TLS host names. S3-compatible stores get path-style addressing.
        if !bucket.contains('.') {
            builder = builder.enable_virtual_host_style();
        }
    } else {
        // Instance metadata is an AWS concept; asking it on another store only adds delay.
        builder = builder.disable_ec2_metadata();
    }
    match &settings.credentials {
        Some((credentials, _source)) => {
            builder = builder
                .access_key_id(&credentials.access_key_id)
                .secret_access_key(&credentials.secret_access_key);
            if let Some(token) = &credentials.session_token {
                builder = builder.session_token(token);
            }
        }
        None if options.bool("allow_anonymous_login", false)? => {
            builder = builder.skip_signature();
        }
        None => {}
    }
    if let Some(sse) = config.option("sse") {
        builder = builder.server_side_encryption(sse);
    }
    if let Some(key_id) = config.option("sse_kms_key_id") {
        builder = builder.server_side_encryption_aws_kms_key_id(key_id);
    }
    if let Some(acl) = config.option("acl") {
        builder = builder.default_acl(acl);
    }

    let target = Target {
        label: label.clone(),
        endpoint: without_userinfo(&endpoint),
        bucket: bucket.to_owned(),
    };
    let operator = Operator::new(builder).map_err(|error| RemoteError::InvalidUrl {
        remote: label.clone(),
        reason: describe(None, None, &error),
    })?;
    let transport = HttpTransporter::new(ReqwestTransport::new(client));
    let context = operator.base_context().with_http_transport(transport);
    let retries = config.retries;
    let operator = operator
        .with_context(context)
        .layer(
            TimeoutLayer::new()
                .with_timeout(connect_timeout + read_timeout)
                .with_io_timeout(read_timeout),
        )
        .layer(
            RetryLayer::new()
                .with_max_times(retries.max_retries)
                .with_min_delay(retries.min_delay)
                .with_max_delay(retries.max_delay)
                .with_factor(2.0)
                .with_jitter(),
        );
    Ok((target, operator))
}

/// `endpoint` with `https://` (or `http://` when `use_ssl` is false) added if it has no scheme.
fn with_scheme(endpoint: &str, use_ssl: bool) -> String {
    if endpoint.contains("://") {
        endpoint.to_owned()
    } else if use_ssl {
        format!("https://{endpoint}")
    } else {
        format!("http://{endpoint}")
    }
}

/// The HTTP client: timeouts, TLS verification per `ssl_verify` (`true`, `false` or the path
/// of a CA bundle), and proxies from the environment passed in.
pub(crate) fn http_client(
    options: &Options<'_>,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<reqwest::Client, RemoteError> {
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
    builder.build().map_err(|error| RemoteError::Storage {
        remote: options.label.clone(),
        action: "create the HTTP client",
        object: String::new(),
        detail: error.to_string(),
    })
}

/// Asks AWS which region `bucket` is in (the `x-amz-bucket-region` header of an anonymous
/// `HEAD`, present even when access is denied).
async fn detect_bucket_region(client: &reqwest::Client, bucket: &str) -> Option<String> {
    let url = format!("https://s3.amazonaws.com/{bucket}");
    let response = client.head(url).send().await.ok()?;
    let region = response
        .headers()
        .get("x-amz-bucket-region")?
        .to_str()
        .ok()?;
    Some(region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_get_a_scheme() {
        assert_eq!(with_scheme("minio:9000", true), "https://minio:9000");
        assert_eq!(with_scheme("minio:9000", false), "http://minio:9000");
        assert_eq!(with_scheme("http://h:1", true), "http://h:1");
    }
}
