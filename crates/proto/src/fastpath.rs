//! Strict parsers for the exact shapes Go writes on the hot read path. Each returns `None` on
//! anything unexpected (key order, escapes, spacing), and the caller falls back to the general
//! Go-compatible decoder: the fast path changes speed, never results.

use crate::b64;
use crate::messages::{Entry, Metadata, Trx};
use uuid::Uuid;

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn lit(&mut self, s: &[u8]) -> Option<()> {
        self.0 = self.0.strip_prefix(s)?;
        Some(())
    }

    fn peek_lit(&self, s: &[u8]) -> bool {
        self.0.starts_with(s)
    }

    /// A plain JSON string without escapes (the closing quote consumed).
    fn plain_str(&mut self) -> Option<&'a str> {
        self.lit(b"\"")?;
        let end = memchr::memchr2(b'"', b'\\', self.0)?;
        if self.0[end] != b'"' {
            return None;
        }
        let s = std::str::from_utf8(&self.0[..end]).ok()?;
        // Control characters must be escaped in JSON; leave odd input to the general path.
        if s.bytes().any(|b| b < 0x20) {
            return None;
        }
        self.0 = &self.0[end + 1..];
        Some(s)
    }

    fn u64(&mut self) -> Option<u64> {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || (n > 1 && self.0[0] == b'0') {
            return None;
        }
        let v = std::str::from_utf8(&self.0[..n]).ok()?.parse().ok()?;
        self.0 = &self.0[n..];
        Some(v)
    }

    fn i64(&mut self) -> Option<i64> {
        if self.peek_lit(b"-") {
            self.0 = &self.0[1..];
            let v = self.u64()?;
            return 0_i64.checked_sub_unsigned(v);
        }
        i64::try_from(self.u64()?).ok()
    }

    fn uuid(&mut self) -> Option<Uuid> {
        self.lit(b"\"")?;
        let id = Uuid::try_parse_ascii(self.0.get(..36)?).ok()?;
        self.0 = &self.0[36..];
        self.lit(b"\"")?;
        Some(id)
    }
}

/// An `Entry` exactly as Go's `json.Marshal` writes it.
pub(crate) fn entry(bytes: &[u8]) -> Option<Entry> {
    let mut c = Cursor(bytes);
    c.lit(b"{\"sequence\":")?;
    let sequence = c.u64()?;
    let mut timestamp = 0;
    if c.peek_lit(b",\"timestamp\":") {
        c.lit(b",\"timestamp\":")?;
        timestamp = c.i64()?;
    }
    c.lit(b",\"trx\":{\"id\":")?;
    let id = c.uuid()?;
    c.lit(b",\"node\":")?;
    let node = c.uuid()?;
    c.lit(b",\"number\":")?;
    let number = c.u64()?;
    c.lit(b"},\"payload\":")?;
    let payload = c.payload()?;
    let metadata = c.optional_metadata()?;
    c.lit(b",\"space\":")?;
    let space = c.plain_str()?.to_owned();
    c.lit(b",\"segment\":")?;
    let segment = c.plain_str()?.to_owned();
    c.lit(b"}")?;
    if !c.0.is_empty() {
        return None;
    }
    Some(Entry {
        sequence,
        timestamp,
        trx: Trx { id, node, number },
        payload,
        metadata,
        space,
        segment,
    })
}

/// A `Record` exactly as Go's `json.Marshal` (or skope) writes it.
pub(crate) fn record(bytes: &[u8]) -> Option<crate::messages::Record> {
    let mut c = Cursor(bytes);
    c.lit(b"{\"sequence\":")?;
    let sequence = c.u64()?;
    c.lit(b",\"payload\":")?;
    let payload = c.payload()?;
    let metadata = c.optional_metadata()?;
    c.lit(b"}")?;
    c.0.is_empty().then_some(crate::messages::Record {
        sequence,
        payload,
        metadata,
    })
}

impl Cursor<'_> {
    /// A `[]byte` value: `null` or padded base64 in a plain string.
    fn payload(&mut self) -> Option<Option<Vec<u8>>> {
        if self.peek_lit(b"null") {
            self.lit(b"null")?;
            return Some(None);
        }
        let text = self.plain_str()?;
        Some(Some(b64::decode_bytes(text.as_bytes()).ok()?))
    }

    /// `,"metadata":{…}` when present (Go omits an empty map).
    fn optional_metadata(&mut self) -> Option<Metadata> {
        if !self.peek_lit(b",\"metadata\":{") {
            return Some(Metadata::new());
        }
        self.lit(b",\"metadata\":")?;
        self.metadata()
    }

    /// `{"k":"v",…}` with sorted unique keys and no escapes.
    fn metadata(&mut self) -> Option<Metadata> {
        self.lit(b"{")?;
        let mut metadata = Metadata::new();
        let mut first = true;
        while !self.peek_lit(b"}") {
            if !first {
                self.lit(b",")?;
            }
            first = false;
            let k = self.plain_str()?;
            self.lit(b":")?;
            let v = self.plain_str()?;
            if metadata
                .keys()
                .next_back()
                .is_some_and(|last| last.as_str() >= k)
            {
                return None;
            }
            metadata.insert(k.to_owned(), v.to_owned());
        }
        self.lit(b"}")?;
        Some(metadata)
    }
}

/// Write `entry` as Go's `json.Marshal` does (byte-identical to `encode_bare`), by hand: the
/// server writes one per entry it sends.
pub(crate) fn write_entry(e: &Entry, out: &mut Vec<u8>) {
    use std::io::Write;
    let mut buf = uuid::Uuid::encode_buffer();
    out.extend_from_slice(b"{\"sequence\":");
    let _ = write!(out, "{}", e.sequence);
    if e.timestamp != 0 {
        let _ = write!(out, ",\"timestamp\":{}", e.timestamp);
    }
    out.extend_from_slice(b",\"trx\":{\"id\":\"");
    out.extend_from_slice(e.trx.id.hyphenated().encode_lower(&mut buf).as_bytes());
    out.extend_from_slice(b"\",\"node\":\"");
    out.extend_from_slice(e.trx.node.hyphenated().encode_lower(&mut buf).as_bytes());
    let _ = write!(out, "\",\"number\":{}}},\"payload\":", e.trx.number);
    match &e.payload {
        Some(p) => {
            out.push(b'"');
            let start = out.len();
            out.resize(start + p.len().div_ceil(3) * 4, 0);
            let n = base64::Engine::encode_slice(
                &base64::engine::general_purpose::STANDARD,
                p,
                &mut out[start..],
            )
            .unwrap_or(0);
            out.truncate(start + n);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    if !e.metadata.is_empty() {
        out.extend_from_slice(b",\"metadata\":");
        let _ = crate::gojson::write(&mut *out, &e.metadata);
    }
    out.extend_from_slice(b",\"space\":");
    let _ = crate::gojson::write(&mut *out, &e.space);
    out.extend_from_slice(b",\"segment\":");
    let _ = crate::gojson::write(&mut *out, &e.segment);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        let mut metadata = Metadata::new();
        metadata.insert("a".into(), "1".into());
        metadata.insert("b".into(), "x y".into());
        Entry {
            sequence: 42,
            timestamp: 1_700_000_000_123,
            trx: Trx {
                id: Uuid::from_u128(7),
                node: Uuid::nil(),
                number: 3,
            },
            payload: Some(b"hello".to_vec()),
            metadata,
            space: "orders".into(),
            segment: "eu-7".into(),
        }
    }

    #[test]
    fn canonical_entries_take_the_fast_path() {
        let e = sample();
        assert_eq!(entry(&crate::encode_bare(&e)), Some(e.clone()));
        let bare = Entry {
            metadata: Metadata::new(),
            timestamp: 0,
            payload: None,
            ..e
        };
        assert_eq!(entry(&crate::encode_bare(&bare)), Some(bare));
    }

    #[test]
    fn anything_else_falls_back() {
        for odd in [
            &br#"{"sequence":1, "trx":{}}"#[..],
            br#"{"Sequence":1}"#,
            br#"{"sequence":01,"trx":{"id":"00000000-0000-0000-0000-000000000000","node":"00000000-0000-0000-0000-000000000000","number":0},"payload":null,"space":"a","segment":"b"}"#,
            br#"{"sequence":1,"trx":{"id":"00000000-0000-0000-0000-000000000000","node":"00000000-0000-0000-0000-000000000000","number":0},"payload":null,"space":"a\u0041","segment":"b"}"#,
            br#"{"sequence":1,"trx":{"id":"00000000-0000-0000-0000-000000000000","node":"00000000-0000-0000-0000-000000000000","number":0},"payload":null,"metadata":{"b":"1","a":"2"},"space":"a","segment":"b"}"#,
            br#"{"sequence":1,"trx":{"id":"00000000-0000-0000-0000-000000000000","node":"00000000-0000-0000-0000-000000000000","number":0},"payload":null,"space":"a","segment":"b"} "#,
        ] {
            assert_eq!(entry(odd), None, "{}", String::from_utf8_lossy(odd));
        }
    }
}
