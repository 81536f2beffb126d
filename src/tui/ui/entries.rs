//! The entry list: a window over a live read. Only the visible rows are built.
//!
//! ```text
//! ┏ orders/eu-1 ● FOLLOW ━━━━━━━━━━━━━━━━━━━━━━━ last #27 · 27 in window ┓
//! ┃     SEQ TIME         SEGMENT   SIZE PAYLOAD                          ┃
//! ┃      26 10:42:07.123 eu-1       71B {"id":"orders-eu-1-26",…         ┃
//! ┃      27 10:42:09.918 eu-1       71B {"id":"orders-eu-1-27",…         ┃
//! ┗━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛
//! ```
//! The segment column shows only for space reads.

use super::{clock, highlight, pane};
use crate::tui::state::{AppState, Entries, Focus, Source};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use skope_client::Entry;

/// One line of a payload: control characters blanked, at most `width` characters; a payload
/// whose first `width` characters are not UTF-8 is `<N bytes binary>`.
#[must_use]
pub fn preview(payload: &[u8], width: usize) -> String {
    match shown_text(payload, width) {
        Some(text) => text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(width)
            .collect(),
        None => format!("<{} bytes binary>", payload.len()),
    }
}

/// The text a preview of `width` characters shows, if it is UTF-8. Only the bytes those
/// characters can take are looked at (at most 4 each): every visible row is previewed on every
/// frame, and a payload may be megabytes.
fn shown_text(payload: &[u8], width: usize) -> Option<&str> {
    let head = &payload[..payload.len().min(width.saturating_mul(4))];
    match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        Err(e) => {
            let valid = std::str::from_utf8(&head[..e.valid_up_to()]).ok()?;
            // Cut inside a character at the end of `head`, or bad only past what is shown.
            (e.error_len().is_none() || valid.chars().count() >= width).then_some(valid)
        }
    }
}

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let e = &state.entries;
    let t = &state.theme;
    let mut title = vec![Span::styled(
        format!(
            " {} ",
            e.source
                .as_ref()
                .map_or_else(|| "entries".to_owned(), Source::label)
        ),
        t.title,
    )];
    if e.source.is_some() {
        let (text, style) = if let Some(err) = &e.error {
            (format!("✖ {err} "), t.error)
        } else if e.detached {
            ("↑ SCROLLED BACK · End: live ".to_owned(), t.warn)
        } else if e.paused {
            ("[PAUSED] ".to_owned(), t.warn)
        } else if !e.follow {
            ("↑ SCROLLED (G follows) ".to_owned(), t.warn)
        } else {
            ("● FOLLOW ".to_owned(), t.ok)
        };
        title.push(Span::styled(text, style));
    }
    if let Some(f) = &e.filter {
        title.push(Span::styled(
            format!("/{} ({} of {}) ", f.text, f.matches.len(), e.ring.len()),
            t.accent,
        ));
    }
    let title = Line::from(title);
    let left_w = title.width();
    let mut block = pane(state, Focus::Entries, title);
    if let Some(last) = e.last_sequence {
        let right = format!(" last #{last} · {} in window ", e.ring.len());
        // The right title only where it does not cover the left one.
        if left_w + right.chars().count() + 4 <= usize::from(area.width) {
            block = block.title(Line::from(Span::styled(right, t.dim)).alignment(Alignment::Right));
        }
    }
    // What is above the first row, while the first row is on screen.
    let top_shown = e.visible_pos(e.top) == 0;
    if e.loading_older.is_some() {
        block = block.title_bottom(Span::styled(" ↑ loading older… ", t.accent));
    } else if e.at_start() && top_shown && !e.ring.is_empty() {
        let what = match &e.source {
            Some(Source::Segment { .. }) => "segment",
            Some(Source::Spaces { .. }) => "spaces",
            _ => "space",
        };
        block = block.title_bottom(Span::styled(format!(" ⤒ start of the {what} "), t.dim));
    }
    if e.visible_len() == 0 {
        let text = match (&e.source, e.reading) {
            (None, _) => "open a segment or a space (Enter in the hierarchy, or :seg SPACE/SEG)",
            (Some(_), _) if !e.ring.is_empty() => "no entry matches the filter (esc clears it)",
            (Some(_), true) => "waiting for entries…",
            (Some(_), false) => "no entries",
        };
        frame.render_widget(Paragraph::new(Span::styled(text, t.dim)).block(block), area);
        return;
    }
    let rows_h = u64::from(area.height.saturating_sub(3));
    let Columns {
        show_segment,
        with_space,
        preview_w,
        widths,
        header,
    } = columns(e, area);
    let sel_style = selection_style(state);

    // Laid out and drawn as ratatui's `Table` would (header row, then rows; columns 1 apart),
    // straight into the buffer: this pane is redrawn whole every frame of a fast tail, and
    // building a `Table` of rows of cells of lines was most of the frame.
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.is_empty() {
        return;
    }
    let cols = Layout::horizontal(widths)
        .flex(Flex::Start)
        .spacing(1)
        .split(Rect::new(0, 0, inner.width, 1));
    let buf = frame.buffer_mut();
    let cell = |c: &Rect, y: u16| Rect::new(inner.x + c.x, y, c.width, 1);
    let header_row = Rect { height: 1, ..inner };
    buf.set_style(header_row, t.header);
    for (c, text) in cols.iter().zip(header) {
        Line::from(text).render(cell(c, inner.y), buf);
    }
    let top = e.visible_pos(e.top);
    let rows = (top..top + rows_h).map_while(|pos| e.visible_at(pos));
    for (y, i) in (inner.y + 1..inner.bottom()).zip(rows) {
        let Some(entry) = e.get(i) else { break };
        if i == e.selected {
            buf.set_style(
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
                sel_style,
            );
        }
        let mut c = cols.iter();
        let payload = entry.payload_bytes();
        let mut put = |line: Line<'_>, buf: &mut Buffer| {
            if let Some(col) = c.next() {
                line.render(cell(col, y), buf);
            }
        };
        put(
            Line::from(entry.sequence.to_string()).alignment(Alignment::Right),
            buf,
        );
        put(Line::from(clock(entry.timestamp)), buf);
        if show_segment {
            put(Line::from(segment_label(entry, with_space)), buf);
        }
        put(
            Line::from(format!("{}B", payload.len())).alignment(Alignment::Right),
            buf,
        );
        if let Some(col) = c.next() {
            let area = cell(col, y);
            if e.filter.is_some() || !put_ascii(buf, area, payload) {
                highlight(state, Line::from(preview(payload, preview_w))).render(area, buf);
            }
        }
    }
}

/// The selected row's bar, dimmer when the list has not the focus.
fn selection_style(state: &AppState) -> ratatui::style::Style {
    if state.focus == Focus::Entries {
        state.theme.selected
    } else {
        state.theme.selected_unfocused
    }
}

/// The columns of the list in `area` (the pane, borders included).
struct Columns {
    /// The segment column shows (space reads).
    show_segment: bool,
    /// It shows `space/segment` (several spaces).
    with_space: bool,
    /// Characters of payload preview.
    preview_w: usize,
    widths: Vec<Constraint>,
    header: Vec<String>,
}

fn columns(e: &Entries, area: Rect) -> Columns {
    let show_segment = e.source.as_ref().is_some_and(Source::merged);
    let with_space = matches!(e.source, Some(Source::Spaces { .. }));
    let seq_w = e
        .ring
        .back()
        .map_or(3, |l| l.sequence.to_string().len())
        .max(3);
    let seg_w = if show_segment {
        e.ring
            .iter()
            .rev()
            .take(256)
            .map(|x| segment_label_width(x, with_space))
            .max()
            .unwrap_or(7)
            .clamp(7, if with_space { 28 } else { 16 })
    } else {
        0
    };
    let inner_w = usize::from(area.width.saturating_sub(2));
    let fixed = seq_w + 1 + 12 + 1 + if show_segment { seg_w + 1 } else { 0 } + 7 + 1;
    let w = |n: usize| Constraint::Length(u16::try_from(n).unwrap_or(u16::MAX));
    let mut widths = vec![w(seq_w), w(12)];
    let mut header = vec![format!("{:>seq_w$}", "SEQ"), "TIME".to_owned()];
    if show_segment {
        widths.push(w(seg_w));
        header.push("SEGMENT".to_owned());
    }
    widths.extend([w(7), Constraint::Fill(1)]);
    header.extend([format!("{:>7}", "SIZE"), "PAYLOAD".to_owned()]);
    Columns {
        show_segment,
        with_space,
        preview_w: inner_w.saturating_sub(fixed).max(1),
        widths,
        header,
    }
}

/// The preview of a payload whose shown part is ASCII, one byte a cell (control bytes blank),
/// as `preview` rendered as a line would show it. `false` (nothing drawn that the general path
/// would not overwrite) for anything else.
fn put_ascii(buf: &mut Buffer, area: Rect, payload: &[u8]) -> bool {
    let area = area.intersection(buf.area);
    let shown = &payload[..payload.len().min(usize::from(area.width))];
    if !shown.is_ascii() {
        return false;
    }
    for (x, &b) in (area.x..).zip(shown) {
        let c = if b.is_ascii_control() {
            ' '
        } else {
            char::from(b)
        };
        buf[(x, area.y)].set_char(c);
    }
    true
}

/// The segment column: `space/segment` when several spaces are merged.
/// The width of `segment_label` (counted every frame over the newest entries: no allocation).
fn segment_label_width(e: &Entry, with_space: bool) -> usize {
    let segment = e.segment.chars().count();
    if with_space {
        e.space.chars().count() + 1 + segment
    } else {
        segment
    }
}

fn segment_label(e: &Entry, with_space: bool) -> String {
    if with_space {
        format!("{}/{}", e.space, e.segment)
    } else {
        e.segment.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::event::{ClientEvent, Event};
    use crate::tui::filter::Filter;
    use crate::tui::state::StateOptions;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::widgets::{Cell, Row, Table};

    /// The rows as ratatui's `Table` drew them before the pane was drawn directly: the
    /// reference the direct drawing must match cell for cell, styles included.
    fn reference(state: &AppState, area: Rect, frame: &mut Frame) {
        let e = &state.entries;
        let t = &state.theme;
        // The same pane, title and widths as `render` (drawn there, then overdrawn here).
        render(state, area, frame);
        if e.visible_len() == 0 {
            return;
        }
        let c = columns(e, area);
        let (show_segment, with_space) = (c.show_segment, c.with_space);
        let sel_style = selection_style(state);
        let rows_h = u64::from(area.height.saturating_sub(3));
        let top = e.visible_pos(e.top);
        let rows = (top..top + rows_h).map_while(|pos| {
            let i = e.visible_at(pos)?;
            let entry = e.get(i)?;
            let payload = entry.payload_bytes();
            let mut cells = vec![
                Cell::from(Line::from(entry.sequence.to_string()).alignment(Alignment::Right)),
                Cell::from(clock(entry.timestamp)),
            ];
            if show_segment {
                cells.push(Cell::from(segment_label(entry, with_space)));
            }
            cells.push(Cell::from(
                Line::from(format!("{}B", payload.len())).alignment(Alignment::Right),
            ));
            cells.push(Cell::from(highlight(
                state,
                Line::from(preview(payload, c.preview_w)),
            )));
            let r = Row::new(cells);
            Some(if i == e.selected {
                r.style(sel_style)
            } else {
                r
            })
        });
        let inner = pane(state, Focus::Entries, Line::from("")).inner(area);
        // Clear the inner area, then draw the table there without a block.
        frame.render_widget(ratatui::widgets::Clear, inner);
        let table = Table::new(rows, c.widths)
            .header(Row::new(c.header).style(t.header))
            .column_spacing(1);
        frame.render_widget(table, inner);
    }

    fn payloads() -> Vec<Option<Vec<u8>>> {
        vec![
            Some(br#"{"id":"o-1","status":"paid","amount_cents":1234}"#.to_vec()),
            Some(
                "{\"name\":\"caf\u{e9} \u{4e2d}\u{6587}\u{1f600}\"}"
                    .as_bytes()
                    .to_vec(),
            ),
            Some(vec![0xff, 0xfe, 0x00, 0x41]),
            Some(b"line one\nline\ttwo\r\x7f end".to_vec()),
            Some(Vec::new()),
            None,
            // ASCII as far as a narrow column shows, invalid UTF-8 later.
            Some([b"plain ascii prefix ".repeat(4), vec![0xc3]].concat()),
            Some(b"x".repeat(300)),
            Some("\u{e9}".repeat(120).into_bytes()),
            Some(b"failed order: status failed".to_vec()),
        ]
    }

    fn state_with(source: Source, width: u16) -> AppState {
        let mut s = AppState::new(StateOptions {
            window: 1000,
            ..StateOptions::default()
        });
        s.size = (width, 30);
        s.entries.source = Some(source);
        let batch = payloads()
            .into_iter()
            .cycle()
            .take(40)
            .zip(1_u64..)
            .map(|(payload, seq)| Entry {
                sequence: seq * 997,
                timestamp: 1_700_000_000_000 + i64::try_from(seq).unwrap_or(0) * 1234,
                payload,
                space: if seq % 3 == 0 { "payments" } else { "orders" }.into(),
                segment: format!("seg-{}", seq % 5),
                ..Entry::default()
            })
            .collect();
        let generation = s.entries.generation;
        s.handle(Event::Client(ClientEvent::Entries { generation, batch }));
        assert_eq!(s.entries.ring.len(), 40, "the entries were taken");
        s
    }

    fn draw(state: &AppState, w: u16, h: u16, f: fn(&AppState, Rect, &mut Frame)) -> Buffer {
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|frame| f(state, frame.area(), frame)).expect("draw");
        t.backend().buffer().clone()
    }

    #[test]
    fn rows_are_drawn_as_the_table_drew_them() {
        let sources = [
            Source::Segment {
                space: "orders".into(),
                segment: "seg-1".into(),
            },
            Source::Space {
                space: "orders".into(),
            },
            Source::Spaces {
                spaces: vec!["orders".into(), "payments".into()],
            },
        ];
        let mut compared = 0;
        for source in sources {
            for (w, h) in [(200, 50), (120, 30), (80, 24), (40, 12), (24, 8), (12, 5)] {
                for filter in [None, Some("failed"), Some("re:o.d|\u{e9}")] {
                    for focused in [true, false] {
                        let mut s = state_with(source.clone(), w);
                        s.entries.selected = s.entries.base + 5;
                        if let Some(text) = filter {
                            let f = Filter::parse(text).expect("filter");
                            s.entries.set_filter(Some((text.to_owned(), f)));
                        }
                        s.focus = if focused {
                            Focus::Entries
                        } else {
                            Focus::Hierarchy
                        };
                        let got = draw(&s, w, h, render);
                        let want = draw(&s, w, h, reference);
                        assert_eq!(
                            got, want,
                            "{source:?} at {w}x{h}, filter {filter:?}, focused {focused}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 3 * 6 * 3 * 2);
    }

    #[test]
    fn previews_are_one_line() {
        assert_eq!(preview(b"{\"a\":\n1}", 80), "{\"a\": 1}");
        assert_eq!(preview(b"abcdef", 3), "abc");
        assert_eq!(preview(&[0xff, 0xfe], 80), "<2 bytes binary>");
        // Only what is shown must be text: bad bytes past it, or a character cut by the
        // bytes looked at, do not make it binary; bad bytes within it do.
        assert_eq!(preview(b"abcdef\xff", 3), "abc");
        assert_eq!(preview(b"ab\xffcdef", 3), "<7 bytes binary>");
        assert_eq!(preview("\u{e9}\u{e9}\u{e9}".as_bytes(), 1), "\u{e9}");
        let big = [b"x".repeat(10), vec![0xff; 1 << 20]].concat();
        assert_eq!(preview(&big, 4), "xxxx");
    }
}
