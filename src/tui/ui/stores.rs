//! The store picker (`s`, `:store`), over the panes.
//!
//! ```text
//!      ┌ stores ───────────────────────────────────────────────┐
//!      │▸ 00000000-0000-0000-0000-000000000001  current · disk │
//!      │  9f0c…  orders                       profile · recent │
//!      │                                                       │
//!      │UUID: █                                                │
//!      │↑/↓ choose · enter switch · type a UUID · esc close    │
//!      └───────────────────────────────────────────────────────┘
//! ```

use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let rows = u16::try_from(state.store_choices.len()).unwrap_or(u16::MAX);
    let h = (rows + 5).min(area.height.saturating_sub(2)).max(6);
    let [v] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(70.min(area.width.saturating_sub(2)))])
        .flex(Flex::Center)
        .areas(v);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focused)
        .title(Span::styled(" stores ", t.title));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let [list, input, hint] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let visible = usize::from(list.height).max(1);
    let top = state.store_sel.saturating_sub(visible - 1);
    let lines: Vec<Line> = state
        .store_choices
        .iter()
        .enumerate()
        .skip(top)
        .take(visible)
        .map(|(i, c)| {
            let origins = c
                .origins
                .iter()
                .map(|o| o.label())
                .collect::<Vec<_>>()
                .join(" · ");
            let mut spans = vec![
                Span::styled(if i == state.store_sel { "▸ " } else { "  " }, t.key),
                Span::raw(format!("{}  ", c.id)),
            ];
            if let Some(name) = state.store_names.get(&c.id) {
                spans.push(Span::styled(format!("{name}  "), t.title));
            }
            spans.push(Span::styled(origins, t.dim));
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    // The selection over the drawn line: its colours win over the spans' (the dim origins).
    if let Some(row) = state
        .store_sel
        .checked_sub(top)
        .and_then(|r| u16::try_from(r).ok())
        && row < list.height
    {
        let bar = Rect::new(list.x, list.y + row, list.width, 1);
        frame.buffer_mut().set_style(bar, t.selected);
    }
    let prompt = Line::from(vec![
        Span::styled("UUID: ", t.key),
        Span::raw(state.store_input.clone()),
    ]);
    let w = u16::try_from(prompt.width()).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(prompt), input);
    frame.set_cursor_position(Position::new(
        (input.x + w).min(input.right().saturating_sub(1)),
        input.y,
    ));
    frame.render_widget(
        Paragraph::new(Span::styled(
            "↑/↓ choose · enter switch · or type a UUID · esc close",
            t.dim,
        )),
        hint,
    );
}
