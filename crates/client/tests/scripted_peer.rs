//! The mux layer against a hand-driven WebSocket peer: exact client frames, ping/pong, stream
//! control, connection loss and redial, payload limits, backpressure.

use futures::{SinkExt, StreamExt};
use skope_client::{Client, DuplexConnector, ErrorKind, RetryPolicy};
use skope_proto::{ControlType, Entry, Frame, Message, StreamControl, Uuid, encode_bare};
use std::time::Duration;
use tokio::io::DuplexStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Ws;

const WAIT: Duration = Duration::from_secs(10);

type Peer = WebSocketStream<DuplexStream>;

fn scripted(policy: RetryPolicy) -> (Client, mpsc::UnboundedReceiver<DuplexStream>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let connector = DuplexConnector::new(move || {
        let (a, b) = tokio::io::duplex(1 << 16);
        let _ = tx.send(b);
        Box::new(a)
    });
    (Client::builder(connector).retry_policy(policy).build(), rx)
}

async fn accept(rx: &mut mpsc::UnboundedReceiver<DuplexStream>) -> Peer {
    let io = timeout(WAIT, rx.recv()).await.expect("dial").expect("pipe");
    tokio_tungstenite::accept_async(io)
        .await
        .expect("handshake")
}

/// Next frame from the client, skipping pings.
async fn next_frame(peer: &mut Peer) -> Frame {
    loop {
        let msg = timeout(WAIT, peer.next())
            .await
            .expect("frame in time")
            .expect("open")
            .expect("ok");
        let Ws::Text(t) = msg else { continue };
        let f = Frame::decode(t.as_bytes()).expect("valid frame");
        if f.control_type != ControlType::Ping {
            return f;
        }
    }
}

fn payload(f: &Frame) -> String {
    String::from_utf8(f.payload.clone().unwrap_or_default()).expect("utf8")
}

async fn send(peer: &mut Peer, frame: Frame) {
    peer.send(Ws::Text(frame.encode().into()))
        .await
        .expect("peer send");
}

async fn reply(peer: &mut Peer, to: &Frame, payload: Vec<u8>) {
    send(peer, Frame::data(to.store_id, to.channel_id, payload)).await;
}

fn entry(seq: u64) -> Entry {
    Entry {
        sequence: seq,
        timestamp: 1_700_000_000_000 + i64::try_from(seq).unwrap_or(0),
        payload: Some(format!("p{seq}").into_bytes()),
        space: "space0".into(),
        segment: "seg0".into(),
        ..Entry::default()
    }
}

#[tokio::test]
async fn peek_sends_the_go_envelope_and_reads_the_entry() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let store = Uuid::from_u128(1);
    let c = client.clone();
    let op = tokio::spawn(async move { c.peek(store, "space0", "seg0").await });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    assert_eq!(req.control_type, ControlType::Data);
    assert_eq!(req.store_id, store);
    assert_eq!(
        payload(&req),
        r#"{"$type":"streamkit://api/v1/peek","content":{"space":"space0","segment":"seg0"}}"#
    );
    reply(&mut peer, &req, encode_bare(&entry(3))).await;
    reply(&mut peer, &req, StreamControl::close().encode()).await;
    let got = timeout(WAIT, op)
        .await
        .expect("in time")
        .expect("join")
        .expect("peek");
    assert_eq!(got, entry(3));
    client.close().await;
}

#[tokio::test]
async fn json_ping_gets_a_pong() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let c = client.clone();
    let op = tokio::spawn(async move { c.get_spaces(Uuid::from_u128(1)).await });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    send(&mut peer, Frame::ping()).await;
    let pong = next_frame(&mut peer).await;
    assert_eq!(
        pong.encode(),
        r#"{"ControlType":"pong","store_id":"00000000-0000-0000-0000-000000000000","channel_id":"00000000-0000-0000-0000-000000000000","payload":null}"#
    );
    for name in ["a", "b", "a"] {
        reply(&mut peer, &req, encode_bare(name)).await;
    }
    reply(&mut peer, &req, StreamControl::close().encode()).await;
    let names = timeout(WAIT, op)
        .await
        .expect("in time")
        .expect("join")
        .expect("spaces");
    assert_eq!(names, ["a", "b"]);
    client.close().await;
}

#[tokio::test]
async fn subscribe_then_unsubscribe_sends_context_canceled() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let store = Uuid::from_u128(1);
    let (tx, mut seen) = mpsc::unbounded_channel();
    let c = client.clone();
    let op = tokio::spawn(async move {
        c.subscribe_to_space(
            store,
            "space0",
            std::sync::Arc::new(move |s| {
                let _ = tx.send(s);
            }),
        )
        .await
    });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    assert_eq!(
        payload(&req),
        r#"{"$type":"streamkit://api/v1/subscribe_to_segment_status","content":{"space":"space0","segment":"*","heartbeat_interval_seconds":0}}"#
    );
    let sub = timeout(WAIT, op)
        .await
        .expect("in time")
        .expect("join")
        .expect("subscribe");
    let status = |seg: &str, hb: bool| skope_proto::SegmentStatus {
        space: "space0".into(),
        segment: seg.into(),
        last_sequence: 4,
        heartbeat: hb,
        ..Default::default()
    };
    reply(&mut peer, &req, encode_bare(&status("*", true))).await;
    reply(
        &mut peer,
        &req,
        encode_bare(&skope_proto::SegmentStatus {
            space: "space01".into(),
            ..status("x", false)
        }),
    )
    .await;
    reply(&mut peer, &req, encode_bare(&status("seg0", false))).await;
    let got = timeout(WAIT, seen.recv())
        .await
        .expect("in time")
        .expect("status");
    assert_eq!(got.segment, "seg0");
    let st = client.subscription_status(sub.id()).expect("registered");
    assert_eq!(st.heartbeats_seen, 1);
    assert_eq!(st.last_sequence, 4);
    let id = sub.id().to_owned();
    sub.unsubscribe().await;
    let close = next_frame(&mut peer).await;
    assert_eq!(close.channel_id, req.channel_id);
    assert_eq!(
        payload(&close),
        r#"{"type":"mux::close","err":"context canceled"}"#
    );
    assert!(client.subscription_status(&id).is_none());
    assert!(
        seen.try_recv().is_err(),
        "heartbeat and foreign status never reach the handler"
    );
    client.close().await;
}

#[tokio::test]
async fn remote_error_is_surfaced_and_not_retried() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let c = client.clone();
    let op = tokio::spawn(async move { c.get_spaces(Uuid::from_u128(2)).await });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    send(
        &mut peer,
        Frame::error(req.store_id, req.channel_id, "access denied"),
    )
    .await;
    let err = timeout(WAIT, op)
        .await
        .expect("in time")
        .expect("join")
        .expect_err("denied");
    assert_eq!(err.to_string(), "remote error: access denied");
    assert_eq!(err.kind(), ErrorKind::RemoteError);
    assert!(!err.is_retryable());
    // The peer sees no second request.
    assert!(
        timeout(Duration::from_millis(300), next_frame(&mut peer))
            .await
            .is_err()
    );
    client.close().await;
}

#[tokio::test]
async fn connection_loss_fails_the_stream_and_the_retry_redials() {
    let policy = RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        ..RetryPolicy::default_policy()
    };
    let (client, mut dials) = scripted(policy);
    let listener_calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let l = listener_calls.clone();
    client.register_reconnect_listener(std::sync::Arc::new(move || {
        l.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }));
    let c = client.clone();
    let op = tokio::spawn(async move { c.get_segments(Uuid::from_u128(1), "space0").await });
    let mut peer = accept(&mut dials).await;
    let _ = next_frame(&mut peer).await;
    drop(peer); // connection lost mid-request
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    assert_eq!(
        payload(&req),
        r#"{"$type":"streamkit://api/v1/get_segments","content":{"space":"space0"}}"#
    );
    reply(&mut peer, &req, encode_bare("seg0")).await;
    reply(&mut peer, &req, StreamControl::close().encode()).await;
    let names = timeout(WAIT, op)
        .await
        .expect("in time")
        .expect("join")
        .expect("segments");
    assert_eq!(names, ["seg0"]);
    assert_eq!(listener_calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    client.close().await;
}

#[tokio::test]
async fn oversized_payload_is_refused_locally() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let c = client.clone();
    let op = tokio::spawn(async move {
        c.publish(
            Uuid::from_u128(1),
            "space0",
            "seg0",
            vec![b'x'; 7 << 20],
            Default::default(),
        )
        .await
    });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await; // the peek
    reply(&mut peer, &req, encode_bare(&entry(9))).await;
    reply(&mut peer, &req, StreamControl::close().encode()).await;
    let err = timeout(WAIT, op)
        .await
        .expect("in time")
        .expect("join")
        .expect_err("too large");
    assert_eq!(err.to_string(), "muxer payload too large");
    assert!(!err.is_retryable());
    client.close().await;
}

#[tokio::test]
async fn consume_resumes_after_loss_without_gap_or_duplicate() {
    let policy = RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        ..RetryPolicy::default_policy()
    };
    let (client, mut dials) = scripted(policy);
    let store = Uuid::from_u128(1);
    let mut stream = client.consume_segment(
        store,
        skope_proto::ConsumeSegment {
            space: "space0".into(),
            segment: "seg0".into(),
            limit: 10,
            ..Default::default()
        },
    );
    let (progress, mut delivered) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(e) = stream.next().await {
            let seq = e.expect("entry").sequence;
            got.push(seq);
            let _ = progress.send(seq);
        }
        got
    });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    assert_eq!(
        payload(&req),
        r#"{"$type":"streamkit://api/v1/consume_segment","content":{"space":"space0","segment":"seg0","limit":10}}"#
    );
    for s in 1..=4 {
        reply(&mut peer, &req, encode_bare(&entry(s))).await;
    }
    // A prefix-leak entry of another segment is dropped and does not move the cursor.
    reply(
        &mut peer,
        &req,
        encode_bare(&Entry {
            segment: "seg01".into(),
            ..entry(50)
        }),
    )
    .await;
    // Once the client has delivered 4 entries, drop the connection.
    for want in 1..=4 {
        assert_eq!(
            timeout(WAIT, delivered.recv()).await.expect("in time"),
            Some(want)
        );
    }
    drop(peer);
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    assert_eq!(
        payload(&req),
        r#"{"$type":"streamkit://api/v1/consume_segment","content":{"space":"space0","segment":"seg0","min_sequence":5,"limit":6}}"#
    );
    for s in 5..=10 {
        reply(&mut peer, &req, encode_bare(&entry(s))).await;
    }
    let got = timeout(WAIT, reader).await.expect("in time").expect("join");
    assert_eq!(got, (1..=10).collect::<Vec<_>>());
    client.close().await;
}

#[tokio::test]
async fn invalid_entry_fails_the_stream() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let mut stream = client.consume_space(
        Uuid::from_u128(1),
        skope_proto::ConsumeSpace {
            space: "space0".into(),
            ..Default::default()
        },
    );
    let reader = tokio::spawn(async move { stream.next().await });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    reply(
        &mut peer,
        &req,
        encode_bare(&Entry {
            payload: None,
            ..entry(1)
        }),
    )
    .await;
    let got = timeout(WAIT, reader)
        .await
        .expect("in time")
        .expect("join")
        .expect("item");
    assert_eq!(
        got.map_err(|e| e.to_string()),
        Err("invalid consume entry payload".to_owned())
    );
    // Dropping the failed stream closes our side.
    let close = next_frame(&mut peer).await;
    assert_eq!(payload(&close), r#"{"type":"mux::close"}"#);
    client.close().await;
}

#[tokio::test]
async fn slow_consumer_pauses_reading_without_losing_frames() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let store = Uuid::from_u128(1);
    let mut stream = client.consume_segment(
        store,
        skope_proto::ConsumeSegment {
            space: "space0".into(),
            segment: "seg0".into(),
            ..Default::default()
        },
    );
    let first = tokio::spawn(async move {
        let first = stream.next().await;
        (first, stream)
    });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    const N: u64 = 3000; // far more than one channel queue holds
    let writer = tokio::spawn(async move {
        for s in 1..=N {
            reply(&mut peer, &req, encode_bare(&entry(s))).await;
        }
        reply(&mut peer, &req, StreamControl::close().encode()).await;
        peer
    });
    let (first, mut stream) = timeout(WAIT, first).await.expect("in time").expect("join");
    assert_eq!(first.expect("item").expect("entry").sequence, 1);
    tokio::time::sleep(Duration::from_millis(200)).await; // let the queue fill up
    let mut next = 2;
    while let Some(e) = timeout(WAIT, stream.next()).await.expect("in time") {
        assert_eq!(e.expect("entry").sequence, next);
        next += 1;
    }
    assert_eq!(next, N + 1);
    let _peer = timeout(WAIT, writer).await.expect("in time").expect("join");
    client.close().await;
}

#[tokio::test]
async fn close_is_idempotent_and_fails_later_calls() {
    let (client, _dials) = scripted(RetryPolicy::default_policy());
    client.close().await;
    client.close().await;
    let err = client
        .get_spaces(Uuid::from_u128(1))
        .await
        .expect_err("closed");
    assert_eq!(err.kind(), ErrorKind::Closed);
}

#[tokio::test]
async fn envelope_helper_matches_transcript() {
    // The produce request as the Go client sends it (transcripts/produce).
    let m = Message::Produce(skope_proto::Produce {
        space: "space0".into(),
        segment: "seg0".into(),
    });
    assert_eq!(
        String::from_utf8(m.encode()).unwrap_or_default(),
        r#"{"$type":"streamkit://api/v1/produce","content":{"space":"space0","segment":"seg0"}}"#
    );
}

#[tokio::test]
async fn peek_falls_back_to_a_scan_on_a_prefix_leak() {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let c = client.clone();
    let op = tokio::spawn(async move { c.peek(Uuid::from_u128(1), "space0", "seg0").await });
    let mut peer = accept(&mut dials).await;
    let req = next_frame(&mut peer).await;
    // A Go server answers `seg0` with the last entry of `seg01`.
    reply(
        &mut peer,
        &req,
        encode_bare(&Entry {
            segment: "seg01".into(),
            ..entry(40)
        }),
    )
    .await;
    reply(&mut peer, &req, StreamControl::close().encode()).await;
    // The client may close the peek channel itself (it read its one entry), as Go does.
    let mut scan = next_frame(&mut peer).await;
    if payload(&scan) == r#"{"type":"mux::close"}"# {
        scan = next_frame(&mut peer).await;
    }
    assert_eq!(
        payload(&scan),
        r#"{"$type":"streamkit://api/v1/consume_segment","content":{"space":"space0","segment":"seg0"}}"#
    );
    for e in [
        entry(1),
        entry(2),
        Entry {
            segment: "seg01".into(),
            ..entry(40)
        },
    ] {
        reply(&mut peer, &scan, encode_bare(&e)).await;
    }
    reply(&mut peer, &scan, StreamControl::close().encode()).await;
    let got = timeout(WAIT, op)
        .await
        .expect("in time")
        .expect("join")
        .expect("peek");
    assert_eq!(got, entry(2));
    client.close().await;
}

#[tokio::test(start_paused = true)]
async fn silent_connection_dies_with_heartbeat_timeout() {
    let (client, mut dials) = scripted(RetryPolicy::none());
    let c = client.clone();
    let op = tokio::spawn(async move {
        c.subscribe_to_segment(
            Uuid::from_u128(1),
            "space0",
            "seg0",
            std::sync::Arc::new(|_| {}),
        )
        .await
    });
    let mut peer = accept(&mut dials).await;
    let _req = next_frame(&mut peer).await;
    let sub = op.await.expect("join").expect("subscribed");
    let id = sub.id().to_owned();
    // The peer reads (pings arrive) but never answers anything: after 90 s of silence the
    // client declares the connection dead; with no retries left the subscription fails.
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        while let Some(Ok(_)) = peer.next().await {
            pings += 1;
        }
        pings
    });
    let gone = async {
        while client.subscription_status(&id).is_some() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    timeout(Duration::from_secs(200), gone)
        .await
        .expect("subscription failed");
    let pings = reader.await.expect("join");
    assert!(pings >= 3, "pings every 25–30 s: {pings}");
    drop(sub);
    client.close().await;
}

/// Drive one publish: answer its peek with `tail`, then answer its produce with `answer`.
async fn publish_answered(
    answer: Vec<Vec<u8>>,
) -> skope_client::Result<skope_proto::SegmentStatus> {
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let store = Uuid::from_u128(1);
    let c = client.clone();
    let op = tokio::spawn(async move {
        c.publish(store, "space0", "seg0", b"x".to_vec(), Default::default())
            .await
    });
    let mut peer = accept(&mut dials).await;
    let peek = next_frame(&mut peer).await;
    assert!(payload(&peek).contains("/peek"), "{}", payload(&peek));
    reply(&mut peer, &peek, encode_bare(&entry(3))).await;
    reply(&mut peer, &peek, StreamControl::close().encode()).await;
    // Skip the client's own close of the peek channel; wait for the produce request.
    let produce = loop {
        let f = next_frame(&mut peer).await;
        if f.channel_id != peek.channel_id {
            break f;
        }
    };
    assert!(
        payload(&produce).contains("/produce"),
        "{}",
        payload(&produce)
    );
    let record = next_frame(&mut peer).await;
    assert_eq!(
        payload(&record),
        r#"{"sequence":4,"payload":"eA=="}"#,
        "publish writes the next sequence"
    );
    let half_close = next_frame(&mut peer).await;
    assert_eq!(
        StreamControl::detect(half_close.payload.as_deref().unwrap_or_default()),
        Some(StreamControl::close())
    );
    for p in answer {
        reply(&mut peer, &produce, p).await;
    }
    let result = timeout(WAIT, op).await.expect("in time").expect("join");
    client.close().await;
    result
}

#[tokio::test]
async fn publish_reports_produce_failed_with_the_server_text() {
    let err = publish_answered(vec![
        StreamControl::close_with("sequence gap: expected 5, got 4").encode(),
    ])
    .await
    .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ProduceFailed);
    assert_eq!(
        err.to_string(),
        "produce failed: remote closed stream: sequence gap: expected 5, got 4"
    );
}

#[tokio::test]
async fn publish_without_a_status_reports_no_confirmation() {
    let err = publish_answered(vec![StreamControl::close().encode()])
        .await
        .expect_err("no status");
    assert_eq!(err.kind(), ErrorKind::NoStatusConfirmation);
    assert_eq!(err.to_string(), "no status confirmation from server");
}

#[tokio::test]
async fn publish_returns_the_first_status() {
    let status = skope_proto::SegmentStatus {
        space: "space0".into(),
        segment: "seg0".into(),
        first_sequence: 1,
        last_sequence: 4,
        ..Default::default()
    };
    let got = publish_answered(vec![encode_bare(&status), StreamControl::close().encode()])
        .await
        .expect("published");
    assert_eq!(got, status);
}

/// A produce streams its second batch while the first commits. A server that takes the
/// second batch first refuses it (`sequence gap`, nothing written): the client sends it again
/// once the first is committed, and the caller sees both statuses, in order, and no error.
/// Two produce batches on the wire before any answer; the server refuses the second with
/// `refusal` (it "took it first"), commits the first, and answers the client's peek with
/// `tail`. Returns the peer (the peek answered), the two streams, and the produce task.
async fn overtaken_batch(
    refusal: impl FnOnce(u64) -> String,
    tail: u64,
) -> (
    Client,
    Peer,
    tokio::task::JoinHandle<Vec<skope_client::Result<skope_proto::SegmentStatus>>>,
) {
    use skope_client::PRODUCE_SPLIT;
    use skope_proto::Record;
    use std::collections::HashMap;
    let (client, mut dials) = scripted(RetryPolicy::default_policy());
    let store = Uuid::from_u128(1);
    let total = 2 * PRODUCE_SPLIT as u64;
    let c = client.clone();
    let op = tokio::spawn(async move {
        let records = futures::stream::iter((1..=total).map(|s| Record::new(s, b"x".to_vec())));
        c.produce(store, "space0", "seg0", records)
            .collect::<Vec<_>>()
            .await
    });
    let mut peer = accept(&mut dials).await;
    // Both batches arrive (frames of the two streams may interleave) before any answer.
    let mut streams: Vec<Frame> = Vec::new();
    let mut records: HashMap<Uuid, Vec<u64>> = HashMap::new();
    let mut closed = 0;
    while closed < 2 {
        let f = next_frame(&mut peer).await;
        let text = payload(&f);
        if text.contains("/produce") {
            streams.push(f);
        } else if StreamControl::detect(text.as_bytes()).is_some() {
            closed += 1;
        } else {
            let r: serde_json::Value = serde_json::from_str(&text).expect("record");
            records
                .entry(f.channel_id)
                .or_default()
                .push(r["sequence"].as_u64().expect("sequence"));
        }
    }
    assert_eq!(streams.len(), 2, "two produce streams on the wire at once");
    let (first, second) = (&streams[0], &streams[1]);
    assert_eq!(
        records[&first.channel_id],
        (1..=PRODUCE_SPLIT as u64).collect::<Vec<_>>()
    );
    assert_eq!(
        records[&second.channel_id],
        (PRODUCE_SPLIT as u64 + 1..=total).collect::<Vec<_>>()
    );
    // The second batch is served first and refused; then the first commits.
    let refused = StreamControl::close_with(refusal(PRODUCE_SPLIT as u64 + 1));
    reply(&mut peer, second, refused.encode()).await;
    reply(
        &mut peer,
        first,
        encode_bare(&segment_status(PRODUCE_SPLIT as u64)),
    )
    .await;
    reply(&mut peer, first, StreamControl::close().encode()).await;
    // The client looks at the tail.
    let peek = loop {
        let f = next_frame(&mut peer).await;
        if payload(&f).contains("/peek") {
            break f;
        }
    };
    reply(&mut peer, &peek, encode_bare(&entry(tail))).await;
    reply(&mut peer, &peek, StreamControl::close().encode()).await;
    (client, peer, op)
}

fn segment_status(last: u64) -> skope_proto::SegmentStatus {
    skope_proto::SegmentStatus {
        space: "space0".into(),
        segment: "seg0".into(),
        first_sequence: 1,
        last_sequence: last,
        ..skope_proto::SegmentStatus::default()
    }
}

#[tokio::test]
async fn produce_batch_that_overtook_its_predecessor_is_sent_again() {
    use skope_client::PRODUCE_SPLIT;
    let total = 2 * PRODUCE_SPLIT as u64;
    let (client, mut peer, op) = overtaken_batch(
        |got| format!("sequence gap: expected 1, got {got}"),
        PRODUCE_SPLIT as u64,
    )
    .await;
    // The tail is just before the second batch: it is sent again, whole.
    let again = loop {
        let f = next_frame(&mut peer).await;
        if payload(&f).contains("/produce") {
            break f;
        }
    };
    let mut resent = Vec::new();
    loop {
        let f = next_frame(&mut peer).await;
        if f.channel_id != again.channel_id {
            continue;
        }
        let text = payload(&f);
        if StreamControl::detect(text.as_bytes()).is_some() {
            break;
        }
        let r: serde_json::Value = serde_json::from_str(&text).expect("record");
        resent.push(r["sequence"].as_u64().expect("sequence"));
    }
    assert_eq!(
        resent,
        (PRODUCE_SPLIT as u64 + 1..=total).collect::<Vec<_>>()
    );
    reply(&mut peer, &again, encode_bare(&segment_status(total))).await;
    reply(&mut peer, &again, StreamControl::close().encode()).await;
    let got = timeout(WAIT, op).await.expect("in time").expect("join");
    let lasts: Vec<u64> = got
        .into_iter()
        .map(|s| s.expect("no error").last_sequence)
        .collect();
    assert_eq!(lasts, [PRODUCE_SPLIT as u64, total]);
    client.close().await;
}

#[tokio::test]
async fn an_overtaken_batch_behind_another_writer_fails_with_the_servers_error() {
    use skope_client::PRODUCE_SPLIT;
    // Azure's refusal has no numbers; the tail shows someone else wrote past the batch.
    let (client, _peer, op) =
        overtaken_batch(|_| "sequence mismatch".to_owned(), 2 * PRODUCE_SPLIT as u64).await;
    let got = timeout(WAIT, op).await.expect("in time").expect("join");
    let got: Vec<_> = got
        .into_iter()
        .map(|s| s.map(|s| s.last_sequence).map_err(|e| e.to_string()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], Ok(PRODUCE_SPLIT as u64));
    assert!(
        got[1]
            .as_ref()
            .is_err_and(|e| e.contains("sequence mismatch")),
        "{got:?}"
    );
    client.close().await;
}
