//! From collected definitions and data to renderers (DVC's `render/match.py`): definitions of
//! every revision grouped by plot id (`config::id` when two config files define the same id),
//! properties squashed with the first revision's winning, each revision's data converted to
//! datapoints, and one renderer per plot: a Vega-Lite plot, or the images of an image plot.

use std::path::Path;

use dv_schema::yaml::{Mapping, Value};

use super::convert::VegaConverter;
use super::paths::suffix;
use super::source::{Content, IMAGE_EXTENSIONS, infer_sources};
use super::template::{RenderError, Template};
use super::value::{get, get_str, set, text};
use super::vega::VegaRenderer;
use super::{PlotsData, RevisionPlots};
use crate::compare::ReadError;

/// One image of an image plot at one revision.
#[derive(Debug, Clone)]
pub struct ImagePoint {
    /// The revision.
    pub revision: String,
    /// The image file.
    pub filename: String,
    /// Its bytes.
    pub image: Vec<u8>,
}

impl ImagePoint {
    /// The name DVC saves the image under: `<rev>_<file>` with `/` replaced by `_`.
    pub fn file_name(&self) -> String {
        format!("{}_{}", self.revision, self.filename).replace('/', "_")
    }
}

/// An image plot: one image per revision that has it.
#[derive(Debug, Clone)]
pub struct ImageRenderer {
    /// The plot's id (the image file).
    pub name: String,
    /// The images, in revision order.
    pub datapoints: Vec<ImagePoint>,
}

/// A plot to show.
#[derive(Debug, Clone)]
pub enum Renderer {
    /// A Vega-Lite plot.
    Vega(VegaRenderer),
    /// Images.
    Image(ImageRenderer),
}

impl Renderer {
    /// The plot's name.
    pub fn name(&self) -> &str {
        match self {
            Renderer::Vega(vega) => &vega.name,
            Renderer::Image(image) => &image.name,
        }
    }
}

/// A data file of a plot that could not be read at a revision.
#[derive(Debug, Clone)]
pub struct SourceError {
    /// The revision.
    pub revision: String,
    /// The data file.
    pub source: String,
    /// Why.
    pub error: ReadError,
}

/// A plot with the errors met while collecting it.
#[derive(Debug, Clone)]
pub struct RendererWithErrors {
    /// The plot.
    pub renderer: Renderer,
    /// Its data files that could not be read.
    pub source_errors: Vec<SourceError>,
    /// The revisions whose data could not be turned into datapoints, and why.
    pub definition_errors: Vec<(String, ReadError)>,
}

/// The plots to show, and the warnings DVC logs while matching them (`In 'rev', <error>`:
/// the revision and the error's message).
#[derive(Debug, Clone, Default)]
pub struct Matched {
    /// The plots, in definition order.
    pub renderers: Vec<RendererWithErrors>,
    /// `(revision, message)` of each plot that failed at a revision.
    pub warnings: Vec<(String, String)>,
}

/// One revision's definition of a plot: the revision, the id in its config file, the
/// properties.
type GroupEntry<'a> = (&'a str, String, &'a Value);

/// The plots of `data`: custom templates are looked for in `templates_dir`, then relative to
/// `cwd`. Fails as DVC fails (an unexpected error) for a template it cannot find or use.
pub fn match_renderers(
    data: &PlotsData,
    templates_dir: Option<&Path>,
    cwd: &Path,
) -> Result<Matched, RenderError> {
    let mut matched = Matched::default();
    for (plot_id, group) in group_definitions(data) {
        let mut props = squash(&group);
        let mut datapoints: Vec<Mapping> = Vec::new();
        let mut images: Vec<ImagePoint> = Vec::new();
        let mut first_props = Mapping::new();
        let mut definition_errors: Vec<(String, ReadError)> = Vec::new();
        let mut source_errors: Vec<SourceError> = Vec::new();
        let mut revisions: Vec<String> = Vec::new();
        let mut is_image = false;
        let mut renderer_id = plot_id.clone();
        if let Some(dir) = templates_dir {
            set(&mut props, "template_dir", text(&dir.to_string_lossy()));
        }
        for (revision, inner_id, definition) in &group {
            let sources = infer_sources(inner_id, definition);
            let revision_data = data.revision(revision);
            is_image = IMAGE_EXTENSIONS.contains(&suffix(inner_id));
            renderer_id = if is_image {
                inner_id.clone()
            } else {
                plot_id.clone()
            };
            for source in &sources {
                if let Some(Err(error)) = revision_data.and_then(|rev| rev.source(source)) {
                    source_errors.push(SourceError {
                        revision: (*revision).to_owned(),
                        source: source.clone(),
                        error: error.clone(),
                    });
                }
            }
            let contents: Vec<(String, &Content)> = sources
                .iter()
                .filter_map(|source| {
                    let content = revision_data?.source(source)?.as_ref().ok()?.as_ref()?;
                    Some((source.clone(), content))
                })
                .collect();
            if is_image {
                let points: Vec<ImagePoint> = contents
                    .iter()
                    .filter_map(|(file, content)| match content {
                        Content::Image(bytes) => Some(ImagePoint {
                            revision: (*revision).to_owned(),
                            filename: file.clone(),
                            image: bytes.clone(),
                        }),
                        Content::Data(_) => None,
                    })
                    .collect();
                if !points.is_empty() && !revisions.iter().any(|known| known == revision) {
                    revisions.push((*revision).to_owned());
                }
                if first_props.is_empty() {
                    first_props = props.clone();
                }
                images.extend(points);
                continue;
            }
            let values: Vec<(String, &Value)> = contents
                .iter()
                .filter_map(|(file, content)| match content {
                    Content::Data(value) => Some((file.clone(), value)),
                    Content::Image(_) => None,
                })
                .collect();
            let converter = VegaConverter {
                plot_id: inner_id,
                data: values,
                properties: &props,
            };
            match converter.flat_datapoints(revision) {
                Ok((points, revision_props)) => {
                    if !points.is_empty() && !revisions.iter().any(|known| known == revision) {
                        revisions.push((*revision).to_owned());
                    }
                    if first_props.is_empty() && !revision_props.is_empty() {
                        first_props = revision_props;
                    }
                    datapoints.extend(points);
                }
                Err(error) => {
                    matched
                        .warnings
                        .push(((*revision).to_owned(), error.message.clone()));
                    definition_errors.push(((*revision).to_owned(), error));
                }
            }
        }
        if !first_props.contains_key("title") {
            set(&mut first_props, "title", text(&renderer_id));
        }
        if !revisions.is_empty() {
            set(
                &mut first_props,
                "revs_with_datapoints",
                Value::Sequence(revisions.iter().map(|rev| text(rev)).collect()),
            );
        }
        let renderer = if is_image {
            Renderer::Image(ImageRenderer {
                name: renderer_id,
                datapoints: images,
            })
        } else {
            let template_dir = get_str(&first_props, "template_dir").map(Path::new);
            let template = Template::find(get_str(&first_props, "template"), template_dir, cwd)?;
            Renderer::Vega(VegaRenderer::new(
                renderer_id,
                datapoints,
                first_props,
                template,
            ))
        };
        matched.renderers.push(RendererWithErrors {
            renderer,
            source_errors,
            definition_errors,
        });
    }
    Ok(matched)
}

/// The definitions of every revision grouped by plot id, ids in order of first appearance,
/// each group's entries in revision order.
fn group_definitions(data: &PlotsData) -> Vec<(String, Vec<GroupEntry<'_>>)> {
    let mut groups: Vec<(String, Vec<GroupEntry<'_>>)> = Vec::new();
    for revision in &data.revisions {
        let Ok(definitions) = &revision.definitions else {
            continue;
        };
        for (id, inner_id, props) in definitions_by_id(definitions) {
            let entry = (revision.name.as_str(), inner_id, props);
            match groups.iter_mut().find(|(known, _)| *known == id) {
                Some((_, entries)) => entries.push(entry),
                None => groups.push((id, vec![entry])),
            }
        }
    }
    groups
}

/// The plots of one revision by id: a plot id defined in one config file keeps it, one
/// defined in several becomes `config::id` in each (DVC's `group_definitions_by_id`).
fn definitions_by_id(definitions: &Mapping) -> Vec<(String, String, &Value)> {
    let mut by_plot: Vec<(String, Vec<(String, &Value)>)> = Vec::new();
    for (config, content) in definitions {
        let Value::Mapping(content) = content else {
            continue;
        };
        let Some(Value::Mapping(plots)) = get(content, "data") else {
            continue;
        };
        let config = value_text(config);
        for (id, props) in plots {
            let id = value_text(id);
            match by_plot.iter_mut().find(|(known, _)| *known == id) {
                Some((_, configs)) => {
                    match configs.iter_mut().find(|(known, _)| *known == config) {
                        Some(entry) => entry.1 = props,
                        None => configs.push((config.clone(), props)),
                    }
                }
                None => by_plot.push((id, vec![(config.clone(), props)])),
            }
        }
    }
    let mut by_id = Vec::new();
    for (id, configs) in by_plot {
        if configs.len() == 1 {
            by_id.push((id.clone(), id, configs[0].1));
            continue;
        }
        for (config, props) in configs {
            let full_id = if config.is_empty() {
                id.clone()
            } else {
                format!("{config}::{id}")
            };
            by_id.push((full_id, id.clone(), props));
        }
    }
    by_id
}

/// The properties of a plot over its revisions: each revision's, the first one's winning.
fn squash(group: &[GroupEntry<'_>]) -> Mapping {
    let mut resolved = Mapping::new();
    for (_, _, props) in group.iter().rev() {
        if let Value::Mapping(props) = props {
            for (name, value) in props {
                resolved.insert(name.clone(), value.clone());
            }
        }
    }
    resolved
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => crate::compare::key_text(other),
    }
}

impl PlotsData {
    /// The collected plots of the revision named `name`.
    pub(crate) fn revision(&self, name: &str) -> Option<&RevisionPlots> {
        self.revisions.iter().find(|revision| revision.name == name)
    }
}

impl RevisionPlots {
    /// The data file `path` of the revision, if it was collected.
    pub(crate) fn source(&self, path: &str) -> Option<&super::Source> {
        self.sources
            .iter()
            .find(|(known, _)| known == path)
            .map(|(_, source)| source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_defined_in_two_config_files_are_prefixed() {
        let definitions = match dv_schema::yaml::parse(
            "dvc.yaml: {data: {a.csv: {}, b.csv: {}}}\n'': {data: {a.csv: {x: s}}}\n",
        ) {
            Ok(Value::Mapping(map)) => map,
            other => panic!("{other:?}"),
        };
        let ids: Vec<(String, String)> = definitions_by_id(&definitions)
            .into_iter()
            .map(|(id, inner, _)| (id, inner))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("dvc.yaml::a.csv".to_owned(), "a.csv".to_owned()),
                ("a.csv".to_owned(), "a.csv".to_owned()),
                ("b.csv".to_owned(), "b.csv".to_owned()),
            ]
        );
    }
}
