//! The selected entry in full.
//!
//! ```text
//! ┌ #27 orders/eu-1 · json ────────────────────────┐
//! │ time     2025-01-01T10:00:00.000Z (3s ago)      │
//! │ payload  71 B                                   │
//! │ {                                               │
//! │   "id": "orders-eu-1-27", …                     │
//! │ metadata source = demo                          │
//! │ trx      1b4e… #12                              │
//! │ node     9f0c…                                  │
//! │ offsets  space   4441540053…                    │
//! │          segment 4441540053…                    │
//! └─────────────────────────────────────────────────┘
//! ```

use super::{ago, highlight, pane, rfc3339};
use crate::tui::state::{AppState, Focus, PayloadFormat};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use skope_client::Entry;
use std::rc::Rc;

const LABEL_W: usize = 9;

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let title = match state.entries.selected_entry() {
        Some(e) => format!(
            " #{} {}/{} · {} ",
            e.sequence,
            e.space,
            e.segment,
            state.detail.format.label()
        ),
        None => " detail ".to_owned(),
    };
    let block = pane(
        state,
        Focus::Detail,
        Line::from(Span::styled(title, t.title)),
    );
    let detail = Detail::of(state);
    let rows = usize::from(area.height.saturating_sub(2));
    let scroll = usize::from(state.detail.scroll).min(detail.len().saturating_sub(rows));
    let shown = detail.rows(state, scroll, rows);
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// The detail's lines: its own around the payload's, which are shared with the memo (a
/// payload may be megabytes: a frame copies and highlights only the rows it shows). Long
/// lines are cut by the pane, not wrapped, so one line is one row on screen.
pub struct Detail {
    head: Vec<Line<'static>>,
    payload: Rc<[Line<'static>]>,
    tail: Vec<Line<'static>>,
}

impl Detail {
    #[must_use]
    pub fn of(state: &AppState) -> Self {
        let (head, payload, tail) = parts(state);
        Detail {
            head,
            payload,
            tail,
        }
    }

    /// How many lines (the update bounds scrolling with it).
    #[must_use]
    pub fn len(&self) -> usize {
        self.head.len() + self.payload.len() + self.tail.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lines `skip..skip + take`, the payload's with the filter's matches marked.
    #[must_use]
    pub fn rows(&self, state: &AppState, skip: usize, take: usize) -> Vec<Line<'static>> {
        let (h, p) = (self.head.len(), self.payload.len());
        let end = skip.saturating_add(take);
        let mut out = Vec::with_capacity(take.min(self.len()));
        out.extend(self.head.iter().take(end).skip(skip).cloned());
        let (from, to) = (skip.saturating_sub(h).min(p), end.saturating_sub(h).min(p));
        out.extend(
            self.payload[from..to]
                .iter()
                .map(|l| highlight(state, l.clone())),
        );
        let (from, to) = (skip.saturating_sub(h + p), end.saturating_sub(h + p));
        out.extend(self.tail.iter().take(to).skip(from).cloned());
        out
    }
}

/// The detail's head, payload and tail lines.
fn parts(state: &AppState) -> (Vec<Line<'static>>, Rc<[Line<'static>]>, Vec<Line<'static>>) {
    let t = &state.theme;
    let Some(e) = state.entries.selected_entry() else {
        let none = vec![Line::from(Span::styled("no entry selected", t.dim))];
        return (none, Rc::from([]), Vec::new());
    };
    let label = |s: &str| Span::styled(format!("{s:<LABEL_W$}"), t.dim);
    let payload = e.payload_bytes();
    let head = vec![
        Line::from(vec![
            label("time"),
            Span::raw(rfc3339(e.timestamp)),
            Span::styled(format!(" ({})", ago(state.now_ms - e.timestamp)), t.dim),
        ]),
        Line::from(vec![
            label("payload"),
            Span::raw(format!("{} B", payload.len())),
        ]),
    ];
    let mut out = vec![Line::from("")];
    if e.metadata.is_empty() {
        out.push(Line::from(vec![
            label("metadata"),
            Span::styled("none", t.dim),
        ]));
    } else {
        let key_w = e
            .metadata
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        for (i, (k, v)) in e.metadata.iter().enumerate() {
            out.push(highlight(
                state,
                Line::from(vec![
                    label(if i == 0 { "metadata" } else { "" }),
                    Span::styled(format!("{k:<key_w$}"), t.json_key),
                    Span::raw(" = "),
                    Span::raw(v.clone()),
                ]),
            ));
        }
    }
    out.extend([
        Line::from(vec![
            label("trx"),
            Span::raw(format!("{} #{}", e.trx.id, e.trx.number)),
        ]),
        Line::from(vec![label("node"), Span::raw(e.trx.node.to_string())]),
        Line::from(vec![
            label("offsets"),
            Span::styled("space   ", t.dim),
            Span::raw(e.space_offset().to_hex()),
        ]),
        Line::from(vec![
            label(""),
            Span::styled("segment ", t.dim),
            Span::raw(e.segment_offset().to_hex()),
        ]),
    ]);
    (head, payload_lines_memo(e, state.detail.format, t), out)
}

/// What the payload's lines depend on (the TRX id tells entries of different stores apart).
type MemoKey = (
    String,
    String,
    u64,
    skope_client::Uuid,
    usize,
    PayloadFormat,
    Theme,
);

thread_local! {
    /// The selected payload's lines: formatted once, not on every frame and every detail key
    /// (a payload may be megabytes).
    static PAYLOAD_MEMO: std::cell::RefCell<Option<(MemoKey, Rc<[Line<'static>]>)>> =
        const { std::cell::RefCell::new(None) };
}

fn payload_lines_memo(e: &Entry, format: PayloadFormat, t: &Theme) -> Rc<[Line<'static>]> {
    let key: MemoKey = (
        e.space.clone(),
        e.segment.clone(),
        e.sequence,
        e.trx.id,
        e.payload_bytes().len(),
        format,
        *t,
    );
    PAYLOAD_MEMO.with_borrow_mut(|memo| {
        if let Some((k, lines)) = memo.as_ref()
            && *k == key
        {
            return Rc::clone(lines);
        }
        let lines: Rc<[Line<'static>]> = payload_lines(e, format, t).into();
        *memo = Some((key, Rc::clone(&lines)));
        lines
    })
}

fn payload_lines(e: &Entry, format: PayloadFormat, t: &Theme) -> Vec<Line<'static>> {
    let bytes = e.payload_bytes();
    match format {
        PayloadFormat::Json => match pretty_json(bytes) {
            Ok(text) => text.lines().map(|l| json_line(l, t)).collect(),
            Err(_) => {
                let mut v = vec![Line::from(Span::styled("(not JSON: shown as text)", t.dim))];
                v.extend(text_lines(bytes));
                v
            }
        },
        PayloadFormat::Text => text_lines(bytes),
        PayloadFormat::Hex => hex_lines(bytes),
    }
}

/// The payload re-indented, keys in the order the payload has them (a `Value` would sort them).
fn pretty_json(bytes: &[u8]) -> Result<String, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut out = Vec::with_capacity(bytes.len() * 2);
    serde_transcode::transcode(&mut de, &mut serde_json::Serializer::pretty(&mut out))?;
    de.end()?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn text_lines(bytes: &[u8]) -> Vec<Line<'static>> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| Line::from(l.replace('\t', "    ")))
        .collect()
}

/// `00000000  7b 22 69 64 22 3a 22 6f  72 64 65 72 73 2d 65 75  |{"id":"orders-eu|`
#[must_use]
pub fn hex_lines(bytes: &[u8]) -> Vec<Line<'static>> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::with_capacity(50);
            for (j, b) in chunk.iter().enumerate() {
                if j == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        char::from(b)
                    } else {
                        '.'
                    }
                })
                .collect();
            Line::from(format!("{:08x}  {hex:<49} |{ascii}|", i * 16))
        })
        .collect()
}

/// Colour one line of pretty-printed JSON: keys, strings, numbers, literals.
fn json_line(line: &str, t: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut plain = String::new();
    let flush = |plain: &mut String, spans: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            spans.push(Span::raw(std::mem::take(plain)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            flush(&mut plain, &mut spans);
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let s: String = chars[start..i].iter().collect();
            let is_key = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            let style: Style = if is_key { t.json_key } else { t.json_string };
            spans.push(Span::styled(s, style));
        } else if c == '-' || c.is_ascii_digit() {
            flush(&mut plain, &mut spans);
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || matches!(chars[i], '-' | '+' | '.' | 'e' | 'E'))
            {
                i += 1;
            }
            spans.push(Span::styled(
                chars[start..i].iter().collect::<String>(),
                t.json_number,
            ));
        } else if c.is_ascii_alphabetic() {
            flush(&mut plain, &mut spans);
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            spans.push(Span::styled(
                chars[start..i].iter().collect::<String>(),
                t.json_literal,
            ));
        } else {
            plain.push(c);
            i += 1;
        }
    }
    flush(&mut plain, &mut spans);
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_dump_layout() {
        let l = hex_lines(b"{\"id\":\"orders-eu-1\"}");
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[0].to_string(),
            "00000000  7b 22 69 64 22 3a 22 6f  72 64 65 72 73 2d 65 75  |{\"id\":\"orders-eu|"
        );
        assert!(l[1].to_string().starts_with("00000010  2d 31 22 7d"));
    }

    #[test]
    fn payload_lines_are_formatted_once_per_entry_and_format() {
        let t = Theme::default_theme();
        let mut e = Entry {
            sequence: 1,
            payload: Some(br#"{"a":1}"#.to_vec()),
            ..Entry::default()
        };
        let json = payload_lines_memo(&e, PayloadFormat::Json, &t);
        assert_eq!(json.to_vec(), payload_lines(&e, PayloadFormat::Json, &t));
        let hex = payload_lines_memo(&e, PayloadFormat::Hex, &t);
        assert_eq!(hex.to_vec(), payload_lines(&e, PayloadFormat::Hex, &t));
        assert_ne!(json, hex);
        // Another entry is another key.
        e.sequence = 2;
        e.payload = Some(br#"{"b":2}"#.to_vec());
        assert_eq!(
            payload_lines_memo(&e, PayloadFormat::Json, &t).to_vec(),
            payload_lines(&e, PayloadFormat::Json, &t)
        );
    }

    #[test]
    fn a_window_of_rows_is_the_same_rows_of_the_whole_detail() {
        use crate::tui::event::{ClientEvent, Event};
        use crate::tui::filter::Filter;
        use crate::tui::state::{Source, StateOptions};
        let mut s = AppState::new(StateOptions::default());
        s.entries.source = Some(Source::Segment {
            space: "orders".into(),
            segment: "eu-1".into(),
        });
        let mut metadata = skope_client::Metadata::new();
        metadata.insert("status".into(), "failed".into());
        let payload = br#"{"id":"o-1","status":"failed","lines":[1,2,3],"note":"failed twice"}"#;
        let batch = vec![Entry {
            sequence: 7,
            payload: Some(payload.to_vec()),
            metadata,
            ..Entry::default()
        }];
        let generation = s.entries.generation;
        s.handle(Event::Client(ClientEvent::Entries { generation, batch }));
        let f = Filter::parse("failed").expect("filter");
        s.entries.set_filter(Some(("failed".into(), f)));
        let d = Detail::of(&s);
        let all = d.rows(&s, 0, usize::MAX);
        assert_eq!(all.len(), d.len());
        assert!(
            d.len() > 12,
            "head, a pretty payload, metadata, trx, offsets"
        );
        // The payload's matches are marked in any window, as in the whole.
        let marked = |l: &Line| l.spans.iter().any(|sp| sp.style == s.theme.highlight);
        assert!(all.iter().filter(|l| marked(l)).count() >= 3);
        for skip in 0..=d.len() + 1 {
            for take in [0, 1, 3, 10, d.len()] {
                let want: Vec<_> = all.iter().skip(skip).take(take).cloned().collect();
                assert_eq!(d.rows(&s, skip, take), want, "skip {skip} take {take}");
            }
        }
    }

    #[test]
    fn pretty_json_keeps_the_payload_key_order() {
        let text = pretty_json(br#"{"id":"o-1","status":"paid","amount":{"z":1,"a":2}}"#);
        assert_eq!(
            text.ok().as_deref(),
            Some(
                "{\n  \"id\": \"o-1\",\n  \"status\": \"paid\",\n  \"amount\": {\n    \"z\": 1,\n    \"a\": 2\n  }\n}"
            )
        );
        assert!(pretty_json(b"{} trailing").is_err());
        assert!(pretty_json(b"not json").is_err());
    }

    #[test]
    fn json_colouring_keeps_text() {
        let t = Theme::default_theme();
        let l = json_line(r#"  "a\"b": [1.5e3, true, "x:y"],"#, &t);
        assert_eq!(l.to_string(), r#"  "a\"b": [1.5e3, true, "x:y"],"#);
        assert_eq!(l.spans[1].style, t.json_key);
    }
}
