//! The physical frame (`MuxerMsg`): one JSON object per WebSocket text message.
//!
//! `{"ControlType":…,"store_id":…,"channel_id":…,"payload":base64|null[,"trace_context":{…}]}`.
//! Keys are matched case-insensitively on decode, as Go does (`controltype` works).

use crate::b64;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use uuid::Uuid;

/// Largest WebSocket frame either side accepts (8 MiB).
pub const MAX_FRAME_BYTES: usize = 8 << 20;
/// Largest logical payload (decoded) either side sends or accepts (6 MiB).
pub const MAX_PAYLOAD_BYTES: usize = 6 << 20;

/// The frame's `ControlType`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ControlType {
    Data,
    Ping,
    Pong,
    Close,
    Error,
    /// Anything else: logged and ignored by receivers, kept for round trips.
    Other(String),
}

impl ControlType {
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            ControlType::Data => "data",
            ControlType::Ping => "ping",
            ControlType::Pong => "pong",
            ControlType::Close => "close",
            ControlType::Error => "error",
            ControlType::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "data" => ControlType::Data,
            "ping" => ControlType::Ping,
            "pong" => ControlType::Pong,
            "close" => ControlType::Close,
            "error" => ControlType::Error,
            other => ControlType::Other(other.to_owned()),
        }
    }
}

/// One physical frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub control_type: ControlType,
    pub store_id: Uuid,
    pub channel_id: Uuid,
    /// The logical message's JSON bytes; `None` encodes as `null`.
    pub payload: Option<Vec<u8>>,
    /// W3C trace propagation keys; omitted when empty.
    pub trace_context: BTreeMap<String, String>,
}

/// A frame that could not be decoded: the Go peer closes the whole connection on these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("invalid frame json: {0}")]
    Json(String),
    #[error("invalid frame payload: {0}")]
    Base64(String),
    #[error("invalid frame uuid: {0}")]
    Uuid(String),
}

impl Frame {
    /// A `data` frame on a channel.
    #[must_use]
    pub fn data(store_id: Uuid, channel_id: Uuid, payload: Vec<u8>) -> Self {
        Frame {
            control_type: ControlType::Data,
            store_id,
            channel_id,
            payload: Some(payload),
            trace_context: BTreeMap::new(),
        }
    }

    /// An `error` frame on a channel (payload: a `mux::error`).
    #[must_use]
    pub fn error(store_id: Uuid, channel_id: Uuid, err: &str) -> Self {
        Frame {
            control_type: ControlType::Error,
            store_id,
            channel_id,
            payload: Some(crate::control::StreamControl::error(err).encode()),
            trace_context: BTreeMap::new(),
        }
    }

    /// A connection-level frame (`ping`, `pong`, `close`): nil UUIDs, null payload.
    #[must_use]
    pub fn connection(control_type: ControlType) -> Self {
        Frame {
            control_type,
            store_id: Uuid::nil(),
            channel_id: Uuid::nil(),
            payload: None,
            trace_context: BTreeMap::new(),
        }
    }

    #[must_use]
    pub fn ping() -> Self {
        Self::connection(ControlType::Ping)
    }

    #[must_use]
    pub fn pong() -> Self {
        Self::connection(ControlType::Pong)
    }

    #[must_use]
    pub fn close() -> Self {
        Self::connection(ControlType::Close)
    }

    /// Encode as Go writes it (key order `ControlType, store_id, channel_id, payload,
    /// trace_context`). Hand-written: this runs once per record on the produce path.
    #[must_use]
    pub fn encode(&self) -> String {
        encode_parts(
            &self.control_type,
            self.store_id,
            self.channel_id,
            self.payload.as_deref(),
            &self.trace_context,
        )
    }

    /// `Frame::data(store_id, channel_id, payload).encode()` without owning the payload: the
    /// producer keeps its records for a resend, and this spares a copy of each.
    #[must_use]
    pub fn encode_data(store_id: Uuid, channel_id: Uuid, payload: &[u8]) -> String {
        encode_parts(
            &ControlType::Data,
            store_id,
            channel_id,
            Some(payload),
            &BTreeMap::new(),
        )
    }

    /// Write the encoded frame into `w`.
    ///
    /// # Errors
    /// Only the writer's.
    pub fn encode_into<W: Write>(&self, mut w: W) -> std::io::Result<()> {
        w.write_all(self.encode().as_bytes())
    }

    /// Decode one frame.
    ///
    /// # Errors
    /// Not JSON, a bad UUID or a payload that is not base64.
    pub fn decode(text: &[u8]) -> Result<Self, FrameError> {
        if let Some(frame) = Self::decode_canonical(text) {
            return Ok(frame);
        }
        let mut de = serde_json::Deserializer::from_slice(text);
        let raw = RawFrame::deserialize(&mut de).map_err(|e| FrameError::Json(e.to_string()))?;
        de.end().map_err(|e| FrameError::Json(e.to_string()))?;
        let parse_id = |s: Option<Cow<'_, str>>| -> Result<Uuid, FrameError> {
            match s {
                None => Ok(Uuid::nil()),
                Some(s) if s.is_empty() => Ok(Uuid::nil()),
                Some(s) => Uuid::parse_str(&s).map_err(|e| FrameError::Uuid(e.to_string())),
            }
        };
        let payload = match raw.payload {
            None => None,
            Some(p) => Some(b64::decode(&p).map_err(|e| FrameError::Base64(e.to_string()))?),
        };
        Ok(Frame {
            control_type: ControlType::parse(raw.control_type.as_deref().unwrap_or("")),
            store_id: parse_id(raw.store_id)?,
            channel_id: parse_id(raw.channel_id)?,
            payload,
            trace_context: raw.trace_context,
        })
    }
}

/// The text of a frame, from its parts (see [`Frame::encode`]).
fn encode_parts(
    control_type: &ControlType,
    store_id: Uuid,
    channel_id: Uuid,
    payload: Option<&[u8]>,
    trace_context: &BTreeMap<String, String>,
) -> String {
    let payload_len = payload.map_or(4, |p| p.len() * 4 / 3 + 4);
    let mut out = String::with_capacity(120 + payload_len);
    out.push_str("{\"ControlType\":");
    match control_type {
        ControlType::Other(s) => out.push_str(&crate::gojson::to_string(s).unwrap_or_default()),
        ct => {
            out.push('"');
            out.push_str(ct.as_str());
            out.push('"');
        }
    }
    out.push_str(",\"store_id\":\"");
    out.push_str(
        store_id
            .hyphenated()
            .encode_lower(&mut Uuid::encode_buffer()),
    );
    out.push_str("\",\"channel_id\":\"");
    out.push_str(
        channel_id
            .hyphenated()
            .encode_lower(&mut Uuid::encode_buffer()),
    );
    out.push_str("\",\"payload\":");
    match payload {
        Some(p) => {
            out.push('"');
            base64::Engine::encode_string(&base64::engine::general_purpose::STANDARD, p, &mut out);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    if !trace_context.is_empty() {
        out.push_str(",\"trace_context\":");
        out.push_str(&crate::gojson::to_string(trace_context).unwrap_or_default());
    }
    out.push('}');
    out
}

impl Frame {
    /// The exact shape Go writes (`{"ControlType":"…","store_id":"…","channel_id":"…",
    /// "payload":"…"|null}`), parsed without a JSON tokenizer: every frame of a read takes this
    /// path. Anything else (other key order or case, escapes, trace context) returns `None` and
    /// goes through the general decoder, so the result is the same either way.
    fn decode_canonical(text: &[u8]) -> Option<Frame> {
        let rest = text.strip_prefix(b"{\"ControlType\":\"")?;
        let q = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[q] != b'"' {
            return None;
        }
        let control_type = ControlType::parse(std::str::from_utf8(&rest[..q]).ok()?);
        let rest = rest[q..].strip_prefix(b"\",\"store_id\":\"")?;
        let store_id = Uuid::try_parse_ascii(rest.get(..36)?).ok()?;
        let rest = rest[36..].strip_prefix(b"\",\"channel_id\":\"")?;
        let channel_id = Uuid::try_parse_ascii(rest.get(..36)?).ok()?;
        let rest = rest[36..].strip_prefix(b"\",\"payload\":")?;
        let payload = if rest == b"null}" {
            None
        } else {
            let rest = rest.strip_prefix(b"\"")?;
            let body = rest.strip_suffix(b"\"}")?;
            // Base64 never holds a quote or a backslash; if it does, let the general path judge.
            if memchr::memchr2(b'"', b'\\', body).is_some() {
                return None;
            }
            Some(b64::decode_bytes(body).ok()?)
        };
        Some(Frame {
            control_type,
            store_id,
            channel_id,
            payload,
            trace_context: BTreeMap::new(),
        })
    }
}

struct RawFrame<'a> {
    control_type: Option<Cow<'a, str>>,
    store_id: Option<Cow<'a, str>>,
    channel_id: Option<Cow<'a, str>>,
    payload: Option<Cow<'a, str>>,
    trace_context: BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for RawFrame<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawFrame<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a muxer frame object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut f = RawFrame {
                    control_type: None,
                    store_id: None,
                    channel_id: None,
                    payload: None,
                    trace_context: BTreeMap::new(),
                };
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let k = key.as_ref();
                    if crate::godecode::fold_eq(k, "ControlType") {
                        f.control_type = map.next_value::<Option<Cow<'de, str>>>()?;
                    } else if crate::godecode::fold_eq(k, "store_id") {
                        f.store_id = map.next_value::<Option<Cow<'de, str>>>()?;
                    } else if crate::godecode::fold_eq(k, "channel_id") {
                        f.channel_id = map.next_value::<Option<Cow<'de, str>>>()?;
                    } else if crate::godecode::fold_eq(k, "payload") {
                        f.payload = map.next_value::<Option<Cow<'de, str>>>()?;
                    } else if crate::godecode::fold_eq(k, "trace_context") {
                        f.trace_context = map
                            .next_value::<Option<BTreeMap<String, String>>>()?
                            .unwrap_or_default();
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(f)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_is_byte_exact() {
        assert_eq!(
            Frame::ping().encode(),
            r#"{"ControlType":"ping","store_id":"00000000-0000-0000-0000-000000000000","channel_id":"00000000-0000-0000-0000-000000000000","payload":null}"#
        );
    }

    #[test]
    fn lowercase_keys_decode() {
        let f = Frame::decode(br#"{"controltype":"ping","store_id":"00000000-0000-0000-0000-000000000000","channel_id":"00000000-0000-0000-0000-000000000000","payload":null}"#);
        assert_eq!(f.map(|f| f.control_type), Ok(ControlType::Ping));
    }

    /// Go's base64 decoder ignores newlines and non-zero trailing bits; its error names the
    /// offending byte.
    #[test]
    fn payload_base64_like_go() {
        let f = |p: &str| {
            Frame::decode(format!(r#"{{"ControlType":"data","store_id":"00000000-0000-0000-0000-000000000001","channel_id":"c31b96d0-c764-44a3-84dd-d28ec7ebb389","payload":"{p}"}}"#).as_bytes())
                .map(|f| f.payload)
        };
        assert_eq!(f("eB=="), Ok(Some(b"x".to_vec())));
        assert_eq!(f("eA\\n=="), Ok(Some(b"x".to_vec())));
        assert_eq!(
            f("eA"),
            Err(FrameError::Base64(
                "illegal base64 data at input byte 0".to_owned()
            ))
        );
        let k = Frame::decode("{\"controltype\":\"ping\",\"\u{17f}tore_id\":\"00000000-0000-0000-0000-000000000001\"}".as_bytes());
        assert_eq!(k.map(|f| f.store_id.as_u128()), Ok(1));
    }

    #[test]
    fn bad_frames_fail() {
        assert!(matches!(
            Frame::decode(b"this is not json"),
            Err(FrameError::Json(_))
        ));
        let bad = br#"{"ControlType":"data","store_id":"00000000-0000-0000-0000-000000000001","channel_id":"c31b96d0-c764-44a3-84dd-d28ec7ebb389","payload":"!!!notbase64"}"#;
        assert!(matches!(Frame::decode(bad), Err(FrameError::Base64(_))));
        let bad = br#"{"ControlType":"data","store_id":"nope","channel_id":"c31b96d0-c764-44a3-84dd-d28ec7ebb389","payload":null}"#;
        assert!(matches!(Frame::decode(bad), Err(FrameError::Uuid(_))));
    }
}
