//! Connecting to S3: the OpenDAL operator built from a remote's options (endpoint and
//! addressing style, region, credentials, encryption and ACL), on the shared HTTP client with
//! the shared timeout and retry layers.

use std::sync::OnceLock;
use std::time::Duration;

use opendal::Operator;
use tokio::runtime::Runtime;

use crate::config::{Options, RemoteConfig};
use crate::credentials::AwsSettings;
use crate::error::{RemoteError, RemoteLabel, without_userinfo};
use crate::operator::{Target, build};
use crate::runtime::start_runtime;
use crate::transport::{DEFAULT_TIMEOUT, http_client};

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
        content_type: None,
    };
    let timeouts = (connect_timeout, read_timeout);
    let operator = build(builder, label, client, config.retries, timeouts)?;
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
