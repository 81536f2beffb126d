//! Client metrics: a hook trait (no-op by default) and an in-memory recorder that a health pane
//! can poll with [`MetricsRecorder::snapshot`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The operations the client counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    GetSpaces,
    GetSegments,
    Peek,
    Consume,
    ConsumeSpace,
    ConsumeSegment,
    Produce,
    Publish,
    Subscribe,
    SubscribeWorkers,
    LeaseAcquire,
    LeaseRenew,
    LeaseRelease,
}

impl Operation {
    /// Every operation, in index order.
    pub const ALL: [Operation; 13] = [
        Operation::GetSpaces,
        Operation::GetSegments,
        Operation::Peek,
        Operation::Consume,
        Operation::ConsumeSpace,
        Operation::ConsumeSegment,
        Operation::Produce,
        Operation::Publish,
        Operation::Subscribe,
        Operation::SubscribeWorkers,
        Operation::LeaseAcquire,
        Operation::LeaseRenew,
        Operation::LeaseRelease,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::GetSpaces => "get_spaces",
            Operation::GetSegments => "get_segments",
            Operation::Peek => "peek",
            Operation::Consume => "consume",
            Operation::ConsumeSpace => "consume_space",
            Operation::ConsumeSegment => "consume_segment",
            Operation::Produce => "produce",
            Operation::Publish => "publish",
            Operation::Subscribe => "subscribe",
            Operation::SubscribeWorkers => "subscribe_workers",
            Operation::LeaseAcquire => "lease_acquire",
            Operation::LeaseRenew => "lease_renew",
            Operation::LeaseRelease => "lease_release",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Hooks the client calls. Every method has a no-op default; implement what you need.
/// Calls happen on the client's tasks: keep them cheap and non-blocking.
pub trait Metrics: Send + Sync + 'static {
    /// An operation finished (for streams: when the stream was opened, or failed to open).
    fn record_operation(&self, _op: Operation, _ok: bool, _latency: Duration) {}
    /// A stream open is being retried after a retryable error.
    fn record_retry(&self, _op: Operation) {}
    /// A consume stream resumed after a mid-stream failure.
    fn record_resume(&self, _op: Operation) {}
    /// The connection was re-established (not counted for the first connection).
    fn record_reconnect(&self) {}
    /// A produce split committed (Go `record_produce_latency`).
    fn record_produce_latency(&self, _space: &str, _segment: &str, _latency: Duration) {}
    /// Time to the first entry of a consume (Go `record_consume_latency`).
    fn record_consume_latency(&self, _space: &str, _segment: &str, _latency: Duration) {}
    /// A subscription was re-established after a failure.
    fn record_subscription_replay(&self, _id: &str, _ok: bool, _latency: Duration) {}
    fn record_handler_timeout(&self, _id: &str) {}
    fn record_handler_panic(&self, _id: &str) {}
    fn record_subscription_coalesced(&self, _id: &str) {}
}

/// The default: records nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopMetrics;

impl Metrics for NoopMetrics {}

#[derive(Debug, Default)]
struct OpCounters {
    ok: AtomicU64,
    failed: AtomicU64,
    retries: AtomicU64,
    resumes: AtomicU64,
    latency_nanos: AtomicU64,
    max_latency_nanos: AtomicU64,
}

/// Lock-free in-memory metrics.
#[derive(Debug, Default)]
pub struct MetricsRecorder {
    ops: [OpCounters; Operation::ALL.len()],
    reconnects: AtomicU64,
    produce_commits: AtomicU64,
    produce_latency_nanos: AtomicU64,
    consume_latency_nanos: AtomicU64,
    consume_first_entries: AtomicU64,
    replays_ok: AtomicU64,
    replays_failed: AtomicU64,
    handler_timeouts: AtomicU64,
    handler_panics: AtomicU64,
    coalesced: AtomicU64,
}

/// Totals of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationSnapshot {
    pub ok: u64,
    pub failed: u64,
    pub retries: u64,
    pub resumes: u64,
    pub mean_latency: Duration,
    pub max_latency: Duration,
}

/// A copy of every counter at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    pub operations: Vec<(Operation, OperationSnapshot)>,
    pub reconnects: u64,
    pub produce_commits: u64,
    pub mean_produce_latency: Duration,
    pub mean_consume_latency: Duration,
    pub subscription_replays_ok: u64,
    pub subscription_replays_failed: u64,
    pub handler_timeouts: u64,
    pub handler_panics: u64,
    pub coalesced_updates: u64,
}

impl MetricsSnapshot {
    /// The totals of `op`.
    #[must_use]
    pub fn operation(&self, op: Operation) -> OperationSnapshot {
        self.operations
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn mean(total: u64, n: u64) -> Duration {
    Duration::from_nanos(total.checked_div(n).unwrap_or(0))
}

impl MetricsRecorder {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Read every counter (each is read atomically; the set is not a transaction).
    #[must_use]
    pub fn snapshot(&self) -> MetricsSnapshot {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let operations = Operation::ALL
            .iter()
            .map(|op| {
                let c = &self.ops[op.index()];
                let n = r(&c.ok) + r(&c.failed);
                (
                    *op,
                    OperationSnapshot {
                        ok: r(&c.ok),
                        failed: r(&c.failed),
                        retries: r(&c.retries),
                        resumes: r(&c.resumes),
                        mean_latency: mean(r(&c.latency_nanos), n),
                        max_latency: Duration::from_nanos(r(&c.max_latency_nanos)),
                    },
                )
            })
            .collect();
        MetricsSnapshot {
            operations,
            reconnects: r(&self.reconnects),
            produce_commits: r(&self.produce_commits),
            mean_produce_latency: mean(r(&self.produce_latency_nanos), r(&self.produce_commits)),
            mean_consume_latency: mean(
                r(&self.consume_latency_nanos),
                r(&self.consume_first_entries),
            ),
            subscription_replays_ok: r(&self.replays_ok),
            subscription_replays_failed: r(&self.replays_failed),
            handler_timeouts: r(&self.handler_timeouts),
            handler_panics: r(&self.handler_panics),
            coalesced_updates: r(&self.coalesced),
        }
    }
}

impl Metrics for MetricsRecorder {
    fn record_operation(&self, op: Operation, ok: bool, latency: Duration) {
        let c = &self.ops[op.index()];
        if ok { &c.ok } else { &c.failed }.fetch_add(1, Ordering::Relaxed);
        c.latency_nanos.fetch_add(nanos(latency), Ordering::Relaxed);
        c.max_latency_nanos
            .fetch_max(nanos(latency), Ordering::Relaxed);
    }
    fn record_retry(&self, op: Operation) {
        self.ops[op.index()].retries.fetch_add(1, Ordering::Relaxed);
    }
    fn record_resume(&self, op: Operation) {
        self.ops[op.index()].resumes.fetch_add(1, Ordering::Relaxed);
    }
    fn record_reconnect(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }
    fn record_produce_latency(&self, _space: &str, _segment: &str, latency: Duration) {
        self.produce_commits.fetch_add(1, Ordering::Relaxed);
        self.produce_latency_nanos
            .fetch_add(nanos(latency), Ordering::Relaxed);
    }
    fn record_consume_latency(&self, _space: &str, _segment: &str, latency: Duration) {
        self.consume_first_entries.fetch_add(1, Ordering::Relaxed);
        self.consume_latency_nanos
            .fetch_add(nanos(latency), Ordering::Relaxed);
    }
    fn record_subscription_replay(&self, _id: &str, ok: bool, _latency: Duration) {
        if ok {
            &self.replays_ok
        } else {
            &self.replays_failed
        }
        .fetch_add(1, Ordering::Relaxed);
    }
    fn record_handler_timeout(&self, _id: &str) {
        self.handler_timeouts.fetch_add(1, Ordering::Relaxed);
    }
    fn record_handler_panic(&self, _id: &str) {
        self.handler_panics.fetch_add(1, Ordering::Relaxed);
    }
    fn record_subscription_coalesced(&self, _id: &str) {
        self.coalesced.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorder_counts() {
        let m = MetricsRecorder::new();
        m.record_operation(Operation::Peek, true, Duration::from_millis(2));
        m.record_operation(Operation::Peek, false, Duration::from_millis(4));
        m.record_retry(Operation::Peek);
        m.record_reconnect();
        m.record_handler_timeout("x");
        let s = m.snapshot();
        let p = s.operation(Operation::Peek);
        assert_eq!((p.ok, p.failed, p.retries), (1, 1, 1));
        assert_eq!(p.mean_latency, Duration::from_millis(3));
        assert_eq!(p.max_latency, Duration::from_millis(4));
        assert_eq!(s.reconnects, 1);
        assert_eq!(s.handler_timeouts, 1);
        assert_eq!(
            s.operation(Operation::Produce),
            OperationSnapshot::default()
        );
    }
}
