//! What a stage asks SLURM for: `partition`, `time`, `mem`, `cpus-per-task`, `gres`,
//! `account`, `qos` and extra `sbatch` flags (`sbatch: [...]`), from the stage's
//! `meta: {slurm: {...}}` in `dvc.yaml` (dvc ignores `meta`) over the repository's defaults in
//! `.dvc/slurm.yaml` (a file dvc neither reads nor rejects). Each becomes one `--key=value`
//! argument, so no value can smuggle in another option; extra flags may not set what dv sets
//! itself or what writes files (`--output`, `--chdir`, `--wrap`, ...).

use dv_schema::yaml::Value;

use crate::error::DvcError;
use crate::workspace::Workspace;

/// The keys a stage or the defaults may set, as `sbatch` names them.
pub const KEYS: &[&str] = &[
    "partition",
    "time",
    "mem",
    "cpus-per-task",
    "gres",
    "account",
    "qos",
];

/// `sbatch` options dv sets itself, or that make SLURM read or write files where dv did not
/// choose: refused among the extra flags.
const RESERVED: &[(&str, Option<char>)] = &[
    ("output", Some('o')),
    ("error", Some('e')),
    ("input", Some('i')),
    ("chdir", Some('D')),
    ("wrap", None),
    ("array", Some('a')),
    ("dependency", Some('d')),
    ("kill-on-invalid-dep", None),
    ("job-name", Some('J')),
    ("parsable", None),
    ("export-file", None),
    ("wait", Some('W')),
];

/// The `sbatch` arguments of a stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `--key=value` pairs, in [`KEYS`] order.
    pub values: Vec<(String, String)>,
    /// Extra flags, defaults first.
    pub extra: Vec<String>,
}

impl Resources {
    /// The arguments for `sbatch`.
    pub fn arguments(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|(key, value)| format!("--{key}={value}"))
            .chain(self.extra.iter().cloned())
            .collect()
    }

    /// `layer` (a `slurm:` mapping) over these resources; `origin` names it in errors.
    fn overlay(&mut self, layer: &Value, origin: &str) -> anyhow::Result<()> {
        let Value::Mapping(mapping) = layer else {
            return Err(
                DvcError(format!("{origin}: expected a mapping of SLURM resources")).into(),
            );
        };
        for (key, value) in mapping.iter() {
            let Some(key) = key.as_str() else {
                return Err(DvcError(format!("{origin}: keys must be strings")).into());
            };
            if key == "sbatch" {
                let Value::Sequence(flags) = value else {
                    return Err(
                        DvcError(format!("{origin}: 'sbatch' must be a list of flags")).into(),
                    );
                };
                for flag in flags {
                    let flag = scalar(flag).ok_or_else(|| {
                        DvcError(format!("{origin}: 'sbatch' flags must be strings"))
                    })?;
                    check_flag(&flag).map_err(|why| DvcError(format!("{origin}: {why}")))?;
                    self.extra.push(flag);
                }
                continue;
            }
            if !KEYS.contains(&key) {
                return Err(DvcError(format!(
                    "{origin}: unknown SLURM resource '{key}' (known: {}, sbatch)",
                    KEYS.join(", ")
                ))
                .into());
            }
            let value = scalar(value)
                .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
                .ok_or_else(|| {
                    DvcError(format!(
                        "{origin}: '{key}' must be a non-empty single-line value"
                    ))
                })?;
            match self.values.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => self.values.push((key.to_owned(), value)),
            }
        }
        self.values
            .sort_by_key(|(key, _)| KEYS.iter().position(|k| k == key));
        Ok(())
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Refuses an extra flag that sets what dv sets, or that is not a flag.
fn check_flag(flag: &str) -> Result<(), String> {
    if !flag.starts_with('-') || flag.chars().any(char::is_control) {
        return Err(format!("'{flag}' is not an sbatch flag"));
    }
    let reserved = RESERVED.iter().any(|(long, short)| {
        let long_form = format!("--{long}");
        flag == long_form
            || flag.starts_with(&format!("{long_form}="))
            || short.is_some_and(|c| !flag.starts_with("--") && flag[1..].starts_with(c))
    });
    if reserved {
        return Err(format!(
            "'{flag}' is set by dv and cannot be given as an sbatch flag"
        ));
    }
    Ok(())
}

/// The repository's defaults file.
pub const DEFAULTS_FILE: &str = ".dvc/slurm.yaml";

/// The repository's default resources (`.dvc/slurm.yaml`, optional).
pub fn defaults(workspace: &Workspace) -> anyhow::Result<Resources> {
    let path = workspace.root().join(DEFAULTS_FILE);
    let mut resources = Resources::default();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(resources);
    };
    let value = dv_schema::yaml::parse(&text)
        .map_err(|error| DvcError(format!("'{DEFAULTS_FILE}' is not valid YAML: {error}")))?;
    if !matches!(value, Value::Null) {
        resources.overlay(&value, DEFAULTS_FILE)?;
    }
    Ok(resources)
}

/// A stage's resources: its `meta: {slurm: ...}` over `defaults`.
pub fn of_stage(
    defaults: &Resources,
    meta: Option<&Value>,
    dvc_yaml: &str,
    stage: &str,
) -> anyhow::Result<Resources> {
    let mut resources = defaults.clone();
    if let Some(layer) = meta.and_then(|meta| meta.get("slurm")) {
        resources.overlay(layer, &format!("'{dvc_yaml}' stage '{stage}' meta.slurm"))?;
    }
    Ok(resources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        dv_schema::yaml::parse(text).expect("yaml")
    }

    #[test]
    fn stage_meta_over_defaults() {
        let mut defaults = Resources::default();
        defaults
            .overlay(
                &parse("partition: short\ntime: '01:00:00'\nsbatch: [--exclusive]\n"),
                "d",
            )
            .expect("defaults");
        let meta = parse("slurm:\n  time: '04:00:00'\n  cpus-per-task: 4\n  gres: gpu:1\n");
        let resources = of_stage(&defaults, Some(&meta), "dvc.yaml", "train").expect("stage");
        assert_eq!(
            resources.arguments(),
            [
                "--partition=short",
                "--time=04:00:00",
                "--cpus-per-task=4",
                "--gres=gpu:1",
                "--exclusive"
            ]
        );
    }

    #[test]
    fn refuses_what_dv_sets_and_unknown_keys() {
        for flag in [
            "--output=/etc/x",
            "-o/tmp/x",
            "--chdir=/",
            "--wrap=id",
            "-J",
            "x",
        ] {
            let layer = parse(&format!("sbatch: ['{flag}']\n"));
            assert!(Resources::default().overlay(&layer, "f").is_err(), "{flag}");
        }
        assert!(
            Resources::default()
                .overlay(&parse("nodes: 2\n"), "f")
                .is_err()
        );
        assert!(
            Resources::default()
                .overlay(&parse("mem: \"4G\\n--wrap=x\"\n"), "f")
                .is_err()
        );
        assert!(
            Resources::default()
                .overlay(&parse("sbatch: [--constraint=amd]\n"), "f")
                .is_ok()
        );
    }
}
