//! Filesystem building blocks with no DVC knowledge: they act on whatever paths the caller
//! names and own no file of their own, except the `.<random>.tmp` siblings they create.
//!
//! - [`atomic`]: write a file through a temporary sibling and a rename, so readers see the old
//!   or the new content, never a partial one.
//! - [`link`]: place a copy of a file at a path as a reflink, hard link, symlink or plain copy,
//!   trying a list of link types in order (DVC's `cache.type`).
//! - [`protection`]: replace links to cache objects by writable copies (`unprotect`).
//! - [`temp`]: hidden `.<random>.tmp` sibling names, removed again unless persisted.

pub mod atomic;
pub mod link;
pub mod protection;
pub mod temp;
