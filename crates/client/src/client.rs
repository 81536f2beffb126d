//! The [`Client`] handle, its builder, and the unary operations (listings, peek, publish).

use crate::connection::{ConnState, Connection, ReconnectListener};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{Metrics, NoopMetrics, Operation};
use crate::mux::Channel;
use crate::retry::{RetryPolicy, retry};
use crate::subscription::SubscriptionRegistry;
use crate::transport::Connector;
use skope_proto::{
    Entry, GetSegments, GetSpaces, MAX_PAYLOAD_BYTES, Message, Metadata, Peek, Produce, Record,
    SegmentStatus, Uuid, decode_bare, encode_bare,
};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Default wait for a subscription handler before it counts as timed out.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default handlers in flight per subscription.
pub const DEFAULT_MAX_CONCURRENT_HANDLERS: usize = 50;
/// Publish keeps at most this many per-segment locks (`MaxProduceLocks`).
pub const MAX_PUBLISH_LOCKS: usize = 10_000;

/// Configures and builds a [`Client`]. Every knob combines with every other one.
#[must_use]
pub struct ClientBuilder {
    connector: Arc<dyn Connector>,
    policy: RetryPolicy,
    handler_timeout: Option<Duration>,
    metrics: Arc<dyn Metrics>,
    max_handlers: usize,
    dial_backoff: (Duration, Duration),
    patient_subscriptions: bool,
}

impl ClientBuilder {
    /// Re-establish subscriptions after retryable failures without a limit (an operator's
    /// `subscribe` or TUI outlives a server restart). Default `false`: as Go's client, a
    /// subscription whose retries run out fails and leaves the registry.
    pub fn patient_subscriptions(mut self, patient: bool) -> Self {
        self.patient_subscriptions = patient;
        self
    }

    /// The wait between failed dials: starts at `initial`, doubles up to `max`, each jittered
    /// into [0.75, 1.25) × (default 100 ms → 5 s). Also paces the background redial after a
    /// lost connection.
    pub fn dial_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.dial_backoff = (initial, max);
        self
    }

    /// The retry policy for opening streams (default [`RetryPolicy::default_policy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy.normalized();
        self
    }

    /// How long a subscription handler may run before the client stops waiting for it
    /// (default 30 s). `None` or zero disables the watchdog.
    pub fn handler_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handler_timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    /// Metrics hooks (default: none).
    pub fn metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handlers in flight per subscription (default 50, minimum 1).
    pub fn max_concurrent_handlers(mut self, n: usize) -> Self {
        self.max_handlers = n.max(1);
        self
    }

    /// Start the client (its connection actor; nothing is dialed until the first call).
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    #[must_use]
    pub fn build(self) -> Client {
        let (initial, max) = self.dial_backoff;
        let conn = Connection::spawn(
            self.connector,
            self.metrics.clone(),
            crate::connection::dial_backoff(initial, max),
        );
        Client {
            inner: Arc::new(Inner {
                conn,
                policy: self.policy,
                handler_timeout: self.handler_timeout,
                max_handlers: self.max_handlers,
                patient_subscriptions: self.patient_subscriptions,
                metrics: self.metrics,
                subs: SubscriptionRegistry::default(),
                publish_locks: Mutex::new(HashMap::new()),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        }
    }
}

pub(crate) struct Inner {
    pub(crate) conn: Connection,
    pub(crate) policy: RetryPolicy,
    pub(crate) handler_timeout: Option<Duration>,
    pub(crate) max_handlers: usize,
    pub(crate) patient_subscriptions: bool,
    pub(crate) metrics: Arc<dyn Metrics>,
    pub(crate) subs: SubscriptionRegistry,
    publish_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tasks: TaskTracker,
}

/// A streamkit client: a cheap `Clone` handle to one connection actor and its background
/// tasks. Every operation is scoped by a store id.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Decode an entry: Go's canonical shape on a fast path, anything else as Go would.
pub(crate) fn decode_entry(bytes: &[u8]) -> Result<Entry> {
    Entry::decode(bytes).map_err(|e| Error::protocol(format!("invalid entry payload: {e}")))
}

pub(crate) fn decode_payload<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T> {
    decode_bare(bytes).map_err(|e| Error::protocol(format!("invalid {what} payload: {e}")))
}

impl Client {
    /// A builder over `connector`.
    pub fn builder(connector: impl Connector) -> ClientBuilder {
        ClientBuilder {
            connector: Arc::new(connector),
            policy: RetryPolicy::default_policy(),
            handler_timeout: Some(DEFAULT_HANDLER_TIMEOUT),
            metrics: Arc::new(NoopMetrics),
            max_handlers: DEFAULT_MAX_CONCURRENT_HANDLERS,
            patient_subscriptions: false,
            dial_backoff: (
                crate::connection::DEFAULT_DIAL_BACKOFF_INITIAL,
                crate::connection::DEFAULT_DIAL_BACKOFF_MAX,
            ),
        }
    }

    /// A client with every default.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    #[must_use]
    pub fn new(connector: impl Connector) -> Self {
        Self::builder(connector).build()
    }

    /// The retry policy in force.
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.policy
    }

    /// The connection state, as a watch (connected / reconnecting / closed …).
    #[must_use]
    pub fn connection_state(&self) -> watch::Receiver<ConnState> {
        self.inner.conn.state()
    }

    /// Call `listener` after every reconnect (not after the first connection). Returns an id
    /// for [`Client::unregister_reconnect_listener`].
    pub fn register_reconnect_listener(&self, listener: ReconnectListener) -> u64 {
        self.inner.conn.add_listener(listener)
    }

    /// Remove a reconnect listener; `false` if it was not registered.
    pub fn unregister_reconnect_listener(&self, id: u64) -> bool {
        self.inner.conn.remove_listener(id)
    }

    /// Drop the current connection as if it had failed (every open stream sees `muxer closed`
    /// and resumes or fails per its rules). The next call dials again.
    pub fn disconnect(&self) {
        self.inner.conn.drop_connection(Error::muxer_closed());
    }

    /// Whether [`Client::close`] was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Stop everything: subscriptions, lease renewals, follow watchers, the connection.
    /// Idempotent; returns once every background task has ended.
    pub async fn close(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
        self.inner.conn.close().await;
    }

    pub(crate) fn metrics(&self) -> &Arc<dyn Metrics> {
        &self.inner.metrics
    }

    /// Open a channel once (no retry).
    pub(crate) async fn open_once(&self, store: Uuid, request: &Message) -> Result<Channel> {
        if self.is_closed() {
            return Err(Error::closed());
        }
        self.inner.conn.open(store, request).await
    }

    /// Open a channel under the retry policy (PROTOCOL §7.1).
    pub(crate) async fn open(
        &self,
        op: Operation,
        store: Uuid,
        request: &Message,
    ) -> Result<Channel> {
        let metrics = self.inner.metrics.clone();
        retry(
            &self.inner.policy,
            &self.inner.shutdown,
            |_| metrics.record_retry(op),
            || self.open_once(store, request),
        )
        .await
    }

    /// Run an idempotent request/answer exchange under the retry policy, with metrics.
    async fn unary<T, F, Fut>(&self, op: Operation, f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let start = Instant::now();
        let metrics = self.inner.metrics.clone();
        let r = retry(
            &self.inner.policy,
            &self.inner.shutdown,
            |_| metrics.record_retry(op),
            f,
        )
        .await;
        self.inner
            .metrics
            .record_operation(op, r.is_ok(), start.elapsed());
        r
    }

    /// The names of every space of `store`, ascending, without duplicates.
    ///
    /// # Errors
    /// Transport or server errors after the retry policy gave up.
    #[tracing::instrument(skip(self), fields(store = %store))]
    pub async fn get_spaces(&self, store: Uuid) -> Result<Vec<String>> {
        let request = Message::GetSpaces(GetSpaces {});
        self.unary(Operation::GetSpaces, || async {
            let channel = self.open_once(store, &request).await?;
            read_names(channel).await
        })
        .await
    }

    /// The names of the segments of `space`, without duplicates. (A Go server also lists the
    /// segments of spaces whose name starts with `space`; bare names cannot be told apart.)
    ///
    /// # Errors
    /// Transport or server errors after the retry policy gave up.
    #[tracing::instrument(skip(self), fields(store = %store))]
    pub async fn get_segments(&self, store: Uuid, space: &str) -> Result<Vec<String>> {
        let request = Message::GetSegments(GetSegments {
            space: space.to_owned(),
        });
        self.unary(Operation::GetSegments, || async {
            let channel = self.open_once(store, &request).await?;
            read_names(channel).await
        })
        .await
    }

    /// The last entry of a segment; an empty segment gives an entry with sequence 0 and only
    /// `space`/`segment` set.
    ///
    /// When the server answers with another segment's entry (the Go server's name-prefix leak),
    /// the segment is read instead and its last entry returned.
    ///
    /// # Errors
    /// Transport or server errors after the retry policy gave up.
    #[tracing::instrument(skip(self), fields(store = %store))]
    pub async fn peek(&self, store: Uuid, space: &str, segment: &str) -> Result<Entry> {
        let request = Message::Peek(Peek {
            space: space.to_owned(),
            segment: segment.to_owned(),
        });
        let entry = self
            .unary(Operation::Peek, || async {
                let mut channel = self.open_once(store, &request).await?;
                match channel.recv().await {
                    Some(Ok(bytes)) => decode_entry(&bytes),
                    Some(Err(e)) => Err(e),
                    None => Ok(Entry::empty(space, segment)),
                }
            })
            .await?;
        if entry.space == space && entry.segment == segment {
            return Ok(entry);
        }
        tracing::debug!(got_space = %entry.space, got_segment = %entry.segment, "peek answered for another segment; scanning");
        self.peek_by_scan(store, space, segment).await
    }

    async fn peek_by_scan(&self, store: Uuid, space: &str, segment: &str) -> Result<Entry> {
        use futures::StreamExt;
        let mut stream = self.consume_segment(
            store,
            skope_proto::ConsumeSegment {
                space: space.to_owned(),
                segment: segment.to_owned(),
                ..Default::default()
            },
        );
        let mut last = Entry::empty(space, segment);
        while let Some(entry) = stream.next().await {
            last = entry?;
        }
        Ok(last)
    }

    /// Write one record after the segment's last one (PROTOCOL §4.2): serialized per segment
    /// inside this client, peek (re-peeking up to 3 times 5 ms apart while it says 0), produce
    /// `last + 1`, and return the server's first status.
    ///
    /// # Errors
    /// `produce failed: <err>` when the produce stream fails, `no status confirmation from
    /// server` when it ends without a status, `muxer payload too large` over 6 MiB.
    #[tracing::instrument(skip(self, payload, metadata), fields(store = %store, bytes = payload.len()))]
    pub async fn publish(
        &self,
        store: Uuid,
        space: &str,
        segment: &str,
        payload: Vec<u8>,
        metadata: Metadata,
    ) -> Result<SegmentStatus> {
        let start = Instant::now();
        let r = self
            .publish_inner(store, space, segment, payload, metadata)
            .await;
        self.inner
            .metrics
            .record_operation(Operation::Publish, r.is_ok(), start.elapsed());
        r
    }

    async fn publish_inner(
        &self,
        store: Uuid,
        space: &str,
        segment: &str,
        payload: Vec<u8>,
        metadata: Metadata,
    ) -> Result<SegmentStatus> {
        let lock = self.publish_lock(format!("{store}:{space}:{segment}"));
        let _held = lock.lock().await;
        let mut last = self.peek(store, space, segment).await?;
        for _ in 0..3 {
            if last.sequence != 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            last = self.peek(store, space, segment).await?;
        }
        let record = Record {
            sequence: last.sequence + 1,
            payload: Some(payload),
            metadata,
        };
        let bytes = encode_bare(&record);
        if bytes.len() > MAX_PAYLOAD_BYTES {
            return Err(Error::payload_too_large());
        }
        let request = Message::Produce(Produce {
            space: space.to_owned(),
            segment: segment.to_owned(),
        });
        let mut channel = self.open(Operation::Publish, store, &request).await?;
        let produce_failed =
            |e: Error| Error::new(ErrorKind::ProduceFailed, format!("produce failed: {e}"));
        channel.tx.send(bytes).await.map_err(produce_failed)?;
        channel.tx.close_send(None).await.map_err(produce_failed)?;
        match channel.recv().await {
            Some(Ok(bytes)) => decode_payload::<SegmentStatus>(&bytes, "segment status"),
            Some(Err(e)) => Err(produce_failed(e)),
            None => Err(Error::new(
                ErrorKind::NoStatusConfirmation,
                "no status confirmation from server",
            )),
        }
    }

    fn publish_lock(&self, key: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = lock(&self.inner.publish_locks);
        if !locks.contains_key(&key) && locks.len() >= MAX_PUBLISH_LOCKS {
            // Evict up to 10 % of the locks nobody holds or waits for.
            let idle: Vec<String> = locks
                .iter()
                .filter(|(_, l)| Arc::strong_count(l) == 1)
                .take(MAX_PUBLISH_LOCKS / 10)
                .map(|(k, _)| k.clone())
                .collect();
            for k in idle {
                locks.remove(&k);
            }
        }
        locks.entry(key).or_default().clone()
    }

    #[cfg(test)]
    pub(crate) fn publish_lock_count(&self) -> usize {
        lock(&self.inner.publish_locks).len()
    }
}

async fn read_names(mut channel: Channel) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    while let Some(item) = channel.recv().await {
        let name: String = decode_payload(&item?, "name")?;
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{BoxIo, DuplexConnector};

    #[tokio::test]
    async fn publish_locks_are_bounded() {
        let client = Client::new(DuplexConnector::new(|| -> BoxIo {
            Box::new(tokio::io::duplex(64).0)
        }));
        for i in 0..MAX_PUBLISH_LOCKS + 5 {
            drop(client.publish_lock(format!("k{i}")));
        }
        assert!(client.publish_lock_count() <= MAX_PUBLISH_LOCKS);
        assert!(client.publish_lock_count() >= MAX_PUBLISH_LOCKS - MAX_PUBLISH_LOCKS / 10);
        client.close().await;
    }
}
