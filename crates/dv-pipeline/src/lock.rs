//! The `dvc.lock` entry of a stage that just ran (spec §8.1): the resolved command, each
//! dependency and output with its hash, and the current values of the tracked params, in
//! DVC's order (entries sorted by path, the default params file first).

use dv_schema::dvc_file::Output as LockEntry;
use dv_schema::dvc_yaml::DEFAULT_PARAMS_FILE;
use dv_schema::hash::HashName;
use dv_schema::lock_file::{LockStage, ParamsValues};
use dv_schema::yaml::Mapping;

use crate::stage::{EntryPath, Stage};
use crate::status::{CheckError, EntryHash, EntryRole, HashValue, Workspace, read_params};

/// The lock entry of a path with hash `hash`, as written for `def_path`.
pub fn lock_entry(def_path: &str, hash: &EntryHash) -> LockEntry {
    let mut entry = LockEntry {
        path: def_path.to_owned(),
        hash_name: hash.hash_name,
        size: hash.size,
        nfiles: hash.nfiles,
        isexec: hash.isexec,
        ..LockEntry::default()
    };
    match &hash.value {
        HashValue::Md5(id) => entry.md5 = Some(*id),
        HashValue::Etag(etag) => entry.etag = Some(etag.clone()),
        HashValue::Checksum(checksum) => entry.checksum = Some(checksum.clone()),
    }
    entry
}

/// The lock entry of `stage` from the hashes of its dependencies and outputs and the values
/// of its params (`(params file as written, values)`), sorted as DVC writes them.
pub fn lock_stage(
    stage: &Stage,
    mut deps: Vec<LockEntry>,
    params: Vec<(String, Mapping)>,
    mut outs: Vec<LockEntry>,
) -> LockStage {
    deps.sort_by(|a, b| a.path.cmp(&b.path));
    outs.sort_by(|a, b| a.path.cmp(&b.path));
    LockStage {
        cmd: stage.cmd().clone(),
        deps,
        params: ParamsValues::sorted(params, DEFAULT_PARAMS_FILE),
        outs,
    }
}

/// Why a stage's lock entry cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A dependency is missing (DVC's `DependencyDoesNotExistError`).
    #[error("dependency '{0}' does not exist")]
    MissingDependency(String),
    /// An output is missing (DVC's `OutputDoesNotExistError`).
    #[error("output '{0}' does not exist")]
    MissingOutput(String),
    /// A params file is missing (DVC's `MissingParamsFile`).
    #[error("Parameters file '{0}' does not exist")]
    MissingParamsFile(String),
    /// Tracked params are missing from their file (DVC's `MissingParamsError`).
    #[error("Parameters '{}' are missing from '{path}'.", keys.join(", "))]
    MissingParams {
        /// The params file.
        path: String,
        /// The missing keys.
        keys: Vec<String>,
    },
    /// Hashing or reading failed.
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// The current values of every params dependency of `stage`, as recorded in `dvc.lock`.
pub fn current_params(
    stage: &Stage,
    workspace: &mut dyn Workspace,
) -> Result<Vec<(String, Mapping)>, RecordError> {
    let mut values = Vec::new();
    for params in &stage.params {
        let Some(found) = read_params(workspace, params)? else {
            return Err(RecordError::MissingParamsFile(params.path.to_string()));
        };
        let missing: Vec<String> = params
            .keys
            .iter()
            .filter(|key| !found.contains_key(key.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(RecordError::MissingParams {
                path: params.path.to_string(),
                keys: missing,
            });
        }
        values.push((params.def_path.clone(), found));
    }
    Ok(values)
}

/// Hashes every dependency and output of `stage` and reads its params: its new lock entry
/// (DVC's `save` + `to_single_stage_lockfile`). `previous` is the stage's entry before the run:
/// an entry DVC 2.x wrote (`md5-dos2unix`) stays so while its content is unchanged and moves to
/// MD5 when it changed (`update_legacy_hash_name`); everything else is hashed with MD5.
pub fn record(
    stage: &Stage,
    previous: Option<&LockStage>,
    workspace: &mut dyn Workspace,
) -> Result<LockStage, RecordError> {
    let RunInputs { deps, params } = record_inputs(stage, previous, workspace)?;
    let mut outs = Vec::new();
    for out in &stage.outs {
        let old = previous.and_then(|lock| lock.outs.iter().find(|e| e.path == out.def_path));
        let hash = hash_entry(workspace, &out.path, old, EntryRole::Output)?
            .ok_or_else(|| RecordError::MissingOutput(out.path.to_string()))?;
        outs.push(lock_entry(&out.def_path, &hash));
    }
    Ok(lock_stage(stage, deps, params, outs))
}

/// What a stage run depends on, as its lock entry records it: the inputs of its run-cache key
/// (spec §9.4).
#[derive(Clone, Debug, PartialEq)]
pub struct RunInputs {
    /// The dependencies' entries.
    pub deps: Vec<LockEntry>,
    /// The values of the tracked params, per params file as written.
    pub params: Vec<(String, Mapping)>,
}

/// The lock entries of `stage`'s dependencies and the values of its params, as [`record`]
/// records them.
pub fn record_inputs(
    stage: &Stage,
    previous: Option<&LockStage>,
    workspace: &mut dyn Workspace,
) -> Result<RunInputs, RecordError> {
    let mut deps = Vec::new();
    for dep in &stage.deps {
        let old = previous.and_then(|lock| lock.deps.iter().find(|e| e.path == dep.def_path));
        let hash = hash_entry(workspace, &dep.path, old, EntryRole::Dependency)?
            .ok_or_else(|| RecordError::MissingDependency(dep.path.to_string()))?;
        deps.push(lock_entry(&dep.def_path, &hash));
    }
    let params = current_params(stage, workspace)?;
    Ok(RunInputs { deps, params })
}

/// The hash to record for a path whose previous entry is `old`.
fn hash_entry(
    workspace: &mut dyn Workspace,
    path: &EntryPath,
    old: Option<&LockEntry>,
    role: EntryRole,
) -> Result<Option<EntryHash>, RecordError> {
    let mut hash = |hash_name: HashName| {
        workspace
            .hash(path, hash_name, role)
            .map_err(|source| CheckError::Workspace {
                path: path.to_string(),
                source,
            })
    };
    if let Some(old) = old
        && old.hash_name == HashName::Md5Dos2Unix
    {
        let legacy = hash(HashName::Md5Dos2Unix)?;
        match &legacy {
            Some(current) if Some(&current.value) == HashValue::of(old).as_ref() => {
                return Ok(legacy);
            }
            None => return Ok(None),
            Some(_) => {}
        }
    }
    Ok(hash(HashName::Md5)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{FileContent, MemoryFiles};
    use crate::resolve::{LoadOptions, load};
    use crate::status::WorkspaceError;
    use dv_schema::hash::{Md5, ObjectId};
    use dv_schema::lock_file::LockFile;
    use dv_schema::repo_path::RepoPath;

    /// `in` hashes to `legacy` with md5-dos2unix and to `plain` with MD5.
    struct TwoHashes {
        legacy: Md5,
        plain: Md5,
    }

    impl Workspace for TwoHashes {
        fn hash(
            &mut self,
            _path: &EntryPath,
            hash_name: HashName,
            _role: EntryRole,
        ) -> Result<Option<EntryHash>, WorkspaceError> {
            let md5 = match hash_name {
                HashName::Md5Dos2Unix => self.legacy,
                HashName::Md5 => self.plain,
            };
            Ok(Some(EntryHash {
                value: HashValue::Md5(ObjectId::file(md5)),
                hash_name,
                size: Some(2),
                nfiles: None,
                isexec: false,
            }))
        }

        fn read(&mut self, _path: &EntryPath) -> Result<FileContent, WorkspaceError> {
            Ok(FileContent::File(b"lr: 0.1\n".to_vec()))
        }

        fn in_cache(
            &mut self,
            _id: &ObjectId,
            _hash_name: HashName,
        ) -> Result<bool, WorkspaceError> {
            Ok(true)
        }
    }

    #[test]
    fn legacy_entries_stay_legacy_until_they_change() {
        let files = MemoryFiles::new(&[(
            "dvc.yaml",
            "stages:\n  s:\n    cmd: x\n    deps: [in]\n    params: [lr]\n    outs: [out]\n",
        )]);
        let file = load(
            &files,
            &RepoPath::new("dvc.yaml").expect("path"),
            &LoadOptions::default(),
        )
        .expect("loads");
        let stage = Stage::all(&file).expect("stages").remove(0);
        let legacy = Md5::digest(b"legacy");
        let plain = Md5::digest(b"plain");
        let previous = LockFile::from_yaml(&format!(
            "schema: '2.0'\nstages:\n  s:\n    cmd: x\n    deps:\n    - path: in\n      md5: {legacy}\n      size: 2\n    outs:\n    - path: out\n      md5: {}\n      size: 2\n",
            Md5::digest(b"other")
        ))
        .expect("valid lock");
        let mut workspace = TwoHashes { legacy, plain };
        let recorded = record(&stage, previous.stage("s"), &mut workspace).expect("recorded");
        assert_eq!(
            recorded.to_yaml(),
            format!(
                "cmd: x\ndeps:\n- path: in\n  md5: {legacy}\n  size: 2\nparams:\n  params.yaml:\n    lr: 0.1\nouts:\n- path: out\n  hash: md5\n  md5: {plain}\n  size: 2\n"
            )
        );
        let fresh = record(&stage, None, &mut workspace).expect("recorded");
        assert!(fresh.deps.iter().all(|dep| dep.hash_name == HashName::Md5));
    }
}
