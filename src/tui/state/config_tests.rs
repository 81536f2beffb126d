//! The config file's effect on the state: rebound keys (and `?` help showing them), and the
//! profile's stores, with their names, in the store picker and the breadcrumbs.

use super::*;
use crate::config::Config;
use crate::tui::event::{ClientEvent, Event};
use crate::tui::stores::Origin;
use crate::tui::ui;
use crossterm::event::{KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn state_with(config: &str) -> AppState {
    let config = Config::parse(config, std::path::Path::new("/x/config.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut s = AppState::new(StateOptions {
        store: Uuid::from_u128(1),
        window: 100,
        keymap: config.tui(None).keymap,
        theme: Theme::no_color(),
        ..StateOptions::default()
    });
    s.size = (100, 30);
    s
}

fn key(s: &mut AppState, c: char) -> Vec<Effect> {
    s.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    ))))
}

fn screen(s: &AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(s.size.0, s.size.1)).expect("terminal");
    term.draw(|f| ui::render(s, f)).expect("draw");
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_rebound_key_acts_and_help_shows_it() {
    let mut plain = state_with("");
    key(&mut plain, 'z');
    assert_eq!(plain.overlay, Overlay::None);

    let mut s = state_with("[keys.global]\nz = \"help\"\n\"?\" = \"none\"\n");
    key(&mut s, '?');
    assert_eq!(s.overlay, Overlay::None, "? is unbound");
    key(&mut s, 'z');
    assert!(matches!(s.overlay, Overlay::Help { .. }), "z opens help");
    let help: Vec<String> = ui::help::lines(&s, 70)
        .iter()
        .map(|l| l.spans.iter().map(|sp| sp.content.as_ref()).collect())
        .collect();
    let row = help
        .iter()
        .find(|l| l.contains(Action::Help.describe()))
        .expect("help lists the help action");
    assert!(row.trim_start().starts_with('z'), "{row:?}");
    assert!(!help.iter().any(|l| l.trim_start().starts_with('?')));
}

#[test]
fn profile_stores_come_first_in_the_picker_with_their_names() {
    let (billing, other) = (Uuid::from_u128(0xb1), Uuid::from_u128(0xb2));
    let mut s = state_with("");
    s.store_names.insert(billing, "billing".into());
    assert_eq!(key(&mut s, 's'), vec![Effect::LoadStores]);
    s.handle(Event::Client(ClientEvent::Stores(vec![
        (Origin::Profile, vec![billing, other]),
        (Origin::Recent, vec![other]),
    ])));
    let ids: Vec<Uuid> = s.store_choices.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![Uuid::from_u128(1), billing, other]);
    assert_eq!(
        s.store_choices[2].origins,
        [Origin::Profile, Origin::Recent]
    );
    let text = screen(&s);
    let row = text
        .lines()
        .find(|l| l.contains(&billing.to_string()))
        .expect("billing listed");
    assert!(row.contains("billing") && row.contains("profile"), "{row}");
    let row = text
        .lines()
        .find(|l| l.contains(&other.to_string()))
        .expect("other listed");
    assert!(row.contains("profile · recent"), "{row}");
}

#[test]
fn the_breadcrumbs_name_a_named_store() {
    let mut s = state_with("");
    assert_eq!(ui::statusbar::breadcrumbs(&s)[0], "store 00000000");
    s.store_names.insert(Uuid::from_u128(1), "billing".into());
    assert_eq!(ui::statusbar::breadcrumbs(&s)[0], "store billing");
}
