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

/// Worker sweep period (PROTOCOL §4.9).
const WORKER_SWEEP: Duration = Duration::from_secs(5);
/// Lease sweep period (PROTOCOL §4.8).
const LEASE_SWEEP: Duration = Duration::from_secs(60);

type SegmentLock = Arc<tokio::sync::Mutex<()>>;

pub(crate) struct StoreHub {
    pub store: Arc<Store>,
    pub subs: SubHub,
    pub leases: Leases,
    pub workers: Workers,
    segment_locks: Mutex<HashMap<(String, String), SegmentLock>>,
}

impl StoreHub {
    pub(crate) fn new(store: Arc<Store>) -> Arc<Self> {
        let hub = Arc::new(StoreHub {
            store,
            subs: SubHub::default(),
            leases: Leases::default(),
            workers: Workers::new(),
            segment_locks: Mutex::new(HashMap::new()),
        });
        tokio::spawn(sweep(Arc::downgrade(&hub)));
        hub
    }

    /// Serialize produces per (space, segment) for the whole stream (PROTOCOL §8.2).
    pub(crate) async fn lock_segment(&self, space: &str, segment: &str) -> SegmentGuard<'_> {
        let m = {
            let mut locks = lock(&self.segment_locks);
            locks.retain(|_, l| Arc::strong_count(l) > 1);
            locks
                .entry((space.to_owned(), segment.to_owned()))
                .or_default()
                .clone()
        };
        let guard = m.clone().lock_owned().await;
        SegmentGuard {
            _guard: guard,
            _hub: self,
        }
    }
}

pub(crate) struct SegmentGuard<'a> {
    _guard: tokio::sync::OwnedMutexGuard<()>,
    _hub: &'a StoreHub,
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
