//! Streaming scans. Each scan owns a read transaction (a consistent snapshot) and lazily
//! walks redb ranges, so a million-entry scan never sits in memory.

use super::keys::{self, GO_SPACE_PREFIX};
use super::{
    CHUNKS, ENTRIES, SegmentQuery, SpaceQuery, StorageError, codec, dberr, effective_limit, seq_of,
};
use redb::{ReadOnlyTable, ReadTransaction};
use skope_proto::Entry;
use std::ops::Bound;

type Table = ReadOnlyTable<&'static [u8], &'static [u8]>;
type Range = redb::Range<'static, &'static [u8], &'static [u8]>;

/// Entries of one segment, ascending by sequence, filtered per [`SegmentQuery`].
pub struct SegmentScan {
    _txn: ReadTransaction,
    range: Option<Range>,
    space: String,
    segment: String,
    min_timestamp: i64,
    max_timestamp: i64,
    remaining: u64,
}

impl SegmentScan {
    pub(super) fn new(txn: ReadTransaction, q: &SegmentQuery) -> Result<Self, StorageError> {
        let max_seq = if q.max_sequence == 0 {
            u64::MAX
        } else {
            q.max_sequence
        };
        let empty = q.max_sequence != 0 && q.min_sequence != 0 && q.max_sequence < q.min_sequence;
        let range = if empty {
            None
        } else {
            let t: Table = txn.open_table(ENTRIES).map_err(dberr)?;
            let start = keys::entry_key(&q.space, &q.segment, q.min_sequence);
            let end = keys::entry_key(&q.space, &q.segment, max_seq);
            Some(t.range(start.as_slice()..=end.as_slice()).map_err(dberr)?)
        };
        Ok(SegmentScan {
            _txn: txn,
            range,
            space: q.space.clone(),
            segment: q.segment.clone(),
            min_timestamp: q.min_timestamp,
            max_timestamp: if q.max_timestamp == 0 {
                i64::MAX
            } else {
                q.max_timestamp
            },
            remaining: effective_limit(q.limit),
        })
    }
}

impl Iterator for SegmentScan {
    type Item = Result<Entry, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.remaining == 0 {
                return None;
            }
            let range = self.range.as_mut()?;
            let (k, v) = match range.next()? {
                Ok(kv) => kv,
                Err(e) => {
                    self.range = None;
                    return Some(Err(dberr(e)));
                }
            };
            let value = v.value();
            let Some(ts) = codec::entry_timestamp(value) else {
                return Some(Err(StorageError::Corrupt(k.value().to_vec())));
            };
            if ts > self.max_timestamp {
                // Timestamps never decrease along a segment: nothing later can match.
                self.range = None;
                return None;
            }
            if ts <= self.min_timestamp {
                continue;
            }
            self.remaining -= 1;
            let seq = seq_of(k.value());
            return Some(
                codec::decode_entry(&self.space, &self.segment, seq, value)
                    .ok_or_else(|| StorageError::Corrupt(k.value().to_vec())),
            );
        }
    }
}

/// A chunk to read: its segment and the sequence span still to emit.
struct Pending {
    segment: String,
    ts: i64,
    from: u64,
    to: u64,
}

/// Entries of one space in (timestamp, segment, sequence) order, filtered per [`SpaceQuery`].
pub struct SpaceScan {
    txn: ReadTransaction,
    entries: Option<Table>,
    chunks: Option<Range>,
    first: Option<Pending>,
    current: Option<(String, Range)>,
    space: String,
    min_timestamp: i64,
    max_timestamp: i64,
    remaining: u64,
}

impl SpaceScan {
    pub(super) fn new(txn: ReadTransaction, q: &SpaceQuery) -> Result<Self, StorageError> {
        let space = q.space.clone();
        let mut scan = SpaceScan {
            txn,
            entries: None,
            chunks: None,
            first: None,
            current: None,
            min_timestamp: q.min_timestamp,
            max_timestamp: if q.max_timestamp == 0 {
                i64::MAX
            } else {
                q.max_timestamp
            },
            remaining: effective_limit(q.limit),
            space,
        };
        let start = keys::space_start(&q.space);
        let end = keys::space_end(&q.space);
        // Lower bound in our key space. Go: max(range start, offset ‖ 0x00) over full keys.
        let lower: Vec<u8> = if q.offset.is_empty() {
            if q.min_timestamp > 0 {
                let mut k = start.clone();
                k.extend_from_slice(&keys::ts_bytes(q.min_timestamp.saturating_add(1)));
                k
            } else {
                start.clone()
            }
        } else {
            let mut go_lb = q.offset.clone();
            go_lb.push(0);
            let mut go_start = GO_SPACE_PREFIX.to_vec();
            go_start.extend_from_slice(&start);
            let mut go_end = GO_SPACE_PREFIX.to_vec();
            go_end.extend_from_slice(&end);
            if go_lb >= go_end {
                return Ok(scan);
            }
            if go_lb <= go_start {
                start.clone()
            } else {
                go_lb[GO_SPACE_PREFIX.len()..].to_vec()
            }
        };
        let entries: Table = scan.txn.open_table(ENTRIES).map_err(dberr)?;
        let chunks: Table = scan.txn.open_table(CHUNKS).map_err(dberr)?;
        // The chunk that starts at or before `lower` may still hold entries at or after it.
        if let Some(item) = chunks
            .range::<&[u8]>((
                Bound::Included(start.as_slice()),
                Bound::Included(lower.as_slice()),
            ))
            .map_err(dberr)?
            .next_back()
        {
            let (k, v) = item.map_err(dberr)?;
            let ck = keys::parse_chunk_key(&scan.space, k.value())
                .ok_or_else(|| StorageError::Corrupt(k.value().to_vec()))?;
            let last = seq_of(v.value());
            // Entry keys of a chunk grow with the sequence: find the first one >= lower.
            let (mut lo, mut hi) = (ck.first_sequence, last.saturating_add(1));
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if keys::space_key(&scan.space, ck.ts, &ck.segment, mid) >= lower {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            if lo <= last {
                scan.first = Some(Pending {
                    segment: ck.segment,
                    ts: ck.ts,
                    from: lo,
                    to: last,
                });
            }
        }
        scan.chunks = Some(
            chunks
                .range::<&[u8]>((
                    Bound::Excluded(lower.as_slice()),
                    Bound::Excluded(end.as_slice()),
                ))
                .map_err(dberr)?,
        );
        scan.entries = Some(entries);
        Ok(scan)
    }

    fn next_chunk(&mut self) -> Option<Result<Pending, StorageError>> {
        if let Some(p) = self.first.take() {
            return Some(Ok(p));
        }
        let (k, v) = match self.chunks.as_mut()?.next()? {
            Ok(kv) => kv,
            Err(e) => return Some(Err(dberr(e))),
        };
        let Some(ck) = keys::parse_chunk_key(&self.space, k.value()) else {
            return Some(Err(StorageError::Corrupt(k.value().to_vec())));
        };
        Some(Ok(Pending {
            segment: ck.segment,
            ts: ck.ts,
            from: ck.first_sequence,
            to: seq_of(v.value()),
        }))
    }

    fn stop(&mut self) {
        self.chunks = None;
        self.current = None;
        self.first = None;
    }
}

impl Iterator for SpaceScan {
    type Item = Result<Entry, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.remaining == 0 {
                return None;
            }
            if let Some((segment, range)) = self.current.as_mut() {
                match range.next() {
                    Some(Ok((k, v))) => {
                        self.remaining -= 1;
                        let seq = seq_of(k.value());
                        return Some(
                            codec::decode_entry(&self.space, segment, seq, v.value())
                                .ok_or_else(|| StorageError::Corrupt(k.value().to_vec())),
                        );
                    }
                    Some(Err(e)) => {
                        self.stop();
                        return Some(Err(dberr(e)));
                    }
                    None => self.current = None,
                }
            }
            let chunk = match self.next_chunk()? {
                Ok(c) => c,
                Err(e) => {
                    self.stop();
                    return Some(Err(e));
                }
            };
            if chunk.ts > self.max_timestamp {
                self.stop();
                return None;
            }
            if chunk.ts <= self.min_timestamp {
                continue;
            }
            let start = keys::entry_key(&self.space, &chunk.segment, chunk.from);
            let end = keys::entry_key(&self.space, &chunk.segment, chunk.to);
            let range = match self
                .entries
                .as_ref()?
                .range(start.as_slice()..=end.as_slice())
            {
                Ok(r) => r,
                Err(e) => {
                    self.stop();
                    return Some(Err(dberr(e)));
                }
            };
            self.current = Some((chunk.segment, range));
        }
    }
}
