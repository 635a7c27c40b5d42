//! Run-cache entries (spec §9.4): the key and value a stage run is saved under,
//! `<cache>/runs/<key[:2]>/<key>/<value>`, and whether DVC saves a run at all.
//!
//! ```text
//! value = sha256(json.dumps(drop(lock, {size, nfiles}), sort_keys=True))
//! key   = sha256(json.dumps(drop(lock with outs replaced by their paths, {size, nfiles}), sort_keys=True))
//! ```
//! where `lock` is the stage's `dvc.lock` entry without its name, and `drop` removes the keys
//! from every mapping, at any depth (params values included). The entry file holds `lock` as
//! YAML ([`LockStage::to_yaml`]).

use dv_schema::dvc_file::Output as LockEntry;
use dv_schema::lock_file::LockStage;
use dv_schema::python_json;
use dv_schema::yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

use crate::lock::RunInputs;
use crate::stage::{EntryPath, Stage};

/// The directory of run-cache entries, under the cache directory.
pub const RUNS_DIR: &str = "runs";

/// Where a stage run is saved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunCacheEntry {
    /// sha256 hex of the run's inputs (command, dependencies, params, output paths).
    pub key: String,
    /// sha256 hex of the whole lock entry.
    pub value: String,
}

impl RunCacheEntry {
    /// The key and value of the run recorded by `lock`.
    pub fn of(lock: &LockStage) -> RunCacheEntry {
        RunCacheEntry {
            key: key(lock),
            value: value(lock),
        }
    }

    /// `runs/<key[:2]>/<key>`, relative to the cache directory: the runs with the same inputs.
    pub fn key_dir(&self) -> String {
        key_dir(&self.key)
    }

    /// `runs/<key[:2]>/<key>/<value>`, relative to the cache directory.
    pub fn relative_path(&self) -> String {
        format!("{}/{}", self.key_dir(), self.value)
    }
}

/// `runs/<key[:2]>/<key>` for a run-cache key.
pub fn key_dir(key: &str) -> String {
    let prefix = key.get(..2).unwrap_or(key);
    format!("{RUNS_DIR}/{prefix}/{key}")
}

/// The run-cache value of a lock entry.
pub fn value(lock: &LockStage) -> String {
    sha256_of(&lock.to_value())
}

/// The run-cache key of a lock entry: its value with `outs` reduced to their paths.
pub fn key(lock: &LockStage) -> String {
    let mut entry = lock.to_value();
    if let Value::Mapping(map) = &mut entry {
        let paths: Vec<Value> = lock
            .outs
            .iter()
            .map(|out| Value::String(out.path.clone()))
            .collect();
        map.insert(Value::String("outs".to_owned()), Value::Sequence(paths));
    }
    sha256_of(&entry)
}

fn sha256_of(value: &Value) -> String {
    let text = python_json::dumps_sorted(&drop_keys(value, &["size", "nfiles"]));
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// DVC's `dict_filter`: `keys` removed from every mapping, recursively through lists.
fn drop_keys(value: &Value, keys: &[&str]) -> Value {
    match value {
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .filter(|(key, _)| !key.as_str().is_some_and(|key| keys.contains(&key)))
                .map(|(key, value)| (key.clone(), drop_keys(value, keys)))
                .collect::<Mapping>(),
        ),
        Value::Sequence(items) => {
            Value::Sequence(items.iter().map(|item| drop_keys(item, keys)).collect())
        }
        other => other.clone(),
    }
}

/// Whether DVC can look `stage` up in the run-cache at all (`_can_hash`): a command, at least
/// one dependency (params count) and one output; not `always_changed`; every dependency local;
/// every output inside the repository and not `persist`.
pub fn can_hash(stage: &Stage) -> bool {
    if stage.is_callback() || stage.is_always_changed() {
        return false;
    }
    if stage.deps.is_empty() && stage.params.is_empty() || stage.outs.is_empty() {
        return false;
    }
    let deps_local = stage
        .deps
        .iter()
        .all(|dep| dep.path.is_local() && !dep.def_path.is_empty());
    let params_local = stage.params.iter().all(|params| params.path.is_local());
    let outs_ok = stage.outs.iter().all(|out| {
        matches!(out.path, EntryPath::Repo(_))
            && !out.def_path.is_empty()
            && !out.definition.persist
    });
    deps_local && params_local && outs_ok
}

/// Whether DVC saves a run of `stage` recorded by `lock` to the run-cache (`_can_hash` and the
/// conditions of `Stage.run`): [`can_hash`]; every dependency recorded with a non-empty hash;
/// no regular output with `cache: false` (uncached metrics and plots are fine); and the outputs
/// were committed (`committed` false for `--no-commit`).
pub fn can_save(stage: &Stage, lock: &LockStage, committed: bool) -> bool {
    if !committed || !can_hash(stage) {
        return false;
    }
    let deps_hashed = stage.deps.iter().all(|dep| {
        lock.deps.iter().any(|entry| {
            entry.path == dep.def_path
                && (entry.md5.is_some() || entry.etag.is_some() || entry.checksum.is_some())
        })
    });
    let params_hashed = stage.params.iter().all(|params| {
        lock.params
            .file(&params.def_path)
            .is_some_and(|values| !values.is_empty())
    });
    let regular_uncached = stage.outs.iter().any(|out| {
        !out.definition.cache && out.definition.kind == dv_schema::dvc_yaml::OutputKind::Out
    });
    deps_hashed && params_hashed && !regular_uncached
}

/// The key a run of `stage` with these recorded dependencies and params values is saved under
/// (the outputs' hashes do not take part in the key, only their paths).
pub fn inputs_key(stage: &Stage, inputs: RunInputs) -> String {
    let outs = stage
        .outs
        .iter()
        .map(|out| LockEntry {
            path: out.def_path.clone(),
            ..LockEntry::default()
        })
        .collect();
    key(&crate::lock::lock_stage(
        stage,
        inputs.deps,
        inputs.params,
        outs,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_schema::lock_file::LockFile;

    const PIPELINE: &str = include_str!("../../dv-schema/tests/fixtures/pipeline/dvc.lock");

    #[test]
    fn spec_example() {
        // real dvc 3.67.1 on the input spec §9.4 describes (its quoted key and value come from a
        // different input)
        let lock = LockFile::from_yaml(
            "schema: '2.0'\nstages:\n  s1:\n    cmd: cat in.txt > out1.txt\n    deps:\n    - path: in.txt\n      hash: md5\n      md5: ba8d2b9408ed255ee92a112fe7ba59be\n      size: 3\n    params:\n      params.yaml:\n        lr: 0.1\n    outs:\n    - path: out1.txt\n      hash: md5\n      md5: ba8d2b9408ed255ee92a112fe7ba59be\n      size: 3\n",
        )
        .expect("valid lock");
        let entry = RunCacheEntry::of(lock.stage("s1").expect("stage"));
        assert_eq!(
            entry.key,
            "dfb367a5d81cce7311c803e0947ea091f8b3fad2edbb466cfc26d9caef873afa"
        );
        assert_eq!(
            entry.value,
            "d23b36b15438ae82002b0135bdf577c6f7b0d064db42b5f358ff8637199b8306"
        );
    }

    #[test]
    fn entries_dvc_wrote_are_named_by_their_key_and_value() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../dv-schema/tests/fixtures/run-cache");
        for relative in [
            "runs/96/96292fdeec63ce03ed5e1803b236a4780432c24db3c989d04b3cd954f7cd331f/f5c15a561e31dbe4ad9e7a9544e71ec22171c5b0c189964faf91f6bf4cb6aee8",
            "runs/47/47044d39a4825d331ca6924416f36832d7be64a9edf1206c94eb3780e894fc0b/2c50910e330a5ceb36d5e691c4d5516d8e8813ce5da98809fa949dbc812b665b",
        ] {
            let text = std::fs::read_to_string(fixtures.join(relative)).expect("fixture");
            let lock = LockStage::from_yaml(&text).expect("valid entry");
            assert_eq!(RunCacheEntry::of(&lock).relative_path(), relative);
        }
    }

    fn pipeline_stages() -> Vec<Stage> {
        let files = crate::files::MemoryFiles::new(&[(
            "dvc.yaml",
            include_str!("../../dv-schema/tests/fixtures/pipeline/dvc.yaml"),
        )]);
        let file = crate::resolve::load(
            &files,
            &dv_schema::repo_path::RepoPath::new("dvc.yaml").expect("path"),
            &crate::resolve::LoadOptions::default(),
        )
        .expect("loads");
        Stage::all(&file).expect("stages")
    }

    #[test]
    fn inputs_key_is_the_key_of_the_run() {
        let lock = LockFile::from_yaml(PIPELINE).expect("valid lock");
        let stages = pipeline_stages();
        let recorded = lock.stage("s1").expect("stage");
        assert_eq!(
            inputs_key(
                &stages[0],
                RunInputs {
                    deps: recorded.deps.clone(),
                    params: recorded.params.0.clone(),
                }
            ),
            key(recorded)
        );
        assert!(can_hash(&stages[0]) && can_save(&stages[0], recorded, true));
        assert!(!can_save(&stages[0], recorded, false));
        // a persistent output: never looked up nor saved
        assert!(!can_hash(&stages[1]));
    }

    #[test]
    fn pipeline_fixture() {
        let lock = LockFile::from_yaml(PIPELINE).expect("valid lock");
        let entry = RunCacheEntry::of(lock.stage("s1").expect("stage"));
        assert_eq!(
            entry.relative_path(),
            "runs/30/30ff758f86af08d0d010092a69ace091ea0aa259069c52fc7116bcb174e1dd99/740e3906841fd9788341771511a0803a369170b3c1ef4f41a90e657fa3fa7ef5"
        );
    }
}
