//! Views: `render(&AppState, &mut Frame)` is pure (no I/O, no mutation). One file per region.

pub mod cmdline;
pub mod detail;
pub mod entries;
pub mod filter;
pub mod help;
pub mod hierarchy;
pub mod layout;
pub mod leases;
pub mod prompt;
pub mod publish;
pub mod statusbar;
pub mod stores;
pub mod subscriptions;

use super::panels::Panel;
use super::state::{AppState, Focus, Overlay};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

/// Draw the whole frame.
pub fn render(state: &AppState, frame: &mut Frame) {
    let area = frame.area();
    let a = layout::areas(area, state);
    if a.too_small {
        too_small(area, frame);
        return;
    }
    statusbar::render_top(state, a.top, frame);
    if let Some(r) = a.hierarchy {
        hierarchy::render(state, r, frame);
    }
    if let Some(r) = a.entries {
        entries::render(state, r, frame);
    }
    if let Some(r) = a.detail {
        detail::render(state, r, frame);
    }
    if let Some(r) = a.panel {
        match state.panel {
            Some(Panel::Leases) => leases::render(state, r, frame),
            _ => subscriptions::render(state, r, frame),
        }
    }
    match state.overlay {
        Overlay::LeasePrompt | Overlay::ExportPrompt => prompt::render(state, a.bottom, frame),
        Overlay::Command => cmdline::render(state, a.bottom, frame),
        Overlay::Filter => filter::render(state, a.bottom, frame),
        _ => statusbar::render_bottom(state, a.bottom, frame),
    }
    if state.overlay == Overlay::Publish {
        publish::render(state, area, frame);
    }
    if state.overlay == Overlay::StorePicker {
        stores::render(state, area, frame);
    }
    if let Overlay::Help { scroll } = state.overlay {
        help::render(state, scroll, area, frame);
    }
}

fn too_small(area: Rect, frame: &mut Frame) {
    let text = format!(
        "terminal too small: {}×{} (need {}×{})",
        area.width,
        area.height,
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT
    );
    let y = area.height / 2;
    let r = Rect::new(area.x, area.y + y, area.width, 1.min(area.height));
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        r,
    );
}

/// A pane's frame, highlighted when focused.
pub(crate) fn pane<'a>(state: &AppState, focus: Focus, title: Line<'a>) -> Block<'a> {
    let style: Style = if state.focus == focus {
        state.theme.border_focused
    } else {
        state.theme.border
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if state.focus == focus {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style)
        .title(title)
}

/// `line` with the matches of the active filter in `style` (spans are split at match edges).
#[must_use]
pub fn highlight(state: &AppState, line: Line<'static>) -> Line<'static> {
    let Some(f) = &state.entries.filter else {
        return line;
    };
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let ranges = f.filter.ranges(&text);
    if ranges.is_empty() {
        return line;
    }
    let mark = state.theme.highlight;
    let mut out = Vec::with_capacity(line.spans.len() + ranges.len() * 2);
    let mut at = 0; // byte offset of the current span in `text`
    for span in line.spans {
        let content = span.content.as_ref();
        let (start, end) = (at, at + content.len());
        at = end;
        // Cut points of this span: match edges inside it.
        let mut cuts = vec![start];
        for &(a, b) in &ranges {
            for p in [a, b] {
                if p > start && p < end && content.is_char_boundary(p - start) {
                    cuts.push(p);
                }
            }
        }
        cuts.push(end);
        cuts.sort_unstable();
        cuts.dedup();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let piece = content[a - start..b - start].to_owned();
            let hit = ranges.iter().any(|&(x, y)| a >= x && b <= y);
            let style = if hit {
                span.style.patch(mark)
            } else {
                span.style
            };
            out.push(Span::styled(piece, style));
        }
    }
    Line::from(out).style(line.style)
}

/// Draw `table` with the row `selected` (relative to the first row drawn) highlighted by
/// `style`, which is drawn over the cells: its colours win over theirs.
pub fn selectable_table(
    frame: &mut Frame,
    area: Rect,
    table: ratatui::widgets::Table<'_>,
    selected: Option<usize>,
    style: Style,
) {
    let mut selection = ratatui::widgets::TableState::default().with_selected(selected);
    frame.render_stateful_widget(
        table.column_spacing(1).row_highlight_style(style),
        area,
        &mut selection,
    );
}

/// "3s", "5m", "2h", "4d" (milliseconds; "now" under a second, "-" when unknown).
#[must_use]
pub fn age(ms: i64) -> String {
    if ms < 1000 {
        return "now".to_owned();
    }
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// "just now", "3s ago", "5m ago" (milliseconds).
#[must_use]
pub fn ago(ms: i64) -> String {
    match age(ms).as_str() {
        "now" => "just now".to_owned(),
        a => format!("{a} ago"),
    }
}

/// `hh:mm:ss.mmm` (UTC) of Unix milliseconds.
#[must_use]
pub fn clock(ms: i64) -> String {
    let full = rfc3339(ms);
    full.get(11..23).unwrap_or(&full).to_owned()
}

/// RFC 3339 with milliseconds (UTC) of Unix milliseconds.
#[must_use]
pub fn rfc3339(ms: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_clocks() {
        assert_eq!(age(0), "now");
        assert_eq!(age(3_400), "3s");
        assert_eq!(age(125_000), "2m");
        assert_eq!(age(7_300_000), "2h");
        assert_eq!(age(200_000_000), "2d");
        assert_eq!(ago(10), "just now");
        assert_eq!(ago(3_400), "3s ago");
        assert_eq!(clock(1_700_000_000_123), "22:13:20.123");
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
