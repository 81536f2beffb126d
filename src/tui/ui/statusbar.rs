//! The top bar (breadcrumbs, connection badge) and the bottom bar (key hints or a note).
//!
//! ```text
//! skope  store 00000000 › orders › eu-1                        ● embedded  read-only
//! j/k move  enter open  h back  tab pane  : cmd  ? help  q quit
//! ```

use crate::tui::action::Action;
use crate::tui::keymap::Scope;
use crate::tui::state::{AppState, Conn, Focus, Level, Source};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Breadcrumbs: store › space › segment (of what is open, else of the hierarchy).
#[must_use]
pub fn breadcrumbs(state: &AppState) -> Vec<String> {
    // The profile's name for the store when it gives one, else the UUID's first block.
    let store = match state.store_names.get(&state.store) {
        Some(name) => name.clone(),
        None => state.store.to_string()[..8].to_owned(),
    };
    let mut crumbs = vec![format!("store {store}")];
    match &state.entries.source {
        Some(Source::Segment { space, segment }) => {
            crumbs.push(space.clone());
            crumbs.push(segment.clone());
        }
        Some(Source::Space { space }) => {
            crumbs.push(space.clone());
            crumbs.push("*".to_owned());
        }
        Some(Source::Spaces { spaces }) => {
            crumbs.push(spaces.join(","));
            crumbs.push("*".to_owned());
        }
        None => {
            if let (Level::Segments, Some(space)) = (state.hierarchy.level, &state.hierarchy.space)
            {
                crumbs.push(space.clone());
            }
        }
    }
    crumbs
}

/// The connection badge text and whether it is healthy.
#[must_use]
pub fn badge(state: &AppState) -> (String, bool) {
    match &state.conn {
        Conn::Connecting => ("◌ connecting".to_owned(), false),
        Conn::Connected { .. } if state.embedded => ("● embedded".to_owned(), true),
        Conn::Connected { reconnects: 0 } => ("● connected".to_owned(), true),
        Conn::Connected { reconnects } => (format!("● connected (reconnects {reconnects})"), true),
        Conn::Reconnecting { attempt, .. } => (format!("◌ reconnecting {attempt}"), false),
        Conn::Closed => ("✖ closed".to_owned(), false),
    }
}

pub fn render_top(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    let mut left = vec![Span::styled(" skope ", t.title), Span::raw(" ")];
    for (i, c) in breadcrumbs(state).into_iter().enumerate() {
        if i > 0 {
            left.push(Span::styled(" › ", t.dim));
        }
        left.push(Span::raw(c));
    }
    let (text, ok) = badge(state);
    let mut right = vec![Span::styled(text, if ok { t.ok } else { t.warn })];
    if state.read_only {
        right.push(Span::raw("  "));
        right.push(Span::styled("read-only", t.warn));
    }
    right.push(Span::raw(" "));
    let right = Line::from(right);
    let rw = u16::try_from(right.width())
        .unwrap_or(area.width)
        .min(area.width);
    let left_area = Rect::new(area.x, area.y, area.width.saturating_sub(rw + 1), 1);
    let right_area = Rect::new(area.x + area.width - rw, area.y, rw, 1);
    frame.render_widget(Paragraph::new(Line::from(left)), left_area);
    frame.render_widget(
        Paragraph::new(right).alignment(Alignment::Right),
        right_area,
    );
}

/// The hints of the focused view: (keys, label).
#[must_use]
pub fn hints(state: &AppState) -> Vec<(String, &'static str)> {
    let scope = state.scope();
    let actions: &[Action] = match scope {
        Scope::Hierarchy | Scope::Global => &[
            Action::Down,
            Action::Open,
            Action::Back,
            Action::FocusNext,
            Action::CommandLine,
            Action::Help,
            Action::Quit,
        ],
        Scope::Entries => &[
            Action::Down,
            Action::Bottom,
            Action::TogglePause,
            Action::Open,
            Action::Filter,
            Action::CommandLine,
            Action::Help,
            Action::Quit,
        ],
        Scope::Detail => &[
            Action::Down,
            Action::CycleFormat,
            Action::Back,
            Action::TogglePause,
            Action::Help,
            Action::Quit,
        ],
        Scope::Help => &[Action::Down, Action::Cancel],
        Scope::Panel => match state.panel {
            Some(crate::tui::panels::Panel::Leases) => &[
                Action::Down,
                Action::AcquireLease,
                Action::ReleaseLease,
                Action::ToggleLeases,
                Action::Back,
                Action::Help,
                Action::Quit,
            ],
            _ => &[
                Action::Down,
                Action::ToggleSubscriptions,
                Action::Back,
                Action::FocusNext,
                Action::Help,
                Action::Quit,
            ],
        },
        Scope::Publish => &[
            Action::Submit,
            Action::FocusNext,
            Action::AddRow,
            Action::RemoveRow,
            Action::Cancel,
        ],
    };
    actions
        .iter()
        .filter_map(|&a| {
            let key = state.keymap.key_for(scope, a)?.to_string();
            let key = if a == Action::Down {
                match state.keymap.key_for(scope, Action::Up) {
                    Some(up) => format!("{key}/{up}"),
                    None => key,
                }
            } else {
                key
            };
            let label = match (a, state.focus, state.entries.paused) {
                (Action::Open, Focus::Entries, _) => "detail",
                (Action::TogglePause, _, true) => "resume",
                _ => a.hint(),
            };
            Some((key, label))
        })
        .collect()
}

pub fn render_bottom(state: &AppState, area: Rect, frame: &mut Frame) {
    let t = &state.theme;
    if let Some(note) = &state.note {
        let style = if note.error { t.error } else { t.ok };
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {}", note.text), style)),
            area,
        );
        return;
    }
    let mut spans = vec![Span::raw(" ")];
    for (key, label) in hints(state) {
        spans.push(Span::styled(key, t.key));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
