//! The left pane: spaces, then the segments of the watched space with live status and rates.

use super::Level;
use super::{Load, SPARK_SECONDS};
use skope_client::SegmentStatus;
use std::collections::{BTreeSet, VecDeque};

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

    pub(super) fn advance(&mut self, sec: i64) {
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
    /// Spaces marked in the space list (Enter on two or more opens them merged by time).
    pub marked: BTreeSet<String>,
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

    pub(super) fn select(&mut self, i: usize) {
        let i = i.min(self.len().saturating_sub(1));
        match self.level {
            Level::Spaces => self.space_sel = i,
            Level::Segments => self.seg_sel = i,
        }
    }
}
