//! A Vega-Lite plot: its datapoints and properties filled into its template (dvc-render's
//! `VegaRenderer.get_filled_template`): the optional anchors the template uses (colour per
//! revision, stroke dash and shape per file or field when several are plotted, grouping,
//! tooltip, size, zoom), the records trimmed of the `filename`/`field` keys that do not vary,
//! then title, axes, labels and data. With `--split`, the anchors DVC's studio fills itself
//! are left in place and returned beside the template.

use dv_schema::yaml::{Mapping, Value};

use super::template::{RenderError, Template, anchor};
use super::value::{get, is_truthy, key, set, text};

/// The anchors left unfilled (and returned) in a split template.
const SPLIT_ANCHORS: [&str; 11] = [
    "color",
    "data",
    "plot_height",
    "plot_width",
    "shape",
    "stroke_dash",
    "title",
    "tooltip",
    "x_label",
    "y_label",
    "zoom_and_pan",
];

/// The anchors a template may use, filled when it does.
const OPTIONAL_ANCHORS: [&str; 13] = [
    "color",
    "column",
    "group_by_x",
    "group_by_y",
    "group_by",
    "pivot_field",
    "plot_height",
    "plot_width",
    "row",
    "shape",
    "stroke_dash",
    "tooltip",
    "zoom_and_pan",
];

/// Colours, one per revision, cycled.
const COLORS: [&str; 7] = [
    "#945dd6", "#13adc7", "#f46837", "#48bb78", "#4299e1", "#ed8936", "#f56565",
];
/// Stroke dashes, one per file or field, cycled.
const STROKE_DASHES: [[i64; 2]; 7] = [[1, 0], [8, 8], [8, 4], [4, 4], [4, 2], [2, 1], [1, 1]];
/// Point shapes, one per file or field, cycled.
const SHAPES: [&str; 4] = ["circle", "square", "triangle", "diamond"];

/// The keys of a datapoint saying which file and field it comes from.
const FILENAME_FIELD: [&str; 2] = ["filename", "field"];
/// What joins file and field names into one.
const SEPARATOR: &str = "::";

/// A Vega-Lite plot ready to be filled.
#[derive(Debug, Clone)]
pub struct VegaRenderer {
    /// The plot's name (its id, or `config::id`).
    pub name: String,
    datapoints: Vec<Mapping>,
    properties: Mapping,
    template: Template,
}

/// The state of one filling: the template, what is split out, the anchors still to fill.
struct Filling<'a> {
    template: Template,
    split: &'a [&'a str],
    split_content: Mapping,
    optional: Vec<&'static str>,
}

impl Filling<'_> {
    fn put(&mut self, name: &str, value: Value) {
        if self.split.contains(&name) {
            self.split_content.insert(text(&anchor(name)), value);
        } else {
            self.template.fill_anchor(name, &value);
        }
    }

    /// Fills an optional anchor once, if the template uses it.
    fn optional(&mut self, name: &str, value: Value) {
        let Some(position) = self.optional.iter().position(|known| *known == name) else {
            return;
        };
        self.optional.remove(position);
        self.put(name, value);
    }

    /// Fills an optional anchor with a scale giving each value of `domain` an item of
    /// `range`, cycled.
    fn mapping(&mut self, field: &str, name: &str, domain: &[String], range: &[Value]) {
        let values: Vec<Value> = (0..domain.len())
            .map(|index| range[index % range.len()].clone())
            .collect();
        let mut scale = Mapping::new();
        set(
            &mut scale,
            "domain",
            Value::Sequence(domain.iter().map(|item| text(item)).collect()),
        );
        set(&mut scale, "range", Value::Sequence(values));
        let mut encoding = Mapping::new();
        set(&mut encoding, "field", text(field));
        set(&mut encoding, "scale", Value::Mapping(scale));
        if name != "color" {
            let mut legend = Mapping::new();
            set(&mut legend, "symbolFillColor", text("transparent"));
            set(&mut legend, "symbolStrokeColor", text("grey"));
            set(&mut encoding, "legend", Value::Mapping(legend));
        }
        self.optional(name, Value::Mapping(encoding));
    }
}

fn field(value: Value) -> Value {
    let mut map = Mapping::new();
    set(&mut map, "field", value);
    Value::Mapping(map)
}

fn strings(values: &[&str]) -> Vec<Value> {
    values.iter().map(|value| text(value)).collect()
}

impl VegaRenderer {
    /// A plot of `datapoints` named `name`, drawn with `template`.
    pub(crate) fn new(
        name: String,
        datapoints: Vec<Mapping>,
        properties: Mapping,
        template: Template,
    ) -> VegaRenderer {
        VegaRenderer {
            name,
            datapoints,
            properties,
            template,
        }
    }

    /// Whether the plot has no datapoints (DVC lists it with no content).
    pub fn is_empty(&self) -> bool {
        self.datapoints.is_empty()
    }

    /// The revisions with datapoints, in order.
    pub fn revisions(&self) -> Vec<String> {
        if let Some(Value::Sequence(revisions)) = get(&self.properties, "revs_with_datapoints")
            && !revisions.is_empty()
        {
            return revisions.iter().map(value_text).collect();
        }
        let mut revisions: Vec<String> = Vec::new();
        for point in &self.datapoints {
            if let Some(Value::String(revision)) = get(point, "rev")
                && !revision.is_empty()
                && !revisions.contains(revision)
            {
                revisions.push(revision.clone());
            }
        }
        revisions
    }

    /// The filled Vega-Lite specification (`{}` without datapoints).
    pub fn filled(&self) -> Result<Value, RenderError> {
        self.fill(&[]).map(|(content, _)| content)
    }

    /// The specification with the studio's anchors left in place, and those anchors' values
    /// (`--split`).
    pub fn split(&self) -> Result<(Value, Mapping), RenderError> {
        self.fill(&SPLIT_ANCHORS)
    }

    fn fill(&self, split: &[&str]) -> Result<(Value, Mapping), RenderError> {
        if self.datapoints.is_empty() {
            return Ok((Value::Mapping(Mapping::new()), Mapping::new()));
        }
        let mut properties = self.properties.clone();
        let mut datapoints = self.datapoints.clone();
        for axis in ["x", "y"] {
            if let Some(field) = get(&properties, axis).filter(|field| is_truthy(field))
                && !datapoints.iter().any(|point| point.contains_key(field))
            {
                return Err(RenderError::NoField(value_text(field)));
            }
        }
        let x = get(&properties, "x").cloned().unwrap_or(Value::Null);
        let y = get(&properties, "y").cloned().unwrap_or(Value::Null);
        for (name, default) in [("title", text("")), ("x_label", x), ("y_label", y)] {
            if !properties.contains_key(name) {
                set(&mut properties, name, default);
            }
        }
        let mut filling = Filling {
            template: self.template.clone(),
            split,
            split_content: Mapping::new(),
            optional: Vec::new(),
        };
        let varied = self.optional_anchors(&mut filling, &properties)?;
        update_datapoints(&mut datapoints, varied.as_deref());
        for name in ["title", "x", "y", "x_label", "y_label", "data"] {
            let value = if name == "data" {
                Value::Sequence(datapoints.iter().cloned().map(Value::Mapping).collect())
            } else {
                match get(&properties, name) {
                    None | Some(Value::Null) => continue,
                    Some(value) => value.clone(),
                }
            };
            if split.contains(&name) {
                filling.put(name, value);
                continue;
            }
            let value = match (name, value) {
                ("data", value) => {
                    if !filling.template.has_anchor("data") {
                        return Err(RenderError::NoDataAnchor {
                            name: filling.template.name.clone(),
                        });
                    }
                    value
                }
                ("x" | "y", Value::String(field)) => Value::String(escape(&field)),
                (_, value) => value,
            };
            filling.template.fill_anchor(name, &value);
        }
        Ok((filling.template.content, filling.split_content))
    }

    /// Fills the optional anchors the template uses; the `filename`/`field` keys that vary
    /// between the plot's sources (`None` when the template uses none of these anchors).
    fn optional_anchors(
        &self,
        filling: &mut Filling<'_>,
        properties: &Mapping,
    ) -> Result<Option<Vec<&'static str>>, RenderError> {
        filling.optional = OPTIONAL_ANCHORS
            .iter()
            .copied()
            .filter(|name| filling.template.has_anchor(name))
            .collect();
        if filling.optional.is_empty() {
            return Ok(None);
        }
        let colors: Vec<Value> = strings(&COLORS);
        filling.mapping("rev", "color", &self.revisions(), &colors);
        let mut zoom = Mapping::new();
        set(&mut zoom, "name", text("grid"));
        set(&mut zoom, "select", text("interval"));
        set(&mut zoom, "bind", text("scales"));
        filling.optional("zoom_and_pan", Value::Mapping(zoom));
        filling.optional("plot_height", Value::Number(300.into()));
        filling.optional("plot_width", Value::Number(300.into()));
        let x = get(properties, "x").cloned().unwrap_or(Value::Null);
        let y = get(properties, "y").cloned().unwrap_or(Value::Null);
        let definitions: Vec<&Mapping> = match get(properties, "anchors_y_definitions") {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Value::Mapping(map) => Some(map),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if definitions.len() <= 1 {
            group_by(filling, vec![text("rev")], &x, &y);
            filling.optional("pivot_field", text("datum.rev"));
            tooltip(filling, &x, &y, None);
            let remaining = std::mem::take(&mut filling.optional);
            for name in remaining {
                filling
                    .template
                    .fill_anchor(name, &Value::Mapping(Mapping::new()));
            }
            return Ok(Some(Vec::new()));
        }
        let (varied, domain) = variations(&definitions)?;
        let concat = varied.join(SEPARATOR);
        group_by(filling, vec![text("rev"), text(&concat)], &x, &y);
        let pivot: Vec<String> = std::iter::once("rev")
            .chain(varied.iter().copied())
            .map(|name| format!("datum.{name}"))
            .collect();
        filling.optional("pivot_field", text(&pivot.join(" + '::' + ")));
        for name in ["row", "column"] {
            let mut facet = Mapping::new();
            set(&mut facet, "field", text(&concat));
            set(&mut facet, "sort", Value::Sequence(Vec::new()));
            filling.optional(name, Value::Mapping(facet));
        }
        tooltip(filling, &x, &y, Some(&concat));
        let dashes: Vec<Value> = STROKE_DASHES
            .iter()
            .map(|dash| Value::Sequence(dash.iter().map(|n| Value::Number((*n).into())).collect()))
            .collect();
        filling.mapping(&concat, "stroke_dash", &domain, &dashes);
        filling.mapping(&concat, "shape", &domain, &strings(&SHAPES));
        Ok(Some(varied))
    }
}

fn group_by(filling: &mut Filling<'_>, by: Vec<Value>, x: &Value, y: &Value) {
    filling.optional("group_by", Value::Sequence(by.clone()));
    let mut by_x = by.clone();
    by_x.push(x.clone());
    filling.optional("group_by_x", Value::Sequence(by_x));
    let mut by_y = by;
    by_y.push(y.clone());
    filling.optional("group_by_y", Value::Sequence(by_y));
}

fn tooltip(filling: &mut Filling<'_>, x: &Value, y: &Value, extra: Option<&str>) {
    let mut fields = vec![field(text("rev")), field(x.clone()), field(y.clone())];
    if let Some(extra) = extra {
        fields.push(field(text(extra)));
    }
    filling.optional("tooltip", Value::Sequence(fields));
}

/// Which of `filename` and `field` take more than one value among the plot's sources, and the
/// sorted values they take (joined with `::` when both vary).
fn variations(definitions: &[&Mapping]) -> Result<(Vec<&'static str>, Vec<String>), RenderError> {
    let mut values: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let mut joined: Vec<String> = Vec::new();
    for definition in definitions {
        let mut parts = Vec::new();
        for (index, name) in FILENAME_FIELD.iter().enumerate() {
            let value = get(definition, name).map(value_text).unwrap_or_default();
            if !values[index].contains(&value) {
                values[index].push(value.clone());
            }
            parts.push(value);
        }
        let both = parts.join(SEPARATOR);
        if !joined.contains(&both) {
            joined.push(both);
        }
    }
    let varied: Vec<&'static str> = FILENAME_FIELD
        .iter()
        .enumerate()
        .filter(|(index, _)| values[*index].len() != 1)
        .map(|(_, name)| *name)
        .collect();
    let mut domain = match varied.as_slice() {
        [_, _] => joined,
        [name] => values[usize::from(*name == "field")].clone(),
        _ => return Err(RenderError::NoVariation),
    };
    domain.sort();
    Ok((varied, domain))
}

/// Drops from each datapoint the `filename`/`field` keys that do not vary; when both vary,
/// joins them into one `filename::field` key instead.
fn update_datapoints(datapoints: &mut [Mapping], varied: Option<&[&str]>) {
    let Some(varied) = varied else {
        return;
    };
    let (concatenate, remove): (Vec<&str>, Vec<&str>) = if varied.len() == 2 {
        (varied.to_vec(), varied.to_vec())
    } else {
        let remove = FILENAME_FIELD
            .iter()
            .copied()
            .filter(|name| !varied.contains(name))
            .collect();
        (Vec::new(), remove)
    };
    for point in datapoints {
        if !concatenate.is_empty() {
            let joined: Vec<String> = concatenate
                .iter()
                .map(|name| get(point, name).map(value_text).unwrap_or_default())
                .collect();
            point.insert(
                key(&concatenate.join(SEPARATOR)),
                text(&joined.join(SEPARATOR)),
            );
        }
        for name in &remove {
            point.shift_remove(*name);
        }
    }
}

/// A field name with the characters Vega reads as paths escaped.
fn escape(field: &str) -> String {
    field
        .replace('.', "\\.")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => crate::compare::key_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_dots_and_brackets_are_escaped() {
        assert_eq!(escape("a.b[0]"), "a\\.b\\[0\\]");
    }

    #[test]
    fn variations_name_what_differs_between_sources() {
        let parse = |text: &str| match dv_schema::yaml::parse(text) {
            Ok(Value::Mapping(map)) => map,
            other => panic!("{other:?}"),
        };
        let a = parse("{filename: train/a.csv, field: loss}");
        let b = parse("{filename: test/a.csv, field: loss}");
        let (varied, domain) = variations(&[&a, &b]).expect("variations");
        assert_eq!(varied, vec!["filename"]);
        assert_eq!(domain, vec!["test/a.csv", "train/a.csv"]);
    }
}
