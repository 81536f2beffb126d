//! Building a client from the global options: the embedded node under `--data-dir`.

use crate::cli::{DEFAULT_STORE, Global, RetryChoice};
use crate::local::LocalConnector;
use color_eyre::eyre::{Result, WrapErr};
use skope_client::{Client, RetryPolicy};
use std::path::PathBuf;
use uuid::Uuid;

/// A connected client plus the store its commands address.
pub struct Session {
    pub client: Client,
    pub store: Uuid,
    pub read_only: bool,
}

/// The data directory: `--data-dir`, else the platform data dir (e.g. `~/.local/share/skope`).
pub fn data_dir(global: &Global) -> Result<PathBuf> {
    if let Some(d) = &global.data_dir {
        return Ok(d.clone());
    }
    directories::ProjectDirs::from("", "", "skope")
        .map(|p| p.data_dir().to_path_buf())
        .ok_or_else(|| color_eyre::eyre::eyre!("no home directory: pass --data-dir"))
}

pub fn retry_policy(choice: RetryChoice) -> RetryPolicy {
    match choice {
        RetryChoice::Default => RetryPolicy::default_policy(),
        RetryChoice::Aggressive => RetryPolicy::aggressive(),
    }
}

/// Connect a client to the embedded node of the data dir (owned here or by another skope).
pub fn open(global: &Global) -> Result<Session> {
    let dir = data_dir(global)?;
    let connector = LocalConnector::new(&dir).wrap_err("cannot prepare the data dir")?;
    let client = Client::builder(connector)
        .retry_policy(retry_policy(global.retry))
        .build();
    Ok(Session {
        client,
        store: global.store.unwrap_or(DEFAULT_STORE),
        read_only: global.read_only,
    })
}

impl Session {
    /// Refuse a write in read-only mode.
    pub fn check_writable(&self, what: &str) -> Result<()> {
        if self.read_only {
            color_eyre::eyre::bail!("read-only mode: refusing to {what}");
        }
        Ok(())
    }
}
