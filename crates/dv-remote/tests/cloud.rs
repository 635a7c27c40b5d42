//! Google Cloud Storage, Azure Blob Storage and WebDAV remotes without a server of each kind:
//! their urls and options open the right backend, bad or unsupported options are named, and an
//! endpoint nothing listens on is reported naming the remote and the endpoint, never a secret.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use dv_remote::{Layout, ObjectKey, ObjectKind, Remote, RemoteConfig, RemoteError, RemoteKind};

fn config(url: &str, options: &[(&str, &str)], environment: &[(&str, &str)]) -> RemoteConfig {
    let mut config = RemoteConfig::new(
        "store",
        options
            .iter()
            .chain([("url", url)].iter())
            .map(|(key, value)| (key.to_string(), value.to_string())),
        environment
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string())),
    );
    config.retries.max_retries = 0;
    config.retries.min_delay = Duration::from_millis(10);
    config
}

fn closed_endpoint() -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
}

fn some_key() -> ObjectKey {
    ObjectKey::new([7; 16], ObjectKind::File, Layout::Md5)
}

/// Opens `config` and checks one object: the remote-wide failure, with its message.
fn unreachable(config: &RemoteConfig, kind: RemoteKind) -> (RemoteError, String) {
    let remote = Remote::open(config).unwrap();
    assert_eq!(remote.kind(), kind);
    let error = remote.exists_many(&[some_key()], None).unwrap_err();
    let message = error.to_string();
    (error, message)
}

#[test]
fn gs_remotes_report_an_unreachable_endpoint() {
    let endpoint = closed_endpoint();
    let anonymous = config(
        "gs://bucket/path",
        &[
            ("endpointurl", &endpoint),
            ("allow_anonymous_login", "true"),
        ],
        &[],
    );
    let (error, message) = unreachable(&anonymous, RemoteKind::Gs);
    assert!(
        matches!(error, RemoteError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        message.starts_with(&format!(
            "cannot reach remote `store` (`gs://bucket/path`) at `{endpoint}`"
        )),
        "{message}"
    );
    assert!(
        error
            .hint()
            .unwrap()
            .contains("dv remote modify store endpointurl"),
        "{:?}",
        error.hint()
    );

    let missing = config_with(
        "gs://bucket",
        &[("credentialpath", "/nonexistent/creds.json")],
    );
    let error = Remote::open(&missing).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("option `credentialpath` of remote `store`"),
        "{error}"
    );
}

fn config_with(url: &str, options: &[(&str, &str)]) -> RemoteConfig {
    config(url, options, &[])
}

#[test]
fn azure_remotes_need_an_account_and_report_an_unreachable_endpoint() {
    let error = Remote::open(&config_with("azure://container/path", &[])).unwrap_err();
    assert!(
        matches!(error, RemoteError::Credentials { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("`account_name` or `connection_string`"),
        "{error}"
    );
    let error = Remote::open(&config_with(
        "azure://container/path",
        &[("account_name", "acct"), ("client_secret", "hunter2")],
    ))
    .unwrap_err();
    assert!(
        error.to_string().contains("option `client_secret`"),
        "{error}"
    );
    assert!(!error.to_string().contains("hunter2"), "{error}");

    let endpoint = closed_endpoint();
    let key =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    let connection_string = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};\
         BlobEndpoint={endpoint}/devstoreaccount1;"
    );
    let with_string = config_with(
        "azure://container/path",
        &[("connection_string", &connection_string)],
    );
    let (error, message) = unreachable(&with_string, RemoteKind::Azure);
    assert!(
        matches!(error, RemoteError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        message.starts_with(&format!(
            "cannot reach remote `store` (`azure://container/path`) at \
             `{endpoint}/devstoreaccount1`"
        )),
        "{message}"
    );
    assert!(!message.contains(key), "{message}");

    // The environment's connection string works too.
    let from_environment = config(
        "azure://container",
        &[],
        &[("AZURE_STORAGE_CONNECTION_STRING", &connection_string)],
    );
    let (error, _) = unreachable(&from_environment, RemoteKind::Azure);
    assert!(
        matches!(error, RemoteError::Unreachable { .. }),
        "{error:?}"
    );
}

#[test]
fn webdav_remotes_map_their_urls_and_options() {
    let endpoint = closed_endpoint();
    let host = endpoint.trim_start_matches("http://");
    let url = format!("webdav://{host}/remote/store");
    let with_user = config_with(&url, &[("user", "alice"), ("password", "hunter2")]);
    let (error, message) = unreachable(&with_user, RemoteKind::WebDav);
    assert!(
        matches!(error, RemoteError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        message.starts_with(&format!(
            "cannot reach remote `store` (`{url}`) at `{endpoint}`"
        )),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");

    let secure = Remote::open(&config_with(&format!("webdavs://{host}/x"), &[])).unwrap();
    assert_eq!(secure.kind(), RemoteKind::WebDav);
    let error = Remote::open(&config_with(&url, &[("custom_auth_header", "X-Token")])).unwrap_err();
    assert!(
        error.to_string().contains("option `custom_auth_header`"),
        "{error}"
    );
    let error = Remote::open(&config_with("webdav:///path", &[])).unwrap_err();
    assert!(matches!(error, RemoteError::InvalidUrl { .. }), "{error:?}");
}
