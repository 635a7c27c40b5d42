//! Values as DVC's plots code handles them: Python dicts with string keys (a [`Mapping`] keeps
//! insertion order and updates a key in place, as a dict does), Python truthiness and type
//! names, and `dpath.merge` (the deep merge DVC builds plot definitions with).

use dv_schema::yaml::{Mapping, Value};

/// A string key.
pub(crate) fn key(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// A string value.
pub(crate) fn text(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// The value at the string key `name`.
pub(crate) fn get<'a>(map: &'a Mapping, name: &str) -> Option<&'a Value> {
    map.get(name)
}

/// The string at the key `name`, if it is one.
pub(crate) fn get_str<'a>(map: &'a Mapping, name: &str) -> Option<&'a str> {
    match map.get(name) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

/// Sets `name` (in place when present, else at the end, as a dict does).
pub(crate) fn set(map: &mut Mapping, name: &str, value: Value) {
    map.insert(key(name), value);
}

/// `left | right`: a copy of `left` with the items of `right` set over it.
pub(crate) fn union(left: &Mapping, right: &Mapping) -> Mapping {
    let mut merged = left.clone();
    for (name, value) in right {
        merged.insert(name.clone(), value.clone());
    }
    merged
}

/// Python's truthiness.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|float| float != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Sequence(items) => !items.is_empty(),
        Value::Mapping(map) => !map.is_empty(),
        Value::Tagged(_) => true,
    }
}

/// The name of a value's Python type.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Sequence(_) => "list",
        Value::Mapping(_) | Value::Tagged(_) => "dict",
    }
}

/// `dpath.merge(destination, source)`: mappings merged key by key, a list appended to a
/// non-empty list of the destination, anything else replaced.
pub(crate) fn deep_merge(destination: &mut Mapping, source: &Mapping) {
    for (name, found) in source {
        let Some(target) = destination.get_mut(name) else {
            destination.insert(name.clone(), found.clone());
            continue;
        };
        match (target, found) {
            (Value::Mapping(target), Value::Mapping(found)) => deep_merge(target, found),
            (Value::Sequence(target), Value::Sequence(found)) if !target.is_empty() => {
                target.extend(found.iter().cloned());
            }
            (target, found) => *target = found.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Mapping {
        match dv_schema::yaml::parse(text).expect("yaml") {
            Value::Mapping(map) => map,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn deep_merge_is_dpath_merge() {
        let mut destination = yaml("a: {data: {x: {y: 1}}}\nl: [1]\ne: []\n");
        deep_merge(
            &mut destination,
            &yaml("a: {data: {x: {z: [1]}, w: null}}\nl: [2]\ne: [3]\nn: {}\n"),
        );
        assert_eq!(
            destination,
            yaml("a: {data: {x: {y: 1, z: [1]}, w: null}}\nl: [1, 2]\ne: [3]\nn: {}\n")
        );
    }

    #[test]
    fn removing_a_key_keeps_the_order_of_the_others() {
        let mut map = yaml("a: 1\nb: 2\nc: 3\n");
        map.shift_remove("a");
        let keys: Vec<&Value> = map.keys().collect();
        assert_eq!(keys, vec![&key("b"), &key("c")]);
    }
}
