//! redb-backed storage: one database file per store at `<data_dir>/stores/<uuid>.redb`,
//! opened on demand and cached. The API is synchronous; the server calls it from blocking
//! threads.
//!
//! Tables of a store (keys are the lexkeys of PROTOCOL §6 without their constant prefixes):
//!
//! | table | key | value |
//! |---|---|---|
//! | `entries` | `space \0 segment \0 seq` | the entry (timestamp, trx, payload, metadata) |
//! | `chunks` | `space \0 ts \0 segment \0 first_seq` | last seq of the chunk |
//! | `status` | `space \0 segment` | first/last sequence + timestamp, last trx number |
//! | `spaces` | `space` | – |
//!
//! Every entry is stored once, in `entries` (ordered by sequence within a segment). The space
//! order (timestamp, segment, sequence) comes from `chunks`: all entries of one committed chunk
//! share one timestamp, one segment and consecutive sequences, so one index key per chunk
//! orders the whole space and a space scan walks `chunks` and range-scans `entries` per chunk.

mod codec;
mod keys;
mod scan;

pub use scan::{SegmentScan, SpaceScan};

use codec::StatusValue;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use skope_proto::{Entry, Record, SegmentStatus, Trx, Uuid};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub(crate) const ENTRIES: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("entries");
pub(crate) const CHUNKS: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("chunks");
pub(crate) const STATUS: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("status");
pub(crate) const SPACES: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("spaces");

/// Largest number of entries one read returns (`serverMaxConsumeEntries`).
pub const MAX_CONSUME_ENTRIES: u64 = 10_000_000;

/// Page cache of one store's database.
const STORE_CACHE_BYTES: usize = 64 << 20;

/// A storage failure (I/O or database).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage: {0}")]
    Db(#[from] redb::Error),
    #[error("corrupt stored value under key {0:02x?}")]
    Corrupt(Vec<u8>),
}

fn dberr<E: Into<redb::Error>>(e: E) -> StorageError {
    StorageError::Db(e.into())
}

/// Why a chunk was not committed; `Display` is the text the server sends (`close(E)`).
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    #[error("sequence gap: expected {expected}, got {got}")]
    SequenceGap { expected: u64, got: u64 },
    #[error("invalid produce args")]
    InvalidArgs,
    #[error("empty chunk unexpectedly")]
    EmptyChunk,
    #[error("failed to commit batch: {0}")]
    Storage(#[from] StorageError),
}

/// Result of one committed chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The segment status after the chunk (first = first entry ever, last = this chunk's last).
    pub status: SegmentStatus,
    /// The transaction stamped on every entry of the chunk.
    pub trx: Trx,
    /// The timestamp of every entry of the chunk.
    pub timestamp: i64,
}

/// Filters of a segment scan (PROTOCOL §4.5). Zero means "not set" everywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentQuery {
    pub space: String,
    pub segment: String,
    /// Inclusive.
    pub min_sequence: u64,
    /// Inclusive; 0 = unbounded; below `min_sequence` = nothing.
    pub max_sequence: u64,
    /// Exclusive.
    pub min_timestamp: i64,
    /// Inclusive; 0 = unbounded.
    pub max_timestamp: i64,
    /// 0 or `u64::MAX` = unlimited, else `min(limit, 10_000_000)`.
    pub limit: u64,
}

/// Filters of a space scan (PROTOCOL §4.6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpaceQuery {
    pub space: String,
    /// Exclusive resume point: a Go space offset (raw lexkey bytes); empty = from the start.
    pub offset: Vec<u8>,
    /// Exclusive.
    pub min_timestamp: i64,
    /// Inclusive; 0 = unbounded.
    pub max_timestamp: i64,
    pub limit: u64,
}

/// The effective entry limit of a read request.
#[must_use]
pub fn effective_limit(limit: u64) -> u64 {
    if limit == 0 || limit == u64::MAX {
        u64::MAX
    } else {
        limit.min(MAX_CONSUME_ENTRIES)
    }
}

/// All stores under one data directory.
#[derive(Debug)]
pub struct Storage {
    dir: PathBuf,
    stores: Mutex<HashMap<Uuid, Arc<Store>>>,
}

impl Storage {
    /// Open (creating if needed) the data directory.
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, StorageError> {
        let dir = data_dir.as_ref().join("stores");
        std::fs::create_dir_all(&dir)?;
        Ok(Storage {
            dir,
            stores: Mutex::new(HashMap::new()),
        })
    }

    /// The store `id`, opened (and created) on first use.
    ///
    /// # Errors
    /// The database file cannot be opened.
    pub fn store(&self, id: Uuid) -> Result<Arc<Store>, StorageError> {
        let mut stores = self
            .stores
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = stores.get(&id) {
            return Ok(s.clone());
        }
        let path = self.dir.join(format!("{id}.redb"));
        let store = Arc::new(Store::open(id, &path)?);
        stores.insert(id, store.clone());
        Ok(store)
    }

    /// UUIDs of the stores found on disk.
    ///
    /// # Errors
    /// The directory cannot be read.
    pub fn stores(&self) -> Result<Vec<Uuid>, StorageError> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir)? {
            let name = e?.file_name();
            let name = name.to_string_lossy();
            if let Some(id) = name
                .strip_suffix(".redb")
                .and_then(|s| Uuid::parse_str(s).ok())
            {
                out.push(id);
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// One store: a redb database.
#[derive(Debug)]
pub struct Store {
    id: Uuid,
    db: redb::Database,
}

impl Store {
    fn open(id: Uuid, path: &Path) -> Result<Self, StorageError> {
        let db = redb::Database::builder()
            .set_cache_size(STORE_CACHE_BYTES)
            .create(path)
            .map_err(dberr)?;
        let w = db.begin_write().map_err(dberr)?;
        for t in [ENTRIES, CHUNKS, STATUS, SPACES] {
            w.open_table(t).map_err(dberr)?;
        }
        w.commit().map_err(dberr)?;
        Ok(Store { id, db })
    }

    #[must_use]
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Validate and commit one chunk atomically and durably.
    ///
    /// Every record must have `sequence == last + 1` (the first violation fails the chunk and
    /// nothing of it is written). All entries get one timestamp (`now`, never lower than the
    /// segment's last timestamp) and one trx `{new v4, nil, last_trx + 1}`.
    ///
    /// # Errors
    /// [`ProduceError`]; its `Display` is the wire text.
    pub fn commit_chunk(
        &self,
        space: &str,
        segment: &str,
        records: &[Record],
    ) -> Result<Committed, ProduceError> {
        let mut done = self.commit_chunks(space, segment, &[records])?;
        done.pop().ok_or(ProduceError::EmptyChunk)
    }

    /// Commit several consecutive chunks in one durable write transaction (one fsync): each
    /// chunk still gets its own trx number and status, exactly as if committed one by one.
    /// Any validation failure writes nothing of any chunk.
    ///
    /// # Errors
    /// [`ProduceError`]; its `Display` is the wire text.
    pub fn commit_chunks(
        &self,
        space: &str,
        segment: &str,
        chunks: &[&[Record]],
    ) -> Result<Vec<Committed>, ProduceError> {
        if space.is_empty() || segment.is_empty() {
            return Err(ProduceError::InvalidArgs);
        }
        if chunks.is_empty() || chunks.iter().any(|c| c.is_empty()) {
            return Err(ProduceError::EmptyChunk);
        }
        let w = self.db.begin_write().map_err(dberr)?;
        let skey = keys::status_key(space, segment);
        let mut out = Vec::with_capacity(chunks.len());
        {
            let mut status = w.open_table(STATUS).map_err(dberr)?;
            let mut prev = match status.get(skey.as_slice()).map_err(dberr)? {
                Some(v) => StatusValue::decode(v.value())
                    .ok_or_else(|| StorageError::Corrupt(skey.clone()))?,
                None => StatusValue::default(),
            };
            let was_empty = prev.last_sequence == 0;
            for (expected, r) in
                (prev.last_sequence + 1..).zip(chunks.iter().flat_map(|c| c.iter()))
            {
                if r.sequence != expected {
                    return Err(ProduceError::SequenceGap {
                        expected,
                        got: r.sequence,
                    });
                }
            }
            let mut entries = w.open_table(ENTRIES).map_err(dberr)?;
            let mut chunk_index = w.open_table(CHUNKS).map_err(dberr)?;
            let mut key = keys::segment_prefix(space, segment);
            let plen = key.len();
            let mut value = Vec::new();
            for records in chunks {
                let (Some(first), Some(last)) = (records.first(), records.last()) else {
                    return Err(ProduceError::EmptyChunk);
                };
                let ts = skope_proto::now_ms().max(prev.last_timestamp);
                let trx = Trx {
                    id: Uuid::new_v4(),
                    node: Uuid::nil(),
                    number: prev.last_trx + 1,
                };
                for r in *records {
                    key.truncate(plen);
                    key.extend_from_slice(&r.sequence.to_be_bytes());
                    codec::encode_entry(&mut value, ts, &trx, r);
                    entries
                        .insert(key.as_slice(), value.as_slice())
                        .map_err(dberr)?;
                }
                let ckey = keys::space_key(space, ts, segment, first.sequence);
                chunk_index
                    .insert(ckey.as_slice(), last.sequence.to_be_bytes().as_slice())
                    .map_err(dberr)?;
                let first_known = prev.first_sequence != 0;
                prev = StatusValue {
                    first_sequence: if first_known {
                        prev.first_sequence
                    } else {
                        first.sequence
                    },
                    first_timestamp: if first_known {
                        prev.first_timestamp
                    } else {
                        ts
                    },
                    last_sequence: last.sequence,
                    last_timestamp: ts,
                    last_trx: trx.number,
                };
                out.push(Committed {
                    status: to_status(space, segment, &prev),
                    trx,
                    timestamp: ts,
                });
            }
            status
                .insert(skey.as_slice(), prev.encode().as_slice())
                .map_err(dberr)?;
            if was_empty {
                let mut spaces = w.open_table(SPACES).map_err(dberr)?;
                spaces
                    .insert(space.as_bytes(), [].as_slice())
                    .map_err(dberr)?;
            }
        }
        w.commit().map_err(dberr)?;
        Ok(out)
    }

    /// The stored status of a segment, `None` when it has no entries.
    ///
    /// # Errors
    /// Storage failures.
    pub fn segment_status(
        &self,
        space: &str,
        segment: &str,
    ) -> Result<Option<SegmentStatus>, StorageError> {
        let r = self.db.begin_read().map_err(dberr)?;
        let t = r.open_table(STATUS).map_err(dberr)?;
        let key = keys::status_key(space, segment);
        match t.get(key.as_slice()).map_err(dberr)? {
            None => Ok(None),
            Some(v) => {
                let s = StatusValue::decode(v.value()).ok_or(StorageError::Corrupt(key))?;
                Ok(Some(to_status(space, segment, &s)))
            }
        }
    }

    /// Statuses of every segment of `space` with data, ascending by segment name.
    ///
    /// # Errors
    /// Storage failures.
    pub fn space_statuses(&self, space: &str) -> Result<Vec<SegmentStatus>, StorageError> {
        let r = self.db.begin_read().map_err(dberr)?;
        let t = r.open_table(STATUS).map_err(dberr)?;
        let (start, end) = (keys::space_start(space), keys::space_end(space));
        let mut out = Vec::new();
        for item in t.range(start.as_slice()..end.as_slice()).map_err(dberr)? {
            let (k, v) = item.map_err(dberr)?;
            let key = k.value();
            let Some(seg) = key.get(start.len()..) else {
                continue;
            };
            let s = StatusValue::decode(v.value())
                .ok_or_else(|| StorageError::Corrupt(key.to_vec()))?;
            out.push(to_status(space, &String::from_utf8_lossy(seg), &s));
        }
        Ok(out)
    }

    /// The last entry of a segment, or the empty entry (`Entry::empty`).
    ///
    /// # Errors
    /// Storage failures.
    pub fn peek(&self, space: &str, segment: &str) -> Result<Entry, StorageError> {
        let r = self.db.begin_read().map_err(dberr)?;
        let t = r.open_table(ENTRIES).map_err(dberr)?;
        let start = keys::entry_key(space, segment, 0);
        let end = keys::entry_key(space, segment, u64::MAX);
        let mut range = t.range(start.as_slice()..=end.as_slice()).map_err(dberr)?;
        match range.next_back() {
            None => Ok(Entry::empty(space, segment)),
            Some(item) => {
                let (k, v) = item.map_err(dberr)?;
                let seq = seq_of(k.value());
                codec::decode_entry(space, segment, seq, v.value())
                    .ok_or_else(|| StorageError::Corrupt(k.value().to_vec()))
            }
        }
    }

    /// Every space with data, ascending bytewise.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_spaces(&self) -> Result<Vec<String>, StorageError> {
        let r = self.db.begin_read().map_err(dberr)?;
        let t = r.open_table(SPACES).map_err(dberr)?;
        let mut out = Vec::new();
        for item in t.iter().map_err(dberr)? {
            let (k, _) = item.map_err(dberr)?;
            out.push(String::from_utf8_lossy(k.value()).into_owned());
        }
        Ok(out)
    }

    /// Every segment of `space` with data (exact space name), ascending bytewise.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_segments(&self, space: &str) -> Result<Vec<String>, StorageError> {
        Ok(self
            .space_statuses(space)?
            .into_iter()
            .map(|s| s.segment)
            .collect())
    }

    /// Stream the entries of one segment in sequence order.
    ///
    /// # Errors
    /// Storage failures opening the scan (later ones come from the iterator).
    pub fn scan_segment(&self, q: &SegmentQuery) -> Result<SegmentScan, StorageError> {
        let r = self.db.begin_read().map_err(dberr)?;
        SegmentScan::new(r, q)
    }

    /// Stream the entries of one space in (timestamp, segment, sequence) order.
    ///
    /// # Errors
    /// Storage failures opening the scan.
    pub fn scan_space(&self, q: &SpaceQuery) -> Result<SpaceScan, StorageError> {
        let r = self.db.begin_read().map_err(dberr)?;
        SpaceScan::new(r, q)
    }
}

pub(crate) fn seq_of(key: &[u8]) -> u64 {
    key.len()
        .checked_sub(8)
        .and_then(|i| key[i..].try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

fn to_status(space: &str, segment: &str, s: &StatusValue) -> SegmentStatus {
    SegmentStatus {
        space: space.to_owned(),
        segment: segment.to_owned(),
        first_sequence: s.first_sequence,
        first_timestamp: s.first_timestamp,
        last_sequence: s.last_sequence,
        last_timestamp: s.last_timestamp,
        heartbeat: false,
    }
}
