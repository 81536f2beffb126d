//! Test peer: a raw WebSocket client over an in-process duplex pipe that sends and receives
//! exact frames built with skope-proto.

#![allow(dead_code, clippy::unwrap_used)]

use futures::{SinkExt, StreamExt};
use skope_node::{Access, Node};
use skope_proto::{ControlKind, ControlType, Frame, Message, StreamControl, Uuid};
use std::time::Duration;
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const STORE: Uuid = Uuid::from_u128(1);
pub const OTHER_STORE: Uuid = Uuid::from_u128(2);
pub const WAIT: Duration = Duration::from_secs(10);

pub fn node() -> (tempfile::TempDir, Node) {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path()).unwrap();
    (dir, node)
}

pub struct Peer {
    pub ws: WebSocketStream<DuplexStream>,
    pub store: Uuid,
    /// Frames of other channels seen while waiting for one channel.
    pub held: std::collections::VecDeque<Got>,
}

pub async fn connect(node: &Node) -> Peer {
    let io = node.connect_in_process();
    handshake(io).await
}

pub async fn connect_with(node: &Node, access: Access) -> Peer {
    let (client, server) = tokio::io::duplex(1 << 20);
    let n = node.clone();
    tokio::spawn(async move { n.serve_io(server, access).await });
    handshake(client).await
}

async fn handshake(io: DuplexStream) -> Peer {
    let (ws, _) = tokio_tungstenite::client_async_with_config(
        "ws://localhost/streamz",
        io,
        Some(skope_node::ws_config()),
    )
    .await
    .unwrap();
    Peer {
        ws,
        store: STORE,
        held: Default::default(),
    }
}

/// A received frame with its payload decoded to JSON text where there is one.
#[derive(Debug, Clone)]
pub struct Got {
    pub frame: Frame,
}

impl Got {
    pub fn json(&self) -> serde_json::Value {
        match &self.frame.payload {
            Some(p) => serde_json::from_slice(p).unwrap_or(serde_json::Value::Null),
            None => serde_json::Value::Null,
        }
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.frame.payload.as_deref().unwrap_or_default()).into_owned()
    }
    pub fn control(&self) -> Option<StreamControl> {
        self.frame
            .payload
            .as_deref()
            .and_then(StreamControl::detect)
    }
    pub fn is_close(&self) -> bool {
        self.control().is_some_and(|c| c.kind == ControlKind::Close)
    }
}

impl Peer {
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.ws.send(WsMessage::text(text.into())).await.unwrap();
    }

    pub async fn send_frame(&mut self, f: &Frame) {
        self.send_text(f.encode()).await;
    }

    pub async fn send_payload(&mut self, ch: Uuid, payload: impl Into<Vec<u8>>) {
        let f = Frame::data(self.store, ch, payload.into());
        self.send_frame(&f).await;
    }

    pub async fn request(&mut self, ch: Uuid, msg: &Message) {
        self.send_payload(ch, msg.encode()).await;
    }

    pub async fn close_channel(&mut self, ch: Uuid) {
        self.send_payload(ch, StreamControl::close().encode()).await;
    }

    /// Next frame (any channel), skipping connection pings; `None` when the socket ended.
    pub async fn next(&mut self) -> Option<Got> {
        self.next_within(WAIT).await
    }

    pub async fn next_within(&mut self, d: Duration) -> Option<Got> {
        loop {
            let msg = tokio::time::timeout(d, self.ws.next()).await.ok()??;
            match msg {
                Ok(WsMessage::Text(t)) => {
                    let frame = Frame::decode(t.as_bytes()).unwrap();
                    if frame.control_type == ControlType::Ping {
                        continue;
                    }
                    return Some(Got { frame });
                }
                Ok(WsMessage::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Frames of channel `ch` until (and including) its `mux::close`; frames of other
    /// channels are held for later calls.
    pub async fn until_close(&mut self, ch: Uuid) -> Vec<Got> {
        let mut out = Vec::new();
        let mut held = std::mem::take(&mut self.held);
        loop {
            let g = match held.iter().position(|g| g.frame.channel_id == ch) {
                Some(i) => held.remove(i).expect("index"),
                None => self.next().await.expect("socket ended before mux::close"),
            };
            if g.frame.channel_id != ch {
                held.push_back(g);
                continue;
            }
            let done = g.is_close();
            out.push(g);
            if done {
                self.held = held;
                return out;
            }
        }
    }

    /// Payload JSONs of a channel's reply, the closing control included.
    pub async fn reply(&mut self, ch: Uuid) -> Vec<serde_json::Value> {
        self.until_close(ch).await.iter().map(Got::json).collect()
    }

    /// Send a request and collect its reply.
    pub async fn call(&mut self, msg: &Message) -> Vec<serde_json::Value> {
        let ch = Uuid::new_v4();
        self.request(ch, msg).await;
        self.reply(ch).await
    }

    /// Assert nothing arrives for `d`.
    pub async fn silent_for(&mut self, d: Duration) {
        if let Some(g) = self.next_within(d).await {
            panic!("unexpected frame {:?} {}", g.frame.control_type, g.text());
        }
    }

    /// Produce `records` (sequence, payload) to space/segment and return the reply.
    pub async fn produce(
        &mut self,
        space: &str,
        segment: &str,
        seqs: impl IntoIterator<Item = u64>,
    ) -> Vec<serde_json::Value> {
        let ch = Uuid::new_v4();
        self.request(
            ch,
            &Message::Produce(skope_proto::Produce {
                space: space.into(),
                segment: segment.into(),
            }),
        )
        .await;
        for s in seqs {
            let r = skope_proto::Record::new(s, format!("{space}/{segment}/{s}"));
            self.send_payload(ch, skope_proto::encode_bare(&r)).await;
        }
        self.close_channel(ch).await;
        self.reply(ch).await
    }
}

pub fn close() -> serde_json::Value {
    serde_json::json!({"type": "mux::close"})
}

pub fn close_err(e: &str) -> serde_json::Value {
    serde_json::json!({"type": "mux::close", "err": e})
}
