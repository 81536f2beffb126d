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
use crate::tui::state::{AppState, Overlay};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The `:` commands, for the help.
pub const COMMANDS: &[(&str, &str)] = &[
    (":space NAME", "tail a whole space (by time)"),
    (":spaces A,B", "tail several spaces merged by time"),
    (":seg SPACE/SEG", "tail one segment"),
    (":seq N", "read the segment from sequence N"),
    (":time T", "read from a time (RFC 3339, ms, or -5m)"),
    (
        ":offset HEX",
        "read on after an entry's offset (skope consume's)",
    ),
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

/// The scope the help describes: the view under it (not the help's own keys).
fn described(state: &AppState) -> Scope {
    match state.overlay {
        Overlay::Help { .. } => state.focus.scope(),
        _ => state.scope(),
    }
}

/// Width left to a description at least, when the key column is capped.
const MIN_DESCRIPTION: usize = 12;

/// The help lines of the focused view, for a popup `width` columns wide inside its borders:
/// the key column is as wide as its longest key or command (capped so descriptions keep
/// [`MIN_DESCRIPTION`] columns).
#[must_use]
pub fn lines(state: &AppState, width: usize) -> Vec<Line<'static>> {
    let t = &state.theme;
    let scope = described(state);
    let bindings = state.keymap.bindings(scope);
    let keys: Vec<(String, &str)> = bindings
        .iter()
        .map(|(a, ks)| {
            (
                ks.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                a.describe_in(scope),
            )
        })
        .collect();
    let w = keys
        .iter()
        .map(|(k, _)| k.as_str())
        .chain(COMMANDS.iter().map(|(c, _)| *c))
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(width.saturating_sub(3 + MIN_DESCRIPTION));
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
    // As wide as the longest line (descriptions whole where the screen allows).
    let max_w = area.width.saturating_sub(2);
    let lines = lines(state, usize::from(max_w.saturating_sub(2)));
    let content_w = lines.iter().map(Line::width).max().unwrap_or(0) + 2;
    let popup_w = u16::try_from(content_w).unwrap_or(u16::MAX).min(max_w);
    let want_h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let [v] = Layout::vertical([Constraint::Length(
        want_h.min(area.height.saturating_sub(2)),
    )])
    .flex(Flex::Center)
    .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(popup_w)])
        .flex(Flex::Center)
        .areas(v);
    let name = match described(state) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::state::{Focus, StateOptions};
    use crate::tui::theme::Theme;

    #[test]
    fn help_describes_the_view_under_it() {
        let mut s = AppState::new(StateOptions {
            window: 10,
            theme: Theme::no_color(),
            ..StateOptions::default()
        });
        s.focus = Focus::Entries;
        s.update(Action::Help);
        let text: Vec<String> = lines(&s, 70).iter().map(ToString::to_string).collect();
        let has = |needle: &str| text.iter().any(|l| l.contains(needle));
        assert!(
            has("g, home") && has("at the top: loads older"),
            "{text:#?}"
        );
        assert!(has("end, G") || has("G, end"), "{text:#?}");
        assert!(has(":offset HEX") && has(":spaces A,B") && has(":head / :tail"));
    }

    /// The column where the descriptions of the non-empty lines start.
    fn description_columns(lines: &[Line]) -> Vec<usize> {
        lines
            .iter()
            .filter(|l| l.spans.len() == 2)
            .map(|l| l.spans[0].content.chars().count())
            .collect()
    }

    #[test]
    fn every_description_starts_in_one_column_sized_to_the_longest_entry() {
        let mut s = AppState::new(StateOptions {
            window: 10,
            theme: Theme::no_color(),
            ..StateOptions::default()
        });
        let longest = COMMANDS
            .iter()
            .map(|(c, _)| c.chars().count())
            .max()
            .unwrap_or(0);
        assert!(
            longest > 14,
            "the test needs a command over the old minimum"
        );
        for focus in [Focus::Hierarchy, Focus::Entries, Focus::Detail] {
            s.focus = focus;
            s.update(Action::Help);
            for width in [36, 70] {
                let l = lines(&s, width);
                let cols = description_columns(&l);
                assert!(cols.len() > COMMANDS.len(), "{focus:?}");
                assert!(
                    cols.iter().all(|&c| c == longest + 3),
                    "{focus:?} at {width}: {cols:?}"
                );
            }
            // Narrower than an entry plus a description: capped, descriptions keep room.
            let cols = description_columns(&lines(&s, 20));
            assert_eq!(cols.iter().min(), Some(&(20 - MIN_DESCRIPTION)), "{cols:?}");
        }
    }
}
