//! The subscriptions and leases panels.

use super::*;

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
