//! The whole UI state and its one mutation point: [`AppState::update`] (an [`Action`]) and
//! [`AppState::handle`] (an [`Event`]) change the state and return [`Effect`]s for the app loop
//! to run. Nothing here does I/O; "now" is part of the state so renders are deterministic.

use super::action::Action;
use super::event::{ClientEvent, Event};
use super::filter::{Filter, REGEX_PREFIX};
use super::keymap::{KeyChord, Keymap, Scope};
use super::panels::{LeaseRow, LeaseState, Panel, SubRow, parse_acquire};
use super::publish::{Field, Publish, Step};
use super::stores::{StoreChoice, merge};
use super::theme::Theme;
use super::ui::{detail, layout};
use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent,
    MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use skope_client::{
    ConnState, Consume, ConsumeSegment, ConsumeSpace, Entry, LexKey, Metadata, SegmentStatus, Uuid,
};
use skope_proto::Part;
use std::collections::{BTreeMap, VecDeque};

/// Entries kept in memory by default.
pub const DEFAULT_WINDOW: usize = 100_000;
/// A segment opened at its tail starts this many entries before its last sequence.
pub const TAIL_BACKLOG: u64 = 1_000;
/// A space (or a segment whose status is not known yet) opened at its tail starts this long ago.
pub const TAIL_SPAN_MS: i64 = 5 * 60 * 1000;
/// Seconds of history in a segment's entries/s sparkline.
pub const SPARK_SECONDS: usize = 10;
/// Rows a mouse wheel notch scrolls.
const WHEEL_ROWS: usize = 3;

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Hierarchy,
    Entries,
    Detail,
    /// The bottom panel (subscriptions or leases).
    Panel,
}

impl Focus {
    #[must_use]
    pub fn scope(self) -> Scope {
        match self {
            Focus::Hierarchy => Scope::Hierarchy,
            Focus::Entries => Scope::Entries,
            Focus::Detail => Scope::Detail,
            Focus::Panel => Scope::Panel,
        }
    }
}

/// What floats over the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    Command,
    /// The `/` filter prompt.
    Filter,
    /// The publish pane (`AppState::publish`).
    Publish,
    /// The lease prompt (`KEY [TTL]`).
    LeasePrompt,
    /// The export prompt (a file path).
    ExportPrompt,
    /// The store picker.
    StorePicker,
}

/// Hierarchy depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Spaces,
    Segments,
}

/// A list being loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    Loading,
    Loaded,
    Failed(String),
}

/// The connection as the badge shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conn {
    Connecting,
    Connected { reconnects: u64 },
    Reconnecting { attempt: u64, reason: String },
    Closed,
}

mod actions;
mod commands;
mod entries;
mod hierarchy;
mod input;
mod reports;
pub use entries::{
    ActiveFilter, Entries, Loading, OLDER_PAGE, OlderPage, OlderRead, OlderRequest, Source, Start,
    StreamRequest, read_position, resume_offset,
};
pub use hierarchy::{Hierarchy, Rate, SegmentRow};

/// How the detail shows a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    Json,
    Text,
    Hex,
}

impl PayloadFormat {
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            PayloadFormat::Json => PayloadFormat::Text,
            PayloadFormat::Text => PayloadFormat::Hex,
            PayloadFormat::Hex => PayloadFormat::Json,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            PayloadFormat::Json => "json",
            PayloadFormat::Text => "text",
            PayloadFormat::Hex => "hex",
        }
    }
}

/// Right pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    pub format: PayloadFormat,
    pub scroll: u16,
}

/// A one-line note in the hints bar until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub error: bool,
}

/// What the app loop must do for the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadSpaces,
    /// List the segments of `space` and subscribe to its statuses (`*`), replacing any
    /// previous watch.
    WatchSpace {
        space: String,
        generation: u64,
    },
    /// Drop the space subscription.
    Unwatch,
    /// Open a follow read, replacing any open one.
    OpenStream {
        generation: u64,
        request: StreamRequest,
    },
    /// Drop the open read (stop reading from the server).
    CloseStream,
    /// Read a page of entries before the window's first one (scroll-back), replacing any such
    /// read in flight.
    FetchOlder(OlderRequest),
    /// Peek the last sequence of a segment (for the publish pane).
    PeekLast {
        generation: u64,
        space: String,
        segment: String,
    },
    /// Read the client's subscription health (in memory) and report it.
    RefreshSubscriptions,
    /// Acquire a lease and hold it (renewed) until released or quit.
    AcquireLease {
        key: String,
        ttl_secs: u64,
    },
    /// Release a held lease.
    ReleaseLease {
        key: String,
    },
    /// List the stores the picker offers (profile, recent history, token scopes, disk).
    LoadStores,
    /// Use another store from now on (and remember it in the recent history).
    SwitchStore(Uuid),
    /// Put text on the terminal's clipboard (OSC 52).
    Clipboard(String),
    /// Write entries as JSON lines (`src/jsonl.rs`) to `path`.
    Export {
        path: String,
        entries: Vec<std::sync::Arc<Entry>>,
    },
    /// Publish one record.
    Publish {
        generation: u64,
        space: String,
        segment: String,
        payload: Vec<u8>,
        metadata: Metadata,
    },
    /// Panic in a task (`:debug-panic`, debug builds only: the e2e test of the panic path).
    #[cfg(debug_assertions)]
    DebugPanic,
}

/// Options the state starts with.
#[derive(Debug, Clone)]
pub struct StateOptions {
    pub store: Uuid,
    pub read_only: bool,
    pub embedded: bool,
    pub window: usize,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Names the config profile gives its stores.
    pub store_names: BTreeMap<Uuid, String>,
}

impl Default for StateOptions {
    /// What `skope` starts with given no flags and no config: embedded, the default window,
    /// keys and colours (the nil store until one is chosen).
    fn default() -> Self {
        StateOptions {
            store: Uuid::nil(),
            read_only: false,
            embedded: true,
            window: DEFAULT_WINDOW,
            keymap: Keymap::default_keymap(),
            theme: Theme::default_theme(),
            store_names: BTreeMap::new(),
        }
    }
}

/// Everything the views show.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Unix milliseconds: the clock of this state (set by the app loop, fixed in tests).
    pub now_ms: i64,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub store: Uuid,
    pub read_only: bool,
    pub embedded: bool,
    pub conn: Conn,
    pub focus: Focus,
    pub overlay: Overlay,
    pub hierarchy: Hierarchy,
    pub entries: Entries,
    pub detail: Detail,
    pub cmdline: String,
    /// What the `/` prompt holds.
    pub filter_input: String,
    /// The publish pane, while open.
    pub publish: Option<Publish>,
    /// Bumped per publish pane opened (ties answers to it).
    pub publish_generation: u64,
    /// The bottom panel, when shown.
    pub panel: Option<Panel>,
    pub subs: Vec<SubRow>,
    pub sub_sel: usize,
    pub leases: Vec<LeaseRow>,
    pub lease_sel: usize,
    /// The store picker's rows, its selection, and the UUID typed into it.
    pub store_choices: Vec<StoreChoice>,
    pub store_sel: usize,
    pub store_input: String,
    /// Names the config profile gives stores (set by the app loop at start).
    pub store_names: BTreeMap<Uuid, String>,
    /// What the lease or export prompt holds.
    pub lease_input: String,
    pub note: Option<Note>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub quit: bool,
}

impl AppState {
    #[must_use]
    pub fn new(opts: StateOptions) -> Self {
        AppState {
            now_ms: 0,
            size: (80, 24),
            store: opts.store,
            read_only: opts.read_only,
            embedded: opts.embedded,
            conn: Conn::Connecting,
            focus: Focus::Hierarchy,
            overlay: Overlay::None,
            hierarchy: Hierarchy {
                level: Level::Spaces,
                spaces: Vec::new(),
                spaces_load: Load::Loading,
                space_sel: 0,
                space: None,
                segments: Vec::new(),
                segments_load: Load::Loading,
                seg_sel: 0,
                top: 0,
                generation: 0,
                marked: std::collections::BTreeSet::new(),
            },
            entries: Entries::new(opts.window),
            detail: Detail {
                format: PayloadFormat::Json,
                scroll: 0,
            },
            cmdline: String::new(),
            filter_input: String::new(),
            publish: None,
            publish_generation: 0,
            panel: None,
            subs: Vec::new(),
            sub_sel: 0,
            leases: Vec::new(),
            lease_sel: 0,
            lease_input: String::new(),
            store_choices: Vec::new(),
            store_sel: 0,
            store_input: String::new(),
            store_names: opts.store_names,
            note: None,
            keymap: opts.keymap,
            theme: opts.theme,
            quit: false,
        }
    }

    /// The effects to run at start.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![Effect::LoadSpaces]
    }

    /// Whether something time-based (ages, relative times, sparklines) is on screen.
    #[must_use]
    pub fn needs_tick(&self) -> bool {
        self.hierarchy.level == Level::Segments
            || !self.entries.ring.is_empty()
            || self.panel.is_some()
    }

    /// The scope whose keys apply now.
    #[must_use]
    pub fn scope(&self) -> Scope {
        match self.overlay {
            Overlay::Help { .. } => Scope::Help,
            Overlay::Publish => Scope::Publish,
            _ => self.focus.scope(),
        }
    }

    fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// Apply one event.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let effects = match event {
            Event::Term(TermEvent::Key(k))
                if matches!(k.kind, KeyEventKind::Press | KeyEventKind::Repeat) =>
            {
                self.key(&k)
            }
            Event::Term(TermEvent::Mouse(m)) => self.mouse(m),
            Event::Term(TermEvent::Paste(text)) => {
                self.paste(&text);
                Vec::new()
            }
            Event::Term(TermEvent::Resize(w, h)) => {
                self.size = (w, h);
                Vec::new()
            }
            Event::Tick if self.panel == Some(Panel::Subscriptions) => {
                vec![Effect::RefreshSubscriptions]
            }
            Event::Term(_) | Event::Tick => Vec::new(),
            Event::Client(c) => self.client(c),
        };
        self.fix_scroll();
        effects
    }

    /// Filter the entry list by `text` (empty: clear the filter).
    pub fn apply_filter(&mut self, text: &str) {
        if text.is_empty() {
            self.clear_filter();
            return;
        }
        match Filter::parse(text) {
            Ok(f) => {
                self.entries.set_filter(Some((text.to_owned(), f)));
                self.detail.scroll = 0;
                self.fix_scroll();
            }
            Err(e) => self.note(format!("filter {text:?}: {e}"), true),
        }
    }

    fn clear_filter(&mut self) {
        if self.entries.filter.is_some() {
            self.entries.set_filter(None);
            self.fix_scroll();
            self.note("filter cleared", false);
        }
    }

    /// Apply one action.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.note = None;
        if self.overlay == Overlay::Publish && action != Action::Quit {
            return self.publish_action(action);
        }
        let effects = match action {
            Action::Quit => {
                self.quit = true;
                vec![Effect::CloseStream, Effect::Unwatch]
            }
            Action::Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                Vec::new()
            }
            Action::Cancel => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            Action::CommandLine => {
                self.overlay = Overlay::Command;
                self.cmdline.clear();
                Vec::new()
            }
            Action::Filter => {
                self.overlay = Overlay::Filter;
                self.filter_input = self
                    .entries
                    .filter
                    .as_ref()
                    .map(|f| f.text.clone())
                    .unwrap_or_default();
                Vec::new()
            }
            Action::ClearFilter => {
                self.clear_filter();
                Vec::new()
            }
            Action::Publish => match self.publish_target() {
                Some((space, segment)) => self.open_publish(space, segment, None),
                None => {
                    self.note(
                        "publish needs a segment: open one, or :publish SPACE/SEGMENT",
                        true,
                    );
                    Vec::new()
                }
            },
            Action::CopyToPublish => match self.entries.selected_entry().cloned() {
                Some(e) => self.open_publish(e.space.clone(), e.segment.clone(), Some(&e)),
                None => {
                    self.note("no entry selected to copy", true);
                    Vec::new()
                }
            },
            Action::Submit | Action::AddRow | Action::RemoveRow | Action::Newline => Vec::new(),
            Action::ToggleSubscriptions => self.toggle_panel(Panel::Subscriptions),
            Action::ToggleLeases => self.toggle_panel(Panel::Leases),
            Action::AcquireLease => {
                if self.read_only {
                    self.note("read-only session: acquiring leases is disabled", true);
                } else {
                    self.panel = Some(Panel::Leases);
                    self.overlay = Overlay::LeasePrompt;
                    self.lease_input.clear();
                }
                Vec::new()
            }
            Action::ReleaseLease => self.release_selected(),
            Action::StorePicker => self.open_picker(),
            Action::Mark => {
                self.mark();
                Vec::new()
            }
            Action::CopyPayload | Action::CopyEntry => match self.entries.selected_entry() {
                Some(e) => {
                    let text = if action == Action::CopyPayload {
                        String::from_utf8_lossy(e.payload_bytes()).into_owned()
                    } else {
                        crate::jsonl::entry_line(e)
                    };
                    let what = if action == Action::CopyPayload {
                        "payload"
                    } else {
                        "entry"
                    };
                    self.note(
                        format!(
                            "copied the {what} of #{} ({} B, OSC 52)",
                            e.sequence,
                            text.len()
                        ),
                        false,
                    );
                    vec![Effect::Clipboard(text)]
                }
                None => {
                    self.note("no entry selected to copy", true);
                    Vec::new()
                }
            },
            Action::Export => match &self.entries.source {
                Some(source) => {
                    self.overlay = Overlay::ExportPrompt;
                    self.lease_input = default_export_path(source);
                    Vec::new()
                }
                None => {
                    self.note("nothing to export: open a segment or a space first", true);
                    Vec::new()
                }
            },
            Action::FocusNext => {
                self.focus = match self.focus {
                    Focus::Hierarchy => Focus::Entries,
                    Focus::Entries => Focus::Detail,
                    Focus::Detail if self.panel.is_some() => Focus::Panel,
                    Focus::Detail | Focus::Panel => Focus::Hierarchy,
                };
                Vec::new()
            }
            Action::FocusPrev => {
                self.focus = match self.focus {
                    Focus::Hierarchy if self.panel.is_some() => Focus::Panel,
                    Focus::Hierarchy => Focus::Detail,
                    Focus::Entries => Focus::Hierarchy,
                    Focus::Detail => Focus::Entries,
                    Focus::Panel => Focus::Detail,
                };
                Vec::new()
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.motion(action),
            Action::Open => self.open(),
            Action::Back => self.back(),
            Action::Refresh => {
                self.hierarchy.spaces_load = Load::Loading;
                vec![Effect::LoadSpaces]
            }
            Action::TogglePause => self.toggle_pause(),
            Action::CycleFormat => {
                self.detail.format = self.detail.format.next();
                self.detail.scroll = 0;
                Vec::new()
            }
        };
        self.fix_scroll();
        effects
    }

    fn page(&self) -> usize {
        let a = layout::areas(self.area(), self);
        let rect = match self.focus {
            Focus::Hierarchy => a.hierarchy,
            Focus::Entries => a.entries,
            Focus::Detail => a.detail,
            Focus::Panel => a.panel,
        };
        rect.map_or(1, |r| usize::from(r.height.saturating_sub(3)).max(1))
    }

    fn motion(&mut self, action: Action) -> Vec<Effect> {
        if let Overlay::Help { scroll } = &mut self.overlay {
            *scroll = match action {
                Action::Up => scroll.saturating_sub(1),
                _ => scroll.saturating_add(1),
            };
            return Vec::new();
        }
        let page = self.page();
        match self.focus {
            Focus::Hierarchy => {
                let h = &mut self.hierarchy;
                let cur = h.selected();
                let last = h.len().saturating_sub(1);
                let next = match action {
                    Action::Up => cur.saturating_sub(1),
                    Action::Down => cur + 1,
                    Action::PageUp => cur.saturating_sub(page),
                    Action::PageDown => cur + page,
                    Action::Top => 0,
                    _ => last,
                };
                h.select(next);
            }
            Focus::Entries => return self.move_entries(action, page as u64),
            Focus::Panel => {
                let (sel, len) = match self.panel {
                    Some(Panel::Leases) => (&mut self.lease_sel, self.leases.len()),
                    _ => (&mut self.sub_sel, self.subs.len()),
                };
                let last = len.saturating_sub(1);
                *sel = match action {
                    Action::Up => sel.saturating_sub(1),
                    Action::Down => *sel + 1,
                    Action::PageUp => sel.saturating_sub(page),
                    Action::PageDown => *sel + page,
                    Action::Top => 0,
                    _ => last,
                }
                .min(last);
            }
            Focus::Detail => {
                let max = self.detail_max_scroll();
                let page = u16::try_from(page).unwrap_or(u16::MAX);
                let s = &mut self.detail.scroll;
                *s = match action {
                    Action::Up => s.saturating_sub(1),
                    Action::Down => s.saturating_add(1),
                    Action::PageUp => s.saturating_sub(page),
                    Action::PageDown => s.saturating_add(page),
                    Action::Top => 0,
                    _ => max,
                }
                .min(max);
            }
        }
        Vec::new()
    }

    /// Move in the entry list. Reaching the top of what is loaded fetches the page before it
    /// (scroll-back); `End` on a detached window goes back to the live tail; `g` on a read
    /// with nothing loaded reads from the head.
    fn move_entries(&mut self, action: Action, page: u64) -> Vec<Effect> {
        if action == Action::Bottom && self.entries.detached {
            return match self.entries.source.clone() {
                Some(source) => self.open_stream(source, Start::Tail),
                None => Vec::new(),
            };
        }
        let e = &mut self.entries;
        let n = e.visible_len();
        if n == 0 {
            if action == Action::Top && e.ring.is_empty() && e.start != Start::Head {
                return self.restart(Start::Head);
            }
            e.follow = action == Action::Bottom || e.follow;
            if matches!(action, Action::Up | Action::PageUp | Action::Top) {
                return self.fetch_older(None);
            }
            return Vec::new();
        }
        let last = n - 1;
        let cur = e.visible_pos(e.selected).min(last);
        let next = match action {
            Action::Up => cur.saturating_sub(1),
            Action::Down => cur + 1,
            Action::PageUp => cur.saturating_sub(page),
            Action::PageDown => cur + page,
            Action::Top => 0,
            _ => last,
        };
        e.selected = e.visible_at(next.min(last)).unwrap_or(e.selected);
        match action {
            Action::Bottom => e.follow = true,
            Action::Up | Action::PageUp | Action::Top => e.follow = false,
            _ => {}
        }
        self.detail.scroll = 0;
        if next == 0 && matches!(action, Action::Up | Action::PageUp | Action::Top) {
            // Pushed past the top: once the page is in, the same motion moves into it.
            let replay = (cur == 0 || action == Action::Top).then_some(action);
            return self.fetch_older(replay);
        }
        Vec::new()
    }

    /// Start a scroll-back fetch unless one runs or the window starts at the source's start.
    fn fetch_older(&mut self, replay: Option<Action>) -> Vec<Effect> {
        self.entries
            .older_request(replay)
            .map(Effect::FetchOlder)
            .into_iter()
            .collect()
    }

    /// A scroll-back page (or its failure) arrived.
    pub(super) fn older_arrived(
        &mut self,
        id: u64,
        result: Result<OlderPage, String>,
    ) -> Vec<Effect> {
        let page = match result {
            Ok(p) => p,
            Err(e) => {
                if self.entries.loading_older.take_if(|l| l.id == id).is_some() {
                    self.note(format!("loading older entries: {e}"), true);
                }
                return Vec::new();
            }
        };
        let was_detached = self.entries.detached;
        let Some(replay) = self.entries.older_arrived(id, page) else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        if self.entries.detached && !was_detached {
            effects.push(Effect::CloseStream);
        }
        if let Some(action) = replay
            && self.focus == Focus::Entries
        {
            let page = self.page() as u64;
            let e = &mut self.entries;
            if e.visible_len() > 0 {
                let cur = e.visible_pos(e.selected).min(e.visible_len() - 1);
                let next = match action {
                    Action::Top => 0,
                    Action::PageUp => cur.saturating_sub(page),
                    _ => cur.saturating_sub(1),
                };
                e.selected = e.visible_at(next).unwrap_or(e.selected);
                e.follow = false;
            }
        }
        effects
    }

    fn detail_max_scroll(&self) -> u16 {
        let a = layout::areas(self.area(), self);
        let h = a.detail.map_or(0, |r| r.height.saturating_sub(2));
        let n = detail::Detail::of(self).len();
        u16::try_from(n.saturating_sub(usize::from(h))).unwrap_or(u16::MAX)
    }

    fn open(&mut self) -> Vec<Effect> {
        match self.focus {
            Focus::Hierarchy => match self.hierarchy.level {
                Level::Spaces if self.hierarchy.marked.len() > 1 => {
                    let spaces: Vec<String> = std::mem::take(&mut self.hierarchy.marked)
                        .into_iter()
                        .collect();
                    self.focus = Focus::Entries;
                    self.open_stream(Source::Spaces { spaces }, Start::Tail)
                }
                Level::Spaces => match self.hierarchy.spaces.get(self.hierarchy.space_sel) {
                    Some(space) => {
                        let space = space.clone();
                        self.watch_space(&space)
                    }
                    None => Vec::new(),
                },
                Level::Segments => {
                    let Some(space) = self.hierarchy.space.clone() else {
                        return Vec::new();
                    };
                    let source = match self.hierarchy.seg_sel {
                        0 => Source::Space { space },
                        i => match self.hierarchy.segments.get(i - 1) {
                            Some(row) => Source::Segment {
                                space,
                                segment: row.name.clone(),
                            },
                            None => return Vec::new(),
                        },
                    };
                    self.focus = Focus::Entries;
                    self.open_stream(source, Start::Tail)
                }
            },
            Focus::Entries => {
                if self.entries.selected_entry().is_some() {
                    self.focus = Focus::Detail;
                }
                Vec::new()
            }
            Focus::Detail | Focus::Panel => Vec::new(),
        }
    }

    fn back(&mut self) -> Vec<Effect> {
        match self.focus {
            Focus::Hierarchy => {
                if self.hierarchy.level == Level::Segments {
                    self.hierarchy.level = Level::Spaces;
                    self.hierarchy.space = None;
                    self.hierarchy.segments.clear();
                    self.hierarchy.generation += 1;
                    return vec![Effect::Unwatch];
                }
                Vec::new()
            }
            Focus::Entries => {
                if self.entries.filter.is_some() {
                    self.clear_filter();
                } else {
                    self.focus = Focus::Hierarchy;
                }
                Vec::new()
            }
            Focus::Detail => {
                self.focus = Focus::Entries;
                Vec::new()
            }
            Focus::Panel => {
                self.panel = None;
                self.focus = Focus::Entries;
                Vec::new()
            }
        }
    }

    /// Mark or unmark the selected space (for a read of several spaces).
    fn mark(&mut self) {
        let h = &mut self.hierarchy;
        let space = match (self.focus, h.level) {
            (Focus::Hierarchy, Level::Spaces) => h.spaces.get(h.space_sel).cloned(),
            _ => None,
        };
        let Some(space) = space else {
            self.note("mark spaces in the space list (or :spaces A,B)", true);
            return;
        };
        if !h.marked.remove(&space) {
            h.marked.insert(space);
        }
        let n = h.marked.len();
        let text = match n {
            0 => "no space marked".to_owned(),
            1 => "1 space marked: mark another to read them merged".to_owned(),
            n => format!("{n} spaces marked: enter reads them merged by time"),
        };
        self.note(text, false);
    }

    /// Show the segments of `space`, live (a `*` status subscription).
    fn watch_space(&mut self, space: &str) -> Vec<Effect> {
        let h = &mut self.hierarchy;
        h.level = Level::Segments;
        if let Some(i) = h.spaces.iter().position(|s| s == space) {
            h.space_sel = i;
        }
        if h.space.as_deref() == Some(space) {
            return Vec::new();
        }
        h.space = Some(space.to_owned());
        h.segments.clear();
        h.segments_load = Load::Loading;
        h.seg_sel = 0;
        h.top = 0;
        h.generation += 1;
        vec![Effect::WatchSpace {
            space: space.to_owned(),
            generation: h.generation,
        }]
    }

    fn open_stream(&mut self, source: Source, start: Start) -> Vec<Effect> {
        // A multi-space read resumes spaces it has no cursor for from where it started: pin
        // "the tail" to a time now.
        let start = match (&source, start) {
            (Source::Spaces { .. }, Start::Tail) => Start::Time(self.now_ms - TAIL_SPAN_MS),
            (_, start) => start,
        };
        self.entries.reset(source, start);
        self.detail.scroll = 0;
        self.reopen()
    }

    /// (Re)open the read of `entries.source` from its cursor or start.
    fn reopen(&mut self) -> Vec<Effect> {
        let tail = match &self.entries.source {
            Some(Source::Segment { space, segment })
                if self.hierarchy.space.as_deref() == Some(space.as_str()) =>
            {
                self.hierarchy
                    .segments
                    .iter()
                    .find(|r| &r.name == segment)
                    .and_then(|r| r.status.as_ref())
                    .map(|s| s.last_sequence)
            }
            _ => None,
        };
        let Some(request) = self.entries.request(tail, self.now_ms) else {
            return Vec::new();
        };
        self.entries.generation += 1;
        self.entries.reading = true;
        self.entries.paused = false;
        self.entries.detached = false;
        self.entries.error = None;
        vec![Effect::OpenStream {
            generation: self.entries.generation,
            request,
        }]
    }

    fn toggle_pause(&mut self) -> Vec<Effect> {
        if self.entries.source.is_none() {
            self.note("nothing to pause: open a segment or a space first", true);
            return Vec::new();
        }
        if self.entries.paused {
            self.reopen()
        } else {
            self.entries.paused = true;
            self.entries.reading = false;
            // Batches already on their way belong to the dropped read: the cursor stays at the
            // last entry applied, and resuming reads on from there.
            self.entries.generation += 1;
            vec![Effect::CloseStream]
        }
    }

    fn note(&mut self, text: impl Into<String>, error: bool) {
        self.note = Some(Note {
            text: text.into(),
            error,
        });
    }

    /// Keep the selections visible (list heights come from the layout of `size`).
    fn fix_scroll(&mut self) {
        let a = layout::areas(self.area(), self);
        if let Some(r) = a.hierarchy {
            let rows = usize::from(r.height.saturating_sub(3)).max(1);
            let h = &mut self.hierarchy;
            let sel = h.selected();
            if sel < h.top {
                h.top = sel;
            } else if sel >= h.top + rows {
                h.top = sel + 1 - rows;
            }
            h.top = h.top.min(h.len().saturating_sub(rows));
        }
        if let Some(r) = a.entries {
            let rows = u64::from(r.height.saturating_sub(3)).max(1);
            let e = &mut self.entries;
            let n = e.visible_len();
            let sel = e.visible_pos(e.selected);
            let mut top = e.visible_pos(e.top);
            if e.follow {
                top = n.saturating_sub(rows);
            } else if sel < top {
                top = sel;
            } else if sel >= top + rows {
                top = sel + 1 - rows;
            }
            // No empty rows below the last one while rows above are hidden: a list that
            // shrank (a filter applied while scrolled up) shows from further up.
            top = top.min(n.saturating_sub(rows));
            e.top = e.visible_at(top).unwrap_or(e.base);
        }
    }
}

/// `./skope-export-<space>-<segment>.jsonl` (`all` for a space read).
#[must_use]
pub fn default_export_path(source: &Source) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    match source {
        Source::Segment { space, segment } => {
            format!("./skope-export-{}-{}.jsonl", clean(space), clean(segment))
        }
        Source::Space { space } => format!("./skope-export-{}-all.jsonl", clean(space)),
        Source::Spaces { spaces } => {
            let names: Vec<String> = spaces.iter().map(|s| clean(s)).collect();
            format!("./skope-export-{}.jsonl", names.join("+"))
        }
    }
}

/// `:time` argument: RFC 3339, Unix milliseconds, or relative to now (`-5m`, `-1h30m`).
///
/// # Errors
/// Anything else, with a hint.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    if let Some(rel) = text.strip_prefix('-') {
        let d = humantime::parse_duration(rel).map_err(|e| format!(":time {text}: {e}"))?;
        let ms = i64::try_from(d.as_millis()).map_err(|e| e.to_string())?;
        return Ok(now_ms - ms);
    }
    crate::cli::parse_time(text).map_err(|e| format!(":time {text}: {e} (or -5m)"))
}

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod tests;
