//! The command-line tests of `dv`, one test binary: each module drives the built `dv` (and,
//! where dv must match it, the pinned real `dvc`) in isolated temporary repositories built by
//! `dv_test`. Shared setup (repositories, remotes, servers) lives in `support` and `dv_test`.
#![allow(clippy::unwrap_used)]

mod add;
mod artifacts;
mod byte_compat;
mod config;
mod data_commands;
mod diff;
mod exp_show;
mod experiments;
mod experiments_queue;
mod get_url;
mod history;
mod hostile_input;
mod hostile_output;
mod hostile_remote;
mod hostile_repos;
mod import_url;
mod init;
mod install;
mod interrupt;
mod ls;
mod ls_url;
mod pipeline;
mod pipeline_corpus;
mod pipeline_graph;
mod pipeline_repos;
mod plots;
mod progress;
mod real_repo_corpus;
mod remote_azure;
mod remote_data;
mod remote_faults;
mod remote_http;
mod remote_ssh;
mod remote_webdav;
mod repo_imports;
mod repo_sources;
mod repro_beyond_dvc;
mod repro_flags;
mod ro_crate;
mod run_cache;
mod slurm;
mod stage_validation;
mod support;
mod unimplemented;
mod wheel;
