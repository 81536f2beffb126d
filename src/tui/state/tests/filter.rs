//! The `/` filter: substring, regex and JSON-path filters and their matches.

use super::*;

#[test]
fn filter_prompt_filters_rows_and_counts() {
    let mut s = tailing(0);
    let batch = (1..=10)
        .map(|i| {
            let status = if i % 3 == 0 { "paid" } else { "created" };
            entry_with(i, &format!(r#"{{"n":{i},"status":"{status}"}}"#))
        })
        .collect();
    receive(&mut s, batch);
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
    receive(
        &mut s,
        vec![
            entry_with(11, r#"{"status":"paid"}"#),
            entry_with(12, r#"{"status":"x"}"#),
        ],
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
    let batch = (1..=6)
        .map(|i| entry_with(i, &format!(r#"{{"a":{{"n":{i}}}}}"#)))
        .collect();
    receive(&mut s, batch);
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
    receive(
        &mut s,
        (1..=150).map(|i| entry("orders", "eu-1", i)).collect(),
    );
    // window is 100: matches of evicted entries are gone.
    assert_eq!(s.entries.visible_len(), 100);
    let f = s.entries.filter.as_ref().expect("filter");
    assert_eq!(f.matches.front().copied(), Some(s.entries.base));
}
