//! Snapshots of every view at 80×24, 200×50 and 40×12 (plus the "too small" notice), rendered
//! through `ui::render` into a `TestBackend`. The clock is part of the state, so ages and
//! relative times are fixed; ids are fixed too. Snapshots carry no colour.

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use skope::tui::action::Action;
use skope::tui::event::{ClientEvent, Event};
use skope::tui::panels::SubRow;
use skope::tui::state::{AppState, Effect, OlderPage, StateOptions};
use skope::tui::stores::Origin;
use skope::tui::theme::Theme;
use skope::tui::ui;
use skope_client::{ConnState, Entry, Metadata, SegmentStatus, Trx, Uuid};

const NOW: i64 = 1_700_000_000_000;
const SIZES: [(u16, u16); 3] = [(80, 24), (200, 50), (40, 12)];

fn base() -> AppState {
    let mut s = AppState::new(StateOptions {
        store: Uuid::from_u128(1),
        theme: Theme::no_color(),
        ..StateOptions::default()
    });
    s.now_ms = NOW;
    s.handle(Event::Client(ClientEvent::Conn(ConnState::Connected {
        generation: 1,
    })));
    s.handle(Event::Client(ClientEvent::Spaces(Ok(vec![
        "orders".into(),
        "payments".into(),
        "inventory".into(),
    ]))));
    s
}

fn status(segment: &str, last: u64, age_ms: i64) -> SegmentStatus {
    SegmentStatus {
        space: "orders".into(),
        segment: segment.into(),
        first_sequence: 1,
        first_timestamp: NOW - 3_600_000,
        last_sequence: last,
        last_timestamp: NOW - age_ms,
        heartbeat: false,
    }
}

fn segments() -> AppState {
    let mut s = base();
    s.update(Action::Down); // orders
    s.update(Action::Open);
    s.handle(Event::Client(ClientEvent::Segments {
        generation: 1,
        names: Ok(vec!["eu-1".into(), "eu-2".into(), "us-1".into()]),
    }));
    // Two rounds of statuses a second apart give the sparklines something to show.
    s.now_ms = NOW - 2000;
    s.handle(Event::Client(ClientEvent::Statuses {
        generation: 1,
        statuses: vec![
            status("eu-1", 20, 4000),
            status("eu-2", 7, 65_000),
            status("us-1", 1200, 2000),
        ],
    }));
    s.now_ms = NOW - 1000;
    s.handle(Event::Client(ClientEvent::Statuses {
        generation: 1,
        statuses: vec![status("eu-1", 27, 3000), status("us-1", 1250, 1000)],
    }));
    s.now_ms = NOW;
    s
}

fn entry(seq: u64) -> Entry {
    let status = ["created", "paid", "shipped", "failed"][usize::try_from(seq % 4).unwrap_or(0)];
    let mut metadata = Metadata::new();
    metadata.insert("source".into(), "demo".into());
    metadata.insert("trace".into(), format!("t-{seq:04}"));
    Entry {
        sequence: seq,
        timestamp: NOW - 30_000 + i64::try_from(seq).unwrap_or(0) * 1000,
        trx: Trx {
            id: Uuid::from_u128(0xabc0 + u128::from(seq)),
            node: Uuid::from_u128(7),
            number: seq,
        },
        payload: Some(
            format!(
                r#"{{"id":"orders-eu-1-{seq}","status":"{status}","amount_cents":{}}}"#,
                seq * 731 % 10_000
            )
            .into_bytes(),
        ),
        metadata,
        space: "orders".into(),
        segment: "eu-1".into(),
    }
}

fn tail() -> AppState {
    let mut s = segments();
    s.update(Action::Down); // eu-1
    s.update(Action::Open);
    let generation = s.entries.generation;
    s.handle(Event::Client(ClientEvent::Entries {
        generation,
        batch: (1..=27).map(entry).collect(),
    }));
    s
}

fn key(s: &mut AppState, code: KeyCode) {
    s.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))));
}

fn ctrl(s: &mut AppState, c: char) {
    s.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    ))));
}

fn views() -> Vec<(&'static str, AppState)> {
    let mut paused = tail();
    paused.update(Action::Up);
    paused.update(Action::Up);
    paused.update(Action::TogglePause);

    let mut hex = tail();
    hex.update(Action::Open);
    hex.update(Action::CycleFormat);
    hex.update(Action::CycleFormat);

    let mut help = tail();
    help.update(Action::Help);
    // The help of every other view: what is under it decides the keys listed.
    let mut help_hierarchy = segments();
    help_hierarchy.update(Action::Help);
    let mut help_detail = tail();
    help_detail.update(Action::Open);
    help_detail.update(Action::Help);

    let mut cmd = tail();
    key(&mut cmd, KeyCode::Char(':'));
    for c in "seg orders/us-1".chars() {
        key(&mut cmd, KeyCode::Char(c));
    }

    let mut space = segments();
    space.update(Action::Open); // row 0: the whole space
    let generation = space.entries.generation;
    let mut batch: Vec<Entry> = (20..=24).map(entry).collect();
    for (i, e) in batch.iter_mut().enumerate() {
        e.segment = ["eu-1", "us-1"][i % 2].into();
    }
    space.handle(Event::Client(ClientEvent::Entries { generation, batch }));

    let mut failed = segments();
    failed.update(Action::Down);
    failed.update(Action::Open);
    let generation = failed.entries.generation;
    failed.handle(Event::Client(ClientEvent::StreamFailed {
        generation,
        message: "access denied".into(),
    }));
    failed.read_only = true;

    let mut filtered = tail();
    filtered.apply_filter("paid");

    // Scrolled up in 84 entries, then filtered: the pane shows every match, not just the
    // ones below the old top row.
    let mut filtered_scrolled = tail();
    let generation = filtered_scrolled.entries.generation;
    filtered_scrolled.handle(Event::Client(ClientEvent::Entries {
        generation,
        batch: (28..=84).map(entry).collect(),
    }));
    for _ in 0..24 {
        filtered_scrolled.update(Action::Up);
    }
    key(&mut filtered_scrolled, KeyCode::Char('/'));
    for c in "paid".chars() {
        key(&mut filtered_scrolled, KeyCode::Char(c));
    }
    key(&mut filtered_scrolled, KeyCode::Enter);

    let mut json_filtered = tail();
    json_filtered.apply_filter("$.amount_cents > 5000");
    json_filtered.update(Action::Open);

    let mut filter_prompt = tail();
    key(&mut filter_prompt, KeyCode::Char('/'));
    for c in "re:(pa+id".chars() {
        key(&mut filter_prompt, KeyCode::Char(c));
    }

    let mut publish = tail();
    publish.update(Action::Open); // focus the detail: c copies the selected entry
    key(&mut publish, KeyCode::Char('c'));
    key(&mut publish, KeyCode::End);
    for c in "x".chars() {
        key(&mut publish, KeyCode::Char(c));
    }

    let mut publish_preview = tail();
    key(&mut publish_preview, KeyCode::Char('P'));
    for c in r#"{"id":"new"}"#.chars() {
        key(&mut publish_preview, KeyCode::Char(c));
    }
    ctrl(&mut publish_preview, 'n');
    for c in "source=skope".chars() {
        key(&mut publish_preview, KeyCode::Char(c));
    }
    key(&mut publish_preview, KeyCode::Enter);

    let mut publish_sent = publish_preview.clone();
    key(&mut publish_sent, KeyCode::Enter);
    let generation = publish_sent.publish_generation;
    publish_sent.handle(Event::Client(ClientEvent::Published {
        generation,
        result: Ok(status("eu-1", 28, 0)),
    }));

    let mut publish_read_only = tail();
    publish_read_only.read_only = true;
    key(&mut publish_read_only, KeyCode::Char('P'));

    let mut subs = tail();
    subs.update(Action::ToggleSubscriptions);
    subs.handle(Event::Client(ClientEvent::Subscriptions(vec![
        SubRow {
            id: "s1".into(),
            target: "orders/*".into(),
            state: "active".into(),
            updates: 128,
            heartbeats: 12,
            reconnects: 1,
            handler_timeouts: 0,
            last_error: None,
            last_update_ms: Some(NOW - 3000),
        },
        SubRow {
            id: "s2".into(),
            target: "payments/eu".into(),
            state: "reconnecting".into(),
            updates: 7,
            heartbeats: 2,
            reconnects: 3,
            handler_timeouts: 1,
            last_error: Some("connection reset".into()),
            last_update_ms: None,
        },
    ])));

    let mut leases = tail();
    leases.update(Action::ToggleLeases);
    leases.now_ms = NOW - 4000;
    leases.acquire("job 30s");
    leases.acquire("nightly 10");
    leases.acquire("taken 10");
    leases.handle(Event::Client(ClientEvent::LeaseAcquired {
        key: "job".into(),
        holder: "1b4e28ba-2fa1-11d2-883f-0016d3cca427".into(),
        ttl_secs: 30,
    }));
    leases.handle(Event::Client(ClientEvent::LeaseLost {
        key: "nightly".into(),
        reason: "renewal failed: lease held by another holder".into(),
    }));
    leases.handle(Event::Client(ClientEvent::LeaseFailed {
        key: "taken".into(),
        message: "lease held by another holder".into(),
    }));
    leases.now_ms = NOW;

    let mut help_leases = leases.clone();
    help_leases.update(Action::Help);
    let mut help_subscriptions = subs.clone();
    help_subscriptions.update(Action::Help);

    let mut lease_prompt = tail();
    lease_prompt.update(Action::ToggleLeases);
    key(&mut lease_prompt, KeyCode::Char('a'));
    for c in "job 30s".chars() {
        key(&mut lease_prompt, KeyCode::Char(c));
    }

    let mut export_prompt = tail();
    key(&mut export_prompt, KeyCode::Char('e'));

    let mut yanked = tail();
    key(&mut yanked, KeyCode::Char('Y'));

    let mut picker = tail();
    key(&mut picker, KeyCode::Char('s'));
    picker.handle(Event::Client(ClientEvent::Stores(vec![
        (Origin::Recent, vec![Uuid::from_u128(2)]),
        (Origin::Token, vec![Uuid::from_u128(2), Uuid::from_u128(3)]),
        (Origin::Disk, vec![Uuid::from_u128(1)]),
    ])));
    key(&mut picker, KeyCode::Down);

    // Scroll-back: a read from #10, `g` at its top asks for the page before it …
    let mut loading = segments();
    loading.command("seg orders/eu-1");
    loading.command("seq 10");
    let generation = loading.entries.generation;
    loading.handle(Event::Client(ClientEvent::Entries {
        generation,
        batch: (10..=27).map(entry).collect(),
    }));
    let fetch = loading.update(Action::Top);
    let Some(Effect::FetchOlder(request)) = fetch.first() else {
        panic!("{fetch:?}")
    };
    let id = request.id;
    // … which lands in a window of 20: the newest entries go, the view is scrolled back.
    let mut scrolled_back = loading.clone();
    scrolled_back.entries.cap = 20;
    scrolled_back.handle(Event::Client(ClientEvent::Older {
        id,
        result: Ok(OlderPage {
            entries: (1..=9).map(entry).collect(),
            at_start: true,
        }),
    }));

    // Several spaces merged by time: the segment column names the space.
    let mut spaces = segments();
    spaces.command("spaces orders,payments");
    let generation = spaces.entries.generation;
    let mut batch: Vec<Entry> = (20..=25).map(entry).collect();
    for (i, e) in batch.iter_mut().enumerate() {
        if i % 2 == 1 {
            e.space = "payments".into();
            e.segment = "card-eu".into();
        }
    }
    spaces.handle(Event::Client(ClientEvent::Entries { generation, batch }));

    let mut marked = base();
    marked.update(Action::Mark);
    marked.update(Action::Down);
    marked.update(Action::Down);
    marked.update(Action::Mark);

    vec![
        ("spaces", base()),
        ("spaces_marked", marked),
        ("scrollback_loading", loading),
        ("scrolled_back", scrolled_back),
        ("spaces_merged", spaces),
        ("store_picker", picker),
        ("export_prompt", export_prompt),
        ("yanked", yanked),
        ("subscriptions", subs),
        ("leases", leases),
        ("lease_prompt", lease_prompt),
        ("publish", publish),
        ("publish_preview", publish_preview),
        ("publish_sent", publish_sent),
        ("publish_read_only", publish_read_only),
        ("filtered", filtered),
        ("filtered_scrolled", filtered_scrolled),
        ("json_filtered", json_filtered),
        ("filter_prompt", filter_prompt),
        ("segments", segments()),
        ("tail", tail()),
        ("paused", paused),
        ("detail_hex", hex),
        ("help", help),
        ("help_hierarchy", help_hierarchy),
        ("help_detail", help_detail),
        ("help_leases", help_leases),
        ("help_subscriptions", help_subscriptions),
        ("cmdline", cmd),
        ("space_tail", space),
        ("failed_read_only", failed),
    ]
}

fn render(state: &mut AppState, w: u16, h: u16) -> Terminal<TestBackend> {
    state.handle(Event::Term(TermEvent::Resize(w, h)));
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    t.draw(|f| ui::render(state, f)).expect("draw");
    t
}

#[test]
fn every_view_at_every_size() {
    for (name, state) in views() {
        for (w, h) in SIZES {
            let mut s = state.clone();
            let t = render(&mut s, w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
        }
    }
}

#[test]
fn too_small() {
    let mut s = tail();
    let t = render(&mut s, 39, 11);
    insta::assert_snapshot!("too_small_39x11", t.backend());
    // Degenerate sizes never panic.
    for (w, h) in [
        (0, 0),
        (1, 1),
        (40, 11),
        (39, 12),
        (41, 13),
        (69, 20),
        (119, 30),
    ] {
        let mut s = tail();
        render(&mut s, w, h);
    }
}

/// The cells of the selection bar whose text takes its own colour instead of the bar's:
/// `(x, y, symbol)`. With colours, a cell on the bar's background must use the bar's
/// foreground (a cell with a background of its own, a filter match, is readable by itself);
/// without colours, a reversed cell must not be dimmed or coloured.
fn unreadable_selection_cells(
    state: &mut AppState,
    theme: Theme,
) -> (usize, Vec<(u16, u16, String)>) {
    use ratatui::style::{Color, Modifier};
    state.theme = theme;
    let t = render(state, 200, 50);
    let buf = t.backend().buffer();
    let bars = [theme.selected, theme.selected_unfocused];
    let mut on_bar = 0;
    let mut bad = Vec::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            if c.symbol().trim().is_empty() {
                continue;
            }
            let bad_cell = if theme == Theme::no_color() {
                if !c.modifier.contains(Modifier::REVERSED) {
                    continue;
                }
                c.modifier.contains(Modifier::DIM) || c.fg != Color::Reset || c.bg != Color::Reset
            } else {
                let Some(bar) = bars.iter().find(|b| b.bg == Some(c.bg)) else {
                    continue;
                };
                bar.fg != Some(c.fg)
            };
            on_bar += 1;
            if bad_cell {
                bad.push((x, y, c.symbol().to_owned()));
            }
        }
    }
    (on_bar, bad)
}

#[test]
fn selected_rows_stay_readable_in_every_theme() {
    let all = views();
    let view = |name: &str| {
        all.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .expect(name)
    };
    let mut cases: Vec<(String, AppState)> = Vec::new();
    for sel in 0..3 {
        let mut s = view("leases");
        s.lease_sel = sel;
        cases.push((format!("leases row {sel}"), s));
    }
    for sel in 0..2 {
        let mut s = view("subscriptions");
        s.sub_sel = sel;
        cases.push((format!("subscriptions row {sel}"), s));
    }
    // "* (all)" in the accent colour, focused and not.
    let mut all_row = view("segments");
    all_row.hierarchy.seg_sel = 0;
    cases.push(("hierarchy: * (all)".into(), all_row.clone()));
    all_row.update(Action::FocusNext);
    cases.push(("hierarchy unfocused: * (all)".into(), all_row));
    // A marked space (accent) under the selection.
    let mut marked = view("spaces_marked");
    marked.hierarchy.space_sel = 0;
    cases.push(("marked space".into(), marked));
    cases.push(("store picker".into(), view("store_picker")));
    // The entry list with a filter match on the selected row.
    cases.push(("filtered entries".into(), view("filtered")));
    cases.push(("space entries".into(), view("space_tail")));
    for theme in [Theme::default_theme(), Theme::no_color()] {
        for (name, state) in &cases {
            let mut s = state.clone();
            let (on_bar, bad) = unreadable_selection_cells(&mut s, theme);
            assert!(on_bar > 0, "{name}: no selection drawn");
            assert!(
                bad.is_empty(),
                "{name} ({}): text off the selection's colours: {bad:?}",
                if theme == Theme::no_color() {
                    "no colour"
                } else {
                    "colour"
                }
            );
        }
    }
}
