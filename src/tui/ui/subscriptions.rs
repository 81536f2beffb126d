//! The subscriptions panel (`S`): the client's subscriptions and their health, refreshed every
//! second while shown.
//!
//! ```text
//! ┌ subscriptions (1) ─────────────────────────────────────────────────────────────┐
//! │TARGET      STATE   LAST UPDATE  UPDATES  HEARTBEATS  RECONNECTS  TIMEOUTS ERROR│
//! │orders/*    active  3s           128      12          0           0            │
//! └────────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::{age, pane, selectable_table};
use crate::tui::state::{AppState, Focus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let title = Line::from(Span::styled(
        format!(" subscriptions ({}) ", state.subs.len()),
        t.title,
    ));
    let block = pane(state, Focus::Panel, title);
    if state.subs.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "no subscriptions (opening a space subscribes to its statuses)",
                t.dim,
            ))
            .block(block),
            area,
        );
        return;
    }
    let rows_h = usize::from(area.height.saturating_sub(3)).max(1);
    let top = state.sub_sel.saturating_sub(rows_h - 1);
    let rows = state.subs.iter().skip(top).take(rows_h).map(|s| {
        let state_style = match s.state.as_str() {
            "active" => t.ok,
            "reconnecting" => t.warn,
            _ => t.error,
        };
        Row::new(vec![
            Cell::from(s.target.clone()),
            Cell::from(Span::styled(s.state.clone(), state_style)),
            Cell::from(
                s.last_update_ms
                    .map_or_else(|| "-".to_owned(), |ms| age(state.now_ms - ms)),
            ),
            Cell::from(s.updates.to_string()),
            Cell::from(s.heartbeats.to_string()),
            Cell::from(s.reconnects.to_string()),
            Cell::from(s.handler_timeouts.to_string()),
            Cell::from(Span::styled(
                s.last_error.clone().unwrap_or_default(),
                t.error,
            )),
        ])
    });
    let widths = [
        Constraint::Min(12),
        Constraint::Length(12),
        Constraint::Length(11),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Fill(1),
    ];
    let header = Row::new(vec![
        "TARGET",
        "STATE",
        "LAST UPDATE",
        "UPDATES",
        "HEARTBEATS",
        "RECONNECTS",
        "TIMEOUTS",
        "ERROR",
    ])
    .style(t.header);
    selectable_table(
        frame,
        area,
        Table::new(rows, widths).header(header).block(block),
        (state.focus == Focus::Panel).then(|| state.sub_sel - top),
        t.selected,
    );
}
