//! The one-line prompts in place of the key hints: acquire a lease (`a` in the leases panel),
//! export to a file (`e`).
//!
//! ```text
//! acquire lease (KEY [TTL], default 30s): job 30s█
//! export JSON lines to: ./skope-export-orders-eu-1.jsonl█
//! ```

use crate::tui::state::{AppState, Overlay};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let line = Line::from(vec![
        Span::styled(
            if state.overlay == Overlay::ExportPrompt {
                "export JSON lines to: "
            } else {
                "acquire lease (KEY [TTL], default 30s): "
            },
            t.key,
        ),
        Span::raw(state.lease_input.clone()),
    ]);
    let w = u16::try_from(line.width()).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(line), area);
    frame.set_cursor_position(Position::new(
        (area.x + w).min(area.right().saturating_sub(1)),
        area.y,
    ));
}
