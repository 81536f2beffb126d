//! Server-side conformance of a real `skope serve` process (the binary, over TCP):
//! (a) the frames of streamkit's Go server, replaying each single-connection capture of
//! `shared/protocol/transcripts/` (machinery: `skope_node::testkit::replay`; the state a
//! capture relied on is seeded into the data dir before the process starts);
//! (b) the recorded HTTP outcome of every `*.handshake.json` (101 / 401 / 403, reason, body,
//! headers), with the request each capture made rebuilt;
//! plus the JSON ping, and the graceful shutdown on SIGTERM during a produce.

#![allow(clippy::unwrap_used)]

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use skope_node::auth::mint_hs256;
use skope_node::testkit::replay::{self, CAPTURES, LEASE_HOLDERS, MAIN};
use skope_node::testkit::{raw_upgrade, sign_hs256};
use skope_node::{Access, Node};
use skope_proto::{ControlType, Frame, Message, Peek, Produce, Record, Uuid, encode_bare};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SECRET: &str = "top-secret";
const WAIT: Duration = Duration::from_secs(10);

/// A running `skope serve`; killed if the test did not stop it.
struct Serve {
    child: Child,
    addr: SocketAddr,
}

impl Serve {
    fn start(dir: &Path) -> Serve {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("skope"))
            .env("SKOPE_CONFIG", "/dev/null")
            .args(["serve", "--listen", "127.0.0.1:0", "--jwt-secret", SECRET])
            .arg("--data-dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("listening line {line:?}: {e}"));
        let addr = v["listening"].as_str().unwrap().parse().unwrap();
        Serve { child, addr }
    }

    /// SIGTERM, then the exit status (must be 0).
    fn stop(mut self) {
        term(&self.child);
        let status = wait_exit(&mut self.child);
        assert!(status.success(), "skope serve exited with {status}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn term(child: &Child) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "skope serve did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn token(scopes: &[String]) -> String {
    mint_hs256(SECRET.as_bytes(), scopes, Duration::from_secs(300)).unwrap()
}

fn scopes_of(access: &Access) -> Vec<String> {
    match access {
        Access::All => vec!["streamkit::*".to_owned()],
        Access::Stores(ids) => ids.iter().map(|id| format!("streamkit::{id}")).collect(),
    }
}

async fn connect(addr: SocketAddr, scopes: &[String]) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let _ = tcp.set_nodelay(true);
    let mut req = format!("ws://{addr}/streamz")
        .into_client_request()
        .unwrap();
    let h = req.headers_mut();
    h.insert("Origin", "http://localhost".parse().unwrap());
    h.insert(
        "Authorization",
        format!("Bearer {}", token(scopes)).parse().unwrap(),
    );
    tokio_tungstenite::client_async_with_config(req, tcp, Some(skope_node::ws_config()))
        .await
        .unwrap()
        .0
}

// ---------------------------------------------------------------------------------------
// (a) transcript replay over TCP

/// Seed what the captures relied on, then serve the dir from a real process and replay each
/// capture on its own connection.
async fn replay_all(names: &[&'static str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut prepared = Vec::new();
    {
        let node = Node::open(dir.path()).unwrap();
        for name in names {
            let r = replay::standard(name);
            match replay::prepare(&node, &r).await {
                Some(p) => prepared.push((r, p)),
                None => return, // transcripts missing (noted on stderr)
            }
        }
    }
    let serve = Serve::start(dir.path());
    for (r, p) in prepared {
        let ws = connect(serve.addr, &scopes_of(&r.access)).await;
        p.run(ws).await;
    }
    serve.stop();
}

async fn replay_one(name: &'static str) {
    replay_all(&[name]).await;
}

macro_rules! replays {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                replay_one(stringify!($name)).await;
            }
        )*
        #[test]
        fn every_capture_is_replayed() {
            let mut here = vec![$(stringify!($name)),*];
            let mut listed = CAPTURES.to_vec();
            here.sort_unstable();
            listed.sort_unstable();
            assert_eq!(here, listed);
        }
    };
}

replays!(
    produce,
    peek,
    get_spaces,
    get_segments,
    consume_segment,
    consume_segment_range,
    consume_space,
    consume_space_offset,
    consume,
    produce_wrong_sequence,
    produce_duplicate_sequence,
    produce_gap_without_halfclose,
    produce_client_close_error,
    lease_cycle,
    lease_withlease,
    lease_expiry,
    get_status,
    subscribe_workers,
    subscribe_heartbeat_wildcard,
    inventory_order,
    consume_bounds,
    empty_and_missing_names,
    bad_requests,
    channel_reuse,
    bad_frame_not_json,
    bad_frame_payload_not_base64,
    scoped_store_allowed,
    scoped_store_forbidden,
    scoped_store_forbidden_produce,
    name_prefix_leak,
    consume_early_close,
);

/// Five connections in a row against one server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_holders_in_sequence() {
    replay_all(LEASE_HOLDERS).await;
}

// ---------------------------------------------------------------------------------------
// (b) HTTP outcomes of every handshake capture

/// The `Authorization` / `Origin` headers capture `name` sent.
fn request_of(name: &str) -> (Option<String>, bool) {
    let star = || vec!["streamkit::*".to_owned()];
    let bearer = |t: &str| Some(format!("Bearer {t}"));
    let exp = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    match name {
        "handshake_no_origin" => (bearer(&token(&star())), false),
        "handshake_bearer_lowercase" => (Some(format!("bearer {}", token(&star()))), true),
        "handshake_bearer_two_spaces" => (Some(format!("Bearer  {}", token(&star()))), true),
        "unauthorized_no_token" => (Some("Bearer ".to_owned()), true),
        "unauthorized_bad_signature" => (
            bearer(&mint_hs256(b"another-secret", &star(), Duration::from_secs(300)).unwrap()),
            true,
        ),
        "unauthorized_garbage_token" => (bearer("not-a-jwt"), true),
        "unauthorized_expired_token" => (
            bearer(&sign_hs256(
                SECRET.as_bytes(),
                &json!({"exp": exp() - 3600, "scopes": ["streamkit::*"]}),
            )),
            true,
        ),
        "unauthorized_token_without_exp" => (
            bearer(&sign_hs256(
                SECRET.as_bytes(),
                &json!({"scopes": ["streamkit::*"]}),
            )),
            true,
        ),
        "unauthorized_no_streamkit_scope" => (bearer(&token(&["other::scope".to_owned()])), true),
        "unauthorized_invalid_store_scope" => {
            (bearer(&token(&["streamkit::not-a-uuid".to_owned()])), true)
        }
        n if n.starts_with("scoped_") => (bearer(&token(&[format!("streamkit::{MAIN}")])), true),
        n => {
            assert!(
                !n.starts_with("unauthorized_") && !n.starts_with("handshake_"),
                "no request known for capture {n}"
            );
            (bearer(&token(&star())), true)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_outcomes_match_the_captures() {
    let Some(dir) = replay::dir() else { return };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".handshake.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "handshake captures: {}", files.len());
    let data = tempfile::tempdir().unwrap();
    let serve = Serve::start(data.path());
    let mut checked = 0;
    for path in files {
        let capture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = capture["operation"].as_str().unwrap();
        let (authorization, origin) = request_of(name);
        // Every recorded attempt of a capture made the same request: check one.
        let rec = &capture["handshakes"][0];
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = &authorization {
            headers.push(("Authorization", a));
        }
        if origin {
            headers.push(("Origin", "http://localhost"));
        }
        let got = raw_upgrade(serve.addr, "/streamz", &headers).await;
        let status = rec["upstream_http_status"].as_u64().unwrap();
        assert!(
            got.status_line.starts_with(&format!("HTTP/1.1 {status} ")),
            "{name}: {} (recorded {status})",
            got.status_line
        );
        if let Some(reason) = rec["upstream_reason"].as_str() {
            assert_eq!(
                got.status_line,
                format!("HTTP/1.1 {status} {reason}"),
                "{name}"
            );
        }
        if let Some(body) = rec["upstream_body"].as_str() {
            assert_eq!(got.body, body, "{name}");
        }
        if let Some(hs) = rec["upstream_headers"].as_object() {
            for (k, v) in hs {
                assert_eq!(got.header(k), v.as_str(), "{name}: header {k}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 10);
    serve.stop();
}

// ---------------------------------------------------------------------------------------
// Ping and graceful shutdown

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

fn last_sequence(f: &Frame) -> u64 {
    let v: Value = serde_json::from_slice(f.payload.as_deref().unwrap_or_default()).unwrap();
    assert!(v.get("type").is_none(), "unexpected stream control {v}");
    v["last_sequence"].as_u64().unwrap_or(0)
}

/// Ping; wait for the pong (the server has read everything sent before). Returns the highest
/// `last_sequence` among the statuses that arrived meanwhile.
async fn sync(ws: &mut WebSocketStream<TcpStream>) -> u64 {
    ws.send(WsMessage::text(Frame::ping().encode()))
        .await
        .unwrap();
    let mut last = 0;
    loop {
        let f = next_frame(ws).await.expect("pong");
        match &f.control_type {
            ControlType::Pong => return last,
            ControlType::Data => last = last.max(last_sequence(&f)),
            _ => panic!("unexpected {f:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_ping_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path());
    let mut ws = connect(serve.addr, &["streamkit::*".to_owned()]).await;
    for _ in 0..3 {
        assert_eq!(sync(&mut ws).await, 0);
    }
    serve.stop();
}

/// SIGTERM during a produce of 25 000 records on one stream (no half-close): every chunk the
/// server committed is reported, then the connection `close` frame, then exit 0; after a
/// restart the segment holds exactly the reported, whole chunks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_produce_commits_whole_chunks_and_exits_0() {
    const RECORDS: u64 = 25_000;
    const CHUNK: u64 = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path());
    let mut ws = connect(serve.addr, &["streamkit::*".to_owned()]).await;
    let ch = Uuid::new_v4();
    let produce = Message::Produce(Produce {
        space: "space0".into(),
        segment: "seg0".into(),
    });
    ws.send(WsMessage::text(
        Frame::data(MAIN, ch, produce.encode()).encode(),
    ))
    .await
    .unwrap();
    // Paced (a backlog past 8192 frames kills the stream, as Go): after every 2 000 records a
    // ping whose pong proves the server read them, and time for the handler to catch up.
    let mut reported = 0;
    for seq in 1..=RECORDS {
        let rec = Record::new(seq, format!("record-{seq}"));
        ws.feed(WsMessage::text(
            Frame::data(MAIN, ch, encode_bare(&rec)).encode(),
        ))
        .await
        .unwrap();
        if seq % 2_000 == 0 {
            reported = reported.max(sync(&mut ws).await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    reported = reported.max(sync(&mut ws).await);
    let mut child = serve;
    term(&child.child);
    let mut closed = false;
    while let Some(f) = next_frame(&mut ws).await {
        match &f.control_type {
            ControlType::Close => {
                closed = true;
                break;
            }
            ControlType::Data => reported = reported.max(last_sequence(&f)),
            ControlType::Pong => {}
            _ => panic!("unexpected {f:?}"),
        }
    }
    assert!(closed, "no connection close frame on SIGTERM");
    let status = wait_exit(&mut child.child);
    assert!(status.success(), "exit status {status}");
    drop(child);
    // Two whole chunks were read before the signal; the 5 000 records after them were not.
    assert_eq!(reported, 2 * CHUNK);

    // Restart: the segment holds the reported chunks, whole.
    let serve = Serve::start(dir.path());
    let mut ws = connect(serve.addr, &["streamkit::*".to_owned()]).await;
    let peek = Message::Peek(Peek {
        space: "space0".into(),
        segment: "seg0".into(),
    });
    let ch = Uuid::new_v4();
    ws.send(WsMessage::text(
        Frame::data(MAIN, ch, peek.encode()).encode(),
    ))
    .await
    .unwrap();
    let f = next_frame(&mut ws).await.unwrap();
    let entry: Value = serde_json::from_slice(f.payload.as_deref().unwrap()).unwrap();
    assert_eq!(entry["sequence"], reported);
    serve.stop();
    let node = Node::open(dir.path()).unwrap();
    let store = node.storage().store(MAIN).unwrap();
    let s = store.segment_status("space0", "seg0").unwrap().unwrap();
    assert_eq!((s.first_sequence, s.last_sequence), (1, reported));
    let q = skope_node::storage::SegmentQuery {
        space: "space0".into(),
        segment: "seg0".into(),
        ..Default::default()
    };
    let seqs: Vec<u64> = store
        .scan_segment(&q)
        .unwrap()
        .map(|e| e.unwrap().sequence)
        .collect();
    assert_eq!(seqs, (1..=reported).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------
// The CLI surface of `serve` and `token`

fn skope() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("skope").unwrap();
    c.env_remove("SKOPE_JWT_SECRET")
        .env("SKOPE_CONFIG", "/dev/null")
        .timeout(Duration::from_secs(30));
    c
}

#[test]
fn serve_refuses_to_run_without_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let out = skope()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--allow-anonymous"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_data_dir_held_by_another_skope() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path());
    let out = skope()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--allow-anonymous",
            "--data-dir",
        ])
        .arg(dir.path())
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("in use by another skope process"), "{err}");
    // Local commands on the same data dir go through the serving process.
    skope()
        .args(["publish", "a", "b", "hello", "--data-dir"])
        .arg(dir.path())
        .assert()
        .success();
    serve.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_from_skope_token_is_accepted_by_serve() {
    let out = skope()
        .args([
            "token",
            "--scope",
            &format!("streamkit::{MAIN}"),
            "--ttl",
            "5m",
        ])
        .env("SKOPE_JWT_SECRET", SECRET)
        .assert()
        .success();
    let token = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let token = token.trim();
    assert_eq!(
        skope_node::auth::unverified_scopes(token),
        Some(vec![format!("streamkit::{MAIN}")])
    );
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path());
    let bearer = format!("Bearer {token}");
    let got = raw_upgrade(
        serve.addr,
        "/streamz",
        &[("Authorization", &bearer), ("Origin", "http://localhost")],
    )
    .await;
    assert_eq!(got.status_line, "HTTP/1.1 101 Switching Protocols");
    serve.stop();
    // Scopes serve would refuse are refused here too.
    skope()
        .args(["token", "--secret", "s", "--scope", "streamkit::nope"])
        .assert()
        .failure();
}
