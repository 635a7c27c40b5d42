//! Writing stages into a `dvc.yaml` (`dvc stage add`, `dvc run`) and removing them
//! (`dvc remove`), keeping the rest of the file as DVC does.

use crate::yaml::{Mapping, Value};

/// What [`dump_stages`] did to a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageAction {
    /// A new stage was appended (DVC logs `Adding stage 'x' in 'dvc.yaml'`).
    Added,
    /// An existing stage was updated in place (`Modifying stage 'x' in 'dvc.yaml'`).
    Modified,
}

/// The outcome of [`dump_stages`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DvcYamlUpdate {
    /// The new text of the file.
    pub text: String,
    /// The file did not exist or was empty (DVC logs `Creating 'dvc.yaml'`).
    pub created: bool,
    /// Each stage written and what happened to it.
    pub actions: Vec<(String, StageAction)>,
}

/// The text of a `dvc.yaml` after DVC's `_dump_pipeline_file` writes `stages` (name and
/// [`StageDefinition::to_value`](super::StageDefinition::to_value)) into it: a new stage is appended to `stages`, an existing
/// one is merged into its entry (keys keep their place, comments are kept where the edit
/// allows). `previous` is the current text, if the file exists.
pub fn dump_stages(
    previous: Option<&str>,
    stages: &[(&str, Value)],
) -> Result<DvcYamlUpdate, crate::yaml::YamlError> {
    let old = match previous {
        Some(text) => crate::yaml::parse(text)?,
        None => Value::Null,
    };
    let mut root = match &old {
        Value::Mapping(map) => map.clone(),
        _ => Mapping::new(),
    };
    let created = root.is_empty();
    let mut entries = match root.get("stages") {
        Some(Value::Mapping(entries)) => entries.clone(),
        _ => Mapping::new(),
    };
    let mut actions = Vec::new();
    for (name, value) in stages {
        let key = Value::String((*name).to_owned());
        match entries.get_mut(&key) {
            Some(existing) => {
                crate::yaml::apply_diff(value, existing);
                actions.push(((*name).to_owned(), StageAction::Modified));
            }
            None => {
                entries.insert(key, value.clone());
                actions.push(((*name).to_owned(), StageAction::Added));
            }
        }
    }
    root.insert(Value::String("stages".to_owned()), Value::Mapping(entries));
    let new = Value::Mapping(root);
    let text = match previous {
        Some(previous) if !created => crate::yaml::update_text(previous, &new)?.text,
        _ => crate::yaml::to_string(&new),
    };
    Ok(DvcYamlUpdate {
        text,
        created,
        actions,
    })
}

/// The outcome of [`remove_stage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StageRemoval {
    /// No stage of that name: nothing to write.
    NotFound,
    /// The new text of the file.
    Text(String),
    /// It was the last stage: DVC deletes the file.
    DeleteFile,
}

/// The text of a `dvc.yaml` after DVC's `ProjectFile.remove_stage(name)` (`dvc remove`).
pub fn remove_stage(previous: &str, name: &str) -> Result<StageRemoval, crate::yaml::YamlError> {
    let old = crate::yaml::parse(previous)?;
    let Value::Mapping(mut root) = old else {
        return Ok(StageRemoval::NotFound);
    };
    let Some(Value::Mapping(mut entries)) = root.get("stages").cloned() else {
        return Ok(StageRemoval::NotFound);
    };
    if entries.shift_remove(name).is_none() {
        return Ok(StageRemoval::NotFound);
    }
    if entries.is_empty() {
        return Ok(StageRemoval::DeleteFile);
    }
    root.insert(Value::String("stages".to_owned()), Value::Mapping(entries));
    Ok(StageRemoval::Text(
        crate::yaml::update_text(previous, &Value::Mapping(root))?.text,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dvc_yaml::{Command, StageDefinition};
    use crate::yaml::{parse, to_string};

    #[test]
    fn dumps_stages_into_files() {
        let stage = |cmd: &str| StageDefinition::new(Command::Text(cmd.to_owned())).to_value();
        let created = dump_stages(None, &[("a", stage("x"))]).expect("dump");
        assert!(created.created);
        assert_eq!(created.text, "stages:\n  a:\n    cmd: x\n");
        let previous =
            "# pipeline\nvars:\n- p.yaml\nstages:\n  a:\n    cmd: x # first\n    deps:\n    - in\n";
        let mut modified = StageDefinition::new(Command::Text("y".to_owned()));
        modified.deps = vec!["in".to_owned()];
        let update = dump_stages(
            Some(previous),
            &[("a", modified.to_value()), ("b", stage("z"))],
        )
        .expect("dump");
        assert!(!update.created);
        assert_eq!(
            update.actions,
            [
                ("a".to_owned(), StageAction::Modified),
                ("b".to_owned(), StageAction::Added)
            ]
        );
        assert!(update.text.starts_with("# pipeline\n"), "{}", update.text);
        let reread = parse(&update.text).expect("valid yaml");
        assert_eq!(
            to_string(&reread),
            "vars:\n- p.yaml\nstages:\n  a:\n    cmd: y\n    deps:\n    - in\n  b:\n    cmd: z\n"
        );
        assert_eq!(
            remove_stage(&update.text, "b").map(|removal| match removal {
                StageRemoval::Text(text) => to_string(&parse(&text).expect("yaml")),
                other => format!("{other:?}"),
            }),
            Ok("vars:\n- p.yaml\nstages:\n  a:\n    cmd: y\n    deps:\n    - in\n".to_owned())
        );
        assert_eq!(
            remove_stage("stages:\n  a:\n    cmd: x\n", "a"),
            Ok(StageRemoval::DeleteFile)
        );
        assert_eq!(
            remove_stage("stages:\n  a:\n    cmd: x\n", "b"),
            Ok(StageRemoval::NotFound)
        );
    }

    #[test]
    fn spec_stage_add_example() {
        // spec §7.3, written by `dvc stage add` (the expected text is real DVC output)
        let spec = include_str!("../../tests/fixtures/dvc-format.md");
        let start = spec
            .find("```yaml\nstages:\n  prepare:")
            .expect("the example is in the spec")
            + "```yaml\n".len();
        let expected = &spec[start..start + spec[start..].find("```").expect("closing fence")];
        let document = parse(expected).expect("valid yaml");
        let stage = &document["stages"]["prepare"];
        let definition = StageDefinition::from_value(stage).expect("valid stage");
        let written = dump_stages(None, &[("prepare", definition.to_value())]).expect("dump");
        assert_eq!(written.text, expected);
    }
}
