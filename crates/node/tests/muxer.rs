//! Connection-level behaviour: frames, pings, envelope errors, access, overload, failures.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;
use skope_node::{Access, Node, NodeOptions};
use skope_proto::*;
use std::time::Duration;

const NIL: &str = "00000000-0000-0000-0000-000000000000";

#[tokio::test]
async fn envelope_errors_have_go_texts() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let cases: Vec<(&[u8], String)> = vec![
        (br#"{"$type":"streamkit://api/v1/nope","content":{}}"#, r#"type "streamkit://api/v1/nope" is not registered"#.into()),
        (br#"{"$type":"streamkit://api/v1/peek","content":{"space":"a","#, "unexpected end of JSON input".into()),
        (br#"{"content":{"space":"a","segment":"s"}}"#, "missing $type field in envelope".into()),
        (br#"{"$type":"","content":{}}"#, "empty $type discriminator".into()),
        (br#"{"$type":"streamkit://api/v1/peek"}"#, r#"missing content for type: "streamkit://api/v1/peek""#.into()),
        (br#"{"$type":"streamkit://api/v1/peek","content":null}"#, r#"missing content for type: "streamkit://api/v1/peek""#.into()),
        (
            br#"{"$type":"streamkit://api/v1/peek","content":{"space":5}}"#,
            r#"failed to unmarshal content for "streamkit://api/v1/peek": json: cannot unmarshal number into Go struct field Peek.space of type string"#.into(),
        ),
        (br#""hello""#, "failed to unmarshal envelope: json: cannot unmarshal string into Go value of type map[string]jsontext.Value".into()),
        (br#"{"$type":"streamkit://api/v1/segment_status","content":{"space":"a","segment":"s"}}"#, "invalid request msg type: *api.SegmentStatus".into()),
        (br#"{"$type":"streamkit://api/v1/get_status","content":{}}"#, "invalid request msg type: *api.GetStatus".into()),
        (br#"{"$type":"streamkit://api/v1/lease_result","content":{"ok":true}}"#, "invalid request msg type: *api.LeaseResult".into()),
        (br#"{"sequence":1,"payload":"eA=="}"#, "missing $type field in envelope".into()),
    ];
    for (payload, want) in cases {
        let ch = Uuid::new_v4();
        p.send_payload(ch, payload.to_vec()).await;
        assert_eq!(
            p.reply(ch).await,
            [close_err(&want)],
            "{}",
            String::from_utf8_lossy(payload)
        );
    }
    // A data frame with a null payload.
    let ch = Uuid::new_v4();
    p.send_frame(&Frame {
        payload: None,
        ..Frame::data(STORE, ch, Vec::new())
    })
    .await;
    assert_eq!(
        p.reply(ch).await,
        [close_err("unexpected end of JSON input")]
    );
    // Extra top-level keys are ignored.
    let ch = Uuid::new_v4();
    p.send_payload(
        ch,
        br#"{"$type":"streamkit://api/v1/peek","content":{"space":"r","segment":"g"},"extra":1}"#
            .to_vec(),
    )
    .await;
    assert_eq!(p.reply(ch).await.len(), 2);
}

#[tokio::test]
async fn pings_and_ignored_frames() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    // A ping carrying ids and a payload still gets a plain pong.
    let ping = Frame {
        payload: Some(b"{}".to_vec()),
        ..Frame::data(STORE, Uuid::new_v4(), Vec::new())
    };
    p.send_frame(&Frame {
        control_type: ControlType::Ping,
        ..ping
    })
    .await;
    let g = p.next().await.unwrap();
    assert_eq!(
        g.frame.encode(),
        format!(
            r#"{{"ControlType":"pong","store_id":"{NIL}","channel_id":"{NIL}","payload":null}}"#
        )
    );
    // No reply to: mux::close / mux::error data frames and an error frame on unknown channels,
    // an unknown ControlType.
    p.send_payload(Uuid::new_v4(), StreamControl::close().encode())
        .await;
    p.send_payload(Uuid::new_v4(), StreamControl::error("x").encode())
        .await;
    p.send_frame(&Frame::error(STORE, Uuid::new_v4(), "boom"))
        .await;
    p.send_text(format!(
        r#"{{"ControlType":"bogus","store_id":"{}","channel_id":"{}","payload":"eyJ4IjoxfQ=="}}"#,
        STORE,
        Uuid::new_v4()
    ))
    .await;
    // Lower-case key: still a ping.
    p.send_text(format!(
        r#"{{"controltype":"ping","store_id":"{NIL}","channel_id":"{NIL}","payload":null}}"#
    ))
    .await;
    let g = p.next().await.unwrap();
    assert_eq!(g.frame.control_type, ControlType::Pong);
    p.silent_for(Duration::from_millis(200)).await;
}

async fn expect_connection_close(p: &mut Peer) {
    let g = p.next().await.expect("a close frame");
    assert_eq!(g.frame, Frame::close());
    assert!(
        p.next_within(Duration::from_secs(5)).await.is_none(),
        "socket still open"
    );
}

#[tokio::test]
async fn undecodable_frames_close_the_connection() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    p.send_text("this is not json").await;
    expect_connection_close(&mut p).await;

    let mut p = connect(&node).await;
    p.send_text(format!(r#"{{"ControlType":"data","store_id":"{STORE}","channel_id":"{}","payload":"!!!notbase64"}}"#, Uuid::new_v4()))
        .await;
    expect_connection_close(&mut p).await;

    let mut p = connect(&node).await;
    p.send_text(format!(
        r#"{{"ControlType":"data","store_id":"nope","channel_id":"{}","payload":null}}"#,
        Uuid::new_v4()
    ))
    .await;
    expect_connection_close(&mut p).await;
}

#[tokio::test]
async fn close_frame_from_peer_ends_the_connection() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    p.send_frame(&Frame::close()).await;
    expect_connection_close(&mut p).await;
}

#[tokio::test]
async fn oversized_payload_closes_the_connection() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let big = vec![b'x'; MAX_PAYLOAD_BYTES + 1];
    // Sending may fail once the server has closed; either way the connection must end.
    let _ = futures::SinkExt::send(
        &mut p.ws,
        tokio_tungstenite::tungstenite::Message::text(
            Frame::data(STORE, Uuid::new_v4(), big).encode(),
        ),
    )
    .await;
    let mut ended = false;
    for _ in 0..3 {
        match p.next_within(Duration::from_secs(5)).await {
            None => {
                ended = true;
                break;
            }
            Some(g) => assert_eq!(g.frame, Frame::close()),
        }
    }
    assert!(ended);
}

#[tokio::test]
async fn access_denied_on_every_frame_of_a_denied_channel() {
    let (_d, node) = node();
    let mut p = connect_with(&node, Access::Stores(vec![STORE])).await;
    p.store = OTHER_STORE;
    let ch = Uuid::new_v4();
    p.request(
        ch,
        &Message::Produce(Produce {
            space: "space0".into(),
            segment: "seg0".into(),
        }),
    )
    .await;
    p.send_payload(ch, encode_bare(&Record::new(1, "x"))).await;
    p.close_channel(ch).await;
    for _ in 0..3 {
        let g = p.next().await.unwrap();
        assert_eq!(g.frame.control_type, ControlType::Error);
        assert_eq!((g.frame.store_id, g.frame.channel_id), (OTHER_STORE, ch));
        assert_eq!(g.json(), json!({"type":"mux::error","err":"access denied"}));
    }
    p.silent_for(Duration::from_millis(200)).await;
    // The allowed store works on the same connection.
    p.store = STORE;
    let r = p
        .call(&Message::Peek(Peek {
            space: "a".into(),
            segment: "b".into(),
        }))
        .await;
    assert_eq!(r.len(), 2);
    assert!(!node.storage().stores().unwrap().contains(&OTHER_STORE));
}

#[tokio::test]
async fn store_unavailable() {
    let (d, node) = node();
    // A directory where the store's file should be makes it fail to open.
    std::fs::create_dir_all(d.path().join("stores").join(format!("{OTHER_STORE}.redb"))).unwrap();
    let mut p = connect(&node).await;
    p.store = OTHER_STORE;
    let ch = Uuid::new_v4();
    p.request(ch, &Message::Peek(Peek::default())).await;
    let g = p.next().await.unwrap();
    assert_eq!(g.frame.control_type, ControlType::Error);
    assert_eq!(
        g.json(),
        json!({"type":"mux::error","err":"store unavailable"})
    );
}

#[tokio::test]
async fn overloaded_stream_is_killed_and_tombstoned() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    // The first producer holds the segment lock; the second waits and reads nothing.
    let first = Uuid::new_v4();
    p.request(
        first,
        &Message::Produce(Produce {
            space: "o".into(),
            segment: "g".into(),
        }),
    )
    .await;
    let second = Uuid::new_v4();
    p.request(
        second,
        &Message::Produce(Produce {
            space: "o".into(),
            segment: "g".into(),
        }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let rec = encode_bare(&Record::new(1, "x"));
    // 8192 queued frames are fine (a ping behind them is answered, nothing else comes)...
    for _ in 0..8_192 {
        p.send_payload(second, rec.clone()).await;
    }
    p.send_frame(&Frame::ping()).await;
    let g = p.next().await.unwrap();
    assert_eq!(g.frame.control_type, ControlType::Pong, "{g:?}");
    // ...one more kills the stream at once (as Go; no waiting for space).
    p.send_payload(second, rec.clone()).await;
    let g = p.next().await.unwrap();
    assert_eq!(g.frame.control_type, ControlType::Error);
    assert_eq!(g.frame.channel_id, second);
    assert_eq!(
        g.json(),
        json!({"type":"mux::error","err":"stream receive buffer overloaded"})
    );
    // Late frames of the killed channel are ignored; the first producer still works.
    p.close_channel(second).await;
    p.send_payload(first, rec.clone()).await;
    p.close_channel(first).await;
    let r = p.reply(first).await;
    assert_eq!(r[0]["last_sequence"], 1);
    p.silent_for(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn heartbeat_pings_and_idle_timeout() {
    let d = tempfile::tempdir().unwrap();
    let opts = NodeOptions {
        ping_interval: Duration::from_millis(100),
        ping_jitter: Duration::from_millis(20),
        idle_timeout: Duration::from_millis(400),
    };
    let node = Node::open_with(d.path(), opts).unwrap();
    let mut p = connect(&node).await;
    // Raw read: pings arrive from the server, then (silence from us) the close.
    let mut pings = 0;
    let mut closed = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(m))) =
            tokio::time::timeout(Duration::from_secs(2), futures::StreamExt::next(&mut p.ws)).await
        else {
            break;
        };
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            let f = Frame::decode(t.as_bytes()).unwrap();
            match f.control_type {
                ControlType::Ping => pings += 1,
                ControlType::Close => {
                    closed = true;
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(pings >= 2, "pings: {pings}");
    assert!(closed, "no close after the idle timeout");
}

#[tokio::test]
async fn answering_pings_keeps_the_connection() {
    let d = tempfile::tempdir().unwrap();
    let opts = NodeOptions {
        ping_interval: Duration::from_millis(100),
        ping_jitter: Duration::ZERO,
        idle_timeout: Duration::from_millis(300),
    };
    let node = Node::open_with(d.path(), opts).unwrap();
    let mut p = connect(&node).await;
    let end = tokio::time::Instant::now() + Duration::from_millis(900);
    while tokio::time::Instant::now() < end {
        p.send_frame(&Frame::ping()).await;
        let g = p.next().await.expect("connection alive");
        assert_eq!(g.frame.control_type, ControlType::Pong);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = p.call(&Message::GetSpaces(GetSpaces {})).await;
    assert_eq!(r, [close()]);
}

#[tokio::test]
async fn disconnect_all_drops_connections_abruptly() {
    let (_d, node) = node();
    let mut a = connect(&node).await;
    let mut b = connect(&node).await;
    assert_eq!(a.call(&Message::GetSpaces(GetSpaces {})).await, [close()]);
    assert_eq!(b.call(&Message::GetSpaces(GetSpaces {})).await, [close()]);
    assert_eq!(node.connection_count(), 2);
    node.disconnect_all();
    assert!(a.next().await.is_none(), "no frame after an abrupt drop");
    assert!(b.next().await.is_none());
    // New connections work.
    let mut c = connect(&node).await;
    assert_eq!(c.call(&Message::GetSpaces(GetSpaces {})).await, [close()]);
}

#[tokio::test]
async fn channel_reuse() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    p.produce("r", "g", 1..=5).await;
    // A request envelope on a finished channel is a new request.
    let ch = Uuid::new_v4();
    let peek = Message::Peek(Peek {
        space: "r".into(),
        segment: "g".into(),
    });
    p.request(ch, &peek).await;
    assert_eq!(p.reply(ch).await.len(), 2);
    p.request(ch, &peek).await;
    assert_eq!(p.reply(ch).await[0]["sequence"], 5);
    // Two consume envelopes back to back: both answered, in order.
    let ch = Uuid::new_v4();
    let c = |limit| {
        Message::ConsumeSegment(ConsumeSegment {
            space: "r".into(),
            segment: "g".into(),
            limit,
            ..Default::default()
        })
    };
    p.request(ch, &c(2)).await;
    p.request(ch, &c(0)).await;
    assert_eq!(p.reply(ch).await.len(), 3);
    assert_eq!(p.reply(ch).await.len(), 6);
    // A second produce envelope is read as a record with sequence 0.
    let ch = Uuid::new_v4();
    let prod = Message::Produce(Produce {
        space: "q".into(),
        segment: "q".into(),
    });
    p.request(ch, &prod).await;
    p.request(ch, &prod).await;
    p.close_channel(ch).await;
    assert_eq!(
        p.reply(ch).await,
        [close_err("sequence gap: expected 1, got 0")]
    );
    p.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn bad_offset_hex_text() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let ch = Uuid::new_v4();
    p.send_payload(
        ch,
        br#"{"$type":"streamkit://api/v1/consume_space","content":{"space":"s","offset":"zz"}}"#
            .to_vec(),
    )
    .await;
    assert_eq!(
        p.reply(ch).await,
        [close_err(
            r#"failed to unmarshal content for "streamkit://api/v1/consume_space": cannot decode hex string: encoding/hex: invalid byte: U+007A 'z'"#
        )]
    );
}

/// Produce streams for one segment opened back to back on a connection are served in the
/// order they opened (a client streams its next batch while the previous one commits), even
/// on a multi-threaded runtime whose scheduler may start a later handler first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_streams_are_served_in_open_order() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let mut next = 1u64;
    for round in 0..20 {
        let mut channels = Vec::new();
        for _ in 0..4 {
            let ch = Uuid::new_v4();
            p.request(
                ch,
                &Message::Produce(Produce {
                    space: "o".into(),
                    segment: "s".into(),
                }),
            )
            .await;
            for s in next..next + 25 {
                p.send_payload(ch, encode_bare(&Record::new(s, format!("{s}"))))
                    .await;
            }
            p.close_channel(ch).await;
            next += 25;
            channels.push((ch, next - 1));
        }
        for (ch, last) in channels {
            let reply = p.reply(ch).await;
            assert_eq!(reply.len(), 2, "round {round}: {reply:?}");
            assert_eq!(reply[0]["last_sequence"], last, "round {round}");
            assert_eq!(reply[1], close());
        }
    }
}
