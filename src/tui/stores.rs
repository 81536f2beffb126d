//! The store picker's data (`s`, `:store`): stores from the config profile (with their names),
//! the recent history (`<data dir>/recent_stores`, newest first), the token's
//! `streamkit::<uuid>` scopes, and the embedded node's disk.
//! The file helpers here are called by the app loop only (never by `update`).

use skope_client::Uuid;
use std::path::{Path, PathBuf};

/// Stores kept in the recent history.
pub const RECENT_MAX: usize = 10;

/// Where a store in the picker comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    Current,
    /// The config profile's `stores`.
    Profile,
    Recent,
    Token,
    Disk,
}

impl Origin {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Origin::Current => "current",
            Origin::Profile => "profile",
            Origin::Recent => "recent",
            Origin::Token => "token",
            Origin::Disk => "disk",
        }
    }
}

/// One row of the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreChoice {
    pub id: Uuid,
    /// Every source that lists it (first: the one it sorts by).
    pub origins: Vec<Origin>,
}

/// Where the picker looks (fixed at start).
#[derive(Debug, Clone, Default)]
pub struct StoreSources {
    /// The config profile's stores, in its order.
    pub profile: Vec<Uuid>,
    /// Stores the token grants (`streamkit::<uuid>` scopes).
    pub token: Vec<Uuid>,
    /// The embedded node's data dir (its stores on disk).
    pub data_dir: Option<PathBuf>,
    /// `recent_stores` (one UUID a line, newest first).
    pub recent_file: Option<PathBuf>,
}

/// Merge the sources into rows: current first, then the lists in their order (the app loads
/// profile, recent, token, disk).
#[must_use]
pub fn merge(current: Uuid, lists: &[(Origin, Vec<Uuid>)]) -> Vec<StoreChoice> {
    let mut out: Vec<StoreChoice> = vec![StoreChoice {
        id: current,
        origins: vec![Origin::Current],
    }];
    for (origin, ids) in lists {
        for id in ids {
            match out.iter_mut().find(|c| c.id == *id) {
                Some(c) => {
                    if !c.origins.contains(origin) {
                        c.origins.push(*origin);
                    }
                }
                None => out.push(StoreChoice {
                    id: *id,
                    origins: vec![*origin],
                }),
            }
        }
    }
    out
}

/// The recent stores in `path` (missing or unreadable: none).
#[must_use]
pub fn load_recent(path: &Path) -> Vec<Uuid> {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter_map(|l| Uuid::parse_str(l.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Put `id` first in the recent history at `path` (at most [`RECENT_MAX`]).
///
/// # Errors
/// The file cannot be written.
pub fn remember(path: &Path, id: Uuid) -> std::io::Result<()> {
    let mut ids = load_recent(path);
    ids.retain(|x| *x != id);
    ids.insert(0, id);
    ids.truncate(RECENT_MAX);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text: String = ids.iter().map(|i| format!("{i}\n")).collect();
    std::fs::write(path, text)
}

/// The stores of the embedded node's data dir.
#[must_use]
pub fn on_disk(data_dir: &Path) -> Vec<Uuid> {
    skope_node::storage::Storage::open(data_dir)
        .and_then(|s| s.stores())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_orders_and_dedups() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let rows = merge(
            a,
            &[
                (Origin::Recent, vec![b, a]),
                (Origin::Token, vec![c, b]),
                (Origin::Disk, vec![a]),
            ],
        );
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![a, b, c]);
        assert_eq!(
            rows[0].origins,
            vec![Origin::Current, Origin::Recent, Origin::Disk]
        );
        assert_eq!(rows[1].origins, vec![Origin::Recent, Origin::Token]);
    }

    #[test]
    fn recent_history_is_newest_first_and_bounded() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub").join("recent_stores");
        assert!(load_recent(&path).is_empty());
        for i in 0..12 {
            remember(&path, Uuid::from_u128(i)).expect("write");
        }
        remember(&path, Uuid::from_u128(5)).expect("write");
        let ids = load_recent(&path);
        assert_eq!(ids.len(), RECENT_MAX);
        assert_eq!(ids[0], Uuid::from_u128(5));
        assert_eq!(ids[1], Uuid::from_u128(11));
    }
}
