//! `dv plots show`, `dv plots diff` and `dv plots templates` (DVC's `repo/plots/`,
//! `render/` and dvc-render): the plots of each revision collected (definitions and data
//! files), matched into renderers and filled into Vega-Lite templates. Writing the page, the
//! images and the JSON is the binary's.
//!
//! - here: [`Props`], [`PlotsData`], [`show`], [`diff`], [`templates_dir`];
//! - `definitions`: which plots a revision defines, with their properties;
//! - `source`: their data files, read and parsed (`csv`: Python's CSV reader);
//! - `matching`: definitions and data of all revisions grouped into [`Renderer`]s;
//! - `convert`: data into Vega datapoints; `vega`: a Vega-Lite plot's template filled;
//! - `template`: the built-in and custom templates; `paths`, `value`: Python's path and dict
//!   semantics the ported code relies on.

mod convert;
mod csv;
mod definitions;
mod matching;
mod paths;
mod source;
mod template;
mod value;
mod vega;

use std::path::{Path, PathBuf};

use dv_schema::yaml::{Mapping, Value};

pub use matching::{
    ImagePoint, ImageRenderer, Matched, Renderer, RendererWithErrors, SourceError, match_renderers,
};
pub use source::{Content, Source};
pub use template::{RenderError, built_in_text, names as template_names};
pub use vega::VegaRenderer;

use crate::compare::ReadError;
use crate::error::DvcError;
use crate::revisions::{At, Revisions, Snapshot};
use crate::workspace::{Workspace, repo_cwd};

/// The revision name of the working tree.
const WORKSPACE: &str = "workspace";

/// Plot properties given on the command line; they override those of every plot.
#[derive(Debug, Clone, Default)]
pub struct Props {
    /// `-t`: the template.
    pub template: Option<String>,
    /// `-x`: the x field.
    pub x: Option<String>,
    /// `-y`: the y field.
    pub y: Option<String>,
    /// `--x-label`.
    pub x_label: Option<String>,
    /// `--y-label`.
    pub y_label: Option<String>,
    /// `--title`.
    pub title: Option<String>,
    /// `--no-header`: `Some(false)`.
    pub header: Option<bool>,
}

impl Props {
    /// The properties set, in DVC's order (`template, x, y, x_label, y_label, title,
    /// header`).
    fn to_mapping(&self) -> Mapping {
        let mut map = Mapping::new();
        let strings = [
            ("template", &self.template),
            ("x", &self.x),
            ("y", &self.y),
            ("x_label", &self.x_label),
            ("y_label", &self.y_label),
            ("title", &self.title),
        ];
        for (name, value) in strings {
            if let Some(value) = value {
                value::set(&mut map, name, value::text(value));
            }
        }
        if let Some(header) = self.header {
            value::set(&mut map, "header", Value::Bool(header));
        }
        map
    }
}

/// What one revision defines and reads.
#[derive(Debug, Clone)]
pub struct RevisionPlots {
    /// The revision as named on the command line (`workspace` for the working tree).
    pub name: String,
    /// `{config file: {"data": {plot id: properties}}}`, or why the revision's plots could
    /// not be collected.
    pub definitions: Result<Mapping, ReadError>,
    /// The data files the definitions read, each parsed or with its error.
    pub sources: Vec<(String, Source)>,
}

impl RevisionPlots {
    /// Whether something of the revision failed (DVC's `errored_revisions`).
    pub fn has_errors(&self) -> bool {
        let definitions_failed = match &self.definitions {
            Err(_) => true,
            Ok(definitions) => definitions
                .values()
                .any(|config| matches!(config, Value::Mapping(map) if map.contains_key("error"))),
        };
        definitions_failed || self.sources.iter().any(|(_, source)| source.is_err())
    }
}

/// The plots of every revision that defines any, in DVC's order (the working tree first).
#[derive(Debug, Clone, Default)]
pub struct PlotsData {
    /// The revisions.
    pub revisions: Vec<RevisionPlots>,
}

impl PlotsData {
    /// Whether no revision defines any plot.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// The revisions where something failed.
    pub fn errored_revisions(&self) -> Vec<&str> {
        self.revisions
            .iter()
            .filter(|revision| revision.has_errors())
            .map(|revision| revision.name.as_str())
            .collect()
    }
}

/// Where custom templates are looked for first: `.dvc/plots`.
pub fn templates_dir(workspace: &Workspace) -> PathBuf {
    workspace.repo().dvc_dir().join("plots")
}

/// The plots of the working tree: `targets` (plot ids, patterns or files relative to the
/// working directory; all plots when empty) with `props` over their properties.
pub fn show(workspace: &Workspace, targets: &[String], props: &Props) -> anyhow::Result<PlotsData> {
    collect(workspace, vec![WORKSPACE.to_owned()], targets, props)
}

/// The plots of `revisions` (DVC's `plots diff`): with none, `HEAD` (when tracked files
/// changed) and the working tree; with one, it and the working tree. Nothing in a repository
/// without commits; DVC's error outside git.
pub fn diff(
    workspace: &Workspace,
    revisions: &[String],
    targets: &[String],
    props: &Props,
) -> anyhow::Result<PlotsData> {
    let Some(git) = workspace.git() else {
        return Err(DvcError(
            "Only supported for Git repositories. If you're seeing this error in a Git repo, try \
             updating the DVC configuration with `dvc config core.no_scm false`."
                .to_owned(),
        )
        .into());
    };
    if !Revisions::open(workspace)?.has_commits() {
        return Ok(PlotsData::default());
    }
    let mut selected = revisions.to_vec();
    if selected.len() <= 1 {
        if selected.is_empty() && git.has_changes()? {
            selected.push("HEAD".to_owned());
        }
        selected.push(WORKSPACE.to_owned());
    }
    collect(workspace, selected, targets, props)
}

/// DVC's `Plots.collect` and data resolution over `revs`.
fn collect(
    workspace: &Workspace,
    mut revs: Vec<String>,
    targets: &[String],
    props: &Props,
) -> anyhow::Result<PlotsData> {
    if let Some(position) = revs.iter().position(|rev| rev == WORKSPACE) {
        revs.remove(position);
        revs.insert(0, WORKSPACE.to_owned());
    }
    let revisions = Revisions::open(workspace)?;
    let cwd = repo_cwd(workspace);
    let targets: Vec<String> = targets
        .iter()
        .map(|target| target_path(workspace, target))
        .collect();
    let props = props.to_mapping();
    let mut data = PlotsData::default();
    for rev in revs {
        let at = if rev == WORKSPACE {
            At::Workspace
        } else {
            At::Commit(revisions.resolve(&rev)?)
        };
        let collected = match Snapshot::open(workspace, &revisions, at) {
            Err(error) => Some(RevisionPlots {
                name: rev.clone(),
                definitions: Err(revision_failure(&error)),
                sources: Vec::new(),
            }),
            Ok(snapshot) => {
                let collector = definitions::Collector {
                    snapshot: &snapshot,
                    cwd: &cwd,
                    targets: &targets,
                    props: &props,
                    in_workspace: at == At::Workspace,
                };
                match collector.collect() {
                    Ok(definitions) if definitions.is_empty() => None,
                    Ok(definitions) => {
                        let wanted = source::data_targets(&definitions);
                        let sources = source::collect(&snapshot, &cwd, &wanted, &props);
                        Some(RevisionPlots {
                            name: rev.clone(),
                            definitions: Ok(definitions),
                            sources,
                        })
                    }
                    Err(error) => Some(RevisionPlots {
                        name: rev.clone(),
                        definitions: Err(error),
                        sources: Vec::new(),
                    }),
                }
            }
        };
        if let Some(collected) = collected {
            match data.revisions.iter_mut().find(|known| known.name == rev) {
                Some(known) => *known = collected,
                None => data.revisions.push(collected),
            }
        }
    }
    Ok(data)
}

/// Why a revision's stage files could not be loaded, as DVC's plots record it: the exception
/// type, and its short message (without the details DVC prints for other commands).
fn revision_failure(error: &anyhow::Error) -> ReadError {
    let message = error.to_string();
    let first = message.split("\n\n").next().unwrap_or(&message);
    if let Some((file, _)) = first.split_once("' is invalid: ")
        && let Some(file) = file.strip_prefix('\'')
    {
        return ReadError {
            kind: "YAMLSyntaxError".to_owned(),
            message: format!(
                "unable to read: '{}', YAML file structure is corrupted",
                file.strip_prefix("./").unwrap_or(file)
            ),
        };
    }
    if first.contains("' validation failed") {
        return ReadError {
            kind: "YAMLValidationError".to_owned(),
            message: first.trim_end_matches('.').to_owned(),
        };
    }
    ReadError {
        kind: "DvcException".to_owned(),
        message,
    }
}

/// A target as DVC's file system takes it: an absolute path made relative to the repository
/// root, any other kept as given.
fn target_path(workspace: &Workspace, target: &str) -> String {
    let path = Path::new(target);
    if !path.is_absolute() {
        return target.to_owned();
    }
    crate::path::relative(path, workspace.root())
}
