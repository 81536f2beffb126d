//! The `/` filter prompt, in place of the key hints.
//!
//! ```text
//! / re:pa+id█                      enter apply · esc cancel · ctrl-r regex · $.a == "x"
//! ```

use crate::tui::filter::{Filter, REGEX_PREFIX};
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let input = &state.filter_input;
    let kind = if input.starts_with(REGEX_PREFIX) {
        "regex"
    } else if input.trim_start().starts_with('$') {
        "json"
    } else {
        "text"
    };
    let line = Line::from(vec![Span::styled("/", t.key), Span::raw(input.clone())]);
    let w = u16::try_from(line.width()).unwrap_or(u16::MAX);
    let (hint, style) = match Filter::parse(input) {
        Err(e) if !input.is_empty() => (format!("{kind}: {e} "), t.error),
        _ => (
            format!("{kind} · enter apply · esc cancel · ctrl-r regex "),
            t.dim,
        ),
    };
    frame.render_widget(Paragraph::new(line), area);
    let hint_w = u16::try_from(hint.chars().count()).unwrap_or(u16::MAX);
    if w + 2 + hint_w <= area.width {
        let r = Rect::new(area.right() - hint_w, area.y, hint_w, 1);
        frame.render_widget(Paragraph::new(Span::styled(hint, style)), r);
    }
    frame.set_cursor_position(Position::new(
        (area.x + w).min(area.right().saturating_sub(1)),
        area.y,
    ));
}
