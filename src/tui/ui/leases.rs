//! The leases panel (`L`): leases this session holds, with their renewal countdown.
//!
//! ```text
//! ┌ leases (1) · a acquire · x release ──────────────────────────────────────────┐
//! │KEY        TTL  HOLDER    STATE                                               │
//! │job        30s  1b4e…     held · renews in 12s · expires ≤27s                 │
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::{pane, selectable_table};
use crate::tui::panels::LeaseState;
use crate::tui::state::{AppState, Focus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let mut title = vec![Span::styled(
        format!(" leases ({}) ", state.leases.len()),
        t.title,
    )];
    if state.read_only {
        title.push(Span::styled("read-only: no acquisition ", t.warn));
    } else {
        title.push(Span::styled("a acquire · x release ", t.dim));
    }
    let block = pane(state, Focus::Panel, Line::from(title));
    if state.leases.is_empty() {
        let text = if state.read_only {
            "no leases (read-only session: acquiring is disabled)"
        } else {
            "no leases held (a: acquire KEY [TTL]; held leases are released on quit)"
        };
        frame.render_widget(Paragraph::new(Span::styled(text, t.dim)).block(block), area);
        return;
    }
    let rows_h = usize::from(area.height.saturating_sub(3)).max(1);
    let top = state.lease_sel.saturating_sub(rows_h - 1);
    let rows = state.leases.iter().skip(top).take(rows_h).map(|l| {
        let style = match l.state {
            LeaseState::Held => t.ok,
            LeaseState::Acquiring | LeaseState::Releasing => t.dim,
            LeaseState::Lost(_) | LeaseState::Failed(_) => t.error,
        };
        let holder: String = l.holder.chars().take(8).collect();
        Row::new(vec![
            Cell::from(l.key.clone()),
            Cell::from(format!("{}s", l.ttl_secs)),
            Cell::from(holder),
            Cell::from(Span::styled(l.describe(state.now_ms), style)),
        ])
    });
    let widths = [
        Constraint::Length(24),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Fill(2),
    ];
    let header = Row::new(vec!["KEY", "TTL", "HOLDER", "STATE"]).style(t.header);
    selectable_table(
        frame,
        area,
        Table::new(rows, widths).header(header).block(block),
        (state.focus == Focus::Panel).then(|| state.lease_sel - top),
        t.selected,
    );
}
