//! `update` / `handle`, action by action: one file per part of the app; the shared fixtures
//! and helpers live here.

use super::*;
use crate::tui::event::{ClientEvent, Event};
use crossterm::event::{KeyEvent, KeyModifiers, MouseEvent};
use skope_client::{Entry, SegmentStatus};

const NOW: i64 = 1_700_000_000_000;

mod entries;
mod filter;
mod input;
mod navigation;
mod panels;
mod publish;
mod scrollback;
mod spaces;
mod stores;

fn state() -> AppState {
    let mut s = AppState::new(StateOptions {
        store: Uuid::from_u128(1),
        window: 100,
        theme: Theme::no_color(),
        ..StateOptions::default()
    });
    s.now_ms = NOW;
    s.size = (200, 50);
    s
}

fn client(s: &mut AppState, ev: ClientEvent) -> Vec<Effect> {
    s.handle(Event::Client(ev))
}

fn key(s: &mut AppState, code: KeyCode) -> Vec<Effect> {
    s.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))))
}

fn typed(s: &mut AppState, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(key(s, KeyCode::Char(c)));
    }
    out
}

fn status(space: &str, segment: &str, last: u64, ts: i64) -> SegmentStatus {
    SegmentStatus {
        space: space.into(),
        segment: segment.into(),
        first_sequence: 1,
        first_timestamp: ts - 10_000,
        last_sequence: last,
        last_timestamp: ts,
        heartbeat: false,
    }
}

fn entry(space: &str, segment: &str, seq: u64) -> Entry {
    Entry {
        sequence: seq,
        timestamp: NOW - 1000 + i64::try_from(seq).unwrap_or(0),
        payload: Some(format!("{{\"n\":{seq}}}").into_bytes()),
        space: space.into(),
        segment: segment.into(),
        ..Entry::default()
    }
}

/// A state with spaces loaded, `orders` watched, two segments with status.
fn watching() -> AppState {
    let mut s = state();
    client(
        &mut s,
        ClientEvent::Spaces(Ok(vec!["payments".into(), "orders".into()])),
    );
    s.hierarchy.space_sel = 0; // orders (sorted)
    let fx = s.update(Action::Open);
    assert_eq!(
        fx,
        vec![Effect::WatchSpace {
            space: "orders".into(),
            generation: 1
        }]
    );
    client(
        &mut s,
        ClientEvent::Segments {
            generation: 1,
            names: Ok(vec!["eu-2".into(), "eu-1".into()]),
        },
    );
    client(
        &mut s,
        ClientEvent::Statuses {
            generation: 1,
            statuses: vec![
                status("orders", "eu-1", 5000, NOW - 3000),
                status("orders", "eu-2", 7, NOW - 1000),
            ],
        },
    );
    s
}

/// `watching()` plus `orders/eu-1` open with entries 1..=n.
fn tailing(n: u64) -> AppState {
    let mut s = watching();
    s.hierarchy.seg_sel = 1;
    s.update(Action::Open);
    receive(
        &mut s,
        (1..=n).map(|i| entry("orders", "eu-1", i)).collect(),
    );
    s
}

/// Entries of the open read arrive (at its current generation).
fn receive(s: &mut AppState, batch: Vec<Entry>) -> Vec<Effect> {
    let generation = s.entries.generation;
    client(s, ClientEvent::Entries { generation, batch })
}

fn mouse(s: &mut AppState, kind: MouseEventKind, column: u16, row: u16) {
    s.handle(Event::Term(TermEvent::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })));
}

fn entry_with(seq: u64, payload: &str) -> Entry {
    let mut e = entry("orders", "eu-1", seq);
    e.payload = Some(payload.as_bytes().to_vec());
    e
}

fn ctrl(s: &mut AppState, c: char) -> Vec<Effect> {
    s.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    ))))
}

fn sub_row(target: &str) -> SubRow {
    SubRow {
        id: format!("id-{target}"),
        target: target.into(),
        state: "active".into(),
        updates: 3,
        heartbeats: 1,
        reconnects: 0,
        handler_timeouts: 0,
        last_error: None,
        last_update_ms: Some(NOW - 2000),
    }
}

/// The scroll-back fetch among `fx`.
fn older_request(fx: &[Effect]) -> OlderRequest {
    fx.iter()
        .find_map(|e| match e {
            Effect::FetchOlder(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no FetchOlder in {fx:?}"))
}

fn older(
    s: &mut AppState,
    id: u64,
    seqs: std::ops::RangeInclusive<u64>,
    at_start: bool,
) -> Vec<Effect> {
    client(
        s,
        ClientEvent::Older {
            id,
            result: Ok(OlderPage {
                entries: seqs.map(|i| entry("orders", "eu-1", i)).collect(),
                at_start,
            }),
        },
    )
}

fn window_seqs(s: &AppState) -> (u64, u64) {
    (
        s.entries.ring.front().map_or(0, |e| e.sequence),
        s.entries.ring.back().map_or(0, |e| e.sequence),
    )
}

/// (first row shown, rows of the entry pane, rows in the list).
fn entry_rows(s: &AppState) -> (u64, u64, u64) {
    let r = layout::areas(s.area(), s).entries.expect("entry pane");
    let e = &s.entries;
    (
        e.visible_pos(e.top),
        u64::from(r.height.saturating_sub(3)),
        e.visible_len(),
    )
}

/// The pane shows as many rows as it can: no empty space below the last one.
fn assert_filled(s: &AppState) {
    let (top, rows, n) = entry_rows(s);
    assert!(
        top + rows.min(n) <= n && n - top >= rows.min(n),
        "top {top}, {rows} rows, {n} in the list"
    );
    let sel = s.entries.visible_pos(s.entries.selected);
    assert!(sel >= top && sel < top + rows, "selection {sel} off screen");
}
