//! The HTTP layer of `skope serve` (`Server` on an in-process TCP listener, port 0): the
//! upgrade outcomes of streamkit's Go server (PROTOCOL §2.1–2.3), store scopes after the
//! upgrade, and the graceful shutdown.

#![allow(clippy::unwrap_used)]

use futures::{SinkExt, StreamExt};
use serde_json::json;
use skope_node::auth::{TokenCheck, mint_hs256};
use skope_node::testkit::{Http, raw_upgrade as raw, sign_hs256};
use skope_node::{Auth, Node, Server};
use skope_proto::{ControlType, Frame, Message, Peek, Produce, Record, Uuid, encode_bare};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SECRET: &[u8] = b"top-secret";
const MAIN: Uuid = Uuid::from_u128(1);
const OTHER: Uuid = Uuid::from_u128(2);
const WAIT: Duration = Duration::from_secs(10);

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

async fn start(auth: Auth) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path()).unwrap();
    let server = Server::bind("127.0.0.1:0", node, auth).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        done,
        _dir: dir,
    }
}

fn token(scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    mint_hs256(SECRET, &scopes, Duration::from_secs(300)).unwrap()
}

fn secured() -> Auth {
    Auth::Token(TokenCheck::hs256(SECRET))
}

fn assert_unauthorized(r: &Http) {
    assert_eq!(r.status_line, "HTTP/1.1 401 Unauthorized", "{r:?}");
    assert_eq!(r.body, "Unauthorized\n");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

fn assert_forbidden(r: &Http) {
    assert_eq!(r.status_line, "HTTP/1.1 403 Forbidden", "{r:?}");
    assert_eq!(r.body, "");
}

const ORIGIN: (&str, &str) = ("Origin", "http://localhost");

#[tokio::test]
async fn wrong_path_is_404() {
    let s = start(secured()).await;
    let bearer = format!("Bearer {}", token(&["streamkit::*"]));
    let r = raw(s.addr, "/other", &[ORIGIN, ("Authorization", &bearer)]).await;
    assert_eq!(r.status_line, "HTTP/1.1 404 Not Found");
    let r = raw(s.addr, "/streamz", &[ORIGIN, ("Authorization", &bearer)]).await;
    assert_eq!(r.status_line, "HTTP/1.1 101 Switching Protocols");
}

#[tokio::test]
async fn origin_is_required_and_must_be_a_request_uri() {
    let s = start(secured()).await;
    let bearer = format!("Bearer {}", token(&["streamkit::*"]));
    assert_forbidden(&raw(s.addr, "/streamz", &[("Authorization", &bearer)]).await);
    assert_forbidden(
        &raw(
            s.addr,
            "/streamz",
            &[("Origin", "foo"), ("Authorization", &bearer)],
        )
        .await,
    );
    assert_forbidden(
        &raw(
            s.addr,
            "/streamz",
            &[("Origin", ""), ("Authorization", &bearer)],
        )
        .await,
    );
    // Anonymous servers still want an Origin, as Go.
    let anon = start(Auth::Anonymous).await;
    assert_forbidden(&raw(anon.addr, "/streamz", &[]).await);
    let r = raw(anon.addr, "/streamz", &[ORIGIN]).await;
    assert_eq!(r.status_line, "HTTP/1.1 101 Switching Protocols");
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let s = start(secured()).await;
    let good = token(&["streamkit::*"]);
    let bad_sig = mint_hs256(
        b"other-secret",
        &["streamkit::*".to_owned()],
        Duration::from_secs(60),
    )
    .unwrap();
    let expired = sign_hs256(
        SECRET,
        &json!({"exp": 1_000_000_000u64, "scopes": ["streamkit::*"]}),
    );
    let no_exp = sign_hs256(SECRET, &json!({"scopes": ["streamkit::*"]}));
    let no_scope = token(&["other::scope"]);
    let bad_scope = token(&["streamkit::not-a-uuid"]);
    let cases = [
        "Bearer ".to_owned(),
        "Bearer not-a-jwt".to_owned(),
        format!("Bearer {bad_sig}"),
        format!("Bearer {expired}"),
        format!("Bearer {no_exp}"),
        format!("Bearer {no_scope}"),
        format!("Bearer {bad_scope}"),
        format!("Bearer  {good}"),
        format!("Basic {good}"),
        good.clone(),
    ];
    for auth in &cases {
        assert_unauthorized(&raw(s.addr, "/streamz", &[ORIGIN, ("Authorization", auth)]).await);
    }
    // No token at all; an invalid token without Origin is still a 401 (authentication first).
    assert_unauthorized(&raw(s.addr, "/streamz", &[ORIGIN]).await);
    assert_unauthorized(&raw(s.addr, "/streamz", &[("Authorization", "Bearer x")]).await);
    // Lower-case scheme is fine.
    let r = raw(
        s.addr,
        "/streamz",
        &[ORIGIN, ("Authorization", &format!("bearer {good}"))],
    )
    .await;
    assert_eq!(r.status_line, "HTTP/1.1 101 Switching Protocols");
}

#[tokio::test]
async fn app_token_cookie_is_accepted() {
    let s = start(secured()).await;
    let good = token(&["streamkit::*"]);
    let cookie = format!("theme=dark; app_token={good}");
    let r = raw(s.addr, "/streamz", &[ORIGIN, ("Cookie", &cookie)]).await;
    assert_eq!(r.status_line, "HTTP/1.1 101 Switching Protocols");
    assert_unauthorized(&raw(s.addr, "/streamz", &[ORIGIN, ("Cookie", "app_token=nope")]).await);
    // The Authorization header, when present, is what counts.
    assert_unauthorized(
        &raw(
            s.addr,
            "/streamz",
            &[
                ORIGIN,
                ("Cookie", &cookie),
                ("Authorization", "Bearer nope"),
            ],
        )
        .await,
    );
}

async fn ws_connect(addr: SocketAddr, bearer: &str) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("ws://{addr}/streamz")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Origin", "http://localhost".parse().unwrap());
    req.headers_mut()
        .insert("Authorization", format!("Bearer {bearer}").parse().unwrap());
    tokio_tungstenite::client_async_with_config(req, tcp, Some(skope_node::ws_config()))
        .await
        .unwrap()
        .0
}

async fn next_frame(ws: &mut WebSocketStream<TcpStream>) -> Option<Frame> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.ok()?? {
            Ok(WsMessage::Text(t)) => {
                let f = Frame::decode(t.as_bytes()).unwrap();
                if f.control_type != ControlType::Ping {
                    return Some(f);
                }
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

async fn send(ws: &mut WebSocketStream<TcpStream>, f: Frame) {
    ws.send(WsMessage::text(f.encode())).await.unwrap();
}

#[tokio::test]
async fn store_scoped_token_is_denied_other_stores_in_band() {
    let s = start(secured()).await;
    let mut ws = ws_connect(s.addr, &token(&[&format!("streamkit::{MAIN}")])).await;
    let peek = Message::Peek(Peek {
        space: "a".into(),
        segment: "b".into(),
    })
    .encode();
    let ch = Uuid::new_v4();
    send(&mut ws, Frame::data(OTHER, ch, peek.clone())).await;
    let f = next_frame(&mut ws).await.unwrap();
    assert_eq!(f.control_type, ControlType::Error);
    assert_eq!((f.store_id, f.channel_id), (OTHER, ch));
    let v: serde_json::Value = serde_json::from_slice(f.payload.as_deref().unwrap()).unwrap();
    assert_eq!(v, json!({"type":"mux::error","err":"access denied"}));
    // The connection stays up; the granted store works; JSON ping → pong.
    let ch = Uuid::new_v4();
    send(&mut ws, Frame::data(MAIN, ch, peek)).await;
    let f = next_frame(&mut ws).await.unwrap();
    assert_eq!((f.control_type, f.channel_id), (ControlType::Data, ch));
    sync(&mut ws).await;
}

/// Send a JSON ping and wait for its pong: the server has read everything sent before.
/// Returns the highest `last_sequence` of the statuses that arrived meanwhile.
async fn sync(ws: &mut WebSocketStream<TcpStream>) -> u64 {
    send(ws, Frame::ping()).await;
    let mut last = 0;
    loop {
        let f = next_frame(ws).await.expect("pong");
        assert_ne!(f.control_type, ControlType::Error, "{f:?}");
        if f.control_type == ControlType::Pong {
            return last;
        }
        if let Some(p) = f.payload.as_deref() {
            let v: serde_json::Value = serde_json::from_slice(p).unwrap();
            last = last.max(v["last_sequence"].as_u64().unwrap_or(0));
        }
    }
}

/// Shutdown: the in-flight produce's committed chunks are reported, then a `close` frame;
/// `run` returns; the store holds whole chunks only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_sends_close_and_commits_whole_chunks() {
    let mut s = start(secured()).await;
    let mut ws = ws_connect(s.addr, &token(&["streamkit::*"])).await;
    let ch = Uuid::new_v4();
    let produce = Message::Produce(Produce {
        space: "sp".into(),
        segment: "sg".into(),
    })
    .encode();
    send(&mut ws, Frame::data(MAIN, ch, produce)).await;
    // 12 000 records, no half-close: one full chunk gets committed, 2 000 wait for more.
    // Paced (a backlog past 8192 frames would kill the stream, as Go): after each 2 000, a
    // ping whose pong proves the server has read them all, and time for the handler.
    let mut last = 0;
    for seq in 1..=12_000u64 {
        ws.feed(WsMessage::text(
            Frame::data(MAIN, ch, encode_bare(&Record::new(seq, "r"))).encode(),
        ))
        .await
        .unwrap();
        if seq % 2_000 == 0 {
            last = last.max(sync(&mut ws).await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let _ = s.stop.take().unwrap().send(());
    let mut closed = false;
    while let Some(f) = next_frame(&mut ws).await {
        match f.control_type {
            ControlType::Pong => {}
            ControlType::Close => {
                closed = true;
                break;
            }
            ControlType::Data => {
                let v: serde_json::Value =
                    serde_json::from_slice(f.payload.as_deref().unwrap()).unwrap();
                assert!(v.get("type").is_none(), "no stream close on shutdown: {v}");
                last = v["last_sequence"].as_u64().unwrap();
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(closed, "no close frame");
    tokio::time::timeout(WAIT, &mut s.done)
        .await
        .unwrap()
        .unwrap();
    let node = Node::open(s._dir.path()).unwrap();
    let stored = node
        .storage()
        .store(MAIN)
        .unwrap()
        .segment_status("sp", "sg")
        .unwrap()
        .map_or(0, |s| s.last_sequence);
    // The chunk was committed whole (during or before the shutdown) and reported.
    assert_eq!((last, stored), (10_000, 10_000));
}
