//! `[]byte` fields as Go encodes them: standard base64 with padding, `null` for a nil slice.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Go's `base64.StdEncoding.Decode`, as `encoding/json` applies it to `[]byte` fields and the
/// frame's payload: padding required, non-zero trailing bits accepted, `\r`/`\n` ignored.
/// The error is Go's `CorruptInputError` text, `illegal base64 data at input byte N`.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, String> {
    // Whatever the strict decoder accepts, Go decodes identically.
    if let Ok(v) = STANDARD.decode(text) {
        return Ok(v);
    }
    go_decode(text.as_bytes()).map_err(|at| format!("illegal base64 data at input byte {at}"))
}

/// Decode bytes as `decode` does (same acceptance as Go).
pub(crate) fn decode_bytes(text: &[u8]) -> Result<Vec<u8>, String> {
    if let Ok(v) = STANDARD.decode(text) {
        return Ok(v);
    }
    go_decode(text).map_err(|at| format!("illegal base64 data at input byte {at}"))
}

/// Whether Go accepts `text`, without keeping the bytes: `Err` is Go's error text.
pub(crate) fn check(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    // Fast path: canonical padded base64 (what every encoder writes).
    let body = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(b);
    if b.len().is_multiple_of(4) && body.iter().all(|&c| sextet(c).is_some()) {
        return Ok(());
    }
    go_decode(b)
        .map(drop)
        .map_err(|at| format!("illegal base64 data at input byte {at}"))
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Port of Go's `decodeQuantum` loop (`encoding/base64`, `StdEncoding`, not strict).
fn go_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let is_nl = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 3);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0_u8; 4];
        let mut dlen = 4;
        let mut trailing = None;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = sextet(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if is_nl(c) {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                // "==" expected; the first "=" is consumed.
                while si < src.len() && is_nl(src[si]) {
                    si += 1;
                }
                if si == src.len() {
                    return Err(src.len());
                }
                if src[si] != b'=' {
                    return Err(si - 1);
                }
                si += 1;
            }
            while si < src.len() && is_nl(src[si]) {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si);
            }
            dlen = j;
            break;
        }
        let val = u32::from(dbuf[0]) << 18
            | u32::from(dbuf[1]) << 12
            | u32::from(dbuf[2]) << 6
            | u32::from(dbuf[3]);
        let [_, b0, b1, b2] = val.to_be_bytes();
        out.extend_from_slice(&[b0, b1, b2][..dlen - 1]);
        if let Some(at) = trailing {
            return Err(at);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    /// Expectations from Go's `encoding/json` decoding a `[]byte` field (go1.19).
    #[test]
    fn go_base64() {
        assert_eq!(decode("eA=="), Ok(b"x".to_vec()));
        assert_eq!(decode("eB=="), Ok(b"x".to_vec()));
        assert_eq!(decode("eA==\n"), Ok(b"x".to_vec()));
        assert_eq!(decode("e\nA=="), Ok(b"x".to_vec()));
        assert_eq!(decode("eA\r\n=="), Ok(b"x".to_vec()));
        assert_eq!(decode(""), Ok(Vec::new()));
        assert_eq!(decode("aGVsbG8="), Ok(b"hello".to_vec()));
        let e = |n: usize| Err(format!("illegal base64 data at input byte {n}"));
        assert_eq!(decode("eA"), e(0));
        assert_eq!(decode("e A=="), e(1));
        assert_eq!(decode("!!"), e(0));
        assert_eq!(decode("eA=x"), e(2));
        assert_eq!(decode("eA==eA=="), e(4));
        assert_eq!(decode("!!!notbase64"), e(0));
        assert_eq!(decode("eA="), e(3));
        assert_eq!(decode("eA==="), e(4));
        assert_eq!(decode("e==="), e(1));
        assert_eq!(decode("eA=\n="), Ok(b"x".to_vec()));
        assert_eq!(decode("\n"), Ok(Vec::new()));
        assert_eq!(decode("eAAA\neA=="), Ok(b"x\0\0x".to_vec()));
    }
}

/// serde adapter for `Option<Vec<u8>>`: `None` ⇔ `null`/absent.
pub(crate) mod opt {
    use super::{Deserialize, Deserializer, Serializer, decode, encode};

    #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`.
    pub(crate) fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        let s: Option<std::borrow::Cow<'de, str>> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => decode(&s).map(Some).map_err(serde::de::Error::custom),
        }
    }
}
