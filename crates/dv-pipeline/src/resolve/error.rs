//! Why a `dvc.yaml` cannot be loaded, with DVC's messages.

use dv_schema::dvc_yaml::SchemaIssue;
use dv_schema::yaml_location::{PathSegment, Position};

/// A `dvc.yaml` that cannot be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The file does not exist.
    #[error("'{file}' does not exist")]
    Missing {
        /// The file, as DVC names it.
        file: String,
    },
    /// The file could not be read.
    #[error("unable to read '{file}': {message}")]
    Io {
        /// The file, as DVC names it.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// The text is not YAML (DVC: `'./dvc.yaml' is invalid.`).
    #[error("'{}' is invalid: {message}", dot_relative(file))]
    Syntax {
        /// The file, as DVC names it.
        file: String,
        /// The parser's message.
        message: String,
        /// 1-based line.
        line: Option<usize>,
        /// 1-based column.
        column: Option<usize>,
    },
    /// The document breaks DVC's schema.
    #[error("{}", schema_message(file, issues))]
    Schema {
        /// The file, as DVC names it.
        file: String,
        /// Each violation and where DVC places it.
        issues: Vec<(SchemaIssue, Option<Position>)>,
    },
    /// Templating failed (DVC's `ResolveError`).
    #[error("{message}")]
    Resolve {
        /// The file, as DVC names it.
        file: String,
        /// The stage (as named in the file, or generated) when the error is about one.
        stage: Option<String>,
        /// DVC's whole message.
        message: String,
        /// 1-based line of the offending key, when found.
        line: Option<usize>,
    },
    /// A resolved stage has a value DVC cannot use.
    #[error("failed to load stage '{stage}' in '{file}': {key}: {message}")]
    Definition {
        /// The file, as DVC names it.
        file: String,
        /// The stage.
        stage: String,
        /// The stage key (`cmd`, `outs`, ...).
        key: String,
        /// What is wrong.
        message: String,
        /// 1-based line of the key, when found.
        line: Option<usize>,
    },
}

impl LoadError {
    /// The file the error is about, as DVC names it.
    pub fn file(&self) -> &str {
        match self {
            LoadError::Missing { file }
            | LoadError::Io { file, .. }
            | LoadError::Syntax { file, .. }
            | LoadError::Schema { file, .. }
            | LoadError::Resolve { file, .. }
            | LoadError::Definition { file, .. } => file,
        }
    }

    /// The 1-based line the error is about, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            LoadError::Syntax { line, .. }
            | LoadError::Resolve { line, .. }
            | LoadError::Definition { line, .. } => *line,
            LoadError::Schema { issues, .. } => issues
                .iter()
                .find_map(|(_, position)| position.map(|p| p.line)),
            LoadError::Missing { .. } | LoadError::Io { .. } => None,
        }
    }

    /// The stage the error is about, when it is about one.
    pub fn stage(&self) -> Option<&str> {
        match self {
            LoadError::Resolve { stage, .. } => stage.as_deref(),
            LoadError::Definition { stage, .. } => Some(stage),
            LoadError::Schema { issues, .. } => {
                issues
                    .iter()
                    .find_map(|(issue, _)| match (issue.path.first(), issue.path.get(1)) {
                        (Some(PathSegment::Key(top)), Some(PathSegment::Key(stage)))
                            if top == "stages" =>
                        {
                            Some(stage.as_str())
                        }
                        _ => None,
                    })
            }
            _ => None,
        }
    }
}

/// DVC's `make_relpath`: `./` in front of paths not starting with `..`.
fn dot_relative(file: &str) -> String {
    if file.starts_with("..") {
        file.to_owned()
    } else {
        format!("./{file}")
    }
}

fn schema_message(file: &str, issues: &[(SchemaIssue, Option<Position>)]) -> String {
    let mut message = format!("'{}' validation failed", dot_relative(file));
    if issues.len() > 1 {
        message.push_str(&format!(": {} errors", issues.len()));
    }
    message.push('.');
    for (issue, position) in issues {
        message.push_str("\n\n");
        message.push_str(&issue.to_string());
        if let Some(position) = position {
            message.push_str(&format!(", {position}"));
        }
    }
    message
}
