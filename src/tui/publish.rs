//! The publish pane's state (`P`, `:publish`, `c` copies the selected entry into it): a payload
//! editor (`ratatui-textarea`) with live JSON validation, metadata `key=value` rows, the target
//! and its next sequence, a preview step, then the server's answer. No I/O here.

use ratatui_textarea::TextArea;
use skope_client::{Entry, Metadata};

/// Which field has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Payload,
    /// Metadata row `i`.
    Meta(usize),
}

/// Where the pane is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Edit,
    /// Shown what will be sent; Enter sends.
    Preview,
    Sending,
    /// The new last sequence.
    Sent(u64),
    /// The server's error, verbatim.
    Failed(String),
}

/// What the payload is, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    Empty,
    Json,
    /// Not JSON: sent as text; the parse error says where.
    Text(String),
}

/// The publish pane.
#[derive(Debug, Clone)]
pub struct Publish {
    pub space: String,
    pub segment: String,
    pub payload: TextArea<'static>,
    /// `key=value` rows as typed.
    pub metadata: Vec<String>,
    pub field: Field,
    pub step: Step,
    /// The sequence the next publish gets (last + 1), when known.
    pub next_sequence: Option<u64>,
    /// Ties a peek or publish answer to this pane.
    pub generation: u64,
}

impl Publish {
    #[must_use]
    pub fn new(space: String, segment: String, generation: u64) -> Self {
        let mut payload = TextArea::default();
        payload.set_placeholder_text("payload: JSON or text");
        Publish {
            space,
            segment,
            payload,
            metadata: Vec::new(),
            field: Field::Payload,
            step: Step::Edit,
            next_sequence: None,
            generation,
        }
    }

    /// Pre-filled from an entry ("publish like this").
    #[must_use]
    pub fn from_entry(e: &Entry, generation: u64) -> Self {
        let mut p = Publish::new(e.space.clone(), e.segment.clone(), generation);
        let text = String::from_utf8_lossy(e.payload_bytes()).into_owned();
        p.payload = TextArea::new(text.lines().map(str::to_owned).collect());
        p.metadata = e.metadata.iter().map(|(k, v)| format!("{k}={v}")).collect();
        p
    }

    /// The payload text (lines joined with `\n`).
    #[must_use]
    pub fn text(&self) -> String {
        self.payload.lines().join("\n")
    }

    #[must_use]
    pub fn validity(&self) -> Validity {
        let text = self.text();
        if text.trim().is_empty() {
            return Validity::Empty;
        }
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(_) => Validity::Json,
            Err(e) => Validity::Text(e.to_string()),
        }
    }

    /// The metadata rows parsed; an error names the first bad row.
    ///
    /// # Errors
    /// A row without `=` or with an empty key.
    pub fn parsed_metadata(&self) -> Result<Metadata, String> {
        let mut m = Metadata::new();
        for (i, row) in self.metadata.iter().enumerate() {
            if row.trim().is_empty() {
                continue;
            }
            match row.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    m.insert(k.trim().to_owned(), v.to_owned());
                }
                _ => return Err(format!("metadata row {}: expected key=value", i + 1)),
            }
        }
        Ok(m)
    }

    /// Tab: payload → metadata rows → payload.
    pub fn next_field(&mut self) {
        self.field = match self.field {
            Field::Payload if !self.metadata.is_empty() => Field::Meta(0),
            Field::Meta(i) if i + 1 < self.metadata.len() => Field::Meta(i + 1),
            _ => Field::Payload,
        };
    }

    pub fn add_row(&mut self) {
        self.metadata.push(String::new());
        self.field = Field::Meta(self.metadata.len() - 1);
    }

    pub fn remove_row(&mut self) {
        if let Field::Meta(i) = self.field
            && i < self.metadata.len()
        {
            self.metadata.remove(i);
            self.field = if self.metadata.is_empty() {
                Field::Payload
            } else {
                Field::Meta(i.min(self.metadata.len() - 1))
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_and_metadata() {
        let mut p = Publish::new("s".into(), "g".into(), 1);
        assert_eq!(p.validity(), Validity::Empty);
        p.payload.insert_str(r#"{"a":1}"#);
        assert_eq!(p.validity(), Validity::Json);
        p.payload.insert_str("x");
        assert!(matches!(p.validity(), Validity::Text(_)));
        p.add_row();
        p.metadata[0] = "k=v=w".into();
        p.add_row();
        assert_eq!(p.field, Field::Meta(1));
        let m = p.parsed_metadata().expect("ok");
        assert_eq!(m.get("k").map(String::as_str), Some("v=w"));
        p.metadata[1] = "novalue".into();
        assert!(p.parsed_metadata().is_err());
        p.remove_row();
        assert_eq!(p.field, Field::Meta(0));
        p.next_field();
        assert_eq!(p.field, Field::Payload);
    }

    #[test]
    fn from_entry_copies_payload_and_metadata() {
        let mut metadata = Metadata::new();
        metadata.insert("source".into(), "demo".into());
        let e = Entry {
            payload: Some(b"line1\nline2".to_vec()),
            metadata,
            space: "orders".into(),
            segment: "eu-1".into(),
            ..Entry::default()
        };
        let p = Publish::from_entry(&e, 3);
        assert_eq!(p.text(), "line1\nline2");
        assert_eq!(p.metadata, vec!["source=demo"]);
        assert_eq!((p.space.as_str(), p.segment.as_str()), ("orders", "eu-1"));
    }
}
