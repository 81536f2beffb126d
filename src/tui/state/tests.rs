//! `update` / `handle`, action by action.

use super::*;
use crate::tui::event::{ClientEvent, Event};
use crossterm::event::{KeyEvent, KeyModifiers, MouseEvent};
use skope_client::{Entry, SegmentStatus};

const NOW: i64 = 1_700_000_000_000;

fn state() -> AppState {
    let mut s = AppState::new(StateOptions {
        store: Uuid::from_u128(1),
        read_only: false,
        embedded: true,
        window: 100,
        keymap: Keymap::default_keymap(),
        theme: Theme::no_color(),
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
    let generation = s.entries.generation;
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: (1..=n).map(|i| entry("orders", "eu-1", i)).collect(),
        },
    );
    s
}

#[test]
fn spaces_load_sorted_and_failures_show() {
    let mut s = state();
    assert_eq!(s.start(), vec![Effect::LoadSpaces]);
    client(
        &mut s,
        ClientEvent::Spaces(Ok(vec!["b".into(), "a".into()])),
    );
    assert_eq!(s.hierarchy.spaces, vec!["a", "b"]);
    assert_eq!(s.hierarchy.spaces_load, Load::Loaded);
    client(&mut s, ClientEvent::Spaces(Err("boom".into())));
    assert_eq!(s.hierarchy.spaces_load, Load::Failed("boom".into()));
}

#[test]
fn quit_closes_streams() {
    let mut s = state();
    assert_eq!(
        s.update(Action::Quit),
        vec![Effect::CloseStream, Effect::Unwatch]
    );
    assert!(s.quit);
}

#[test]
fn help_opens_and_its_keys_are_scoped() {
    let mut s = state();
    s.update(Action::Help);
    assert_eq!(s.overlay, Overlay::Help { scroll: 0 });
    assert_eq!(s.scope(), Scope::Help);
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.overlay, Overlay::Help { scroll: 1 });
    // q closes help instead of quitting.
    key(&mut s, KeyCode::Char('q'));
    assert_eq!(s.overlay, Overlay::None);
    assert!(!s.quit);
    s.update(Action::Help);
    s.update(Action::Cancel);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn focus_cycles_both_ways() {
    let mut s = state();
    s.update(Action::FocusNext);
    assert_eq!(s.focus, Focus::Entries);
    s.update(Action::FocusNext);
    assert_eq!(s.focus, Focus::Detail);
    s.update(Action::FocusNext);
    assert_eq!(s.focus, Focus::Hierarchy);
    s.update(Action::FocusPrev);
    assert_eq!(s.focus, Focus::Detail);
    s.update(Action::FocusPrev);
    assert_eq!(s.focus, Focus::Entries);
}

#[test]
fn hierarchy_moves_are_clamped() {
    let mut s = watching();
    assert_eq!(s.hierarchy.len(), 3);
    s.update(Action::Up);
    assert_eq!(s.hierarchy.seg_sel, 0);
    s.update(Action::Down);
    s.update(Action::Down);
    s.update(Action::Down);
    assert_eq!(s.hierarchy.seg_sel, 2);
    s.update(Action::Top);
    assert_eq!(s.hierarchy.seg_sel, 0);
    s.update(Action::Bottom);
    assert_eq!(s.hierarchy.seg_sel, 2);
    s.update(Action::PageUp);
    assert_eq!(s.hierarchy.seg_sel, 0);
    s.update(Action::PageDown);
    assert_eq!(s.hierarchy.seg_sel, 2);
}

#[test]
fn open_space_lists_segments_live() {
    let s = watching();
    assert_eq!(s.hierarchy.level, Level::Segments);
    let names: Vec<_> = s
        .hierarchy
        .segments
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["eu-1", "eu-2"]);
    assert_eq!(
        s.hierarchy.segments[0]
            .status
            .as_ref()
            .map(|x| x.last_sequence),
        Some(5000)
    );
    assert!(s.needs_tick());
}

#[test]
fn new_segments_appear_and_the_selection_stays() {
    let mut s = watching();
    s.hierarchy.seg_sel = 2; // eu-2
    client(
        &mut s,
        ClientEvent::Statuses {
            generation: 1,
            statuses: vec![status("orders", "eu-0", 1, NOW)],
        },
    );
    assert_eq!(s.hierarchy.segments[0].name, "eu-0");
    assert_eq!(s.hierarchy.seg_sel, 3);
    assert_eq!(s.hierarchy.segments[2].name, "eu-2");
}

#[test]
fn status_deltas_feed_the_rate() {
    let mut s = watching();
    s.now_ms = NOW + 1000;
    client(
        &mut s,
        ClientEvent::Statuses {
            generation: 1,
            statuses: vec![status("orders", "eu-2", 17, NOW + 1000)],
        },
    );
    let row = &s.hierarchy.segments[1];
    let w = row.rate.window((NOW + 1000) / 1000);
    assert_eq!(w.last(), Some(&10));
    // Two seconds later that count has moved left.
    let w = row.rate.window((NOW + 3000) / 1000);
    assert_eq!(w[SPARK_SECONDS - 3], 10);
    assert_eq!(w[SPARK_SECONDS - 1], 0);
}

#[test]
fn stale_reports_are_ignored() {
    let mut s = watching();
    s.update(Action::Back);
    assert_eq!(s.hierarchy.level, Level::Spaces);
    client(
        &mut s,
        ClientEvent::Statuses {
            generation: 1,
            statuses: vec![status("orders", "eu-9", 1, NOW)],
        },
    );
    assert!(s.hierarchy.segments.is_empty());
}

#[test]
fn back_unwatches() {
    let mut s = watching();
    assert_eq!(s.update(Action::Back), vec![Effect::Unwatch]);
    assert_eq!(s.hierarchy.level, Level::Spaces);
    assert_eq!(s.update(Action::Back), vec![]);
    s.focus = Focus::Detail;
    s.update(Action::Back);
    assert_eq!(s.focus, Focus::Entries);
    s.update(Action::Back);
    assert_eq!(s.focus, Focus::Hierarchy);
}

#[test]
fn open_segment_tails_from_its_last_sequence() {
    let mut s = watching();
    s.hierarchy.seg_sel = 1;
    let fx = s.update(Action::Open);
    assert_eq!(s.focus, Focus::Entries);
    let Effect::OpenStream {
        request: StreamRequest::Segment(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!((c.space.as_str(), c.segment.as_str()), ("orders", "eu-1"));
    assert_eq!(c.min_sequence, 5000 - TAIL_BACKLOG + 1);
}

#[test]
fn open_all_tails_the_space_by_time() {
    let mut s = watching();
    s.hierarchy.seg_sel = 0;
    let fx = s.update(Action::Open);
    let Effect::OpenStream {
        request: StreamRequest::Space(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(c.space, "orders");
    assert_eq!(c.min_timestamp, NOW - TAIL_SPAN_MS);
}

#[test]
fn entries_follow_until_scrolled_up_and_bottom_follows_again() {
    let mut s = tailing(10);
    assert_eq!(s.entries.selected, 9);
    assert!(s.entries.follow);
    s.update(Action::Up);
    assert!(!s.entries.follow);
    assert_eq!(s.entries.selected, 8);
    let generation = s.entries.generation;
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: vec![entry("orders", "eu-1", 11)],
        },
    );
    assert_eq!(s.entries.selected, 8, "scrolled up: the selection stays");
    s.update(Action::Top);
    assert_eq!(s.entries.selected, 0);
    s.update(Action::PageDown);
    assert_eq!(s.entries.selected, 10);
    s.update(Action::PageUp);
    s.update(Action::Down);
    assert_eq!(s.entries.selected, 1);
    s.update(Action::Bottom);
    assert!(s.entries.follow);
    assert_eq!(s.entries.selected, 10);
}

#[test]
fn the_window_is_bounded() {
    let mut s = tailing(250);
    assert_eq!(s.entries.ring.len(), 100);
    assert_eq!(s.entries.base, 150);
    assert_eq!(s.entries.received, 250);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(250));
    s.update(Action::Top);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(151));
    assert!(s.entries.top >= s.entries.base);
}

#[test]
fn pause_drops_the_read_and_resume_continues_from_the_cursor() {
    let mut s = tailing(10);
    let g = s.entries.generation;
    assert_eq!(s.update(Action::TogglePause), vec![Effect::CloseStream]);
    assert!(s.entries.paused);
    // A batch already in flight from the dropped read is not applied …
    client(
        &mut s,
        ClientEvent::Entries {
            generation: g,
            batch: vec![entry("orders", "eu-1", 11)],
        },
    );
    assert_eq!(s.entries.ring.len(), 10);
    // … and resuming reads on after the last entry applied: no gap, no duplicate.
    let fx = s.update(Action::TogglePause);
    let Effect::OpenStream {
        request: StreamRequest::Segment(c),
        generation,
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(c.min_sequence, 11);
    assert_eq!(*generation, s.entries.generation);
    assert!(!s.entries.paused);
}

#[test]
fn a_space_resumes_from_its_offset() {
    let mut s = watching();
    s.update(Action::Open); // row 0: the space
    let generation = s.entries.generation;
    let last = entry("orders", "eu-2", 3);
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: vec![entry("orders", "eu-1", 9), last.clone()],
        },
    );
    s.update(Action::TogglePause);
    let fx = s.update(Action::TogglePause);
    let Effect::OpenStream {
        request: StreamRequest::Space(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(c.offset, last.space_offset());
}

#[test]
fn pause_without_a_read_says_so() {
    let mut s = state();
    assert!(s.update(Action::TogglePause).is_empty());
    assert!(s.note.as_ref().is_some_and(|n| n.error));
}

#[test]
fn stream_failures_show() {
    let mut s = tailing(1);
    let generation = s.entries.generation;
    client(
        &mut s,
        ClientEvent::StreamFailed {
            generation,
            message: "gone".into(),
        },
    );
    assert_eq!(s.entries.error.as_deref(), Some("gone"));
    assert!(!s.entries.reading);
}

#[test]
fn format_cycles() {
    let mut s = tailing(1);
    s.detail.scroll = 3;
    s.update(Action::CycleFormat);
    assert_eq!(s.detail.format, PayloadFormat::Text);
    assert_eq!(s.detail.scroll, 0);
    s.update(Action::CycleFormat);
    assert_eq!(s.detail.format, PayloadFormat::Hex);
    s.update(Action::CycleFormat);
    assert_eq!(s.detail.format, PayloadFormat::Json);
}

#[test]
fn open_entry_focuses_the_detail_which_scrolls_within_bounds() {
    let mut s = tailing(3);
    s.update(Action::Open);
    assert_eq!(s.focus, Focus::Detail);
    s.size = (80, 24);
    s.update(Action::Bottom);
    let max = s.detail.scroll;
    s.update(Action::Down);
    assert_eq!(s.detail.scroll, max);
    s.update(Action::Top);
    assert_eq!(s.detail.scroll, 0);
}

#[test]
fn refresh_reloads_spaces() {
    let mut s = state();
    assert_eq!(s.update(Action::Refresh), vec![Effect::LoadSpaces]);
}

#[test]
fn command_line_edits_and_runs() {
    let mut s = state();
    key(&mut s, KeyCode::Char(':'));
    assert_eq!(s.overlay, Overlay::Command);
    typed(&mut s, "seg orders/eu-9x");
    key(&mut s, KeyCode::Backspace);
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(
        fx[0],
        Effect::WatchSpace {
            space: "orders".into(),
            generation: 1
        }
    );
    assert!(matches!(
        &fx[1],
        Effect::OpenStream { request: StreamRequest::Segment(c), .. } if c.segment == "eu-9"
    ));
    assert_eq!(s.focus, Focus::Entries);
    // Esc leaves without running.
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "q");
    key(&mut s, KeyCode::Esc);
    assert!(!s.quit);
}

#[test]
fn commands() {
    let mut s = tailing(5);
    let fx = s.command(":seq 42");
    assert!(matches!(
        &fx[0],
        Effect::OpenStream { request: StreamRequest::Segment(c), .. } if c.min_sequence == 42
    ));
    assert!(s.entries.ring.is_empty());
    let fx = s.command("time -5m");
    assert!(matches!(
        &fx[0],
        Effect::OpenStream { request: StreamRequest::Segment(c), .. }
            if c.min_timestamp == NOW - 300_000 && c.min_sequence == 0
    ));
    let fx = s.command("head");
    assert!(matches!(
        &fx[0],
        Effect::OpenStream { request: StreamRequest::Segment(c), .. }
            if c.min_timestamp == 0 && c.min_sequence == 0
    ));
    let fx = s.command("tail");
    assert!(matches!(&fx[0], Effect::OpenStream { .. }));
    let fx = s.command("space payments");
    assert!(matches!(&fx[0], Effect::WatchSpace { space, .. } if space == "payments"));
    assert!(
        matches!(&fx[1], Effect::OpenStream { request: StreamRequest::Space(c), .. } if c.space == "payments")
    );
    assert!(s.command("seq 3").is_empty(), "a space has no sequence");
    assert!(s.note.is_some());
    assert!(s.command("frobnicate").is_empty());
    assert!(s.note.as_ref().is_some_and(|n| n.text.contains("unknown")));
    s.command("q");
    assert!(s.quit);
}

#[test]
fn time_arguments() {
    assert_eq!(parse_time("-90s", NOW), Ok(NOW - 90_000));
    assert_eq!(parse_time("1700000000000", NOW), Ok(NOW));
    assert_eq!(parse_time("2023-11-14T22:13:20Z", 0), Ok(NOW));
    assert!(parse_time("soon", NOW).is_err());
}

#[test]
fn connection_badge_counts_reconnects() {
    let mut s = state();
    let err = skope_client::Error::new(skope_client::ErrorKind::Connect, "down");
    client(
        &mut s,
        ClientEvent::Conn(ConnState::Connected { generation: 1 }),
    );
    assert_eq!(s.conn, Conn::Connected { reconnects: 0 });
    client(
        &mut s,
        ClientEvent::Conn(ConnState::Disconnected {
            reason: err.clone(),
        }),
    );
    client(&mut s, ClientEvent::Conn(ConnState::Connecting));
    client(
        &mut s,
        ClientEvent::Conn(ConnState::Disconnected { reason: err }),
    );
    assert!(matches!(s.conn, Conn::Reconnecting { attempt: 2, .. }));
    client(
        &mut s,
        ClientEvent::Conn(ConnState::Connected { generation: 2 }),
    );
    assert_eq!(s.conn, Conn::Connected { reconnects: 1 });
    client(&mut s, ClientEvent::Conn(ConnState::Closed));
    assert_eq!(s.conn, Conn::Closed);
}

fn mouse(s: &mut AppState, kind: MouseEventKind, column: u16, row: u16) {
    s.handle(Event::Term(TermEvent::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })));
}

#[test]
fn mouse_clicks_select_and_wheels_scroll() {
    let mut s = tailing(30);
    let a = layout::areas(Rect::new(0, 0, 200, 50), &s);
    let e = a.entries.expect("entries shown");
    // Row 0 of the list is 2 below the top border (border + header).
    mouse(
        &mut s,
        MouseEventKind::Down(MouseButton::Left),
        e.x + 3,
        e.y + 2,
    );
    assert_eq!(s.entries.selected, s.entries.top);
    assert!(!s.entries.follow);
    let before = s.entries.selected;
    mouse(&mut s, MouseEventKind::ScrollDown, e.x + 3, e.y + 5);
    assert_eq!(s.entries.selected, before + 3);
    let h = a.hierarchy.expect("hierarchy shown");
    mouse(
        &mut s,
        MouseEventKind::Down(MouseButton::Left),
        h.x + 2,
        h.y + 4,
    );
    assert_eq!(s.focus, Focus::Hierarchy);
    assert_eq!(s.hierarchy.seg_sel, 2);
}

#[test]
fn tiny_terminals_do_not_panic_on_input() {
    let mut s = tailing(30);
    s.handle(Event::Term(TermEvent::Resize(10, 5)));
    for a in [Action::Down, Action::PageDown, Action::Bottom, Action::Open] {
        s.update(a);
    }
    mouse(&mut s, MouseEventKind::Down(MouseButton::Left), 1, 1);
}

fn entry_with(seq: u64, payload: &str) -> Entry {
    let mut e = entry("orders", "eu-1", seq);
    e.payload = Some(payload.as_bytes().to_vec());
    e
}

#[test]
fn filter_prompt_filters_rows_and_counts() {
    let mut s = tailing(0);
    let generation = s.entries.generation;
    let batch = (1..=10)
        .map(|i| {
            let status = if i % 3 == 0 { "paid" } else { "created" };
            entry_with(i, &format!(r#"{{"n":{i},"status":"{status}"}}"#))
        })
        .collect();
    client(&mut s, ClientEvent::Entries { generation, batch });
    key(&mut s, KeyCode::Char('/'));
    assert_eq!(s.overlay, Overlay::Filter);
    typed(&mut s, "paid");
    // Typing edits the prompt only; q is text here.
    assert!(!s.quit);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.overlay, Overlay::None);
    let f = s.entries.filter.as_ref().expect("filter");
    assert_eq!(f.text, "paid");
    assert_eq!(f.matches.len(), 3);
    assert_eq!(s.entries.visible_len(), 3);
    // Following: the last match is selected.
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(9));
    s.update(Action::Up);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(6));
    s.update(Action::Top);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(3));
    // New arrivals are filtered too.
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: vec![
                entry_with(11, r#"{"status":"paid"}"#),
                entry_with(12, r#"{"status":"x"}"#),
            ],
        },
    );
    assert_eq!(s.entries.visible_len(), 4);
    s.update(Action::Bottom);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(11));
    // Esc in the entry list clears the filter first, then goes back.
    s.focus = Focus::Entries;
    key(&mut s, KeyCode::Esc);
    assert!(s.entries.filter.is_none());
    assert_eq!(s.focus, Focus::Entries);
    assert_eq!(s.entries.visible_len(), 12);
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Focus::Hierarchy);
}

#[test]
fn filter_kinds_and_errors() {
    let mut s = tailing(0);
    let generation = s.entries.generation;
    let batch = (1..=6)
        .map(|i| entry_with(i, &format!(r#"{{"a":{{"n":{i}}}}}"#)))
        .collect();
    client(&mut s, ClientEvent::Entries { generation, batch });
    s.apply_filter("$.a.n > 4");
    assert_eq!(s.entries.visible_len(), 2);
    s.apply_filter(r"re:\b[12]\b");
    assert_eq!(s.entries.visible_len(), 2);
    // A bad filter leaves the previous one and says why.
    s.apply_filter("re:(");
    assert!(s.note.as_ref().is_some_and(|n| n.error));
    assert_eq!(s.entries.visible_len(), 2);
    // ctrl-r toggles the regex prefix in the prompt.
    s.update(Action::Filter);
    assert_eq!(s.filter_input, r"re:\b[12]\b");
    s.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    ))));
    assert_eq!(s.filter_input, r"\b[12]\b");
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(
        s.entries.filter.as_ref().map(|f| f.text.as_str()),
        Some(r"re:\b[12]\b")
    );
    // No match: no selection, and :filter with nothing clears.
    s.command(":filter nothing-matches");
    assert_eq!(s.entries.visible_len(), 0);
    assert!(s.entries.selected_entry().is_none());
    s.command(":filter");
    assert!(s.entries.filter.is_none());
    assert_eq!(s.entries.visible_len(), 6);
}

#[test]
fn filter_matches_leave_with_the_window() {
    let mut s = tailing(0);
    s.apply_filter("\"n\"");
    let generation = s.entries.generation;
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: (1..=150).map(|i| entry("orders", "eu-1", i)).collect(),
        },
    );
    // window is 100: matches of evicted entries are gone.
    assert_eq!(s.entries.visible_len(), 100);
    let f = s.entries.filter.as_ref().expect("filter");
    assert_eq!(f.matches.front().copied(), Some(s.entries.base));
}

fn ctrl(s: &mut AppState, c: char) -> Vec<Effect> {
    s.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    ))))
}

#[test]
fn publish_edits_previews_sends_and_shows_the_answer() {
    let mut s = tailing(3);
    // The next sequence comes from the live status (eu-1 is at 5000): no peek needed.
    let fx = key(&mut s, KeyCode::Char('P'));
    assert!(fx.is_empty());
    assert_eq!(s.overlay, Overlay::Publish);
    assert_eq!(s.scope(), Scope::Publish);
    let p = s.publish.as_ref().expect("pane");
    assert_eq!((p.space.as_str(), p.segment.as_str()), ("orders", "eu-1"));
    assert_eq!(p.next_sequence, Some(5001));
    // q is text here, not quit.
    typed(&mut s, r#"{"q":1}"#);
    assert!(!s.quit);
    assert_eq!(
        s.publish.as_ref().map(Publish::validity),
        Some(crate::tui::publish::Validity::Json)
    );
    ctrl(&mut s, 'n');
    typed(&mut s, "k=v");
    key(&mut s, KeyCode::Enter);
    assert_eq!(
        s.publish.as_ref().map(|p| p.step.clone()),
        Some(Step::Preview)
    );
    // Esc in the preview goes back to editing; Enter twice sends.
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.publish.as_ref().map(|p| p.step.clone()), Some(Step::Edit));
    key(&mut s, KeyCode::Enter);
    let fx = key(&mut s, KeyCode::Enter);
    let mut metadata = Metadata::new();
    metadata.insert("k".into(), "v".into());
    assert_eq!(
        fx,
        vec![Effect::Publish {
            generation: 1,
            space: "orders".into(),
            segment: "eu-1".into(),
            payload: br#"{"q":1}"#.to_vec(),
            metadata,
        }]
    );
    assert_eq!(
        s.publish.as_ref().map(|p| p.step.clone()),
        Some(Step::Sending)
    );
    // A stale answer is ignored; the right one shows.
    client(
        &mut s,
        ClientEvent::Published {
            generation: 7,
            result: Err("nope".into()),
        },
    );
    assert_eq!(
        s.publish.as_ref().map(|p| p.step.clone()),
        Some(Step::Sending)
    );
    client(
        &mut s,
        ClientEvent::Published {
            generation: 1,
            result: Ok(status("orders", "eu-1", 5001, NOW)),
        },
    );
    assert_eq!(
        s.publish.as_ref().map(|p| p.step.clone()),
        Some(Step::Sent(5001))
    );
    assert_eq!(s.publish.as_ref().and_then(|p| p.next_sequence), Some(5002));
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    client(
        &mut s,
        ClientEvent::Published {
            generation: 1,
            result: Err("produce failed: boom".into()),
        },
    );
    assert_eq!(
        s.publish.as_ref().map(|p| p.step.clone()),
        Some(Step::Failed("produce failed: boom".into()))
    );
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.overlay, Overlay::None);
    assert!(s.publish.is_none());
}

#[test]
fn publish_peeks_when_the_target_is_not_watched_and_refuses_bad_metadata() {
    let mut s = state();
    let fx = s.command(":publish other/seg");
    assert_eq!(
        fx,
        vec![Effect::PeekLast {
            generation: 1,
            space: "other".into(),
            segment: "seg".into()
        }]
    );
    client(
        &mut s,
        ClientEvent::LastSequence {
            generation: 1,
            result: Ok(41),
        },
    );
    assert_eq!(s.publish.as_ref().and_then(|p| p.next_sequence), Some(42));
    ctrl(&mut s, 'n');
    typed(&mut s, "novalue");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.is_empty());
    assert_eq!(s.publish.as_ref().map(|p| p.step.clone()), Some(Step::Edit));
    assert!(s.note.as_ref().is_some_and(|n| n.error));
    ctrl(&mut s, 'x');
    assert_eq!(s.publish.as_ref().map(|p| p.metadata.len()), Some(0));
    // Without a segment, P says what it needs.
    let mut s = state();
    s.update(Action::Publish);
    assert!(s.publish.is_none());
    assert!(s.note.as_ref().is_some_and(|n| n.error));
}

#[test]
fn publish_is_refused_in_read_only_mode() {
    let mut s = tailing(3);
    s.read_only = true;
    key(&mut s, KeyCode::Char('P'));
    assert_eq!(s.overlay, Overlay::Publish);
    typed(&mut s, "x");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert_eq!(s.publish.as_ref().map(|p| p.step.clone()), Some(Step::Edit));
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("read-only"))
    );
}

#[test]
fn copy_to_publish_prefills_from_the_selected_entry() {
    let mut s = tailing(3);
    s.focus = Focus::Entries;
    key(&mut s, KeyCode::Char('c'));
    let p = s.publish.as_ref().expect("pane");
    assert_eq!(p.text(), r#"{"n":3}"#);
    assert_eq!((p.space.as_str(), p.segment.as_str()), ("orders", "eu-1"));
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

#[test]
fn subscriptions_panel_refreshes_on_the_tick_while_shown() {
    let mut s = state();
    assert!(s.handle(Event::Tick).is_empty());
    let fx = key(&mut s, KeyCode::Char('S'));
    assert_eq!(fx, vec![Effect::RefreshSubscriptions]);
    assert_eq!(s.panel, Some(Panel::Subscriptions));
    assert_eq!(s.focus, Focus::Panel);
    assert!(s.needs_tick());
    assert_eq!(s.handle(Event::Tick), vec![Effect::RefreshSubscriptions]);
    client(
        &mut s,
        ClientEvent::Subscriptions(vec![sub_row("b/*"), sub_row("a/*")]),
    );
    assert_eq!(s.subs[0].target, "a/*");
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.sub_sel, 1);
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.sub_sel, 1);
    // Tab cycles through the panel; S hides it.
    s.update(Action::FocusNext);
    assert_eq!(s.focus, Focus::Hierarchy);
    s.update(Action::FocusPrev);
    assert_eq!(s.focus, Focus::Panel);
    key(&mut s, KeyCode::Char('S'));
    assert_eq!(s.panel, None);
    assert_eq!(s.focus, Focus::Entries);
    assert!(s.handle(Event::Tick).is_empty());
}

#[test]
fn leases_acquire_show_and_release() {
    let mut s = state();
    key(&mut s, KeyCode::Char('L'));
    assert_eq!(s.panel, Some(Panel::Leases));
    key(&mut s, KeyCode::Char('a'));
    assert_eq!(s.overlay, Overlay::LeasePrompt);
    typed(&mut s, "job 10s");
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::AcquireLease {
            key: "job".into(),
            ttl_secs: 10
        }]
    );
    assert_eq!(s.leases[0].state, LeaseState::Acquiring);
    // Twice the same key is refused while it is held here.
    assert!(s.acquire("job").is_empty());
    s.now_ms = NOW + 1000;
    client(
        &mut s,
        ClientEvent::LeaseAcquired {
            key: "job".into(),
            holder: "holder-1".into(),
            ttl_secs: 10,
        },
    );
    assert_eq!(s.leases[0].state, LeaseState::Held);
    assert_eq!(s.leases[0].since_ms, NOW + 1000);
    let fx = key(&mut s, KeyCode::Char('x'));
    assert_eq!(fx, vec![Effect::ReleaseLease { key: "job".into() }]);
    assert_eq!(s.leases[0].state, LeaseState::Releasing);
    client(
        &mut s,
        ClientEvent::LeaseReleased {
            key: "job".into(),
            result: Ok(true),
        },
    );
    assert!(s.leases.is_empty());
    // A lost lease shows why; x clears its row.
    s.acquire("other 5");
    client(
        &mut s,
        ClientEvent::LeaseLost {
            key: "other".into(),
            reason: "expired".into(),
        },
    );
    assert_eq!(s.leases[0].state, LeaseState::Lost("expired".into()));
    assert!(key(&mut s, KeyCode::Char('x')).is_empty());
    assert!(s.leases.is_empty());
    // :acquire works too, and a failure shows the server's answer.
    assert_eq!(s.command(":acquire k 3").len(), 1);
    client(
        &mut s,
        ClientEvent::LeaseFailed {
            key: "k".into(),
            message: "held by someone else".into(),
        },
    );
    assert_eq!(
        s.leases[0].state,
        LeaseState::Failed("held by someone else".into())
    );
}

#[test]
fn leases_are_refused_in_read_only_mode() {
    let mut s = state();
    s.read_only = true;
    key(&mut s, KeyCode::Char('L'));
    assert!(key(&mut s, KeyCode::Char('a')).is_empty());
    assert_eq!(s.overlay, Overlay::None);
    assert!(s.command(":acquire job").is_empty());
    assert!(s.leases.is_empty());
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("read-only"))
    );
}

#[test]
fn yank_copies_payload_and_entry_through_osc52_effects() {
    let mut s = tailing(3);
    s.focus = Focus::Entries;
    let fx = key(&mut s, KeyCode::Char('y'));
    assert_eq!(fx, vec![Effect::Clipboard(r#"{"n":3}"#.into())]);
    let fx = key(&mut s, KeyCode::Char('Y'));
    let Some(Effect::Clipboard(line)) = fx.first() else {
        panic!("{fx:?}");
    };
    let v: serde_json::Value = serde_json::from_str(line).expect("json line");
    assert_eq!(v["sequence"], 3);
    assert_eq!(v["payload"]["n"], 3);
    assert_eq!(v["segment"], "eu-1");
    // Nothing selected: nothing copied.
    let mut s = state();
    s.focus = Focus::Entries;
    assert!(key(&mut s, KeyCode::Char('y')).is_empty());
}

#[test]
fn export_prompts_with_a_default_path_and_exports_the_filtered_window() {
    let mut s = tailing(5);
    s.focus = Focus::Entries;
    s.apply_filter("re:[24]");
    key(&mut s, KeyCode::Char('e'));
    assert_eq!(s.overlay, Overlay::ExportPrompt);
    assert_eq!(s.lease_input, "./skope-export-orders-eu-1.jsonl");
    let fx = key(&mut s, KeyCode::Enter);
    let Some(Effect::Export { path, entries }) = fx.first() else {
        panic!("{fx:?}");
    };
    assert_eq!(path, "./skope-export-orders-eu-1.jsonl");
    assert_eq!(
        entries.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        vec![2, 4]
    );
    client(
        &mut s,
        ClientEvent::Exported {
            path: "x.jsonl".into(),
            result: Ok(2),
        },
    );
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| !n.error && n.text == "exported 2 entries to x.jsonl")
    );
    assert_eq!(
        default_export_path(&Source::Space {
            space: "a b".into()
        }),
        "./skope-export-a_b-all.jsonl"
    );
}

#[test]
fn store_picker_lists_and_switches() {
    use crate::tui::stores::Origin;
    let mut s = tailing(3);
    let other = Uuid::from_u128(2);
    let fx = key(&mut s, KeyCode::Char('s'));
    assert_eq!(fx, vec![Effect::LoadStores]);
    assert_eq!(s.overlay, Overlay::StorePicker);
    client(
        &mut s,
        ClientEvent::Stores(vec![
            (Origin::Recent, vec![other]),
            (Origin::Disk, vec![Uuid::from_u128(1), other]),
        ]),
    );
    assert_eq!(s.store_choices.len(), 2);
    assert_eq!(
        s.store_choices[1].origins,
        vec![Origin::Recent, Origin::Disk]
    );
    key(&mut s, KeyCode::Down);
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![
            Effect::CloseStream,
            Effect::Unwatch,
            Effect::SwitchStore(other),
            Effect::LoadSpaces
        ]
    );
    assert_eq!(s.store, other);
    assert_eq!(s.overlay, Overlay::None);
    assert!(s.entries.source.is_none());
    assert!(s.entries.ring.is_empty());
    assert_eq!(s.hierarchy.level, Level::Spaces);
    assert_eq!(s.hierarchy.spaces_load, Load::Loading);
    // Typing a UUID switches to it; a bad one is refused and stays typed.
    key(&mut s, KeyCode::Char('s'));
    typed(&mut s, "nope");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert_eq!(s.overlay, Overlay::StorePicker);
    assert_eq!(s.store_input, "nope");
    for _ in 0..4 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "00000000-0000-0000-0000-000000000003");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.contains(&Effect::SwitchStore(Uuid::from_u128(3))));
    // :store UUID, and the same store again is a no-op.
    let fx = s.command(":store 00000000-0000-0000-0000-000000000001");
    assert!(fx.contains(&Effect::SwitchStore(Uuid::from_u128(1))));
    assert!(
        s.command(":store 00000000-0000-0000-0000-000000000001")
            .is_empty()
    );
    assert!(s.command(":store x").is_empty());
    assert!(s.note.as_ref().is_some_and(|n| n.error));
}

#[test]
fn pastes_go_into_the_field_being_edited() {
    let mut s = tailing(1);
    key(&mut s, KeyCode::Char('P'));
    s.handle(Event::Term(TermEvent::Paste("{\"a\":\r\n 1}".into())));
    // A newline in a paste is text, not "preview".
    let p = s.publish.as_ref().expect("pane");
    assert_eq!(p.step, Step::Edit);
    assert_eq!(p.text(), "{\"a\":\n 1}");
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('/'));
    s.handle(Event::Term(TermEvent::Paste("a\nb".into())));
    assert_eq!(s.filter_input, "a b");
    key(&mut s, KeyCode::Esc);
    // Outside a prompt a paste does nothing (no key actions).
    s.handle(Event::Term(TermEvent::Paste("q".into())));
    assert!(!s.quit);
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

#[test]
fn scrolling_back_past_the_window_fetches_the_page_before_by_sequence() {
    // Window 100: entries 151..=250 are kept.
    let mut s = tailing(250);
    assert_eq!(window_seqs(&s), (151, 250));
    let stream_generation = s.entries.generation;
    let fx = s.update(Action::Top);
    let r = older_request(&fx);
    assert_eq!(r.before.sequence, 151);
    assert_eq!(r.page, 50, "half the window");
    let OlderRead::Segment(c) = &r.read else {
        panic!("{r:?}")
    };
    assert_eq!((c.min_sequence, c.max_sequence), (101, 150));
    assert_eq!((c.space.as_str(), c.segment.as_str()), ("orders", "eu-1"));
    assert!(s.entries.loading_older.is_some());
    // One fetch at a time.
    assert!(s.update(Action::Up).is_empty());

    // The page lands: it goes in front, the newest entries go, the read stops (detached).
    let fx = older(&mut s, r.id, 101..=150, false);
    assert_eq!(fx, vec![Effect::CloseStream]);
    assert_eq!(window_seqs(&s), (101, 200));
    assert_eq!(s.entries.ring.len(), 100);
    assert!(s.entries.ring.iter().map(|e| e.sequence).eq(101..=200));
    assert!(s.entries.detached && s.entries.paused && !s.entries.follow);
    assert!(s.entries.loading_older.is_none());
    // `g` is replayed: the selection is on the new first row.
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(101));
    // Batches of the dropped read are not applied.
    client(
        &mut s,
        ClientEvent::Entries {
            generation: stream_generation,
            batch: vec![entry("orders", "eu-1", 251)],
        },
    );
    assert_eq!(window_seqs(&s), (101, 200));
    // Further back, down to sequence 1.
    let r = older_request(&s.update(Action::Up));
    let OlderRead::Segment(c) = &r.read else {
        panic!("{r:?}")
    };
    assert_eq!((c.min_sequence, c.max_sequence), (51, 100));
    older(&mut s, r.id, 51..=100, false);
    assert_eq!(window_seqs(&s), (51, 150));
    assert_eq!(
        s.entries.selected_entry().map(|e| e.sequence),
        Some(100),
        "Up at the top moves into the page"
    );
    let r = older_request(&s.update(Action::Top));
    older(&mut s, r.id, 1..=50, true);
    assert_eq!(window_seqs(&s), (1, 100));
    assert!(s.entries.at_start());
    assert!(s.update(Action::Top).is_empty(), "the start: nothing older");
    assert!(s.update(Action::PageUp).is_empty());

    // `p` reads on from the window's last entry (no gap)…
    let fx = s.update(Action::TogglePause);
    assert!(
        matches!(&fx[0], Effect::OpenStream { request: StreamRequest::Segment(c), .. } if c.min_sequence == 101),
        "{fx:?}"
    );
    assert!(!s.entries.detached);
}

#[test]
fn end_on_a_detached_window_goes_back_to_the_live_tail() {
    let mut s = tailing(250);
    let r = older_request(&s.update(Action::Top));
    older(&mut s, r.id, 101..=150, false);
    assert!(s.entries.detached);
    let fx = s.update(Action::Bottom);
    let Effect::OpenStream {
        request: StreamRequest::Segment(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(c.min_sequence, 5000 - TAIL_BACKLOG + 1, "the tail again");
    assert!(s.entries.ring.is_empty() && s.entries.follow && !s.entries.detached);
    assert!(s.entries.reading && !s.entries.paused);
}

#[test]
fn a_page_that_fits_keeps_the_tail_live() {
    let mut s = tailing(5);
    s.command("seq 41");
    let generation = s.entries.generation;
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: (41..=50).map(|i| entry("orders", "eu-1", i)).collect(),
        },
    );
    // Walk up to the first row: reaching it prefetches, without replaying the move.
    for _ in 0..8 {
        assert!(s.update(Action::Up).is_empty());
    }
    let r = older_request(&s.update(Action::Up));
    let OlderRead::Segment(c) = &r.read else {
        panic!("{r:?}")
    };
    assert_eq!((c.min_sequence, c.max_sequence), (1, 40));
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(41));
    assert!(
        older(&mut s, r.id, 1..=40, true).is_empty(),
        "the read stays open"
    );
    assert_eq!(window_seqs(&s), (1, 50));
    assert!(!s.entries.detached && s.entries.reading);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(41));
    // Live entries still arrive after it.
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: vec![entry("orders", "eu-1", 51)],
        },
    );
    assert_eq!(window_seqs(&s), (1, 51));
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(41));
}

#[test]
fn stale_and_failed_pages_are_dropped() {
    let mut s = tailing(250);
    let r = older_request(&s.update(Action::Top));
    // Another id: ignored, the fetch is still awaited.
    older(&mut s, r.id + 7, 101..=150, false);
    assert_eq!(window_seqs(&s), (151, 250));
    assert!(s.entries.loading_older.is_some());
    // The window moved on (its front was evicted) while the page was read: dropped.
    let generation = s.entries.generation;
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: vec![entry("orders", "eu-1", 251)],
        },
    );
    older(&mut s, r.id, 101..=150, false);
    assert_eq!(window_seqs(&s), (152, 251));
    assert!(s.entries.loading_older.is_none() && !s.entries.detached);
    // A failure shows, and the next move tries again.
    let r = older_request(&s.update(Action::Top));
    client(
        &mut s,
        ClientEvent::Older {
            id: r.id,
            result: Err("boom".into()),
        },
    );
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("boom"))
    );
    assert!(s.entries.loading_older.is_none());
    older_request(&s.update(Action::Top));
}

#[test]
fn scrolling_back_keeps_filter_matches_in_step() {
    let mut s = tailing(250);
    s.apply_filter("5}");
    // Matches in 151..=250 ending in 5: 155, 165, …, 245.
    assert_eq!(s.entries.visible_len(), 10);
    let r = older_request(&s.update(Action::Top));
    older(&mut s, r.id, 101..=150, false);
    let shown: Vec<u64> = (0..s.entries.visible_len())
        .filter_map(|p| s.entries.visible_at(p))
        .filter_map(|i| s.entries.get(i))
        .map(|e| e.sequence)
        .collect();
    assert_eq!(shown, [105, 115, 125, 135, 145, 155, 165, 175, 185, 195]);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(105));
}

#[test]
fn a_space_scrolls_back_by_time_and_g_on_an_empty_read_reads_from_the_head() {
    let mut s = watching();
    s.update(Action::Open); // the whole space, from the tail
    // Nothing in the last minutes: `g` reads from the head.
    let fx = s.update(Action::Top);
    assert!(
        matches!(&fx[0], Effect::OpenStream { request: StreamRequest::Space(c), .. } if c.min_timestamp == 0 && c.offset.is_empty()),
        "{fx:?}"
    );
    assert!(
        s.entries.at_start(),
        "a read from the head starts at the start"
    );
    s.command("tail");
    let generation = s.entries.generation;
    let batch: Vec<Entry> = (1..=150)
        .map(|i| Entry {
            timestamp: NOW - 10_000 + i64::try_from(i).unwrap_or(0) * 10,
            ..entry("orders", if i % 2 == 0 { "eu-1" } else { "eu-2" }, i)
        })
        .collect();
    client(&mut s, ClientEvent::Entries { generation, batch });
    let r = older_request(&s.update(Action::Top));
    let OlderRead::Time { spaces, span_ms } = &r.read else {
        panic!("{r:?}")
    };
    assert_eq!(spaces, &["orders"]);
    // 10 ms apart, a page of 50, twice over: 1 s.
    assert_eq!(*span_ms, 1_000);
    assert_eq!(r.before.sequence, 51);
}

#[test]
fn several_spaces_merge_by_time_and_resume_per_space() {
    let mut s = watching();
    let fx = s.command("spaces payments, orders");
    let Effect::OpenStream {
        request: StreamRequest::Spaces(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        c.offsets.keys().collect::<Vec<_>>(),
        ["orders", "payments"],
        "sorted"
    );
    assert!(c.offsets.values().all(LexKey::is_empty));
    assert_eq!(c.min_timestamp, NOW - TAIL_SPAN_MS);
    assert_eq!(
        s.entries.source.as_ref().map(Source::label).as_deref(),
        Some("orders,payments/*")
    );
    assert_eq!(s.focus, Focus::Entries);
    let generation = s.entries.generation;
    let o = entry("orders", "eu-1", 4);
    client(
        &mut s,
        ClientEvent::Entries {
            generation,
            batch: vec![entry("orders", "eu-1", 3), o.clone()],
        },
    );
    // Paused for a long while: the space without entries still starts where the read did.
    s.update(Action::TogglePause);
    s.now_ms += 3_600_000;
    let fx = s.update(Action::TogglePause);
    let Effect::OpenStream {
        request: StreamRequest::Spaces(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(c.offsets["orders"], o.space_offset());
    assert!(c.offsets["payments"].is_empty());
    assert_eq!(c.min_timestamp, NOW - TAIL_SPAN_MS);
    assert_eq!(
        default_export_path(&Source::Spaces {
            spaces: vec!["a".into(), "b/c".into()]
        }),
        "./skope-export-a+b_c.jsonl"
    );
    // One name is a plain space read; none is a usage error.
    let fx = s.command("spaces orders");
    assert!(
        matches!(&fx[0], Effect::OpenStream { request: StreamRequest::Space(c), .. } if c.space == "orders")
    );
    assert!(s.command("spaces").is_empty());
    assert!(s.note.as_ref().is_some_and(|n| n.text.starts_with("usage")));
}

#[test]
fn a_window_over_several_spaces_detaches_with_a_cursor_per_space() {
    let mut s = state();
    s.command("spaces orders,payments,zebra");
    let generation = s.entries.generation;
    let batch: Vec<Entry> = (1..=120)
        .map(|i| Entry {
            timestamp: NOW + i64::try_from(i).unwrap_or(0),
            ..entry("payments", "p", i)
        })
        .collect();
    client(&mut s, ClientEvent::Entries { generation, batch });
    let r = older_request(&s.update(Action::Top));
    assert!(matches!(&r.read, OlderRead::Time { spaces, .. } if spaces.len() == 3));
    let page: Vec<Entry> = (1..=50)
        .map(|i| Entry {
            timestamp: NOW - 100 + i,
            ..entry("orders", "o", u64::try_from(i).unwrap_or(0))
        })
        .collect();
    client(
        &mut s,
        ClientEvent::Older {
            id: r.id,
            result: Ok(OlderPage {
                entries: page,
                at_start: false,
            }),
        },
    );
    assert!(s.entries.detached);
    // The window ends at payments #70: orders resumes after its last entry, payments after
    // #70, zebra (sorts after payments) from everything at #70's time on.
    let back = s.entries.ring.back().cloned().unwrap_or_default();
    assert_eq!((back.space.as_str(), back.sequence), ("payments", 70));
    let fx = s.update(Action::TogglePause);
    let Effect::OpenStream {
        request: StreamRequest::Spaces(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    let last_order = Entry {
        timestamp: NOW - 50,
        ..entry("orders", "o", 50)
    };
    assert_eq!(c.offsets["orders"], last_order.space_offset());
    assert_eq!(c.offsets["payments"], back.space_offset());
    assert_eq!(
        c.offsets["zebra"],
        resume_offset("zebra", back.timestamp, "payments", &back.space_offset())
    );
}

#[test]
fn resume_offsets_order_around_the_position() {
    let at = Entry {
        timestamp: NOW,
        ..entry("m", "s", 5)
    };
    let key = at.space_offset();
    let pos =
        |space: &str, ts: i64, seg: &str, seq: u64| skope_proto::space_offset(space, ts, seg, seq);
    // A space sorting before: everything at that time is before the position.
    let k = resume_offset("a", NOW, "m", &key);
    assert!(pos("a", NOW, "zzzz", u64::MAX) < k);
    assert!(pos("a", NOW + 1, "", 0) > k);
    // A space sorting after: everything at that time is after it.
    let k = resume_offset("z", NOW, "m", &key);
    assert!(pos("z", NOW, "", 0) > k);
    assert!(pos("z", NOW - 1, "zzzz", u64::MAX) < k);
    assert_eq!(resume_offset("m", NOW, "m", &key), key);
}

#[test]
fn offset_command_starts_the_read_after_an_entry() {
    let mut s = tailing(5);
    let e = Entry {
        timestamp: NOW,
        ..entry("orders", "eu-1", 41)
    };
    // A space offset of this segment, or its segment offset: read on from #42.
    for key in [e.space_offset(), e.segment_offset()] {
        let fx = s.command(&format!(":offset {}", key.to_hex()));
        assert!(
            matches!(&fx[0], Effect::OpenStream { request: StreamRequest::Segment(c), .. } if c.min_sequence == 42),
            "{fx:?}"
        );
        assert_eq!(s.entries.start, Start::Offset(key));
    }
    // Another segment's offset, or not hex: refused, the read stays.
    let other = entry("orders", "eu-2", 3).space_offset();
    assert!(s.command(&format!("offset {}", other.to_hex())).is_empty());
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("orders/eu-2 #3"))
    );
    assert!(s.command("offset zz").is_empty());
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| n.text.contains("invalid byte"))
    );
    assert!(s.command("offset").is_empty());

    // A space read takes the offset as is.
    s.command("space orders");
    let key = entry("orders", "eu-2", 3).space_offset();
    let fx = s.command(&format!("offset {}", key.to_hex()));
    assert!(
        matches!(&fx[0], Effect::OpenStream { request: StreamRequest::Space(c), .. } if c.offset == key)
    );
    // Several spaces: each resumes at that position.
    s.command("spaces orders,payments");
    let fx = s.command(&format!("offset {}", key.to_hex()));
    let Effect::OpenStream {
        request: StreamRequest::Spaces(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(c.offsets["orders"], key);
    assert_eq!(
        c.offsets["payments"],
        resume_offset("payments", NOW - 997, "orders", &key)
    );

    // With nothing open, a space offset opens its space.
    let mut s = state();
    let fx = s.command(&format!("offset {}", key.to_hex()));
    assert!(
        matches!(&fx[0], Effect::OpenStream { request: StreamRequest::Space(c), .. } if c.space == "orders" && c.offset == key)
    );
    assert_eq!(s.focus, Focus::Entries);
    let mut s = state();
    assert!(
        s.command(&format!("offset {}", e.segment_offset().to_hex()))
            .is_empty()
    );
}

#[test]
fn marked_spaces_open_merged_by_time() {
    let mut s = state();
    client(
        &mut s,
        ClientEvent::Spaces(Ok(vec!["payments".into(), "orders".into(), "audit".into()])),
    );
    // audit, orders, payments: mark payments and audit.
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Char('m'));
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| n.text.starts_with("1 space marked"))
    );
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(
        s.hierarchy.marked.iter().collect::<Vec<_>>(),
        ["audit", "payments"]
    );
    // Unmarking toggles.
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('m'));
    key(&mut s, KeyCode::Char('m'));
    assert_eq!(s.hierarchy.marked.len(), 2);
    let fx = key(&mut s, KeyCode::Enter);
    let Effect::OpenStream {
        request: StreamRequest::Spaces(c),
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(c.offsets.keys().collect::<Vec<_>>(), ["audit", "payments"]);
    assert_eq!(s.focus, Focus::Entries);
    assert!(s.hierarchy.marked.is_empty(), "the marks are used up");
    // Marking elsewhere says where it works.
    s.update(Action::Mark);
    assert!(s.note.as_ref().is_some_and(|n| n.error));
    // One mark: Enter opens the selected space as before.
    s.focus = Focus::Hierarchy;
    s.update(Action::Mark);
    let fx = s.update(Action::Open);
    assert!(matches!(&fx[0], Effect::WatchSpace { .. }), "{fx:?}");
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

#[test]
fn a_filter_applied_while_scrolled_up_fills_the_pane_and_keeps_the_selection() {
    let mut s = tailing(84);
    for _ in 0..24 {
        s.update(Action::Up);
    }
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(60));
    assert!(!s.entries.follow);
    // Sequences ending in 0 or 5: 16 of 84, fewer than the pane's rows.
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "re:[05]}");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.entries.visible_len(), 16);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(60));
    assert_eq!(entry_rows(&s).0, 0, "every match shows, from the first");
    assert_filled(&s);

    // A smaller pane than the matches: still filled, the selection on screen.
    s.handle(Event::Term(TermEvent::Resize(80, 16)));
    assert!(entry_rows(&s).1 < 16);
    assert_filled(&s);
    s.handle(Event::Term(TermEvent::Resize(200, 50)));

    // The growing list (filter cleared) keeps the selected entry, the pane filled.
    s.apply_filter("");
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(60));
    assert_filled(&s);

    // A selection that no longer matches goes to the nearest match (60, not 65).
    s.update(Action::Down);
    s.update(Action::Down);
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(62));
    s.apply_filter("re:[05]}");
    assert_eq!(s.entries.selected_entry().map(|e| e.sequence), Some(60));
    assert_filled(&s);
}
