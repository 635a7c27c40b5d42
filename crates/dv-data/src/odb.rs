//! The object database in a cache directory (spec §3.1, §3.3).
//!
//! DVC 3 objects live at `<cache>/files/md5/<2 hex>/<30 hex>` (trees with a `.dir` suffix) and
//! are hashed with plain MD5; DVC 2.x ("legacy") objects live at `<cache>/<2 hex>/<30 hex>` and
//! are hashed with md5-dos2unix. Objects are read-only (`0444`) and always enter the cache under a
//! temporary `.<random>.tmp` name that is renamed into place only once the content is known to
//! match its name, so an interrupted insert never leaves a partial object under a final name.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use dv_schema::dir_manifest::{DirManifest, DirManifestError};
use dv_schema::hash::{HashName, Md5, ObjectId};

use crate::hashing;

/// Where objects live inside a cache directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheLayout {
    /// DVC 3: `files/md5/ab/cdef…`, plain MD5.
    Files,
    /// DVC 2.x: `ab/cdef…` at the cache root, md5-dos2unix.
    Legacy,
}

impl CacheLayout {
    /// The layout holding objects of outputs hashed with `hash_name`.
    pub fn for_hash_name(hash_name: HashName) -> CacheLayout {
        match hash_name {
            HashName::Md5 => CacheLayout::Files,
            HashName::Md5Dos2Unix => CacheLayout::Legacy,
        }
    }

    /// The hash algorithm of file objects in this layout (trees are always plain MD5 of their
    /// manifest bytes, which contain no CR).
    pub fn hash_name(&self) -> HashName {
        match self {
            CacheLayout::Files => HashName::Md5,
            CacheLayout::Legacy => HashName::Md5Dos2Unix,
        }
    }
}

/// Whether an insert wrote a new object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The object was written.
    New,
    /// A valid object was already there; nothing was written.
    Existing,
}

/// What [`Odb::check`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectState {
    /// No object under that name.
    Missing,
    /// The object's content matches its name (or it is read-only and trusted).
    Valid,
    /// The object's content does not match its name.
    Corrupted,
}

/// Why an object-database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OdbError {
    /// A filesystem operation on `path` failed.
    #[error("failed to {action} `{path}`")]
    Io {
        /// What was being done, e.g. "create cache directory".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The content copied from `src` does not hash to the expected id (it changed while it was
    /// being added).
    #[error("`{src}` changed while it was added to the cache: expected {expected}, got {actual}")]
    HashMismatch {
        /// The file being inserted.
        src: PathBuf,
        /// The id the caller expected.
        expected: ObjectId,
        /// What the copied content hashes to.
        actual: Md5,
    },
    /// A tree object is not a valid manifest.
    #[error("invalid directory object `{path}`")]
    BadManifest {
        /// The object's path.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: DirManifestError,
    },
    /// A tree object is not in the cache.
    #[error("directory object {id} is not in the cache (`{path}`)")]
    MissingTree {
        /// The id looked up.
        id: ObjectId,
        /// Where it was expected.
        path: PathBuf,
    },
}

/// `chmod 2775`, as DVC's shared cache does for every directory it creates; failures are
/// ignored like DVC ignores them.
fn set_shared_dir_mode(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o2775));
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> OdbError + use<> {
    let path = path.to_path_buf();
    move |source| OdbError::Io {
        action,
        path,
        source,
    }
}

/// The objects of one layout in one cache directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Odb {
    cache_dir: PathBuf,
    layout: CacheLayout,
    shared: bool,
}

impl Odb {
    /// The object database of `layout` in `cache_dir` (e.g. `<repo>/.dvc/cache`).
    pub fn new(cache_dir: impl Into<PathBuf>, layout: CacheLayout) -> Odb {
        Odb {
            cache_dir: cache_dir.into(),
            layout,
            shared: false,
        }
    }

    /// `cache.shared = group`: directories the cache creates get mode `2775` (group-writable,
    /// new entries inherit the group), as DVC makes them, so a team can share one cache.
    #[must_use]
    pub fn shared_with_group(mut self, shared: bool) -> Odb {
        self.shared = shared;
        self
    }

    /// Whether the cache is shared with the group (`cache.shared = group`).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Creates `dir` and its missing parents, with DVC's shared-cache mode when shared.
    fn create_dirs(&self, dir: &Path) -> Result<(), OdbError> {
        if !self.shared {
            return std::fs::create_dir_all(dir).map_err(io_error("create cache directory", dir));
        }
        let mut missing = Vec::new();
        let mut current = Some(dir);
        while let Some(path) = current {
            if path.is_dir() {
                break;
            }
            missing.push(path.to_path_buf());
            current = path.parent();
        }
        for path in missing.into_iter().rev() {
            match std::fs::create_dir(&path) {
                Ok(()) => set_shared_dir_mode(&path),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(io_error("create cache directory", &path)(error)),
            }
        }
        Ok(())
    }

    /// Creates the directory object `id` is stored in (before a download writes it there).
    ///
    /// # Errors
    ///
    /// The directory cannot be created.
    pub fn ensure_shard(&self, id: &ObjectId) -> Result<(), OdbError> {
        self.shard_dir(id).map(|_| ())
    }

    /// The cache directory.
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// The layout.
    pub fn layout(&self) -> CacheLayout {
        self.layout
    }

    /// The hash algorithm of file objects here.
    pub fn hash_name(&self) -> HashName {
        self.layout.hash_name()
    }

    /// The directory holding the two-hex-digit shard directories.
    pub fn objects_dir(&self) -> PathBuf {
        match self.layout {
            CacheLayout::Files => self.cache_dir.join("files").join("md5"),
            CacheLayout::Legacy => self.cache_dir.clone(),
        }
    }

    /// A fingerprint of the objects directory: the modification times of its shard
    /// directories. Adding or removing any object changes it, so a fact about the cache
    /// computed under one fingerprint (e.g. "every file of tree X is present") holds while the
    /// fingerprint is unchanged. 257 `stat` calls, whatever the number of objects.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let objects = self.objects_dir();
        let mtime = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
        };
        mtime(&objects).hash(&mut hasher);
        for shard in 0..=255u8 {
            let name = format!("{shard:02x}");
            (shard, mtime(&objects.join(name))).hash(&mut hasher);
        }
        hasher.finish()
    }

    /// The path of object `id`: `<objects>/<h[..2]>/<h[2..]>[.dir]`.
    pub fn object_path(&self, id: &ObjectId) -> PathBuf {
        let hex = id.md5.to_string();
        let (shard, rest) = hex.split_at(2);
        let name = if id.is_tree() {
            format!("{rest}{}", ObjectId::TREE_SUFFIX)
        } else {
            rest.to_owned()
        };
        self.objects_dir().join(shard).join(name)
    }

    /// Whether an object named `id` exists (its content is not checked).
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.object_path(id).is_file()
    }

    /// [`Odb::contains`] for many objects at once: from a few objects, one `stat` each; from
    /// many, by listing the shard directories they fall in (a directory read costs far less
    /// per entry than a `stat`, which matters for 100k objects).
    pub fn contains_many(&self, ids: &[ObjectId]) -> Vec<bool> {
        const LISTING_FROM: usize = 512;
        if ids.len() < LISTING_FROM {
            return ids.iter().map(|id| self.contains(id)).collect();
        }
        // Per shard: its regular files, and its other entries (symlinks, say), looked at on
        // their own.
        type Listing = (HashSet<String>, HashSet<String>);
        let mut shards: HashMap<String, Option<Listing>> = HashMap::new();
        // `<shard>/<name>` as in [`Odb::object_path`], from the hex digits alone.
        let names: Vec<(String, String)> = ids
            .iter()
            .map(|id| {
                let hex = id.md5.hex_digits();
                let hex = String::from_utf8_lossy(&hex);
                let suffix = if id.is_tree() {
                    ObjectId::TREE_SUFFIX
                } else {
                    ""
                };
                (hex[..2].to_owned(), format!("{}{suffix}", &hex[2..]))
            })
            .collect();
        for (shard, _) in &names {
            if shards.contains_key(shard) {
                continue;
            }
            let listed = std::fs::read_dir(self.objects_dir().join(shard))
                .ok()
                .map(|entries| {
                    let mut listing: Listing = (HashSet::new(), HashSet::new());
                    for entry in entries.filter_map(Result::ok) {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        if entry.file_type().is_ok_and(|kind| kind.is_file()) {
                            listing.0.insert(name);
                        } else {
                            listing.1.insert(name);
                        }
                    }
                    listing
                });
            shards.insert(shard.clone(), listed);
        }
        ids.iter()
            .zip(&names)
            .map(|(id, (shard, name))| match shards.get(shard) {
                Some(Some((files, others))) => {
                    files.contains(name) || (others.contains(name) && self.contains(id))
                }
                _ => false,
            })
            .collect()
    }

    /// Checks object `id`. With `trust_read_only`, an object whose mode is exactly `0444` is
    /// taken as valid without re-hashing, as DVC does (spec §3.1).
    pub fn check(&self, id: &ObjectId, trust_read_only: bool) -> Result<ObjectState, OdbError> {
        let path = self.object_path(id);
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => metadata,
            Ok(_) => return Ok(ObjectState::Missing),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(ObjectState::Missing);
            }
            Err(error) => return Err(io_error("read cache object", &path)(error)),
        };
        if trust_read_only && is_read_only_object(&metadata) {
            return Ok(ObjectState::Valid);
        }
        let hash_name = if id.is_tree() {
            HashName::Md5
        } else {
            self.hash_name()
        };
        let (actual, _) = hashing::hash_file(&path, hash_name).map_err(|error| OdbError::Io {
            action: "read cache object",
            path: error.path,
            source: error.source,
        })?;
        Ok(if actual == id.md5 {
            ObjectState::Valid
        } else {
            ObjectState::Corrupted
        })
    }

    fn shard_dir(&self, id: &ObjectId) -> Result<PathBuf, OdbError> {
        let path = self.object_path(id);
        let shard = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.objects_dir());
        match std::fs::create_dir(&shard) {
            Ok(()) if self.shared => set_shared_dir_mode(&shard),
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(_) => self.create_dirs(&shard)?,
        }
        Ok(shard)
    }

    /// Whether `id` is present and valid, so an insert can be skipped. A corrupted object is
    /// reported as absent (it will be replaced).
    fn has_valid(&self, id: &ObjectId) -> Result<bool, OdbError> {
        Ok(self.check(id, true)? == ObjectState::Valid)
    }

    /// Adds the file at `src`, whose content the caller hashed to `id`, to the cache.
    ///
    /// The content is cloned (reflink) or copied into a `.<random>.tmp` file in the object's
    /// shard directory, made read-only and renamed into place. When it is copied, the bytes are
    /// hashed on the way and a mismatch with `id` (the file changed since it was hashed) aborts
    /// the insert with [`OdbError::HashMismatch`]; a reflink is trusted like DVC trusts it.
    pub fn add_file(&self, src: &Path, id: &ObjectId) -> Result<Inserted, OdbError> {
        if self.has_valid(id)? {
            return Ok(Inserted::Existing);
        }
        let shard = self.shard_dir(id)?;
        let final_path = self.object_path(id);
        let mut temp = dv_fs::temp::create_in(&shard, dv_fs::atomic::create_new_file)
            .map_err(io_error("create a temporary file in", &shard))?;
        let mut source = File::open(src).map_err(io_error("read", src))?;
        let reflinked = dv_fs::link::reflink_into(&source, temp.as_file()).is_ok();
        if !reflinked {
            let hash_name = if id.is_tree() {
                HashName::Md5
            } else {
                self.hash_name()
            };
            let (actual, _) =
                hashing::hash_reader(&mut source, hash_name, Some(temp.as_file_mut()))
                    .map_err(io_error("copy to the cache", src))?;
            if actual != id.md5 {
                return Err(OdbError::HashMismatch {
                    src: src.to_path_buf(),
                    expected: *id,
                    actual,
                });
            }
        }
        self.persist(temp, &final_path)?;
        Ok(Inserted::New)
    }

    /// Moves the file at `src`, whose content the caller hashed to `id`, into the cache
    /// (what `dvc add` does with a hardlink or symlink `cache.type`: the workspace copy becomes
    /// the object, then a link is put back). Falls back to a copy when `src` is on another
    /// filesystem; if the object already exists, `src` is left alone.
    pub fn move_file_in(&self, src: &Path, id: &ObjectId) -> Result<Inserted, OdbError> {
        if self.has_valid(id)? {
            return Ok(Inserted::Existing);
        }
        self.shard_dir(id)?;
        let final_path = self.object_path(id);
        let file = File::open(src).map_err(io_error("read", src))?;
        set_read_only(&file).map_err(io_error("set permissions of", src))?;
        drop(file);
        match std::fs::rename(src, &final_path) {
            Ok(()) => Ok(Inserted::New),
            Err(error) if error.kind() == io::ErrorKind::CrossesDevices => self.add_file(src, id),
            Err(error) => Err(io_error("move an object into", &final_path)(error)),
        }
    }

    /// Adds the file at `src` without knowing its hash: the content is copied into a temporary
    /// file in the objects directory while it is hashed (one read), then renamed to its name.
    /// Returns the new object's id and size.
    pub fn insert_file(&self, src: &Path) -> Result<(ObjectId, u64, Inserted), OdbError> {
        let objects = self.objects_dir();
        self.create_dirs(&objects)?;
        let mut temp = dv_fs::temp::create_in(&objects, dv_fs::atomic::create_new_file)
            .map_err(io_error("create a temporary file in", &objects))?;
        let mut source = File::open(src).map_err(io_error("read", src))?;
        let (md5, size) =
            hashing::hash_reader(&mut source, self.hash_name(), Some(temp.as_file_mut()))
                .map_err(io_error("copy to the cache", src))?;
        let id = ObjectId::file(md5);
        if self.has_valid(&id)? {
            return Ok((id, size, Inserted::Existing));
        }
        self.shard_dir(&id)?;
        self.persist(temp, &self.object_path(&id))?;
        Ok((id, size, Inserted::New))
    }

    /// Adds an object whose bytes are in memory (e.g. a `.dir` manifest) under `id`.
    pub fn add_bytes(&self, id: &ObjectId, bytes: &[u8]) -> Result<Inserted, OdbError> {
        if self.has_valid(id)? {
            return Ok(Inserted::Existing);
        }
        let shard = self.shard_dir(id)?;
        let mut temp = dv_fs::temp::create_in(&shard, dv_fs::atomic::create_new_file)
            .map_err(io_error("create a temporary file in", &shard))?;
        io::Write::write_all(temp.as_file_mut(), bytes).map_err(io_error("write", temp.path()))?;
        self.persist(temp, &self.object_path(id))?;
        Ok(Inserted::New)
    }

    /// Stores `manifest` as a tree object and returns its id.
    pub fn add_tree(&self, manifest: &DirManifest) -> Result<ObjectId, OdbError> {
        let bytes = manifest.to_bytes();
        let id = ObjectId::tree(Md5::digest(&bytes));
        self.add_bytes(&id, &bytes)?;
        Ok(id)
    }

    /// Reads the manifest of tree object `id`.
    pub fn read_tree(&self, id: &ObjectId) -> Result<DirManifest, OdbError> {
        let path = self.object_path(id);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(OdbError::MissingTree { id: *id, path });
            }
            Err(error) => return Err(io_error("read", &path)(error)),
        };
        DirManifest::from_bytes(&bytes).map_err(|source| OdbError::BadManifest { path, source })
    }

    /// Makes `temp` read-only and renames it to `final_path`.
    fn persist(&self, temp: dv_fs::temp::NamedTempFile, final_path: &Path) -> Result<(), OdbError> {
        set_read_only(temp.as_file()).map_err(io_error("set permissions of", temp.path()))?;
        temp.persist(final_path)
            .map_err(|error| io_error("move an object into", final_path)(error.error))?;
        Ok(())
    }
}

#[cfg(unix)]
fn set_read_only(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o444))
}

#[cfg(not(unix))]
fn set_read_only(file: &File) -> io::Result<()> {
    let mut permissions = file.metadata()?.permissions();
    permissions.set_readonly(true);
    file.set_permissions(permissions)
}

#[cfg(unix)]
fn is_read_only_object(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o7777 == 0o444
}

#[cfg(not(unix))]
fn is_read_only_object(metadata: &std::fs::Metadata) -> bool {
    metadata.permissions().readonly()
}
