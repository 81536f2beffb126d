//! JSON output byte-identical to Go's `encoding/json`.
//!
//! serde_json already writes keys in declaration order and escapes control characters the way
//! Go ≥ 1.22 does; Go additionally escapes `<`, `>`, `&`, U+2028 and U+2029 (HTML safety). A
//! streamkit peer compares nothing byte-wise, but our transcript tests do, and matching Go keeps
//! captures diffable.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

#[derive(Clone, Copy, Default)]
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        // Fast path: most strings hold none of the bytes Go escapes (or U+2028/9's lead byte).
        if memchr::memchr3(b'<', b'>', b'&', bytes).is_none()
            && memchr::memchr(0xE2, bytes).is_none()
        {
            return writer.write_all(bytes);
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let (esc, len): (&[u8], usize) = match b {
                b'<' => (b"\\u003c", 1),
                b'>' => (b"\\u003e", 1),
                b'&' => (b"\\u0026", 1),
                // U+2028 / U+2029 are E2 80 A8 / E2 80 A9 in UTF-8.
                0xE2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xA8) => {
                    (b"\\u2028", 3)
                }
                0xE2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xA9) => {
                    (b"\\u2029", 3)
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            writer.write_all(&bytes[start..i])?;
            writer.write_all(esc)?;
            i += len;
            start = i;
        }
        writer.write_all(&bytes[start..])
    }
}

/// Serialize `value` as Go's `json.Marshal` would.
///
/// # Errors
/// Only if a `Serialize` impl fails (never for this crate's types).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    write(&mut out, value)?;
    Ok(out)
}

/// Serialize into an existing buffer (hot paths reuse one).
///
/// # Errors
/// Only if a `Serialize` impl fails.
pub fn write<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, GoFormatter);
    value.serialize(&mut ser)
}

/// Serialize to a `String`.
///
/// # Errors
/// Only if a `Serialize` impl fails.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let v = to_vec(value)?;
    // The formatter only ever writes valid UTF-8.
    String::from_utf8(v).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let s = to_string("a<b>&c\u{2028}\u{2029}\n\t\u{1}\"é").unwrap_or_default();
        assert_eq!(s, r#""a\u003cb\u003e\u0026c\u2028\u2029\n\t\u0001\"é""#);
    }
}
