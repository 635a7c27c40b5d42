//! Google Cloud Storage (`gs://BUCKET/PREFIX`), Azure Blob Storage
//! (`azure://CONTAINER/PREFIX`) and WebDAV (`webdav://HOST/PATH`, `webdavs://…`) remotes:
//! each remote's DVC options mapped onto an OpenDAL service, over the shared
//! [`OperatorStore`], HTTP client and timeout and retry layers.
//!
//! * gs (dvc-gs): `credentialpath` (else `GOOGLE_APPLICATION_CREDENTIALS`), `endpointurl`,
//!   `allow_anonymous_login`; `projectname` is accepted and not needed.
//! * azure (dvc-azure): `connection_string` (else `AZURE_STORAGE_CONNECTION_STRING`), or
//!   `account_name` (else `AZURE_STORAGE_ACCOUNT`) with `account_key` or `sas_token`, or
//!   `allow_anonymous_login`; `timeout`/`read_timeout` and `connection_timeout`. Service
//!   principals (`tenant_id`, `client_id`, `client_secret`) are refused.
//! * webdav (dvc-webdav): the url with `http`/`https` for `webdav`/`webdavs`, `user` (or the
//!   url's) with `password`, or `token` (a bearer token), `timeout`, `ssl_verify`;
//!   `custom_auth_header`, `ask_password`, client certificates and `bearer_token_command` are
//!   refused.
//!
//! Nothing here contacts the network: failures surface on first use, naming the remote and the
//! endpoint.

use std::sync::OnceLock;
use std::time::Duration;

use crate::config::{Options, RemoteConfig};
use crate::error::{RemoteError, RemoteLabel, without_userinfo};
use crate::network::Networked;
use crate::operator::{self, OperatorStore, Target, build};
use crate::transport::{DEFAULT_TIMEOUT, http_client};

/// Google's storage API.
const GCS_ENDPOINT: &str = "https://storage.googleapis.com";

/// The root OpenDAL wants for a key prefix: `/prefix/`, or `/`.
fn root(prefix: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        "/".to_owned()
    } else {
        format!("/{prefix}/")
    }
}

/// An error for an option that cannot be used; `shown` is the value shown (never a secret).
fn invalid(label: &RemoteLabel, option: &str, shown: &str, reason: &str) -> RemoteError {
    RemoteError::InvalidOption {
        remote: label.clone(),
        option: option.to_owned(),
        value: shown.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The store over `builder`'s operator, with the shared client and layers.
fn store<B: opendal::Builder>(
    config: &RemoteConfig,
    label: &RemoteLabel,
    builder: B,
    target: Target,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<Networked<OperatorStore>, RemoteError> {
    opendal::install_default();
    let options = Options { config, label };
    let client = http_client(&options, connect_timeout, read_timeout)?;
    let timeouts = (connect_timeout, read_timeout);
    let operator = build(builder, label, client, config.retries, timeouts)?;
    Ok(operator::store(target, operator, OnceLock::new()))
}

/// A `gs://bucket/prefix` remote.
pub(crate) fn open_gcs(
    config: &RemoteConfig,
    label: &RemoteLabel,
    bucket: &str,
    prefix: &str,
) -> Result<Networked<OperatorStore>, RemoteError> {
    let options = Options { config, label };
    let endpoint = config
        .option("endpointurl")
        .unwrap_or(GCS_ENDPOINT)
        .trim_end_matches('/')
        .to_owned();
    let mut builder = opendal::services::Gcs::default()
        .bucket(bucket)
        .root(&root(prefix))
        .endpoint(&endpoint);
    let credentials = config
        .option("credentialpath")
        .map(|path| config.expand_user(path))
        .or_else(|| {
            config
                .env("GOOGLE_APPLICATION_CREDENTIALS")
                .map(str::to_owned)
        });
    if let Some(path) = credentials {
        if !std::path::Path::new(&path).is_file() {
            return Err(invalid(
                label,
                "credentialpath",
                &path,
                "no such credentials file",
            ));
        }
        builder = builder.credential_path(&path);
    }
    if options.bool("allow_anonymous_login", false)? {
        builder = builder.skip_signature().disable_vm_metadata();
    }
    let target = Target {
        label: label.clone(),
        endpoint: without_userinfo(&endpoint),
        bucket: bucket.to_owned(),
        // As gcsfs uploads (and GCS reports `null` without one in some servers).
        content_type: Some("application/octet-stream"),
    };
    store(
        config,
        label,
        builder,
        target,
        DEFAULT_TIMEOUT,
        DEFAULT_TIMEOUT,
    )
}

/// An `azure://container/prefix` remote.
pub(crate) fn open_azure(
    config: &RemoteConfig,
    label: &RemoteLabel,
    container: &str,
    prefix: &str,
) -> Result<Networked<OperatorStore>, RemoteError> {
    let options = Options { config, label };
    for unsupported in ["tenant_id", "client_id", "client_secret"] {
        if config.option(unsupported).is_some() {
            return Err(invalid(
                label,
                unsupported,
                "…",
                "Azure service principals are not supported by dv yet: use `connection_string`, \
                 `account_key` or `sas_token`",
            ));
        }
    }
    let connection_string = config
        .option("connection_string")
        .or_else(|| config.env("AZURE_STORAGE_CONNECTION_STRING"));
    let endpoint;
    let mut builder = match connection_string {
        Some(connection_string) => {
            endpoint = connection_endpoint(connection_string);
            opendal::services::Azblob::from_connection_string(connection_string).map_err(|_| {
                invalid(
                    label,
                    "connection_string",
                    "…",
                    "not an Azure Storage connection string",
                )
            })?
        }
        None => {
            let Some(account) = config
                .option("account_name")
                .or_else(|| config.env("AZURE_STORAGE_ACCOUNT"))
            else {
                return Err(RemoteError::Credentials {
                    remote: label.clone(),
                    detail: "Azure Blob Storage needs `account_name` or `connection_string`"
                        .to_owned(),
                });
            };
            endpoint = format!("https://{account}.blob.core.windows.net");
            let mut builder = opendal::services::Azblob::default()
                .account_name(account)
                .endpoint(&endpoint);
            if let Some(key) = config
                .option("account_key")
                .or_else(|| config.env("AZURE_STORAGE_KEY"))
            {
                builder = builder.account_key(key);
            }
            if let Some(token) = config
                .option("sas_token")
                .or_else(|| config.env("AZURE_STORAGE_SAS_TOKEN"))
            {
                builder = builder.sas_token(token);
            }
            builder
        }
    };
    builder = builder.container(container).root(&root(prefix));
    if options.bool("allow_anonymous_login", false)? {
        builder = builder.skip_signature();
    }
    let read_timeout = options
        .seconds("read_timeout")?
        .or(options.seconds("timeout")?)
        .unwrap_or(DEFAULT_TIMEOUT);
    let connect_timeout = options
        .seconds("connection_timeout")?
        .unwrap_or(DEFAULT_TIMEOUT);
    let target = Target {
        label: label.clone(),
        endpoint,
        bucket: container.to_owned(),
        content_type: None,
    };
    store(
        config,
        label,
        builder,
        target,
        connect_timeout,
        read_timeout,
    )
}

/// The blob endpoint a connection string names (`BlobEndpoint`, the development storage, or
/// the account's endpoint under `EndpointSuffix`), for messages.
fn connection_endpoint(connection_string: &str) -> String {
    let field = |name: &str| {
        connection_string.split(';').find_map(|part| {
            let (key, value) = part.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    if let Some(endpoint) = field("BlobEndpoint") {
        return without_userinfo(endpoint.trim_end_matches('/'));
    }
    if field("UseDevelopmentStorage").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
        return "http://127.0.0.1:10000/devstoreaccount1".to_owned();
    }
    let protocol = field("DefaultEndpointsProtocol").unwrap_or_else(|| "https".to_owned());
    let account = field("AccountName").unwrap_or_default();
    let suffix = field("EndpointSuffix").unwrap_or_else(|| "core.windows.net".to_owned());
    format!("{protocol}://{account}.blob.{suffix}")
}

/// A `webdav://host/path` (`http`) or `webdavs://host/path` (`https`) remote.
pub(crate) fn open_webdav(
    config: &RemoteConfig,
    label: &RemoteLabel,
    secure: bool,
    rest: &str,
) -> Result<Networked<OperatorStore>, RemoteError> {
    let options = Options { config, label };
    for unsupported in [
        "custom_auth_header",
        "cert_path",
        "key_path",
        "bearer_token_command",
    ] {
        options.reject(unsupported)?;
    }
    let scheme = if secure { "https" } else { "http" };
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    };
    let (url_user, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (
            Some(userinfo.split(':').next().unwrap_or_default().to_owned()),
            host,
        ),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(RemoteError::InvalidUrl {
            remote: label.clone(),
            reason: "a `webdav://` url needs a host: `webdav://host/path`".to_owned(),
        });
    }
    let endpoint = format!("{scheme}://{host}");
    let mut builder = opendal::services::Webdav::default()
        .endpoint(&endpoint)
        .root(&root(path));
    if let Some(token) = config.option("token") {
        builder = builder.token(token);
    } else if let Some(user) = config.option("user").map(str::to_owned).or(url_user) {
        let password = match config.options.get("password") {
            Some(password) => password.clone(),
            None if options.bool("ask_password", false)? => {
                return Err(invalid(
                    label,
                    "ask_password",
                    "true",
                    "dv cannot ask for passwords yet: set `password` with `dv remote modify \
                     --local`",
                ));
            }
            None => String::new(),
        };
        builder = builder.username(&user).password(&password);
    }
    let timeout = options
        .seconds("timeout")?
        .unwrap_or(Duration::from_secs(30));
    let target = Target {
        label: label.clone(),
        endpoint: endpoint.clone(),
        bucket: String::new(),
        content_type: None,
    };
    store(config, label, builder, target, timeout, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_roots() {
        assert_eq!(root(""), "/");
        assert_eq!(root("/a/b/"), "/a/b/");
    }

    #[test]
    fn connection_strings_name_their_endpoint() {
        assert_eq!(
            connection_endpoint(
                "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k;\
                 BlobEndpoint=http://127.0.0.1:10000/a;"
            ),
            "http://127.0.0.1:10000/a"
        );
        assert_eq!(
            connection_endpoint("AccountName=acct;AccountKey=secret"),
            "https://acct.blob.core.windows.net"
        );
        assert_eq!(
            connection_endpoint("UseDevelopmentStorage=true"),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
    }
}
