//! [`OperatorStore`]: a [`NetworkStore`] on any storage OpenDAL reaches (S3, Google Cloud
//! Storage, Azure Blob Storage, WebDAV). The service-specific modules (`s3`, `cloud`) turn a
//! remote's options into an OpenDAL operator and hand it to [`store`].
//!
//! * `failure`: OpenDAL errors → [`RemoteError`]s naming the credentials, bucket or endpoint.
//! * `transfer`: one upload or download.
//! * here: the store, its listings and deletions, and [`finish`], the HTTP client, timeout and
//!   retry layers every service's operator gets.
//!
//! [`ExternalFs`](crate::ExternalFs) reads S3 sources through the same store.

mod failure;
mod transfer;

use std::sync::OnceLock;
use std::time::Duration;

use dv_schema::hash::Md5;
use futures::StreamExt as _;
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, HttpTransporter, Lister, Operator};
use opendal_http_transport_reqwest::ReqwestTransport;
use tokio::runtime::Runtime;

pub(crate) use self::failure::{Target, describe, innermost};
use crate::batch::Stop;
use crate::config::Retries;
use crate::error::{RemoteError, RemoteLabel};
use crate::network::{NetworkStore, Networked, Received};
use crate::runtime::TaskReporter;
use crate::store::{Existence, Get, Policy, Put};

/// A remote reached through an OpenDAL operator.
pub(crate) struct OperatorStore {
    pub(crate) target: Target,
    pub(crate) operator: Operator,
}

/// A store over `operator`, whose errors name `target`; `runtime` may already be started.
pub(crate) fn store(
    target: Target,
    operator: Operator,
    runtime: OnceLock<Runtime>,
) -> Networked<OperatorStore> {
    Networked::new(OperatorStore { target, operator }, runtime)
}

impl NetworkStore for OperatorStore {
    /// The lister and the directory it lists, for messages.
    type Lister = (Lister, String);

    fn label(&self) -> &RemoteLabel {
        &self.target.label
    }

    /// Object stores list and delete; many objects are found by DVC's estimate then listing.
    fn policy(&self) -> Policy {
        Policy {
            existence: Existence::EstimateThenList,
            ..Policy::FULL
        }
    }

    /// One `HEAD`.
    async fn exists(&self, path: &str, _batch: &Stop) -> Result<bool, RemoteError> {
        match self.operator.stat(path).await {
            Ok(_) => Ok(true),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(false),
            Err(error) => Err(self.target.error("check", path, &error)),
        }
    }

    /// Lists `dir/` (the root for `""`), recursively when looking deeper than its children.
    async fn open_lister(&self, dir: &str, depth: usize) -> Result<(Lister, String), RemoteError> {
        let dir = match dir.trim_matches('/') {
            "" => "/".to_owned(),
            dir => format!("{dir}/"),
        };
        let lister = self
            .operator
            .lister_with(&dir)
            .recursive(depth > 1)
            .await
            .map_err(|error| self.target.error("list", &dir, &error))?;
        Ok((lister, dir))
    }

    async fn next_path(
        &self,
        (lister, dir): &mut (Lister, String),
    ) -> Result<Option<String>, RemoteError> {
        match lister.next().await {
            Some(Ok(entry)) => Ok(Some(entry.path().to_owned())),
            Some(Err(error)) => Err(self.target.error("list", dir, &error)),
            None => Ok(None),
        }
    }

    async fn put(&self, item: Put, reporter: &TaskReporter) -> Result<(), RemoteError> {
        transfer::upload(&self.target, &self.operator, item, reporter).await
    }

    async fn get(&self, item: &Get, reporter: &TaskReporter<Md5>) -> Received {
        transfer::receive(&self.target, &self.operator, item, reporter).await
    }

    /// Batched `DeleteObjects` requests where the service has them (OpenDAL's deleter).
    async fn delete_all(&self, paths: &[String], _jobs: usize) -> Result<(), RemoteError> {
        let first = paths.first().cloned().unwrap_or_default();
        self.operator
            .delete_iter(paths.to_vec())
            .await
            .map_err(|error| self.target.error("delete", &first, &error))
    }
}

/// The operator of `builder` sending its requests through `client`, with a timeout per request
/// (`connect_timeout` + `read_timeout`, and `read_timeout` without progress on a transfer) and
/// exponential retries of transient failures per `retries`.
pub(crate) fn build<B: opendal::Builder>(
    builder: B,
    label: &RemoteLabel,
    client: reqwest::Client,
    retries: Retries,
    (connect_timeout, read_timeout): (Duration, Duration),
) -> Result<Operator, RemoteError> {
    let operator = Operator::new(builder).map_err(|error| RemoteError::InvalidUrl {
        remote: label.clone(),
        reason: describe(None, None, &error),
    })?;
    let transport = HttpTransporter::new(ReqwestTransport::new(client));
    let context = operator.base_context().with_http_transport(transport);
    Ok(operator
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
        ))
}
