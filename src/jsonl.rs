//! The JSON-lines shape shared by `consume` (out) and `produce` (in), so an export round-trips.
//!
//! A payload that is JSON (on one line) is embedded verbatim as `payload`; other UTF-8 as
//! `payload_text`; anything else as `payload_base64`. The bytes come back exactly.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use skope_proto::{Entry, Metadata, Record, SegmentStatus, Trx};

#[derive(Serialize)]
struct EntryLine<'a> {
    space: &'a str,
    segment: &'a str,
    sequence: u64,
    timestamp: i64,
    trx: &'a Trx,
    offset: String,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    metadata: &'a Metadata,
    #[serde(flatten)]
    payload: PayloadOut<'a>,
}

#[derive(Serialize)]
enum PayloadOut<'a> {
    #[serde(rename = "payload")]
    Json(&'a RawValue),
    #[serde(rename = "payload_text")]
    Text(&'a str),
    #[serde(rename = "payload_base64")]
    Base64(String),
    #[serde(rename = "payload")]
    Null(Option<()>),
}

fn payload_out(payload: Option<&[u8]>) -> PayloadOut<'_> {
    let Some(bytes) = payload else {
        return PayloadOut::Null(None);
    };
    if let Ok(text) = std::str::from_utf8(bytes) {
        // Embed only one-line JSON whose raw text is exactly the value (no outer spaces).
        if !text.contains(['\n', '\r'])
            && let Ok(raw) = serde_json::from_str::<&RawValue>(text)
            && raw.get().len() == text.len()
        {
            return PayloadOut::Json(raw);
        }
        return PayloadOut::Text(text);
    }
    PayloadOut::Base64(STANDARD.encode(bytes))
}

/// One entry as a JSON line (no trailing newline).
#[must_use]
pub fn entry_line(e: &Entry) -> String {
    let line = EntryLine {
        space: &e.space,
        segment: &e.segment,
        sequence: e.sequence,
        timestamp: e.timestamp,
        trx: &e.trx,
        offset: e.space_offset().to_hex(),
        metadata: &e.metadata,
        payload: payload_out(e.payload.as_deref()),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// A segment status as a JSON line; `name` is the segment (for `skope segments`).
#[must_use]
pub fn status_line(s: &SegmentStatus) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A record line as `produce` reads it; extra keys (space, segment, trx, …) are ignored.
#[derive(Debug, Deserialize)]
struct RecordLine {
    sequence: Option<u64>,
    #[serde(default)]
    metadata: Metadata,
    payload: Option<Box<RawValue>>,
    payload_text: Option<String>,
    payload_base64: Option<String>,
}

/// Parse one input line into a record; `sequence` is `None` when the line has none.
///
/// # Errors
/// A line that is not a record object, or has more than one payload field.
pub fn parse_record_line(line: &str) -> Result<(Option<u64>, Record), String> {
    let r: RecordLine =
        serde_json::from_str(line).map_err(|e| format!("not a record line: {e}"))?;
    let count = usize::from(r.payload.is_some())
        + usize::from(r.payload_text.is_some())
        + usize::from(r.payload_base64.is_some());
    if count > 1 {
        return Err("a record line has one of payload, payload_text, payload_base64".into());
    }
    let payload = if let Some(raw) = r.payload {
        (raw.get() != "null").then(|| raw.get().as_bytes().to_vec())
    } else if let Some(t) = r.payload_text {
        Some(t.into_bytes())
    } else if let Some(b) = r.payload_base64 {
        Some(
            STANDARD
                .decode(b)
                .map_err(|e| format!("payload_base64 is not base64: {e}"))?,
        )
    } else {
        Some(Vec::new())
    };
    let record = Record {
        sequence: r.sequence.unwrap_or(0),
        payload,
        metadata: r.metadata,
    };
    Ok((r.sequence, record))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(payload: &[u8]) -> Entry {
        Entry {
            sequence: 3,
            timestamp: 1_700_000_000_000,
            payload: Some(payload.to_vec()),
            space: "orders".into(),
            segment: "o-1".into(),
            ..Entry::default()
        }
    }

    #[test]
    fn payload_kinds_round_trip() {
        for p in [
            &br#"{"n":1}"#[..],
            b"plain text",
            b"\xff\x00\x01",
            b" {\"spaced\":1}",
            b"line\nbreak",
            b"",
        ] {
            let line = entry_line(&entry(p));
            let (seq, rec) = parse_record_line(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(seq, Some(3));
            assert_eq!(rec.payload.as_deref(), Some(p), "{line}");
        }
    }

    #[test]
    fn json_payload_is_embedded() {
        let line = entry_line(&entry(br#"{"n":1}"#));
        assert!(line.contains(r#""payload":{"n":1}"#), "{line}");
        assert!(
            line.starts_with(r#"{"space":"orders","segment":"o-1","sequence":3,"#),
            "{line}"
        );
    }

    #[test]
    fn bad_lines_are_refused() {
        assert!(parse_record_line("nope").is_err());
        assert!(parse_record_line(r#"{"payload":1,"payload_text":"x"}"#).is_err());
        assert!(parse_record_line(r#"{"payload_base64":"!!"}"#).is_err());
    }
}
