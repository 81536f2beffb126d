//! The publish pane, over the panes.
//!
//! ```text
//!   ┌ publish → orders/eu-1 · next #28 ───────────────────────────┐
//!   │┌ payload ─────────────────────────────────────────────────┐ │
//!   ││{"id":"orders-eu-1-28"}                                   │ │
//!   │└──────────────────────────────────────────────────────────┘ │
//!   │✓ valid JSON · 23 B                                          │
//!   │metadata (ctrl-n add · ctrl-x remove)                        │
//!   │▸ source=demo                                                │
//!   │enter preview · tab field · ctrl-j newline · esc cancel      │
//!   └─────────────────────────────────────────────────────────────┘
//! ```

use crate::tui::publish::{Field, Publish, Step, Validity};
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let Some(p) = &state.publish else {
        return;
    };
    let t = &state.theme;
    let w = (area.width.saturating_sub(4)).clamp(20, 100);
    let h = area.height.saturating_sub(2).clamp(8, 30);
    let [v] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(w)])
        .flex(Flex::Center)
        .areas(v);
    let next = p
        .next_sequence
        .map_or_else(|| "next #…".to_owned(), |n| format!("next #{n}"));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focused)
        .title(Span::styled(
            format!(" publish → {}/{} · {next} ", p.space, p.segment),
            t.title,
        ));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);

    let meta_rows = u16::try_from(p.metadata.len().max(1)).unwrap_or(u16::MAX);
    let banner_h = u16::from(state.read_only);
    let [banner, editor, validity, meta_head, meta, footer] = Layout::vertical([
        Constraint::Length(banner_h),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(meta_rows.min(6)),
        Constraint::Length(2),
    ])
    .areas(inner);
    if state.read_only {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "read-only session: publishing is disabled, nothing will be sent",
                t.error,
            )),
            banner,
        );
    }

    let editing = p.step == Step::Edit;
    let payload_focused = editing && p.field == Field::Payload;
    let mut area_widget = p.payload.clone();
    area_widget.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(if payload_focused {
                t.border_focused
            } else {
                t.border
            })
            .title(Span::styled(" payload ", t.header)),
    );
    area_widget.set_cursor_line_style(Style::default());
    if !payload_focused {
        area_widget.set_cursor_style(Style::default());
    }
    frame.render_widget(&area_widget, editor);

    let bytes = p.text().len();
    let (text, style) = match p.validity() {
        Validity::Empty => ("empty payload (sent as 0 bytes)".to_owned(), t.dim),
        Validity::Json => (format!("✓ valid JSON · {bytes} B"), t.ok),
        Validity::Text(e) => (
            format!("not JSON — will be sent as text · {bytes} B ({e})"),
            t.warn,
        ),
    };
    frame.render_widget(Paragraph::new(Span::styled(text, style)), validity);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("metadata ", t.header),
            Span::styled("(ctrl-n add · ctrl-x remove · key=value)", t.dim),
        ])),
        meta_head,
    );
    let rows: Vec<Line> = if p.metadata.is_empty() {
        vec![Line::from(Span::styled("  none", t.dim))]
    } else {
        p.metadata
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let focused = editing && p.field == Field::Meta(i);
                Line::from(vec![
                    Span::styled(if focused { "▸ " } else { "  " }, t.key),
                    Span::raw(row.clone()),
                ])
            })
            .collect()
    };
    let first = match p.field {
        Field::Meta(i) => i.saturating_sub(usize::from(meta.height.saturating_sub(1))),
        Field::Payload => 0,
    };
    frame.render_widget(
        Paragraph::new(rows.into_iter().skip(first).collect::<Vec<_>>()),
        meta,
    );
    if let Field::Meta(i) = p.field
        && editing
        && let Some(row) = p.metadata.get(i)
    {
        let y = meta.y + u16::try_from(i - first).unwrap_or(0);
        let x = meta.x + 2 + u16::try_from(row.chars().count()).unwrap_or(0);
        if y < meta.bottom() {
            frame.set_cursor_position(Position::new(x.min(meta.right().saturating_sub(1)), y));
        }
    }
    let (line, style) = footer_line(p, state.read_only);
    frame.render_widget(
        Paragraph::new(Span::styled(line, style(t))).wrap(Wrap { trim: true }),
        footer,
    );
}

type StyleOf = fn(&crate::tui::theme::Theme) -> Style;

fn footer_line(p: &Publish, read_only: bool) -> (String, StyleOf) {
    match &p.step {
        Step::Edit if read_only => (
            "read-only: enter does nothing · esc close".to_owned(),
            |t| t.warn,
        ),
        Step::Edit => (
            "enter preview · tab field · ctrl-j newline · esc cancel".to_owned(),
            |t| t.dim,
        ),
        Step::Preview => {
            let next = p
                .next_sequence
                .map_or_else(String::new, |n| format!(" as #{n}"));
            (
                format!(
                    "send {} B with {} metadata to {}/{}{next}? enter send · esc edit",
                    p.text().len(),
                    p.metadata.iter().filter(|r| !r.trim().is_empty()).count(),
                    p.space,
                    p.segment
                ),
                |t| t.warn,
            )
        }
        Step::Sending => ("sending…".to_owned(), |t| t.dim),
        Step::Sent(last) => (
            format!("✓ published: last sequence #{last} · enter edit again · esc close"),
            |t| t.ok,
        ),
        Step::Failed(e) => (format!("✖ {e} · enter edit again · esc close"), |t| {
            t.error
        }),
    }
}
