//! Value types and serialization for every on-disk format dv shares with DVC.
//!
//! Pure data: parsing and writing bytes, no filesystem access. Each module owns one format:
//! - [`config`]: `.dvc/config` files (configobj dialect) and their schema (spec §2).
//! - [`hash`]: `Md5`, object ids (file vs `.dir` tree) and hash names (spec §3).
//! - [`dir_manifest`]: `.dir` manifests, canonical JSON bytes (spec §3.2).
//! - [`dvc_file`]: `.dvc` files (spec §4).
//! - [`dvc_yaml`]: `dvc.yaml` schema checks and resolved stage definitions (spec §7).
//! - [`lock_file`]: `dvc.lock` 2.0 files and run-cache entries (spec §8, §9.4).
//! - [`python_json`]: Python's `json.dumps(sort_keys=True)` text, which DVC hashes (spec §13.3).
//! - [`repo_path`]: normalised paths relative to the repository root.
//! - [`yaml`]: YAML parsing, the ruamel-compatible emitter and in-place updates (spec §4.4).
//! - [`yaml_location`]: line and column of keys in YAML text, for error messages.
//! - [`yaml_nesting`]: the bound on YAML nesting, checked in linear time before parsing.

pub mod config;
pub mod dir_manifest;
pub mod dvc_file;
pub mod dvc_yaml;
pub mod hash;
pub mod lock_file;
pub mod python_json;
pub mod repo_path;
pub mod shown;
pub mod yaml;
pub mod yaml_location;
pub mod yaml_nesting;
