//! Subscriptions: segment-status updates and worker inventories, delivered to a handler.
//!
//! * Each subscription has a loop task that reads its channel without ever blocking on a
//!   handler (so it never stalls the connection actor).
//! * Handlers are synchronous `Fn`s run on Tokio's blocking pool, at most
//!   `max_concurrent_handlers` (default 50) at once per subscription, and at most one at a time
//!   per segment (so one segment's updates reach the handler in order — stricter than Go, which
//!   may run them concurrently). A status that cannot start at once is parked; a newer status of
//!   the same segment replaces the parked one (counted as coalesced). Parked statuses start in
//!   first-arrival order as slots free up.
//! * Handler timeout (default 30 s): the client stops waiting (the handler is not killed), frees
//!   the slot and counts a timeout. Panics are caught and counted.
//! * Heartbeat statuses never reach the handler; statuses of other spaces/segments (the Go
//!   server's name-prefix leak) are dropped.
//! * Beyond Go: a retryable failure (the connection dropped) re-opens the subscription under the
//!   retry policy; the server then sends a fresh snapshot, then live updates. A permanent
//!   failure (or an exhausted retry budget) marks it failed and removes it from the registry.

use crate::client::{Client, decode_payload, lock};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Operation;
use crate::mux::Channel;
use skope_proto::{
    Message, Metadata, Presence, SegmentStatus, SubscribeToSegmentStatus, SubscribeWorkers, Uuid,
    WORKER_HEARTBEAT_MAX_SECONDS, WORKER_HEARTBEAT_MIN_SECONDS, WORKER_RENEW_INTERVAL_SECONDS,
    WorkerInventory,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Handler of segment-status updates.
pub type StatusHandler = Arc<dyn Fn(SegmentStatus) + Send + Sync>;
/// Handler of worker inventories.
pub type InventoryHandler = Arc<dyn Fn(WorkerInventory) + Send + Sync>;

/// Health of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    Active,
    /// Lost its stream; re-opening it.
    Reconnecting,
    /// Gave up (permanent error or retries exhausted); about to leave the registry.
    Failed,
}

impl SubscriptionState {
    /// Go's `Status` text.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Active => "active",
            SubscriptionState::Reconnecting => "reconnecting",
            SubscriptionState::Failed => "failed",
        }
    }
}

/// What a subscription is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionTarget {
    /// Segment statuses of `space` (`segment == "*"`: every segment).
    Segment { space: String, segment: String },
    /// Worker inventory (observer when `worker_id` is nil).
    Workers { worker_id: Uuid },
}

/// A copy of a subscription's health counters.
#[derive(Debug, Clone)]
pub struct SubscriptionStatus {
    pub id: String,
    pub store: Uuid,
    pub target: SubscriptionTarget,
    pub state: SubscriptionState,
    /// Updates handed to the handler.
    pub updates_delivered: u64,
    /// Heartbeat statuses / presence echoes seen (never handed to the handler).
    pub heartbeats_seen: u64,
    /// Successful re-subscriptions after a failure.
    pub reconnects: u64,
    /// Stream failures observed.
    pub failure_count: u64,
    pub handler_timeouts: u64,
    pub handler_panics: u64,
    /// Parked updates replaced by a newer one of the same segment.
    pub coalesced_updates: u64,
    /// Updates parked right now.
    pub pending_updates: usize,
    pub last_error: Option<Error>,
    /// When the last update was handed to the handler.
    pub last_update: Option<SystemTime>,
    /// `last_sequence` of the last status handed to the handler (0 for workers).
    pub last_sequence: u64,
}

type Shared = Arc<Mutex<SubscriptionStatus>>;

/// The client's subscriptions by id.
#[derive(Default)]
pub(crate) struct SubscriptionRegistry {
    map: Mutex<HashMap<String, Shared>>,
}

impl SubscriptionRegistry {
    fn insert(&self, id: String, status: Shared) {
        lock(&self.map).insert(id, status);
    }
    fn remove(&self, id: &str) -> bool {
        lock(&self.map).remove(id).is_some()
    }
    fn get(&self, id: &str) -> Option<SubscriptionStatus> {
        lock(&self.map).get(id).map(|s| lock(s).clone())
    }
    fn ids(&self) -> Vec<String> {
        lock(&self.map).keys().cloned().collect()
    }
}

/// Handle of a running subscription. Dropping it cancels the subscription (without waiting);
/// [`Subscription::unsubscribe`] cancels and waits; [`Subscription::detach`] lets it run until
/// the client closes.
#[must_use = "dropping a Subscription cancels it"]
pub struct Subscription {
    id: String,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
    detached: bool,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The subscription id (a random UUID string), for [`Client::subscription_status`].
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Stop: close the stream with `context canceled` and wait for the loop to end.
    pub async fn unsubscribe(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Keep it running after this handle is dropped (until [`Client::close`]); returns the id.
    #[must_use]
    pub fn detach(mut self) -> String {
        self.detached = true;
        std::mem::take(&mut self.id)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if !self.detached {
            self.cancel.cancel();
        }
    }
}

/// Options of [`Client::subscribe_workers`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerOptions {
    /// `None`: observe only. `Some(id)`: register as a worker and send presence renewals.
    pub worker_id: Option<Uuid>,
    pub metadata: Metadata,
    /// Renewal interval (ceil to seconds, clamped to [1, 300]; default 30 s).
    pub heartbeat_interval: Option<Duration>,
}

impl WorkerOptions {
    /// Observe the inventory without registering.
    #[must_use]
    pub fn observer() -> Self {
        Self::default()
    }

    /// Register as worker `id`.
    #[must_use]
    pub fn worker(id: Uuid) -> Self {
        WorkerOptions {
            worker_id: Some(id),
            ..Self::default()
        }
    }

    #[must_use]
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    #[must_use]
    pub fn with_heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = Some(interval);
        self
    }

    fn interval_seconds(&self) -> i64 {
        match self.heartbeat_interval {
            None => WORKER_RENEW_INTERVAL_SECONDS,
            Some(d) if d.is_zero() => WORKER_RENEW_INTERVAL_SECONDS,
            Some(d) => {
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                let secs = if d.subsec_nanos() > 0 {
                    secs.saturating_add(1)
                } else {
                    secs
                };
                secs.clamp(WORKER_HEARTBEAT_MIN_SECONDS, WORKER_HEARTBEAT_MAX_SECONDS)
            }
        }
    }
}

#[derive(Clone)]
enum Handler {
    Status(StatusHandler),
    Inventory(InventoryHandler),
}

#[derive(Clone)]
enum Item {
    Status(SegmentStatus),
    Inventory(WorkerInventory),
}

enum Outcome {
    Done,
    TimedOut,
    Panicked,
}

enum Spec {
    Segment {
        space: String,
        segment: String,
    },
    Workers {
        request: SubscribeWorkers,
        interval: Option<Duration>,
    },
}

impl Spec {
    fn request(&self) -> Message {
        match self {
            Spec::Segment { space, segment } => {
                Message::SubscribeToSegmentStatus(SubscribeToSegmentStatus {
                    space: space.clone(),
                    segment: segment.clone(),
                    heartbeat_interval_seconds: 0,
                })
            }
            Spec::Workers { request, .. } => Message::SubscribeWorkers(request.clone()),
        }
    }

    fn op(&self) -> Operation {
        match self {
            Spec::Segment { .. } => Operation::Subscribe,
            Spec::Workers { .. } => Operation::SubscribeWorkers,
        }
    }
}

enum Decoded {
    Deliver(String, Item),
    Heartbeat,
    Skip,
}

struct Engine {
    client: Client,
    store: Uuid,
    id: String,
    spec: Spec,
    handler: Handler,
    status: Shared,
    cancel: CancellationToken,
    in_flight: usize,
    busy: HashSet<String>,
    order: VecDeque<String>,
    parked: HashMap<String, Item>,
    done_tx: mpsc::UnboundedSender<(String, Outcome)>,
    done_rx: mpsc::UnboundedReceiver<(String, Outcome)>,
}

enum PumpEnd {
    Cancelled,
    Failed(Error, bool),
}

impl Engine {
    fn update(&self, f: impl FnOnce(&mut SubscriptionStatus)) {
        f(&mut lock(&self.status));
    }

    /// The re-subscription schedule: bounded as Go's, or endless for patient clients.
    fn sleeps(&self) -> crate::retry::Backoff {
        let b = self.client.inner.policy.backoff();
        if self.client.inner.patient_subscriptions {
            b.endless()
        } else {
            b
        }
    }

    async fn run(mut self, mut channel: Channel) {
        let mut sleeps = self.sleeps();
        loop {
            let end = self.pump(&mut channel).await;
            let (err, progressed) = match end {
                PumpEnd::Cancelled => {
                    let _ = channel.tx.close_send(Some("context canceled")).await;
                    break;
                }
                PumpEnd::Failed(e, progressed) => (e, progressed),
            };
            tracing::debug!(id = %self.id, error = %err, "subscription stream failed");
            self.update(|s| {
                s.failure_count += 1;
                s.last_error = Some(err.clone());
            });
            if progressed {
                sleeps = self.sleeps();
            }
            let sleep = if err.is_retryable() && !self.client.is_closed() {
                sleeps.next()
            } else {
                None
            };
            let Some(sleep) = sleep else {
                self.fail(err);
                return;
            };
            self.update(|s| s.state = SubscriptionState::Reconnecting);
            let started = Instant::now();
            let cancel = self.cancel.clone();
            let mut sleep = sleep;
            let reopened = loop {
                tokio::select! {
                    () = cancel.cancelled() => break None,
                    () = tokio::time::sleep(sleep) => {}
                }
                let request = self.spec.request();
                let r = tokio::select! {
                    () = cancel.cancelled() => break None,
                    r = self.client.open(self.spec.op(), self.store, &request) => r,
                };
                match r {
                    // A patient subscription keeps trying while the server is away.
                    Err(e)
                        if self.client.inner.patient_subscriptions
                            && e.is_retryable()
                            && !self.client.is_closed() =>
                    {
                        self.update(|s| s.last_error = Some(e.clone()));
                        sleep = sleeps
                            .next()
                            .unwrap_or(self.client.inner.policy.max_backoff);
                    }
                    r => break Some(r),
                }
            };
            match reopened {
                None => break,
                Some(Ok(ch)) => {
                    channel = ch;
                    self.client.metrics().record_subscription_replay(
                        &self.id,
                        true,
                        started.elapsed(),
                    );
                    self.update(|s| {
                        s.reconnects += 1;
                        s.state = SubscriptionState::Active;
                    });
                }
                Some(Err(e)) => {
                    self.client.metrics().record_subscription_replay(
                        &self.id,
                        false,
                        started.elapsed(),
                    );
                    self.fail(e);
                    return;
                }
            }
        }
        self.client.inner.subs.remove(&self.id);
    }

    fn fail(&self, err: Error) {
        tracing::warn!(id = %self.id, error = %err, "subscription failed");
        self.update(|s| {
            s.state = SubscriptionState::Failed;
            s.last_error = Some(err);
        });
        self.client.inner.subs.remove(&self.id);
    }

    async fn pump(&mut self, channel: &mut Channel) -> PumpEnd {
        let (heartbeat_timeout, mut renew) = match &self.spec {
            Spec::Workers {
                interval: Some(d), ..
            } => (Some(*d * 3), Some(tokio::time::interval(*d))),
            _ => (None, None),
        };
        let mut deadline = heartbeat_timeout.map(|d| tokio::time::Instant::now() + d);
        let mut progressed = false;
        loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return PumpEnd::Cancelled,
                Some((key, outcome)) = self.done_rx.recv() => self.finished(key, outcome),
                _ = async { match renew.as_mut() { Some(t) => t.tick().await, None => std::future::pending().await } } => {
                    if let Spec::Workers { request, .. } = &self.spec {
                        let presence = Message::Presence(Presence {
                            worker_id: request.worker_id,
                            heartbeat: false,
                            timestamp: skope_proto::now_ms(),
                        });
                        if let Err(e) = channel.tx.send(presence.encode()).await {
                            return PumpEnd::Failed(e, progressed);
                        }
                    }
                }
                () = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                    let d = heartbeat_timeout.unwrap_or_default();
                    return PumpEnd::Failed(
                        Error::new(ErrorKind::HeartbeatLost, format!("subscription heartbeat lost after {d:?}")),
                        progressed,
                    );
                }
                item = channel.recv() => {
                    let bytes = match item {
                        Some(Ok(b)) => b,
                        Some(Err(e)) => return PumpEnd::Failed(e, progressed),
                        None => return PumpEnd::Failed(Error::new(ErrorKind::ConnectionLost, "subscription closed by server"), progressed),
                    };
                    progressed = true;
                    if let (Some(d), Some(dl)) = (heartbeat_timeout, deadline.as_mut()) {
                        *dl = tokio::time::Instant::now() + d;
                    }
                    match self.decode(&bytes) {
                        Ok(Decoded::Deliver(key, item)) => self.dispatch(key, item),
                        Ok(Decoded::Heartbeat) => self.update(|s| s.heartbeats_seen += 1),
                        Ok(Decoded::Skip) => {}
                        Err(e) => return PumpEnd::Failed(e, progressed),
                    }
                }
            }
        }
    }

    fn decode(&self, bytes: &[u8]) -> Result<Decoded> {
        match &self.spec {
            Spec::Segment { space, segment } => {
                let status: SegmentStatus = decode_payload(bytes, "segment status")?;
                if status.heartbeat {
                    return Ok(Decoded::Heartbeat);
                }
                if status.space != *space || (segment != "*" && status.segment != *segment) {
                    return Ok(Decoded::Skip);
                }
                Ok(Decoded::Deliver(
                    status.segment.clone(),
                    Item::Status(status),
                ))
            }
            Spec::Workers { .. } => match Message::decode(bytes) {
                Ok(Message::WorkerInventory(inv)) => {
                    Ok(Decoded::Deliver(String::new(), Item::Inventory(inv)))
                }
                Ok(Message::Presence(_)) => Ok(Decoded::Heartbeat),
                Ok(other) => Err(Error::protocol(format!(
                    "unexpected worker stream message type: *api.{}",
                    other.go_type()
                ))),
                Err(e) => Err(Error::protocol(format!(
                    "unexpected worker stream message type: {e}"
                ))),
            },
        }
    }

    fn dispatch(&mut self, key: String, item: Item) {
        if self.in_flight < self.client.inner.max_handlers && !self.busy.contains(&key) {
            self.start(key, item);
            return;
        }
        if self.parked.insert(key.clone(), item).is_some() {
            self.client
                .metrics()
                .record_subscription_coalesced(&self.id);
            self.update(|s| s.coalesced_updates += 1);
        } else {
            self.order.push_back(key);
        }
        let n = self.parked.len();
        self.update(|s| s.pending_updates = n);
    }

    fn start(&mut self, key: String, item: Item) {
        self.in_flight += 1;
        self.busy.insert(key.clone());
        self.update(|s| {
            s.updates_delivered += 1;
            s.last_update = Some(SystemTime::now());
            if let Item::Status(st) = &item
                && st.last_sequence > 0
            {
                s.last_sequence = st.last_sequence;
            }
        });
        let handler = self.handler.clone();
        let timeout = self.client.inner.handler_timeout;
        let done = self.done_tx.clone();
        tokio::spawn(async move {
            let job = tokio::task::spawn_blocking(move || match (handler, item) {
                (Handler::Status(h), Item::Status(s)) => h(s),
                (Handler::Inventory(h), Item::Inventory(i)) => h(i),
                _ => {}
            });
            let joined = match timeout {
                Some(t) => tokio::time::timeout(t, job).await.ok(),
                None => Some(job.await),
            };
            let outcome = match joined {
                None => Outcome::TimedOut,
                Some(Err(e)) if e.is_panic() => Outcome::Panicked,
                Some(_) => Outcome::Done,
            };
            let _ = done.send((key, outcome));
        });
    }

    fn finished(&mut self, key: String, outcome: Outcome) {
        self.in_flight -= 1;
        self.busy.remove(&key);
        match outcome {
            Outcome::Done => {}
            Outcome::TimedOut => {
                self.client.metrics().record_handler_timeout(&self.id);
                self.update(|s| s.handler_timeouts += 1);
            }
            Outcome::Panicked => {
                self.client.metrics().record_handler_panic(&self.id);
                self.update(|s| s.handler_panics += 1);
            }
        }
        let mut i = 0;
        while i < self.order.len() && self.in_flight < self.client.inner.max_handlers {
            if self.busy.contains(&self.order[i]) {
                i += 1;
                continue;
            }
            let Some(k) = self.order.remove(i) else { break };
            if let Some(item) = self.parked.remove(&k) {
                self.start(k, item);
            }
        }
        let n = self.parked.len();
        self.update(|s| s.pending_updates = n);
    }
}

impl Client {
    /// Status updates of every segment of `space` (sends `segment: "*"`): a snapshot of the
    /// segments that have data, then live updates.
    ///
    /// # Errors
    /// Opening the stream failed after the retry policy.
    pub async fn subscribe_to_space(
        &self,
        store: Uuid,
        space: &str,
        handler: StatusHandler,
    ) -> Result<Subscription> {
        self.subscribe_to_segment(store, space, "*", handler).await
    }

    /// Status updates of one segment: its current status (if it has data), then live updates.
    ///
    /// # Errors
    /// Opening the stream failed after the retry policy.
    #[tracing::instrument(skip(self, handler), fields(store = %store))]
    pub async fn subscribe_to_segment(
        &self,
        store: Uuid,
        space: &str,
        segment: &str,
        handler: StatusHandler,
    ) -> Result<Subscription> {
        let spec = Spec::Segment {
            space: space.to_owned(),
            segment: segment.to_owned(),
        };
        let target = SubscriptionTarget::Segment {
            space: space.to_owned(),
            segment: segment.to_owned(),
        };
        self.subscribe(store, spec, target, Handler::Status(handler))
            .await
    }

    /// Worker presence (PROTOCOL §4.9): observe the inventory, or register as a worker (then
    /// presence renewals go out at once and every interval, and 3 intervals without any frame
    /// fail the stream).
    ///
    /// # Errors
    /// Opening the stream failed after the retry policy.
    #[tracing::instrument(skip(self, handler), fields(store = %store))]
    pub async fn subscribe_workers(
        &self,
        store: Uuid,
        options: WorkerOptions,
        handler: InventoryHandler,
    ) -> Result<Subscription> {
        let (request, interval) = match options.worker_id {
            Some(id) if !id.is_nil() => {
                let secs = options.interval_seconds();
                let request = SubscribeWorkers {
                    worker_id: id,
                    metadata: options.metadata.clone(),
                    heartbeat_interval_seconds: secs,
                };
                (request, Some(Duration::from_secs(secs.unsigned_abs())))
            }
            _ => (SubscribeWorkers::default(), None),
        };
        let target = SubscriptionTarget::Workers {
            worker_id: request.worker_id,
        };
        self.subscribe(
            store,
            Spec::Workers { request, interval },
            target,
            Handler::Inventory(handler),
        )
        .await
    }

    async fn subscribe(
        &self,
        store: Uuid,
        spec: Spec,
        target: SubscriptionTarget,
        handler: Handler,
    ) -> Result<Subscription> {
        let start = Instant::now();
        let opened = self.open(spec.op(), store, &spec.request()).await;
        self.metrics()
            .record_operation(spec.op(), opened.is_ok(), start.elapsed());
        let channel = opened?;
        let id = Uuid::new_v4().to_string();
        let status = Arc::new(Mutex::new(SubscriptionStatus {
            id: id.clone(),
            store,
            target,
            state: SubscriptionState::Active,
            updates_delivered: 0,
            heartbeats_seen: 0,
            reconnects: 0,
            failure_count: 0,
            handler_timeouts: 0,
            handler_panics: 0,
            coalesced_updates: 0,
            pending_updates: 0,
            last_error: None,
            last_update: None,
            last_sequence: 0,
        }));
        self.inner.subs.insert(id.clone(), status.clone());
        let cancel = self.inner.shutdown.child_token();
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let engine = Engine {
            client: self.clone(),
            store,
            id: id.clone(),
            spec,
            handler,
            status,
            cancel: cancel.clone(),
            in_flight: 0,
            busy: HashSet::new(),
            order: VecDeque::new(),
            parked: HashMap::new(),
            done_tx,
            done_rx,
        };
        let task = self.inner.tasks.spawn(engine.run(channel));
        Ok(Subscription {
            id,
            cancel,
            task: Some(task),
            detached: false,
        })
    }

    /// Health of a subscription; `None` once it was unsubscribed or failed for good.
    #[must_use]
    pub fn subscription_status(&self, id: &str) -> Option<SubscriptionStatus> {
        self.inner.subs.get(id)
    }

    /// Ids of the registered subscriptions.
    #[must_use]
    pub fn subscription_ids(&self) -> Vec<String> {
        self.inner.subs.ids()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_interval_rounding() {
        let s = |d: Option<Duration>| {
            WorkerOptions {
                heartbeat_interval: d,
                ..WorkerOptions::default()
            }
            .interval_seconds()
        };
        assert_eq!(s(None), 30);
        assert_eq!(s(Some(Duration::from_millis(1500))), 2);
        assert_eq!(s(Some(Duration::from_millis(10))), 1);
        assert_eq!(s(Some(Duration::from_secs(1000))), 300);
    }
}
