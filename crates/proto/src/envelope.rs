//! The polymorphic envelope `{"$type":…,"content":…}` and its discriminator registry.

use crate::messages::{
    Consume, ConsumeSegment, ConsumeSpace, GetSegments, GetSpaces, GetStatus, LeaseAcquire,
    LeaseRelease, LeaseRenew, LeaseResult, Peek, Presence, Produce, SegmentNotification,
    SegmentStatus, SubscribeToSegmentStatus, SubscribeWorkers, WorkerInventory,
    WorkerInventoryNotification,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

const PREFIX: &str = "streamkit://api/v1/";

/// Every registered message type (`pkg/api/registry.go`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Peek(Peek),
    Produce(Produce),
    ConsumeSegment(ConsumeSegment),
    ConsumeSpace(ConsumeSpace),
    Consume(Consume),
    GetSpaces(GetSpaces),
    GetSegments(GetSegments),
    GetStatus(GetStatus),
    SubscribeToSegmentStatus(SubscribeToSegmentStatus),
    SegmentStatus(SegmentStatus),
    SegmentNotification(SegmentNotification),
    LeaseAcquire(LeaseAcquire),
    LeaseRenew(LeaseRenew),
    LeaseRelease(LeaseRelease),
    LeaseResult(LeaseResult),
    SubscribeWorkers(SubscribeWorkers),
    WorkerInventory(WorkerInventory),
    Presence(Presence),
    WorkerInventoryNotification(WorkerInventoryNotification),
}

/// Why an envelope did not decode; `Display` is the Go text the server sends back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not JSON at all (Go: `unexpected end of JSON input` or a syntax error).
    #[error("{0}")]
    Syntax(String),
    #[error("failed to unmarshal envelope: {0}")]
    NotObject(String),
    #[error("missing $type field in envelope")]
    MissingType,
    #[error("empty $type discriminator")]
    EmptyType,
    #[error("type {0:?} is not registered")]
    NotRegistered(String),
    #[error("missing content for type: {0:?}")]
    MissingContent(String),
    #[error("failed to unmarshal content for {0:?}: {1}")]
    Content(String, String),
}

macro_rules! registry {
    ($($variant:ident => $name:literal),* $(,)?) => {
        impl Message {
            /// The short discriminator name (after `streamkit://api/v1/`).
            #[must_use]
            pub fn name(&self) -> &'static str {
                match self { $(Message::$variant(_) => $name,)* }
            }

            /// Go's type name, as in `invalid request msg type: *api.GetStatus`.
            #[must_use]
            pub fn go_type(&self) -> &'static str {
                match self { $(Message::$variant(_) => stringify!($variant),)* }
            }

            fn content_json(&self) -> Vec<u8> {
                match self { $(Message::$variant(m) => crate::gojson::to_vec(m).unwrap_or_default(),)* }
            }

            fn decode_content(name: &str, discriminator: &str, raw: &str) -> Result<Self, EnvelopeError> {
                match name {
                    $($name => decode_as(discriminator, raw).map(Message::$variant),)*
                    _ => Err(EnvelopeError::NotRegistered(discriminator.to_owned())),
                }
            }
        }
    };
}

registry! {
    Peek => "peek",
    Produce => "produce",
    ConsumeSegment => "consume_segment",
    ConsumeSpace => "consume_space",
    Consume => "consume",
    GetSpaces => "get_spaces",
    GetSegments => "get_segments",
    GetStatus => "get_status",
    SubscribeToSegmentStatus => "subscribe_to_segment_status",
    SegmentStatus => "segment_status",
    SegmentNotification => "segment_notification",
    LeaseAcquire => "lease_acquire",
    LeaseRenew => "lease_renew",
    LeaseRelease => "lease_release",
    LeaseResult => "lease_result",
    SubscribeWorkers => "subscribe_workers",
    WorkerInventory => "worker_inventory",
    Presence => "presence",
    WorkerInventoryNotification => "worker_inventory_notification",
}

impl Message {
    /// The full discriminator, e.g. `streamkit://api/v1/peek`.
    #[must_use]
    pub fn discriminator(&self) -> String {
        format!("{PREFIX}{}", self.name())
    }

    /// Encode as an envelope (`$type` then `content`, as Go's map marshal orders them).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let content = self.content_json();
        let mut out = Vec::with_capacity(content.len() + 64);
        out.extend_from_slice(b"{\"$type\":\"");
        out.extend_from_slice(PREFIX.as_bytes());
        out.extend_from_slice(self.name().as_bytes());
        out.extend_from_slice(b"\",\"content\":");
        out.extend_from_slice(&content);
        out.push(b'}');
        out
    }

    /// Decode an envelope, with the semantics and error texts of `fgrzl/json` polymorphic over
    /// Go's `encoding/json`: the `$type`/`content` keys are map keys (exact, last one wins);
    /// the content is decoded like `json.Unmarshal` does (see [`decode_bare`]).
    ///
    /// # Errors
    /// See [`EnvelopeError`].
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        crate::gosyntax::check_valid(bytes).map_err(EnvelopeError::Syntax)?;
        let text = crate::godecode::lossy_utf8(bytes);
        let top = text.trim_matches([' ', '\t', '\r', '\n']);
        let members = match top.as_bytes().first() {
            Some(b'{') => crate::godecode::members(top),
            // `null` into a map leaves it nil: no `$type`.
            Some(b'n') => Vec::new(),
            _ => {
                return Err(EnvelopeError::NotObject(format!(
                    "json: cannot unmarshal {} into Go value of type map[string]jsontext.Value",
                    json_kind(top)
                )));
            }
        };
        let last = |key: &str| {
            members
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| *v)
        };
        let Some(ty) = last("$type") else {
            return Err(EnvelopeError::MissingType);
        };
        let discriminator = match ty.as_bytes().first() {
            Some(b'"') => crate::godecode::unquote(ty),
            _ => String::new(),
        };
        if discriminator.is_empty() {
            return Err(EnvelopeError::EmptyType);
        }
        let Some(name) = discriminator.strip_prefix(PREFIX) else {
            return Err(EnvelopeError::NotRegistered(discriminator));
        };
        let content = match last("content") {
            Some(c) if !c.starts_with('n') => c,
            _ => {
                // Check registration first: an unknown type reports that, not the content.
                return match Message::decode_content(name, &discriminator, "{}") {
                    Err(e @ EnvelopeError::NotRegistered(_)) => Err(e),
                    _ => Err(EnvelopeError::MissingContent(discriminator)),
                };
            }
        };
        Message::decode_content(name, &discriminator, content)
    }
}

fn decode_as<T: DeserializeOwned>(discriminator: &str, raw: &str) -> Result<T, EnvelopeError> {
    crate::godecode::from_valid_str(raw)
        .map_err(|e| EnvelopeError::Content(discriminator.to_owned(), e.0))
}

fn json_kind(raw: &str) -> &'static str {
    match raw.as_bytes().first() {
        Some(b'"') => "string",
        Some(b'[') => "array",
        Some(b't' | b'f') => "bool",
        Some(b'n') => "null",
        _ => "number",
    }
}

/// Decode a bare (non-enveloped) payload of type `T` as Go's `json.Unmarshal` would: `null`
/// fields left at zero, repeated keys applied in order, invalid UTF-8 and lone surrogates
/// replaced by U+FFFD, integers strictly parsed, keys matched case-insensitively, Go's error
/// texts. Canonical payloads (plain lower-case keys) take a fast strict path.
///
/// # Errors
/// Go's error text (syntax error, `json: cannot unmarshal …`, or a field decoder's own error
/// such as `illegal base64 data at input byte 0`), carried in a `serde_json::Error`.
pub fn decode_bare<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    // Hot path (every Record and Entry): when all keys are plain lower-case and there is no
    // array, what serde_json accepts strictly, Go decodes to the same value.
    if crate::godecode::plain_keys(bytes)
        && let Ok(v) = serde_json::from_slice(bytes)
    {
        return Ok(v);
    }
    crate::godecode::from_slice(bytes).map_err(|e| serde::de::Error::custom(e.0))
}

/// Encode a bare payload as Go would.
#[must_use]
pub fn encode_bare<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    crate::gojson::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        Message::decode(s.as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(
            err(r#"{"$type":"streamkit://api/v1/nope","content":{}}"#),
            r#"type "streamkit://api/v1/nope" is not registered"#
        );
        assert_eq!(
            err(r#"{"$type":"streamkit://api/v1/peek","content":{"space":"a","#),
            "unexpected end of JSON input"
        );
        assert_eq!(
            err(r#"{"content":{"space":"a","segment":"s"}}"#),
            "missing $type field in envelope"
        );
        assert_eq!(
            err(r#"{"$type":"","content":{}}"#),
            "empty $type discriminator"
        );
        assert_eq!(
            err(r#"{"$type":"streamkit://api/v1/peek"}"#),
            r#"missing content for type: "streamkit://api/v1/peek""#
        );
        assert_eq!(
            err(r#"{"$type":"streamkit://api/v1/peek","content":null}"#),
            r#"missing content for type: "streamkit://api/v1/peek""#
        );
        assert_eq!(
            err(r#"{"$type":"streamkit://api/v1/peek","content":{"space":5}}"#),
            r#"failed to unmarshal content for "streamkit://api/v1/peek": json: cannot unmarshal number into Go struct field Peek.space of type string"#
        );
        assert_eq!(
            err(r#""hello""#),
            "failed to unmarshal envelope: json: cannot unmarshal string into Go value of type map[string]jsontext.Value"
        );
        assert_eq!(err(""), "unexpected end of JSON input");
    }

    /// Go `encoding/json` behaviour the server applies to requests (verified with go1.19).
    #[test]
    fn go_decoding_rules() {
        assert_eq!(
            err("hello"),
            "invalid character 'h' looking for beginning of value"
        );
        assert_eq!(
            err("{\"$type\":1 2}"),
            "invalid character '2' after object key:value pair"
        );
        assert_eq!(err("null"), "missing $type field in envelope");
        assert_eq!(
            err("[1]"),
            "failed to unmarshal envelope: json: cannot unmarshal array into Go value of type map[string]jsontext.Value"
        );
        assert_eq!(
            err(r#"{"$type":"streamkit://api/v1/consume_segment","content":{"min_sequence":-1}}"#),
            r#"failed to unmarshal content for "streamkit://api/v1/consume_segment": json: cannot unmarshal number -1 into Go struct field ConsumeSegment.min_sequence of type uint64"#
        );
        assert_eq!(
            err(r#"{"$type":"streamkit://api/v1/consume_space","content":{"offset":"zz"}}"#),
            r#"failed to unmarshal content for "streamkit://api/v1/consume_space": cannot decode hex string: encoding/hex: invalid byte: U+007A 'z'"#
        );
        // Keys of the content match case-insensitively, `null` leaves the zero value, the last
        // of repeated keys wins; the envelope's own keys are exact and the last one wins.
        let m = Message::decode(
            br#"{"$type":"x","$type":"streamkit://api/v1/peek","content":{"SPACE":"a","segment":null,"space":"b"}}"#,
        );
        assert_eq!(
            m,
            Ok(Message::Peek(Peek {
                space: "b".into(),
                segment: String::new()
            }))
        );
    }

    #[test]
    fn encodes_in_go_order() {
        let m = Message::Peek(Peek {
            space: "orders".into(),
            segment: "eu-7".into(),
        });
        assert_eq!(
            String::from_utf8(m.encode()).unwrap_or_default(),
            r#"{"$type":"streamkit://api/v1/peek","content":{"space":"orders","segment":"eu-7"}}"#
        );
        assert_eq!(Message::decode(&m.encode()), Ok(m));
    }
}
