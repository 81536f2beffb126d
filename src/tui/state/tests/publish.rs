//! The publish pane: edit, preview, send, the answer; read-only refusal.

use super::*;

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
