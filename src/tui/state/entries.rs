//! The entry window: a bounded ring of entries read from one source, its filter, and the
//! request that (re)opens the read from its cursor.

use super::*;

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

    /// Put the selection on a shown row (the next one, else the last one).
    pub(super) fn snap_selection(&mut self) {
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

    pub(super) fn push_batch(&mut self, batch: Vec<Entry>) {
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

    pub(super) fn reset(&mut self, source: Source, start: Start) {
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
