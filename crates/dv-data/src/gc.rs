//! Garbage collection of one object database: delete every object that is not in a set of used
//! ones (what `dvc gc` does to each cache, spec §10.5).
//!
//! Objects are found as DVC lists them: every file directly inside a two-character directory of
//! the layout's objects directory (`files/md5/ab/…` or, for the legacy layout, `ab/…` at the
//! cache root). Deeper files (`runs/…`, `fs/…`, the other layout) are never looked at, and
//! neither are `.<random>.tmp` files: they belong to a writer that has not finished (DVC would
//! delete them, dv leaves them alone) — unless they are [stale](stale_temporaries), left
//! behind by a writer that died long ago.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use dv_schema::hash::ObjectId;

use crate::odb::Odb;
use crate::progress::{Phase, Progress};

/// Why a collection failed.
#[derive(Debug, thiserror::Error)]
#[error("failed to {action} `{path}`")]
pub struct GcError {
    /// What was being done.
    pub action: &'static str,
    /// The path involved.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: io::Error,
}

/// A file in the objects directory, named like an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    /// Its name as an object id: the shard directory name followed by the file name
    /// (`<32 hex>` or `<32 hex>.dir` for real objects).
    pub name: String,
    /// Its path.
    pub path: PathBuf,
}

impl StoredObject {
    /// Whether it is a tree object (`.dir`).
    pub fn is_tree(&self) -> bool {
        self.name.ends_with(ObjectId::TREE_SUFFIX)
    }
}

/// Every object stored in `odb`, sorted by name.
pub fn list(odb: &Odb) -> Result<Vec<StoredObject>, GcError> {
    let objects_dir = odb.objects_dir();
    let mut found = Vec::new();
    for shard in read_dir(&objects_dir)? {
        let shard_name = shard.file_name().to_string_lossy().into_owned();
        if shard_name.chars().count() != 2 || !shard.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for entry in read_dir(&shard.path())? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir || dv_fs::temp::is_temp_name(&name) {
                continue;
            }
            found.push(StoredObject {
                name: format!("{shard_name}{name}"),
                path: entry.path(),
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

fn read_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>, GcError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| {
                entry.map_err(|source| GcError {
                    action: "list",
                    path: dir.to_path_buf(),
                    source,
                })
            })
            .collect(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(GcError {
            action: "list",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// The objects of `odb` whose id is not in `used`, trees first (the order DVC deletes them in).
pub fn unused(odb: &Odb, used: &HashSet<ObjectId>) -> Result<Vec<StoredObject>, GcError> {
    let used: HashSet<String> = used.iter().map(ToString::to_string).collect();
    let (mut trees, files): (Vec<StoredObject>, Vec<StoredObject>) = list(odb)?
        .into_iter()
        .filter(|object| !used.contains(&object.name))
        .partition(StoredObject::is_tree);
    trees.extend(files);
    Ok(trees)
}

/// Deletes `objects` (with a tree, its DVC 2 `.dir.unpacked` directory); one already gone is
/// fine. Deletions are counted in `progress` ([`Phase::Deleting`]).
pub fn remove(objects: &[StoredObject], progress: &Progress) -> Result<(), GcError> {
    progress.start(Phase::Deleting, objects.len() as u64, 0);
    for object in objects {
        match std::fs::remove_file(&object.path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(GcError {
                    action: "remove",
                    path: object.path.clone(),
                    source,
                });
            }
        }
        if object.is_tree() {
            let mut unpacked = object.path.clone().into_os_string();
            unpacked.push(".unpacked");
            let unpacked = PathBuf::from(unpacked);
            if unpacked.is_dir() {
                std::fs::remove_dir_all(&unpacked).map_err(|source| GcError {
                    action: "remove",
                    path: unpacked.clone(),
                    source,
                })?;
            }
        }
        progress.advance(Phase::Deleting, 1, 0);
    }
    Ok(())
}

/// How long a temporary file in a shard directory must have gone unmodified before it is taken
/// for the leftover of a writer that died: no running download or insert keeps one that long.
pub const STALE_TEMPORARY: Duration = Duration::from_secs(24 * 60 * 60);

/// The `.<random>.tmp` files in the shard directories of `odb` last modified more than
/// `older_than` ago, sorted.
pub fn stale_temporaries(odb: &Odb, older_than: Duration) -> Result<Vec<PathBuf>, GcError> {
    let now = SystemTime::now();
    let mut found = Vec::new();
    for shard in read_dir(&odb.objects_dir())? {
        let shard_name = shard.file_name().to_string_lossy().into_owned();
        if shard_name.chars().count() != 2 || !shard.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for entry in read_dir(&shard.path())? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !dv_fs::temp::is_temp_name(&name) {
                continue;
            }
            let stale = entry.metadata().is_ok_and(|metadata| {
                metadata.is_file()
                    && metadata.modified().is_ok_and(|modified| {
                        now.duration_since(modified).unwrap_or_default() > older_than
                    })
            });
            if stale {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Deletes `files`; one already gone is fine.
pub fn remove_files(files: &[PathBuf]) -> Result<(), GcError> {
    for file in files {
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(GcError {
                    action: "remove",
                    path: file.clone(),
                    source,
                });
            }
        }
    }
    Ok(())
}

/// Deletes every object of `odb` whose id is not in `used` and returns how many were deleted.
pub fn collect_garbage(odb: &Odb, used: &HashSet<ObjectId>) -> Result<usize, GcError> {
    let unused = unused(odb, used)?;
    remove(&unused, &Progress::default())?;
    Ok(unused.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::odb::CacheLayout;
    use dv_schema::hash::Md5;

    #[test]
    fn removes_unused_objects_and_nothing_else() {
        let cache = tempfile::tempdir().unwrap();
        let odb = Odb::new(cache.path(), CacheLayout::Files);
        let legacy = Odb::new(cache.path(), CacheLayout::Legacy);
        let keep = ObjectId::file(Md5::digest(b"keep"));
        let drop = ObjectId::file(Md5::digest(b"drop"));
        odb.add_bytes(&keep, b"keep").unwrap();
        odb.add_bytes(&drop, b"drop").unwrap();
        let old = ObjectId::file(Md5::digest(b"old"));
        legacy.add_bytes(&old, b"old").unwrap();
        let shard = odb.object_path(&keep).parent().unwrap().to_path_buf();
        std::fs::write(shard.join(".writer.tmp"), b"partial").unwrap();
        std::fs::create_dir_all(cache.path().join("runs/ab/cd")).unwrap();
        std::fs::write(cache.path().join("runs/ab/cd/entry"), b"run").unwrap();

        assert_eq!(list(&odb).unwrap().len(), 2);
        assert_eq!(
            list(&legacy).unwrap().len(),
            1,
            "other layout and runs not listed"
        );
        let used = HashSet::from([keep]);
        assert_eq!(collect_garbage(&odb, &used).unwrap(), 1);
        assert!(odb.contains(&keep));
        assert!(!odb.contains(&drop));
        assert!(legacy.contains(&old));
        assert!(shard.join(".writer.tmp").exists());
        assert!(cache.path().join("runs/ab/cd/entry").exists());
        assert_eq!(collect_garbage(&odb, &used).unwrap(), 0);
        assert_eq!(collect_garbage(&legacy, &HashSet::new()).unwrap(), 1);
    }

    #[test]
    fn only_old_temporary_files_are_stale() {
        let cache = tempfile::tempdir().unwrap();
        let odb = Odb::new(cache.path(), CacheLayout::Files);
        let keep = ObjectId::file(Md5::digest(b"keep"));
        odb.add_bytes(&keep, b"keep").unwrap();
        let shard = odb.object_path(&keep).parent().unwrap().to_path_buf();
        let (old, fresh) = (shard.join(".old.tmp"), shard.join(".fresh.tmp"));
        std::fs::write(&fresh, b"being written").unwrap();
        let file = std::fs::File::create(&old).unwrap();
        file.set_modified(SystemTime::now() - STALE_TEMPORARY * 2)
            .unwrap();
        drop(file);

        let stale = stale_temporaries(&odb, STALE_TEMPORARY).unwrap();
        assert_eq!(stale, vec![old.clone()]);
        remove_files(&stale).unwrap();
        assert!(!old.exists() && fresh.exists() && odb.contains(&keep));
        remove_files(&stale).unwrap();
    }
}
