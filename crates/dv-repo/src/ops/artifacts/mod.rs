//! `dvc artifacts get URL NAME [--rev VERSION | --stage STAGE] [-o OUT] [--show-url]`
//! (spec: revision-commands §1.5): an artifact of a model registry, the file or directory its
//! `dvc.yaml` declares at the commit its GTO tag names, written out like `get` writes a path.
//!
//! The version comes from the registry's tags (`gto`): `--rev` is a version (`v1.0.0`),
//! `--stage` the newest assignment of a stage, neither the greatest version. The tags are read
//! from the source's clone (refreshed when the source's tags changed); the commit is then
//! opened like any source revision, its objects taken from the source's cache or remote.
//!
//! DVC asks Studio first when a Studio token is configured; dv never does. Like DVC, when the
//! download fails it first reports why Studio was not used.

mod gto;

use std::path::{Path, PathBuf};

use dv_data::progress::Progress;
use dv_pipeline::files::WorkingTree;
use dv_pipeline::resolve::{LoadError, LoadOptions};
use dv_schema::config::Table;
use dv_schema::repo_path::RepoPath;
use dv_schema::shown::python_repr;
use dv_schema::yaml::Value;

use crate::config::Config;
use crate::environment::Environment;
use crate::error::{CommandError, DvcError};
use crate::sources::clones;
use crate::sources::{Opening, SourceRepo, SourceSpec, download, is_unknown_remote, local_path};

/// What `artifacts get` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ArtifactsGetOptions {
    /// The registry: its URL, `--config`, `--remote`, `--remote-config` (its `rev` unused).
    pub spec: SourceSpec,
    /// The artifact's name as given (`name`, `dir:name`, `dir/dvc.yaml:name`).
    pub name: String,
    /// `--rev`: the version.
    pub version: Option<String>,
    /// `--stage`.
    pub stage: Option<String>,
    /// `-o`.
    pub out: Option<PathBuf>,
    /// `-j`.
    pub jobs: Option<usize>,
    /// `-f`: replace an existing output.
    pub force: bool,
}

/// What `artifacts get` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ArtifactsGetReport {
    /// How many files.
    pub files: usize,
    /// Where, as DVC names it (`-o` as given, joined with the artifact's file name).
    pub out: String,
}

/// A failed `artifacts get`. Before a failed download DVC reports its failed Studio attempt
/// (`studio`, an error line of its own).
#[derive(Debug)]
pub struct ArtifactsGetFailure {
    /// `Failed to download artifact 'x' via Studio - No studio config`.
    pub studio: Option<String>,
    /// The failure.
    pub error: anyhow::Error,
}

impl From<anyhow::Error> for ArtifactsGetFailure {
    fn from(error: anyhow::Error) -> ArtifactsGetFailure {
        ArtifactsGetFailure {
            studio: None,
            error,
        }
    }
}

/// Writes the artifact out, counting transfers in `progress`. `config` is the configuration
/// of the repository the command runs in, if any (for the clone cache's place).
pub fn get(
    environment: &Environment,
    config: Option<&Table>,
    options: &ArtifactsGetOptions,
    progress: &Progress,
) -> Result<ArtifactsGetReport, ArtifactsGetFailure> {
    let failed = |message: String| -> anyhow::Error {
        CommandError(format!(
            "failed to get '{}' from '{}' - {message}",
            options.name, options.spec.url
        ))
        .into()
    };
    if options.version.is_some() && options.stage.is_some() {
        return Err(failed("Artifact version and stage are mutually exclusive.".to_owned()).into());
    }
    let name = gto::reformat_name(&options.name);
    let config_file = read_config_file(environment, &options.spec)?;
    let mut studio = studio_settings(environment, config_file.as_ref());
    let via_remote = |studio: &Studio, cause: String| ArtifactsGetFailure {
        studio: Some(format!(
            "Failed to download artifact '{name}' via Studio - {}",
            studio.reason()
        )),
        error: failed(format!(
            "Failed to download artifact '{name}' via DVC remote: {cause}"
        )),
    };
    let commit = match find_commit(environment, config, options, &name) {
        Ok(commit) => commit,
        Err(Found::Clone(error)) => {
            let message = format!("failed to get '{}' - {error:#}", options.name);
            return Err(anyhow::Error::from(CommandError(message)).into());
        }
        Err(Found::Not(cause)) => return Err(via_remote(&studio, cause)),
    };
    let spec = SourceSpec {
        url: registry_url(environment, &options.spec.url).0,
        rev: None,
        ..options.spec.clone()
    };
    let source = match SourceRepo::open(environment, config, &spec, Opening::Locked(&commit)) {
        Ok(source) => source,
        Err(error) if is_unknown_remote(&error, &spec) => {
            return Err(via_remote(&studio, format!("{error}")));
        }
        Err(error) => return Err(via_remote(&studio, format!("{error:#}"))),
    };
    studio.read(source.workspace.config());
    let path =
        artifact_path(&source, &name).map_err(|cause| via_remote(&studio, format!("{cause:#}")))?;
    let (out, shown) = resolve_output(environment, &path, options.out.as_deref());
    if out.exists() && !options.force {
        let kind = if out.is_dir() { "directory" } else { "file" };
        return Err(failed(format!(
            "The {kind} '{shown}' already exists locally. \nTo override it, re-run with '--force'."
        ))
        .into());
    }
    let files = download::download(&source, &path, &out, options.force, options.jobs, progress)
        .map_err(|error| via_remote(&studio, format!("{error:#}")))?;
    Ok(ArtifactsGetReport { files, out: shown })
}

/// `--show-url`: where the artifact's data is stored. Like DVC, `--config` is not read, and
/// every failure is reported as DVC reports an uncaught error (exit code 255).
pub fn show_url(
    environment: &Environment,
    config: Option<&Table>,
    options: &ArtifactsGetOptions,
) -> anyhow::Result<String> {
    if options.version.is_some() && options.stage.is_some() {
        return Err(anyhow::anyhow!(
            "Artifact version and stage are mutually exclusive."
        ));
    }
    let name = gto::reformat_name(&options.name);
    let commit = match find_commit(environment, config, options, &name) {
        Ok(commit) => commit,
        Err(Found::Clone(error)) => return Err(DvcError(format!("{error:#}")).into()),
        Err(Found::Not(cause)) if cause == gto::NotChosen::NoVersion.to_string() => {
            return Err(anyhow::anyhow!(cause));
        }
        Err(Found::Not(cause)) => return Err(DvcError(cause).into()),
    };
    let spec = SourceSpec {
        url: registry_url(environment, &options.spec.url).0,
        rev: None,
        config: None,
        ..options.spec.clone()
    };
    let source = SourceRepo::open(environment, config, &spec, Opening::Locked(&commit))
        .map_err(|error| DvcError(format!("{error:#}")))?;
    let path = artifact_path(&source, &name).map_err(|error| {
        if error.is::<NoSuchDirectory>() {
            error
        } else {
            DvcError(format!("{error:#}")).into()
        }
    })?;
    let url = download::storage_url(&source, &path, options.jobs)
        .map_err(|error| DvcError(format!("{error:#}")))?;
    url.ok_or_else(|| {
        let parts: Vec<String> = path.as_str().split('/').map(python_repr).collect();
        let tuple = if parts.len() == 1 {
            format!("({},)", parts[0])
        } else {
            format!("({})", parts.join(", "))
        };
        DvcError(format!(
            "Unable to find DVC file with output '{}': {tuple}",
            path.as_str()
        ))
        .into()
    })
}

/// Why the artifact's commit was not found.
enum Found {
    /// The source could not be cloned (DVC: `CloneError`, reported without the Studio line).
    Clone(anyhow::Error),
    /// No such artifact or version, or a local directory outside git.
    Not(String),
}

/// The commit the registry's tags name for the artifact.
fn find_commit(
    environment: &Environment,
    config: Option<&Table>,
    options: &ArtifactsGetOptions,
    name: &str,
) -> Result<String, Found> {
    let (git_url, local) = registry_url(environment, &options.spec.url);
    let tags = match clones::open_with_tags(environment, config, &git_url) {
        Ok(clone) => dv_scm::history::History::open(clone.mirror.git_dir())
            .and_then(|history| history.annotated_tags())
            .map_err(|error| Found::Not(error.to_string()))?,
        // A local directory is opened in place by DVC: without git it has no tags.
        Err(_) if local => return Err(Found::Not("'scm' is required".to_owned())),
        Err(error) => return Err(Found::Clone(error)),
    };
    gto::choose(
        &tags,
        name,
        options.version.as_deref(),
        options.stage.as_deref(),
    )
    .map(|id| id.to_string())
    .map_err(|not| Found::Not(not.to_string()))
}

/// The directory of an artifact is not in the source at its commit (DVC: `NotDvcRepoError`,
/// exit code 253 where it is not caught).
#[derive(Debug, thiserror::Error)]
#[error("directory '/{0}' does not exist")]
pub struct NoSuchDirectory(pub String);

/// Where the registry's git repository is, and whether it is a local directory: a local
/// directory inside a git work tree is read as that repository (DVC finds git above it).
fn registry_url(environment: &Environment, url: &str) -> (String, bool) {
    match local_path(environment, url) {
        Some(dir) => {
            let root = dv_scm::Git::discover(&dir).map_or(dir, |git| git.root().to_path_buf());
            (root.to_string_lossy().into_owned(), true)
        }
        None => (url.to_owned(), false),
    }
}

/// The artifact's path in the source (from the `dvc.yaml` of its directory), normalized.
fn artifact_path(source: &SourceRepo, name: &str) -> anyhow::Result<RepoPath> {
    let not_found = || format!("Unable to find artifact '{name}'");
    let (dir, short) = gto::parse_name(name).ok_or_else(|| anyhow::anyhow!(not_found()))?;
    let dir_path = normalize(dir.as_deref().unwrap_or(""));
    if !source.root().join(&dir_path).is_dir() {
        return Err(NoSuchDirectory(dir.unwrap_or_default()).into());
    }
    let artifact = declared_path(source, &dir_path, &short).map_err(|cause| {
        anyhow::anyhow!(match cause {
            Some(key) => format!("{}: {}", not_found(), python_repr(&key)),
            None => not_found(),
        })
    })?;
    let artifact = artifact?;
    let joined = if artifact.starts_with('/') {
        artifact.clone()
    } else {
        format!("{}/{artifact}", dir.as_deref().unwrap_or(""))
    };
    let normalized = normalize(&joined);
    RepoPath::new(&normalized)
        .ok()
        .filter(|path| !path.as_str().is_empty())
        .ok_or_else(|| anyhow::anyhow!("'{artifact}' is not a path inside the source repository"))
}

/// The `path` of artifact `short` in the `dvc.yaml` of `dir`. DVC looks the file up among
/// those declaring artifacts, then the name in it: `Err` names what is missing (DVC shows it
/// after its message: `: 'dvc.yaml'`, `: 'model'`); `Ok(Err)` is a file that does not load.
fn declared_path(
    source: &SourceRepo,
    dir: &str,
    short: &str,
) -> Result<anyhow::Result<String>, Option<String>> {
    let dvc_yaml = if dir.is_empty() {
        "dvc.yaml".to_owned()
    } else {
        format!("{dir}/dvc.yaml")
    };
    let dvc_yaml = RepoPath::new(&dvc_yaml).map_err(|_| None)?;
    let files = WorkingTree::new(source.root());
    let file = match dv_pipeline::resolve::load(&files, &dvc_yaml, &LoadOptions::default()) {
        Ok(file) => file,
        Err(LoadError::Missing { .. }) => return Err(Some(dvc_yaml.as_str().to_owned())),
        Err(error) => return Ok(Err(error.into())),
    };
    let artifacts = match file.artifacts() {
        Ok(artifacts) => artifacts,
        Err(error) => return Ok(Err(error.into())),
    };
    if artifacts.is_empty() {
        return Err(Some(dvc_yaml.as_str().to_owned()));
    }
    match artifacts.get(short) {
        Some(Value::Mapping(artifact)) => match artifact.get("path") {
            Some(Value::String(path)) => Ok(Ok(path.clone())),
            _ => Err(Some(short.to_owned())),
        },
        _ => Err(Some(short.to_owned())),
    }
}

/// Python's `posixpath.normpath` of a relative path, without the leading slash: `.` and empty
/// components dropped, `..` kept only where nothing precedes it.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// DVC's `resolve_output`: the artifact's file name in the current directory, inside `-o`
/// when that is a directory, else `-o` itself; absolute, and as DVC names it.
fn resolve_output(
    environment: &Environment,
    path: &RepoPath,
    out: Option<&Path>,
) -> (PathBuf, String) {
    let name = path.as_str().rsplit('/').next().unwrap_or_default();
    let shown = match out {
        None => PathBuf::from(name),
        Some(out) if environment.absolute(out).is_dir() => out.join(name),
        Some(out) => out.to_path_buf(),
    };
    (
        environment.absolute(&shown),
        shown.to_string_lossy().into_owned(),
    )
}

/// `--config`: read before anything else (DVC fails on a missing file with an uncaught error).
fn read_config_file(
    environment: &Environment,
    spec: &SourceSpec,
) -> Result<Option<Table>, ArtifactsGetFailure> {
    let Some(file) = &spec.config else {
        return Ok(None);
    };
    let path = environment.absolute(Path::new(file));
    let bytes = std::fs::read(&path).map_err(|error| {
        let message = match error.kind() {
            std::io::ErrorKind::NotFound => {
                format!("[Errno 2] No such file or directory: '{file}'")
            }
            _ => format!("{error}: '{file}'"),
        };
        anyhow::anyhow!(message)
    })?;
    // A file that does not parse fails later, where the source's configuration is read.
    Ok(dv_schema::config::parse(&bytes, None).ok())
}

/// Whether DVC would ask Studio: a token (environment or configuration) and not offline.
struct Studio {
    token: bool,
    offline: bool,
}

impl Studio {
    fn read(&mut self, table: &Table) {
        if let Some(studio) = table.table("studio") {
            self.token |= studio.str("token").is_some_and(|token| !token.is_empty());
            self.offline |= studio.str("offline").is_some_and(truthy);
        }
    }

    fn reason(&self) -> &'static str {
        if self.token && !self.offline {
            "dv does not download through Studio"
        } else {
            "No studio config"
        }
    }
}

/// The Studio settings of the environment, the user's and system configuration and
/// `--config`.
fn studio_settings(environment: &Environment, config_file: Option<&Table>) -> Studio {
    let set = |name: &str| environment.var(name).is_some_and(|value| !value.is_empty());
    let mut studio = Studio {
        token: set("DVC_STUDIO_TOKEN") || set("STUDIO_TOKEN"),
        offline: environment.var("DVC_STUDIO_OFFLINE").is_some_and(truthy),
    };
    if let Ok(table) = Config::new(None, environment).load_to_level(None) {
        studio.read(&table);
    }
    if let Some(table) = config_file {
        studio.read(table);
    }
    studio
}

/// dvc-studio-client's reading of a flag: true when it mentions `1`, `y`, `yes` or `true`.
fn truthy(value: &str) -> bool {
    let value = value.to_lowercase();
    value.contains('1') || value.contains('y') || value.contains("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_posixpath() {
        assert_eq!(normalize("sub/./d//x/"), "sub/d/x");
        assert_eq!(normalize("/sub/../x"), "x");
        assert_eq!(normalize("../x"), "../x");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn reads_flags_as_studio_client_does() {
        assert!(truthy("True") && truthy("1") && truthy("yes") && truthy("only"));
        assert!(!truthy("false") && !truthy("0") && !truthy("no"));
    }
}
