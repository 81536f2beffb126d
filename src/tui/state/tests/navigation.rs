//! Frame and hierarchy: spaces, segments with live status, focus, help, quit.

use super::*;

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
