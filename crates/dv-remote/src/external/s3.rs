//! [`S3Source`]: an `s3://bucket/prefix` import source, read through the S3 remotes' OpenDAL
//! connection (same options, credentials, endpoint, retries and error messages): `HEAD`s and
//! listings for what is at a path, ListObjectVersions when version-aware, and hashed downloads.

use std::collections::HashMap;
use std::sync::OnceLock;

use futures::StreamExt as _;
use opendal::{ErrorKind, Metadata, Operator};

use super::{ExternalChild, ExternalEntry, ExternalFile, stat_all};
use crate::config::RemoteConfig;
use crate::error::{RemoteError, RemoteLabel};
use crate::network::Networked;
use crate::operator::{self, OperatorStore, Target};
use crate::s3::connect;

/// How many paths of one directory make `stat_many` list the directory instead of sending a
/// `HEAD` for each.
const LIST_THRESHOLD: usize = 16;

/// A direct child of a listed directory.
enum Child {
    File(ExternalFile),
    Directory,
}

/// An S3 import source.
pub(super) struct S3Source {
    pub(super) store: Networked<OperatorStore>,
    version_aware: bool,
}

impl S3Source {
    /// Connects like an S3 remote (see [`connect`]).
    pub(super) fn open(
        config: &RemoteConfig,
        label: &RemoteLabel,
        bucket: &str,
        prefix: &str,
        version_aware: bool,
    ) -> Result<Self, RemoteError> {
        let runtime = OnceLock::new();
        let (target, operator) = connect(config, label, bucket, prefix, &runtime)?;
        Ok(S3Source {
            store: operator::store(target, operator, runtime),
            version_aware,
        })
    }

    fn target(&self) -> &Target {
        &self.store.backend().target
    }

    fn operator(&self) -> &Operator {
        &self.store.backend().operator
    }

    pub(super) fn stat(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        self.store.runtime()?.block_on(self.stat_one(path))
    }

    pub(super) fn stat_many(
        &self,
        paths: &[String],
        jobs: usize,
    ) -> Vec<Result<Option<ExternalEntry>, RemoteError>> {
        let Ok(runtime) = self.store.runtime() else {
            let known = (0..paths.len()).map(|_| None).collect();
            return stat_all(&self.store, paths, known, jobs, |path| self.stat_one(path));
        };
        // Many paths in one directory (a catalog of objects under one prefix) are answered
        // from a listing of that directory, a thousand keys per request, instead of one
        // `HEAD` each; whatever the listing does not settle is looked up one by one.
        let mut listed: Vec<Option<Result<Option<ExternalEntry>, RemoteError>>> =
            (0..paths.len()).map(|_| None).collect();
        if !self.version_aware {
            let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
            for (index, path) in paths.iter().enumerate() {
                let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
                groups.entry(parent).or_default().push(index);
            }
            for (parent, members) in groups {
                if members.len() < LIST_THRESHOLD {
                    continue;
                }
                // Bounded: at most a few listing pages per path asked about.
                let budget = members.len().saturating_mul(4).max(1000);
                let Ok(Some(children)) = runtime.block_on(self.children(parent, budget)) else {
                    continue;
                };
                for index in members {
                    let path = &paths[index];
                    let name = path
                        .rsplit_once('/')
                        .map_or(path.as_str(), |(_, name)| name);
                    listed[index] = Some(Ok(match children.get(name) {
                        Some(Child::File(file)) => {
                            let mut file = file.clone();
                            file.relpath.clone_from(path);
                            Some(ExternalEntry::File(file))
                        }
                        Some(Child::Directory) => Some(ExternalEntry::Directory),
                        None => None,
                    }));
                }
            }
        }
        stat_all(&self.store, paths, listed, jobs, |path| self.stat_one(path))
    }

    /// The direct children of directory `dir` (files with their metadata, and
    /// subdirectories), from a non-recursive listing; `None` when the directory has more than
    /// `budget` children (the listing is abandoned), or the listing failed (the caller falls
    /// back to `HEAD`s, which report the failure).
    async fn children(
        &self,
        dir: &str,
        budget: usize,
    ) -> Result<Option<HashMap<String, Child>>, RemoteError> {
        let Ok(Some(listed)) = self.list_children(dir, Some(budget)).await else {
            return Ok(None);
        };
        let children = listed
            .into_iter()
            .filter_map(|child| match child {
                ExternalChild::File(file) if !file.relpath.is_empty() => {
                    Some((file.relpath.clone(), Child::File(file)))
                }
                ExternalChild::File(_) => None,
                ExternalChild::Directory(name) => Some((name, Child::Directory)),
            })
            .collect();
        Ok(Some(children))
    }

    /// The direct children of directory `dir` in listing order (see
    /// [`ExternalFs::list_directory`]); `None` when there are more than `budget`.
    async fn list_children(
        &self,
        dir: &str,
        budget: Option<usize>,
    ) -> Result<Option<Vec<ExternalChild>>, RemoteError> {
        let prefix = directory(dir);
        let error = |error: &opendal::Error| self.target().error("list", &prefix, error);
        let mut lister = self
            .operator()
            .lister_with(&prefix)
            .recursive(false)
            .await
            .map_err(|failure| error(&failure))?;
        let own = prefix.trim_start_matches('/');
        let mut children = Vec::new();
        while let Some(entry) = lister.next().await {
            let entry = entry.map_err(|failure| error(&failure))?;
            if budget.is_some_and(|budget| children.len() >= budget) {
                return Ok(None);
            }
            let path = entry.path().trim_start_matches('/');
            let Some(rest) = path.strip_prefix(own) else {
                continue;
            };
            let metadata = entry.metadata();
            if rest.is_empty() {
                // The directory's own marker object (`dir/`), listed among its contents.
                if !own.is_empty() {
                    children.push(ExternalChild::File(self.file("", metadata)));
                }
            } else if let Some(name) = rest.strip_suffix('/') {
                children.push(ExternalChild::Directory(name.to_owned()));
            } else if metadata.is_file() {
                children.push(ExternalChild::File(self.file(rest, metadata)));
            }
        }
        Ok(Some(children))
    }

    /// See [`ExternalFs::list_directory`].
    pub(super) fn list_directory(&self, dir: &str) -> Result<Vec<ExternalChild>, RemoteError> {
        let listed = self
            .store
            .runtime()?
            .block_on(self.list_children(dir, None))?;
        Ok(listed.unwrap_or_default())
    }

    /// A `HEAD` of the key; if there is none, whether anything lies under `path/`.
    async fn stat_one(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        if !path.is_empty() {
            match self.operator().stat(path).await {
                Ok(metadata) if metadata.is_file() => {
                    return Ok(Some(ExternalEntry::File(self.file(path, &metadata))));
                }
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(self.target().error("check", path, &error)),
            }
        }
        let dir = directory(path);
        let mut lister = self
            .operator()
            .lister_with(&dir)
            .recursive(true)
            .limit(1)
            .await
            .map_err(|error| self.target().error("list", &dir, &error))?;
        match lister.next().await {
            Some(Ok(_)) => Ok(Some(ExternalEntry::Directory)),
            Some(Err(error)) => Err(self.target().error("list", &dir, &error)),
            None => Ok(None),
        }
    }

    /// Every object under `dir/` (`relpath` relative to `dir`), in listing order.
    pub(super) fn list_files(&self, dir: &str) -> Result<Vec<ExternalFile>, RemoteError> {
        let prefix = directory(dir);
        let error = |error: &opendal::Error| self.target().error("list", &prefix, error);
        self.store.runtime()?.block_on(async {
            let mut lister = self
                .operator()
                .lister_with(&prefix)
                .recursive(true)
                .versions(self.version_aware)
                .await
                .map_err(|failure| error(&failure))?;
            let mut files = Vec::new();
            while let Some(entry) = lister.next().await {
                let entry = entry.map_err(|failure| error(&failure))?;
                let metadata = entry.metadata();
                let path = entry.path().trim_start_matches('/');
                // Directory markers, and older versions of version-aware listings.
                if path.ends_with('/')
                    || !metadata.is_file()
                    || metadata.is_current() == Some(false)
                    || metadata.is_deleted()
                {
                    continue;
                }
                let relative = if dir.is_empty() {
                    Some(path)
                } else {
                    path.strip_prefix(dir)
                        .and_then(|rest| rest.strip_prefix('/'))
                };
                if let Some(relative) = relative.filter(|relative| !relative.is_empty()) {
                    files.push(self.file(relative, metadata));
                }
            }
            Ok(files)
        })
    }

    /// The file at `relpath` described by `metadata` (from a `HEAD` or a listing).
    fn file(&self, relpath: &str, metadata: &Metadata) -> ExternalFile {
        ExternalFile {
            relpath: relpath.to_owned(),
            size: Some(metadata.content_length()),
            etag: metadata
                .etag()
                .map(|etag| etag.trim_matches('"').to_owned()),
            version_id: metadata
                .version()
                .filter(|_| self.version_aware)
                .map(str::to_owned),
            checksum: None,
        }
    }
}

/// The listing prefix of directory `path` (`/` for the root).
fn directory(path: &str) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        format!("{path}/")
    }
}
