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

#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    err: Option<std::borrow::Cow<'a, str>>,
}

const PREFIX: &str = "mux::";

impl StreamControl {
    #[must_use]
    pub fn close() -> Self {
        StreamControl { kind: ControlKind::Close, err: None }
    }

    #[must_use]
    pub fn close_with(err: impl Into<String>) -> Self {
        let err = err.into();
        StreamControl { kind: ControlKind::Close, err: (!err.is_empty()).then_some(err) }
    }

    #[must_use]
    pub fn error(err: impl Into<String>) -> Self {
        let err = err.into();
        StreamControl { kind: ControlKind::Error, err: (!err.is_empty()).then_some(err) }
    }

    /// Encode with Go's key order and escaping.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let kind = match &self.kind {
            ControlKind::Close => "mux::close",
            ControlKind::Error => "mux::error",
            ControlKind::Other(s) => s.as_str(),
        };
        let wire = Wire { kind: kind.into(), err: self.err.as_deref().map(Into::into) };
        crate::gojson::to_vec(&wire).unwrap_or_default()
    }

    /// Recognise a control message: a JSON object whose string `type` starts with `mux::`.
    /// Anything else (including undecodable bytes) is application data: `None`.
    #[must_use]
    pub fn detect(payload: &[u8]) -> Option<Self> {
        // Cheap pre-check: entries and records never contain this marker outside a string
        // value, and base64 payloads can't contain `:`.
        let trimmed = payload.trim_ascii_start();
        if trimmed.first() != Some(&b'{') || !contains(payload, b"mux::") {
            return None;
        }
        let wire: Wire<'_> = serde_json::from_slice(payload).ok()?;
        if !wire.kind.starts_with(PREFIX) {
            return None;
        }
        let kind = match wire.kind.as_ref() {
            "mux::close" => ControlKind::Close,
            "mux::error" => ControlKind::Error,
            other => ControlKind::Other(other.to_owned()),
        };
        Some(StreamControl { kind, err: wire.err.map(|e| e.into_owned()).filter(|e| !e.is_empty()) })
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

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
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

    #[test]
    fn detects_only_mux_types() {
        assert_eq!(StreamControl::detect(br#"{"type":"mux::close"}"#), Some(StreamControl::close()));
        assert_eq!(StreamControl::detect(br#"{"type":"other","err":"mux::x"}"#), None);
        assert_eq!(StreamControl::detect(br#""mux::close""#), None);
        let e = StreamControl::detect(br#"{"type":"mux::error","err":"access denied"}"#);
        assert_eq!(e.and_then(|e| e.reader_error()).as_deref(), Some("remote error: access denied"));
    }
}
