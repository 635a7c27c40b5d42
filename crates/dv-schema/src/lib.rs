//! Value types and serialization for every on-disk format dv shares with DVC.
//!
//! Pure data: parsing and writing bytes, no filesystem access. Each module owns one format:
//! - [`config`]: `.dvc/config` files (configobj dialect) and their schema (spec §2).
//! - [`hash`]: `Md5`, object ids (file vs `.dir` tree) and hash names (spec §3).
//! - [`dir_manifest`]: `.dir` manifests, canonical JSON bytes (spec §3.2).
//! - [`dvc_file`]: `.dvc` files (spec §4).
//! - [`yaml`]: YAML parsing, the ruamel-compatible emitter and in-place updates (spec §4.4).

pub mod config;
pub mod dir_manifest;
pub mod dvc_file;
pub mod hash;
pub mod yaml;
