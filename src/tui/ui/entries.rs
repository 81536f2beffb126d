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
use crate::tui::state::{AppState, Focus, Source};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use skope_client::Entry;

/// One line of a payload: control characters blanked, at most `width` characters.
#[must_use]
pub fn preview(payload: &[u8], width: usize) -> String {
    match std::str::from_utf8(payload) {
        Ok(text) => text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(width)
            .collect(),
        Err(_) => format!("<{} bytes binary>", payload.len()),
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
            .map(|x| segment_label(x, with_space).chars().count())
            .max()
            .unwrap_or(7)
            .clamp(7, if with_space { 28 } else { 16 })
    } else {
        0
    };
    let inner_w = usize::from(area.width.saturating_sub(2));
    let fixed = seq_w + 1 + 12 + 1 + if show_segment { seg_w + 1 } else { 0 } + 7 + 1;
    let preview_w = inner_w.saturating_sub(fixed).max(1);
    let sel_style = if state.focus == Focus::Entries {
        t.selected
    } else {
        t.selected_unfocused
    };
    let top = e.visible_pos(e.top);
    let rows = (top..top + rows_h).map_while(|pos| {
        let i = e.visible_at(pos)?;
        let entry = e.get(i)?;
        let r = row(state, entry, show_segment.then_some(with_space), preview_w);
        Some(if i == e.selected {
            r.style(sel_style)
        } else {
            r
        })
    });
    let w = |n: usize| Constraint::Length(u16::try_from(n).unwrap_or(u16::MAX));
    let mut widths = vec![w(seq_w), w(12)];
    let mut header = vec![format!("{:>seq_w$}", "SEQ"), "TIME".to_owned()];
    if show_segment {
        widths.push(w(seg_w));
        header.push("SEGMENT".to_owned());
    }
    widths.extend([w(7), Constraint::Fill(1)]);
    header.extend([format!("{:>7}", "SIZE"), "PAYLOAD".to_owned()]);
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

/// The segment column: `space/segment` when several spaces are merged.
fn segment_label(e: &Entry, with_space: bool) -> String {
    if with_space {
        format!("{}/{}", e.space, e.segment)
    } else {
        e.segment.clone()
    }
}

/// One row; `segment`: the segment column, with the space (`Some(true)`) or without.
fn row(state: &AppState, e: &Entry, segment: Option<bool>, preview_w: usize) -> Row<'static> {
    let payload = e.payload_bytes();
    let mut cells = vec![
        Cell::from(Line::from(e.sequence.to_string()).alignment(Alignment::Right)),
        Cell::from(clock(e.timestamp)),
    ];
    if let Some(with_space) = segment {
        cells.push(Cell::from(segment_label(e, with_space)));
    }
    cells.push(Cell::from(
        Line::from(format!("{}B", payload.len())).alignment(Alignment::Right),
    ));
    cells.push(Cell::from(highlight(
        state,
        Line::from(preview(payload, preview_w)),
    )));
    Row::new(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_line() {
        assert_eq!(preview(b"{\"a\":\n1}", 80), "{\"a\": 1}");
        assert_eq!(preview(b"abcdef", 3), "abc");
        assert_eq!(preview(&[0xff, 0xfe], 80), "<2 bytes binary>");
    }
}
