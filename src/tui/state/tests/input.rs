//! The command line, commands and their arguments, the connection badge, mouse, pastes, tiny terminals.

use super::*;

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
