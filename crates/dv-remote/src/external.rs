//! [`ExternalFs`]: a read-only file system outside the repository that `import-url`, `get-url`,
//! `update` and `ls-url` read from: one S3 bucket (optionally under a key prefix) or one HTTP(S)
//! origin. It tells what is at a path with the metadata DVC records for import dependencies (S3:
//! the `etag` without quotes, `size` and, version-aware, `version_id`, spec §6.3–§6.4; HTTP: the
//! `checksum`, which is the `ETag` header verbatim or else `Content-MD5`, spec §6.5), lists the
//! files of S3 directories (recursively for imports, one level for `ls-url`), and downloads
//! files while computing their md5.
//!
//! * `s3`: S3 sources, on the S3 remotes' store (connection, error mapping, downloads).
//! * `http`: HTTP(S) sources, on the HTTP remotes' store.
//!
//! Downloads are the sources' [`Store::get_many`], exactly as remotes download; what is at a
//! path and directory listings carry the metadata only sources need, and are their own.
//! Blocking outside, async inside: a source creates its tokio runtime on first use, and batch
//! operations run concurrently on it.

mod http;
mod s3;

use std::future::Future;
use std::path::PathBuf;

use futures::StreamExt as _;

use crate::batch::Stop;
use crate::config::{self, Options, RemoteConfig};
use crate::content_check::Expected;
use crate::error::{RemoteError, RemoteLabel};
use crate::location::Location;
use crate::network::{NetworkStore, Networked};
use crate::progress::TransferProgress;
use crate::store::{Get, Store};

use self::http::HttpSource;
use self::s3::S3Source;

/// A source filesystem that `import-url`, `get-url`, `update` and `ls-url` read from: one S3
/// bucket (optionally under a prefix) or one HTTP(S) origin (optionally under a path).
pub struct ExternalFs {
    label: RemoteLabel,
    jobs: usize,
    source: Source,
}

enum Source {
    S3(S3Source),
    Http(HttpSource),
}

/// Shows the name, URL and concurrency only.
impl std::fmt::Debug for ExternalFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.source {
            Source::S3(_) => "s3",
            Source::Http(_) => "http",
        };
        f.debug_struct("ExternalFs")
            .field("name", &self.label.name)
            .field("url", &self.label.url)
            .field("kind", &kind)
            .field("jobs", &self.jobs)
            .finish()
    }
}

/// What [`ExternalFs::stat`] found at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalEntry {
    /// A file (an S3 object, or what an HTTP URL serves).
    File(ExternalFile),
    /// An S3 "directory": at least one key lies under `path/`.
    Directory,
}

/// A direct child of a directory listed by [`ExternalFs::list_directory`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalChild {
    /// A file; `relpath` is its name in the directory. An empty name is the directory's own
    /// marker object (an S3 key ending in `/`, as consoles create for "folders"), which S3
    /// lists among the directory's contents.
    File(ExternalFile),
    /// A subdirectory (an S3 common prefix), by name.
    Directory(String),
}

/// A file of an [`ExternalFs`] with the metadata DVC records for import dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalFile {
    /// For [`ExternalFs::stat`]: the path asked for; for [`ExternalFs::list_files`]: the path
    /// relative to the listed directory.
    pub relpath: String,
    /// The size in bytes, when the storage tells it.
    pub size: Option<u64>,
    /// S3: the ETag without the surrounding quotes (DVC's `etag:`, spec §6.3); it is the md5 of
    /// the content for single-part uploads only.
    pub etag: Option<String>,
    /// S3 with `version_aware`: the object's version id (DVC's `version_id:`, spec §6.4).
    pub version_id: Option<String>,
    /// HTTP: DVC's `checksum:` (spec §6.5): the `ETag` response header verbatim, quotes
    /// included (e.g. `"abc-123"`), else the `Content-MD5` header.
    pub checksum: Option<String>,
}

impl ExternalFs {
    /// Opens the source whose root is `config.options["url"]`: `s3://bucket` or
    /// `s3://bucket/prefix`, `http://host[:port][/prefix]` or `https://…`. For `remote://NAME/path`
    /// the caller passes the remote's own config (whose url may have a prefix) and `path`
    /// relative to it.
    ///
    /// The other options are those of remotes of the same kind (`endpointurl`, credentials,
    /// `region`, `profile`, `credentialpath`, `use_ssl`, `ssl_verify`, `connect_timeout`,
    /// `read_timeout`, `jobs`, …; HTTP also `auth` = `basic`/`custom` with `user`, `password`,
    /// `custom_auth_header`), plus `version_aware`: when true, S3 `stat` and `list_files`
    /// report version ids. An empty `config.name` makes messages show just the URL.
    ///
    /// Does not contact the network, except to ask AWS for the bucket's region when none is
    /// configured (like [`Remote::open`](crate::Remote::open)).
    ///
    /// # Errors
    ///
    /// A missing or unsupported `url` (local paths, `gs://`, `ssh://`, …), invalid option
    /// values, partial credentials, `version_aware` on HTTP.
    pub fn open(config: &RemoteConfig) -> Result<ExternalFs, RemoteError> {
        let url = config.option("url").unwrap_or_default();
        let label = RemoteLabel::new(&config.name, url);
        let options = Options {
            config,
            label: &label,
        };
        let version_aware = options.bool("version_aware", false)?;
        let jobs = options
            .positive("jobs")?
            .map_or_else(config::default_jobs, config::cap_jobs);
        let source = match Location::parse(config, &label)? {
            Location::Http(url) => {
                if version_aware {
                    return Err(RemoteError::UnsupportedOperation {
                        remote: label,
                        operation: "version-aware access".to_owned(),
                    });
                }
                Source::Http(HttpSource::open(config, &label, &url)?)
            }
            Location::S3 { bucket, prefix } => Source::S3(S3Source::open(
                config,
                &label,
                &bucket,
                &prefix,
                version_aware,
            )?),
            Location::Local(_) => {
                return Err(RemoteError::Unsupported {
                    remote: label,
                    reason: "local paths are not read through an external file system".to_owned(),
                });
            }
            Location::Ssh(_)
            | Location::Gcs { .. }
            | Location::Azure { .. }
            | Location::WebDav { .. } => {
                let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
                return Err(RemoteError::Unsupported {
                    remote: label,
                    reason: format!("`{scheme}://` import sources are not supported yet"),
                });
            }
        };
        Ok(ExternalFs {
            label,
            jobs,
            source,
        })
    }

    /// The name and URL that messages show.
    pub fn label(&self) -> &RemoteLabel {
        &self.label
    }

    /// The concurrency used when a call passes `jobs: None`: the `jobs` option, else DVC's
    /// default of 4 × the number of CPUs.
    pub fn default_jobs(&self) -> usize {
        self.jobs
    }

    fn jobs(&self, jobs: Option<usize>) -> usize {
        config::cap_jobs(jobs.unwrap_or(self.jobs))
    }

    fn store(&self) -> &dyn Store {
        match &self.source {
            Source::S3(source) => &source.store,
            Source::Http(source) => &source.store,
        }
    }

    /// What is at `path` (relative to the root, `/`-separated, `""` = the root itself);
    /// `Ok(None)` when nothing exists there.
    ///
    /// S3: a `HEAD` of the key gives a file; otherwise a listing of `path/` (one key is enough)
    /// tells a directory. HTTP: a `HEAD` of the URL (a `GET` whose body is not read if the
    /// server refuses `HEAD`) gives a file, `404`/`410` nothing; HTTP has no directories.
    ///
    /// # Errors
    ///
    /// Refused credentials (S3 `403`, HTTP `401`/`403`), a missing bucket, an unreachable
    /// endpoint, any other failure.
    pub fn stat(&self, path: &str) -> Result<Option<ExternalEntry>, RemoteError> {
        let path = normalize(path);
        match &self.source {
            Source::S3(source) => source.stat(&path),
            Source::Http(source) => source.stat(&path),
        }
    }

    /// [`stat`](Self::stat) for each of `paths`, `jobs` requests at a time on one connection
    /// pool; one result per path, in order. After a failure that concerns the whole source
    /// (credentials, bucket, endpoint) the remaining paths fail with it without being asked.
    pub fn stat_many(
        &self,
        paths: &[String],
        jobs: Option<usize>,
    ) -> Vec<Result<Option<ExternalEntry>, RemoteError>> {
        let jobs = self.jobs(jobs);
        let paths: Vec<String> = paths.iter().map(|path| normalize(path)).collect();
        match &self.source {
            Source::S3(source) => source.stat_many(&paths, jobs),
            Source::Http(source) => source.stat_many(&paths, jobs),
        }
    }

    /// Every file under directory `dir` (recursively; `""` = the root), with `relpath` relative
    /// to `dir`, sorted by `relpath` (byte order). S3 only: the directory is the key prefix
    /// `dir/`, and keys ending in `/` (directory markers) are skipped. Version-aware sources
    /// list the current version of each object with its version id. A directory with nothing
    /// under it gives an empty list.
    ///
    /// # Errors
    ///
    /// [`RemoteError::UnsupportedOperation`] for HTTP; refused credentials, a missing bucket, an
    /// unreachable endpoint or another failure of the listing.
    pub fn list_files(&self, dir: &str) -> Result<Vec<ExternalFile>, RemoteError> {
        let dir = normalize(dir);
        let mut files = match &self.source {
            Source::S3(source) => source.list_files(&dir)?,
            Source::Http(_) => {
                return Err(RemoteError::UnsupportedOperation {
                    remote: self.label.clone(),
                    operation: format!("listing directory `{dir}`"),
                });
            }
        };
        files.sort_by(|left, right| left.relpath.cmp(&right.relpath));
        Ok(files)
    }

    /// The direct children of directory `dir` (`""` = the root), in the order the storage
    /// lists them (S3: one delimited listing; files in key order, subdirectories in key order,
    /// the directory's own marker object among the files). A directory with nothing under it
    /// gives an empty list.
    ///
    /// # Errors
    ///
    /// [`RemoteError::UnsupportedOperation`] for HTTP; refused credentials, a missing bucket, an
    /// unreachable endpoint or another failure of the listing.
    pub fn list_directory(&self, dir: &str) -> Result<Vec<ExternalChild>, RemoteError> {
        let dir = normalize(dir);
        match &self.source {
            Source::S3(source) => source.list_directory(&dir),
            Source::Http(_) => Err(RemoteError::UnsupportedOperation {
                remote: self.label.clone(),
                operation: format!("listing directory `{dir}`"),
            }),
        }
    }

    /// Downloads each `(path, version_id, destination)`, `jobs` at a time, reporting to
    /// `progress` like [`Remote::download_many`](crate::Remote::download_many); one result per
    /// item, in order: the lowercase hex md5 of the bytes.
    ///
    /// Each file is written to a `.<random>.tmp` sibling of its destination (parent
    /// directories are created) while its md5 is computed, then renamed over the destination;
    /// on failure nothing is left behind. A `version_id` (S3) fetches that version, whether or
    /// not the source is version-aware; HTTP sources refuse one. A missing file fails with
    /// [`RemoteError::MissingObject`]. After a failure that concerns the whole source the
    /// remaining items fail with it without being tried.
    pub fn download_many(
        &self,
        items: &[(String, Option<String>, PathBuf)],
        jobs: Option<usize>,
        progress: &mut dyn TransferProgress,
    ) -> Vec<Result<String, RemoteError>> {
        let jobs = self.jobs(jobs);
        let gets: Vec<Get> = items
            .iter()
            .map(|(path, version, destination)| Get {
                path: normalize(path),
                version: version.clone(),
                destination: destination.clone(),
                expected: Expected::Anything,
            })
            .collect();
        self.store()
            .get_many(&gets, jobs, progress)
            .into_iter()
            .map(|digest| digest.map(|digest| digest.to_hex()))
            .collect()
    }
}

/// `stat` of each path not already `known`, `jobs` at a time on `store`'s runtime; one result
/// per path, in order. After a failure that concerns the whole source, the remaining paths
/// fail with it without being asked.
fn stat_all<'a, S, F, Fut>(
    store: &Networked<S>,
    paths: &'a [String],
    known: Vec<Option<Result<Option<ExternalEntry>, RemoteError>>>,
    jobs: usize,
    stat: F,
) -> Vec<Result<Option<ExternalEntry>, RemoteError>>
where
    S: NetworkStore,
    F: Fn(&'a str) -> Fut,
    Fut: Future<Output = Result<Option<ExternalEntry>, RemoteError>>,
{
    let runtime = match store.runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            let detail = error.to_string();
            return paths
                .iter()
                .map(|path| {
                    Err(RemoteError::Storage {
                        remote: store.label().clone(),
                        action: "check",
                        object: path.clone(),
                        detail: detail.clone(),
                    })
                })
                .collect();
        }
    };
    let stop = Stop::default();
    let (stop, stat) = (&stop, &stat);
    runtime.block_on(
        futures::stream::iter(paths.iter().zip(known))
            .map(|(path, known)| async move {
                if let Some(known) = known {
                    return known;
                }
                if let Some(fatal) = stop.check() {
                    return Err(fatal);
                }
                let result = stat(path).await;
                if let Err(error) = &result {
                    stop.record(error);
                }
                result
            })
            .buffered(jobs)
            .collect(),
    )
}

/// `path` without leading or trailing `/`.
fn normalize(path: &str) -> String {
    path.trim_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(url: &str) -> Result<ExternalFs, RemoteError> {
        ExternalFs::open(&RemoteConfig::new(
            "",
            [("url".to_owned(), url.to_owned())],
            [("AWS_REGION".to_owned(), "us-east-1".to_owned())],
        ))
    }

    #[test]
    fn s3_and_http_urls_open_without_contacting_anything() {
        assert!(matches!(
            open("s3://bucket/prefix").map(|fs| fs.source),
            Ok(Source::S3(_))
        ));
        assert!(matches!(
            open("https://example.com/data").map(|fs| fs.source),
            Ok(Source::Http(_))
        ));
    }

    #[test]
    fn unsupported_urls_are_named() {
        for url in ["/local/path", "gs://bucket/x", "ssh://host/x"] {
            let error = open(url).err().map(|error| error.to_string());
            assert!(
                error
                    .as_deref()
                    .is_some_and(|error| error.starts_with(&format!("`{url}` has an unsupported"))),
                "{url}: {error:?}"
            );
        }
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize("/a/b/"), "a/b");
        assert_eq!(normalize(""), "");
    }
}
