//! Client-side conformance against the recorded Go transcripts
//! (`shared/protocol/transcripts/<op>.jsonl`, Go client ↔ Go server).
//!
//! A scripted WebSocket server on loopback replays the **server** side of a transcript: each
//! frame skope's client sends must equal the recorded client frame (payload byte for byte, same
//! store, same control type; the channel id is mapped — the first channel skope opens is the
//! first recorded one, and so on), and is answered with the recorded server frames that followed
//! it on that channel, channel id rewritten. Pings and pongs are timing, not protocol, and are
//! skipped; the server's final connection-level `close` is not replayed (Go sends it after the
//! client already went away).
//!
//! Then the results skope returns (entries, names, statuses, error texts) must be what the
//! recorded server frames carry.
//!
//! Differences that cannot be matched, by design:
//! * **Late `mux::close`**: after the server closed a channel the Go client sometimes sends its
//!   own `{"type":"mux::close"}` (a race in Go, PROTOCOL §2.6). Such recorded client frames are
//!   optional here, and skope may likewise send a plain `mux::close` on a channel the script has
//!   finished (e.g. a bounded read that reached `max_sequence` closes its side without waiting for
//!   the server's close). These are reported as notes, not failures.
//! * **Lease holders** are random UUIDs on both sides: the recorded holder is mapped to skope's
//!   the first time it appears, then compared byte for byte like everything else.
//! * The Go client's `produce` transcript starts with a `peek` that Go's test harness issued:
//!   skope's `produce` only peeks for records without a sequence, so the test calls `peek` then
//!   `produce` explicitly, as the transcript shows.

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use skope_client::{
    Client, ConnState, Entry, ErrorKind, Record, RetryPolicy, SegmentStatus, Uuid, WorkerInventory,
    WorkerOptions, WsConnector,
};
use skope_proto::{ControlType, Frame, Message, StreamControl, decode_bare};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message as Ws;

const WAIT: Duration = Duration::from_secs(10);

fn transcripts_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/protocol/transcripts"
    ))
}

/// One recorded frame.
#[derive(Debug, Clone)]
struct Rec {
    c2s: bool,
    frame: Frame,
}

fn load(op: &str) -> Vec<Rec> {
    let path = transcripts_dir().join(format!("{op}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "transcript {} is missing ({e}): the conformance tests read the recorded Go \
             transcripts from shared/protocol/transcripts beside the repository",
            path.display()
        )
    });
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("transcript line is JSON");
            assert!(
                v.get("conn").is_none_or(|c| c == 0),
                "{op}: multi-connection transcripts are not replayed"
            );
            let frame_text = serde_json::to_vec(&v["frame"]).expect("frame");
            Rec {
                c2s: v["dir"] == "c2s",
                frame: Frame::decode(&frame_text).expect("recorded frame decodes"),
            }
        })
        .collect()
}

fn is_control(payload: &[u8]) -> bool {
    StreamControl::detect(payload).is_some()
}

const PLAIN_CLOSE: &[u8] = br#"{"type":"mux::close"}"#;

/// One recorded client frame on a channel and the server frames that followed it there.
#[derive(Debug, Clone)]
struct Step {
    client: Frame,
    replies: Vec<Frame>,
    /// Sent after the server had already ended the channel (Go's late-close race).
    optional: bool,
}

#[derive(Debug, Clone)]
struct RecChannel {
    id: Uuid,
    steps: Vec<Step>,
}

/// The recorded channels in order of first use, with their steps.
fn script_of(recs: &[Rec]) -> Vec<RecChannel> {
    let mut chans: Vec<RecChannel> = Vec::new();
    let mut ended: HashMap<Uuid, bool> = HashMap::new();
    for r in recs {
        let f = &r.frame;
        if !matches!(f.control_type, ControlType::Data | ControlType::Error) {
            continue; // ping, pong, connection close
        }
        if r.c2s {
            let optional = ended.get(&f.channel_id).copied().unwrap_or(false);
            let step = Step {
                client: f.clone(),
                replies: Vec::new(),
                optional,
            };
            match chans.iter_mut().find(|c| c.id == f.channel_id) {
                Some(c) => c.steps.push(step),
                None => chans.push(RecChannel {
                    id: f.channel_id,
                    steps: vec![step],
                }),
            }
        } else {
            let chan = chans
                .iter_mut()
                .find(|c| c.id == f.channel_id)
                .expect("server frames only on client-opened channels");
            chan.steps
                .last_mut()
                .expect("a client frame first")
                .replies
                .push(f.clone());
            let payload = f.payload.as_deref().unwrap_or_default();
            if f.control_type == ControlType::Error || is_control(payload) {
                ended.insert(f.channel_id, true);
            }
        }
    }
    chans
}

/// What the script saw.
#[derive(Debug, Default)]
struct Report {
    /// Client frames that differ from the recording (or were not expected at all).
    mismatches: Vec<String>,
    /// Tolerated differences (see the module docs).
    notes: Vec<String>,
    /// Client frames compared with the recording.
    requests: usize,
}

/// A recorded channel, how many of its steps were matched, and skope's id for it.
type Progress = (RecChannel, usize, Option<Uuid>);

struct Script {
    client: Client,
    report: Arc<Mutex<Report>>,
    chans: Arc<Mutex<Vec<Progress>>>,
    server: tokio::task::JoinHandle<()>,
}

/// Substitutions learned while matching (recorded text → skope's text).
type Substs = Vec<(String, String)>;

fn apply(substs: &Substs, bytes: &[u8]) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    for (from, to) in substs {
        text = text.replace(from.as_str(), to.as_str());
    }
    text.into_bytes()
}

/// Learn the lease holder mapping from two lease envelopes that differ only by holder.
fn learn_holder(substs: &mut Substs, recorded: &[u8], actual: &[u8]) {
    let (Ok(r), Ok(a)) = (
        serde_json::from_slice::<Value>(recorded),
        serde_json::from_slice::<Value>(actual),
    ) else {
        return;
    };
    let (Some(rh), Some(ah)) = (
        r["content"]["holder"].as_str(),
        a["content"]["holder"].as_str(),
    ) else {
        return;
    };
    if rh != ah && !substs.iter().any(|(from, _)| from == rh) {
        substs.push((rh.to_owned(), ah.to_owned()));
    }
}

async fn start(op: &str) -> Script {
    let chans: Vec<_> = script_of(&load(op))
        .into_iter()
        .map(|c| (c, 0usize, None))
        .collect();
    let chans = Arc::new(Mutex::new(chans));
    let report = Arc::new(Mutex::new(Report::default()));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (chans2, report2) = (chans.clone(), report.clone());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
        let mut substs: Substs = Vec::new();
        'frames: while let Some(Ok(msg)) = ws.next().await {
            let Ws::Text(text) = msg else { continue };
            let frame = Frame::decode(text.as_bytes()).expect("client frames decode");
            if frame.control_type == ControlType::Ping {
                let _ = ws.send(Ws::Text(Frame::pong().encode().into())).await;
                continue;
            }
            let payload = frame.payload.clone().unwrap_or_default();
            let replies = 'reply: {
                let mut chans = chans2.lock().expect("lock");
                let mut report = report2.lock().expect("lock");
                let idx = match chans
                    .iter()
                    .position(|(_, _, actual)| *actual == Some(frame.channel_id))
                {
                    Some(i) => Some(i),
                    None => {
                        let next = chans.iter().position(|(_, _, actual)| actual.is_none());
                        if let Some(i) = next {
                            chans[i].2 = Some(frame.channel_id);
                        }
                        next
                    }
                };
                let Some(idx) = idx else {
                    report.mismatches.push(format!(
                        "unexpected channel: client sent {} on a channel the recording does not have",
                        String::from_utf8_lossy(&payload)
                    ));
                    // End it so that the client does not wait forever.
                    break 'reply vec![Frame::data(
                        frame.store_id,
                        frame.channel_id,
                        StreamControl::close_with("conformance script: unexpected channel")
                            .encode(),
                    )];
                };
                let (chan, next, _) = &mut chans[idx];
                // Skip recorded late closes the client did not send.
                while *next < chan.steps.len()
                    && chan.steps[*next].optional
                    && chan.steps[*next].client.payload.as_deref() != Some(payload.as_slice())
                {
                    report.notes.push(format!(
                        "channel {idx}: Go's late mux::close not sent by skope"
                    ));
                    *next += 1;
                }
                if *next >= chan.steps.len() {
                    if payload == PLAIN_CLOSE {
                        report.notes.push(format!(
                            "channel {idx}: skope closed its side after the script ended"
                        ));
                    } else {
                        report.mismatches.push(format!(
                            "channel {idx}: unexpected extra client frame {}",
                            String::from_utf8_lossy(&payload)
                        ));
                    }
                    continue 'frames;
                }
                let step = chan.steps[*next].clone();
                *next += 1;
                report.requests += 1;
                let recorded = step.client.payload.clone().unwrap_or_default();
                learn_holder(&mut substs, &recorded, &payload);
                let expected = apply(&substs, &recorded);
                if expected != payload {
                    report.mismatches.push(format!(
                        "channel {idx} step {}: payload differs\n  recorded: {}\n  skope:    {}",
                        *next - 1,
                        String::from_utf8_lossy(&expected),
                        String::from_utf8_lossy(&payload)
                    ));
                }
                if frame.store_id != step.client.store_id
                    || frame.control_type != step.client.control_type
                    || !frame.trace_context.is_empty()
                {
                    report.mismatches.push(format!(
                        "channel {idx}: frame header differs: {:?}/{:?} vs recorded {:?}/{:?}",
                        frame.control_type,
                        frame.store_id,
                        step.client.control_type,
                        step.client.store_id
                    ));
                }
                step.replies
            };
            for mut reply in replies {
                reply.channel_id = frame.channel_id;
                if ws.send(Ws::Text(reply.encode().into())).await.is_err() {
                    return;
                }
            }
        }
    });
    let client = Client::builder(
        WsConnector::builder(format!("ws://{addr}"))
            .build()
            .expect("connector"),
    )
    .retry_policy(RetryPolicy::default_policy())
    .build();
    Script {
        client,
        report,
        chans,
        server,
    }
}

impl Script {
    /// Recorded server payloads (not stream-control) of recorded channel `idx`.
    fn server_payloads(&self, idx: usize) -> Vec<Vec<u8>> {
        let chans = self.chans.lock().expect("lock");
        chans[idx]
            .0
            .steps
            .iter()
            .flat_map(|s| s.replies.iter())
            .filter_map(|f| f.payload.clone())
            .filter(|p| !is_control(p))
            .collect()
    }

    fn server_decoded<T: serde::de::DeserializeOwned>(&self, idx: usize) -> Vec<T> {
        self.server_payloads(idx)
            .iter()
            .map(|p| decode_bare(p).expect("recorded payload decodes"))
            .collect()
    }

    /// The recorded server end of channel `idx` as skope's error text, if it was an error.
    fn server_error(&self, idx: usize) -> Option<String> {
        let chans = self.chans.lock().expect("lock");
        chans[idx]
            .0
            .steps
            .iter()
            .flat_map(|s| s.replies.iter())
            .filter_map(|f| StreamControl::detect(f.payload.as_deref().unwrap_or_default()))
            .find_map(|c| c.reader_error())
    }

    /// The recorded request envelope of channel `idx`.
    fn request(&self, idx: usize) -> Message {
        let chans = self.chans.lock().expect("lock");
        let payload = chans[idx].0.steps[0]
            .client
            .payload
            .clone()
            .expect("request payload");
        Message::decode(&payload).expect("recorded request decodes")
    }

    /// Recorded client payloads after the request on channel `idx` (records), not controls.
    fn client_payloads(&self, idx: usize) -> Vec<Vec<u8>> {
        let chans = self.chans.lock().expect("lock");
        chans[idx]
            .0
            .steps
            .iter()
            .skip(1)
            .filter_map(|s| s.client.payload.clone())
            .filter(|p| !is_control(p))
            .collect()
    }

    /// Close the client, then check that every recorded client frame was sent, and sent
    /// exactly.
    async fn finish(self, op: &str) {
        // Give trailing frames (closes) a moment to arrive.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            matches!(
                *self.client.connection_state().borrow(),
                ConnState::Connected { generation: 1 }
            ),
            "{op}: one connection throughout"
        );
        self.client.close().await;
        let _ = timeout(WAIT, self.server).await;
        let report = self.report.lock().expect("lock");
        let chans = self.chans.lock().expect("lock");
        let mut missing = Vec::new();
        for (i, (chan, next, actual)) in chans.iter().enumerate() {
            if actual.is_none() {
                missing.push(format!("channel {i} was never opened"));
                continue;
            }
            for (s, step) in chan.steps.iter().enumerate().skip(*next) {
                if !step.optional {
                    missing.push(format!(
                        "channel {i} step {s}: recorded client frame never sent: {}",
                        String::from_utf8_lossy(step.client.payload.as_deref().unwrap_or_default())
                    ));
                }
            }
        }
        for n in &report.notes {
            eprintln!("{op}: note: {n}");
        }
        assert!(
            report.mismatches.is_empty() && missing.is_empty(),
            "{op}: client frames differ from the Go client's:\n{}\n{}",
            report.mismatches.join("\n"),
            missing.join("\n")
        );
        assert!(report.requests > 0, "{op}: nothing was compared");
    }
}

fn store() -> Uuid {
    Uuid::from_u128(1)
}

async fn entries(stream: skope_client::EntryStream) -> Vec<Entry> {
    timeout(WAIT, stream.collect::<Vec<_>>())
        .await
        .expect("read in time")
        .into_iter()
        .map(|e| e.expect("entry"))
        .collect()
}

async fn statuses(stream: skope_client::StatusStream) -> Vec<skope_client::Result<SegmentStatus>> {
    timeout(WAIT, stream.collect::<Vec<_>>())
        .await
        .expect("produce in time")
}

#[tokio::test]
async fn produce() {
    let s = start("produce").await;
    // Channel 0: the peek Go's harness did first.
    let peeked = s
        .client
        .peek(store(), "space0", "seg0")
        .await
        .expect("peek");
    assert_eq!(vec![peeked], s.server_decoded::<Entry>(0));
    let Message::Produce(p) = s.request(1) else {
        panic!("channel 1 is a produce")
    };
    let records: Vec<Record> = s
        .client_payloads(1)
        .iter()
        .map(|b| decode_bare(b).expect("record"))
        .collect();
    assert_eq!(records.len(), 3);
    let got = statuses(s.client.produce(
        store(),
        &p.space,
        &p.segment,
        futures::stream::iter(records),
    ))
    .await;
    let got: Vec<_> = got.into_iter().map(|r| r.expect("status")).collect();
    assert_eq!(got, s.server_decoded::<SegmentStatus>(1));
    assert_eq!(got[0].last_sequence, 3);
    s.finish("produce").await;
}

#[tokio::test]
async fn peek() {
    let s = start("peek").await;
    let Message::Peek(p) = s.request(0) else {
        panic!("peek")
    };
    let got = s
        .client
        .peek(store(), &p.space, &p.segment)
        .await
        .expect("peek");
    assert_eq!(vec![got.clone()], s.server_decoded::<Entry>(0));
    assert_eq!(got.sequence, 3);
    assert_eq!(got.payload.as_deref(), Some(&b"abcdefghijkl"[..]));
    s.finish("peek").await;
}

#[tokio::test]
async fn get_spaces() {
    let s = start("get_spaces").await;
    let got = s.client.get_spaces(store()).await.expect("spaces");
    assert_eq!(got, s.server_decoded::<String>(0));
    assert_eq!(got, ["space0", "space1"]);
    s.finish("get_spaces").await;
}

#[tokio::test]
async fn get_segments() {
    let s = start("get_segments").await;
    let Message::GetSegments(g) = s.request(0) else {
        panic!("get_segments")
    };
    let got = s
        .client
        .get_segments(store(), &g.space)
        .await
        .expect("segments");
    assert_eq!(got, s.server_decoded::<String>(0));
    assert!(!got.is_empty());
    s.finish("get_segments").await;
}

async fn consume_like(op: &str) -> Vec<u64> {
    let s = start(op).await;
    let stream = match s.request(0) {
        Message::ConsumeSegment(c) => s.client.consume_segment(store(), c),
        Message::ConsumeSpace(c) => s.client.consume_space(store(), c),
        Message::Consume(c) => s.client.consume(store(), c),
        other => panic!("{op}: not a read: {other:?}"),
    };
    let got = entries(stream).await;
    assert_eq!(got, s.server_decoded::<Entry>(0), "{op}");
    let seqs = got.iter().map(|e| e.sequence).collect();
    s.finish(op).await;
    seqs
}

#[tokio::test]
async fn consume_segment() {
    assert_eq!(consume_like("consume_segment").await, [1, 2, 3]);
}

#[tokio::test]
async fn consume_segment_range() {
    assert_eq!(consume_like("consume_segment_range").await, [2, 3]);
}

#[tokio::test]
async fn consume_space() {
    assert!(!consume_like("consume_space").await.is_empty());
}

#[tokio::test]
async fn consume_space_offset() {
    assert_eq!(consume_like("consume_space_offset").await, [2, 3]);
}

#[tokio::test]
async fn consume() {
    assert_eq!(consume_like("consume").await, [2, 3, 1, 2]);
}

async fn subscribe_like(op: &str) {
    let s = start(op).await;
    let Message::SubscribeToSegmentStatus(q) = s.request(0) else {
        panic!("{op}: subscribe")
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sub = s
        .client
        .subscribe_to_segment(
            store(),
            &q.space,
            &q.segment,
            Arc::new(move |st| {
                let _ = tx.send(st);
            }),
        )
        .await
        .expect("subscribe");
    let want = s.server_decoded::<SegmentStatus>(0);
    let mut got = Vec::new();
    for _ in 0..want.len() {
        got.push(
            timeout(WAIT, rx.recv())
                .await
                .expect("status")
                .expect("open"),
        );
    }
    // Handlers may run concurrently: compare without order.
    let key = |s: &SegmentStatus| (s.segment.clone(), s.last_sequence);
    got.sort_by_key(key);
    let mut want = want;
    want.sort_by_key(key);
    assert_eq!(got, want, "{op}");
    // Unsubscribing sends mux::close("context canceled"), as recorded.
    sub.unsubscribe().await;
    s.finish(op).await;
}

#[tokio::test]
async fn subscribe_segment() {
    subscribe_like("subscribe_segment").await;
}

#[tokio::test]
async fn subscribe_space() {
    subscribe_like("subscribe_space").await;
}

async fn produce_fails(op: &str, store_id: Uuid) -> skope_client::Error {
    let s = start(op).await;
    let Message::Produce(p) = s.request(0) else {
        panic!("{op}: produce")
    };
    let records: Vec<Record> = s
        .client_payloads(0)
        .iter()
        .map(|b| decode_bare(b).expect("record"))
        .collect();
    let got = statuses(s.client.produce(
        store_id,
        &p.space,
        &p.segment,
        futures::stream::iter(records),
    ))
    .await;
    assert_eq!(got.len(), 1, "{op}: only the error: {got:?}");
    let err = got.into_iter().next().and_then(Result::err).expect("error");
    assert_eq!(Some(err.to_string()), s.server_error(0), "{op}");
    assert!(!err.is_retryable(), "{op}");
    s.finish(op).await;
    err
}

#[tokio::test]
async fn produce_wrong_sequence() {
    let err = produce_fails("produce_wrong_sequence", store()).await;
    assert_eq!(
        err.to_string(),
        "remote closed stream: sequence gap: expected 7, got 100"
    );
    assert_eq!(err.kind(), ErrorKind::RemoteClosed);
}

#[tokio::test]
async fn produce_duplicate_sequence() {
    let err = produce_fails("produce_duplicate_sequence", store()).await;
    assert_eq!(
        err.to_string(),
        "remote closed stream: sequence gap: expected 7, got 1"
    );
}

#[tokio::test]
async fn scoped_store_forbidden() {
    let s = start("scoped_store_forbidden").await;
    let Message::Peek(p) = s.request(0) else {
        panic!("peek")
    };
    let err = s
        .client
        .peek(Uuid::from_u128(2), &p.space, &p.segment)
        .await
        .expect_err("denied");
    assert_eq!(err.to_string(), "remote error: access denied");
    assert_eq!(Some(err.to_string()), s.server_error(0));
    assert_eq!(err.kind(), ErrorKind::RemoteError);
    s.finish("scoped_store_forbidden").await;
}

#[tokio::test]
async fn scoped_store_forbidden_produce() {
    let err = produce_fails("scoped_store_forbidden_produce", Uuid::from_u128(2)).await;
    assert_eq!(err.to_string(), "remote error: access denied");
}

#[tokio::test]
async fn lease_withlease() {
    let s = start("lease_withlease").await;
    let Message::LeaseAcquire(a) = s.request(0) else {
        panic!("lease_acquire")
    };
    assert_eq!(a.ttl_seconds, 2);
    // Go held the lease 2.5 s: acquire, renew at 1 s and 2 s, release.
    let held = s
        .client
        .with_lease(
            store(),
            &a.key,
            Duration::from_secs(2),
            |token| async move {
                tokio::time::sleep(Duration::from_millis(2_500)).await;
                !token.is_cancelled()
            },
        )
        .await
        .expect("lease");
    assert!(held, "not lost while held");
    s.finish("lease_withlease").await;
}

#[tokio::test]
async fn subscribe_workers() {
    let s = start("subscribe_workers").await;
    let Message::SubscribeWorkers(q) = s.request(0) else {
        panic!("subscribe_workers")
    };
    assert_eq!(q.heartbeat_interval_seconds, 0, "an observer");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sub = s
        .client
        .subscribe_workers(
            store(),
            WorkerOptions::observer(),
            Arc::new(move |inv: WorkerInventory| {
                let _ = tx.send(inv);
            }),
        )
        .await
        .expect("subscribe");
    let got = timeout(WAIT, rx.recv())
        .await
        .expect("inventory")
        .expect("open");
    let recorded: Vec<WorkerInventory> = s
        .server_payloads(0)
        .iter()
        .map(|p| match Message::decode(p).expect("envelope") {
            Message::WorkerInventory(inv) => inv,
            other => panic!("not an inventory: {other:?}"),
        })
        .collect();
    assert_eq!(vec![got], recorded);
    sub.unsubscribe().await;
    s.finish("subscribe_workers").await;
}

#[test]
fn every_listed_client_operation_has_a_transcript() {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(transcripts_dir().join("index.json")).unwrap_or_else(|e| {
            panic!(
                "{}/index.json is missing ({e}): the conformance tests need the recorded transcripts",
                transcripts_dir().display()
            )
        }),
    )
    .expect("index.json");
    for op in [
        "produce",
        "peek",
        "get_spaces",
        "get_segments",
        "consume_segment",
        "consume_segment_range",
        "consume_space",
        "consume_space_offset",
        "consume",
        "subscribe_segment",
        "subscribe_space",
        "produce_wrong_sequence",
        "produce_duplicate_sequence",
        "lease_withlease",
        "subscribe_workers",
        "scoped_store_forbidden",
        "scoped_store_forbidden_produce",
    ] {
        assert!(index["operations"][op].is_string(), "index.json lists {op}");
        assert!(!load(op).is_empty(), "{op} has frames");
    }
}

/// The script itself catches a request that differs from the recording.
#[tokio::test]
#[should_panic(expected = "payload differs")]
async fn a_differing_request_is_caught() {
    let s = start("peek").await;
    let _ = timeout(
        Duration::from_secs(3),
        s.client.peek(store(), "space0", "seg9"),
    )
    .await;
    s.finish("peek").await;
}
