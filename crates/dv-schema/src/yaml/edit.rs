//! Applying a value change to YAML text in place with `yaml-edit`, keeping comments.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use yaml_edit::ScalarValue;

use super::emitter::to_string;
use yaml_serde::{Mapping, Value};

/// Edits `previous` (which parses to `old`) so that it reads as `new`; `None` when the change
/// is beyond what is supported (non-string keys, tags) or the editor fails.
pub(super) fn edit_in_place(previous: &str, old: &Value, new: &Value) -> Option<String> {
    let (Value::Mapping(old), Value::Mapping(new)) = (old, new) else {
        return None;
    };
    catch_unwind(AssertUnwindSafe(|| {
        let document = yaml_edit::Document::from_str(previous).ok()?;
        let root = document.as_mapping()?;
        edit_mapping(&root, old, new)?;
        Some(document.to_string())
    }))
    .ok()
    .flatten()
}

fn edit_mapping(target: &yaml_edit::Mapping, old: &Mapping, new: &Mapping) -> Option<()> {
    for (key, value) in new {
        let name = key.as_str()?;
        match old.get(key) {
            Some(Value::Mapping(old_child)) if matches!(value, Value::Mapping(_)) => {
                let Value::Mapping(new_child) = value else {
                    return None;
                };
                edit_mapping(&target.get_mapping(name)?, old_child, new_child)?;
            }
            Some(Value::Sequence(old_items)) if matches!(value, Value::Sequence(items) if items.len() == old_items.len()) =>
            {
                let Value::Sequence(new_items) = value else {
                    return None;
                };
                edit_sequence(&target.get_sequence(name)?, old_items, new_items)?;
            }
            Some(old_value) if old_value == value => {}
            _ => set_value(|node| target.set(name, node), value)?,
        }
    }
    for key in old.keys() {
        if !new.contains_key(key) {
            target.remove(key.as_str()?)?;
        }
    }
    Some(())
}

fn edit_sequence(target: &yaml_edit::Sequence, old: &[Value], new: &[Value]) -> Option<()> {
    for (index, (old_item, new_item)) in old.iter().zip(new).enumerate() {
        match (old_item, new_item) {
            (Value::Mapping(old_child), Value::Mapping(new_child)) => {
                let node = target.get(index)?;
                edit_mapping(node.as_mapping()?, old_child, new_child)?;
            }
            (Value::Sequence(old_items), Value::Sequence(new_items))
                if old_items.len() == new_items.len() =>
            {
                let node = target.get(index)?;
                edit_sequence(node.as_sequence()?, old_items, new_items)?;
            }
            _ if old_item == new_item => {}
            _ => {
                let mut changed = false;
                set_value(
                    |node| {
                        changed = target.set(index, node);
                    },
                    new_item,
                )?;
                changed.then_some(())?;
            }
        }
    }
    Some(())
}

/// Calls `set` with `value` as a `yaml-edit` node.
fn set_value(mut set: impl FnMut(&dyn yaml_edit::AsYaml), value: &Value) -> Option<()> {
    match value {
        Value::Null => set(&ScalarValue::null()),
        Value::Bool(flag) => set(flag),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                set(&int);
            } else if let Some(int) = number.as_u64() {
                set(&int);
            } else {
                set(&number.as_f64()?);
            }
        }
        Value::String(text) => set(&text.as_str()),
        Value::Sequence(_) => {
            let document = yaml_edit::Document::from_str(&to_string(value)).ok()?;
            set(&document.as_sequence()?);
        }
        Value::Mapping(_) => {
            let document = yaml_edit::Document::from_str(&to_string(value)).ok()?;
            set(&document.as_mapping()?);
        }
        Value::Tagged(_) => return None,
    }
    Some(())
}
