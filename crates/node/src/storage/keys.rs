//! Byte keys of the store tables. They are the lexkeys of PROTOCOL §6 without the constant
//! `DAT\0SEGMENTS\0` / `DAT\0SPACES\0` prefixes, so they sort exactly like Go's keys and a space
//! offset maps onto the space index by stripping its prefix.

/// Prefix of every Go space offset (`DAT\0SPACES\0`).
pub(crate) const GO_SPACE_PREFIX: &[u8] = b"DAT\0SPACES\0";

/// `i64` as lexkey bytes: big-endian with the sign bit flipped.
pub(crate) fn ts_bytes(ts: i64) -> [u8; 8] {
    #[allow(clippy::cast_sign_loss)] // the two's-complement bits are what we want
    ((ts as u64) ^ (1 << 63)).to_be_bytes()
}

pub(crate) fn ts_from_bytes(b: [u8; 8]) -> i64 {
    #[allow(clippy::cast_possible_wrap)]
    {
        (u64::from_be_bytes(b) ^ (1 << 63)) as i64
    }
}

/// `space \0 segment \0`: the prefix of every entry key of a segment.
pub(crate) fn segment_prefix(space: &str, segment: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(space.len() + segment.len() + 10);
    k.extend_from_slice(space.as_bytes());
    k.push(0);
    k.extend_from_slice(segment.as_bytes());
    k.push(0);
    k
}

/// Entry key: `space \0 segment \0 sequence(u64 BE)`.
pub(crate) fn entry_key(space: &str, segment: &str, sequence: u64) -> Vec<u8> {
    let mut k = segment_prefix(space, segment);
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

/// Status / inventory key: `space \0 segment`.
pub(crate) fn status_key(space: &str, segment: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(space.len() + segment.len() + 1);
    k.extend_from_slice(space.as_bytes());
    k.push(0);
    k.extend_from_slice(segment.as_bytes());
    k
}

/// `space \0`: the start of a space's range.
pub(crate) fn space_start(space: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(space.len() + 1);
    k.extend_from_slice(space.as_bytes());
    k.push(0);
    k
}

/// `space \x01`: past the end of a space's range (every key of the space is `space \0 …`;
/// unlike Go's `EncodeLast` this excludes spaces that merely start with `space`).
pub(crate) fn space_end(space: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(space.len() + 1);
    k.extend_from_slice(space.as_bytes());
    k.push(1);
    k
}

/// Space-index key of one entry: `space \0 ts \0 segment \0 sequence`. The chunk index stores
/// one such key per committed chunk (for its first entry).
pub(crate) fn space_key(space: &str, ts: i64, segment: &str, sequence: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(space.len() + segment.len() + 19);
    k.extend_from_slice(space.as_bytes());
    k.push(0);
    k.extend_from_slice(&ts_bytes(ts));
    k.push(0);
    k.extend_from_slice(segment.as_bytes());
    k.push(0);
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

/// Parts of a chunk-index key (after the space prefix is known).
pub(crate) struct ChunkKey {
    pub ts: i64,
    pub segment: String,
    pub first_sequence: u64,
}

/// Split a chunk key of `space`.
pub(crate) fn parse_chunk_key(space: &str, key: &[u8]) -> Option<ChunkKey> {
    let rest = key.strip_prefix(space.as_bytes())?.strip_prefix(&[0])?;
    if rest.len() < 8 + 1 + 1 + 8 {
        return None;
    }
    let ts = ts_from_bytes(rest[..8].try_into().ok()?);
    let rest = rest[8..].strip_prefix(&[0])?;
    let (seg, seq) = rest.split_at(rest.len() - 8);
    let segment = std::str::from_utf8(seg.strip_suffix(&[0])?)
        .ok()?
        .to_owned();
    let first_sequence = u64::from_be_bytes(seq.try_into().ok()?);
    Some(ChunkKey {
        ts,
        segment,
        first_sequence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_key_is_go_offset_without_prefix() {
        let go = skope_proto::space_offset("orders", 1_700_000_000_123, "eu-7", 42);
        let mine = space_key("orders", 1_700_000_000_123, "eu-7", 42);
        assert_eq!(
            go.as_bytes().strip_prefix(GO_SPACE_PREFIX),
            Some(mine.as_slice())
        );
        let seg = skope_proto::segment_offset("orders", "eu-7", 42);
        assert_eq!(
            seg.as_bytes().strip_prefix(b"DAT\0SEGMENTS\0".as_slice()),
            Some(entry_key("orders", "eu-7", 42).as_slice())
        );
        let parsed = parse_chunk_key("orders", &mine);
        assert!(parsed.is_some_and(|c| c.ts == 1_700_000_000_123
            && c.segment == "eu-7"
            && c.first_sequence == 42));
    }

    #[test]
    fn negative_timestamps_sort_first() {
        assert!(ts_bytes(-1) < ts_bytes(0));
        assert!(ts_bytes(0) < ts_bytes(1));
        assert_eq!(ts_from_bytes(ts_bytes(-77)), -77);
    }
}
