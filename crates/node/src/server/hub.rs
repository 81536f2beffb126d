//! Per-store server state: the store, per-segment produce locks, subscriptions, leases and
//! worker presence, plus the sweeper task that expires leases and stale workers.

use super::leases::Leases;
use super::lock;
use super::subs::SubHub;
use super::workers::Workers;
use crate::storage::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::oneshot;

/// Worker sweep period (PROTOCOL §4.9).
const WORKER_SWEEP: Duration = Duration::from_secs(5);
/// Lease sweep period (PROTOCOL §4.8).
const LEASE_SWEEP: Duration = Duration::from_secs(60);

/// Signalled (by dropping its sender) when a produce stream's turn on its segment ends.
type TurnDone = oneshot::Receiver<()>;

pub(crate) struct StoreHub {
    pub store: Arc<Store>,
    pub subs: SubHub,
    pub leases: Leases,
    pub workers: Workers,
    segment_turns: SegmentTurns,
}

impl StoreHub {
    pub(crate) fn new(store: Arc<Store>) -> Arc<Self> {
        let hub = Arc::new(StoreHub {
            store,
            subs: SubHub::default(),
            leases: Leases::default(),
            workers: Workers::new(),
            segment_turns: SegmentTurns::default(),
        });
        tokio::spawn(sweep(Arc::downgrade(&hub)));
        hub
    }

    /// Serialize produces per (space, segment) for the whole stream (PROTOCOL §8.2), in the
    /// order their streams opened: the muxer takes the ticket when it reads the request, so a
    /// client that streams its next batch while the previous one commits is served in order.
    pub(crate) fn segment_ticket(&self, space: &str, segment: &str) -> SegmentTicket {
        self.segment_turns.ticket(space, segment)
    }
}

/// Per segment, the end of the newest produce stream's turn (the next ticket waits on it).
#[derive(Default)]
pub(crate) struct SegmentTurns(Mutex<HashMap<(String, String), TurnDone>>);

impl SegmentTurns {
    /// Queue up behind every ticket taken before (FIFO).
    pub(crate) fn ticket(&self, space: &str, segment: &str) -> SegmentTicket {
        let (done, turn) = oneshot::channel();
        let prev = {
            let mut turns = lock(&self.0);
            // Forget turns that ended (their sender is gone).
            turns.retain(|_, t| !matches!(t.try_recv(), Err(oneshot::error::TryRecvError::Closed)));
            turns.insert((space.to_owned(), segment.to_owned()), turn)
        };
        SegmentTicket {
            prev,
            done: Some(done),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.0).len()
    }
}

/// A place in a segment's produce queue; [`SegmentTicket::wait`] for the turn.
pub(crate) struct SegmentTicket {
    prev: Option<TurnDone>,
    done: Option<oneshot::Sender<()>>,
}

impl SegmentTicket {
    /// Wait until every stream that took a ticket earlier is done.
    pub(crate) async fn wait(mut self) -> SegmentGuard {
        if let Some(prev) = self.prev.as_mut() {
            // Ok never comes (senders are only dropped); Err means "done".
            let _ = prev.await;
        }
        self.prev = None;
        SegmentGuard {
            _done: self.done.take(),
        }
    }
}

impl Drop for SegmentTicket {
    fn drop(&mut self) {
        // A ticket given up before its turn must not let its successor skip the queue: hand
        // the turn on only once the predecessor is done.
        if let (Some(prev), Some(done)) = (self.prev.take(), self.done.take())
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = prev.await;
                drop(done);
            });
        }
    }
}

/// The turn on a segment; dropping it lets the next produce stream in.
pub(crate) struct SegmentGuard {
    _done: Option<oneshot::Sender<()>>,
}

async fn sweep(hub: Weak<StoreHub>) {
    let mut tick = tokio::time::interval(WORKER_SWEEP);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut since_lease_sweep = Duration::ZERO;
    loop {
        tick.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        hub.workers.sweep();
        since_lease_sweep += WORKER_SWEEP;
        if since_lease_sweep >= LEASE_SWEEP {
            since_lease_sweep = Duration::ZERO;
            hub.leases.sweep();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[tokio::test]
    async fn tickets_take_turns_in_order_and_a_dropped_ticket_keeps_its_place() {
        let turns = SegmentTurns::default();
        let a = turns.ticket("s", "g");
        let b = turns.ticket("s", "g");
        let c = turns.ticket("s", "g");
        let other = turns.ticket("s", "h");
        // Another segment does not wait.
        assert!(other.wait().now_or_never().is_some());
        let ga = a
            .wait()
            .now_or_never()
            .expect("first ticket's turn at once");
        // b gives up while a still holds its turn: c must still wait for a.
        drop(b);
        let mut c = Box::pin(c.wait());
        tokio::task::yield_now().await;
        assert!((&mut c).now_or_never().is_none());
        drop(ga);
        let gc = tokio::time::timeout(Duration::from_secs(5), c)
            .await
            .expect("c's turn after a");
        drop(gc);
        // Ended turns are forgotten.
        let _d = turns.ticket("x", "y");
        assert_eq!(turns.len(), 1);
    }
}
