//! Stream-control messages (`mux::close`, `mux::error`) carried inside a channel's payloads.

use serde::{Deserialize, Serialize};

/// The kind of a stream-control message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlKind {
    /// `mux::close`: end of the sender's side (clean, or with `err`).
    Close,
    /// `mux::error`: a transport error for this channel.
    Error,
    /// Another `mux::…` value: a protocol error for the receiver.
    Other(String),
}

/// `{"type":"mux::close"|"mux::error","err"?:…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamControl {
    pub kind: ControlKind,
    pub err: Option<String>,
}

#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    kind: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    err: Option<std::borrow::Cow<'a, str>>,
}

/// What Go's receiver decodes a payload into (`wskit` `ErrorMessage`).
#[derive(Deserialize)]
struct GoWire {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    err: String,
}

const PREFIX: &str = "mux::";

impl StreamControl {
    #[must_use]
    pub fn close() -> Self {
        StreamControl {
            kind: ControlKind::Close,
            err: None,
        }
    }

    #[must_use]
    pub fn close_with(err: impl Into<String>) -> Self {
        let err = err.into();
        StreamControl {
            kind: ControlKind::Close,
            err: (!err.is_empty()).then_some(err),
        }
    }

    #[must_use]
    pub fn error(err: impl Into<String>) -> Self {
        let err = err.into();
        StreamControl {
            kind: ControlKind::Error,
            err: (!err.is_empty()).then_some(err),
        }
    }

    /// Encode with Go's key order and escaping.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let kind = match &self.kind {
            ControlKind::Close => "mux::close",
            ControlKind::Error => "mux::error",
            ControlKind::Other(s) => s.as_str(),
        };
        let wire = Wire {
            kind: kind.into(),
            err: self.err.as_deref().map(Into::into),
        };
        crate::gojson::to_vec(&wire).unwrap_or_default()
    }

    /// Recognise a control message: a payload that Go's `json.Unmarshal` decodes into
    /// `ErrorMessage{Type, Err}` (keys case-insensitive, escapes resolved, `null` = empty) with
    /// a `type` starting with `mux::`. Anything else (including undecodable bytes) is
    /// application data: `None`.
    #[must_use]
    pub fn detect(payload: &[u8]) -> Option<Self> {
        // Cheap pre-check: the marker appears literally, unless hidden behind a `\u` escape.
        let trimmed = payload.trim_ascii_start();
        if trimmed.first() != Some(&b'{')
            || !(contains(payload, b"mux::") || contains(payload, b"\\u"))
        {
            return None;
        }
        let wire: GoWire = crate::godecode::from_slice(payload).ok()?;
        if !wire.kind.starts_with(PREFIX) {
            return None;
        }
        let kind = match wire.kind.as_str() {
            "mux::close" => ControlKind::Close,
            "mux::error" => ControlKind::Error,
            _ => ControlKind::Other(wire.kind),
        };
        Some(StreamControl {
            kind,
            err: (!wire.err.is_empty()).then_some(wire.err),
        })
    }

    /// The error a reader surfaces for this control, or `None` for a clean end
    /// (Go texts: `remote closed stream: E`, `remote error: E`, `unknown error type "T": E`).
    #[must_use]
    pub fn reader_error(&self) -> Option<String> {
        let err = self.err.as_deref().unwrap_or("");
        match &self.kind {
            ControlKind::Close if self.err.is_none() => None,
            ControlKind::Close => Some(format!("remote closed stream: {err}")),
            ControlKind::Error => Some(format!("remote error: {err}")),
            ControlKind::Other(t) => Some(format!("unknown error type {t:?}: {err}")),
        }
    }
}

/// SIMD substring search for the two markers: this runs on every payload a reader receives,
/// so the finders are built once.
fn contains(hay: &[u8], needle: &'static [u8]) -> bool {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    static MUX: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"mux::"));
    static ESCAPE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\u"));
    match needle {
        b"mux::" => MUX.find(hay).is_some(),
        b"\\u" => ESCAPE.find(hay).is_some(),
        _ => memchr::memmem::find(hay, needle).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_is_byte_exact() {
        assert_eq!(StreamControl::close().encode(), br#"{"type":"mux::close"}"#);
        assert_eq!(
            StreamControl::close_with("sequence gap: expected 4, got 7").encode(),
            br#"{"type":"mux::close","err":"sequence gap: expected 4, got 7"}"#
        );
    }

    /// Go decodes the payload into `ErrorMessage` with `json.Unmarshal`: keys fold, escapes
    /// resolve, `null` is empty.
    #[test]
    fn detects_like_go() {
        assert_eq!(
            StreamControl::detect(br#"{"Type":"mux::close"}"#),
            Some(StreamControl::close())
        );
        assert_eq!(
            StreamControl::detect(br#"{"type":"mux\u003a:close","ERR":"x"}"#),
            Some(StreamControl::close_with("x"))
        );
        assert_eq!(
            StreamControl::detect(br#"{"type":"mux::error","err":null}"#),
            Some(StreamControl::error(""))
        );
        assert_eq!(
            StreamControl::detect(br#"{"type":"mux::close","err":5}"#),
            None
        );
        assert_eq!(
            StreamControl::detect(br#"{"sequence":1,"payload":"bXV4Ojo=","space":"mux::"}"#),
            None
        );
    }

    #[test]
    fn detects_only_mux_types() {
        assert_eq!(
            StreamControl::detect(br#"{"type":"mux::close"}"#),
            Some(StreamControl::close())
        );
        assert_eq!(
            StreamControl::detect(br#"{"type":"other","err":"mux::x"}"#),
            None
        );
        assert_eq!(StreamControl::detect(br#""mux::close""#), None);
        let e = StreamControl::detect(br#"{"type":"mux::error","err":"access denied"}"#);
        assert_eq!(
            e.and_then(|e| e.reader_error()).as_deref(),
            Some("remote error: access denied")
        );
    }
}
