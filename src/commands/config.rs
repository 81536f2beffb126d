//! `skope config`: where the config file is and which profiles it has (see `src/config.rs`).

use crate::cli::{ConfigArgs, ConfigWhat, Global};
use crate::config::{self, Config};
use color_eyre::eyre::{Result, eyre};
use std::process::ExitCode;

/// `skope config path` prints the path (without reading the file, so a broken file can be
/// found); `skope config` prints one JSON object: the path, whether it exists, the profiles,
/// and the one in effect.
pub fn run(global: &Global, args: &ConfigArgs) -> Result<ExitCode> {
    if let Some(ConfigWhat::Path) = args.what {
        let path = global
            .config
            .clone()
            .or_else(config::default_path)
            .ok_or_else(|| eyre!("no config directory (no home directory): pass --config"))?;
        println!("{}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let config = Config::load(global.config.as_deref())?;
    let active = config
        .profile(global.profile.as_deref())?
        .map(|(name, _)| name);
    let out = serde_json::json!({
        // `display`: a path that is not UTF-8 has no JSON string (serializing it would fail).
        "path": config.path.as_ref().map(|p| p.display().to_string()),
        "exists": config.loaded,
        "default_profile": config.file.default_profile,
        "profile": active,
        "profiles": config.file.profiles.keys().collect::<Vec<_>>(),
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
