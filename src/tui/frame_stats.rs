//! Opt-in frame timing for benchmarks (`benches/tui_tail.rs`): with `SKOPE_FRAME_STATS=FILE`
//! the loop records how long each `terminal.draw` takes (wall time; the thread's CPU time, which
//! load on the machine does not inflate; and the part spent building the frame, the rest being
//! the diff and the write to the terminal), how long after a key its frame was drawn, and on
//! quit writes one JSON summary to FILE. Off, it costs one `Option` check per frame and per key.
//!
//! Durations go into fixed histograms (10 µs buckets up to 1 s, plus the exact maximum), so a
//! long session does not grow memory.

use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The environment variable naming the summary file.
pub const ENV: &str = "SKOPE_FRAME_STATS";

const BUCKET_US: u64 = 10;
const BUCKETS: usize = 100_000;

/// Counts of durations in [`BUCKET_US`] buckets; the last bucket holds everything longer.
struct Histogram {
    counts: Vec<u64>,
    n: u64,
    max: Duration,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            n: 0,
            max: Duration::ZERO,
        }
    }

    fn record(&mut self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let i = usize::try_from(micros / BUCKET_US).map_or(BUCKETS - 1, |i| i.min(BUCKETS - 1));
        self.counts[i] += 1;
        self.n += 1;
        self.max = self.max.max(d);
    }

    /// The upper bound of the bucket holding the `p`th percentile, in ms.
    fn percentile_ms(&self, p: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )] // a rank among at most a few million samples
        let rank = ((p / 100.0) * self.n as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                #[allow(clippy::cast_precision_loss)] // figures for humans
                return Some(((i as u64 + 1) * BUCKET_US) as f64 / 1000.0);
            }
        }
        None
    }

    fn summary(&self) -> Summary {
        Summary {
            count: self.n,
            p50_ms: self.percentile_ms(50.0),
            p99_ms: self.percentile_ms(99.0),
            max_ms: (self.n > 0).then_some(self.max.as_secs_f64() * 1000.0),
        }
    }
}

#[derive(Serialize)]
struct Summary {
    count: u64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    max_ms: Option<f64>,
}

/// What is written on quit.
#[derive(Serialize)]
struct Report {
    seconds: f64,
    /// `terminal.draw` durations (building the frame, diffing it, writing it out).
    draw: Summary,
    /// The drawing thread's CPU time per draw.
    draw_cpu: Summary,
    /// Building the frame (`ui::render`) per draw.
    render: Summary,
    /// From a key event taken off the queue to the end of the next draw.
    key_to_frame: Summary,
    size: (u16, u16),
    entries_received: u64,
    entries_in_window: usize,
    last_sequence: Option<u64>,
}

/// When a draw started.
#[derive(Clone, Copy)]
pub struct Mark {
    wall: Instant,
    cpu: Duration,
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map_or(Duration::ZERO, Duration::from)
}

/// The figures being collected.
pub struct FrameStats {
    path: PathBuf,
    started: Instant,
    draws: Histogram,
    draws_cpu: Histogram,
    renders: Histogram,
    keys: Histogram,
    /// A key whose frame has not been drawn yet.
    key_at: Option<Instant>,
}

impl FrameStats {
    /// Collecting when [`ENV`] names a file.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os(ENV).filter(|p| !p.is_empty())?;
        Some(FrameStats {
            path: path.into(),
            started: Instant::now(),
            draws: Histogram::new(),
            draws_cpu: Histogram::new(),
            renders: Histogram::new(),
            keys: Histogram::new(),
            key_at: None,
        })
    }

    /// A key arrived: the next draw is its frame.
    pub fn key(&mut self) {
        self.key_at.get_or_insert_with(Instant::now);
    }

    /// Taken before a draw.
    #[must_use]
    pub fn mark() -> Mark {
        Mark {
            wall: Instant::now(),
            cpu: thread_cpu(),
        }
    }

    /// The draw started at `mark` just ended; building its frame took `render`.
    pub fn drawn(&mut self, mark: Mark, render: Duration) {
        let now = Instant::now();
        self.draws.record(now - mark.wall);
        self.draws_cpu.record(thread_cpu().saturating_sub(mark.cpu));
        self.renders.record(render);
        if let Some(k) = self.key_at.take() {
            self.keys.record(now - k);
        }
    }

    /// Write the summary (on quit).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, state: &super::state::AppState) -> std::io::Result<()> {
        let report = Report {
            seconds: self.started.elapsed().as_secs_f64(),
            draw: self.draws.summary(),
            draw_cpu: self.draws_cpu.summary(),
            render: self.renders.summary(),
            key_to_frame: self.keys.summary(),
            size: state.size,
            entries_received: state.entries.received,
            entries_in_window: state.entries.ring.len(),
            last_sequence: state.entries.last_sequence,
        };
        let json = serde_json::to_string(&report).map_err(std::io::Error::other)?;
        std::fs::write(&self.path, json + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_bucket_upper_bounds() {
        let mut h = Histogram::new();
        assert!(h.percentile_ms(50.0).is_none());
        for us in [100, 200, 300, 400, 5_000] {
            h.record(Duration::from_micros(us));
        }
        assert_eq!(h.percentile_ms(50.0), Some(0.31));
        assert_eq!(h.percentile_ms(99.0), Some(5.01));
        assert_eq!(h.summary().max_ms, Some(5.0));
        // Past the last bucket: counted there, the maximum stays exact.
        h.record(Duration::from_secs(3));
        assert_eq!(h.percentile_ms(100.0), Some(1000.0));
        assert_eq!(h.summary().max_ms, Some(3000.0));
    }
}
