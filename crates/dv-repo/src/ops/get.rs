//! `dvc get URL PATH [-o OUT] [--rev R]` (spec: revision-commands §1.5): a copy of a file or
//! directory of another repository (its outputs by hash from the source's cache or remote, its
//! git files from git), tracked by nothing. Works outside a repository.
//!
//! The output is written atomically by [`crate::sources::download`].

use std::path::{Path, PathBuf};

use dv_data::progress::Progress;

use crate::environment::Environment;
use crate::error::CommandError;
use crate::sources::download;
use crate::sources::import::source_path;
use crate::sources::{Opening, SourceRepo, SourceSpec};

/// What `get` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// The source repository.
    pub spec: SourceSpec,
    /// The path inside it.
    pub path: String,
    /// `-o`: where to write (default: the path's last component, in the working directory).
    pub out: Option<PathBuf>,
    /// `-j`.
    pub jobs: Option<usize>,
    /// `-f`: replace an existing output.
    pub force: bool,
    /// `--show-url`: only say where the data is.
    pub show_url: bool,
}

/// What `get` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GetReport {
    /// `--show-url`: the storage URL of the object.
    pub url: Option<String>,
    /// The output written.
    pub out: Option<PathBuf>,
}

/// DVC's wrapper around every `get` error.
fn get_error(options: &GetOptions, cause: &anyhow::Error, with_source: bool) -> anyhow::Error {
    let source = if with_source {
        format!(" from '{}'", options.spec.url)
    } else {
        String::new()
    };
    CommandError(format!(
        "failed to get '{}'{source} - {cause:#}",
        options.path
    ))
    .into()
}

/// Copies `options.path` of the source to the output, counting transfers in `progress`.
pub fn get(
    environment: &Environment,
    config: Option<&dv_schema::config::Table>,
    options: &GetOptions,
    progress: &Progress,
) -> anyhow::Result<GetReport> {
    let path = source_path(&options.path)?;
    let source = SourceRepo::open(environment, config, &options.spec, Opening::AsSpecified)
        .map_err(|error| {
            let unreachable = error.is::<crate::sources::CloneFailed>();
            get_error(options, &error, !unreachable)
        })?;
    let wrap = |error: anyhow::Error| get_error(options, &error, true);
    if options.show_url {
        return show_url(&source, &path, options).map_err(wrap);
    }
    let name = path
        .as_str()
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            Path::new(&options.spec.url)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "data".to_owned())
        });
    let mut out = environment.absolute(options.out.as_deref().unwrap_or(Path::new(&name)));
    let mut shown = options
        .out
        .as_deref()
        .map(|o| o.display().to_string())
        .unwrap_or_else(|| name.clone());
    if options.out.is_some() && out.is_dir() {
        out = out.join(&name);
        shown = format!("{}/{name}", shown.trim_end_matches('/'));
    }
    if let Ok(metadata) = std::fs::symlink_metadata(&out)
        && !options.force
    {
        let kind = if metadata.is_dir() {
            "directory"
        } else {
            "file"
        };
        return Err(wrap(
            CommandError(format!(
                "The {kind} '{shown}' already exists locally. \nTo override it, re-run with '--force'."
            ))
            .into(),
        ));
    }
    download::download(&source, &path, &out, options.force, options.jobs, progress)
        .map_err(wrap)?;
    Ok(GetReport {
        url: None,
        out: Some(out),
    })
}

/// `--show-url`: the storage URL of a file or directory output (or of a file in one).
fn show_url(
    source: &SourceRepo,
    path: &dv_schema::repo_path::RepoPath,
    options: &GetOptions,
) -> anyhow::Result<GetReport> {
    let url = download::storage_url(source, path, options.jobs)?.ok_or_else(|| {
        CommandError(format!(
            "Unable to find DVC file with output '{}'",
            options.path
        ))
    })?;
    Ok(GetReport {
        url: Some(url),
        out: None,
    })
}
