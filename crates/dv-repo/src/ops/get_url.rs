//! `dvc get-url` (DVC's `repo/get_url.py`): downloads a file or directory from a URL (a local
//! path, `s3://`, `remote://NAME/path`, `http(s)://`) into the working directory without
//! tracking it: no `.dvc` file, no cache, no `.gitignore`. It runs inside or outside a
//! repository; `remote://NAME` names a remote of the configuration seen from the working
//! directory (the repository's levels inside one, the global and system levels outside).
//!
//! Like DVC, the output is checked first (`resolve_output`: the URL's basename in the working
//! directory or in an existing directory `OUT`, else `OUT` itself; an existing output needs
//! `--force`), then the source is resolved and must exist. Every file is written to a
//! temporary sibling and renamed into place; a directory is merged into an existing one.

use std::collections::BTreeMap;
use std::io;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::Context;
use dv_remote::{ExternalEntry, ExternalFs, RemoteError, TransferProgress};
use dv_schema::config::Table;

use crate::environment::Environment;
use crate::error::CommandError;
use crate::imports::url::{Source, Storages, UrlScope, resolve_url, split_scheme};

/// What `get-url` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct GetUrlOptions {
    /// The source: a local path, `s3://`, `remote://NAME/path`, `http(s)://` URL.
    pub url: String,
    /// Where to put it (`OUT`): a path, or an existing directory to put the URL's basename
    /// in (default: the basename in the working directory).
    pub out: Option<PathBuf>,
    /// Concurrent transfers (`-j`).
    pub jobs: Option<usize>,
    /// Overwrite an existing output (`-f`); a directory is merged into the existing one.
    pub force: bool,
    /// Options for the source's filesystem (`--fs-config KEY=VALUE`).
    pub fs_config: Vec<(String, String)>,
}

/// What `get-url` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GetUrlReport {
    /// The output, absolute.
    pub out: PathBuf,
    /// Whether the source was a directory.
    pub directory: bool,
    /// Files written.
    pub files: usize,
}

/// Downloads `options.url` to its output. `config` is the merged configuration seen from the
/// working directory (for `remote://NAME/...`).
///
/// # Errors
///
/// [`CommandError`] for an existing output without `force` and a missing source,
/// [`ConfigError`](crate::error::ConfigError) for unsupported URLs, unknown remotes and invalid `--fs-config` options
/// (DVC reports all of them as `failed to get '<url>' - ...`, exit 1); anything else (a
/// storage failing, a file that cannot be written) as it is.
pub fn get_url(
    environment: &Environment,
    config: &Table,
    options: &GetUrlOptions,
) -> anyhow::Result<GetUrlReport> {
    let url = options.url.as_str();
    let out = resolve_output(environment, url, options.out.as_deref(), options.force)?;
    let scope = UrlScope {
        environment,
        config,
    };
    let mut storages = Storages::default();
    let extra: BTreeMap<String, String> = options.fs_config.iter().cloned().collect();
    let source = resolve_url(&scope, url, extra.clone(), &mut storages)?;
    crate::imports::fs_config::validate(config, url, &extra)?;
    let missing = || CommandError(format!("The path '{url}' does not exist"));
    match source {
        Source::Local(path) => {
            if !path.exists() {
                return Err(missing().into());
            }
            let jobs = options
                .jobs
                .and_then(NonZeroUsize::new)
                .or_else(|| std::thread::available_parallelism().ok())
                .map_or(NonZeroUsize::MIN, dv_data::cap_threads);
            copy_local(&path, &out, jobs)
        }
        Source::External { fs, path } => {
            let fs = storages
                .get(fs)
                .map_err(|message| CommandError(message.to_owned()))?;
            let entry = match fs.stat(&path) {
                Ok(Some(entry)) => entry,
                Ok(None) | Err(RemoteError::MissingBucket { .. }) => {
                    return Err(missing().into());
                }
                // DVC's HTTP `exists` is false on any failure (exit 1); the cause follows.
                Err(error) if is_http(fs) => {
                    return Err(anyhow::Error::new(error).context(missing()));
                }
                Err(error) => return Err(error.into()),
            };
            download(fs, &path, entry, &out, options.jobs)
        }
    }
}

/// Whether `fs` is an HTTP(S) origin.
fn is_http(fs: &ExternalFs) -> bool {
    let url = fs.label().url.to_ascii_lowercase();
    url.starts_with("http://") || url.starts_with("https://")
}

/// DVC's `resolve_output`: the absolute output path, refusing an existing one without
/// `force` (`The file 'OUT' already exists locally.` naming the path as DVC builds it).
fn resolve_output(
    environment: &Environment,
    url: &str,
    out: Option<&Path>,
    force: bool,
) -> anyhow::Result<PathBuf> {
    let name = url_basename(url);
    let out = out
        .map(|out| out.to_string_lossy().into_owned())
        .filter(|out| !out.is_empty());
    let shown = match out {
        None => name,
        Some(out) if environment.cwd.join(&out).is_dir() => {
            if out.ends_with('/') {
                format!("{out}{name}")
            } else {
                format!("{out}/{name}")
            }
        }
        Some(out) => out,
    };
    // Python's `os.path.exists("")` is false; `Path::join("")` would be the directory itself.
    let path = environment.cwd.join(&shown);
    if !shown.is_empty() && path.exists() && !force {
        let kind = if path.is_dir() { "directory" } else { "file" };
        return Err(CommandError(format!(
            "The {kind} '{shown}' already exists locally. \nTo override it, re-run with '--force'."
        ))
        .into());
    }
    Ok(environment.absolute(Path::new(&shown)))
}

/// The name DVC gives a download: `os.path.basename(os.path.normpath(urlparse(url).path))`,
/// so a query or fragment is dropped, a trailing `/` ignored, a bucket or remote root is `.`
/// and a URL ending in `/` after its host is `""` (the working directory itself).
fn url_basename(url: &str) -> String {
    let path = match split_scheme(url) {
        Some((_, rest)) => {
            let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            &rest[host_end..]
        }
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            part => parts.push(part),
        }
    }
    match parts.last() {
        Some(last) => (*last).to_owned(),
        None if absolute => String::new(),
        None => ".".to_owned(),
    }
}

/// Copies a local file or directory to `out`, `jobs` files at a time.
fn copy_local(source: &Path, out: &Path, jobs: NonZeroUsize) -> anyhow::Result<GetUrlReport> {
    if !source.is_dir() {
        copy_file(source, out)?;
        return Ok(GetUrlReport {
            out: out.to_path_buf(),
            directory: false,
            files: 1,
        });
    }
    let mut files = Vec::new();
    list_local_files(source, Path::new(""), &mut files)?;
    if files.is_empty() {
        create_dir(out)?;
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.get().min(files.len().max(1)) {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(relative) = files.get(index) else {
                        break;
                    };
                    if let Err(error) = copy_file(&source.join(relative), &out.join(relative)) {
                        failed.store(true, Ordering::Relaxed);
                        let mut slot = first_error
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        slot.get_or_insert(error);
                    }
                }
            });
        }
    });
    if let Some(error) = first_error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(error);
    }
    Ok(GetUrlReport {
        out: out.to_path_buf(),
        directory: true,
        files: files.len(),
    })
}

/// The files under `dir` (relative paths, sorted) as DVC's local `find` (`os.walk`) sees
/// them: symlinks to files are files, symlinks to directories are not entered.
fn list_local_files(root: &Path, relative: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let dir = root.join(relative);
    let mut entries = std::fs::read_dir(&dir)
        .with_context(|| format!("failed to list '{}'", dir.display()))?
        .collect::<io::Result<Vec<_>>>()
        .with_context(|| format!("failed to list '{}'", dir.display()))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = relative.join(entry.file_name());
        let file_type = entry
            .file_type()
            .with_context(|| format!("failed to read '{}'", entry.path().display()))?;
        if file_type.is_dir() {
            list_local_files(root, &path, files)?;
        } else if !(file_type.is_symlink() && entry.path().is_dir()) {
            files.push(path);
        }
    }
    Ok(())
}

/// Copies `source` to a temporary sibling of `target` (a reflink where the filesystem has
/// them; default permissions like DVC's `copyfile`), then renames it over `target`.
fn copy_file(source: &Path, target: &Path) -> anyhow::Result<()> {
    let parent = target.parent().unwrap_or(Path::new("/"));
    create_dir(parent)?;
    let failed = || {
        format!(
            "failed to copy '{}' to '{}'",
            source.display(),
            target.display()
        )
    };
    let mut input = std::fs::File::open(source).with_context(failed)?;
    let mut temp =
        dv_fs::temp::create_in(parent, dv_fs::atomic::create_new_file).with_context(failed)?;
    if dv_fs::link::reflink_into(&input, temp.as_file()).is_err() {
        io::copy(&mut input, temp.as_file_mut()).with_context(failed)?;
    }
    temp.persist(target)
        .map_err(|error| error.error)
        .with_context(failed)?;
    Ok(())
}

fn create_dir(path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("failed to create directory '{}'", path.display()))
}

/// Downloads what `stat` found at `path` of `fs` to `out`: one file, or every file of a
/// directory (an empty one becomes an empty directory).
fn download(
    fs: &ExternalFs,
    path: &str,
    entry: ExternalEntry,
    out: &Path,
    jobs: Option<usize>,
) -> anyhow::Result<GetUrlReport> {
    let (items, directory): (Vec<(String, Option<String>, PathBuf)>, bool) = match entry {
        ExternalEntry::File(_) => (vec![(path.to_owned(), None, out.to_path_buf())], false),
        ExternalEntry::Directory => {
            let files = fs.list_files(path)?;
            if files.is_empty() {
                create_dir(out)?;
            }
            let prefix = path.trim_end_matches('/');
            let items = files
                .into_iter()
                .map(|file| {
                    let source = if prefix.is_empty() {
                        file.relpath.clone()
                    } else {
                        format!("{prefix}/{}", file.relpath)
                    };
                    (source, None, out.join(&file.relpath))
                })
                .collect();
            (items, true)
        }
    };
    let mut progress = NoProgress;
    for result in fs.download_many(&items, jobs, &mut progress) {
        result?;
    }
    Ok(GetUrlReport {
        out: out.to_path_buf(),
        directory,
        files: items.len(),
    })
}

/// Transfers report nothing here: the command shows a spinner.
struct NoProgress;

impl TransferProgress for NoProgress {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames_follow_dvc_resolve_output() {
        for (url, name) in [
            ("data/file.txt", "file.txt"),
            ("../ext/dir/", "dir"),
            ("/abs/dir/sub/..", "dir"),
            ("s3://bucket/a/b.csv", "b.csv"),
            ("s3://bucket", "."),
            ("remote://store/", ""),
            ("https://host/files/model.bin?x=1#top", "model.bin"),
            ("file.txt?x=1", "file.txt"),
            ("..", ".."),
        ] {
            assert_eq!(url_basename(url), name, "{url}");
        }
    }
}
