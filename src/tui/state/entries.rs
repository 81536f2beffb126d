//! The entry window: a bounded ring of entries read from one source, its filter, the request
//! that (re)opens the read from its cursor, and scroll-back (pages before the window, fetched
//! on demand; the window stays bounded by dropping its newest entries).

use super::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most entries one scroll-back fetch brings (half the window when that is smaller).
pub const OLDER_PAGE: usize = 1_000;

/// What the entry list reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Segment {
        space: String,
        segment: String,
    },
    Space {
        space: String,
    },
    /// Several spaces merged by time (sorted, at least two).
    Spaces {
        spaces: Vec<String>,
    },
}

impl Source {
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Source::Segment { space, segment } => format!("{space}/{segment}"),
            Source::Space { space } => format!("{space}/*"),
            Source::Spaces { spaces } => format!("{}/*", spaces.join(",")),
        }
    }

    /// Whether the entries come from more than one segment (the list shows a segment column).
    #[must_use]
    pub fn merged(&self) -> bool {
        !matches!(self, Source::Segment { .. })
    }
}

/// Where a read starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Head,
    Tail,
    Sequence(u64),
    /// Unix milliseconds.
    Time(i64),
    /// Just after the entry at this offset (a space offset, or a segment offset for a segment
    /// read), as `skope consume` prints it.
    Offset(LexKey),
}

/// A stream the app loop should open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRequest {
    Segment(ConsumeSegment),
    Space(ConsumeSpace),
    Spaces(Consume),
}

/// A page of entries just before the window's first one (scroll-back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OlderRequest {
    /// Ties the answer to this request.
    pub id: u64,
    /// The window's first entry: the page ends just before it.
    pub before: Entry,
    /// At most this many entries (the newest ones before `before`).
    pub page: usize,
    pub read: OlderRead,
}

/// How a scroll-back page is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OlderRead {
    /// Sequences `min_sequence..=max_sequence` of a segment.
    Segment(ConsumeSegment),
    /// A time-ordered read of these spaces ending at `before`: first over the last `span_ms`
    /// before it, widened until a page is found or nothing older exists.
    Time { spaces: Vec<String>, span_ms: i64 },
}

/// The answer to an [`OlderRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OlderPage {
    /// Ascending; the last one is just before the request's `before`.
    pub entries: Vec<Entry>,
    /// Nothing is older than the first of `entries` (or than `before` when empty).
    pub at_start: bool,
}

/// A scroll-back fetch in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loading {
    pub id: u64,
    /// (space, segment, sequence) of the window's first entry when it was asked: an answer
    /// for another window is dropped.
    pub before: (String, String, u64),
    /// The motion to apply again once the page is in (it hit the top of what was loaded).
    pub replay: Option<Action>,
}

fn identity(e: &Entry) -> (String, String, u64) {
    (e.space.clone(), e.segment.clone(), e.sequence)
}

/// The merged read order of entries (time, then space, then the space's own order): a
/// multi-space read orders ties by space name, a space read by (segment, sequence).
#[must_use]
pub fn read_position(e: &Entry) -> (i64, &str, LexKey) {
    (e.timestamp, e.space.as_str(), e.space_offset())
}

/// The offset that resumes `space` in a merged read right after the position
/// (`at_ts`, `at_space`, `at_key`): the entry's own offset in its space; in a space that sorts
/// before it, after everything at that time; in one after it, before everything at that time.
#[must_use]
pub fn resume_offset(space: &str, at_ts: i64, at_space: &str, at_key: &LexKey) -> LexKey {
    if space == at_space {
        return at_key.clone();
    }
    let mut k = LexKey::encode(&[
        Part::Str(skope_proto::DATA),
        Part::Str(skope_proto::SPACES),
        Part::Str(space),
        Part::I64(at_ts),
    ]);
    if space < at_space {
        k.0.push(0xFF);
    }
    k
}

/// Centre pane: a bounded window over a live read.
#[derive(Debug, Clone)]
pub struct Entries {
    pub source: Option<Source>,
    pub start: Start,
    /// Shared, so a snapshot (an export) is a copy of pointers, not of entries.
    pub ring: VecDeque<Arc<Entry>>,
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
    /// Per space, the offset a multi-space read resumes after.
    pub last_offsets: BTreeMap<String, LexKey>,
    /// The scroll-back fetch in flight.
    pub loading_older: Option<Loading>,
    /// Bumped per scroll-back fetch (kept across reads, like `generation`).
    pub older_id: u64,
    /// A fetch found nothing older than the window's first entry.
    pub start_reached: bool,
    /// Scroll-back dropped the newest entries: the read is paused with its cursor at the
    /// window's last entry (`p` reads on from there, `End` goes back to the live tail).
    pub detached: bool,
    pub error: Option<String>,
    /// The `/` filter: only matching entries are rows.
    pub filter: Option<ActiveFilter>,
    /// Entries the window let go since the loop last took them: the loop frees them off its
    /// thread (freeing 100k entries/s was a third of its work while tailing).
    pub evicted: Vec<Arc<Entry>>,
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
    pub(super) fn new(cap: usize) -> Self {
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
            last_offsets: BTreeMap::new(),
            loading_older: None,
            older_id: 0,
            start_reached: false,
            detached: false,
            error: None,
            filter: None,
            evicted: Vec::new(),
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
    pub(super) fn shown(&self, abs: u64) -> bool {
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

    /// Put the selection on a shown row: the nearest one (the next one on a tie).
    pub(super) fn snap_selection(&mut self) {
        let n = self.visible_len();
        if n == 0 {
            return;
        }
        if self.follow {
            self.selected = self.visible_at(n - 1).unwrap_or(self.selected);
        } else if !self.shown(self.selected) {
            let sel = self.selected;
            let pos = self.visible_pos(sel);
            let next = (pos < n).then(|| self.visible_at(pos)).flatten();
            let prev = pos.checked_sub(1).and_then(|p| self.visible_at(p));
            self.selected = match (prev, next) {
                (Some(p), Some(x)) if sel - p < x - sel => p,
                (_, Some(x)) => x,
                (Some(p), None) => p,
                (None, None) => sel,
            };
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
        self.ring.get(i).map(AsRef::as_ref)
    }

    /// The shared entry at an absolute index.
    #[must_use]
    pub fn get_shared(&self, abs: u64) -> Option<&Arc<Entry>> {
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

    /// Whether the window's first entry is the first of the source (scroll-back stops there).
    #[must_use]
    pub fn at_start(&self) -> bool {
        self.start_reached
            || matches!(self.source, Some(Source::Segment { .. }))
                && self.ring.front().is_some_and(|e| e.sequence <= 1)
    }

    /// Let go of the whole window: its entries join `evicted` (freed off the loop's thread: a
    /// full window is 100k entries) and are returned with what was already there.
    #[must_use]
    pub(super) fn discard(&mut self) -> Vec<Arc<Entry>> {
        let mut out = std::mem::take(&mut self.evicted);
        out.extend(self.ring.drain(..));
        out
    }

    /// The resume cursor after `batch`: set once per batch from its last entry (of each space,
    /// for several spaces), not per entry (an offset is an allocation).
    fn advance_cursor(&mut self, batch: &[Entry]) {
        let Some(last) = batch.last() else { return };
        self.last_sequence = Some(last.sequence);
        match self.source {
            Some(Source::Space { .. }) => self.last_offset = Some(last.space_offset()),
            Some(Source::Spaces { .. }) => {
                let mut done: Vec<&str> = Vec::new();
                for e in batch.iter().rev() {
                    if !done.contains(&e.space.as_str()) {
                        done.push(&e.space);
                        self.last_offsets.insert(e.space.clone(), e.space_offset());
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn push_batch(&mut self, batch: Vec<Entry>) {
        self.advance_cursor(&batch);
        for e in batch {
            self.received += 1;
            let abs = self.end();
            if let Some(f) = &mut self.filter
                && f.filter.matches(&e)
            {
                f.matches.push_back(abs);
            }
            self.ring.push_back(Arc::new(e));
        }
        let over = self.ring.len().saturating_sub(self.cap);
        if over > 0 {
            self.start_reached = false;
            self.evicted.extend(self.ring.drain(..over));
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

    /// The scroll-back fetch to start now, if the window's first entry is not the source's.
    pub(super) fn older_request(&mut self, replay: Option<Action>) -> Option<OlderRequest> {
        if self.loading_older.is_some() || self.at_start() {
            return None;
        }
        let first = Entry::clone(self.ring.front()?);
        let page = (self.cap / 2).clamp(1, OLDER_PAGE);
        let read = match self.source.as_ref()? {
            Source::Segment { space, segment } => {
                let to = first.sequence.saturating_sub(1);
                OlderRead::Segment(ConsumeSegment {
                    space: space.clone(),
                    segment: segment.clone(),
                    min_sequence: to.saturating_sub(page as u64 - 1).max(1),
                    max_sequence: to,
                    ..ConsumeSegment::default()
                })
            }
            Source::Space { space } => OlderRead::Time {
                spaces: vec![space.clone()],
                span_ms: self.span_estimate(page),
            },
            Source::Spaces { spaces } => OlderRead::Time {
                spaces: spaces.clone(),
                span_ms: self.span_estimate(page),
            },
        };
        self.older_id += 1;
        self.loading_older = Some(Loading {
            id: self.older_id,
            before: identity(&first),
            replay,
        });
        Some(OlderRequest {
            id: self.older_id,
            before: first,
            page,
            read,
        })
    }

    /// How far back `page` entries likely reach, from the window's own rate (twice that, so
    /// one read usually finds a page).
    fn span_estimate(&self, page: usize) -> i64 {
        const MIN: i64 = 1_000;
        const MAX: i64 = 24 * 60 * 60 * 1000;
        const NONE: i64 = 60_000;
        match (self.ring.front(), self.ring.back()) {
            (Some(a), Some(b)) if self.ring.len() > 1 => {
                let per = (b.timestamp - a.timestamp).max(1) as f64 / (self.ring.len() - 1) as f64;
                #[allow(clippy::cast_possible_truncation)]
                let span = (per * page as f64 * 2.0) as i64;
                span.clamp(MIN, MAX)
            }
            _ => NONE,
        }
    }

    /// Apply the answer to scroll-back fetch `id`: `None` when it is stale (another fetch, or
    /// the window moved on), else the motion to replay. When the window overflowed it dropped
    /// its newest entries and is `detached` (its read must stop).
    pub(super) fn older_arrived(&mut self, id: u64, page: OlderPage) -> Option<Option<Action>> {
        let loading = self.loading_older.take_if(|l| l.id == id)?;
        if self.ring.front().map(|e| identity(e)).as_ref() != Some(&loading.before) {
            // The window moved on (evicted its front) while the page was read.
            return None;
        }
        if page.at_start || page.entries.is_empty() {
            self.start_reached = true;
        }
        self.prepend(page.entries);
        Some(loading.replay)
    }

    /// Put `older` (ascending, just before the window's first entry) in front. When the window
    /// overflows, its newest entries go, the cursor moves back to the new last entry and the
    /// view is detached from the tail.
    fn prepend(&mut self, older: Vec<Entry>) {
        let k = older.len() as u64;
        if k == 0 {
            return;
        }
        // Absolute indices cannot go below 0: shift every index up when needed.
        if self.base < k {
            let shift = k - self.base;
            self.base += shift;
            self.selected += shift;
            self.top += shift;
            if let Some(f) = &mut self.filter {
                for m in &mut f.matches {
                    *m += shift;
                }
            }
        }
        self.base -= k;
        let base = self.base;
        if let Some(f) = &mut self.filter {
            for (i, e) in older.iter().enumerate().rev() {
                if f.filter.matches(e) {
                    f.matches.push_front(base + i as u64);
                }
            }
        }
        for e in older.into_iter().rev() {
            self.ring.push_front(Arc::new(e));
        }
        if self.ring.len() <= self.cap {
            return;
        }
        self.evicted.extend(self.ring.drain(self.cap..));
        let end = self.end();
        if let Some(f) = &mut self.filter {
            while f.matches.back().is_some_and(|&m| m >= end) {
                f.matches.pop_back();
            }
        }
        self.selected = self.selected.min(end - 1);
        self.top = self.top.min(end - 1);
        self.follow = false;
        self.detached = true;
        self.paused = true;
        self.reading = false;
        // Batches already on their way belong to the dropped read.
        self.generation += 1;
        if let Some(back) = self.ring.back().cloned() {
            self.last_sequence = Some(back.sequence);
            match &self.source {
                Some(Source::Space { .. }) => self.last_offset = Some(back.space_offset()),
                Some(Source::Spaces { spaces }) => {
                    let key = back.space_offset();
                    self.last_offsets = spaces
                        .iter()
                        .map(|sp| {
                            let own = self.ring.iter().rev().find(|e| &e.space == sp);
                            let k = own.map_or_else(
                                || resume_offset(sp, back.timestamp, &back.space, &key),
                                |e| e.space_offset(),
                            );
                            (sp.clone(), k)
                        })
                        .collect();
                }
                _ => {}
            }
        }
    }

    pub(super) fn reset(&mut self, source: Source, start: Start) {
        let cap = self.cap;
        let generation = self.generation;
        let older_id = self.older_id;
        let filter = self.filter.take();
        let evicted = self.discard();
        *self = Entries::new(cap);
        self.evicted = evicted;
        self.generation = generation;
        self.older_id = older_id;
        self.start_reached = start == Start::Head;
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
                    match &self.start {
                        Start::Head => {}
                        Start::Tail => match tail_sequence {
                            Some(last) => {
                                c.min_sequence = last.saturating_sub(TAIL_BACKLOG - 1).max(1);
                            }
                            None => c.min_timestamp = now_ms - TAIL_SPAN_MS,
                        },
                        Start::Sequence(n) => c.min_sequence = *n,
                        Start::Time(t) => c.min_timestamp = *t,
                        Start::Offset(k) => {
                            let seq = k
                                .decode_space_offset()
                                .map(|o| o.sequence)
                                .or_else(|| k.decode_segment_offset().map(|o| o.sequence));
                            c.min_sequence = seq.map_or(0, |s| s + 1);
                        }
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
                    match &self.start {
                        Start::Head | Start::Sequence(_) => {}
                        Start::Tail => c.min_timestamp = now_ms - TAIL_SPAN_MS,
                        Start::Time(t) => c.min_timestamp = *t,
                        Start::Offset(k) => c.offset = k.clone(),
                    }
                }
                Some(StreamRequest::Space(c))
            }
            Source::Spaces { spaces } => {
                let mut c = Consume::default();
                // Spaces without a cursor yet start where the read started (a space with an
                // entry before the cursor position would have one).
                let mut offsets: BTreeMap<String, LexKey> = spaces
                    .iter()
                    .map(|s| (s.clone(), LexKey::default()))
                    .collect();
                match &self.start {
                    Start::Head | Start::Sequence(_) => {}
                    Start::Tail => c.min_timestamp = now_ms - TAIL_SPAN_MS,
                    Start::Time(t) => c.min_timestamp = *t,
                    Start::Offset(k) => {
                        if let Some(o) = k.decode_space_offset() {
                            for (space, off) in &mut offsets {
                                *off = resume_offset(space, o.timestamp, &o.space, k);
                            }
                        }
                    }
                }
                for (space, off) in &self.last_offsets {
                    offsets.insert(space.clone(), off.clone());
                }
                c.offsets = offsets;
                Some(StreamRequest::Spaces(c))
            }
        }
    }
}
