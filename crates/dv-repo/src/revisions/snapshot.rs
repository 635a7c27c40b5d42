//! The repository at one revision as DVC's commands read it: the stage index built from that
//! revision's files, the outputs its `.dvc` files and `dvc.lock` files record, and files read
//! from git (or the working tree) or, when git does not hold them, from the cache by the hash
//! the revision records (DVC's `DVCFileSystem`).

use std::io;
use std::path::PathBuf;

use dv_pipeline::files::{EntryKind, FileContent, FileSource};
use dv_schema::dvc_file::Output;
use dv_schema::repo_path::RepoPath;

use super::{At, Revisions};
use crate::index::{Index, OnError, RepoStage};
use crate::pipelines::locked_outputs_from;
use crate::workspace::{Workspace, repo_path_of};

/// An output a revision records, with its hash.
#[derive(Debug, Clone)]
pub(crate) struct RecordedOutput {
    /// The workspace path of the output.
    pub(crate) path: PathBuf,
    /// What is recorded (with the definition's `cache`, `push`, `remote` for pipeline outputs).
    pub(crate) output: Output,
}

/// The repository at one revision.
pub(crate) struct Snapshot<'a> {
    pub(crate) workspace: &'a Workspace,
    pub(crate) files: Box<dyn FileSource + 'a>,
    pub(crate) index: Index,
    outputs: Vec<RecordedOutput>,
}

impl<'a> Snapshot<'a> {
    /// Opens the repository at `at`: builds its index and reads what it records.
    pub(crate) fn open(
        workspace: &'a Workspace,
        revisions: &'a Revisions,
        at: At,
    ) -> anyhow::Result<Snapshot<'a>> {
        let files = revisions.files(workspace.root(), at)?;
        let index = Index::collect_from(workspace, files.as_ref(), OnError::Fail)?;
        let mut outputs = Vec::new();
        let mut pipeline = Vec::new();
        for stage in &index.stages {
            match stage {
                RepoStage::File { entry, .. } => {
                    outputs.extend(entry.file.outs.iter().map(|output| RecordedOutput {
                        path: entry.resolve(output),
                        output: output.clone(),
                    }));
                }
                RepoStage::Pipeline { stage, .. } => pipeline.push(stage.as_ref()),
            }
        }
        for locked in locked_outputs_from(workspace, files.as_ref(), &pipeline)?
            .into_iter()
            .flatten()
        {
            outputs.push(RecordedOutput {
                path: locked.path,
                output: locked.output,
            });
        }
        Ok(Snapshot {
            workspace,
            files,
            index,
            outputs,
        })
    }

    /// Every output the revision records, `.dvc` files first, then `dvc.lock` entries.
    pub(crate) fn outputs(&self) -> &[RecordedOutput] {
        &self.outputs
    }

    /// The bytes of the file at `path`: from the revision's files, else from the cache by the
    /// hash the revision records for it (as an output, or as a file of a directory output).
    /// `None` when neither has it.
    pub(crate) fn read(&self, path: &RepoPath) -> io::Result<Option<Vec<u8>>> {
        match self.files.read(path)? {
            FileContent::File(bytes) => return Ok(Some(bytes)),
            FileContent::Directory => return Err(io::Error::from_raw_os_error(21)),
            FileContent::Missing => {}
        }
        let absolute = crate::workspace::absolute(self.workspace, path);
        for recorded in &self.outputs {
            let Some(id) = recorded.output.md5 else {
                continue;
            };
            let odb = self.workspace.odb(recorded.output.hash_name);
            if recorded.path == absolute && !id.is_tree() {
                return read_object(&odb.object_path(&id));
            }
            let Ok(inside) = absolute.strip_prefix(&recorded.path) else {
                continue;
            };
            if !id.is_tree() || inside.as_os_str().is_empty() {
                continue;
            }
            if !odb.contains(&id) {
                let parts = repo_path_of(self.workspace, &recorded.path)
                    .map(|path| path.as_str().split('/').map(str::to_owned).collect())
                    .unwrap_or_default();
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    DirectoryNotLoaded { parts },
                ));
            }
            let manifest = odb.read_tree(&id).map_err(io::Error::other)?;
            let relpath = inside.to_string_lossy().replace('\\', "/");
            if let Some(md5) = manifest.get(&relpath).and_then(|entry| entry.hash.md5()) {
                let file = dv_schema::hash::ObjectId::file(md5);
                return read_object(&odb.object_path(&file));
            }
        }
        Ok(None)
    }

    /// `path` itself when it is not a directory; else every file under it, from the
    /// revision's files and from the manifests of directory outputs in it, sorted.
    pub(crate) fn expand(&self, path: &RepoPath) -> Vec<RepoPath> {
        let mut found = Vec::new();
        let is_dir = matches!(self.files.read(path), Ok(FileContent::Directory));
        if is_dir {
            self.find(path, &mut found);
        }
        let absolute = crate::workspace::absolute(self.workspace, path);
        for recorded in &self.outputs {
            let Some(id) = recorded.output.md5 else {
                continue;
            };
            if !id.is_tree() || !recorded.path.starts_with(&absolute) {
                continue;
            }
            let odb = self.workspace.odb(recorded.output.hash_name);
            let Ok(manifest) = odb.read_tree(&id) else {
                continue;
            };
            let Some(base) = repo_path_of(self.workspace, &recorded.path) else {
                continue;
            };
            for entry in manifest.entries() {
                if let Some(file) = join(&base, entry.relpath.as_str()) {
                    found.push(file);
                }
            }
        }
        if found.is_empty() {
            return vec![path.clone()];
        }
        found.sort();
        found.dedup();
        found
    }

    fn find(&self, dir: &RepoPath, found: &mut Vec<RepoPath>) {
        let Ok(entries) = self.files.list(dir) else {
            return;
        };
        for entry in entries {
            let Some(child) = join(dir, &entry.name) else {
                continue;
            };
            match entry.kind {
                EntryKind::Directory => self.find(&child, found),
                EntryKind::File => found.push(child),
                EntryKind::Other => {}
            }
        }
    }
}

fn read_object(path: &std::path::Path) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// `base/relative`, when it stays inside the repository.
pub(crate) fn join(base: &RepoPath, relative: &str) -> Option<RepoPath> {
    match base.join(relative) {
        dv_schema::repo_path::Joined::Inside(path) => Some(path),
        dv_schema::repo_path::Joined::Outside { .. } => None,
    }
}

/// A file inside a directory output whose `.dir` manifest is not in the cache: DVC's
/// `DataIndexDirError`, naming the output by its path parts as a Python tuple.
#[derive(Debug)]
pub(crate) struct DirectoryNotLoaded {
    parts: Vec<String>,
}

impl std::fmt::Display for DirectoryNotLoaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted: Vec<String> = self.parts.iter().map(|part| format!("'{part}'")).collect();
        let tuple = match quoted.as_slice() {
            [one] => format!("({one},)"),
            _ => format!("({})", quoted.join(", ")),
        };
        write!(f, "failed to load directory {tuple}")
    }
}

impl std::error::Error for DirectoryNotLoaded {}
