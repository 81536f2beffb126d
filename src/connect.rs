//! Building a client from the global options (the config profile already merged in, see
//! `config.rs`): `--url` over WebSocket, else the embedded node under `--data-dir`.

use crate::cli::{DEFAULT_STORE, Global, RetryChoice};
use crate::local::LocalConnector;
use color_eyre::eyre::{Result, WrapErr};
use skope_client::{Client, RetryPolicy, TokenSource, WsConnector};
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

/// Connect a client: to `--url` over WebSocket, else to the embedded node of the data dir
/// (owned here or by another skope process).
pub fn open(global: &Global) -> Result<Session> {
    let (client, store) = match &global.url {
        Some(url) => {
            let token = token_source(global);
            let store = match global.store.or_else(|| single_scoped_store(global)) {
                Some(s) => s,
                None => {
                    // Servers do not list stores; say which one is used rather than guess silently.
                    eprintln!("skope: no --store given: using {DEFAULT_STORE}");
                    DEFAULT_STORE
                }
            };
            let mut builder = WsConnector::builder(url.clone()).token(token);
            if let Some(ca) = &global.ca_file {
                builder = builder.ca_file(ca.clone());
            }
            let connector = builder.build()?;
            (
                Client::builder(connector)
                    .retry_policy(retry_policy(global.retry.unwrap_or_default()))
                    .patient_subscriptions(true)
                    .build(),
                store,
            )
        }
        None => {
            let dir = data_dir(global)?;
            let connector = LocalConnector::new(&dir).wrap_err("cannot prepare the data dir")?;
            let client = Client::builder(connector)
                .retry_policy(retry_policy(global.retry.unwrap_or_default()))
                .patient_subscriptions(true)
                .build();
            (client, global.store.unwrap_or(DEFAULT_STORE))
        }
    };
    Ok(Session {
        client,
        store,
        read_only: global.read_only,
    })
}

fn token_source(global: &Global) -> TokenSource {
    if let Some(t) = &global.token {
        TokenSource::Static(t.0.clone())
    } else if let Some(f) = &global.token_file {
        TokenSource::File(f.clone())
    } else if let Some(c) = &global.token_cmd {
        TokenSource::Command(c.clone())
    } else {
        TokenSource::None
    }
}

/// The stores a static token's `streamkit::<uuid>` scopes name (unverified: for pickers).
#[must_use]
pub fn token_stores(global: &Global) -> Vec<Uuid> {
    stores_named(&token_scopes(global).unwrap_or_default())
}

fn stores_named(scopes: &[String]) -> Vec<Uuid> {
    scopes
        .iter()
        .filter_map(|s| s.strip_prefix("streamkit::"))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect()
}

fn token_scopes(global: &Global) -> Option<Vec<String>> {
    let token = match (&global.token, &global.token_file) {
        (Some(t), _) => t.0.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).ok()?.trim().to_owned(),
        _ => return None,
    };
    skope_node::auth::unverified_scopes(&token)
}

/// The store of a static token's only `streamkit::<uuid>` scope, if that is what it grants.
fn single_scoped_store(global: &Global) -> Option<Uuid> {
    let scopes = token_scopes(global)?;
    match stores_named(&scopes).as_slice() {
        [one] if !scopes.iter().any(|s| s == "streamkit::*") => Some(*one),
        _ => None,
    }
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
