//! Worker presence (PROTOCOL §4.9): observers and workers on `subscribe_workers` streams,
//! enveloped both ways; the inventory is pushed on every change (coalesced per subscriber).

use super::channel::{ChannelIo, Finish, Inbound};
use super::hub::StoreHub;
use super::lock;
use skope_proto::errors::text;
use skope_proto::{
    Message, Presence, SubscribeWorkers, Uuid, WorkerInfo, WorkerInventory, now_ms,
    worker_ttl_seconds,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

const HEARTBEAT_MIN_SECONDS: i64 = 1;
const HEARTBEAT_MAX_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy)]
enum Signal {
    /// Another stream registered this worker id.
    TakenOver,
    /// Stale: dropped without a frame.
    Evicted,
}

struct Worker {
    info: WorkerInfo,
    stream: u64,
    ttl: Duration,
    last_seen: Instant,
    signal: mpsc::Sender<Signal>,
}

/// The worker presence of one store.
pub(crate) struct Workers {
    /// Keyed by the raw UUID bytes: the inventory order.
    workers: Mutex<BTreeMap<[u8; 16], Worker>>,
    inventory: watch::Sender<Arc<WorkerInventory>>,
    next_stream: AtomicU64,
}

impl Workers {
    pub(crate) fn new() -> Self {
        let (inventory, _) = watch::channel(Arc::new(WorkerInventory::default()));
        Workers {
            workers: Mutex::new(BTreeMap::new()),
            inventory,
            next_stream: AtomicU64::new(1),
        }
    }

    /// Publish the current inventory (caller holds the map lock, so pushes are ordered).
    fn broadcast(&self, workers: &BTreeMap<[u8; 16], Worker>) {
        let inv = WorkerInventory {
            workers: workers.values().map(|w| w.info.clone()).collect(),
            timestamp: now_ms(),
        };
        self.inventory.send_replace(Arc::new(inv));
    }

    fn changed(&self) {
        let map = lock(&self.workers);
        self.broadcast(&map);
    }

    /// Remove stale workers and tell their streams to end silently.
    pub(crate) fn sweep(&self) {
        let mut map = lock(&self.workers);
        let stale: Vec<[u8; 16]> = map
            .iter()
            .filter(|(_, w)| w.last_seen.elapsed() > w.ttl)
            .map(|(k, _)| *k)
            .collect();
        if stale.is_empty() {
            return;
        }
        for k in stale {
            if let Some(w) = map.remove(&k) {
                let _ = w.signal.try_send(Signal::Evicted);
            }
        }
        self.broadcast(&map);
    }

    fn register(&self, id: Uuid, info: WorkerInfo, ttl: Duration) -> (u64, mpsc::Receiver<Signal>) {
        let stream = self.next_stream.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(1);
        let mut map = lock(&self.workers);
        let old = map.insert(
            *id.as_bytes(),
            Worker {
                info,
                stream,
                ttl,
                last_seen: Instant::now(),
                signal: tx,
            },
        );
        if let Some(old) = old {
            let _ = old.signal.try_send(Signal::TakenOver);
        }
        self.broadcast(&map);
        (stream, rx)
    }

    fn renew(&self, id: Uuid, stream: u64, timestamp: i64) {
        let mut map = lock(&self.workers);
        if let Some(w) = map.get_mut(id.as_bytes()).filter(|w| w.stream == stream) {
            w.last_seen = Instant::now();
            w.info.last_seen_at = if timestamp > 0 { timestamp } else { now_ms() };
        }
    }

    fn unregister(&self, id: Uuid, stream: u64) {
        let mut map = lock(&self.workers);
        if map.get(id.as_bytes()).is_some_and(|w| w.stream == stream) {
            map.remove(id.as_bytes());
        }
        self.broadcast(&map);
    }
}

pub(crate) async fn run(hub: &Arc<StoreHub>, io: &mut ChannelIo, q: SubscribeWorkers) -> Finish {
    let workers = &hub.workers;
    if q.worker_id.is_nil() {
        let mut inv = workers.inventory.subscribe();
        let finish = observe(io, &mut inv, None).await;
        workers.changed();
        return finish;
    }
    let id = q.worker_id;
    let h = q
        .heartbeat_interval_seconds
        .clamp(HEARTBEAT_MIN_SECONDS, HEARTBEAT_MAX_SECONDS);
    let ttl = Duration::from_secs(worker_ttl_seconds(h).unsigned_abs());
    let info = WorkerInfo {
        worker_id: id,
        metadata: q.metadata,
        last_seen_at: now_ms(),
    };
    let (stream, signals) = workers.register(id, info, ttl);
    let mut inv = workers.inventory.subscribe();
    let worker = WorkerStream {
        id,
        stream,
        interval: Duration::from_secs(h.unsigned_abs()),
        signals,
    };
    let finish = observe(io, &mut inv, Some((worker, workers))).await;
    workers.unregister(id, stream);
    finish
}

struct WorkerStream {
    id: Uuid,
    stream: u64,
    interval: Duration,
    signals: mpsc::Receiver<Signal>,
}

async fn send_inventory(io: &ChannelIo, inv: &mut watch::Receiver<Arc<WorkerInventory>>) -> bool {
    // The time of sending, not of the last change.
    let mut current = (**inv.borrow_and_update()).clone();
    current.timestamp = now_ms();
    io.send(Message::WorkerInventory(current).encode())
        .await
        .is_ok()
}

/// Serve an observer (`worker` = `None`) or a worker stream until it ends.
async fn observe(
    io: &mut ChannelIo,
    inv: &mut watch::Receiver<Arc<WorkerInventory>>,
    mut worker: Option<(WorkerStream, &Workers)>,
) -> Finish {
    if !send_inventory(io, inv).await {
        return Finish::Forget;
    }
    let mut ticker = worker.as_ref().map(|(w, _)| {
        let mut t = tokio::time::interval(w.interval);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        tokio::select! {
            changed = inv.changed() => {
                if changed.is_err() || !send_inventory(io, inv).await {
                    return Finish::Forget;
                }
            }
            _ = async {
                match ticker.as_mut() {
                    Some(t) => t.tick().await,
                    None => std::future::pending().await,
                }
            } => {
                let Some((w, _)) = worker.as_ref() else { continue };
                let p = Presence { worker_id: w.id, heartbeat: true, timestamp: now_ms() };
                if io.send(Message::Presence(p).encode()).await.is_err() {
                    return Finish::Forget;
                }
            }
            signal = async {
                match worker.as_mut() {
                    Some((w, _)) => w.signals.recv().await,
                    None => std::future::pending().await,
                }
            } => match signal {
                Some(Signal::TakenOver) => {
                    let _ = io.close_err(text::WORKER_TAKEN_OVER).await;
                    return Finish::Forget;
                }
                Some(Signal::Evicted) | None => return Finish::Forget,
            },
            inbound = io.rx.recv() => match inbound {
                None | Some(Inbound::Control(_)) => return Finish::Forget,
                Some(Inbound::Data(bytes)) => {
                    let Some((w, workers)) = worker.as_ref() else { continue };
                    match Message::decode(&bytes) {
                        Ok(Message::Presence(p)) => {
                            if !p.worker_id.is_nil() && p.worker_id != w.id {
                                let _ = io.close_err(&text::worker_mismatch(&w.id, &p.worker_id)).await;
                                return Finish::Forget;
                            }
                            if !p.heartbeat {
                                workers.renew(w.id, w.stream, p.timestamp);
                            }
                        }
                        Ok(other) => {
                            let _ = io.close_err(&text::worker_unexpected_type(other.go_type())).await;
                            return Finish::Forget;
                        }
                        Err(e) => {
                            let _ = io.close_err(&e.to_string()).await;
                            return Finish::Forget;
                        }
                    }
                }
            },
        }
    }
}
