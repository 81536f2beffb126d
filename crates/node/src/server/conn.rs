//! The server muxer of one connection (PROTOCOL §2.4–2.7): one loop reads frames and owns
//! the channel map, one writer task owns the socket's sink and is fed by a bounded queue.

use super::channel::{ChannelIo, Completion, Finish, INGRESS_BACKLOG, Inbound, Outbound, WsOut};
use super::{Access, Node, router};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use skope_proto::errors::text;
use skope_proto::{ControlType, Frame, MAX_PAYLOAD_BYTES, Message, StreamControl, Uuid};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;
use tracing::{debug, trace};

/// Writer queue (frames).
const WRITE_QUEUE: usize = 1024;
/// Queue of finished handlers.
const COMPLETIONS: usize = 256;
/// Most frames the writer batches before a flush.
const WRITE_BATCH: usize = 256;
/// How long a shutdown waits for queued frames to be flushed.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);
const TOMBSTONE_MAX: usize = 1024;
/// How long a graceful shutdown waits for the channels' handlers (an in-flight produce
/// commit, its status frame) before the connection `close` frame is sent.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(4);
const TOMBSTONE_AGE: Duration = Duration::from_secs(60);

struct Channel {
    tx: mpsc::Sender<Inbound>,
    killed: CancellationToken,
    generation: u64,
}

/// Why the connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Close the socket, sending a final `close` frame first if possible.
    Graceful(&'static str),
    /// `Node::disconnect_all`: drop the socket, nothing more.
    Abort,
    /// Server shutdown: end every channel's input, let the handlers finish (a produce
    /// completes the chunk commit in flight and sends its status), then close gracefully.
    Drain,
}

struct Muxer {
    node: Node,
    access: Access,
    out: Outbound,
    channels: HashMap<Uuid, Channel>,
    tombstones: VecDeque<(Uuid, Instant)>,
    tombstoned: HashSet<Uuid>,
    completions_tx: mpsc::Sender<Completion>,
    next_generation: u64,
    last_activity: Instant,
}

pub(crate) async fn serve<S>(
    node: Node,
    ws: WebSocketStream<S>,
    access: Access,
    abort: CancellationToken,
    drain: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sink, mut stream) = ws.split();
    let (tx, rx) = mpsc::channel(WRITE_QUEUE);
    let closed = CancellationToken::new();
    let writer = tokio::spawn(write_loop(sink, rx, closed.clone(), abort.clone()));
    let (completions_tx, mut completions) = mpsc::channel(COMPLETIONS);
    let options = node.options();
    let mut mux = Muxer {
        node,
        access,
        out: Outbound {
            tx,
            closed: closed.clone(),
        },
        channels: HashMap::new(),
        tombstones: VecDeque::new(),
        tombstoned: HashSet::new(),
        completions_tx,
        next_generation: 0,
        last_activity: Instant::now(),
    };
    let heartbeat = tokio::time::sleep(ping_wait(options.ping_interval, options.ping_jitter));
    tokio::pin!(heartbeat);
    let end = loop {
        tokio::select! {
            () = abort.cancelled() => break End::Abort,
            () = drain.cancelled() => break End::Drain,
            () = closed.cancelled() => break End::Graceful("socket write failed"),
            msg = stream.next() => {
                let Some(msg) = msg else { break End::Graceful("peer went away") };
                match msg {
                    Ok(msg) => {
                        if let Some(end) = mux.on_message(msg).await {
                            break end;
                        }
                    }
                    Err(e) => {
                        debug!(error = %e, "websocket read failed");
                        break End::Graceful("read error");
                    }
                }
            }
            Some(c) = completions.recv() => mux.on_completion(c).await,
            () = &mut heartbeat => {
                if mux.last_activity.elapsed() > options.idle_timeout {
                    break End::Graceful(text::HEARTBEAT_TIMEOUT);
                }
                mux.send(Frame::ping().encode()).await;
                heartbeat.as_mut().reset(Instant::now() + ping_wait(options.ping_interval, options.ping_jitter));
            }
        }
    };
    debug!(?end, channels = mux.channels.len(), "connection ends");
    let out = mux.out.clone();
    // Every handler sees its queue end (and the muxer's completion sender goes away).
    drop(mux);
    match end {
        End::Abort => {
            closed.cancel();
            writer.abort();
        }
        End::Graceful(_) | End::Drain => {
            if end == End::Drain {
                // Handlers hold the only completion senders left: `None` = all finished.
                let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
                    while completions.recv().await.is_some() {}
                })
                .await;
            }
            // The writer writes everything queued before `Shutdown`, then the close frame.
            if tokio::time::timeout(FLUSH_TIMEOUT, out.tx.send(WsOut::Shutdown))
                .await
                .is_err()
            {
                closed.cancel();
            }
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, writer).await;
            closed.cancel();
        }
    }
    drop(stream);
}

fn ping_wait(interval: Duration, jitter: Duration) -> Duration {
    let j = if jitter.is_zero() {
        Duration::ZERO
    } else {
        rand::rng().random_range(Duration::ZERO..jitter)
    };
    interval.saturating_sub(j).max(Duration::from_millis(1))
}

async fn write_loop<K>(
    mut sink: K,
    mut rx: mpsc::Receiver<WsOut>,
    closed: CancellationToken,
    abort: CancellationToken,
) where
    K: futures::Sink<WsMessage> + Unpin,
    K::Error: std::fmt::Display,
{
    let mut shutdown = false;
    'outer: loop {
        let first = tokio::select! {
            biased;
            () = abort.cancelled() => return,
            m = rx.recv() => m,
            () = closed.cancelled() => break,
        };
        let Some(mut item) = first else { break };
        let mut n = 0;
        loop {
            match item {
                WsOut::Text(t) => {
                    if let Err(e) = sink.feed(WsMessage::text(t)).await {
                        debug!(error = %e, "websocket write failed");
                        closed.cancel();
                        return;
                    }
                }
                WsOut::Shutdown => {
                    shutdown = true;
                    break;
                }
            }
            n += 1;
            if n >= WRITE_BATCH {
                break;
            }
            match rx.try_recv() {
                Ok(next) => item = next,
                Err(_) => break,
            }
        }
        if let Err(e) = sink.flush().await {
            debug!(error = %e, "websocket flush failed");
            closed.cancel();
            return;
        }
        if shutdown {
            break 'outer;
        }
    }
    if abort.is_cancelled() {
        return;
    }
    // Final connection-level close frame, then the WebSocket close.
    let _ = sink.send(WsMessage::text(Frame::close().encode())).await;
    let _ = sink.close().await;
    closed.cancel();
}

impl Muxer {
    async fn send(&self, text: String) {
        // A full queue waits for the writer; a dead writer ends the loop via `closed`.
        let _ = self.out.tx.send(WsOut::Text(text)).await;
    }

    async fn on_message(&mut self, msg: WsMessage) -> Option<End> {
        let bytes: Vec<u8> = match msg {
            WsMessage::Text(t) => t.as_str().as_bytes().to_vec(),
            WsMessage::Binary(b) => b.to_vec(),
            WsMessage::Close(_) => return Some(End::Graceful("websocket closed by peer")),
            // WebSocket-level ping/pong are answered by tungstenite and are no activity.
            WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => return None,
        };
        let frame = match Frame::decode(&bytes) {
            Ok(f) => f,
            Err(e) => {
                debug!(error = %e, "undecodable frame: closing the connection");
                return Some(End::Graceful("undecodable frame"));
            }
        };
        self.last_activity = Instant::now();
        if frame
            .payload
            .as_ref()
            .is_some_and(|p| p.len() > MAX_PAYLOAD_BYTES)
        {
            debug!("payload too large: closing the connection");
            return Some(End::Graceful(text::PAYLOAD_TOO_LARGE));
        }
        match frame.control_type {
            ControlType::Ping => self.send(Frame::pong().encode()).await,
            ControlType::Pong => {}
            ControlType::Close => return Some(End::Graceful("close frame from peer")),
            ControlType::Data => {
                let payload = frame.payload.unwrap_or_default();
                let inbound = match StreamControl::detect(&payload) {
                    Some(c) => Inbound::Control(c),
                    None => Inbound::Data(payload),
                };
                self.dispatch(frame.store_id, frame.channel_id, inbound)
                    .await;
            }
            ControlType::Error => {
                let control = frame
                    .payload
                    .as_deref()
                    .and_then(StreamControl::detect)
                    .unwrap_or_else(|| StreamControl::error(""));
                if let Some(ch) = self.channels.get(&frame.channel_id) {
                    let _ = ch.tx.try_send(Inbound::Control(control));
                }
            }
            ControlType::Other(t) => trace!(control_type = %t, "unknown control type ignored"),
        }
        None
    }

    fn is_tombstoned(&mut self, id: Uuid) -> bool {
        while let Some((old, at)) = self.tombstones.front() {
            if at.elapsed() <= TOMBSTONE_AGE {
                break;
            }
            self.tombstoned.remove(old);
            self.tombstones.pop_front();
        }
        self.tombstoned.contains(&id)
    }

    fn tombstone(&mut self, id: Uuid) {
        if self.tombstoned.insert(id) {
            self.tombstones.push_back((id, Instant::now()));
        }
        while self.tombstones.len() > TOMBSTONE_MAX {
            if let Some((old, _)) = self.tombstones.pop_front() {
                self.tombstoned.remove(&old);
            }
        }
    }

    async fn dispatch(&mut self, store_id: Uuid, channel_id: Uuid, inbound: Inbound) {
        if self.is_tombstoned(channel_id) {
            return;
        }
        if let Some(ch) = self.channels.get(&channel_id) {
            // As Go: a backlog past INGRESS_BACKLOG frames kills the stream at once.
            let overloaded = match ch.tx.try_send(inbound) {
                Ok(()) => false,
                Err(mpsc::error::TrySendError::Full(_)) => true,
                // The handler is finishing; its completion re-dispatches what it did not read.
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            };
            if overloaded {
                debug!(%channel_id, "stream receive buffer overloaded");
                if let Some(ch) = self.channels.remove(&channel_id) {
                    ch.killed.cancel();
                }
                self.tombstone(channel_id);
                self.send(Frame::error(store_id, channel_id, text::OVERLOADED).encode())
                    .await;
            }
            return;
        }
        if !self.access.allows(store_id) {
            self.send(Frame::error(store_id, channel_id, text::ACCESS_DENIED).encode())
                .await;
            return;
        }
        let Inbound::Data(first) = inbound else {
            // Late close/error for a forgotten channel: no reply.
            return;
        };
        let hub = match self.node.hub(store_id).await {
            Ok(h) => h,
            Err(e) => {
                debug!(%store_id, error = %e, "store unavailable");
                self.send(Frame::error(store_id, channel_id, text::STORE_UNAVAILABLE).encode())
                    .await;
                return;
            }
        };
        // The request is decoded here, once: a produce queues for its segment now, in frame
        // order (a spawned handler may run before one spawned earlier).
        let request = Message::decode(&first);
        let ticket = match &request {
            Ok(Message::Produce(p)) if !p.space.is_empty() && !p.segment.is_empty() => {
                Some(hub.segment_ticket(&p.space, &p.segment))
            }
            _ => None,
        };
        let (tx, rx) = mpsc::channel(INGRESS_BACKLOG);
        let killed = CancellationToken::new();
        self.next_generation += 1;
        let io = ChannelIo {
            store_id,
            channel_id,
            generation: self.next_generation,
            rx,
            out: self.out.clone(),
            killed: killed.clone(),
            unread: Vec::new(),
            completions: self.completions_tx.clone(),
        };
        self.channels.insert(
            channel_id,
            Channel {
                tx,
                killed,
                generation: self.next_generation,
            },
        );
        tokio::spawn(router::run(hub, io, request, ticket));
    }

    async fn on_completion(&mut self, c: Completion) {
        let current = self
            .channels
            .get(&c.channel_id)
            .is_some_and(|ch| ch.generation == c.generation);
        if !current {
            return;
        }
        let Some(ch) = self.channels.remove(&c.channel_id) else {
            return;
        };
        drop(ch);
        if c.finish == Finish::Tombstone {
            self.tombstone(c.channel_id);
            return;
        }
        let Completion {
            store_id,
            channel_id,
            unread,
            mut rx,
            ..
        } = c;
        let mut pending: Vec<Inbound> = unread;
        while let Ok(i) = rx.try_recv() {
            pending.push(i);
        }
        if pending.is_empty() {
            return;
        }
        for i in pending {
            self.dispatch(store_id, channel_id, i).await;
        }
    }
}
