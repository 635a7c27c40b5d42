//! Vega-Lite templates: the nine built-in ones (dvc-render's, embedded from fixtures the oracle
//! printed; see `templates/NOTICE`), custom ones found in `.dvc/plots/` or by path, and the
//! anchors (`<DVC_METRIC_X>`, ...) DVC fills in them (dvc-render's `vega_templates.py`).

use std::path::{Path, PathBuf};

use dv_schema::yaml::{Mapping, Value};

/// The built-in templates, in the order `plots templates` lists them, with their JSON as
/// `dvc plots templates NAME` prints it.
const BUILT_IN: [(&str, &str); 9] = [
    ("simple", include_str!("templates/simple.json")),
    ("linear", include_str!("templates/linear.json")),
    ("confusion", include_str!("templates/confusion.json")),
    (
        "confusion_normalized",
        include_str!("templates/confusion_normalized.json"),
    ),
    ("scatter", include_str!("templates/scatter.json")),
    (
        "scatter_jitter",
        include_str!("templates/scatter_jitter.json"),
    ),
    ("smooth", include_str!("templates/smooth.json")),
    (
        "bar_horizontal_sorted",
        include_str!("templates/bar_horizontal_sorted.json"),
    ),
    (
        "bar_horizontal",
        include_str!("templates/bar_horizontal.json"),
    ),
];

/// The template used when a plot names none.
const DEFAULT_TEMPLATE: &str = "linear";

/// The names of the built-in templates, in DVC's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILT_IN.iter().map(|(name, _)| *name)
}

/// The JSON text of the built-in template `name` (one line, as DVC prints it when not on a
/// terminal, without the line break).
pub fn built_in_text(name: &str) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, text)| text.trim_end())
}

/// Why a plot could not be drawn with its template (dvc-render's errors): DVC raises these
/// outside its own exception hierarchy, so they end the command as unexpected errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// No custom template and no built-in one has the name.
    #[error("Template '{0}' not found.")]
    NotFound(String),
    /// A custom template that is not valid JSON, or not a JSON object.
    #[error("{0}")]
    Bad(String),
    /// A template without the data anchor.
    #[error("Template '{name}' is not using '<DVC_METRIC_DATA>' anchor")]
    NoDataAnchor {
        /// The template's name.
        name: String,
    },
    /// A field the plot names is in no datapoint.
    #[error("Field '{0}' does not exist in provided data.")]
    NoField(String),
    /// A plot of several sources that all name the same file and field (DVC fails indexing
    /// the list of what varies between them).
    #[error("list index out of range")]
    NoVariation,
}

/// A template being filled: its name and its current content.
#[derive(Debug, Clone)]
pub struct Template {
    /// The name it was asked for by (or `linear`).
    pub name: String,
    /// The content, anchors not yet filled replaced as they are filled.
    pub content: Value,
}

/// The text DVC puts in a template where a value goes: `<DVC_METRIC_NAME>`.
pub fn anchor(name: &str) -> String {
    format!("<DVC_METRIC_{}>", name.to_uppercase())
}

impl Template {
    /// The template `name` (`linear` when none): a file `name` or `name.json` (the suffix
    /// replaced) in `templates_dir`, else a file at `name` relative to `cwd`, else the built-in
    /// template of that name (dvc-render's `get_template`).
    pub fn find(
        name: Option<&str>,
        templates_dir: Option<&Path>,
        cwd: &Path,
    ) -> Result<Template, RenderError> {
        let name = name.unwrap_or(DEFAULT_TEMPLATE);
        if let Some(path) = custom_path(name, templates_dir, cwd) {
            let text = std::fs::read(&path)
                .map_err(|error| RenderError::Bad(io_message(&error, &path)))?;
            let json: serde_json::Value = serde_json::from_slice(&text)
                .map_err(|error| RenderError::Bad(error.to_string()))?;
            if !json.is_object() {
                return Err(RenderError::Bad(String::new()));
            }
            return Ok(Template {
                name: name.to_owned(),
                content: from_json(json),
            });
        }
        match built_in_text(name) {
            Some(text) => Ok(Template {
                name: name.to_owned(),
                content: from_json(
                    serde_json::from_str(text).expect("the built-in templates are valid JSON"),
                ),
            }),
            None => Err(RenderError::NotFound(name.to_owned())),
        }
    }

    /// Whether the content has a string equal to the anchor `name` (dvc-render's `find_value`:
    /// mapping values and list items, not lists inside lists).
    pub fn has_anchor(&self, name: &str) -> bool {
        find_value(&self.content, &anchor(name))
    }

    /// Replaces the anchor `name` by `value`: strings equal to the anchor become `value`, and
    /// when `value` is a string, mapping values containing the anchor get it substituted
    /// (dvc-render's `dict_replace_value`/`list_replace_value`).
    pub fn fill_anchor(&mut self, name: &str, value: &Value) {
        let anchor = anchor(name);
        if let Value::Mapping(map) = &mut self.content {
            replace_in_mapping(map, &anchor, value);
        }
    }
}

fn custom_path(name: &str, templates_dir: Option<&Path>, cwd: &Path) -> Option<PathBuf> {
    if let Some(dir) = templates_dir {
        let path = dir.join(name);
        if path.exists() {
            return Some(path);
        }
        let with_suffix = path.with_extension("json");
        if with_suffix.exists() {
            return Some(with_suffix);
        }
    }
    let path = cwd.join(name);
    path.exists().then_some(path)
}

fn io_message(error: &std::io::Error, path: &Path) -> String {
    match error.raw_os_error() {
        Some(21) => format!("[Errno 21] Is a directory: '{}'", path.display()),
        _ => format!("{error}: '{}'", path.display()),
    }
}

fn find_value(value: &Value, anchor: &str) -> bool {
    match value {
        Value::Mapping(map) => map.values().any(|item| match item {
            Value::Mapping(_) => find_value(item, anchor),
            Value::String(text) => text == anchor,
            Value::Sequence(items) => items.iter().any(|item| find_value(item, anchor)),
            _ => false,
        }),
        Value::String(text) => text == anchor,
        _ => false,
    }
}

fn replace_in_mapping(map: &mut Mapping, anchor: &str, value: &Value) {
    for (_, item) in map.iter_mut() {
        match item {
            Value::Mapping(inner) => replace_in_mapping(inner, anchor, value),
            Value::Sequence(items) => replace_in_sequence(items, anchor, value),
            Value::String(text) if text == anchor => *item = value.clone(),
            Value::String(text) if text.contains(anchor) => {
                if let Value::String(replacement) = value {
                    *text = text.replace(anchor, replacement);
                }
            }
            _ => {}
        }
    }
}

fn replace_in_sequence(items: &mut [Value], anchor: &str, value: &Value) {
    for item in items {
        match item {
            Value::Sequence(inner) => replace_in_sequence(inner, anchor, value),
            Value::Mapping(inner) => replace_in_mapping(inner, anchor, value),
            Value::String(text) if text == anchor => *item = value.clone(),
            _ => {}
        }
    }
}

/// A JSON value as the plots code holds values (Python's: integers apart from floats).
pub(crate) fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(flag),
        serde_json::Value::Number(number) => {
            if let Some(int) = number.as_u64() {
                Value::Number(int.into())
            } else if let Some(int) = number.as_i64() {
                Value::Number(int.into())
            } else {
                Value::Number(number.as_f64().unwrap_or(f64::NAN).into())
            }
        }
        serde_json::Value::String(text) => Value::String(text),
        serde_json::Value::Array(items) => {
            Value::Sequence(items.into_iter().map(from_json).collect())
        }
        serde_json::Value::Object(map) => Value::Mapping(
            map.into_iter()
                .map(|(key, item)| (Value::String(key), from_json(item)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_parse_and_list_in_order() {
        let listed: Vec<&str> = names().collect();
        assert_eq!(listed[0], "simple");
        assert_eq!(listed.len(), 9);
        for name in listed {
            let template = Template::find(Some(name), None, Path::new("/nonexistent"))
                .expect("built-in template");
            assert!(template.has_anchor("data"), "{name}");
        }
    }

    #[test]
    fn filling_replaces_whole_strings_and_substrings() {
        let mut template = Template {
            name: "t".to_owned(),
            content: from_json(serde_json::json!({
                "a": "<DVC_METRIC_X>",
                "b": "datum.<DVC_METRIC_X>",
                "c": ["<DVC_METRIC_X>", "datum.<DVC_METRIC_X>"],
            })),
        };
        assert!(template.has_anchor("x"));
        template.fill_anchor("x", &Value::String("step".to_owned()));
        let expected = from_json(serde_json::json!({
            "a": "step",
            "b": "datum.step",
            "c": ["step", "datum.<DVC_METRIC_X>"],
        }));
        assert_eq!(template.content, expected);
    }

    #[test]
    fn unknown_templates_are_not_found() {
        let error = Template::find(Some("nope"), None, Path::new("/nonexistent"))
            .expect_err("no such template");
        assert_eq!(error.to_string(), "Template 'nope' not found.");
    }
}
