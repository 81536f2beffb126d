//! The entry list: tails, following, pause and resume, the bounded window, detail, copy and export, a pane kept full.

use super::*;

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
    receive(&mut s, vec![entry("orders", "eu-1", 11)]);
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
    // What the window let go waits for the loop to free it elsewhere, oldest first.
    let evicted: Vec<u64> = s.entries.evicted.iter().map(|e| e.sequence).collect();
    assert_eq!(evicted, (1..=150).collect::<Vec<_>>());
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
    let last = entry("orders", "eu-2", 3);
    receive(&mut s, vec![entry("orders", "eu-1", 9), last.clone()]);
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
