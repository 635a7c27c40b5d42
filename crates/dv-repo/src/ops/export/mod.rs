//! `dv export ro-crate`: the pipeline as `dvc.lock` records it (in the workspace or at a git
//! revision), described as a Process Run Crate 0.5 (optionally with the Workflow Run Crate 0.5
//! layer): one `CreateAction` per stage, its inputs, params and outputs with their MD5s.
//!
//! - here: the options, the report, and the provenance read from a [`Snapshot`] (stages, their
//!   lock entries, the `.dir` manifests in the cache, the commit and its author);
//! - `ro_crate`: that provenance as RO-Crate JSON-LD.

mod ro_crate;

use std::path::{Path, PathBuf};

use dv_pipeline::stage::{EntryPath, Stage};
use dv_schema::dvc_file::Output;
use dv_schema::hash::{Md5, ObjectId};
use dv_schema::lock_file::LockFile;
use dv_schema::repo_path::RepoPath;
use dv_scm::history::CommitAuthor;
use sha2::{Digest, Sha256};

use crate::error::DvcError;
use crate::index::RepoStage;
use crate::pipelines::{lock_entry, read_lock_from};
use crate::revisions::{At, Revisions, Snapshot};
use crate::workspace::Workspace;

/// The crate's metadata file name.
pub const METADATA: &str = "ro-crate-metadata.json";

/// What `export ro-crate` writes.
#[derive(Debug, Clone, Default)]
pub struct RoCrateOptions {
    /// Stage names (`train`, `fe@a`, a `foreach` group `fe`, `dir/dvc.yaml:train`) or
    /// `dvc.yaml` files (all their stages); every stage when empty.
    pub targets: Vec<String>,
    /// The crate directory (`ro-crate/`).
    pub out_dir: PathBuf,
    /// `--rev`: the git revision whose `dvc.lock` is described (the workspace when `None`).
    pub rev: Option<String>,
    /// `--workflow`: add the Workflow Run Crate layer.
    pub workflow: bool,
    /// `--sha256`: add the SHA-256 of each file at hand.
    pub sha256: bool,
    /// `--include-data`: copy the data files at hand into the crate.
    pub include_data: bool,
    /// `--license`: the license of the crate (an SPDX id or a URL).
    pub license: Option<String>,
}

/// What `export ro-crate` wrote.
#[derive(Debug, Clone)]
pub struct RoCrateReport {
    /// The metadata file written.
    pub metadata: PathBuf,
    /// The stage executions described.
    pub actions: usize,
    /// The data entities described.
    pub entities: usize,
    /// The data files copied into the crate.
    pub copied: usize,
}

/// A file or directory the pipeline read or wrote.
#[derive(Debug, Clone)]
pub(crate) struct DataEntity {
    /// The crate id: the repository path (with `/` after a directory) or a URL.
    pub(crate) id: String,
    /// The repository path (none for URLs).
    pub(crate) path: Option<RepoPath>,
    /// The URL of an output or dependency that is not local (`remote://` resolved).
    pub(crate) url: Option<String>,
    /// The path as `dvc.lock` records it, when it differs from `url` (`remote://NAME/...`).
    pub(crate) recorded_as: Option<String>,
    /// A directory.
    pub(crate) directory: bool,
    /// The MD5 recorded (`<hex>` or `<hex>.dir`).
    pub(crate) md5: Option<String>,
    /// The ETag or version id recorded for a URL.
    pub(crate) etag: Option<String>,
    /// The version id recorded for a URL.
    pub(crate) version_id: Option<String>,
    /// Bytes.
    pub(crate) size: Option<u64>,
    /// The SHA-256, when asked for and the file is at hand.
    pub(crate) sha256: Option<String>,
    /// The files of a directory (their ids), from its `.dir` manifest.
    pub(crate) parts: Vec<String>,
    /// Whether it is a file inside a directory entity.
    pub(crate) inside: bool,
}

/// A params value a stage read.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) value: serde_json::Value,
}

/// One stage's recorded execution.
#[derive(Debug, Clone)]
pub(crate) struct StageRun {
    pub(crate) name: String,
    pub(crate) cmd: String,
    pub(crate) dvc_yaml: String,
    pub(crate) inputs: Vec<String>,
    pub(crate) params: Vec<Param>,
    pub(crate) outputs: Vec<String>,
    /// What dv's run log says of the run that wrote this `dvc.lock` entry (workspace only).
    pub(crate) logged: Option<crate::run_log::RunRecord>,
    /// Whether `dvc.lock` records a run (false: the stage only has a failed run).
    pub(crate) recorded: bool,
    /// The stage's latest run, when the run log says it failed (workspace only).
    pub(crate) failed: Option<crate::run_log::RunRecord>,
}

/// Everything the crate describes.
#[derive(Debug, Clone)]
pub(crate) struct Provenance {
    pub(crate) name: String,
    pub(crate) commit: Option<String>,
    pub(crate) author: Option<CommitAuthor>,
    /// When the runs ended, as far as is known (ISO 8601).
    pub(crate) time: String,
    pub(crate) stages: Vec<StageRun>,
    pub(crate) entities: Vec<DataEntity>,
    /// The `dvc.yaml` files (repository paths) and the `dvc.lock` next to each.
    pub(crate) workflows: Vec<(String, String)>,
    /// The crate ids of the files of `workflows` (paths from the crate).
    pub(crate) workflow_ids: Vec<(String, String)>,
}

impl Provenance {
    fn entity_mut(&mut self, id: &str) -> Option<&mut DataEntity> {
        self.entities.iter_mut().find(|entity| entity.id == id)
    }
}

/// Writes `out_dir/ro-crate-metadata.json` describing the recorded pipeline.
pub fn ro_crate(workspace: &Workspace, options: &RoCrateOptions) -> anyhow::Result<RoCrateReport> {
    let revisions = Revisions::open(workspace)?;
    let (at, commit) = match &options.rev {
        Some(rev) => {
            let id = revisions.resolve(rev)?;
            (At::Commit(id), Some(id))
        }
        None if revisions.has_commits() => (At::Workspace, Some(revisions.resolve("HEAD")?)),
        None => (At::Workspace, None),
    };
    let snapshot = Snapshot::open(workspace, &revisions, at)?;
    let author = match (commit, revisions.history()) {
        (Some(commit), Some(history)) => Some(
            history
                .author(commit)
                .map_err(crate::revisions::to_anyhow)?,
        ),
        _ => None,
    };
    let time = run_time(workspace, at, author.as_ref());
    let name = workspace
        .root()
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pipeline".to_owned());
    let mut provenance = Provenance {
        name,
        commit: commit.map(|id| id.to_string()),
        author,
        time,
        stages: Vec::new(),
        entities: Vec::new(),
        workflows: Vec::new(),
        workflow_ids: Vec::new(),
    };
    let stages = selected_stages(&snapshot, &options.targets)?;
    let mut locks: Vec<(RepoPath, LockFile)> = Vec::new();
    let mut lock_documents: std::collections::HashMap<RepoPath, Option<dv_schema::yaml::Value>> =
        std::collections::HashMap::new();
    for stage in stages {
        if !locks.iter().any(|(file, _)| *file == stage.file) {
            let (_, lock) = read_lock_from(workspace, snapshot.files.as_ref(), &stage.file)?;
            locks.push((stage.file.clone(), lock));
        }
        let failed = match at {
            At::Workspace => crate::run_log::read(
                &workspace.repo().tmp_dir(),
                stage.file.as_str(),
                &stage.name,
            )
            .filter(|record| record.status == crate::run_log::RunStatus::Failed),
            At::Commit(_) => None,
        };
        let entry = locks
            .iter()
            .find(|(file, _)| *file == stage.file)
            .and_then(|(_, lock)| lock_entry(lock, stage));
        if entry.is_none() && failed.is_none() {
            continue;
        }
        let dvc_yaml = stage.file.as_str().to_owned();
        if !provenance
            .workflows
            .iter()
            .any(|(file, _)| *file == dvc_yaml)
        {
            let lock = crate::pipelines::lock_path(&stage.file).as_str().to_owned();
            provenance.workflows.push((dvc_yaml.clone(), lock));
        }
        let Some(entry) = entry else {
            // Only a failed run: the stage as defined, with nothing read or written on record.
            provenance.stages.push(StageRun {
                name: stage.name.clone(),
                cmd: stage.cmd().to_string(),
                dvc_yaml,
                inputs: Vec::new(),
                params: Vec::new(),
                outputs: Vec::new(),
                logged: None,
                recorded: false,
                failed,
            });
            continue;
        };
        let logged = match at {
            At::Workspace => logged_run(workspace, stage, &mut lock_documents),
            At::Commit(_) => None,
        };
        let mut run = StageRun {
            name: stage.name.clone(),
            cmd: entry.cmd.to_string(),
            dvc_yaml,
            inputs: Vec::new(),
            params: Vec::new(),
            outputs: Vec::new(),
            logged,
            recorded: true,
            failed,
        };
        for dep in &entry.deps {
            let placed = stage.deps.iter().find(|known| known.def_path == dep.path);
            let path = placed
                .map(|known| known.path.clone())
                .unwrap_or_else(|| EntryPath::resolve(&stage.wdir, &dep.path));
            if let Some(id) = add_entity(&mut provenance, &snapshot, &path, dep)? {
                run.inputs.push(id);
            }
        }
        for (file, values) in &entry.params.0 {
            let shown = match EntryPath::resolve(&stage.wdir, file) {
                EntryPath::Repo(path) => path.as_str().to_owned(),
                _ => file.clone(),
            };
            for (key, value) in values {
                let key = match key {
                    dv_schema::yaml::Value::String(key) => key.clone(),
                    other => serde_json::to_string(other).unwrap_or_default(),
                };
                let name = if shown == "params.yaml" {
                    key.clone()
                } else {
                    format!("{shown}:{key}")
                };
                run.params.push(Param {
                    id: format!("#param-{}", encode(&name)),
                    name,
                    value: param_value(value),
                });
            }
        }
        for out in &entry.outs {
            let placed = stage.outs.iter().find(|known| known.def_path == out.path);
            let path = placed
                .map(|known| known.path.clone())
                .unwrap_or_else(|| EntryPath::resolve(&stage.wdir, &out.path));
            if let Some(id) = add_entity(&mut provenance, &snapshot, &path, out)? {
                run.outputs.push(id);
            }
        }
        provenance.stages.push(run);
    }
    if provenance.stages.is_empty() {
        return Err(DvcError(
            "nothing to export: no stage of the pipeline is recorded in 'dvc.lock'".to_owned(),
        )
        .into());
    }
    fs_err::create_dir_all(&options.out_dir)?;
    let prefix = crate_to_repo(&options.out_dir, workspace.root());
    // A crate at the repository root holds the files already: nothing is copied onto itself.
    let copy = options.include_data && !prefix.is_empty();
    let mut copied = Vec::new();
    if options.sha256 || copy {
        copied = read_files(
            &mut provenance,
            &snapshot,
            at,
            options.sha256,
            copy,
            &options.out_dir,
        )?;
    }
    locate(
        &mut provenance,
        &snapshot,
        copy,
        &options.out_dir,
        &prefix,
        &mut copied,
    )?;
    mark_absent(&mut provenance, &options.out_dir);
    let document = ro_crate::document(&provenance, options);
    let metadata = options.out_dir.join(METADATA);
    let mut text = serde_json::to_string_pretty(&document)?;
    text.push('\n');
    fs_err::write(&metadata, text)?;
    Ok(RoCrateReport {
        metadata,
        actions: provenance.stages.len(),
        entities: provenance.entities.len(),
        copied: copied.len(),
    })
}

/// Files and directories the crate names by a relative path but that are not there (an
/// output a failed run removed, or a file of an older revision) get a local id
/// (`#absent:<repository path>`): the crate still records their checksums and the runs that
/// used them, without claiming them as payload.
fn mark_absent(provenance: &mut Provenance, out_dir: &Path) {
    let mut renamed: Vec<(String, String)> = Vec::new();
    for entity in &mut provenance.entities {
        let relative = !entity.id.contains("://") && !entity.id.starts_with('#');
        if !relative || entity.url.is_some() {
            continue;
        }
        let Some(path) = &entity.path else { continue };
        if out_dir.join(entity.id.trim_end_matches('/')).exists() {
            continue;
        }
        let suffix = if entity.directory { "/" } else { "" };
        let new = format!("#absent:{}{suffix}", path.as_str());
        renamed.push((entity.id.clone(), new.clone()));
        entity.id = new;
    }
    if renamed.is_empty() {
        return;
    }
    let rename = |id: &mut String| {
        if let Some((_, new)) = renamed.iter().find(|(old, _)| old == id) {
            *id = new.clone();
        }
    };
    for entity in &mut provenance.entities {
        entity.parts.iter_mut().for_each(rename);
    }
    for stage in &mut provenance.stages {
        stage.inputs.iter_mut().for_each(rename);
        stage.outputs.iter_mut().for_each(rename);
    }
}

/// The path from the crate directory to the repository root (`../` for `ro-crate/`, empty
/// when the crate is the repository root), as a URI reference prefix.
fn crate_to_repo(out_dir: &Path, root: &Path) -> String {
    let canonical = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let (from, to) = (canonical(out_dir), canonical(root));
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut prefix = "../".repeat(from.len() - common);
    for part in &to[common..] {
        prefix.push_str(&encode(&part.as_os_str().to_string_lossy()));
        prefix.push('/');
    }
    prefix
}

/// Gives each local entity its id in the crate: its repository path when it was copied into
/// the crate (or the crate is the repository), else the path from the crate to it in the
/// repository. With `--include-data`, the `dvc.yaml` and `dvc.lock` files are copied too.
fn locate(
    provenance: &mut Provenance,
    snapshot: &Snapshot<'_>,
    copy: bool,
    out_dir: &Path,
    prefix: &str,
    copied: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut workflow_ids = Vec::new();
    for (dvc_yaml, lock) in &provenance.workflows {
        let mut ids = Vec::new();
        for file in [dvc_yaml, lock] {
            let path = RepoPath::new(file)?;
            let mut id = encode(file);
            if copy && let Ok(Some(bytes)) = snapshot.read(&path) {
                let target = crate_path(out_dir, &path);
                if let Some(parent) = target.parent() {
                    fs_err::create_dir_all(parent)?;
                }
                fs_err::write(&target, &bytes)?;
                copied.push(id.clone());
            } else {
                id = format!("{prefix}{id}");
            }
            ids.push(id);
        }
        workflow_ids.push((ids[0].clone(), ids[1].clone()));
    }
    provenance.workflow_ids = workflow_ids;
    if copy && !provenance.workflows.is_empty() {
        // The copies of `dvc.yaml` are no pipeline of the repository the crate may sit in.
        fs_err::write(
            out_dir.join(".dvcignore"),
            "# written by dv export ro-crate: the copies of the pipeline files are not stages\n\
             dvc.yaml\ndvc.lock\n",
        )?;
    }
    if prefix.is_empty() {
        return Ok(());
    }
    let mut renamed: Vec<(String, String)> = Vec::new();
    for entity in &provenance.entities {
        if entity.path.is_none() {
            continue;
        }
        let present = if entity.directory {
            copied
                .iter()
                .any(|file| file.starts_with(entity.id.as_str()))
        } else {
            copied.contains(&entity.id)
        };
        if !present {
            renamed.push((entity.id.clone(), format!("{prefix}{}", entity.id)));
        }
    }
    let rename = |id: &mut String| {
        if let Some((_, new)) = renamed.iter().find(|(old, _)| old == id) {
            *id = new.clone();
        }
    };
    for entity in &mut provenance.entities {
        rename(&mut entity.id);
        entity.parts.iter_mut().for_each(rename);
    }
    for stage in &mut provenance.stages {
        stage.inputs.iter_mut().for_each(rename);
        stage.outputs.iter_mut().for_each(rename);
    }
    Ok(())
}

/// The pipeline stages of the snapshot the targets name (all when none), in index order.
fn selected_stages<'s>(
    snapshot: &'s Snapshot<'_>,
    targets: &[String],
) -> anyhow::Result<Vec<&'s Stage>> {
    let stages: Vec<&Stage> = snapshot
        .index
        .stages
        .iter()
        .filter_map(|stage| match stage {
            RepoStage::Pipeline { stage, .. } => Some(stage.as_ref()),
            RepoStage::File { .. } => None,
        })
        .collect();
    if targets.is_empty() {
        return Ok(stages);
    }
    let mut selected: Vec<&Stage> = Vec::new();
    for target in targets {
        let target = target.trim_start_matches("./");
        let (file, name) = match target.rsplit_once(':') {
            Some((file, name)) => (Some(file), name),
            None if target.ends_with(".yaml") => (Some(target), ""),
            None => (None, target),
        };
        let matching: Vec<&Stage> = stages
            .iter()
            .copied()
            .filter(|stage| {
                (name.is_empty() || stage.name == name || stage.group.as_deref() == Some(name))
                    && file.is_none_or(|file| {
                        stage.file.as_str() == file
                            || stage.file.parent().as_str() == file.trim_end_matches('/')
                    })
            })
            .collect();
        if matching.is_empty() {
            return Err(DvcError(format!("'{target}' does not exist")).into());
        }
        for stage in matching {
            if !selected.iter().any(|known| std::ptr::eq(*known, stage)) {
                selected.push(stage);
            }
        }
    }
    Ok(selected)
}

/// The entity of a dependency or output (added once; its hashes filled from whichever entry
/// records them); `None` for paths outside the repository.
fn add_entity(
    provenance: &mut Provenance,
    snapshot: &Snapshot<'_>,
    path: &EntryPath,
    recorded: &Output,
) -> anyhow::Result<Option<String>> {
    let directory = recorded.md5.is_some_and(|id| id.is_tree());
    let (id, repo_path, url) = match path {
        EntryPath::Repo(path) => {
            let id = if directory {
                format!("{}/", encode(path.as_str()))
            } else {
                encode(path.as_str())
            };
            (id, Some(path.clone()), None)
        }
        EntryPath::Url(url) => {
            let resolved = resolve_remote(snapshot.workspace, url);
            (resolved.clone(), None, Some(resolved))
        }
        EntryPath::Outside(_) => return Ok(None),
    };
    if let Some(known) = provenance.entity_mut(&id) {
        if known.md5.is_none() {
            known.md5 = recorded.md5.map(|id| id.to_string());
            known.size = recorded.size;
        }
        return Ok(Some(id));
    }
    let mut parts = Vec::new();
    let mut inside = Vec::new();
    if let (Some(tree), Some(base)) = (recorded.md5.filter(ObjectId::is_tree), &repo_path) {
        let odb = snapshot.workspace.odb(recorded.hash_name);
        if let Ok(manifest) = odb.read_tree(&tree) {
            for entry in manifest.entries() {
                let Some(md5) = entry.hash.md5() else {
                    continue;
                };
                let Some(file) = crate::revisions::join(base, entry.relpath.as_str()) else {
                    continue;
                };
                let object = odb.object_path(&ObjectId::file(md5));
                let size = std::fs::metadata(&object)
                    .ok()
                    .or_else(|| {
                        std::fs::metadata(crate::workspace::absolute(snapshot.workspace, &file))
                            .ok()
                    })
                    .map(|metadata| metadata.len());
                let file_id = encode(file.as_str());
                parts.push(file_id.clone());
                inside.push(DataEntity {
                    id: file_id,
                    path: Some(file),
                    url: None,
                    recorded_as: None,
                    directory: false,
                    md5: Some(md5.to_hex()),
                    etag: None,
                    version_id: None,
                    size,
                    sha256: None,
                    parts: Vec::new(),
                    inside: true,
                });
            }
        }
    }
    let recorded_as = match path {
        EntryPath::Url(written) if Some(written) != url.as_ref() => Some(written.clone()),
        _ => None,
    };
    provenance.entities.push(DataEntity {
        id: id.clone(),
        path: repo_path,
        url,
        recorded_as,
        directory,
        md5: recorded.md5.map(|id| id.to_string()),
        etag: recorded.etag.clone().or_else(|| recorded.checksum.clone()),
        version_id: recorded.version_id.clone(),
        size: recorded.size,
        sha256: None,
        parts,
        inside: false,
    });
    for entity in inside {
        if provenance.entity_mut(&entity.id).is_none() {
            provenance.entities.push(entity);
        }
    }
    Ok(Some(id))
}

/// `remote://NAME/path` as the URL of remote `NAME` joined with the path, when that remote has
/// a URL with a scheme; any other URL as it is.
fn resolve_remote(workspace: &Workspace, url: &str) -> String {
    let Some(reference) = url.strip_prefix("remote://") else {
        return url.to_owned();
    };
    let (name, relative) = reference.split_once('/').unwrap_or((reference, ""));
    let Ok(options) = crate::remotes::remote_options(workspace, name, false, 0) else {
        return url.to_owned();
    };
    match options.get("url") {
        Some(base) if base.contains("://") => {
            let relative = relative.trim_start_matches('/');
            if relative.is_empty() {
                base.clone()
            } else {
                format!("{}/{relative}", base.trim_end_matches('/'))
            }
        }
        _ => url.to_owned(),
    }
}

/// Reads each local file entity whose bytes are at hand (the cache object, the working-tree
/// file, else the revision's file) and whose MD5 matches the recorded one: its SHA-256
/// (`--sha256`), a copy in the crate (`--include-data`). Files are streamed, not held in memory
/// (only files read from git are). Returns the ids of the files copied.
fn read_files(
    provenance: &mut Provenance,
    snapshot: &Snapshot<'_>,
    at: At,
    sha256: bool,
    copy: bool,
    out_dir: &Path,
) -> anyhow::Result<Vec<String>> {
    let odb = snapshot.workspace.odb(dv_schema::hash::HashName::Md5);
    let mut copied = Vec::new();
    for entity in &mut provenance.entities {
        if entity.directory {
            continue;
        }
        let (Some(path), Some(md5)) = (&entity.path, &entity.md5) else {
            continue;
        };
        let Ok(recorded) = md5.parse::<Md5>() else {
            continue;
        };
        let mut candidates = vec![odb.object_path(&ObjectId::file(recorded))];
        if at == At::Workspace {
            candidates.push(crate::workspace::absolute(snapshot.workspace, path));
        }
        let found = candidates.into_iter().find_map(|file| {
            digests(&file)
                .ok()
                .filter(|(md5, _)| *md5 == recorded)
                .map(|(_, sha256)| (Source::File(file), sha256))
        });
        let found = found.or_else(|| {
            let bytes = snapshot.read(path).ok().flatten()?;
            (Md5::digest(&bytes) == recorded).then(|| {
                let sha256 = hex(&Sha256::digest(&bytes));
                (Source::Bytes(bytes), sha256)
            })
        });
        let Some((source, digest)) = found else {
            continue;
        };
        if sha256 {
            entity.sha256 = Some(digest);
        }
        if copy {
            let target = crate_path(out_dir, path);
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            match source {
                Source::Bytes(bytes) => fs_err::write(&target, bytes)?,
                Source::File(file) => {
                    let mut reader = fs_err::File::open(&file)?;
                    let mut writer = fs_err::File::create(&target)?;
                    std::io::copy(&mut reader, &mut writer)?;
                }
            }
            copied.push(entity.id.clone());
        }
    }
    Ok(copied)
}

/// Where a file's bytes were found.
enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

/// The MD5 and SHA-256 (hex) of the file at `path`, read once.
fn digests(path: &Path) -> std::io::Result<(Md5, String)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut md5 = md5::Md5::new();
    let mut sha256 = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        md5.update(&buffer[..read]);
        sha256.update(&buffer[..read]);
    }
    Ok((Md5(md5.finalize().into()), hex(&sha256.finalize())))
}

fn crate_path(out_dir: &Path, path: &RepoPath) -> PathBuf {
    path.as_str()
        .split('/')
        .fold(out_dir.to_path_buf(), |dir, part| dir.join(part))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A params value as JSON: scalars as they are, lists and mappings as their JSON text.
fn param_value(value: &dv_schema::yaml::Value) -> serde_json::Value {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Null) => serde_json::Value::String("null".to_owned()),
        Ok(composite @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => {
            serde_json::Value::String(composite.to_string())
        }
        Ok(scalar) => scalar,
        Err(_) => serde_json::Value::String(String::new()),
    }
}

/// A repository path as a relative URI reference (RFC 3986: unreserved characters, `/` and
/// sub-delimiters kept, the rest percent-encoded).
pub(crate) fn encode(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b':' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// The run log's record of `stage`, when it is the run that wrote the stage's current
/// `dvc.lock` entry.
fn logged_run(
    workspace: &Workspace,
    stage: &dv_pipeline::stage::Stage,
    lock_documents: &mut std::collections::HashMap<RepoPath, Option<dv_schema::yaml::Value>>,
) -> Option<crate::run_log::RunRecord> {
    use crate::run_log;
    let record = run_log::read(
        &workspace.repo().tmp_dir(),
        stage.file.as_str(),
        &stage.name,
    )?;
    let lock = crate::pipelines::lock_path(&stage.file);
    // Each lock file is read and parsed once for all its stages.
    let document = lock_documents
        .entry(lock.clone())
        .or_insert_with(|| {
            let text = std::fs::read_to_string(workspace.root().join(lock.as_str())).ok()?;
            dv_schema::yaml::parse(&text).ok()
        })
        .as_ref()?;
    let entry = document.get("stages")?.get(stage.name.as_str())?;
    (record.entry_digest.as_deref() == Some(run_log::entry_digest(entry).as_str()))
        .then_some(record)
}

/// When the runs are known to have ended: the `dvc.lock` modification time in the workspace,
/// else the commit's author time, else now.
fn run_time(workspace: &Workspace, at: At, author: Option<&CommitAuthor>) -> String {
    if at == At::Workspace
        && let Ok(modified) = std::fs::metadata(workspace.root().join(crate::pipelines::DVC_LOCK))
            .and_then(|metadata| metadata.modified())
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        return iso8601(since.as_secs() as i64, 0);
    }
    if let Some(author) = author {
        return iso8601(author.seconds, author.offset);
    }
    iso8601(crate::clock::now_seconds(), 0)
}

pub(crate) use crate::clock::iso8601;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso8601() {
        assert_eq!(iso8601(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            iso8601(951_868_800 + 3661, 3600),
            "2000-03-01T02:01:01+01:00"
        );
        assert_eq!(iso8601(0, -5400), "1969-12-31T22:30:00-01:30");
    }

    #[test]
    fn paths_are_uri_references() {
        assert_eq!(encode("data/a b.csv"), "data/a%20b.csv");
        assert_eq!(encode("x#y?z%"), "x%23y%3Fz%25");
    }
}
