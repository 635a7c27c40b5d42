//! Value types and serialization for every on-disk format dv shares with DVC.
//!
//! Pure data: parsing and writing bytes, no filesystem access. Each module owns one format:
//! - [`config`]: `.dvc/config` files (configobj dialect) and their schema (spec §2).

pub mod config;
