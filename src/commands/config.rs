//! `skope config`: where the config file is and which profiles it has (see `src/config.rs`).

use crate::cli::{ConfigArgs, ConfigWhat};
use crate::config::Config;
use color_eyre::eyre::{Result, eyre};
use std::process::ExitCode;

/// `skope config path` prints the path; `skope config` one JSON object: the path, whether
/// it exists, the profiles, and the one in effect.
pub fn run(config: &Config, profile: Option<&str>, args: &ConfigArgs) -> Result<ExitCode> {
    let path = config
        .path
        .as_ref()
        .ok_or_else(|| eyre!("no config directory (no home directory): pass --config"))?;
    match args.what {
        Some(ConfigWhat::Path) => println!("{}", path.display()),
        None => {
            let active = config.profile(profile)?.map(|(name, _)| name);
            let out = serde_json::json!({
                "path": path,
                "exists": config.loaded,
                "default_profile": config.file.default_profile,
                "profile": active,
                "profiles": config.file.profiles.keys().collect::<Vec<_>>(),
            });
            println!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
