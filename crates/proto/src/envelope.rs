//! The polymorphic envelope `{"$type":…,"content":…}` and its discriminator registry.

use crate::messages::{
    Consume, ConsumeSegment, ConsumeSpace, GetSegments, GetSpaces, GetStatus, LeaseAcquire,
    LeaseRelease, LeaseRenew, LeaseResult, Peek, Presence, Produce, SegmentNotification,
    SegmentStatus, SubscribeToSegmentStatus, SubscribeWorkers, WorkerInventory,
    WorkerInventoryNotification,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;

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
                    $($name => decode_as(discriminator, stringify!($variant), raw).map(Message::$variant),)*
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

    /// Decode an envelope, with the error texts of `fgrzl/json` polymorphic.
    ///
    /// # Errors
    /// See [`EnvelopeError`].
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let value: &RawValue = serde_json::from_slice(bytes).map_err(|e| syntax_error(bytes, &e))?;
        let map: std::collections::BTreeMap<String, &RawValue> =
            serde_json::from_str(value.get()).map_err(|_| {
                EnvelopeError::NotObject(format!(
                    "json: cannot unmarshal {} into Go value of type map[string]jsontext.Value",
                    json_kind(value.get())
                ))
            })?;
        let Some(ty) = map.get("$type") else { return Err(EnvelopeError::MissingType) };
        let discriminator: String = serde_json::from_str(ty.get())
            .map_err(|_| EnvelopeError::EmptyType)?;
        if discriminator.is_empty() {
            return Err(EnvelopeError::EmptyType);
        }
        let Some(name) = discriminator.strip_prefix(PREFIX) else {
            return Err(EnvelopeError::NotRegistered(discriminator));
        };
        let content = match map.get("content") {
            Some(c) if c.get().trim() != "null" => *c,
            _ => {
                // Check registration first: an unknown type reports that, not the content.
                return match Message::decode_content(name, &discriminator, "{}") {
                    Err(e @ EnvelopeError::NotRegistered(_)) => Err(e),
                    _ => Err(EnvelopeError::MissingContent(discriminator)),
                };
            }
        };
        Message::decode_content(name, &discriminator, content.get())
    }
}

fn decode_as<T: DeserializeOwned>(discriminator: &str, go_type: &str, raw: &str) -> Result<T, EnvelopeError> {
    let mut de = serde_json::Deserializer::from_str(raw);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| EnvelopeError::Content(discriminator.to_owned(), go_unmarshal_text(go_type, &e)))
}

/// Rebuild Go's `json: cannot unmarshal X into Go struct field T.f of type G` from serde's error.
fn go_unmarshal_text(go_type: &str, e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = e.inner().to_string();
    // serde_json appends " at line L column C"; Go's texts carry no position.
    let inner = match inner.rfind(" at line ") {
        Some(i) if inner[i..].contains(" column ") => inner[..i].to_owned(),
        _ => inner,
    };
    let path = e.path().to_string();
    if let Some(rest) = inner.strip_prefix("invalid type: ") {
        let got = rest.split([',', ' ']).next().unwrap_or("");
        let got = match got {
            "integer" | "floating" => "number",
            "string" => "string",
            "boolean" => "bool",
            "sequence" => "array",
            "map" => "object",
            other => other,
        };
        let expected = rest.rsplit("expected ").next().unwrap_or("");
        let go = go_field_type(expected);
        return format!("json: cannot unmarshal {got} into Go struct field {go_type}.{path} of type {go}");
    }
    inner
}

fn go_field_type(serde_expected: &str) -> &'static str {
    let e = serde_expected.split(" at line").next().unwrap_or("");
    if e.contains("string") {
        "string"
    } else if e.contains("u64") {
        "uint64"
    } else if e.contains("i64") {
        "int64"
    } else if e.contains("bool") {
        "bool"
    } else if e.contains("map") {
        "map[string]string"
    } else {
        "interface {}"
    }
}

fn json_kind(raw: &str) -> &'static str {
    match raw.trim_start().as_bytes().first() {
        Some(b'"') => "string",
        Some(b'[') => "array",
        Some(b't' | b'f') => "bool",
        Some(b'n') => "null",
        _ => "number",
    }
}

fn syntax_error(bytes: &[u8], e: &serde_json::Error) -> EnvelopeError {
    if e.is_eof() || bytes.trim_ascii().is_empty() {
        EnvelopeError::Syntax("unexpected end of JSON input".to_owned())
    } else {
        EnvelopeError::Syntax(format!("invalid character in JSON input: {e}"))
    }
}

/// Decode a bare (non-enveloped) payload of type `T`.
///
/// # Errors
/// The serde error text.
pub fn decode_bare<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes)
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
        Message::decode(s.as_bytes()).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(err(r#"{"$type":"streamkit://api/v1/nope","content":{}}"#), r#"type "streamkit://api/v1/nope" is not registered"#);
        assert_eq!(err(r#"{"$type":"streamkit://api/v1/peek","content":{"space":"a","#), "unexpected end of JSON input");
        assert_eq!(err(r#"{"content":{"space":"a","segment":"s"}}"#), "missing $type field in envelope");
        assert_eq!(err(r#"{"$type":"","content":{}}"#), "empty $type discriminator");
        assert_eq!(err(r#"{"$type":"streamkit://api/v1/peek"}"#), r#"missing content for type: "streamkit://api/v1/peek""#);
        assert_eq!(err(r#"{"$type":"streamkit://api/v1/peek","content":null}"#), r#"missing content for type: "streamkit://api/v1/peek""#);
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

    #[test]
    fn encodes_in_go_order() {
        let m = Message::Peek(Peek { space: "orders".into(), segment: "eu-7".into() });
        assert_eq!(
            String::from_utf8(m.encode()).unwrap_or_default(),
            r#"{"$type":"streamkit://api/v1/peek","content":{"space":"orders","segment":"eu-7"}}"#
        );
        assert_eq!(Message::decode(&m.encode()), Ok(m));
    }
}
