//! Pipeline stages with their paths placed in the repository: where each dependency, params
//! file and output is, so stages can be linked into a graph and checked against the workspace.
//!
//! Paths in `dvc.yaml` are relative to the stage's working directory (the file's directory,
//! plus `wdir`); `dvc.lock` records them as written ([`Dependency::def_path`]) while the graph
//! and the workspace use [`EntryPath`].

use dv_schema::dvc_yaml::{Command, OutputDefinition, StageDefinition};
use dv_schema::repo_path::{Joined, RepoPath, WriteRefusal};

pub use crate::entry_path::{EntryPath, is_url};
use crate::resolve::{DVC_YAML, PipelineFile, ResolvedStage};

/// A file or directory dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The path as written in `dvc.yaml` (and recorded in `dvc.lock`).
    pub def_path: String,
    /// Where it is.
    pub path: EntryPath,
}

/// A params file dependency and its tracked keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamsDependency {
    /// The params file as written (`params.yaml` by default).
    pub def_path: String,
    /// Where it is.
    pub path: EntryPath,
    /// The tracked dotted keys; empty when the whole file is tracked.
    pub keys: Vec<String>,
}

/// An output (`outs`, `metrics` or `plots` entry).
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The path as written.
    pub def_path: String,
    /// Where it is.
    pub path: EntryPath,
    /// Its flags.
    pub definition: OutputDefinition,
}

impl Output {
    /// Whether the output is saved to the cache (`cache: true`).
    pub fn is_cached(&self) -> bool {
        self.definition.cache
    }
}

/// A stage of a `dvc.yaml` with its paths placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// The stage name (`train`, `fe@a`).
    pub name: String,
    /// The `dvc.yaml` it is defined in.
    pub file: RepoPath,
    /// The group it was generated from by `foreach`/`matrix`.
    pub group: Option<String>,
    /// Its working directory.
    pub wdir: RepoPath,
    /// The resolved definition.
    pub definition: StageDefinition,
    /// File and directory dependencies, in `dvc.yaml` order.
    pub deps: Vec<Dependency>,
    /// Params dependencies, per file.
    pub params: Vec<ParamsDependency>,
    /// Outputs: `outs`, then `metrics`, then `plots`.
    pub outs: Vec<Output>,
    /// The variables from `vars` files the definition interpolates (DVC's `tracked_vars`).
    pub tracked_vars: Vec<crate::TrackedVar>,
}

/// A stage dv refuses to load: it would work or write outside the repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    /// Its working directory is outside of the repository.
    #[error("stage '{stage}' has wdir '{wdir}' outside of the repository")]
    WdirOutside {
        /// The stage.
        stage: String,
        /// Its `wdir` as written.
        wdir: String,
    },
    /// A cached output outside of the repository: dv would write it there on checkout
    /// (DVC 3 refuses to cache such outputs too).
    #[error("'{file}': stage '{stage}' has output '{path}' outside of the repository")]
    OutputOutside {
        /// The `dvc.yaml`.
        file: String,
        /// The stage.
        stage: String,
        /// The output as written.
        path: String,
    },
    /// An output dv never writes (see [`WriteRefusal`]).
    #[error("'{file}': stage '{stage}' has output '{path}' that {refusal}")]
    OutputRefused {
        /// The `dvc.yaml`.
        file: String,
        /// The stage.
        stage: String,
        /// The output as written.
        path: String,
        /// Why.
        refusal: WriteRefusal,
    },
}

impl Output {
    /// Refuses an output dv must never write: a cached one outside of the repository, or one
    /// inside `.git`/`.dvc` or with a line break in its name. Outputs that are URLs are
    /// external data dv writes only through its remote code.
    fn check_writable(&self, file: &RepoPath, stage: &str) -> Result<(), StageError> {
        let shown = |text: &str| dv_schema::shown::escape_name(text).into_owned();
        let refused = |refusal| StageError::OutputRefused {
            file: shown(file.as_str()),
            stage: shown(stage),
            path: shown(&self.def_path),
            refusal,
        };
        match &self.path {
            EntryPath::Repo(path) => match path.write_refusal() {
                Some(refusal) => Err(refused(refusal)),
                None => Ok(()),
            },
            EntryPath::Outside(_) if self.definition.cache => Err(StageError::OutputOutside {
                file: shown(file.as_str()),
                stage: shown(stage),
                path: shown(&self.def_path),
            }),
            EntryPath::Outside(path) => {
                match dv_schema::repo_path::write_refusal(path.split('/')) {
                    Some(refusal) => Err(refused(refusal)),
                    None => Ok(()),
                }
            }
            EntryPath::Url(_) => Ok(()),
        }
    }
}

impl Stage {
    /// Places the paths of a resolved stage of the `dvc.yaml` at `file`.
    pub fn new(file: &RepoPath, resolved: &ResolvedStage) -> Result<Stage, StageError> {
        let definition = resolved.definition.clone();
        let wdir = match definition.wdir.as_deref() {
            None | Some("" | ".") => file.parent(),
            Some(wdir) => match file.parent().join(wdir) {
                Joined::Inside(path) => path,
                Joined::Outside { .. } => {
                    return Err(StageError::WdirOutside {
                        stage: resolved.name.clone(),
                        wdir: wdir.to_owned(),
                    });
                }
            },
        };
        let deps = definition
            .deps
            .iter()
            .map(|def_path| Dependency {
                def_path: def_path.clone(),
                path: EntryPath::resolve(&wdir, def_path),
            })
            .collect();
        let params = definition
            .params
            .iter()
            .map(|params| ParamsDependency {
                def_path: params.path.clone(),
                path: EntryPath::resolve(&wdir, &params.path),
                keys: params.keys.clone(),
            })
            .collect();
        let outs: Vec<Output> = definition
            .outs
            .iter()
            .map(|out| Output {
                def_path: out.path.clone(),
                path: EntryPath::resolve(&wdir, &out.path),
                definition: out.clone(),
            })
            .collect();
        for out in &outs {
            out.check_writable(file, &resolved.name)?;
        }
        Ok(Stage {
            name: resolved.name.clone(),
            file: file.clone(),
            group: resolved.group.clone(),
            wdir,
            definition,
            deps,
            params,
            outs,
            tracked_vars: resolved.tracked_vars.clone(),
        })
    }

    /// All stages of a loaded `dvc.yaml`.
    pub fn all(file: &PipelineFile) -> Result<Vec<Stage>, StageError> {
        file.stages
            .iter()
            .map(|stage| Stage::new(&file.path, stage))
            .collect()
    }

    /// How DVC names the stage when the current directory is `cwd`: the name alone for the
    /// `dvc.yaml` of `cwd`, else `path/dvc.yaml:name`.
    pub fn addressing(&self, cwd: &RepoPath) -> String {
        let shown = self.file.relative_to(cwd);
        if shown == DVC_YAML {
            self.name.clone()
        } else {
            format!("{shown}:{}", self.name)
        }
    }

    /// The command.
    pub fn cmd(&self) -> &Command {
        &self.definition.cmd
    }

    /// `frozen: true`: dependencies are not checked and upstream stages are not run.
    pub fn is_frozen(&self) -> bool {
        self.definition.frozen
    }

    /// `always_changed: true`.
    pub fn is_always_changed(&self) -> bool {
        self.definition.always_changed
    }

    /// A stage with a command and no dependencies or outputs ("callback" stage): DVC treats it
    /// as always changed.
    pub fn is_callback(&self) -> bool {
        self.deps.is_empty() && self.params.is_empty() && self.outs.is_empty()
    }

    /// The stage as a node of the pipeline graph.
    pub fn graph_node(&self, cwd: &RepoPath) -> crate::graph::GraphNode {
        crate::graph::GraphNode {
            addressing: self.addressing(cwd),
            file: self.file.clone(),
            outs: self
                .outs
                .iter()
                .map(|out| crate::graph::NodeEntry {
                    path: out.path.clone(),
                    shown: out.path.shown(cwd),
                })
                .collect(),
            deps: self
                .deps
                .iter()
                .map(|dep| dep.path.clone())
                .chain(self.params.iter().map(|params| params.path.clone()))
                .collect(),
            frozen: self.is_frozen(),
            links_deps: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::MemoryFiles;
    use crate::resolve::{LoadOptions, load};

    fn path(text: &str) -> RepoPath {
        RepoPath::new(text).expect("valid path")
    }

    #[test]
    fn stages_of_a_subdirectory_file() {
        let files = MemoryFiles::new(&[(
            "sub/dvc.yaml",
            "stages:\n  s:\n    cmd: x\n    wdir: w\n    deps: [in, ../up]\n    params: [lr]\n    outs: [out]\n",
        )]);
        let file = load(&files, &path("sub/dvc.yaml"), &LoadOptions::default()).expect("loads");
        let stages = Stage::all(&file).expect("stages");
        let stage = &stages[0];
        assert_eq!(stage.wdir, path("sub/w"));
        assert_eq!(stage.deps[0].path, EntryPath::Repo(path("sub/w/in")));
        assert_eq!(stage.deps[1].path, EntryPath::Repo(path("sub/up")));
        assert_eq!(
            stage.params[0].path,
            EntryPath::Repo(path("sub/w/params.yaml"))
        );
        assert_eq!(stage.outs[0].def_path, "out");
        assert_eq!(stage.addressing(&RepoPath::root()), "sub/dvc.yaml:s");
        assert_eq!(stage.addressing(&path("sub")), "s");
        assert_eq!(stage.addressing(&path("other")), "../sub/dvc.yaml:s");
    }
}
