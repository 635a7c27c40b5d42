//! The content-addressed cache and the data operations on top of it (spec §3, §5, §10.4).
//!
//! Files on disk: cache objects `<cache>/files/md5/xx/…` (and DVC 2.x's `<cache>/xx/…`) through
//! [`odb`]; workspace files and directories read by [`walk`] and [`build`], written by
//! [`checkout`]; `.dvcignore` files read by [`walk`]; the hash cache `.dvc/tmp/dv/state` owned
//! by [`state`].
//!
//! - [`hashing`]: streaming MD5 of files, plain or DVC 2.x `md5-dos2unix`.
//! - [`odb`]: the object database in a cache directory: layout, inserting objects under a
//!   temporary name, verifying them, reading `.dir` manifests.
//! - [`walk`]: listing the files of a workspace directory, honouring `.dvcignore`.
//! - [`build`]: turning a workspace path into an object: file hash or directory tree.
//! - [`checkout`]: materialising a file or tree object at a workspace path with link types.
//! - [`diff`]: comparing two directory manifests.
//! - [`gc`]: deleting the objects of a cache that nothing uses.
//! - [`state`]: the hash cache that spares re-hashing unchanged files.
//! - [`verify`]: checking cache objects against their names before they are pushed.
//! - [`progress`]: the counters long operations advance for a caller's progress bar.
//!
//! Everything is synchronous; work is parallelised with a bounded rayon pool per call (`pool`).
//! Nothing here prints.

pub mod build;
pub mod checkout;
pub mod diff;
pub mod gc;
pub mod hashing;
pub mod odb;
pub mod progress;
pub mod state;
mod tree_stamp;
pub mod verify;
pub mod walk;

pub mod pool;

pub use pool::{cap_threads, max_threads};
