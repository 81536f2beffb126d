//! One logical channel as its handler sees it: ordered inbound payloads, an outbound sender
//! that stops when the channel is killed, and the hand-back of unread frames at completion.

use skope_proto::{Frame, StreamControl, Uuid};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Per-stream ingress backlog (PROTOCOL §2.7).
pub(crate) const INGRESS_BACKLOG: usize = 8192;

/// What the muxer delivers to a channel, in arrival order.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// An application payload (the first one is the request envelope).
    Data(Vec<u8>),
    /// `mux::close` / `mux::error` from the peer (in a data or an error frame).
    Control(StreamControl),
}

/// A message for the connection's writer task.
#[derive(Debug)]
pub(crate) enum WsOut {
    Text(String),
    /// Write the connection `close` frame, close the socket and stop.
    Shutdown,
}

/// The writer's queue plus the connection's lifetime.
#[derive(Clone)]
pub(crate) struct Outbound {
    pub tx: mpsc::Sender<WsOut>,
    /// Cancelled when the connection ends (for any reason).
    pub closed: CancellationToken,
}

/// The channel was killed or the connection is gone: stop quietly.
#[derive(Debug)]
pub(crate) struct Gone;

/// How a handler finished, for the muxer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Forget the channel; frames the handler did not read are dispatched again as frames
    /// for an unknown channel (a request envelope opens a new channel; the rest is ignored).
    Forget,
    /// Forget the channel and ignore its late frames for a while.
    Tombstone,
}

/// A finished handler hands its queue back.
pub(crate) struct Completion {
    pub store_id: Uuid,
    pub channel_id: Uuid,
    pub generation: u64,
    pub finish: Finish,
    pub unread: Vec<Inbound>,
    pub rx: mpsc::Receiver<Inbound>,
}

/// The handler's side of a channel.
pub(crate) struct ChannelIo {
    pub store_id: Uuid,
    pub channel_id: Uuid,
    pub generation: u64,
    pub rx: mpsc::Receiver<Inbound>,
    pub out: Outbound,
    /// Cancelled when the muxer kills this channel (overload).
    pub killed: CancellationToken,
    /// Payloads read but not consumed (e.g. a second envelope seen by a read handler).
    pub unread: Vec<Inbound>,
    pub completions: mpsc::Sender<Completion>,
}

impl ChannelIo {
    /// Whether frames may still be sent.
    pub fn alive(&self) -> bool {
        !self.killed.is_cancelled() && !self.out.closed.is_cancelled()
    }

    /// Send one encoded frame text.
    pub async fn send_text(&self, text: String) -> Result<(), Gone> {
        if !self.alive() {
            return Err(Gone);
        }
        self.out.tx.send(WsOut::Text(text)).await.map_err(|_| Gone)
    }

    /// Send one payload in a `data` frame.
    pub async fn send(&self, payload: Vec<u8>) -> Result<(), Gone> {
        self.send_text(self.data_frame(payload)).await
    }

    /// Encode a data frame of this channel.
    pub fn data_frame(&self, payload: Vec<u8>) -> String {
        Frame::data(self.store_id, self.channel_id, payload).encode()
    }

    /// `{"type":"mux::close"}`.
    pub async fn close(&self) -> Result<(), Gone> {
        self.send(StreamControl::close().encode()).await
    }

    /// `{"type":"mux::close","err":E}`.
    pub async fn close_err(&self, err: &str) -> Result<(), Gone> {
        self.send(StreamControl::close_with(err).encode()).await
    }

    /// Hand the channel back to the muxer.
    pub async fn finish(self, finish: Finish) {
        let c = Completion {
            store_id: self.store_id,
            channel_id: self.channel_id,
            generation: self.generation,
            finish,
            unread: self.unread,
            rx: self.rx,
        };
        // The muxer may be gone already; then there is nothing left to do.
        let _ = self.completions.send(c).await;
    }
}
