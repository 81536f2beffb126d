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
    ConnState, ConsumeSegment, ConsumeSpace, Entry, LexKey, Metadata, SegmentStatus, Uuid,
};
use std::collections::VecDeque;

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

/// Entries/s per second, from status deltas; `buckets.back()` is second `head_sec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub buckets: VecDeque<u64>,
    pub head_sec: i64,
}

impl Default for Rate {
    fn default() -> Self {
        Rate {
            buckets: std::iter::repeat_n(0, SPARK_SECONDS).collect(),
            head_sec: 0,
        }
    }
}

impl Rate {
    /// Count `n` new entries in second `sec`.
    pub fn add(&mut self, sec: i64, n: u64) {
        self.advance(sec);
        if let Some(b) = self.buckets.back_mut() {
            *b += n;
        }
    }

    fn advance(&mut self, sec: i64) {
        if sec <= self.head_sec {
            return;
        }
        let steps = usize::try_from(sec - self.head_sec)
            .unwrap_or(usize::MAX)
            .min(SPARK_SECONDS);
        for _ in 0..steps {
            self.buckets.pop_front();
            self.buckets.push_back(0);
        }
        self.head_sec = sec;
    }

    /// The buckets as of second `sec` (oldest first), without mutating.
    #[must_use]
    pub fn window(&self, sec: i64) -> Vec<u64> {
        let shift = usize::try_from((sec - self.head_sec).max(0))
            .unwrap_or(usize::MAX)
            .min(SPARK_SECONDS);
        self.buckets
            .iter()
            .skip(shift)
            .copied()
            .chain(std::iter::repeat_n(0, shift))
            .collect()
    }
}

/// One segment of the watched space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRow {
    pub name: String,
    pub status: Option<SegmentStatus>,
    pub rate: Rate,
}

/// Left pane: spaces, then the segments of one space with live status.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    pub level: Level,
    pub spaces: Vec<String>,
    pub spaces_load: Load,
    pub space_sel: usize,
    /// The watched space (its segments are listed at `Level::Segments`).
    pub space: Option<String>,
    pub segments: Vec<SegmentRow>,
    pub segments_load: Load,
    /// Row 0 is "all segments" (the space, time-merged); row i+1 is `segments[i]`.
    pub seg_sel: usize,
    pub top: usize,
    pub generation: u64,
}

impl Hierarchy {
    /// Rows at the current level.
    #[must_use]
    pub fn len(&self) -> usize {
        match self.level {
            Level::Spaces => self.spaces.len(),
            Level::Segments => self.segments.len() + 1,
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[must_use]
    pub fn selected(&self) -> usize {
        match self.level {
            Level::Spaces => self.space_sel,
            Level::Segments => self.seg_sel,
        }
    }

    fn select(&mut self, i: usize) {
        let i = i.min(self.len().saturating_sub(1));
        match self.level {
            Level::Spaces => self.space_sel = i,
            Level::Segments => self.seg_sel = i,
        }
    }
}

/// What the entry list reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Segment { space: String, segment: String },
    Space { space: String },
}

impl Source {
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Source::Segment { space, segment } => format!("{space}/{segment}"),
            Source::Space { space } => format!("{space}/*"),
        }
    }
}

/// Where a read starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Head,
    Tail,
    Sequence(u64),
    /// Unix milliseconds.
    Time(i64),
}

/// A stream the app loop should open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRequest {
    Segment(ConsumeSegment),
    Space(ConsumeSpace),
}

/// Centre pane: a bounded window over a live read.
#[derive(Debug, Clone)]
pub struct Entries {
    pub source: Option<Source>,
    pub start: Start,
    pub ring: VecDeque<Entry>,
    /// Absolute index of `ring[0]` (entries evicted so far).
    pub base: u64,
    pub cap: usize,
    /// Absolute index of the selected entry.
    pub selected: u64,
    /// Absolute index of the first visible row.
    pub top: u64,
    /// Keep the last entry selected as entries arrive.
    pub follow: bool,
    /// The read is stopped (no stream open) and resumes from the cursor.
    pub paused: bool,
    /// A stream is open.
    pub reading: bool,
    pub generation: u64,
    pub received: u64,
    /// Sequence of the last entry received (segment reads resume after it).
    pub last_sequence: Option<u64>,
    /// Space offset of the last entry received (space reads resume after it).
    pub last_offset: Option<LexKey>,
    pub error: Option<String>,
    /// The `/` filter: only matching entries are rows.
    pub filter: Option<ActiveFilter>,
}

/// A filter applied to the entry list.
#[derive(Debug, Clone)]
pub struct ActiveFilter {
    /// What was typed.
    pub text: String,
    pub filter: Filter,
    /// Absolute indices of the matching entries in the window, ascending.
    pub matches: VecDeque<u64>,
}

impl Entries {
    fn new(cap: usize) -> Self {
        Entries {
            source: None,
            start: Start::Tail,
            ring: VecDeque::new(),
            base: 0,
            cap: cap.max(1),
            selected: 0,
            top: 0,
            follow: true,
            paused: false,
            reading: false,
            generation: 0,
            received: 0,
            last_sequence: None,
            last_offset: None,
            error: None,
            filter: None,
        }
    }

    /// Rows shown (matches when filtered).
    #[must_use]
    pub fn visible_len(&self) -> u64 {
        match &self.filter {
            Some(f) => f.matches.len() as u64,
            None => self.ring.len() as u64,
        }
    }

    /// The absolute index of row `pos`.
    #[must_use]
    pub fn visible_at(&self, pos: u64) -> Option<u64> {
        match &self.filter {
            Some(f) => f.matches.get(usize::try_from(pos).ok()?).copied(),
            None => (pos < self.ring.len() as u64).then_some(self.base + pos),
        }
    }

    /// The row of the first shown entry at or after absolute index `abs`.
    #[must_use]
    pub fn visible_pos(&self, abs: u64) -> u64 {
        match &self.filter {
            Some(f) => f.matches.partition_point(|&m| m < abs) as u64,
            None => abs.saturating_sub(self.base).min(self.ring.len() as u64),
        }
    }

    /// Whether the entry at `abs` is a row.
    fn shown(&self, abs: u64) -> bool {
        match &self.filter {
            Some(f) => f.matches.binary_search(&abs).is_ok(),
            None => abs >= self.base && abs < self.end(),
        }
    }

    /// Apply (or clear) a filter over the window; the selection moves to the nearest match.
    pub fn set_filter(&mut self, filter: Option<(String, Filter)>) {
        self.filter = filter.map(|(text, filter)| {
            let matches = self
                .ring
                .iter()
                .enumerate()
                .filter(|(_, e)| filter.matches(e))
                .map(|(i, _)| self.base + i as u64)
                .collect();
            ActiveFilter {
                text,
                filter,
                matches,
            }
        });
        self.snap_selection();
    }

    /// Put the selection on a shown row (the next one, else the last one).
    fn snap_selection(&mut self) {
        let n = self.visible_len();
        if n == 0 {
            return;
        }
        if self.follow {
            self.selected = self.visible_at(n - 1).unwrap_or(self.selected);
        } else if !self.shown(self.selected) {
            let pos = self.visible_pos(self.selected).min(n - 1);
            self.selected = self.visible_at(pos).unwrap_or(self.selected);
        }
    }

    /// One past the absolute index of the last entry.
    #[must_use]
    pub fn end(&self) -> u64 {
        self.base + self.ring.len() as u64
    }

    /// The entry at an absolute index.
    #[must_use]
    pub fn get(&self, abs: u64) -> Option<&Entry> {
        let i = usize::try_from(abs.checked_sub(self.base)?).ok()?;
        self.ring.get(i)
    }

    #[must_use]
    pub fn selected_entry(&self) -> Option<&Entry> {
        if !self.shown(self.selected) {
            return None;
        }
        self.get(self.selected)
    }

    fn push_batch(&mut self, batch: Vec<Entry>) {
        for e in batch {
            self.last_sequence = Some(e.sequence);
            if matches!(self.source, Some(Source::Space { .. })) {
                self.last_offset = Some(e.space_offset());
            }
            self.received += 1;
            let abs = self.end();
            if let Some(f) = &mut self.filter
                && f.filter.matches(&e)
            {
                f.matches.push_back(abs);
            }
            self.ring.push_back(e);
        }
        let over = self.ring.len().saturating_sub(self.cap);
        if over > 0 {
            self.ring.drain(..over);
            self.base += over as u64;
            let base = self.base;
            if let Some(f) = &mut self.filter {
                while f.matches.front().is_some_and(|&m| m < base) {
                    f.matches.pop_front();
                }
            }
        }
        self.selected = self.selected.max(self.base);
        self.top = self.top.max(self.base);
        self.snap_selection();
    }

    fn reset(&mut self, source: Source, start: Start) {
        let cap = self.cap;
        let generation = self.generation;
        let filter = self.filter.take();
        *self = Entries::new(cap);
        self.generation = generation;
        // The filter stays: it applies to what the new read brings.
        self.filter = filter.map(|mut f| {
            f.matches.clear();
            f
        });
        self.source = Some(source);
        self.start = start;
    }

    /// The read to open now: from the cursor when entries were received, else from `start`.
    #[must_use]
    pub fn request(&self, tail_sequence: Option<u64>, now_ms: i64) -> Option<StreamRequest> {
        match self.source.as_ref()? {
            Source::Segment { space, segment } => {
                let mut c = ConsumeSegment {
                    space: space.clone(),
                    segment: segment.clone(),
                    ..ConsumeSegment::default()
                };
                if let Some(last) = self.last_sequence {
                    c.min_sequence = last + 1;
                } else {
                    match self.start {
                        Start::Head => {}
                        Start::Tail => match tail_sequence {
                            Some(last) => {
                                c.min_sequence = last.saturating_sub(TAIL_BACKLOG - 1).max(1);
                            }
                            None => c.min_timestamp = now_ms - TAIL_SPAN_MS,
                        },
                        Start::Sequence(n) => c.min_sequence = n,
                        Start::Time(t) => c.min_timestamp = t,
                    }
                }
                Some(StreamRequest::Segment(c))
            }
            Source::Space { space } => {
                let mut c = ConsumeSpace {
                    space: space.clone(),
                    ..ConsumeSpace::default()
                };
                if let Some(off) = &self.last_offset {
                    c.offset = off.clone();
                } else {
                    match self.start {
                        Start::Head | Start::Sequence(_) => {}
                        Start::Tail => c.min_timestamp = now_ms - TAIL_SPAN_MS,
                        Start::Time(t) => c.min_timestamp = t,
                    }
                }
                Some(StreamRequest::Space(c))
            }
        }
    }
}

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
    /// List the stores the picker offers (token scopes, recent history, disk).
    LoadStores,
    /// Use another store from now on (and remember it in the recent history).
    SwitchStore(Uuid),
    /// Put text on the terminal's clipboard (OSC 52).
    Clipboard(String),
    /// Write entries as JSON lines (`src/jsonl.rs`) to `path`.
    Export {
        path: String,
        entries: Vec<Entry>,
    },
    /// Publish one record.
    Publish {
        generation: u64,
        space: String,
        segment: String,
        payload: Vec<u8>,
        metadata: Metadata,
    },
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

    fn key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        if self.overlay == Overlay::Command {
            return self.command_key(k);
        }
        if self.overlay == Overlay::Filter {
            self.filter_key(k);
            return Vec::new();
        }
        if self.overlay == Overlay::StorePicker {
            return self.picker_key(k);
        }
        if matches!(self.overlay, Overlay::LeasePrompt | Overlay::ExportPrompt) {
            return self.lease_key(k);
        }
        let chord = KeyChord::from_event(k);
        if self.overlay == Overlay::Publish {
            return match self.keymap.lookup(Scope::Publish, &chord) {
                Some(action) => self.update(action),
                None => {
                    self.publish_edit(k);
                    Vec::new()
                }
            };
        }
        match self.keymap.lookup(self.scope(), &chord) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    fn command_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.update(Action::Quit)
            }
            KeyCode::Esc => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            KeyCode::Enter => {
                self.overlay = Overlay::None;
                let line = std::mem::take(&mut self.cmdline);
                self.command(&line)
            }
            KeyCode::Backspace => {
                if self.cmdline.pop().is_none() {
                    self.overlay = Overlay::None;
                }
                Vec::new()
            }
            KeyCode::Char(c) => {
                self.cmdline.push(c);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Pasted text (bracketed paste) goes into the field being edited, newlines and all; with
    /// nothing being edited it is ignored (a paste never turns into key actions).
    fn paste(&mut self, text: &str) {
        let one_line = || text.replace(['\r', '\n'], " ");
        match self.overlay {
            Overlay::Publish => {
                if let Some(p) = self.publish.as_mut().filter(|p| p.step == Step::Edit) {
                    match p.field {
                        Field::Payload => {
                            p.payload
                                .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
                        }
                        Field::Meta(i) => {
                            if let Some(row) = p.metadata.get_mut(i) {
                                row.push_str(&one_line());
                            }
                        }
                    }
                }
            }
            Overlay::Filter => self.filter_input.push_str(&one_line()),
            Overlay::Command => self.cmdline.push_str(&one_line()),
            Overlay::LeasePrompt | Overlay::ExportPrompt => self.lease_input.push_str(&one_line()),
            Overlay::StorePicker => self.store_input.push_str(one_line().trim()),
            Overlay::None | Overlay::Help { .. } => {}
        }
    }

    fn filter_key(&mut self, k: &KeyEvent) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('r') if ctrl => {
                // Toggle substring ↔ regex.
                self.filter_input = match self.filter_input.strip_prefix(REGEX_PREFIX) {
                    Some(rest) => rest.to_owned(),
                    None => format!("{REGEX_PREFIX}{}", self.filter_input),
                };
            }
            KeyCode::Char('u') if ctrl => self.filter_input.clear(),
            KeyCode::Char('c') if ctrl => self.overlay = Overlay::None,
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Enter => {
                self.overlay = Overlay::None;
                let text = std::mem::take(&mut self.filter_input);
                self.apply_filter(&text);
            }
            KeyCode::Backspace => {
                self.filter_input.pop();
            }
            KeyCode::Char(c) => self.filter_input.push(c),
            _ => {}
        }
    }

    fn lease_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.overlay = Overlay::None;
            }
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Enter => {
                let kind = std::mem::replace(&mut self.overlay, Overlay::None);
                let text = std::mem::take(&mut self.lease_input);
                return if kind == Overlay::ExportPrompt {
                    self.export(text.trim())
                } else {
                    self.acquire(&text)
                };
            }
            KeyCode::Backspace => {
                self.lease_input.pop();
            }
            KeyCode::Char(c) => self.lease_input.push(c),
            _ => {}
        }
        Vec::new()
    }

    fn picker_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let last = self.store_choices.len().saturating_sub(1);
        match k.code {
            KeyCode::Char('c') if ctrl => self.overlay = Overlay::None,
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Up => self.store_sel = self.store_sel.saturating_sub(1),
            KeyCode::Char('p') if ctrl => self.store_sel = self.store_sel.saturating_sub(1),
            KeyCode::Down => self.store_sel = (self.store_sel + 1).min(last),
            KeyCode::Char('n') if ctrl => self.store_sel = (self.store_sel + 1).min(last),
            KeyCode::Enter => {
                let typed = std::mem::take(&mut self.store_input);
                let typed = typed.trim();
                if typed.is_empty() {
                    return match self.store_choices.get(self.store_sel) {
                        Some(c) => {
                            let id = c.id;
                            self.switch_store(id)
                        }
                        None => Vec::new(),
                    };
                }
                return match Uuid::parse_str(typed) {
                    Ok(id) => self.switch_store(id),
                    Err(e) => {
                        self.store_input = typed.to_owned();
                        self.note(format!("not a store UUID: {e}"), true);
                        Vec::new()
                    }
                };
            }
            KeyCode::Backspace => {
                self.store_input.pop();
            }
            KeyCode::Char(c) if !ctrl => self.store_input.push(c),
            _ => {}
        }
        Vec::new()
    }

    fn open_picker(&mut self) -> Vec<Effect> {
        self.overlay = Overlay::StorePicker;
        self.store_input.clear();
        self.store_choices = merge(self.store, &[]);
        self.store_sel = 0;
        vec![Effect::LoadStores]
    }

    /// Use store `id`: everything shown so far belongs to the old one and is dropped.
    pub fn switch_store(&mut self, id: Uuid) -> Vec<Effect> {
        self.overlay = Overlay::None;
        if id == self.store {
            self.note(format!("already on store {id}"), false);
            return Vec::new();
        }
        self.store = id;
        let h = &mut self.hierarchy;
        h.level = Level::Spaces;
        h.spaces.clear();
        h.spaces_load = Load::Loading;
        h.space_sel = 0;
        h.space = None;
        h.segments.clear();
        h.segments_load = Load::Loading;
        h.seg_sel = 0;
        h.top = 0;
        h.generation += 1;
        let generation = self.entries.generation + 1;
        self.entries = Entries::new(self.entries.cap);
        self.entries.generation = generation;
        self.detail.scroll = 0;
        self.publish = None;
        self.focus = Focus::Hierarchy;
        self.note(format!("store {id}"), false);
        vec![
            Effect::CloseStream,
            Effect::Unwatch,
            Effect::SwitchStore(id),
            Effect::LoadSpaces,
        ]
    }

    /// Acquire `KEY [TTL]`.
    pub fn acquire(&mut self, text: &str) -> Vec<Effect> {
        if self.read_only {
            self.note("read-only session: acquiring leases is disabled", true);
            return Vec::new();
        }
        let (key, ttl_secs) = match parse_acquire(text) {
            Ok(v) => v,
            Err(e) => {
                self.note(e, true);
                return Vec::new();
            }
        };
        if let Some(i) = self.leases.iter().position(|l| l.key == key) {
            if matches!(
                self.leases[i].state,
                LeaseState::Held | LeaseState::Acquiring | LeaseState::Releasing
            ) {
                self.note(format!("lease {key:?} is already held here"), true);
                return Vec::new();
            }
            self.leases.remove(i);
        }
        self.leases.push(LeaseRow {
            key: key.clone(),
            ttl_secs,
            holder: String::new(),
            state: LeaseState::Acquiring,
            since_ms: self.now_ms,
        });
        self.lease_sel = self.leases.len() - 1;
        self.panel = Some(Panel::Leases);
        vec![Effect::AcquireLease { key, ttl_secs }]
    }

    /// Export the shown entries (all of the window, or the filter's matches) to `path`.
    pub fn export(&mut self, path: &str) -> Vec<Effect> {
        if path.is_empty() {
            self.note("export: a file path is needed", true);
            return Vec::new();
        }
        let e = &self.entries;
        let entries: Vec<Entry> = (0..e.visible_len())
            .filter_map(|pos| e.get(e.visible_at(pos)?).cloned())
            .collect();
        if entries.is_empty() {
            self.note("nothing to export: no entries loaded", true);
            return Vec::new();
        }
        self.note(
            format!("exporting {} entries to {path}…", entries.len()),
            false,
        );
        vec![Effect::Export {
            path: path.to_owned(),
            entries,
        }]
    }

    fn toggle_panel(&mut self, panel: Panel) -> Vec<Effect> {
        if self.panel == Some(panel) {
            self.panel = None;
            if self.focus == Focus::Panel {
                self.focus = Focus::Entries;
            }
            return Vec::new();
        }
        self.panel = Some(panel);
        self.focus = Focus::Panel;
        match panel {
            Panel::Subscriptions => vec![Effect::RefreshSubscriptions],
            Panel::Leases => Vec::new(),
        }
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
            | Action::Bottom => {
                self.motion(action);
                Vec::new()
            }
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

    /// The segment `P` publishes to: the open segment, else the one selected in the hierarchy.
    fn publish_target(&self) -> Option<(String, String)> {
        if let Some(Source::Segment { space, segment }) = &self.entries.source {
            return Some((space.clone(), segment.clone()));
        }
        let h = &self.hierarchy;
        match (h.level, &h.space, h.seg_sel) {
            (Level::Segments, Some(space), i) if i > 0 => h
                .segments
                .get(i - 1)
                .map(|r| (space.clone(), r.name.clone())),
            _ => None,
        }
    }

    /// The last sequence of `space/segment` from the live statuses, when watched.
    fn known_last(&self, space: &str, segment: &str) -> Option<u64> {
        if self.hierarchy.space.as_deref() != Some(space) {
            return None;
        }
        self.hierarchy
            .segments
            .iter()
            .find(|r| r.name == segment)
            .and_then(|r| r.status.as_ref())
            .map(|s| s.last_sequence)
    }

    fn open_publish(
        &mut self,
        space: String,
        segment: String,
        from: Option<&Entry>,
    ) -> Vec<Effect> {
        self.publish_generation += 1;
        let generation = self.publish_generation;
        let mut p = match from {
            Some(e) => Publish::from_entry(e, generation),
            None => Publish::new(space.clone(), segment.clone(), generation),
        };
        self.overlay = Overlay::Publish;
        let known = self.known_last(&space, &segment);
        p.next_sequence = known.map(|l| l + 1);
        self.publish = Some(p);
        if self.read_only {
            self.note("read-only session: publishing is disabled", true);
            return Vec::new();
        }
        match known {
            Some(_) => Vec::new(),
            None => vec![Effect::PeekLast {
                generation,
                space,
                segment,
            }],
        }
    }

    fn publish_action(&mut self, action: Action) -> Vec<Effect> {
        let read_only = self.read_only;
        let Some(p) = self.publish.as_mut() else {
            self.overlay = Overlay::None;
            return Vec::new();
        };
        let mut note: Option<String> = None;
        match action {
            Action::Cancel => match p.step {
                Step::Preview => p.step = Step::Edit,
                _ => {
                    self.publish = None;
                    self.overlay = Overlay::None;
                }
            },
            Action::FocusNext | Action::FocusPrev if p.step == Step::Edit => p.next_field(),
            Action::AddRow if p.step == Step::Edit => p.add_row(),
            Action::RemoveRow if p.step == Step::Edit => p.remove_row(),
            Action::Newline if p.step == Step::Edit && p.field == Field::Payload => {
                p.payload.insert_newline();
            }
            Action::Submit => match p.step.clone() {
                Step::Edit | Step::Sent(_) | Step::Failed(_) if read_only => {
                    note = Some("read-only session: publishing is disabled (nothing sent)".into());
                }
                Step::Edit => match p.parsed_metadata() {
                    Ok(_) => p.step = Step::Preview,
                    Err(e) => note = Some(e),
                },
                Step::Preview => {
                    let metadata = match p.parsed_metadata() {
                        Ok(m) => m,
                        Err(e) => {
                            p.step = Step::Edit;
                            self.note(e, true);
                            return Vec::new();
                        }
                    };
                    p.step = Step::Sending;
                    return vec![Effect::Publish {
                        generation: p.generation,
                        space: p.space.clone(),
                        segment: p.segment.clone(),
                        payload: p.text().into_bytes(),
                        metadata,
                    }];
                }
                Step::Sent(_) | Step::Failed(_) => p.step = Step::Edit,
                Step::Sending => {}
            },
            _ => {}
        }
        if let Some(n) = note {
            self.note(n, true);
        }
        Vec::new()
    }

    /// A key the publish pane has no action for: it edits the focused field.
    fn publish_edit(&mut self, k: &KeyEvent) {
        let Some(p) = self.publish.as_mut() else {
            return;
        };
        if p.step != Step::Edit {
            return;
        }
        match p.field {
            Field::Payload => {
                p.payload.input(*k);
            }
            Field::Meta(i) => {
                let Some(row) = p.metadata.get_mut(i) else {
                    return;
                };
                match k.code {
                    KeyCode::Backspace => {
                        row.pop();
                    }
                    KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                        row.push(c);
                    }
                    _ => {}
                }
            }
        }
    }

    fn release_selected(&mut self) -> Vec<Effect> {
        if self.panel != Some(Panel::Leases) {
            return Vec::new();
        }
        let Some(l) = self.leases.get_mut(self.lease_sel) else {
            self.note("no lease selected", true);
            return Vec::new();
        };
        match l.state {
            LeaseState::Held => {
                l.state = LeaseState::Releasing;
                vec![Effect::ReleaseLease { key: l.key.clone() }]
            }
            LeaseState::Lost(_) | LeaseState::Failed(_) => {
                // Nothing held: x clears the row.
                self.leases.remove(self.lease_sel);
                self.lease_sel = self.lease_sel.min(self.leases.len().saturating_sub(1));
                Vec::new()
            }
            LeaseState::Acquiring | LeaseState::Releasing => Vec::new(),
        }
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

    fn motion(&mut self, action: Action) {
        if let Overlay::Help { scroll } = &mut self.overlay {
            *scroll = match action {
                Action::Up => scroll.saturating_sub(1),
                _ => scroll.saturating_add(1),
            };
            return;
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
            Focus::Entries => self.move_entries(action, page as u64),
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
    }

    fn move_entries(&mut self, action: Action, page: u64) {
        let e = &mut self.entries;
        let n = e.visible_len();
        if n == 0 {
            e.follow = action == Action::Bottom || e.follow;
            return;
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
    }

    fn detail_max_scroll(&self) -> u16 {
        let a = layout::areas(self.area(), self);
        let h = a.detail.map_or(0, |r| r.height.saturating_sub(2));
        let n = detail::lines(self).len();
        u16::try_from(n.saturating_sub(usize::from(h))).unwrap_or(u16::MAX)
    }

    fn open(&mut self) -> Vec<Effect> {
        match self.focus {
            Focus::Hierarchy => match self.hierarchy.level {
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

    /// Run a `:` command.
    pub fn command(&mut self, line: &str) -> Vec<Effect> {
        self.note = None;
        let line = line.trim().trim_start_matches(':').trim();
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        match (cmd, arg) {
            ("", _) => Vec::new(),
            ("q" | "quit", _) => self.update(Action::Quit),
            ("space" | "sp", space) if !space.is_empty() => {
                let mut effects = self.watch_space(space);
                self.focus = Focus::Entries;
                effects.extend(self.open_stream(
                    Source::Space {
                        space: space.to_owned(),
                    },
                    Start::Tail,
                ));
                effects
            }
            ("seg" | "segment", target) if !target.is_empty() => {
                let (space, segment) = match target.split_once('/') {
                    Some((sp, seg)) if !sp.is_empty() && !seg.is_empty() => {
                        (sp.to_owned(), seg.to_owned())
                    }
                    None if self.hierarchy.space.is_some() => (
                        self.hierarchy.space.clone().unwrap_or_default(),
                        target.to_owned(),
                    ),
                    _ => {
                        self.note("usage: :seg SPACE/SEGMENT", true);
                        return Vec::new();
                    }
                };
                let mut effects = self.watch_space(&space);
                if let Some(i) = self
                    .hierarchy
                    .segments
                    .iter()
                    .position(|r| r.name == segment)
                {
                    self.hierarchy.seg_sel = i + 1;
                }
                self.focus = Focus::Entries;
                effects.extend(self.open_stream(Source::Segment { space, segment }, Start::Tail));
                effects
            }
            ("seq", n) => match n.parse::<u64>() {
                Ok(n) => match self.entries.source.clone() {
                    Some(source @ Source::Segment { .. }) => {
                        self.open_stream(source, Start::Sequence(n))
                    }
                    _ => {
                        self.note(
                            ":seq needs an open segment (a space is ordered by time)",
                            true,
                        );
                        Vec::new()
                    }
                },
                Err(_) => {
                    self.note("usage: :seq N", true);
                    Vec::new()
                }
            },
            ("time", t) => match parse_time(t, self.now_ms) {
                Ok(ms) => self.restart(Start::Time(ms)),
                Err(e) => {
                    self.note(e, true);
                    Vec::new()
                }
            },
            ("publish" | "pub", "") => self.update(Action::Publish),
            ("publish" | "pub", target) => {
                let (space, segment) = match target.split_once('/') {
                    Some((sp, seg)) if !sp.is_empty() && !seg.is_empty() => {
                        (sp.to_owned(), seg.to_owned())
                    }
                    None if self.hierarchy.space.is_some() => (
                        self.hierarchy.space.clone().unwrap_or_default(),
                        target.to_owned(),
                    ),
                    _ => {
                        self.note("usage: :publish SPACE/SEGMENT", true);
                        return Vec::new();
                    }
                };
                self.open_publish(space, segment, None)
            }
            ("acquire" | "lease", text) => self.acquire(text),
            ("store", "") => self.open_picker(),
            ("store", id) => match Uuid::parse_str(id) {
                Ok(id) => self.switch_store(id),
                Err(e) => {
                    self.note(format!(":store {id}: {e}"), true);
                    Vec::new()
                }
            },
            ("filter" | "f", text) => {
                self.apply_filter(text);
                Vec::new()
            }
            ("head", "") => self.restart(Start::Head),
            ("tail", "") => self.restart(Start::Tail),
            _ => {
                self.note(
                    format!(
                        "unknown command {line:?} (try :space, :seg, :seq, :time, :head, :tail, :filter, :publish, :acquire, :store, :q)"
                    ),
                    true,
                );
                Vec::new()
            }
        }
    }

    fn restart(&mut self, start: Start) -> Vec<Effect> {
        match self.entries.source.clone() {
            Some(source) => self.open_stream(source, start),
            None => {
                self.note("open a segment or a space first", true);
                Vec::new()
            }
        }
    }

    fn client(&mut self, ev: ClientEvent) -> Vec<Effect> {
        match ev {
            ClientEvent::Spaces(Ok(mut spaces)) => {
                spaces.sort();
                let keep = self.hierarchy.spaces.get(self.hierarchy.space_sel).cloned();
                self.hierarchy.spaces = spaces;
                self.hierarchy.spaces_load = Load::Loaded;
                self.hierarchy.space_sel = keep
                    .and_then(|k| self.hierarchy.spaces.iter().position(|s| *s == k))
                    .unwrap_or(0);
            }
            ClientEvent::Spaces(Err(e)) => self.hierarchy.spaces_load = Load::Failed(e),
            ClientEvent::Segments { generation, names } => {
                if generation == self.hierarchy.generation {
                    match names {
                        Ok(names) => {
                            for n in names {
                                self.segment_row(&n);
                            }
                            self.hierarchy.segments_load = Load::Loaded;
                        }
                        Err(e) => self.hierarchy.segments_load = Load::Failed(e),
                    }
                }
            }
            ClientEvent::Statuses {
                generation,
                statuses,
            } => {
                if generation == self.hierarchy.generation {
                    for s in statuses {
                        self.apply_status(s);
                    }
                }
            }
            ClientEvent::SubscriptionFailed {
                generation,
                message,
            } => {
                if generation == self.hierarchy.generation {
                    self.hierarchy.segments_load = Load::Failed(message);
                }
            }
            ClientEvent::Entries { generation, batch } => {
                if generation == self.entries.generation {
                    self.entries.push_batch(batch);
                }
            }
            ClientEvent::StreamFailed {
                generation,
                message,
            } => {
                if generation == self.entries.generation {
                    self.entries.reading = false;
                    self.entries.error = Some(message);
                }
            }
            ClientEvent::Conn(state) => self.conn_changed(&state),
            ClientEvent::LastSequence { generation, result } => {
                if let Some(p) = self.publish.as_mut().filter(|p| p.generation == generation) {
                    match result {
                        Ok(last) => p.next_sequence = Some(last + 1),
                        Err(e) => {
                            let text = format!("peek {}/{}: {e}", p.space, p.segment);
                            self.note(text, true);
                        }
                    }
                }
            }
            ClientEvent::Subscriptions(mut rows) => {
                rows.sort_by(|a, b| a.target.cmp(&b.target).then(a.id.cmp(&b.id)));
                self.subs = rows;
                self.sub_sel = self.sub_sel.min(self.subs.len().saturating_sub(1));
            }
            ClientEvent::LeaseAcquired {
                key,
                holder,
                ttl_secs,
            } => {
                let now = self.now_ms;
                if let Some(l) = self.leases.iter_mut().find(|l| l.key == key) {
                    l.holder = holder;
                    l.ttl_secs = ttl_secs;
                    l.state = LeaseState::Held;
                    l.since_ms = now;
                }
                self.note(format!("lease {key:?} acquired"), false);
            }
            ClientEvent::LeaseFailed { key, message } => {
                if let Some(l) = self.leases.iter_mut().find(|l| l.key == key) {
                    l.state = LeaseState::Failed(message);
                }
            }
            ClientEvent::LeaseLost { key, reason } => {
                if let Some(l) = self.leases.iter_mut().find(|l| l.key == key) {
                    l.state = LeaseState::Lost(reason);
                }
            }
            ClientEvent::LeaseReleased { key, result } => {
                if let Some(i) = self.leases.iter().position(|l| l.key == key) {
                    match result {
                        Ok(_) => {
                            self.leases.remove(i);
                            self.lease_sel =
                                self.lease_sel.min(self.leases.len().saturating_sub(1));
                            self.note(format!("lease {key:?} released"), false);
                        }
                        Err(e) => self.leases[i].state = LeaseState::Lost(e),
                    }
                }
            }
            ClientEvent::Stores(lists) => {
                let keep = self.store_choices.get(self.store_sel).map(|c| c.id);
                self.store_choices = merge(self.store, &lists);
                self.store_sel = keep
                    .and_then(|k| self.store_choices.iter().position(|c| c.id == k))
                    .unwrap_or(0);
            }
            ClientEvent::Exported { path, result } => match result {
                Ok(n) => self.note(format!("exported {n} entries to {path}"), false),
                Err(e) => self.note(format!("export to {path} failed: {e}"), true),
            },
            ClientEvent::Published { generation, result } => {
                if let Some(p) = self.publish.as_mut().filter(|p| p.generation == generation) {
                    match result {
                        Ok(status) => {
                            p.next_sequence = Some(status.last_sequence + 1);
                            p.step = Step::Sent(status.last_sequence);
                        }
                        Err(e) => p.step = Step::Failed(e),
                    }
                }
            }
        }
        Vec::new()
    }

    fn conn_changed(&mut self, state: &ConnState) {
        self.conn = match (state, &self.conn) {
            (ConnState::Connected { generation }, _) => Conn::Connected {
                reconnects: generation.saturating_sub(1),
            },
            (ConnState::Disconnected { reason }, Conn::Reconnecting { attempt, .. }) => {
                Conn::Reconnecting {
                    attempt: attempt + 1,
                    reason: reason.to_string(),
                }
            }
            (ConnState::Disconnected { reason }, _) => Conn::Reconnecting {
                attempt: 1,
                reason: reason.to_string(),
            },
            (ConnState::Closed, _) => Conn::Closed,
            // Idle / Connecting: keep what the badge says (a reconnect shows its attempt count).
            (_, Conn::Reconnecting { .. } | Conn::Closed) => self.conn.clone(),
            _ => Conn::Connecting,
        };
    }

    /// The row of segment `name`, inserted in order if new (the selection stays on its row).
    fn segment_row(&mut self, name: &str) -> &mut SegmentRow {
        let h = &mut self.hierarchy;
        let i = match h.segments.binary_search_by(|r| r.name.as_str().cmp(name)) {
            Ok(i) => i,
            Err(i) => {
                h.segments.insert(
                    i,
                    SegmentRow {
                        name: name.to_owned(),
                        status: None,
                        rate: Rate::default(),
                    },
                );
                if h.seg_sel > i {
                    h.seg_sel += 1;
                }
                i
            }
        };
        &mut h.segments[i]
    }

    fn apply_status(&mut self, s: SegmentStatus) {
        if self.hierarchy.space.as_deref() != Some(s.space.as_str()) || s.heartbeat {
            return;
        }
        if let Some(p) = self.publish.as_mut()
            && p.space == s.space
            && p.segment == s.segment
            && p.next_sequence.is_none_or(|n| n <= s.last_sequence)
        {
            p.next_sequence = Some(s.last_sequence + 1);
        }
        let sec = self.now_ms.div_euclid(1000);
        let row = self.segment_row(&s.segment.clone());
        let delta = row
            .status
            .as_ref()
            .map_or(0, |p| s.last_sequence.saturating_sub(p.last_sequence));
        row.rate.add(sec, delta);
        if row.rate.head_sec == 0 {
            row.rate.head_sec = sec;
        }
        row.status = Some(s);
    }

    fn mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.overlay != Overlay::None {
            return Vec::new();
        }
        let a = layout::areas(self.area(), self);
        let at = Position::new(m.column, m.row);
        let pane = [
            (Focus::Hierarchy, a.hierarchy),
            (Focus::Entries, a.entries),
            (Focus::Detail, a.detail),
        ]
        .into_iter()
        .find_map(|(f, r)| r.filter(|r| r.contains(at)).map(|r| (f, r)));
        let Some((pane, rect)) = pane else {
            return Vec::new();
        };
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let saved = self.focus;
                self.focus = pane;
                let action = if m.kind == MouseEventKind::ScrollUp {
                    Action::Up
                } else {
                    Action::Down
                };
                for _ in 0..WHEEL_ROWS {
                    self.motion(action);
                }
                self.focus = saved;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                // Rows start below the border and the header line.
                let Some(row) = m.row.checked_sub(rect.y + 2) else {
                    return Vec::new();
                };
                if row + 1 >= rect.height.saturating_sub(1) {
                    return Vec::new();
                }
                match pane {
                    Focus::Hierarchy => {
                        let i = self.hierarchy.top + usize::from(row);
                        if i < self.hierarchy.len() {
                            self.hierarchy.select(i);
                        }
                    }
                    Focus::Entries => {
                        let e = &mut self.entries;
                        let pos = e.visible_pos(e.top) + u64::from(row);
                        if let Some(i) = e.visible_at(pos) {
                            e.selected = i;
                            e.follow = pos + 1 == e.visible_len();
                            self.detail.scroll = 0;
                        }
                    }
                    Focus::Detail | Focus::Panel => {}
                }
            }
            _ => {}
        }
        Vec::new()
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
            top = top.min(n.saturating_sub(1));
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
mod tests;
