//! Every message of PROTOCOL.md §3.2, with Go's JSON names, key order and omit rules.

use crate::b64;
use crate::lexkey::{LexKey, Part};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Metadata: Go maps serialize with sorted keys, which a `BTreeMap` gives us for free.
pub type Metadata = BTreeMap<String, String>;

/// Lexkey constants of `pkg/api/constants.go`.
pub const DATA: &str = "DAT";
pub const INVENTORY: &str = "INV";
pub const TRANSACTION: &str = "TXN";
pub const SPACES: &str = "SPACES";
pub const SEGMENTS: &str = "SEGMENTS";
pub const SEGMENT_STATUSES: &str = "SEGMENT_STATUSES";

/// Worker presence defaults (`pkg/api/worker_presence.go`).
pub const WORKER_RENEW_INTERVAL_SECONDS: i64 = 30;
pub const WORKER_HEARTBEAT_MIN_SECONDS: i64 = 1;
pub const WORKER_HEARTBEAT_MAX_SECONDS: i64 = 300;

/// Worker TTL on the server: max(3 × interval, 30 s).
#[must_use]
pub fn worker_ttl_seconds(interval_seconds: i64) -> i64 {
    (3 * interval_seconds.clamp(WORKER_HEARTBEAT_MIN_SECONDS, WORKER_HEARTBEAT_MAX_SECONDS)).max(30)
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

/// Transaction stamp shared by every entry of one committed chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trx {
    #[serde(default)]
    pub id: Uuid,
    #[serde(default)]
    pub node: Uuid,
    #[serde(default)]
    pub number: u64,
}

/// What a producer sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    #[serde(default)]
    pub sequence: u64,
    #[serde(default, with = "b64::opt")]
    pub payload: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: Metadata,
}

impl Record {
    /// Decode a record payload: Go's canonical shape fast, anything else exactly as Go would.
    ///
    /// # Errors
    /// Not a record.
    pub fn decode(bytes: &[u8]) -> Result<Record, serde_json::Error> {
        match crate::fastpath::record(bytes) {
            Some(r) => Ok(r),
            None => crate::decode_bare(bytes),
        }
    }

    #[must_use]
    pub fn new(sequence: u64, payload: impl Into<Vec<u8>>) -> Self {
        Record {
            sequence,
            payload: Some(payload.into()),
            metadata: Metadata::new(),
        }
    }

    #[must_use]
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }
}

/// What readers receive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub sequence: u64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub timestamp: i64,
    #[serde(default)]
    pub trx: Trx,
    #[serde(default, with = "b64::opt")]
    pub payload: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: Metadata,
    #[serde(default)]
    pub space: String,
    #[serde(default)]
    pub segment: String,
}

impl Entry {
    /// `GetSpaceOffset()`: DAT, SPACES, space, timestamp, segment, sequence.
    #[must_use]
    pub fn space_offset(&self) -> LexKey {
        space_offset(&self.space, self.timestamp, &self.segment, self.sequence)
    }

    /// `GetSegmentOffset()`: DAT, SEGMENTS, space, segment, sequence.
    #[must_use]
    pub fn segment_offset(&self) -> LexKey {
        segment_offset(&self.space, &self.segment, self.sequence)
    }

    /// Encode as Go does (byte-identical to `encode_bare`, written by hand for speed).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            160 + self.payload_bytes().len() * 4 / 3 + self.space.len() + self.segment.len(),
        );
        crate::fastpath::write_entry(self, &mut out);
        out
    }

    /// Decode an entry payload: Go's canonical shape fast, anything else exactly as Go would.
    ///
    /// # Errors
    /// Not an entry.
    pub fn decode(bytes: &[u8]) -> Result<Entry, serde_json::Error> {
        match crate::fastpath::entry(bytes) {
            Some(e) => Ok(e),
            None => crate::decode_bare(bytes),
        }
    }

    /// The payload bytes (empty when null).
    #[must_use]
    pub fn payload_bytes(&self) -> &[u8] {
        self.payload.as_deref().unwrap_or_default()
    }

    /// The check of Go's `isValidConsumeEntry`.
    #[must_use]
    pub fn is_valid_consumed(&self) -> bool {
        !self.space.is_empty()
            && !self.segment.is_empty()
            && self.sequence != 0
            && self.timestamp != 0
            && self.payload.is_some()
    }

    /// The answer to a peek of an empty segment.
    #[must_use]
    pub fn empty(space: &str, segment: &str) -> Self {
        Entry {
            space: space.to_owned(),
            segment: segment.to_owned(),
            ..Entry::default()
        }
    }
}

/// Space offset of an entry at these coordinates.
#[must_use]
pub fn space_offset(space: &str, timestamp: i64, segment: &str, sequence: u64) -> LexKey {
    LexKey::encode(&[
        Part::Str(DATA),
        Part::Str(SPACES),
        Part::Str(space),
        Part::I64(timestamp),
        Part::Str(segment),
        Part::U64(sequence),
    ])
}

/// Segment offset of an entry at these coordinates.
#[must_use]
pub fn segment_offset(space: &str, segment: &str, sequence: u64) -> LexKey {
    LexKey::encode(&[
        Part::Str(DATA),
        Part::Str(SEGMENTS),
        Part::Str(space),
        Part::Str(segment),
        Part::U64(sequence),
    ])
}

/// First/last sequence and timestamps of a segment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentStatus {
    #[serde(default)]
    pub space: String,
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub first_sequence: u64,
    #[serde(default)]
    pub first_timestamp: i64,
    #[serde(default)]
    pub last_sequence: u64,
    #[serde(default)]
    pub last_timestamp: i64,
    #[serde(default)]
    pub heartbeat: bool,
}

/// `segment_notification` (server bus only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentNotification {
    #[serde(default)]
    pub store_id: Uuid,
    #[serde(default)]
    pub segment_status: SegmentStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peek {
    #[serde(default)]
    pub space: String,
    #[serde(default)]
    pub segment: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Produce {
    #[serde(default)]
    pub space: String,
    #[serde(default)]
    pub segment: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumeSegment {
    #[serde(default)]
    pub space: String,
    #[serde(default)]
    pub segment: String,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub min_sequence: u64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub min_timestamp: i64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub max_sequence: u64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_timestamp: i64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub limit: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumeSpace {
    #[serde(default)]
    pub space: String,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub min_timestamp: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_timestamp: i64,
    #[serde(default, skip_serializing_if = "LexKey::is_empty")]
    pub offset: LexKey,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub limit: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consume {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub min_timestamp: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_timestamp: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub offsets: BTreeMap<String, LexKey>,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub limit: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSpaces {}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSegments {
    #[serde(default)]
    pub space: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetStatus {}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeToSegmentStatus {
    #[serde(default)]
    pub space: String,
    /// `*` = every segment of the space.
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub heartbeat_interval_seconds: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseAcquire {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub ttl_seconds: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRenew {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub ttl_seconds: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRelease {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub holder: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseResult {
    #[serde(default)]
    pub ok: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl LeaseResult {
    #[must_use]
    pub fn ok() -> Self {
        LeaseResult {
            ok: true,
            message: String::new(),
        }
    }
    #[must_use]
    pub fn refused(message: impl Into<String>) -> Self {
        LeaseResult {
            ok: false,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeWorkers {
    /// Nil UUID = observer.
    #[serde(default)]
    pub worker_id: Uuid,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: Metadata,
    #[serde(default)]
    pub heartbeat_interval_seconds: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    #[serde(default)]
    pub worker_id: Uuid,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: Metadata,
    #[serde(default)]
    pub last_seen_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInventory {
    #[serde(default, deserialize_with = "null_as_empty_vec")]
    pub workers: Vec<WorkerInfo>,
    #[serde(default)]
    pub timestamp: i64,
}

fn null_as_empty_vec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<WorkerInfo>, D::Error> {
    Ok(Option::<Vec<WorkerInfo>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    #[serde(default)]
    pub worker_id: Uuid,
    #[serde(default)]
    pub heartbeat: bool,
    #[serde(default)]
    pub timestamp: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInventoryNotification {
    #[serde(default)]
    pub store_id: Uuid,
    #[serde(default)]
    pub inventory: WorkerInventory,
}
