//! Binary encodings of stored values (entries and segment statuses).

use skope_proto::{Entry, Metadata, Record, Trx, Uuid};

/// Encode one entry value: `ts i64 | trx.id 16 | trx.number u64 | payload len u32 | payload |
/// metadata count u32 | (klen u32, k, vlen u32, v)*`. Space, segment and sequence live in the key.
pub(crate) fn encode_entry(out: &mut Vec<u8>, ts: i64, trx: &Trx, record: &Record) {
    out.clear();
    let payload = record.payload.as_deref().unwrap_or_default();
    out.reserve(40 + payload.len());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(trx.id.as_bytes());
    out.extend_from_slice(&trx.number.to_be_bytes());
    put_bytes(out, payload);
    put_len(out, record.metadata.len());
    for (k, v) in &record.metadata {
        put_bytes(out, k.as_bytes());
        put_bytes(out, v.as_bytes());
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_len(out, b.len());
    out.extend_from_slice(b);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize)
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        Some(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
}

/// The timestamp of an encoded entry (its first 8 bytes).
pub(crate) fn entry_timestamp(value: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(value.get(..8)?.try_into().ok()?))
}

/// Decode an entry value.
pub(crate) fn decode_entry(
    space: &str,
    segment: &str,
    sequence: u64,
    value: &[u8],
) -> Option<Entry> {
    let mut r = Reader(value);
    #[allow(clippy::cast_possible_wrap)]
    let timestamp = r.u64()? as i64;
    let id = Uuid::from_slice(r.take(16)?).ok()?;
    let number = r.u64()?;
    let payload = r.bytes()?.to_vec();
    let n = r.u32()?;
    let mut metadata = Metadata::new();
    for _ in 0..n {
        let k = r.string()?;
        let v = r.string()?;
        metadata.insert(k, v);
    }
    Some(Entry {
        sequence,
        timestamp,
        trx: Trx {
            id,
            node: Uuid::nil(),
            number,
        },
        payload: Some(payload),
        metadata,
        space: space.to_owned(),
        segment: segment.to_owned(),
    })
}

/// The stored state of a segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StatusValue {
    pub first_sequence: u64,
    pub first_timestamp: i64,
    pub last_sequence: u64,
    pub last_timestamp: i64,
    pub last_trx: u64,
}

impl StatusValue {
    pub(crate) fn encode(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..8].copy_from_slice(&self.first_sequence.to_be_bytes());
        out[8..16].copy_from_slice(&self.first_timestamp.to_be_bytes());
        out[16..24].copy_from_slice(&self.last_sequence.to_be_bytes());
        out[24..32].copy_from_slice(&self.last_timestamp.to_be_bytes());
        out[32..].copy_from_slice(&self.last_trx.to_be_bytes());
        out
    }

    pub(crate) fn decode(b: &[u8]) -> Option<Self> {
        let mut r = Reader(b);
        #[allow(clippy::cast_possible_wrap)]
        Some(StatusValue {
            first_sequence: r.u64()?,
            first_timestamp: r.u64()? as i64,
            last_sequence: r.u64()?,
            last_timestamp: r.u64()? as i64,
            last_trx: r.u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trip() {
        let mut md = Metadata::new();
        md.insert("k".into(), "v".into());
        let rec = Record {
            sequence: 9,
            payload: None,
            metadata: md.clone(),
        };
        let trx = Trx {
            id: Uuid::new_v4(),
            node: Uuid::nil(),
            number: 3,
        };
        let mut buf = Vec::new();
        encode_entry(&mut buf, -5, &trx, &rec);
        let e = decode_entry("s", "g", 9, &buf);
        assert_eq!(
            e,
            Some(Entry {
                sequence: 9,
                timestamp: -5,
                trx,
                payload: Some(Vec::new()),
                metadata: md,
                space: "s".into(),
                segment: "g".into()
            })
        );
        assert_eq!(entry_timestamp(&buf), Some(-5));
    }
}
