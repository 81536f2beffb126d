//! Where each region goes, as a pure function of the terminal size and the focus (the update
//! uses it too: page sizes, mouse hits).
//!
//! ```text
//! wide (≥ 120 columns)                 medium (≥ 70)                 narrow (< 70)
//! ┌ top bar: breadcrumbs · badge ┐     ┌ top bar ───────────────┐    ┌ top bar ───┐
//! │ hier │ entries     │ detail  │     │ hier │ entries         │    │ the focused│
//! │      │             │         │     │      ├─────────────────┤    │ pane only  │
//! │      │             │         │     │      │ detail          │    │            │
//! └ key hints / note / :command ─┘     └ key hints ─────────────┘    └ key hints ─┘
//! ```
//! Below 40×12 nothing but a "terminal too small" notice is drawn.

use crate::tui::state::{AppState, Focus};
use ratatui::layout::{Constraint, Layout, Rect};

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
const WIDE: u16 = 120;
const MEDIUM: u16 = 70;

/// The regions of one frame; a pane that is not shown is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub top: Rect,
    pub hierarchy: Option<Rect>,
    pub entries: Option<Rect>,
    pub detail: Option<Rect>,
    /// The bottom panel (subscriptions or leases), when shown.
    pub panel: Option<Rect>,
    pub bottom: Rect,
    pub too_small: bool,
}

/// Split `area` for `state`.
#[must_use]
pub fn areas(area: Rect, state: &AppState) -> Areas {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Areas {
            too_small: true,
            ..Areas::default()
        };
    }
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut a = Areas {
        top,
        bottom,
        ..Areas::default()
    };
    if area.width < MEDIUM && state.focus == Focus::Panel && state.panel.is_some() {
        a.panel = Some(body);
        return a;
    }
    let body = if state.panel.is_some() {
        let h = (body.height / 3).clamp(4, 10);
        let [body, panel] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(h)]).areas(body);
        a.panel = Some(panel);
        body
    } else {
        body
    };
    if area.width >= WIDE {
        let [h, e, d] = Layout::horizontal([
            Constraint::Length(42),
            Constraint::Fill(3),
            Constraint::Fill(2),
        ])
        .areas(body);
        a.hierarchy = Some(h);
        a.entries = Some(e);
        a.detail = Some(d);
    } else if area.width >= MEDIUM {
        let [h, right] =
            Layout::horizontal([Constraint::Length(26), Constraint::Fill(1)]).areas(body);
        let [e, d] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(right);
        a.hierarchy = Some(h);
        a.entries = Some(e);
        a.detail = Some(d);
    } else {
        match state.focus {
            Focus::Hierarchy => a.hierarchy = Some(body),
            Focus::Entries => a.entries = Some(body),
            Focus::Detail => a.detail = Some(body),
            Focus::Panel => a.entries = Some(body),
        }
    }
    a
}
