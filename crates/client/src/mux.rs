//! Logical streams (channels) multiplexed over one connection.
//!
//! A [`Link`] is one live connection as seen by the callers: an ordered write queue drained by
//! the connection's writer task, and the map `channel_id → bounded sender` that the connection
//! actor routes inbound payloads through. A [`Channel`] is one logical stream on a link.
//!
//! Memory bounds:
//! * The write queue holds at most [`WRITE_QUEUE_FRAMES`] data frames: a sender waits for a
//!   permit (so a fast producer is paced by the socket). Control frames (`pong`, `ping`, the
//!   `mux::close` a dropped channel sends) skip the permit so that `Drop` and the actor never
//!   wait; there is at most one such close per channel and one ping/pong per peer ping, so the
//!   overshoot is bounded by the number of channels.
//! * Each channel's inbound queue holds [`CHANNEL_QUEUE`] payloads (see `connection.rs` for what
//!   happens when it is full).

use crate::error::{Error, Result};
use skope_proto::{Frame, MAX_PAYLOAD_BYTES, StreamControl, Uuid};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;

/// Data frames queued for the socket at most.
pub(crate) const WRITE_QUEUE_FRAMES: usize = 1024;
/// Payloads queued per channel at most.
pub(crate) const CHANNEL_QUEUE: usize = 512;

/// What the actor hands a channel.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// One application payload (a bare JSON value or an envelope).
    Data(Vec<u8>),
    /// The peer ended the stream: cleanly (`None`) or with an error.
    End(Option<Error>),
}

pub(crate) type Outgoing = (WsMessage, Option<OwnedSemaphorePermit>);

/// One live connection, shared by the actor, the writer and every channel opened on it.
pub(crate) struct LinkInner {
    pub(crate) generation: u64,
    queue: mpsc::UnboundedSender<Outgoing>,
    budget: Arc<Semaphore>,
    /// `None` once the link is dead: nothing can register any more.
    channels: Mutex<Option<HashMap<Uuid, mpsc::Sender<Inbound>>>>,
    failure: OnceLock<Error>,
    pub(crate) dead: CancellationToken,
}

/// Cheap handle to a live connection.
#[derive(Clone)]
pub(crate) struct Link(pub(crate) Arc<LinkInner>);

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("generation", &self.0.generation)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// A new link and the receiving end of its write queue (for the writer task).
    pub(crate) fn new(generation: u64) -> (Link, mpsc::UnboundedReceiver<Outgoing>) {
        let (queue, rx) = mpsc::unbounded_channel();
        let inner = LinkInner {
            generation,
            queue,
            budget: Arc::new(Semaphore::new(WRITE_QUEUE_FRAMES)),
            channels: Mutex::new(Some(HashMap::new())),
            failure: OnceLock::new(),
            dead: CancellationToken::new(),
        };
        (Link(Arc::new(inner)), rx)
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.0.dead.is_cancelled()
    }

    /// Tear the link down: remember why, wake everyone, drop every channel sender (readers
    /// then see the failure). Idempotent; the first reason wins.
    pub(crate) fn fail(&self, err: Error) {
        let _ = self.0.failure.set(err);
        self.0.budget.close();
        let old = self.lock_channels().take();
        drop(old);
        self.0.dead.cancel();
    }

    /// Why the link died (`muxer closed` if it is still alive).
    pub(crate) fn failure(&self) -> Error {
        self.0
            .failure
            .get()
            .cloned()
            .unwrap_or_else(Error::muxer_closed)
    }

    fn lock_channels(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<HashMap<Uuid, mpsc::Sender<Inbound>>>> {
        self.0
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn register(&self, id: Uuid) -> Result<mpsc::Receiver<Inbound>> {
        let mut guard = self.lock_channels();
        let Some(map) = guard.as_mut() else {
            return Err(self.failure());
        };
        let (tx, rx) = mpsc::channel(CHANNEL_QUEUE);
        map.insert(id, tx);
        Ok(rx)
    }

    pub(crate) fn deregister(&self, id: &Uuid) {
        if let Some(map) = self.lock_channels().as_mut() {
            map.remove(id);
        }
    }

    /// The sender of a channel, removing it from the map when `last` (the stream ends).
    pub(crate) fn route(&self, id: &Uuid, last: bool) -> Option<mpsc::Sender<Inbound>> {
        let mut guard = self.lock_channels();
        let map = guard.as_mut()?;
        if last {
            map.remove(id)
        } else {
            map.get(id).cloned()
        }
    }

    /// Number of open channels (tests, diagnostics).
    #[allow(dead_code)]
    pub(crate) fn open_channels(&self) -> usize {
        self.lock_channels().as_ref().map_or(0, HashMap::len)
    }

    /// Queue a data frame, waiting for room in the write budget.
    pub(crate) async fn send(&self, text: String) -> Result<()> {
        let permit = self
            .0
            .budget
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.failure())?;
        if self.is_dead() {
            return Err(self.failure());
        }
        self.0
            .queue
            .send((WsMessage::Text(text.into()), Some(permit)))
            .map_err(|_| self.failure())
    }

    /// Queue a control frame without waiting (bounded by the callers, see the module docs).
    pub(crate) fn send_control(&self, text: String) {
        if !self.is_dead() {
            let _ = self.0.queue.send((WsMessage::Text(text.into()), None));
        }
    }
}

struct Guard {
    store: Uuid,
    id: Uuid,
    link: Link,
    local_closed: AtomicBool,
    remote_done: AtomicBool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Go's Dispose: close our side unless the stream already ended either way.
        if !self.remote_done.load(Ordering::Acquire) && !self.local_closed.load(Ordering::Acquire) {
            let frame = Frame::data(self.store, self.id, StreamControl::close().encode());
            self.link.send_control(frame.encode());
        }
        self.link.deregister(&self.id);
    }
}

/// Sending half of a channel.
#[derive(Clone)]
pub(crate) struct ChannelTx {
    guard: Arc<Guard>,
}

/// Receiving half of a channel.
pub(crate) struct ChannelRx {
    rx: mpsc::Receiver<Inbound>,
    guard: Arc<Guard>,
    ended: bool,
}

/// A logical stream. Dropping both halves closes it (`mux::close`) unless it already ended.
pub(crate) struct Channel {
    pub(crate) tx: ChannelTx,
    pub(crate) rx: ChannelRx,
}

impl Channel {
    pub(crate) fn new(store: Uuid, id: Uuid, link: Link, rx: mpsc::Receiver<Inbound>) -> Self {
        let guard = Arc::new(Guard {
            store,
            id,
            link,
            local_closed: AtomicBool::new(false),
            remote_done: AtomicBool::new(false),
        });
        Channel {
            tx: ChannelTx {
                guard: guard.clone(),
            },
            rx: ChannelRx {
                rx,
                guard,
                ended: false,
            },
        }
    }

    pub(crate) async fn recv(&mut self) -> Option<Result<Vec<u8>>> {
        self.rx.recv().await
    }

    #[allow(dead_code)]
    pub(crate) fn id(&self) -> Uuid {
        self.tx.guard.id
    }
}

/// Encode one data frame for `payload`, refusing payloads over 6 MiB.
pub(crate) fn encode_data(store: Uuid, id: Uuid, payload: &[u8]) -> Result<String> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Error::payload_too_large());
    }
    Ok(Frame::encode_data(store, id, payload))
}

impl ChannelTx {
    /// Send one payload (a request envelope, a record, a presence).
    pub(crate) async fn send(&self, payload: Vec<u8>) -> Result<()> {
        let g = &self.guard;
        let text = encode_data(g.store, g.id, &payload)?;
        g.link.send(text).await
    }

    /// Send an already encoded frame (see [`ChannelTx::frame_ids`]).
    pub(crate) async fn send_encoded(&self, text: String) -> Result<()> {
        self.guard.link.send(text).await
    }

    /// `(store, channel)` for callers that encode frames themselves.
    pub(crate) fn frame_ids(&self) -> (Uuid, Uuid) {
        (self.guard.store, self.guard.id)
    }

    /// Half-close (`CloseSend`): `mux::close`, with `err` when given. Ordered after every
    /// payload sent before it.
    pub(crate) async fn close_send(&self, err: Option<&str>) -> Result<()> {
        if self.guard.local_closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let control = match err {
            Some(e) => StreamControl::close_with(e),
            None => StreamControl::close(),
        };
        let g = &self.guard;
        g.link
            .send(Frame::data(g.store, g.id, control.encode()).encode())
            .await
    }
}

impl ChannelRx {
    /// The next payload; `None` after a clean `mux::close`; an error for `mux::close(E)`,
    /// `mux::error`, or the loss of the connection.
    pub(crate) async fn recv(&mut self) -> Option<Result<Vec<u8>>> {
        if self.ended {
            return None;
        }
        let item = self.rx.recv().await;
        match item {
            Some(Inbound::Data(p)) => Some(Ok(p)),
            Some(Inbound::End(end)) => {
                self.ended = true;
                self.guard.remote_done.store(true, Ordering::Release);
                end.map(Err)
            }
            None => {
                self.ended = true;
                self.guard.remote_done.store(true, Ordering::Release);
                Some(Err(self.guard.link.failure()))
            }
        }
    }
}
