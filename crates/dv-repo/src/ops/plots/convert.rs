//! Plot data turned into Vega datapoints (DVC's `render/converter/vega.py`): the lists of
//! records found in each file, merged by position; `x` and `y` inferred when not given (`y`:
//! the last field of the first record; `x`: the record's position as `step`); one datapoint
//! per record and `y` field, with `rev`, `filename` and `field` added; and the properties the
//! renderer fills its template with.

use dv_schema::yaml::{Mapping, Value};

use super::paths::commonpath;
use super::value::{get, key, set, text, type_name};
use crate::compare::ReadError;

/// The field DVC adds when a plot has no `x`: the record's position.
pub(crate) const INDEX: &str = "step";
/// The field holding the values of `x` when files plot different `x` fields.
const INFERRED_X: &str = "dvc_inferred_x_value";
/// The field holding the values of `y` when the plot has different `y` fields.
const INFERRED_Y: &str = "dvc_inferred_y_value";

/// A DVC exception as `--json` names it.
fn error(kind: &str, message: String) -> ReadError {
    ReadError {
        kind: kind.to_owned(),
        message,
    }
}

/// Python's `AttributeError` for calling a dict method on something else.
fn no_attribute(value: &Value, attribute: &str) -> ReadError {
    error(
        "AttributeError",
        format!(
            "'{}' object has no attribute '{attribute}'",
            type_name(value)
        ),
    )
}

/// The lists in a file's content: the content itself when it is a list, else every list
/// among its values, nested mappings searched depth first.
fn lists(blob: &Value) -> Result<Vec<&Vec<Value>>, ReadError> {
    let mut found = Vec::new();
    collect_lists(blob, &mut found)?;
    Ok(found)
}

fn collect_lists<'a>(blob: &'a Value, found: &mut Vec<&'a Vec<Value>>) -> Result<(), ReadError> {
    match blob {
        Value::Sequence(items) => found.push(items),
        Value::Mapping(map) => {
            for value in map.values() {
                match value {
                    Value::Mapping(_) => collect_lists(value, found)?,
                    Value::Sequence(items) => found.push(items),
                    _ => {}
                }
            }
        }
        other => return Err(no_attribute(other, "values")),
    }
    Ok(())
}

/// Whether every item of a list is a mapping with the keys of the first.
fn is_datapoints(list: &[Value]) -> Result<bool, ReadError> {
    let mut maps = Vec::new();
    for item in list {
        match item {
            Value::Mapping(map) => maps.push(map),
            _ => return Ok(false),
        }
    }
    let Some(first) = maps.first() else {
        return Err(no_attribute(&Value::Null, "keys"));
    };
    let all_keys_in_first = maps
        .iter()
        .all(|map| map.keys().all(|name| first.contains_key(name)));
    Ok(all_keys_in_first)
}

/// The records of a file: the mappings of every list of records, merged by position.
fn datapoints(content: &Value) -> Result<Vec<Mapping>, ReadError> {
    let mut result: Vec<Mapping> = Vec::new();
    for list in lists(content)? {
        if !is_datapoints(list)? {
            continue;
        }
        for (index, item) in list.iter().enumerate() {
            let Value::Mapping(record) = item else {
                continue;
            };
            if result.len() <= index {
                result.push(Mapping::new());
            }
            for (name, value) in record {
                result[index].insert(name.clone(), value.clone());
            }
        }
    }
    Ok(result)
}

/// The `(file, field)` pairs of an axis given as `{file: field | [fields]}`.
fn file_fields(axis: Option<&Value>) -> Vec<(String, Value)> {
    let mut pairs = Vec::new();
    if let Some(Value::Mapping(files)) = axis {
        for (file, fields) in files {
            let Value::String(file) = file else { continue };
            match fields {
                Value::String(_) => pairs.push((file.clone(), fields.clone())),
                Value::Sequence(items) => {
                    pairs.extend(items.iter().map(|field| (file.clone(), field.clone())));
                }
                _ => {}
            }
        }
    }
    pairs
}

/// The records of each data file, in source order.
type FileRecords = Vec<(String, Vec<Mapping>)>;

/// The data of one plot at one revision, ready to be turned into datapoints.
pub(crate) struct VegaConverter<'a> {
    /// The plot's id in its definition (a file, or a name with files in `y`).
    pub(crate) plot_id: &'a str,
    /// The content of each of its data files that holds something, in source order.
    pub(crate) data: Vec<(String, &'a Value)>,
    /// The plot's properties.
    pub(crate) properties: &'a Mapping,
}

impl VegaConverter<'_> {
    fn content(&self, file: &str) -> Option<&Value> {
        self.data
            .iter()
            .find(|(name, _)| name == file)
            .map(|(_, content)| *content)
    }

    /// `y` from the data: the last field of the first record of the plot's own file.
    fn infer_y(&self) -> Result<Option<Value>, ReadError> {
        let Some(content) = self.content(self.plot_id) else {
            return Ok(None);
        };
        for list in lists(content)? {
            if list.iter().all(|item| matches!(item, Value::Mapping(_))) {
                let Some(Value::Mapping(first)) = list.first() else {
                    return Err(no_attribute(&Value::Null, "keys"));
                };
                let mut files = Mapping::new();
                let field = first.keys().last().cloned().unwrap_or(Value::Null);
                files.insert(key(self.plot_id), field);
                return Ok(Some(Value::Mapping(files)));
            }
        }
        Ok(None)
    }

    /// The properties with `x` and `y` as `{file: field}` mappings and the axis labels
    /// (DVC's `convert`).
    fn convert(&self) -> Result<(FileRecords, Mapping), ReadError> {
        let mut properties = self.properties.clone();
        let x = get(self.properties, "x");
        let y = get(self.properties, "y");
        if let Some(Value::String(_)) = x {
            let x = x.cloned().unwrap_or(Value::Null);
            let mut files = Mapping::new();
            match y {
                Some(Value::Mapping(y_files)) => {
                    for (file, fields) in y_files {
                        let value = match fields {
                            Value::Sequence(items) => Value::Sequence(vec![x.clone(); items.len()]),
                            _ => x.clone(),
                        };
                        files.insert(file.clone(), value);
                    }
                }
                _ => {
                    files.insert(key(self.plot_id), x);
                }
            }
            set(&mut properties, "x", Value::Mapping(files));
        }
        match y {
            None | Some(Value::Null) => {
                let inferred = self.infer_y()?.unwrap_or(Value::Null);
                set(&mut properties, "y", inferred);
            }
            Some(Value::Mapping(_)) => {}
            Some(other) => {
                let mut files = Mapping::new();
                files.insert(key(self.plot_id), other.clone());
                set(&mut properties, "y", Value::Mapping(files));
            }
        }
        let mut file_datapoints = Vec::new();
        for (file, content) in &self.data {
            file_datapoints.push((file.clone(), datapoints(content)?));
        }
        let y_label = y_label(&properties);
        set(&mut properties, "y_label", y_label);
        let x_label = x_label(&properties);
        set(&mut properties, "x_label", x_label);
        Ok((file_datapoints, properties))
    }

    /// The datapoints of the plot at `revision` and the properties for its renderer (DVC's
    /// `flat_datapoints`); nothing when no `y` file has records.
    pub(crate) fn flat_datapoints(
        &self,
        revision: &str,
    ) -> Result<(Vec<Mapping>, Mapping), ReadError> {
        let (file_datapoints, properties) = self.convert()?;
        let of_file = |file: &str| -> Option<&Vec<Mapping>> {
            file_datapoints
                .iter()
                .find(|(name, _)| name == file)
                .map(|(_, records)| records)
        };
        let verified = |axis: &str| -> Result<Vec<(String, Value)>, ReadError> {
            let pairs = file_fields(get(&properties, axis));
            for (file, field) in &pairs {
                if let Some(records) = of_file(file) {
                    verify_field(records, field)?;
                }
            }
            Ok(pairs)
        };
        let xs = verified("x")?;
        let (mut x_file, mut x_field) = match xs.first() {
            None => (None, text(INDEX)),
            Some((file, field)) => (Some(file.clone()), field.clone()),
        };
        let mut x_fields: Vec<&Value> = Vec::new();
        for (_, field) in &xs {
            if !x_fields.contains(&field) {
                x_fields.push(field);
            }
        }
        let multiple_x_fields = xs.len() > 1 && x_fields.len() > 1;
        let mut update = Mapping::new();
        set(
            &mut update,
            "x",
            if multiple_x_fields {
                text(INFERRED_X)
            } else {
                x_field.clone()
            },
        );
        let ys = verified("y")?;
        if xs.len() > 1 && xs.len() != ys.len() {
            return Err(error(
                "DvcException",
                format!(
                    "Cannot have different number of x and y data sources. Found {} x and {} y \
                     data sources.",
                    xs.len(),
                    ys.len()
                ),
            ));
        }
        let mut y_fields: Vec<&Value> = Vec::new();
        let mut y_files: Vec<&str> = Vec::new();
        for (file, field) in &ys {
            if !y_fields.contains(&field) {
                y_fields.push(field);
            }
            if !y_files.contains(&file.as_str()) {
                y_files.push(file);
            }
        }
        let inferred_y = y_fields.len() > 1;
        let y_value = match (inferred_y, y_fields.first()) {
            (true, _) => text(INFERRED_Y),
            (false, Some(field)) => (*field).clone(),
            (false, None) => Value::Null,
        };
        set(&mut update, "y", y_value);
        let prefix = if y_files.len() > 1 {
            commonpath(y_files.iter().copied()).chars().count()
        } else {
            0
        };
        let short = |file: &str| -> String {
            let rest: String = file.chars().skip(prefix).collect();
            rest.trim_matches(|c| c == '/' || c == '\\').to_owned()
        };
        let definitions: Vec<Value> = ys
            .iter()
            .map(|(file, field)| {
                let mut definition = Mapping::new();
                set(&mut definition, "filename", text(&short(file)));
                set(&mut definition, "field", field.clone());
                Value::Mapping(definition)
            })
            .collect();
        set(
            &mut update,
            "anchors_y_definitions",
            Value::Sequence(definitions),
        );
        let mut all = Vec::new();
        for (index, (y_file, y_field)) in ys.iter().enumerate() {
            if xs.len() > 1 {
                x_file = Some(xs[index].0.clone());
                x_field = xs[index].1.clone();
            }
            let mut records: Vec<Mapping> = of_file(y_file).cloned().unwrap_or_default();
            if inferred_y {
                copy_field(&mut records, &key(INFERRED_Y), None, y_field);
            }
            match &x_file {
                None if x_field == text(INDEX) => {
                    for (position, record) in records.iter_mut().enumerate() {
                        set(record, INDEX, Value::Number(position.into()));
                    }
                }
                _ => {
                    let source: Vec<Mapping> = x_file
                        .as_deref()
                        .and_then(of_file)
                        .cloned()
                        .unwrap_or_default();
                    let target = if multiple_x_fields {
                        key(INFERRED_X)
                    } else {
                        x_field.clone()
                    };
                    if source.len() != records.len() {
                        return Err(error(
                            "DvcException",
                            format!(
                                "Cannot join '{}' from '{}' and '{}' from '{y_file}'. They have \
                                 to have same length.",
                                python_str(&x_field),
                                x_file.as_deref().unwrap_or("None"),
                                python_str(y_field),
                            ),
                        ));
                    }
                    copy_field(&mut records, &target, Some(&source), &x_field);
                }
            }
            for record in &mut records {
                set(record, "rev", text(revision));
                set(record, "filename", text(&short(y_file)));
                set(record, "field", y_field.clone());
            }
            all.extend(records);
        }
        if all.is_empty() {
            return Ok((Vec::new(), Mapping::new()));
        }
        let mut properties = properties;
        for (name, value) in update {
            properties.insert(name, value);
        }
        Ok((all, properties))
    }
}

/// Sets `field` of each record to the `source_field` of the record at the same position of
/// `source` (the records themselves when `None`), where that has it.
fn copy_field(
    records: &mut [Mapping],
    field: &Value,
    source: Option<&[Mapping]>,
    source_field: &Value,
) {
    for index in 0..records.len() {
        let value = match source {
            Some(source) => source[index].get(source_field).cloned(),
            None => records[index].get(source_field).cloned(),
        };
        if let Some(value) = value {
            records[index].insert(field.clone(), value);
        }
    }
}

fn verify_field(records: &[Mapping], field: &Value) -> Result<(), ReadError> {
    let Some(first) = records.first() else {
        return Err(error(
            "TypeError",
            "argument of type 'NoneType' is not iterable".to_owned(),
        ));
    };
    if first.contains_key(field) {
        return Ok(());
    }
    let found: Vec<String> = first.keys().map(python_str).collect();
    Err(error(
        "FieldNotFoundError",
        format!(
            "Could not find provided field ('{}') in data fields ('{}').",
            python_str(field),
            found.join(", ")
        ),
    ))
}

/// `str()` of a field name.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => crate::compare::key_text(other),
    }
}

/// The y axis label: `y_label`, else the one `y` field, else `y` (DVC's `infer_y_label`).
fn y_label(properties: &Mapping) -> Value {
    if let Some(label) = get(properties, "y_label").filter(|label| !label.is_null()) {
        return label.clone();
    }
    match get(properties, "y") {
        Some(Value::String(field)) => text(field),
        Some(Value::Sequence(_)) => text("y"),
        Some(y @ Value::Mapping(_)) => single_field(Some(y)).unwrap_or_else(|| text("y")),
        _ => Value::Null,
    }
}

/// The x axis label: `x_label`, else `step` without an `x` mapping, else the one `x` field,
/// else `x` (DVC's `infer_x_label`).
fn x_label(properties: &Mapping) -> Value {
    if let Some(label) = get(properties, "x_label").filter(|label| !label.is_null()) {
        return label.clone();
    }
    match get(properties, "x") {
        Some(x @ Value::Mapping(_)) => single_field(Some(x)).unwrap_or_else(|| text("x")),
        _ => text(INDEX),
    }
}

fn single_field(axis: Option<&Value>) -> Option<Value> {
    let mut fields: Vec<Value> = Vec::new();
    for (_, field) in file_fields(axis) {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    (fields.len() == 1).then(|| fields.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        dv_schema::yaml::parse(text).expect("yaml")
    }

    fn mapping(text: &str) -> Mapping {
        match yaml(text) {
            Value::Mapping(map) => map,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn without_x_the_position_is_the_step_and_y_is_the_last_field() {
        let content = yaml("- {step: '5', loss: '1'}\n- {step: '6', loss: '2'}\n");
        let properties = Mapping::new();
        let converter = VegaConverter {
            plot_id: "a.csv",
            data: vec![("a.csv".to_owned(), &content)],
            properties: &properties,
        };
        let (points, props) = converter.flat_datapoints("workspace").expect("datapoints");
        assert_eq!(
            points[1],
            mapping("{step: 1, loss: '2', rev: workspace, filename: a.csv, field: loss}")
        );
        assert_eq!(props.get("x"), Some(&text("step")));
        assert_eq!(props.get("y"), Some(&text("loss")));
        assert_eq!(props.get("x_label"), Some(&text("step")));
    }

    #[test]
    fn a_missing_x_field_is_reported_as_dvc_reports_it() {
        let content = yaml("[{a: 1, b: 2}]");
        let properties = mapping("{x: nope, y: b}");
        let converter = VegaConverter {
            plot_id: "good.json",
            data: vec![("good.json".to_owned(), &content)],
            properties: &properties,
        };
        let failure = converter
            .flat_datapoints("workspace")
            .expect_err("no field");
        assert_eq!(failure.kind, "FieldNotFoundError");
        assert_eq!(
            failure.message,
            "Could not find provided field ('nope') in data fields ('a, b')."
        );
    }

    #[test]
    fn records_of_several_lists_merge_by_position() {
        let content = yaml("{train: [{loss: 1}], test: [{acc: 2}]}");
        assert_eq!(
            datapoints(&content).expect("datapoints"),
            vec![mapping("{loss: 1, acc: 2}")]
        );
    }
}
