//! Value types and serialization for every on-disk format dv shares with DVC.
//!
//! Pure data: parsing and writing bytes, no filesystem access. Each module owns one format, and
//! the callers that read or write the file on disk go through it:
//!
//! | file on disk | module |
//! |---|---|
//! | `.dvc/config`, `.dvc/config.local`, global and system `config` | [`config`] (spec §2) |
//! | `*.dvc` | [`dvc_file`] (spec §4) |
//! | `dvc.yaml` | [`dvc_yaml`] (spec §7) |
//! | `dvc.lock`, run-cache entries `<cache>/runs/…` | [`lock_file`] (spec §8, §9.4) |
//! | `.dir` manifests `<cache>/files/md5/xx/….dir` | [`dir_manifest`] (spec §3.2) |
//!
//! Shared by those formats:
//! - [`hash`]: `Md5`, object ids (file vs `.dir` tree) and hash names (spec §3).
//! - [`yaml`]: YAML parsing, the ruamel-compatible emitter and in-place updates (spec §4.4).
//! - [`yaml_location`]: line and column of keys in YAML text, for error messages.
//! - [`yaml_nesting`]: the bound on YAML nesting, checked in linear time before parsing.
//! - [`python_json`]: Python's `json.dumps(sort_keys=True)` text, which DVC hashes (spec §13.3).
//! - [`repo_path`]: normalised paths relative to the repository root.
//! - [`shown`]: control characters of repository text made visible before printing.

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
