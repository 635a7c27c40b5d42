//! `plots show --json` / `plots diff --json` (DVC's `_show_json` and `render/convert.py`):
//! `{"errors": [...], "data": {plot: [entry, ...]}}` with empty parts left out; a Vega entry
//! holds the revisions and the filled specification (with `--split`, the template with the
//! studio's anchors and their values apart), an image entry one revision and the image's path.

use dv_repo::compare::ReadError;
use dv_repo::ops::plots::{Matched, PlotsData, RenderError, Renderer};
use dv_schema::yaml::{Mapping, Value};

use super::ImageFiles;
use crate::output::yaml_to_python_json;

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

fn set(map: &mut Mapping, name: &str, value: Value) {
    map.insert(text(name), value);
}

/// A value as `json.dumps` writes it.
pub(crate) fn value_json(value: &Value) -> String {
    yaml_to_python_json(value)
}

/// An error entry: the given fields, then the exception's `type` and `msg`.
fn error_entry(fields: &[(&str, &str)], error: &ReadError) -> Value {
    let mut entry = Mapping::new();
    for (name, value) in fields {
        set(&mut entry, name, text(value));
    }
    set(&mut entry, "type", text(&error.kind));
    set(&mut entry, "msg", text(&error.message));
    Value::Mapping(entry)
}

/// The whole `--json` document.
pub(crate) fn plots_json(
    matched: &Matched,
    data: &PlotsData,
    images: &ImageFiles,
    split: bool,
) -> Result<String, RenderError> {
    let mut errors: Vec<Value> = Vec::new();
    let mut plots = Mapping::new();
    for entry in &matched.renderers {
        let name = entry.renderer.name();
        plots.insert(
            text(name),
            Value::Sequence(entries(&entry.renderer, images, split)?),
        );
        for failure in &entry.source_errors {
            errors.push(error_entry(
                &[
                    ("name", name),
                    ("rev", &failure.revision),
                    ("source", &failure.source),
                ],
                &failure.error,
            ));
        }
        for (revision, error) in &entry.definition_errors {
            errors.push(error_entry(&[("name", name), ("rev", revision)], error));
        }
    }
    for revision in &data.revisions {
        if let Err(error) = &revision.definitions {
            errors.push(error_entry(&[("rev", &revision.name)], error));
        }
    }
    let mut document = Mapping::new();
    if !errors.is_empty() {
        set(&mut document, "errors", Value::Sequence(errors));
    }
    if !plots.is_empty() {
        set(&mut document, "data", Value::Mapping(plots));
    }
    Ok(value_json(&Value::Mapping(document)))
}

/// The entries of one plot (DVC's `to_json`).
fn entries(
    renderer: &Renderer,
    images: &ImageFiles,
    split: bool,
) -> Result<Vec<Value>, RenderError> {
    match renderer {
        Renderer::Vega(vega) => {
            if vega.is_empty() {
                return Ok(Vec::new());
            }
            let revisions = vega.revisions().iter().map(|rev| text(rev)).collect();
            let mut entry = Mapping::new();
            set(&mut entry, "type", text("vega"));
            set(&mut entry, "revisions", Value::Sequence(revisions));
            if split {
                let (content, anchors) = vega.split()?;
                set(&mut entry, "content", content);
                set(&mut entry, "anchor_definitions", Value::Mapping(anchors));
            } else {
                set(&mut entry, "content", vega.filled()?);
            }
            Ok(vec![Value::Mapping(entry)])
        }
        Renderer::Image(image) => Ok(image
            .datapoints
            .iter()
            .map(|point| {
                let url = images
                    .iter()
                    .find(|((revision, file), _)| {
                        *revision == point.revision && *file == point.filename
                    })
                    .map(|(_, path)| path.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut entry = Mapping::new();
                set(&mut entry, "type", text("image"));
                set(
                    &mut entry,
                    "revisions",
                    Value::Sequence(vec![text(&point.revision)]),
                );
                set(&mut entry, "url", text(&url));
                Value::Mapping(entry)
            })
            .collect()),
    }
}
