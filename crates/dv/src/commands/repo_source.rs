//! The arguments `get`, `import` (and `ls`, `du`) share to name a source repository:
//! `URL`, `--rev`, `--config`, `--remote`, `--remote-config`.

use clap::Args;
use dv_repo::ArgumentError;
use dv_repo::sources::SourceSpec;

#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Git revision (e.g. SHA, branch, tag).
    #[arg(long, value_name = "<commit>")]
    pub rev: Option<String>,
    /// Path to a config file that will be merged with the config in the target repository.
    #[arg(long, value_name = "CONFIG")]
    pub config: Option<String>,
    /// Remote name to set as a default in the target repository.
    #[arg(long)]
    pub remote: Option<String>,
    /// Remote config options to merge with a remote's config (default or one specified by
    /// '--remote') in the target repository.
    #[arg(long, value_name = "name>=<value", num_args = 1..)]
    pub remote_config: Vec<String>,
}

impl SourceArgs {
    /// The source `url` names with these options.
    pub fn spec(&self, url: &str) -> anyhow::Result<SourceSpec> {
        let mut remote_config = Vec::new();
        for pair in &self.remote_config {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(ArgumentError(format!(
                    "argument --remote-config: Could not parse argument \"{pair}\" as k1=v1 k2=v2 ... format"
                ))
                .into());
            };
            remote_config.push((key.to_owned(), value.to_owned()));
        }
        Ok(SourceSpec {
            url: url.to_owned(),
            rev: self.rev.clone(),
            config: self.config.clone(),
            remote: self.remote.clone(),
            remote_config,
        })
    }
}
