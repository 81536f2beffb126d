//! `?` help: every key of the current view (from the keymap), over the panes.
//!
//! ```text
//!      ┌ keys: entries ─────────────────────────┐
//!      │ q, ctrl-c     quit                     │
//!      │ j, ↓          down                     │
//!      │ …                                      │
//!      │ commands  :space NAME  :seg SPACE/SEG …│
//!      └ esc closes ────────────────────────────┘
//! ```

use crate::tui::keymap::Scope;
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The `:` commands, for the help.
pub const COMMANDS: &[(&str, &str)] = &[
    (":space NAME", "tail a whole space (by time)"),
    (":seg SPACE/SEG", "tail one segment"),
    (":seq N", "read the segment from sequence N"),
    (":time T", "read from a time (RFC 3339, ms, or -5m)"),
    (":head / :tail", "read from the start / the tail"),
    (":filter TEXT", "filter the entries (like /; empty clears)"),
    (
        ":publish SPACE/SEG",
        "publish to a segment (P: the open one)",
    ),
    (
        ":acquire KEY [TTL]",
        "acquire a lease (the leases panel shows it)",
    ),
    (":store [UUID]", "switch stores (no UUID: the picker)"),
    (":q", "quit"),
];

/// The help lines of the focused view.
#[must_use]
pub fn lines(state: &AppState) -> Vec<Line<'static>> {
    let t = &state.theme;
    // The view under the overlay: help lists its keys, not its own.
    let scope = state.focus.scope();
    let bindings = state.keymap.bindings(scope);
    let keys: Vec<(String, &str)> = bindings
        .iter()
        .map(|(a, ks)| {
            (
                ks.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                a.describe(),
            )
        })
        .collect();
    let w = keys
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .max(14);
    let mut out: Vec<Line<'static>> = keys
        .into_iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!(" {k:<w$}  "), t.key),
                Span::raw(d.to_owned()),
            ])
        })
        .collect();
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(" commands", t.header)));
    for (c, d) in COMMANDS {
        out.push(Line::from(vec![
            Span::styled(format!(" {c:<w$}  "), t.key),
            Span::raw(*d),
        ]));
    }
    out
}

pub fn render(state: &AppState, scroll: u16, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let lines = lines(state);
    let want_h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let [v] = Layout::vertical([Constraint::Length(
        want_h.min(area.height.saturating_sub(2)),
    )])
    .flex(Flex::Center)
    .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(72.min(area.width.saturating_sub(2)))])
        .flex(Flex::Center)
        .areas(v);
    let name = match state.focus.scope() {
        Scope::Hierarchy => "hierarchy",
        Scope::Entries => "entries",
        Scope::Detail => "detail",
        Scope::Publish => "publish",
        Scope::Panel => match state.panel {
            Some(crate::tui::panels::Panel::Leases) => "leases",
            _ => "subscriptions",
        },
        Scope::Global | Scope::Help => "global",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focused)
        .title(Span::styled(format!(" keys: {name} "), t.title))
        .title_bottom(Span::styled(" esc closes ", t.dim));
    let max = lines
        .len()
        .saturating_sub(usize::from(popup.height.saturating_sub(2)));
    let scroll = scroll.min(u16::try_from(max).unwrap_or(u16::MAX));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((scroll, 0)),
        popup,
    );
}
