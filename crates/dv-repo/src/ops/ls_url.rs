//! `dvc ls-url` / `dvc list-url` (DVC's `repo/ls_url.py`, and `repo/ls.py`'s `_ls_tree` for
//! `--tree`): what is at a URL — a local path, `s3://`, `remote://NAME/path`, `http(s)://` —
//! listed through the URL's filesystem, nothing downloaded. It runs inside or outside a
//! repository; `remote://NAME` names a remote of the configuration seen from the working
//! directory, as for `get-url`.
//!
//! The listing is DVC's entry for entry:
//!
//! - A file, and anything with `-L 0`, is one entry named as its filesystem names it: the
//!   absolute local path as written (not normalized), `bucket/key`, the HTTP URL. HTTP has no
//!   directories, so an HTTP URL is always one file.
//! - A directory is fsspec's `walk`: local directories in the order the operating system lists
//!   them (`os.scandir`, not sorted; symbolic links are not followed), S3 directories in key
//!   order; each directory's files before its subdirectories. Paths are `os.path.relpath` from
//!   the URL's path as written, so a `file://` URL gives DVC's `../` paths. Without `-R` only
//!   the first level is listed, directories included; with `-R` directories are listed only
//!   at the last level `-L` allows.
//! - `--tree` lists each directory sorted by name, the root named as the URL's path.
//! - An S3 directory marker object (`dir/`) is a file named `""` inside its directory, as s3fs
//!   shows it (`.` when its directory is the URL, `dir` when listed from above with `-R`).
//!
//! Failures are DVC's: a missing path is `The path 'URL' does not exist: <cause>` (exit 255),
//! with `--tree` only the cause as an unexpected error; a negative `-L` on a directory is
//! fsspec's `maxdepth must be at least 1`.

use std::collections::{BTreeMap, HashMap};
use std::io;

use dv_remote::{ExternalChild, ExternalEntry, ExternalFs, RemoteError};
use dv_schema::config::Table;

use crate::environment::Environment;
use crate::error::DvcError;
use crate::imports::url::{Source, Storages, UrlScope, dvc_fs_path, resolve_url};
use crate::path::relpath;

/// What `ls-url` was asked to list.
#[derive(Debug, Clone, Default)]
pub struct LsUrlOptions {
    /// The URL: a local path, `s3://`, `remote://NAME/path`, `http(s)://`.
    pub url: String,
    /// List files in subdirectories too (`-R`).
    pub recursive: bool,
    /// A tree of the URL's contents (`-T`).
    pub tree: bool,
    /// How deep to go (`-L`); `0` lists the URL itself.
    pub level: Option<i64>,
    /// Options for the URL's filesystem (`--fs-config KEY=VALUE`).
    pub fs_config: Vec<(String, String)>,
}

/// What `ls-url` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LsUrlReport {
    /// The entries of a flat listing, in DVC's order.
    List(Vec<UrlEntry>),
    /// The URL and what is under it (`--tree`).
    Tree(TreeEntry),
}

/// One entry of a flat listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UrlEntry {
    /// Relative to the URL; for a file URL (or `-L 0`) the filesystem's name of it.
    pub path: String,
    /// Whether it is a directory.
    pub isdir: bool,
    /// Its size in bytes, when the filesystem tells it (none for a file URL's own entry, as
    /// in DVC).
    pub size: Option<u64>,
}

/// One entry of a tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeEntry {
    /// The URL's path for the root, a base name below it (`""` for an S3 directory marker).
    pub name: String,
    /// Whether it is a directory.
    pub isdir: bool,
    /// Its size in bytes, when the filesystem tells it (a local directory's own size; `0`
    /// for S3 directories).
    pub size: Option<u64>,
    /// What is in it, sorted by name (empty for files and beyond `-L`).
    pub contents: Vec<TreeEntry>,
}

/// DVC's text for a path in an S3 bucket that does not exist (botocore's, through s3fs).
const NO_SUCH_BUCKET: &str = "The specified bucket does not exist: An error occurred \
    (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist";

/// DVC's text for the root of an S3 bucket that does not exist.
const NO_BUCKET_ROOT: &str =
    "Not Found: An error occurred (404) when calling the HeadBucket operation: Not Found";

/// Lists `options.url`. `config` is the merged configuration seen from the working directory
/// (for `remote://NAME/...`).
///
/// # Errors
///
/// [`ConfigError`](crate::error::ConfigError) for unsupported URLs, unknown remotes and invalid
/// `--fs-config` options; [`DvcError`] for a missing path (DVC's `URLMissingError`, exit 255)
/// and storages that cannot be opened; any other failure (a missing path with `--tree`, an
/// unreadable directory, a storage failing) as DVC's unexpected errors.
pub fn ls_url(
    environment: &Environment,
    config: &Table,
    options: &LsUrlOptions,
) -> anyhow::Result<LsUrlReport> {
    let url = options.url.as_str();
    let scope = UrlScope {
        environment,
        config,
    };
    let mut storages = Storages::default();
    let extra: BTreeMap<String, String> = options.fs_config.iter().cloned().collect();
    let source = resolve_url(&scope, url, extra.clone(), &mut storages)?;
    crate::imports::fs_config::validate(config, url, &extra)?;
    let fs_path = dvc_fs_path(config, url)?;
    let cwd = std::fs::canonicalize(&environment.cwd)
        .unwrap_or_else(|_| environment.cwd.clone())
        .to_string_lossy()
        .into_owned();
    let (fs, name) = match source {
        Source::Local(_) => (UrlFs::Local, local_name(&fs_path, &cwd)),
        Source::External { fs, path } => {
            let fs = storages
                .get(fs)
                .map_err(|message| DvcError(message.to_owned()))?;
            external(fs, &path, &fs_path)
        }
    };
    let target = Target {
        fs,
        fs_path,
        name,
        cwd,
    };
    let info = target.fs.info(&target.name);
    if options.tree {
        let info = info.map_err(|error| match error {
            InfoError::Missing(cause) => {
                anyhow::anyhow!(cause.unwrap_or_else(|| target.name.clone()))
            }
            InfoError::Failed(error) => error,
        })?;
        return Ok(LsUrlReport::Tree(target.tree(info, options.level)?));
    }
    let info = info.map_err(|error| match error {
        InfoError::Missing(cause) => {
            let mut message = format!("The path '{url}' does not exist");
            if let Some(cause) = cause {
                message = format!("{message}: {cause}");
            }
            DvcError(message).into()
        }
        InfoError::Failed(error) => error,
    })?;
    target
        .list(info, options.recursive, options.level)
        .map(LsUrlReport::List)
}

/// The local path fsspec reads for `fs_path` (its `_strip_protocol`): without a `file://`,
/// `file:`, `local://` or `local:` prefix, made absolute against `cwd` by joining (not
/// normalized), without trailing `/`.
fn local_name(fs_path: &str, cwd: &str) -> String {
    let mut path = fs_path;
    for prefix in ["file://", "file:", "local://", "local:"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            path = rest;
            break;
        }
    }
    let absolute = if path.starts_with('/') {
        path.to_owned()
    } else {
        let relative = match path.strip_prefix("./") {
            Some(rest) => rest,
            None if path == "." => "",
            None => path,
        };
        format!("{cwd}/{relative}")
    };
    match absolute.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// The filesystem of an external source and the name of `path` on it: `bucket/prefix/path`
/// for S3, the URL's path as written for HTTP.
fn external<'a>(fs: &'a ExternalFs, path: &str, fs_path: &str) -> (UrlFs<'a>, String) {
    let url = fs.label().url.as_str();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let file = (path.to_owned(), fs_path.to_owned());
        return (UrlFs::Http { fs, file }, fs_path.to_owned());
    }
    let root = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_matches('/')
        .to_owned();
    let fs = UrlFs::Objects { fs, root };
    let name = fs.object_name(path.trim_matches('/'));
    (fs, name)
}

/// What is listed, as DVC's filesystem sees it.
struct Target<'a> {
    fs: UrlFs<'a>,
    /// DVC's `fs_path`: the tree's root name, and what flat entries are relative to.
    fs_path: String,
    /// The URL's path as its filesystem names it (fsspec's `_strip_protocol`).
    name: String,
    /// The working directory, as `os.getcwd()` gives it (relative paths are against it).
    cwd: String,
}

impl Target<'_> {
    /// DVC's `ls_url`: one entry for a file or `-L 0`, else fsspec's `walk`.
    fn list(
        &self,
        info: Info,
        recursive: bool,
        maxdepth: Option<i64>,
    ) -> anyhow::Result<Vec<UrlEntry>> {
        if maxdepth == Some(0) || !info.isdir {
            return Ok(vec![UrlEntry {
                path: info.name,
                isdir: false,
                size: None,
            }]);
        }
        if maxdepth.is_some_and(|depth| depth < 1) {
            anyhow::bail!("maxdepth must be at least 1");
        }
        let mut entries = Vec::new();
        self.walk(&self.name, maxdepth, &mut |root, dirs, mut files| {
            let parts = match relpath(root, &self.fs_path, &self.cwd).as_str() {
                "." => 0,
                relative => relative.split('/').count(),
            };
            let last_level = maxdepth.is_some_and(|depth| {
                i64::try_from(parts).unwrap_or(i64::MAX) >= depth.saturating_sub(1)
            });
            if !recursive || last_level {
                for (name, info) in dirs.entries {
                    files.insert(name, info);
                }
            }
            entries.extend(files.entries.into_iter().map(|(_, info)| UrlEntry {
                path: relpath(&info.name, &self.fs_path, &self.cwd),
                isdir: info.isdir,
                size: info.size,
            }));
            recursive
        });
        Ok(entries)
    }

    /// fsspec's `walk(path, maxdepth)`, top-down: `visit` sees each directory with its
    /// subdirectories and its other entries (by base name, the directory's own marker object
    /// as `""`) and says whether to go on. A directory that cannot be listed is left out.
    /// Returns whether the walk should go on.
    fn walk(
        &self,
        path: &str,
        maxdepth: Option<i64>,
        visit: &mut dyn FnMut(&str, Level, Level) -> bool,
    ) -> bool {
        let Ok(listing) = self.fs.ls(path) else {
            return true;
        };
        let mut dirs = Level::default();
        let mut files = Level::default();
        let mut full_dirs: HashMap<String, String> = HashMap::new();
        for info in listing {
            let pathname = info.name.trim_end_matches('/').to_owned();
            let name = pathname.rsplit('/').next().unwrap_or_default().to_owned();
            if info.isdir && pathname != path {
                full_dirs.insert(name.clone(), pathname);
                dirs.insert(name, info);
            } else if pathname == path {
                files.insert(String::new(), info);
            } else {
                files.insert(name, info);
            }
        }
        let subdirectories: Vec<String> = dirs.entries.iter().map(|(n, _)| n.clone()).collect();
        if !visit(path, dirs, files) {
            return false;
        }
        let maxdepth = maxdepth.map(|depth| depth - 1);
        if maxdepth.is_some_and(|depth| depth < 1) {
            return true;
        }
        subdirectories
            .iter()
            .all(|name| self.walk(&full_dirs[name], maxdepth, visit))
    }

    /// DVC's `_ls_tree`: the URL and, down to `maxdepth` levels, what is in its directories.
    fn tree(&self, info: Info, maxdepth: Option<i64>) -> anyhow::Result<TreeEntry> {
        let name = match (self.fs_path.as_str(), &self.fs) {
            ("", UrlFs::Local) => ".".to_owned(),
            (path, _) => path.to_owned(),
        };
        self.node(info, name, maxdepth)
    }

    fn node(&self, info: Info, name: String, maxdepth: Option<i64>) -> anyhow::Result<TreeEntry> {
        let mut contents: Vec<TreeEntry> = Vec::new();
        if info.isdir && maxdepth.is_none_or(|depth| depth > 0) {
            let mut infos = match self.fs.ls(&info.name) {
                Ok(infos) => infos,
                Err(LsError::Missing) => Vec::new(),
                Err(LsError::Failed(error)) => return Err(error),
            };
            infos.sort_by(|a, b| a.name.cmp(&b.name));
            let maxdepth = maxdepth.map(|depth| depth - 1);
            let mut positions: HashMap<String, usize> = HashMap::new();
            for child in infos {
                let name = child.name.rsplit('/').next().unwrap_or_default().to_owned();
                let entry = self.node(child, name.clone(), maxdepth)?;
                // A dictionary by name: a second entry of the same name replaces the first.
                match positions.get(&name) {
                    Some(&at) => contents[at] = entry,
                    None => {
                        positions.insert(name, contents.len());
                        contents.push(entry);
                    }
                }
            }
        }
        Ok(TreeEntry {
            name,
            isdir: info.isdir,
            size: info.size,
            contents,
        })
    }
}

/// One directory level of a walk by base name, as Python's dictionaries keep them: in the
/// order first seen, a name seen again taking the new value in the old place.
#[derive(Default)]
struct Level {
    positions: HashMap<String, usize>,
    entries: Vec<(String, Info)>,
}

impl Level {
    fn insert(&mut self, name: String, info: Info) {
        match self.positions.get(&name) {
            Some(&at) => self.entries[at].1 = info,
            None => {
                self.positions.insert(name.clone(), self.entries.len());
                self.entries.push((name, info));
            }
        }
    }
}

/// What a filesystem tells about a path (fsspec's `info`).
#[derive(Debug, Clone)]
struct Info {
    /// The path as the filesystem names it.
    name: String,
    isdir: bool,
    size: Option<u64>,
}

/// Why `info` failed.
enum InfoError {
    /// Nothing is there (DVC's `FileNotFoundError`), with its text when dv knows it.
    Missing(Option<String>),
    /// Anything else.
    Failed(anyhow::Error),
}

/// Why `ls` failed.
enum LsError {
    /// The directory is gone.
    Missing,
    /// Anything else.
    Failed(anyhow::Error),
}

/// The filesystem of a URL.
enum UrlFs<'a> {
    /// This machine: names are absolute paths.
    Local,
    /// An S3 bucket: names are `root/path`, `root` being `bucket` or `bucket/prefix`.
    Objects { fs: &'a ExternalFs, root: String },
    /// An HTTP(S) origin: the one file `file.0` (relative to the origin), named `file.1`.
    Http {
        fs: &'a ExternalFs,
        file: (String, String),
    },
}

impl UrlFs<'_> {
    /// The name of `path` (relative to the storage's root) on an object storage.
    fn object_name(&self, path: &str) -> String {
        match self {
            UrlFs::Objects { root, .. } if !path.is_empty() => format!("{root}/{path}"),
            UrlFs::Objects { root, .. } => root.clone(),
            _ => path.to_owned(),
        }
    }

    /// fsspec's `info(name)`: local paths through symbolic links.
    fn info(&self, name: &str) -> Result<Info, InfoError> {
        match self {
            UrlFs::Local => match std::fs::metadata(name) {
                Ok(metadata) => Ok(Info {
                    name: name.to_owned(),
                    isdir: metadata.is_dir(),
                    size: Some(metadata.len()),
                }),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    Err(InfoError::Missing(Some(python_os_error(&error, name))))
                }
                Err(error) => Err(InfoError::Failed(anyhow::anyhow!(python_os_error(
                    &error, name
                )))),
            },
            UrlFs::Objects { fs, root } => {
                let path = name
                    .strip_prefix(root.as_str())
                    .unwrap_or(name)
                    .trim_matches('/');
                match fs.stat(path) {
                    Ok(Some(entry)) => Ok(external_info(name, entry)),
                    Ok(None) => Err(InfoError::Missing(Some(name.to_owned()))),
                    Err(RemoteError::MissingBucket { .. }) => {
                        let text = if name.contains('/') {
                            NO_SUCH_BUCKET
                        } else {
                            NO_BUCKET_ROOT
                        };
                        Err(InfoError::Missing(Some(text.to_owned())))
                    }
                    Err(error) => Err(InfoError::Failed(error.into())),
                }
            }
            UrlFs::Http { fs, file } => match fs.stat(&file.0) {
                Ok(Some(entry)) => Ok(external_info(&file.1, entry)),
                Ok(None) => Err(InfoError::Missing(None)),
                // fsspec's HTTP `info` fails with `FileNotFoundError` whatever went wrong.
                Err(error) => Err(InfoError::Missing(Some(error.to_string()))),
            },
        }
    }

    /// fsspec's `ls(name, detail=True)` of a directory: local entries in the order the
    /// operating system lists them, typed without following symbolic links (a link's size is
    /// its target's, `0` when broken); S3 files and subdirectories as listed, the directory's
    /// own marker object named `name/`.
    fn ls(&self, name: &str) -> Result<Vec<Info>, LsError> {
        match self {
            UrlFs::Local => local_ls(name).map_err(|error| {
                if error.kind() == io::ErrorKind::NotFound {
                    LsError::Missing
                } else {
                    LsError::Failed(anyhow::anyhow!(python_os_error(&error, name)))
                }
            }),
            UrlFs::Objects { fs, root } => {
                let path = name
                    .strip_prefix(root.as_str())
                    .unwrap_or(name)
                    .trim_matches('/');
                let children = fs
                    .list_directory(path)
                    .map_err(|error| LsError::Failed(error.into()))?;
                let base = name.trim_end_matches('/');
                Ok(children
                    .into_iter()
                    .map(|child| match child {
                        ExternalChild::File(file) => Info {
                            name: format!("{base}/{}", file.relpath),
                            isdir: false,
                            size: file.size,
                        },
                        ExternalChild::Directory(child) => Info {
                            name: format!("{base}/{child}"),
                            isdir: true,
                            size: Some(0),
                        },
                    })
                    .collect())
            }
            UrlFs::Http { .. } => Ok(Vec::new()),
        }
    }
}

/// What `stat` found at `name` of an external source (S3 directories have size 0).
fn external_info(name: &str, entry: ExternalEntry) -> Info {
    match entry {
        ExternalEntry::File(file) => Info {
            name: name.to_owned(),
            isdir: false,
            size: file.size,
        },
        ExternalEntry::Directory => Info {
            name: name.to_owned(),
            isdir: true,
            size: Some(0),
        },
    }
}

/// The entries of local directory `dir` (see [`UrlFs::ls`]); an entry gone while listing is
/// left out.
fn local_ls(dir: &str) -> io::Result<Vec<Info>> {
    let mut infos = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = format!(
            "{}/{}",
            dir.trim_end_matches('/'),
            entry.file_name().to_string_lossy()
        );
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        let file_type = metadata.file_type();
        let size = if file_type.is_symlink() {
            std::fs::metadata(entry.path()).map_or(0, |target| target.len())
        } else {
            metadata.len()
        };
        infos.push(Info {
            name,
            isdir: file_type.is_dir(),
            size: Some(size),
        });
    }
    Ok(infos)
}

/// Python's text of an `OSError` about `path`: `[Errno 2] No such file or directory: '/x'`.
fn python_os_error(error: &io::Error, path: &str) -> String {
    let Some(code) = error.raw_os_error() else {
        return error.to_string();
    };
    let text = error.to_string();
    let description = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    format!(
        "[Errno {code}] {description}: {}",
        dv_schema::shown::python_repr(path)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_are_fsspecs() {
        let cwd = "/w";
        assert_eq!(local_name("d", cwd), "/w/d");
        assert_eq!(local_name("./d/", cwd), "/w/d");
        assert_eq!(local_name(".", cwd), "/w");
        assert_eq!(local_name("", cwd), "/w");
        assert_eq!(local_name("d/../d/a.txt", cwd), "/w/d/../d/a.txt");
        assert_eq!(local_name("file:///tmp/x/", cwd), "/tmp/x");
        assert_eq!(local_name("file:/tmp/x", cwd), "/tmp/x");
        assert_eq!(local_name("/", cwd), "/");
    }

    #[test]
    fn os_errors_read_like_python() {
        let error = io::Error::from_raw_os_error(2);
        assert_eq!(
            python_os_error(&error, "/w/missing"),
            "[Errno 2] No such file or directory: '/w/missing'"
        );
    }

    fn local_target(dir: &std::path::Path, fs_path: &str) -> Target<'static> {
        let cwd = std::fs::canonicalize(dir)
            .expect("test setup")
            .to_string_lossy()
            .into_owned();
        Target {
            fs: UrlFs::Local,
            name: local_name(fs_path, &cwd),
            fs_path: fs_path.to_owned(),
            cwd,
        }
    }

    fn paths(entries: &[UrlEntry]) -> Vec<&str> {
        let mut paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
        paths.sort_unstable();
        paths
    }

    #[test]
    fn local_walks_follow_dvc_levels() {
        let temp = tempfile::tempdir().expect("test setup");
        let root = temp.path();
        for file in ["d/a", "d/sub/b", "d/sub/deep/c"] {
            std::fs::create_dir_all(root.join(file).parent().expect("test setup"))
                .expect("test setup");
            std::fs::write(root.join(file), "x").expect("test setup");
        }
        std::fs::create_dir_all(root.join("d/empty")).expect("test setup");
        let target = local_target(root, "d");
        let list = |recursive, level| {
            let info = target
                .fs
                .info(&target.name)
                .ok()
                .expect("the directory exists");
            target.list(info, recursive, level).expect("listed")
        };
        assert_eq!(paths(&list(false, None)), ["a", "empty", "sub"]);
        assert_eq!(paths(&list(true, None)), ["a", "sub/b", "sub/deep/c"]);
        assert_eq!(paths(&list(true, Some(1))), ["a", "empty", "sub"]);
        assert_eq!(paths(&list(true, Some(2))), ["a", "sub/b", "sub/deep"]);
        let itself = list(true, Some(0));
        assert_eq!(itself.len(), 1);
        assert!(itself[0].path.ends_with("/d") && !itself[0].isdir);
        let info = target
            .fs
            .info(&target.name)
            .ok()
            .expect("the directory exists");
        assert!(target.list(info, true, Some(-1)).is_err());

        let info = target
            .fs
            .info(&target.name)
            .ok()
            .expect("the directory exists");
        let tree = target.tree(info, Some(1)).expect("listed");
        assert_eq!(tree.name, "d");
        let names: Vec<&str> = tree.contents.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "empty", "sub"]);
        assert!(tree.contents.iter().all(|entry| entry.contents.is_empty()));
    }

    #[test]
    fn missing_local_paths_name_the_absolute_path() {
        let temp = tempfile::tempdir().expect("test setup");
        let target = local_target(temp.path(), "nothere");
        match target.fs.info(&target.name) {
            Err(InfoError::Missing(Some(cause))) => {
                assert!(cause.starts_with("[Errno 2] No such file or directory: '/"));
                assert!(cause.ends_with("/nothere'"), "{cause}");
            }
            _ => panic!("expected a missing path"),
        }
    }
}
