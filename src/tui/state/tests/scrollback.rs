//! Scrolling back past the window: pages by sequence and by time, detaching, stale pages.

use super::*;

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
    receive(
        &mut s,
        (41..=50).map(|i| entry("orders", "eu-1", i)).collect(),
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
    receive(&mut s, vec![entry("orders", "eu-1", 51)]);
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
    receive(&mut s, vec![entry("orders", "eu-1", 251)]);
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
    let batch: Vec<Entry> = (1..=150)
        .map(|i| Entry {
            timestamp: NOW - 10_000 + i64::try_from(i).unwrap_or(0) * 10,
            ..entry("orders", if i % 2 == 0 { "eu-1" } else { "eu-2" }, i)
        })
        .collect();
    receive(&mut s, batch);
    let r = older_request(&s.update(Action::Top));
    let OlderRead::Time { spaces, span_ms } = &r.read else {
        panic!("{r:?}")
    };
    assert_eq!(spaces, &["orders"]);
    // 10 ms apart, a page of 50, twice over: 1 s.
    assert_eq!(*span_ms, 1_000);
    assert_eq!(r.before.sequence, 51);
}
