//! The one walk over a repository's stage files (DVC's `collect_files`): top-down, a
//! directory's files in listing order before its subdirectories, honouring `.dvcignore`,
//! skipping `.git`, `.dvc`, nested repositories and the directories the visitor refuses
//! (outputs of the stages found so far, or directories tracked by a `.dvc` file beside them).
//! Everything is read through a [`FileSource`].

use dv_pipeline::files::{DirEntry, EntryKind, FileContent, FileSource, WorkingTree};
use dv_pipeline::resolve::DVC_YAML;
use dv_schema::repo_path::RepoPath;

use super::dvcignore::{DvcIgnore, child};
use crate::workspace::Workspace;

/// The suffix of single-stage files.
pub(crate) const DVC_FILE_SUFFIX: &str = ".dvc";

/// What a walk reports to, and asks of, its caller.
pub(crate) trait Visitor {
    /// A stage file (`*.dvc` or `dvc.yaml`), in walk order.
    fn stage_file(&mut self, path: RepoPath, kind: EntryKind) -> anyhow::Result<()>;

    /// Whether to walk into `dir`; `siblings` is the listing of the directory holding it.
    fn enter(&mut self, dir: &RepoPath, siblings: &[DirEntry]) -> bool;
}

/// Whether `name` is a stage file's name (`*.dvc`, `dvc.yaml`).
pub(crate) fn is_stage_file_name(name: &str) -> bool {
    name.ends_with(DVC_FILE_SUFFIX) || name == DVC_YAML
}

/// Walks the stage files of `source` from `start` down, paths shown as `workspace` shows them.
pub(crate) fn walk(
    workspace: &Workspace,
    source: &dyn FileSource,
    start: &RepoPath,
    visitor: &mut dyn Visitor,
) -> anyhow::Result<()> {
    let mut walk = Walk {
        workspace,
        source,
        ignore: DvcIgnore::new(workspace.root()),
    };
    walk.visit(start, visitor)
}

struct Walk<'a> {
    workspace: &'a Workspace,
    source: &'a dyn FileSource,
    ignore: DvcIgnore,
}

impl Walk<'_> {
    fn shown(&self, path: &RepoPath) -> String {
        self.workspace.display_path(&self.ignore.place(path))
    }

    fn visit(&mut self, dir: &RepoPath, visitor: &mut dyn Visitor) -> anyhow::Result<()> {
        let pushed = self.ignore.enter(self.source, dir).map_err(|error| {
            anyhow::anyhow!("failed to read '{}': {error}", self.shown(&error.path))
        })?;
        let entries = self
            .source
            .list(dir)
            .map_err(|error| anyhow::anyhow!("failed to list '{}': {error}", self.shown(dir)))?;
        let mut dirs = Vec::new();
        for entry in &entries {
            let is_dir = entry.kind == EntryKind::Directory;
            if dv_data::walk::is_always_ignored(std::ffi::OsStr::new(&entry.name), is_dir) {
                continue;
            }
            let Some(path) = child(dir, &entry.name) else {
                continue;
            };
            if self.ignore.is_ignored(&path, is_dir) {
                continue;
            }
            if is_dir {
                dirs.push(path);
            } else if is_stage_file_name(&entry.name) {
                visitor.stage_file(path, entry.kind)?;
            }
        }
        for path in dirs {
            if self.is_nested_repo(&path) || !visitor.enter(&path, &entries) {
                continue;
            }
            self.visit(&path, visitor)?;
        }
        self.ignore.leave(pushed);
        Ok(())
    }

    /// Whether `dir` holds a `.dvc` directory (a nested DVC repository, skipped).
    fn is_nested_repo(&self, dir: &RepoPath) -> bool {
        child(dir, ".dvc")
            .is_some_and(|path| matches!(self.source.read(&path), Ok(FileContent::Directory)))
    }
}

/// Lists stage files without loading them: a directory tracked by a `.dvc` file beside it
/// (`data` next to `data.dvc`) is not walked into.
#[derive(Default)]
pub(crate) struct Listing {
    /// The stage files found, with what they are.
    pub(crate) files: Vec<(RepoPath, EntryKind)>,
}

impl Visitor for Listing {
    fn stage_file(&mut self, path: RepoPath, kind: EntryKind) -> anyhow::Result<()> {
        self.files.push((path, kind));
        Ok(())
    }

    fn enter(&mut self, dir: &RepoPath, siblings: &[DirEntry]) -> bool {
        let tracked = format!("{}{DVC_FILE_SUFFIX}", dir.file_name());
        !siblings.iter().any(|entry| entry.name == tracked)
    }
}

/// The stage files of the working tree in DVC's walk order, without loading them (so without
/// skipping directories that are outputs of `dvc.yaml` stages).
pub fn stage_files(workspace: &Workspace) -> anyhow::Result<Vec<RepoPath>> {
    Ok(listing(workspace, &RepoPath::root())?
        .files
        .into_iter()
        .map(|(path, _)| path)
        .collect())
}

/// The stage files under `dir` of the working tree, listed by the one walk (remembered for the
/// whole tree when the workspace keeps it, see [`Workspace::keep_stage_files`]).
pub(super) fn listing(workspace: &Workspace, dir: &RepoPath) -> anyhow::Result<Listing> {
    let walk_now = || {
        let source = WorkingTree::new(workspace.root());
        let mut listing = Listing::default();
        walk(workspace, &source, dir, &mut listing)?;
        Ok(listing.files)
    };
    let files = if dir.is_root() {
        workspace.stage_files_with(walk_now)?
    } else {
        walk_now()?
    };
    Ok(Listing { files })
}
