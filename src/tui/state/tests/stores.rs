//! The store picker.

use super::*;

#[test]
fn store_picker_lists_and_switches() {
    use crate::tui::stores::Origin;
    let mut s = tailing(3);
    s.hierarchy.marked.insert("orders".into());
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
    // The old window is handed to the loop to free elsewhere; the old store's marks are gone.
    let freed: Vec<u64> = s.entries.evicted.iter().map(|e| e.sequence).collect();
    assert_eq!(freed, [1, 2, 3]);
    assert!(s.hierarchy.marked.is_empty());
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
