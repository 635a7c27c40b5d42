//! The four configuration levels (system, global, repo, local), at DVC's locations, merged
//! with DVC's precedence, validated and edited as DVC does (spec §2).
//!
//! Reading resolves path-valued options against the directory of the file they come from;
//! writing stores a relative path typed by the user relative to that directory (spec §2.3).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dv_schema::config::{self as schema, Node, Setting, Table, Value};

use crate::environment::Environment;
use crate::error::ConfigError;
use crate::path;

/// A configuration level, in the order they shadow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `/etc/xdg/dvc/config` or `$DVC_SYSTEM_CONFIG_DIR/config`.
    System,
    /// `~/.config/dvc/config` or `$DVC_GLOBAL_CONFIG_DIR/config`.
    Global,
    /// `.dvc/config`, tracked by git.
    Repo,
    /// `.dvc/config.local`, ignored by git.
    Local,
}

impl Level {
    /// All levels, lowest priority first.
    pub const ALL: [Level; 4] = [Level::System, Level::Global, Level::Repo, Level::Local];

    /// True for the levels stored inside the repository.
    pub fn is_repo_level(self) -> bool {
        matches!(self, Level::Repo | Level::Local)
    }
}

/// The configuration files of one invocation.
#[derive(Debug, Clone)]
pub struct Config {
    system: PathBuf,
    global: PathBuf,
    dvc_dir: Option<PathBuf>,
    environment: Environment,
}

/// Options whose values are paths, per section kind (DVC's `_map_dirs`).
const CACHE_PATHS: &[&str] = &["dir"];
const REMOTE_PATHS: &[&str] = &[
    "url",
    "gdrive_user_credentials_file",
    "gdrive_service_account_json_file_path",
    "credentialpath",
    "configpath",
    "keyfile",
    "cert_path",
    "key_path",
];
const MACHINE_PATHS: &[&str] = &["startup_script", "setup_script"];

/// Sections DVC creates empty on load, so `core`, `remote`... always exist.
const DEFAULT_SECTIONS: &[&str] = &[
    "core", "cache", "remote", "state", "index", "machine", "feature", "plots", "exp", "parsing",
    "hydra", "studio", "db",
];

impl Config {
    /// The configuration of the repository whose `.dvc` directory is `dvc_dir` (or of no
    /// repository: only system and global levels).
    pub fn new(dvc_dir: Option<PathBuf>, environment: &Environment) -> Config {
        Config {
            system: system_config_dir(environment).join("config"),
            global: global_config_dir(environment).join("config"),
            dvc_dir,
            environment: environment.clone(),
        }
    }

    /// True when a repository is known.
    pub fn has_repo(&self) -> bool {
        self.dvc_dir.is_some()
    }

    /// The file of a level (`None` for repo levels outside a repository).
    pub fn file(&self, level: Level) -> Option<PathBuf> {
        match level {
            Level::System => Some(self.system.clone()),
            Level::Global => Some(self.global.clone()),
            Level::Repo => self.dvc_dir.as_ref().map(|d| d.join("config")),
            Level::Local => self.dvc_dir.as_ref().map(|d| d.join("config.local")),
        }
    }

    /// Levels that exist for this invocation, lowest priority first.
    pub fn levels(&self) -> Vec<Level> {
        Level::ALL
            .into_iter()
            .filter(|l| self.file(*l).is_some())
            .collect()
    }

    /// One level as DVC's `load_one`: parsed, paths resolved, default sections present.
    /// A missing file is an empty level.
    pub fn load_one(&self, level: Level) -> Result<Table, ConfigError> {
        let Some(file) = self.file(level) else {
            return Err(ConfigError("Not inside a DVC repo".to_string()));
        };
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(ConfigError(format!(
                    "failed to read '{}': {e}",
                    file.display()
                )));
            }
        };
        let mut table = schema::parse(&bytes, Some(Arc::new(file.clone()))).map_err(|e| {
            ConfigError(format!(
                "{} at line {} of '{}'",
                e.kind,
                e.line,
                self.display_file(&file)
            ))
        })?;
        let conf_dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        self.map_paths(&mut table, |setting| self.resolve(&conf_dir, setting));
        for section in DEFAULT_SECTIONS {
            table.table_mut(section);
        }
        Ok(table)
    }

    /// Levels merged, lowest first, stopping before `until` (all levels when `None`).
    pub fn load_to_level(&self, until: Option<Level>) -> Result<Table, ConfigError> {
        let mut merged = Table::new();
        for level in self.levels() {
            if Some(level) == until {
                break;
            }
            merged.merge(&self.load_one(level)?);
        }
        Ok(merged)
    }

    /// The merged configuration, or one level's.
    pub fn read(&self, level: Option<Level>) -> Result<Table, ConfigError> {
        match level {
            None => self.load_to_level(None),
            Some(level) => self.load_one(level),
        }
    }

    /// The merged configuration, validated like every DVC command that opens a repository.
    pub fn load_validated(&self) -> Result<Table, ConfigError> {
        let merged = self.load_to_level(None)?;
        self.validate(&merged)?;
        Ok(merged)
    }

    /// Validates a merged table, naming the file and line of the offending value.
    pub fn validate(&self, merged: &Table) -> Result<(), ConfigError> {
        schema::validate(merged).map_err(|e| {
            let location = e
                .origin
                .map(|o| format!(" (in '{}', line {})", self.display_file(&o.file), o.line))
                .unwrap_or_default();
            ConfigError(format!("{}{location}", e.message))
        })
    }

    /// Edits one level (default: repo) like DVC's `Config.edit`: load it, let `edit` change
    /// it, store new relative paths relative to the file, validate the levels up to this one
    /// merged, then rewrite the file atomically. Nothing is written when any step fails.
    pub fn edit<T>(
        &self,
        level: Option<Level>,
        edit: impl FnOnce(&mut Table) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let level = level.unwrap_or(Level::Repo);
        let Some(file) = self.file(level) else {
            return Err(ConfigError("Not inside a DVC repo".to_string()));
        };
        let mut conf = self.load_one(level)?;
        let result = edit(&mut conf)?;

        let conf_dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        self.map_paths(&mut conf, |setting| self.to_stored(&conf_dir, setting));

        let mut merged = self.load_to_level(Some(level))?;
        merged.merge(&conf);
        self.validate(&merged)?;

        let mut text = schema::write(&conf).map_err(|e| ConfigError(e.to_string()))?;
        if text.is_empty() {
            // configobj writes a lone newline for an empty configuration.
            text.push('\n');
        }
        write_atomically(&file, text.as_bytes()).map_err(|e| {
            ConfigError(format!(
                "failed to write '{}': {e}",
                self.display_file(&file)
            ))
        })?;
        Ok(result)
    }

    /// A config file path for messages: relative to the repository root when inside it.
    pub fn display_file(&self, file: &Path) -> String {
        if let Some(root) = self.dvc_dir.as_ref().and_then(|d| d.parent())
            && let Ok(rel) = file.strip_prefix(root)
        {
            return rel.display().to_string();
        }
        file.display().to_string()
    }

    fn map_paths(&self, table: &mut Table, mut f: impl FnMut(&mut Setting)) {
        let mut apply = |section: &mut Table, keys: &[&str]| {
            for key in keys {
                if let Some(Node::Setting(setting)) = section.get_mut(key) {
                    f(setting);
                }
            }
        };
        if let Some(Node::Table(cache)) = table.get_mut("cache") {
            apply(cache, CACHE_PATHS);
        }
        for (kind, keys) in [("remote", REMOTE_PATHS), ("machine", MACHINE_PATHS)] {
            if let Some(Node::Table(named)) = table.get_mut(kind) {
                let names: Vec<String> = named.iter().map(|(k, _)| k.to_string()).collect();
                for name in names {
                    if let Some(Node::Table(section)) = named.get_mut(&name) {
                        apply(section, keys);
                    }
                }
            }
        }
    }

    /// DVC's `_resolve`: a relative path in a file is relative to that file's directory.
    fn resolve(&self, conf_dir: &Path, setting: &mut Setting) {
        let Value::Str(text) = &setting.value else {
            return;
        };
        if has_scheme(text) || Path::new(text).is_absolute() {
            return;
        }
        let resolved = match self.environment.expand_user(text) {
            Some(expanded) => expanded,
            None => path::normalize(&conf_dir.join(text)),
        };
        setting.written = Some(text.clone());
        setting.value = Value::Str(resolved.to_string_lossy().into_owned());
    }

    /// DVC's `_to_relpath`: values read from the file go back as they were written; new
    /// relative values (typed by the user, relative to the working directory) become relative
    /// to the file's directory.
    fn to_stored(&self, conf_dir: &Path, setting: &mut Setting) {
        if let Some(written) = setting.written.take() {
            setting.value = Value::Str(written);
            return;
        }
        let Value::Str(text) = &setting.value else {
            return;
        };
        if has_scheme(text) || text.starts_with('~') || Path::new(text).is_absolute() {
            return;
        }
        let absolute = self.environment.absolute(Path::new(text));
        setting.value = Value::Str(path::relative(&absolute, conf_dir));
    }
}

/// `^\w+://`, DVC's test for URLs that are never treated as paths.
fn has_scheme(text: &str) -> bool {
    match text.find("://") {
        Some(i) if i > 0 => text[..i].chars().all(|c| c.is_alphanumeric() || c == '_'),
        _ => false,
    }
}

/// `$DVC_GLOBAL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/dvc`, else `~/.config/dvc`.
pub fn global_config_dir(environment: &Environment) -> PathBuf {
    if let Some(dir) = environment.var("DVC_GLOBAL_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(xdg) = environment.var("XDG_CONFIG_HOME") {
        return PathBuf::from(xdg).join("dvc");
    }
    environment
        .home()
        .unwrap_or_else(|| PathBuf::from("/"))
        .join(".config")
        .join("dvc")
}

/// `$DVC_SYSTEM_CONFIG_DIR`, else the first of `$XDG_CONFIG_DIRS` + `/dvc`, else
/// `/etc/xdg/dvc`.
pub fn system_config_dir(environment: &Environment) -> PathBuf {
    if let Some(dir) = environment.var("DVC_SYSTEM_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(first) = environment
        .var("XDG_CONFIG_DIRS")
        .and_then(|dirs| dirs.split(':').find(|d| !d.is_empty()))
    {
        return PathBuf::from(first).join("dvc");
    }
    PathBuf::from("/etc/xdg/dvc")
}

/// Writes `bytes` to a temporary sibling, then renames it over `path`, so a reader never sees
/// a half-written config.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    dv_fs::atomic::write_atomic(path, bytes).map_err(std::io::Error::other)
}
