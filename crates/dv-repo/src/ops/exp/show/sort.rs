//! `exp show --sort-by/--sort-order` (DVC's `_sort_column` and `_sort_exp`): which column a
//! name designates, and the experiments of a baseline ordered by it.

use dv_schema::yaml::Value;

use super::ExpRange;
use crate::compare::FileData;
use crate::error::DvcError;

/// Flattened keys per file, in the order they were first seen (DVC's `_collect_names`).
pub type Names = Vec<(String, Vec<String>)>;

/// DVC's `_sort_column`: `path:name`, or a name found in exactly one file; the file, the key
/// and whether it is a metric.
pub fn sort_column(
    sort_by: &str,
    metrics: &Names,
    params: &Names,
) -> anyhow::Result<(String, String, bool)> {
    let has = |names: &Names, path: &str, name: &str| {
        names
            .iter()
            .any(|(file, keys)| file == path && keys.iter().any(|key| key == name))
    };
    let parts: Vec<&str> = sort_by.split(':').collect();
    let mut matches: Vec<(String, String, bool)> = Vec::new();
    fn push(matches: &mut Vec<(String, String, bool)>, found: (String, String, bool)) {
        if !matches.contains(&found) {
            matches.push(found);
        }
    }
    let mut sort_by = sort_by.to_string();
    for split in 0..parts.len() {
        let path = parts[..split].join(":");
        let name = parts[split..].join(":");
        if path.is_empty() {
            sort_by = name.clone();
        }
        if has(metrics, &path, &name) {
            push(&mut matches, (path.clone(), name.clone(), true));
        }
        if has(params, &path, &name) {
            push(&mut matches, (path, name, false));
        }
    }
    if matches.is_empty() {
        for (path, keys) in metrics {
            if keys.contains(&sort_by) {
                push(&mut matches, (path.clone(), sort_by.clone(), true));
            }
        }
        for (path, keys) in params {
            if keys.contains(&sort_by) {
                push(&mut matches, (path.clone(), sort_by.clone(), false));
            }
        }
    }
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(DvcError(format!("Unknown sort column '{sort_by}'")).into()),
        _ => Err(DvcError(format!(
            "Ambiguous sort column '{sort_by}' matched '{}'",
            matches
                .iter()
                .map(|(path, name, _)| format!("{path}:{name}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

/// DVC's `_sort_exp`: by the tip's value (missing values last when ascending), stable.
pub fn sort_ranges<'a>(
    ranges: &'a [ExpRange],
    path: &str,
    name: &str,
    metric: bool,
    reverse: bool,
) -> Vec<&'a ExpRange> {
    let value = |range: &ExpRange| -> Option<Value> {
        let data = range.revs.first()?.data.as_ref()?;
        let files = if metric { &data.metrics } else { &data.params };
        let (_, FileData::Data(value)) = files.iter().find(|(file, _)| file == path)? else {
            return None;
        };
        crate::compare::flatten(value)
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    };
    let compare = |a: &Option<Value>, b: &Option<Value>| -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => compare_values(a, b),
        }
    };
    let mut keyed: Vec<(Option<Value>, &ExpRange)> =
        ranges.iter().map(|range| (value(range), range)).collect();
    if reverse {
        // Python's `sorted(reverse=True)` keeps equal items in their order.
        keyed.sort_by(|a, b| compare(&b.0, &a.0));
    } else {
        keyed.sort_by(|a, b| compare(&a.0, &b.0));
    }
    keyed.into_iter().map(|(_, range)| range).collect()
}

/// Python's `<` between two values (numbers, booleans as numbers, strings).
fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    let number = |value: &Value| match value {
        Value::Bool(flag) => Some(f64::from(u8::from(*flag))),
        Value::Number(number) => number.as_f64(),
        _ => None,
    };
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => match (a, b) {
            (Value::String(a), Value::String(b)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_columns_resolve_like_dvc() {
        let metrics: Names = vec![("m.json".into(), vec!["acc".into(), "a:b".into()])];
        let params: Names = vec![
            ("params.yaml".into(), vec!["lr".into(), "acc".into()]),
            ("p2.yaml".into(), vec!["lr".into()]),
        ];
        assert_eq!(
            sort_column("m.json:acc", &metrics, &params).expect("found"),
            ("m.json".to_string(), "acc".to_string(), true)
        );
        assert_eq!(
            sort_column("a:b", &metrics, &params).expect("found"),
            ("m.json".to_string(), "a:b".to_string(), true)
        );
        assert!(sort_column("acc", &metrics, &params).is_err());
        assert!(sort_column("lr", &metrics, &params).is_err());
        let unknown = sort_column("nope", &metrics, &params).expect_err("unknown");
        assert_eq!(unknown.to_string(), "Unknown sort column 'nope'");
    }
}
