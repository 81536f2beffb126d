//! The connection actor: one task owns the WebSocket's read half, the channel routing, the
//! heartbeat and the (re)dialing; a writer task per connection owns the write half.
//!
//! * Dialing: the first call that needs a connection dials. Concurrent callers waiting during a
//!   dial share its outcome. After a **failed** dial the next one starts no earlier than a
//!   bounded, jittered backoff (100 ms, × 2, capped at 5 s, ±25 %; reset by a success): callers
//!   asking meanwhile wait for that dial (so a down server is not hammered, however many callers
//!   retry), and `close()` interrupts the wait. After a connection is **lost** the actor redials
//!   in the background on the same schedule until it has a connection again (or a dial fails
//!   permanently: 401, 403, untrusted certificate …), so subscriptions, follows and leases find
//!   it back as soon as the server returns. Each caller's retry policy still bounds how long that
//!   caller waits.
//! * Heartbeat (PROTOCOL §2.5): a JSON `ping` every 30 s − U[0, 5 s); a connection that has
//!   received nothing for 90 s is dead (`heartbeat timeout`). JSON `ping`s are answered with
//!   `pong`s.
//! * Loss: every open channel fails with the loss reason (`muxer closed`, `heartbeat timeout`, or
//!   the I/O error), all retryable.
//! * Backpressure policy: inbound payloads go to a bounded per-channel queue. When a channel's
//!   queue is full the actor **stops reading the socket** until that channel has room (so the
//!   server's own flow control applies) but keeps serving commands and heartbeats. Idle time is
//!   not counted while paused. A consumer that drops its channel frees the actor at once. Nothing
//!   is ever buffered without bound. Consequence for users of several channels: drain each
//!   channel independently (the client's own subscriptions and follow streams do).

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Metrics;
use crate::mux::{Channel, Inbound, Link, Outgoing};
use crate::retry::RetryPolicy;
use crate::transport::{Connector, WsStream};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use skope_proto::{ControlType, Frame, Message, StreamControl, Uuid};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;

/// Base interval between our JSON pings.
pub(crate) const PING_INTERVAL: Duration = Duration::from_secs(30);
/// Random amount subtracted from each ping interval.
pub(crate) const PING_JITTER: Duration = Duration::from_secs(5);
/// Silence after which a connection is dead.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// A dial that takes longer than this fails.
pub(crate) const DIAL_TIMEOUT: Duration = Duration::from_secs(30);
/// First wait before redialing after a failed dial.
pub const DEFAULT_DIAL_BACKOFF_INITIAL: Duration = Duration::from_millis(100);
/// Cap of the wait between failed dials (before jitter, which adds up to 25 %).
pub const DEFAULT_DIAL_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The schedule between failed dials: 100 ms, then × 2 up to 5 s, jittered into [0.75, 1.25).
pub(crate) fn dial_backoff(initial: Duration, max: Duration) -> RetryPolicy {
    RetryPolicy {
        max_attempts: u32::MAX,
        initial_backoff: initial,
        max_backoff: max,
        multiplier: 2.0,
        jitter: true,
    }
}

/// The connection as observers see it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConnState {
    /// Nothing dialed yet.
    Idle,
    /// A dial is in progress.
    Connecting,
    /// Connected; `generation` counts successful dials (1 = first connection).
    Connected { generation: u64 },
    /// The last connection was lost or the last dial failed; the next call dials again.
    Disconnected { reason: Error },
    /// The client was closed.
    Closed,
}

/// A reconnect listener: called (on the actor task; keep it quick) after every successful
/// reconnect, not after the first connection.
pub type ReconnectListener = Arc<dyn Fn() + Send + Sync>;

type Listeners = Mutex<Vec<(u64, ReconnectListener)>>;

enum Cmd {
    Link(oneshot::Sender<Result<Link>>),
}

struct Shared {
    cmd_tx: mpsc::Sender<Cmd>,
    current: Mutex<Option<Link>>,
    state: watch::Receiver<ConnState>,
    listeners: Listeners,
    next_listener: AtomicU64,
    shutdown: CancellationToken,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Handle to the connection actor.
#[derive(Clone)]
pub(crate) struct Connection {
    shared: Arc<Shared>,
}

impl Connection {
    /// Start the actor (it dials nothing until asked).
    pub(crate) fn spawn(
        connector: Arc<dyn Connector>,
        metrics: Arc<dyn Metrics>,
        dial_backoff: RetryPolicy,
    ) -> Self {
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let (state_tx, state) = watch::channel(ConnState::Idle);
        let shared = Arc::new(Shared {
            cmd_tx,
            current: Mutex::new(None),
            state,
            listeners: Mutex::new(Vec::new()),
            next_listener: AtomicU64::new(1),
            shutdown: CancellationToken::new(),
            task: Mutex::new(None),
        });
        let actor = Actor {
            connector,
            metrics,
            dial_backoff: dial_backoff.normalized(),
            cmd_rx,
            state_tx,
            shared: Arc::downgrade(&shared),
            shutdown: shared.shutdown.clone(),
            generation: 0,
        };
        let task = tokio::spawn(actor.run());
        *lock(&shared.task) = Some(task);
        Connection { shared }
    }

    /// A live connection, dialing if needed (one dial attempt per call).
    pub(crate) async fn link(&self) -> Result<Link> {
        if self.shared.shutdown.is_cancelled() {
            return Err(Error::closed());
        }
        if let Some(link) = lock(&self.shared.current).as_ref().filter(|l| !l.is_dead()) {
            return Ok(link.clone());
        }
        let (tx, rx) = oneshot::channel();
        self.shared
            .cmd_tx
            .send(Cmd::Link(tx))
            .await
            .map_err(|_| Error::closed())?;
        rx.await.map_err(|_| Error::closed())?
    }

    /// Open a channel: get a connection, register a fresh channel id, send the request
    /// envelope. One attempt; the caller applies the retry policy.
    pub(crate) async fn open(&self, store: Uuid, request: &Message) -> Result<Channel> {
        let link = self.link().await?;
        let id = Uuid::new_v4();
        let rx = link.register(id)?;
        let channel = Channel::new(store, id, link, rx);
        channel.tx.send(request.encode()).await?;
        Ok(channel)
    }

    pub(crate) fn state(&self) -> watch::Receiver<ConnState> {
        self.shared.state.clone()
    }

    pub(crate) fn add_listener(&self, listener: ReconnectListener) -> u64 {
        let id = self.shared.next_listener.fetch_add(1, Ordering::Relaxed);
        lock(&self.shared.listeners).push((id, listener));
        id
    }

    pub(crate) fn remove_listener(&self, id: u64) -> bool {
        let mut l = lock(&self.shared.listeners);
        let before = l.len();
        l.retain(|(i, _)| *i != id);
        l.len() != before
    }

    /// Drop the current connection as if it had failed (tests, "reconnect now" buttons).
    pub(crate) fn drop_connection(&self, reason: Error) {
        if let Some(link) = lock(&self.shared.current).as_ref() {
            link.fail(reason);
        }
    }

    /// Stop the actor and the connection. Idempotent.
    pub(crate) async fn close(&self) {
        self.shared.shutdown.cancel();
        let task = lock(&self.shared.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ping_wait() -> Duration {
    let jitter = rand::rng().random_range(Duration::ZERO..PING_JITTER);
    PING_INTERVAL.saturating_sub(jitter)
}

struct Actor {
    connector: Arc<dyn Connector>,
    metrics: Arc<dyn Metrics>,
    dial_backoff: RetryPolicy,
    cmd_rx: mpsc::Receiver<Cmd>,
    state_tx: watch::Sender<ConnState>,
    shared: std::sync::Weak<Shared>,
    shutdown: CancellationToken,
    generation: u64,
}

enum Exit {
    Shutdown,
    Lost,
}

type PendingSend = Pin<
    Box<dyn Future<Output = Result<mpsc::OwnedPermit<Inbound>, mpsc::error::SendError<()>>> + Send>,
>;

impl Actor {
    async fn run(mut self) {
        let shutdown = self.shutdown.clone();
        // Callers waiting for a connection (they share the outcome of the next dial).
        let mut waiters: Vec<oneshot::Sender<Result<Link>>> = Vec::new();
        // Earliest start of the next dial after a failed one (`None`: dial at once).
        let mut retry_at: Option<Instant> = None;
        let mut sleeps = self.dial_backoff.backoff().endless();
        // Redial without waiting for demand: set after a connection was lost, cleared by a
        // permanent dial failure (401, 403, bad certificate …) or a new connection.
        let mut background = false;
        loop {
            waiters.retain(|w| !w.is_closed());
            let wanted = background || !waiters.is_empty();
            let due = retry_at.is_none_or(|t| Instant::now() >= t);
            if !(wanted && due) {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break,
                    cmd = self.cmd_rx.recv() => match cmd {
                        Some(Cmd::Link(reply)) => waiters.push(reply),
                        None => break,
                    },
                    () = sleep_until_opt(retry_at), if wanted => {}
                }
                continue;
            }
            let dialed = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                r = self.dial() => r,
            };
            // Everyone who queued up during the dial shares its outcome.
            while let Ok(Cmd::Link(r)) = self.cmd_rx.try_recv() {
                waiters.push(r);
            }
            match dialed {
                Err(e) => {
                    let sleep = sleeps.next().unwrap_or(self.dial_backoff.max_backoff);
                    tracing::debug!(error = %e, ?sleep, background, "dial failed");
                    retry_at = Some(Instant::now() + sleep);
                    background = background && e.is_retryable();
                    self.state_tx
                        .send_replace(ConnState::Disconnected { reason: e.clone() });
                    for w in waiters.drain(..) {
                        let _ = w.send(Err(e.clone()));
                    }
                }
                Ok((link, reader)) => {
                    retry_at = None;
                    sleeps = self.dial_backoff.backoff().endless();
                    for w in waiters.drain(..) {
                        let _ = w.send(Ok(link.clone()));
                    }
                    let exit = self.serve(&link, reader).await;
                    match exit {
                        Exit::Shutdown => {
                            link.fail(Error::closed());
                            break;
                        }
                        Exit::Lost => {
                            let reason = link.failure();
                            tracing::debug!(error = %reason, generation = link.0.generation, "connection lost");
                            self.state_tx
                                .send_replace(ConnState::Disconnected { reason });
                            // Get the connection back for whoever needs it next (subscriptions,
                            // follows and leases re-open right after a loss).
                            background = true;
                        }
                    }
                }
            }
        }
        drop(waiters);
        if let Some(shared) = self.shared.upgrade()
            && let Some(link) = lock(&shared.current).take()
        {
            link.fail(Error::closed());
        }
        self.state_tx.send_replace(ConnState::Closed);
    }

    async fn dial(&mut self) -> Result<(Link, futures::stream::SplitStream<WsStream>)> {
        self.state_tx.send_replace(ConnState::Connecting);
        let ws = tokio::time::timeout(DIAL_TIMEOUT, self.connector.connect())
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::Connect,
                    "timed out waiting for stream connection",
                )
            })??;
        let (sink, reader) = ws.split();
        self.generation += 1;
        let (link, queue) = Link::new(self.generation);
        tokio::spawn(writer(sink, queue, link.clone()));
        if let Some(shared) = self.shared.upgrade() {
            *lock(&shared.current) = Some(link.clone());
            if self.generation > 1 {
                self.metrics.record_reconnect();
                let listeners: Vec<_> = lock(&shared.listeners)
                    .iter()
                    .map(|(_, l)| l.clone())
                    .collect();
                for l in listeners {
                    l();
                }
            }
        }
        tracing::debug!(generation = self.generation, "connected");
        self.state_tx.send_replace(ConnState::Connected {
            generation: self.generation,
        });
        Ok((link, reader))
    }

    /// Serve one live connection until it is lost or the client shuts down.
    async fn serve(
        &mut self,
        link: &Link,
        mut reader: futures::stream::SplitStream<WsStream>,
    ) -> Exit {
        let shutdown = self.shutdown.clone();
        let mut last_rx = Instant::now();
        let mut ping_at = Instant::now() + ping_wait();
        let mut pending: Option<(Option<Inbound>, PendingSend)> = None;
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return Exit::Shutdown,
                () = link.0.dead.cancelled() => return Exit::Lost,
                cmd = self.cmd_rx.recv() => match cmd {
                    Some(Cmd::Link(reply)) => { let _ = reply.send(Ok(link.clone())); }
                    None => return Exit::Shutdown,
                },
                permit = async { match pending.as_mut() { Some((_, f)) => f.await, None => std::future::pending().await } } => {
                    if let (Ok(permit), Some((Some(item), _))) = (permit, pending.take()) {
                        permit.send(item);
                    }
                    pending = None;
                    last_rx = Instant::now();
                }
                msg = reader.next(), if pending.is_none() => {
                    let text = match msg {
                        None => { link.fail(Error::muxer_closed()); return Exit::Lost; }
                        Some(Err(e)) => {
                            link.fail(read_error(e));
                            return Exit::Lost;
                        }
                        Some(Ok(m)) => m,
                    };
                    last_rx = Instant::now();
                    let bytes: &[u8] = match &text {
                        WsMessage::Text(t) => t.as_bytes(),
                        WsMessage::Binary(b) => b,
                        WsMessage::Close(_) => { link.fail(Error::muxer_closed()); return Exit::Lost; }
                        _ => continue,
                    };
                    match Frame::decode(bytes) {
                        Err(e) => {
                            link.fail(Error::protocol(e.to_string()));
                            return Exit::Lost;
                        }
                        Ok(frame) => {
                            if let Some(p) = route(link, frame) {
                                pending = Some(p);
                            } else if link.is_dead() {
                                return Exit::Lost;
                            }
                        }
                    }
                }
                () = tokio::time::sleep_until(ping_at) => {
                    if pending.is_none() && last_rx.elapsed() > IDLE_TIMEOUT {
                        link.fail(Error::heartbeat_timeout());
                        return Exit::Lost;
                    }
                    link.send_control(Frame::ping().encode());
                    ping_at = Instant::now() + ping_wait();
                }
            }
        }
    }
}

/// Handle one inbound frame. Returns a pending delivery when the channel's queue is full.
fn route(link: &Link, frame: Frame) -> Option<(Option<Inbound>, PendingSend)> {
    let item = match frame.control_type {
        ControlType::Ping => {
            link.send_control(Frame::pong().encode());
            return None;
        }
        ControlType::Close => {
            link.fail(Error::muxer_closed());
            return None;
        }
        ControlType::Data | ControlType::Error => {
            let payload = frame.payload.unwrap_or_default();
            match StreamControl::detect(&payload) {
                Some(control) => Inbound::End(Error::from_control(&control)),
                None if frame.control_type == ControlType::Error => {
                    Inbound::End(Some(Error::protocol(format!(
                        "remote error: {}",
                        String::from_utf8_lossy(&payload)
                    ))))
                }
                None => Inbound::Data(payload),
            }
        }
        ControlType::Pong | ControlType::Other(_) => return None,
    };
    let last = matches!(item, Inbound::End(_));
    let tx = link.route(&frame.channel_id, last)?;
    match tx.try_send(item) {
        Ok(()) => None,
        Err(mpsc::error::TrySendError::Closed(_)) => {
            link.deregister(&frame.channel_id);
            None
        }
        Err(mpsc::error::TrySendError::Full(item)) => {
            Some((Some(item), Box::pin(tx.reserve_owned()) as PendingSend))
        }
    }
}

/// The error a failed socket read ends the connection with. A frame over the 8 MiB limit is a
/// permanent `frame payload size exceeds limit: …` (PROTOCOL §2.7): redialing would just get it
/// again.
fn read_error(e: tokio_tungstenite::tungstenite::Error) -> Error {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let text = match &e {
        WsError::Capacity(c) => format!("frame payload size exceeds limit: {c}"),
        other => other.to_string(),
    };
    Error::new(ErrorKind::ConnectionLost, text).with_source(e)
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Drain the link's write queue into the socket, batching frames between flushes.
async fn writer(
    mut sink: futures::stream::SplitSink<WsStream, WsMessage>,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    link: Link,
) {
    const BATCH: usize = 256;
    let dead = link.0.dead.clone();
    let result: std::result::Result<(), tokio_tungstenite::tungstenite::Error> = async {
        loop {
            let first = tokio::select! {
                biased;
                () = dead.cancelled() => return Ok(()),
                m = queue.recv() => m,
            };
            let Some((msg, permit)) = first else {
                return Ok(());
            };
            let write = async {
                sink.feed(msg).await?;
                drop(permit);
                let mut n = 1;
                while n < BATCH {
                    let Ok((msg, permit)) = queue.try_recv() else {
                        break;
                    };
                    sink.feed(msg).await?;
                    drop(permit);
                    n += 1;
                }
                sink.flush().await
            };
            tokio::select! {
                biased;
                () = dead.cancelled() => return Ok(()),
                r = write => r?,
            }
        }
    }
    .await;
    if let Err(e) = result {
        link.fail(Error::new(ErrorKind::ConnectionLost, e.to_string()).with_source(e));
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), sink.close()).await;
}
