//! Several spaces merged by time, resume offsets, `:offset`, marked spaces.

use super::*;

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
    let o = entry("orders", "eu-1", 4);
    receive(&mut s, vec![entry("orders", "eu-1", 3), o.clone()]);
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
    let batch: Vec<Entry> = (1..=120)
        .map(|i| Entry {
            timestamp: NOW + i64::try_from(i).unwrap_or(0),
            ..entry("payments", "p", i)
        })
        .collect();
    receive(&mut s, batch);
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
