//! Lexicographic keys (`fgrzl/lexkey` v0.1.1): the offsets that identify an entry's position.
//!
//! Parts are joined with a single `0x00`; strings are raw UTF-8, `i64` is big-endian with the
//! sign bit flipped, `u64` big-endian. JSON form: lowercase hex, `""` (or `null`) when empty.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// One part of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Part<'a> {
    fn from(s: &'a str) -> Self {
        Part::Str(s)
    }
}
impl From<i64> for Part<'_> {
    fn from(v: i64) -> Self {
        Part::I64(v)
    }
}
impl From<u64> for Part<'_> {
    fn from(v: u64) -> Self {
        Part::U64(v)
    }
}

/// A lexicographic key; orders bytewise.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LexKey(pub Vec<u8>);

/// A hex string that is not a valid key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode hex string: {0}")]
pub struct LexKeyError(String);

impl LexKey {
    /// Encode parts joined by `0x00`.
    #[must_use]
    pub fn encode(parts: &[Part<'_>]) -> Self {
        let mut out = Vec::with_capacity(64);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(0);
            }
            match p {
                Part::Str(s) => out.extend_from_slice(s.as_bytes()),
                #[allow(clippy::cast_sign_loss)] // the two's-complement bits are what we want
                Part::I64(v) => out.extend_from_slice(&((*v as u64) ^ (1 << 63)).to_be_bytes()),
                Part::U64(v) => out.extend_from_slice(&v.to_be_bytes()),
                Part::Bytes(b) => out.extend_from_slice(b),
            }
        }
        LexKey(out)
    }

    /// `encode(parts) ‖ 0x00`: the first key of the range under `parts`.
    #[must_use]
    pub fn encode_first(parts: &[Part<'_>]) -> Self {
        let mut k = Self::encode(parts);
        k.0.push(0);
        k
    }

    /// `encode(parts) ‖ 0xFF`: past the last key of the range under `parts`.
    #[must_use]
    pub fn encode_last(parts: &[Part<'_>]) -> Self {
        let mut k = Self::encode(parts);
        k.0.push(0xFF);
        k
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Lowercase hex, as on the wire.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// Parse hex in either case; `""` is the empty key.
    ///
    /// # Errors
    /// Text that is not hex, with Go's wording.
    pub fn from_hex(text: &str) -> Result<Self, LexKeyError> {
        hex::decode(text)
            .map(LexKey)
            .map_err(|e| LexKeyError(go_hex_error(text, &e)))
    }

    /// Split a space offset into (space, timestamp, segment, sequence), if it is one.
    #[must_use]
    pub fn decode_space_offset(&self) -> Option<SpaceOffset> {
        let rest = self.0.strip_prefix(b"DAT\0SPACES\0")?;
        let nul = rest.iter().position(|&b| b == 0)?;
        let space = std::str::from_utf8(&rest[..nul]).ok()?.to_owned();
        let rest = &rest[nul + 1..];
        if rest.len() < 8 + 1 + 1 + 8 {
            return None;
        }
        let ts_bits = u64::from_be_bytes(rest[..8].try_into().ok()?) ^ (1 << 63);
        #[allow(clippy::cast_possible_wrap)]
        let timestamp = ts_bits as i64;
        if rest[8] != 0 {
            return None;
        }
        let rest = &rest[9..];
        let (seg, seq) = rest.split_at(rest.len() - 8);
        let segment = std::str::from_utf8(seg.strip_suffix(&[0])?)
            .ok()?
            .to_owned();
        let sequence = u64::from_be_bytes(seq.try_into().ok()?);
        Some(SpaceOffset {
            space,
            timestamp,
            segment,
            sequence,
        })
    }

    /// Split a segment offset into (space, segment, sequence), if it is one.
    #[must_use]
    pub fn decode_segment_offset(&self) -> Option<SegmentOffset> {
        let rest = self.0.strip_prefix(b"DAT\0SEGMENTS\0")?;
        let nul = rest.iter().position(|&b| b == 0)?;
        let space = std::str::from_utf8(&rest[..nul]).ok()?.to_owned();
        let rest = &rest[nul + 1..];
        if rest.len() < 1 + 8 {
            return None;
        }
        let (seg, seq) = rest.split_at(rest.len() - 8);
        let segment = std::str::from_utf8(seg.strip_suffix(&[0])?)
            .ok()?
            .to_owned();
        let sequence = u64::from_be_bytes(seq.try_into().ok()?);
        Some(SegmentOffset {
            space,
            segment,
            sequence,
        })
    }
}

/// The parts of a segment offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentOffset {
    pub space: String,
    pub segment: String,
    pub sequence: u64,
}

/// The parts of a space offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceOffset {
    pub space: String,
    pub timestamp: i64,
    pub segment: String,
    pub sequence: u64,
}

fn go_hex_error(text: &str, e: &hex::FromHexError) -> String {
    match e {
        hex::FromHexError::InvalidHexCharacter { c, .. } => {
            format!("encoding/hex: invalid byte: U+{:04X} {c:?}", *c as u32)
        }
        hex::FromHexError::OddLength | hex::FromHexError::InvalidStringLength => {
            let _ = text;
            "encoding/hex: odd length hex string".to_owned()
        }
    }
}

impl fmt::Debug for LexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LexKey({})", self.to_hex())
    }
}

impl fmt::Display for LexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for LexKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for LexKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: Option<std::borrow::Cow<'de, str>> = Option::deserialize(d)?;
        match s {
            None => Ok(LexKey::default()),
            Some(s) => LexKey::from_hex(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_of_protocol_6_2() {
        let k = LexKey::encode(&[
            "DAT".into(),
            "SPACES".into(),
            "orders".into(),
            1_700_000_000_123_i64.into(),
            "eu-7".into(),
            42_u64.into(),
        ]);
        assert_eq!(
            k.to_hex(),
            "44415400535041434553006f7264657273008000018bcfe5687b0065752d3700000000000000002a"
        );
        let parts = k.decode_space_offset();
        assert_eq!(
            parts,
            Some(SpaceOffset {
                space: "orders".into(),
                timestamp: 1_700_000_000_123,
                segment: "eu-7".into(),
                sequence: 42
            })
        );
        let s = LexKey::encode(&[
            "DAT".into(),
            "SEGMENTS".into(),
            "orders".into(),
            "eu-7".into(),
            42_u64.into(),
        ]);
        assert_eq!(
            s.to_hex(),
            "444154005345474d454e5453006f72646572730065752d3700000000000000002a"
        );
        assert_eq!(
            s.decode_segment_offset(),
            Some(SegmentOffset {
                space: "orders".into(),
                segment: "eu-7".into(),
                sequence: 42
            })
        );
        assert_eq!(s.decode_space_offset(), None);
        assert_eq!(k.decode_segment_offset(), None);
    }

    #[test]
    fn bad_hex_has_go_text() {
        let e = LexKey::from_hex("zz").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("cannot decode hex string: encoding/hex: invalid byte: U+007A 'z'")
        );
    }
}
