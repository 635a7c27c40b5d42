//! Stages generated from one definition: `foreach`/`do` (DVC's `ForeachDefinition`) and
//! `matrix` (`MatrixDefinition`), named `group@key`.

use dv_schema::yaml::{Mapping, Value};

use super::entry::{ResolvedStage, Resolver, Template};
use super::error::LoadError;
use super::interpolate::key_string;
use super::interpolate::{Failure, check_syntax, is_collection, resolve_value};
use super::names::GENERATED_NAME_SEPARATOR;
use crate::context::{Context, Dir, python_type};
use crate::expansion::{self, UniqueEntries};
use crate::interpolation::{self, ParsingConfig};

impl Resolver<'_> {
    /// Expands a `foreach`/`do` group (DVC's `ForeachDefinition`).
    pub(super) fn foreach(
        &mut self,
        context: &mut Context,
        wdir: &Dir,
        group: &str,
        definition: &Mapping,
        stages: &mut Vec<ResolvedStage>,
    ) -> Result<(), LoadError> {
        let path = |key: &str| Self::key_path(group, Template::Plain, key);
        let data = definition.get("foreach").cloned().unwrap_or(Value::Null);
        let iterable = resolve_iterable(context, &data, self.parsing).map_err(|failure| {
            self.failure(
                group,
                &format!("'stages.{group}.foreach'"),
                &failure,
                &path("foreach"),
            )
        })?;
        let inserted: &[&str] = match &iterable.value {
            Value::Mapping(_) => &["item", "key"],
            Value::Sequence(_) => &["item"],
            other => {
                return Err(self.error(
                    Some(group),
                    format!(
                        "failed to resolve 'stages.{group}.foreach' in '{}': expected list/dictionary, got {}",
                        self.file,
                        python_type(other)
                    ),
                    &path("foreach"),
                ));
            }
        };
        self.warn_overwriting(context, inserted, group);
        let Some(Value::Mapping(template)) = definition.get("do") else {
            return Ok(());
        };
        self.check_syntax(template, group, group, Template::ForeachDo)?;
        let items = iterable.normalized();
        if items.len() > expansion::MAX_STAGES_PER_GROUP {
            let message = expansion::too_many_stages(items.len());
            return Err(self.too_many(group, "foreach", message));
        }
        self.count_stages(group, "foreach", stages.len(), items.len())?;
        for (key, item) in items {
            let name = format!("{group}{GENERATED_NAME_SEPARATOR}{key}");
            let mut values = vec![("item".to_owned(), item)];
            if inserted.contains(&"key") {
                values.push(("key".to_owned(), Value::String(key.clone())));
            }
            let saved = context.set_temporarily(values);
            let stage = self.entry(
                context,
                wdir,
                (group, &name),
                template,
                Template::ForeachDo,
                true,
            );
            context.restore(saved);
            stages.push(stage?);
        }
        Ok(())
    }

    /// The error for a group that generates too many stages.
    fn too_many(&self, group: &str, key: &str, message: String) -> LoadError {
        self.error(
            Some(group),
            format!(
                "failed to resolve 'stages.{group}.{key}' in '{}': {message}",
                self.file
            ),
            &Self::key_path(group, Template::Plain, key),
        )
    }

    /// Checks that `count` more stages keep the file within [`expansion::MAX_STAGES_PER_FILE`].
    fn count_stages(
        &self,
        group: &str,
        key: &str,
        defined: usize,
        count: usize,
    ) -> Result<(), LoadError> {
        if defined.saturating_add(count) > expansion::MAX_STAGES_PER_FILE {
            return Err(self.too_many(group, key, expansion::too_many_stages_in_file()));
        }
        Ok(())
    }

    /// Expands a `matrix` group (DVC's `MatrixDefinition`).
    pub(super) fn matrix(
        &mut self,
        context: &mut Context,
        wdir: &Dir,
        group: &str,
        definition: &Mapping,
        stages: &mut Vec<ResolvedStage>,
    ) -> Result<(), LoadError> {
        let path = |key: &str| Self::key_path(group, Template::Plain, key);
        let Some(Value::Mapping(matrix)) = definition.get("matrix") else {
            return Ok(());
        };
        let mut axes: Vec<(String, Vec<Entry>)> = Vec::new();
        for (key, value) in matrix {
            let key = key_string(key);
            let resolved = resolve_iterable(context, value, self.parsing).map_err(|failure| {
                self.failure(
                    group,
                    &format!("'stages.{group}.matrix'"),
                    &failure,
                    &path("matrix"),
                )
            })?;
            axes.push((key, resolved.entries()));
        }
        self.warn_overwriting(context, &["key", "item"], group);
        let mut template = definition.clone();
        template.shift_remove("matrix");
        self.check_syntax(&template, group, group, Template::Matrix)?;
        let lengths: Vec<usize> = axes.iter().map(|(_, values)| values.len()).collect();
        let count = expansion::matrix_size(&lengths)
            .map_err(|count| self.too_many(group, "matrix", expansion::too_many_stages(count)))?;
        self.count_stages(group, "matrix", stages.len(), count)?;
        let mut combinations = UniqueEntries::new();
        for indices in expansion::cartesian_product(&lengths) {
            let mut item = Mapping::new();
            let mut fragments = Vec::new();
            for ((axis, values), index) in axes.iter().zip(&indices) {
                let entry = &values[*index];
                item.insert(Value::String(axis.clone()), entry.value.clone());
                fragments.push(if is_collection(&entry.value) {
                    format!("{axis}{index}")
                } else {
                    entry.name_text()
                });
            }
            combinations.insert(fragments.join("-"), item);
        }
        for (key, item) in combinations.into_vec() {
            let name = format!("{group}{GENERATED_NAME_SEPARATOR}{key}");
            let saved = context.set_temporarily(vec![
                ("key".to_owned(), Value::String(key.clone())),
                ("item".to_owned(), Value::Mapping(item)),
            ]);
            let stage = self.entry(
                context,
                wdir,
                (group, &name),
                &template,
                Template::Matrix,
                true,
            );
            context.restore(saved);
            stages.push(stage?);
        }
        Ok(())
    }
}

/// A value of a `foreach` or `matrix` iterable and whether it came from the variables (DVC
/// names generated stages with `str()` of such values, `True` rather than `true`).
#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    from_context: bool,
}

impl Entry {
    fn name_text(&self) -> String {
        match (&self.value, self.from_context) {
            (Value::Bool(flag), true) => if *flag { "True" } else { "False" }.to_owned(),
            (value, _) => interpolation::to_text(value, ParsingConfig::default())
                .unwrap_or_else(|_| interpolation::python_str(value)),
        }
    }
}

/// A resolved `foreach` value.
struct Iterable {
    value: Value,
    /// The whole value came from one `${...}`.
    from_context: bool,
    /// For a literal list, which items were exactly one `${...}`.
    item_from_context: Vec<bool>,
}

impl Iterable {
    fn entries(&self) -> Vec<Entry> {
        match &self.value {
            Value::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| Entry {
                    value: item.clone(),
                    from_context: self.from_context
                        || self.item_from_context.get(index).copied().unwrap_or(false),
                })
                .collect(),
            Value::Mapping(map) => map
                .keys()
                .map(|key| Entry {
                    value: key.clone(),
                    from_context: self.from_context,
                })
                .collect(),
            Value::String(text) => text
                .chars()
                .map(|ch| Entry {
                    value: Value::String(ch.to_string()),
                    from_context: false,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// DVC's `normalized_iterable`: generated key → item.
    fn normalized(&self) -> Vec<(String, Value)> {
        let mut normalized = UniqueEntries::new();
        match &self.value {
            Value::Mapping(map) => {
                for (key, value) in map {
                    let key = interpolation::to_text(key, ParsingConfig::default())
                        .unwrap_or_else(|_| interpolation::python_str(key));
                    normalized.insert(key, value.clone());
                }
            }
            Value::Sequence(items) => {
                let composite = items.iter().any(is_collection);
                for (index, entry) in self.entries().into_iter().enumerate() {
                    let key = if composite {
                        index.to_string()
                    } else {
                        entry.name_text()
                    };
                    normalized.insert(key, entry.value);
                }
            }
            _ => {}
        }
        normalized.into_vec()
    }
}

/// Resolves `foreach` data or a `matrix` axis (`context.resolve(..., unwrap=False)`, no value
/// checks), remembering which parts came from the variables.
fn resolve_iterable(
    context: &Context,
    data: &Value,
    parsing: ParsingConfig,
) -> Result<Iterable, Failure> {
    let is_exact = |value: &Value| match value {
        Value::String(text) => {
            let found = interpolation::matches(text);
            found.len() == 1 && found[0].start == 0 && found[0].end == text.len()
        }
        _ => false,
    };
    check_syntax(data).map_err(|error| Failure::Syntax(error.message))?;
    let value = resolve_value(context, data, None, false, parsing)?;
    let item_from_context = match data {
        Value::Sequence(items) => items.iter().map(is_exact).collect(),
        _ => Vec::new(),
    };
    Ok(Iterable {
        value,
        from_context: is_exact(data),
        item_from_context,
    })
}
