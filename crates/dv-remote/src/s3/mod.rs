//! S3 and S3-compatible remotes (`s3://BUCKET/PREFIX`, any store with `endpointurl`): the
//! connection built from the remote's options, over the shared [`OperatorStore`].
//!
//! * `connection`: options → OpenDAL operator (endpoint, addressing style, region,
//!   credentials, encryption, ACL).
//!
//! [`ExternalFs`](crate::ExternalFs) reads S3 sources through the same connection.

mod connection;

use std::sync::OnceLock;

pub(crate) use self::connection::connect;
use crate::config::RemoteConfig;
use crate::error::{RemoteError, RemoteLabel};
use crate::network::Networked;
use crate::operator::{self, OperatorStore};

/// Connects to `s3://bucket/prefix` (see [`connect`]).
pub(crate) fn open(
    config: &RemoteConfig,
    label: &RemoteLabel,
    bucket: &str,
    prefix: &str,
) -> Result<Networked<OperatorStore>, RemoteError> {
    let runtime = OnceLock::new();
    let (target, operator) = connect(config, label, bucket, prefix, &runtime)?;
    Ok(operator::store(target, operator, runtime))
}
