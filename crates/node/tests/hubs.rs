//! Subscriptions, leases and worker presence.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;
use skope_proto::*;
use std::time::Duration;

fn subscribe(space: &str, segment: &str, hb: i64) -> Message {
    Message::SubscribeToSegmentStatus(SubscribeToSegmentStatus {
        space: space.into(),
        segment: segment.into(),
        heartbeat_interval_seconds: hb,
    })
}

fn status_of(g: &Got) -> SegmentStatus {
    serde_json::from_value(g.json()).unwrap()
}

/// Next frame of channel `ch` (others are held).
async fn next_on(p: &mut Peer, ch: Uuid) -> Got {
    loop {
        if let Some(i) = p.held.iter().position(|g| g.frame.channel_id == ch) {
            return p.held.remove(i).unwrap();
        }
        let g = p.next().await.expect("frame");
        if g.frame.channel_id == ch {
            return g;
        }
        p.held.push_back(g);
    }
}

#[tokio::test]
async fn subscription_snapshot_then_live_then_unsubscribe() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let mut producer = connect(&node).await;
    producer.produce("space0", "seg0", 1..=3).await;
    let ch = Uuid::new_v4();
    p.request(ch, &subscribe("space0", "seg0", 0)).await;
    let snap = status_of(&next_on(&mut p, ch).await);
    assert_eq!(
        (
            snap.space.as_str(),
            snap.segment.as_str(),
            snap.first_sequence,
            snap.last_sequence
        ),
        ("space0", "seg0", 1, 3)
    );
    assert!(!snap.heartbeat);
    // Live: another segment is not delivered, this one is.
    producer.produce("space0", "other", [1]).await;
    producer.produce("space0", "seg0", [4, 5]).await;
    let live = status_of(&next_on(&mut p, ch).await);
    assert_eq!(
        (
            live.first_sequence,
            live.last_sequence,
            live.first_timestamp
        ),
        (1, 5, snap.first_timestamp)
    );
    // Unsubscribe: nothing more, not even a close.
    p.send_payload(ch, StreamControl::close_with("context canceled").encode())
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    producer.produce("space0", "seg0", [6]).await;
    p.silent_for(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn subscription_to_missing_segment_gets_first_produce_live() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let mut producer = connect(&node).await;
    let ch = Uuid::new_v4();
    p.request(ch, &subscribe("s", "new", 0)).await;
    p.silent_for(Duration::from_millis(200)).await;
    producer.produce("s", "new", [1]).await;
    let live = status_of(&next_on(&mut p, ch).await);
    assert_eq!((live.segment.as_str(), live.last_sequence), ("new", 1));
    // A request envelope on the active subscription is ignored.
    p.request(
        ch,
        &Message::Peek(Peek {
            space: "s".into(),
            segment: "new".into(),
        }),
    )
    .await;
    p.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn wildcard_subscription_sorted_snapshot_and_new_segments() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let mut producer = connect(&node).await;
    producer.produce("w", "b", [1]).await;
    producer.produce("w", "a", [1, 2]).await;
    producer.produce("w0", "x", [1]).await;
    let ch = Uuid::new_v4();
    p.request(ch, &subscribe("w", "*", 0)).await;
    let a = status_of(&next_on(&mut p, ch).await);
    let b = status_of(&next_on(&mut p, ch).await);
    assert_eq!(
        (a.segment.as_str(), a.last_sequence, b.segment.as_str()),
        ("a", 2, "b")
    );
    producer.produce("w0", "x", [2]).await;
    producer.produce("w", "c", [1]).await;
    let c = status_of(&next_on(&mut p, ch).await);
    assert_eq!((c.space.as_str(), c.segment.as_str()), ("w", "c"));
}

#[tokio::test]
async fn subscription_heartbeats() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    p.produce("r", "g", 1..=5).await;
    // Wildcard, interval 1: snapshot, heartbeat right away with segment "*", another ~1 s later.
    let ch = Uuid::new_v4();
    let t0 = tokio::time::Instant::now();
    p.request(ch, &subscribe("r", "*", 1)).await;
    let hb = json!({"space":"r","segment":"*","first_sequence":0,"first_timestamp":0,"last_sequence":0,"last_timestamp":0,"heartbeat":true});
    let mut frames = [
        next_on(&mut p, ch).await.json(),
        next_on(&mut p, ch).await.json(),
    ];
    frames.sort_by_key(|f| f["heartbeat"].as_bool());
    assert_eq!(frames[0]["last_sequence"], 5);
    assert_eq!(frames[1], hb);
    assert_eq!(next_on(&mut p, ch).await.json(), hb);
    let dt = t0.elapsed();
    assert!(
        dt >= Duration::from_millis(900) && dt < Duration::from_secs(3),
        "{dt:?}"
    );
    p.close_channel(ch).await;
    // Missing segment: heartbeats only.
    let ch = Uuid::new_v4();
    p.request(ch, &subscribe("nope", "x", 1)).await;
    assert_eq!(
        next_on(&mut p, ch).await.json(),
        json!({"space":"nope","segment":"x","first_sequence":0,"first_timestamp":0,"last_sequence":0,"last_timestamp":0,"heartbeat":true})
    );
    p.close_channel(ch).await;
    // Negative interval: snapshot, no heartbeats.
    let ch = Uuid::new_v4();
    p.request(ch, &subscribe("r", "g", -5)).await;
    assert_eq!(next_on(&mut p, ch).await.json()["last_sequence"], 5);
    p.silent_for(Duration::from_millis(1_300)).await;
}

fn acquire(key: &str, holder: &str, ttl: i64) -> Message {
    Message::LeaseAcquire(LeaseAcquire {
        key: key.into(),
        holder: holder.into(),
        ttl_seconds: ttl,
    })
}
fn renew(key: &str, holder: &str, ttl: i64) -> Message {
    Message::LeaseRenew(LeaseRenew {
        key: key.into(),
        holder: holder.into(),
        ttl_seconds: ttl,
    })
}
fn release(key: &str, holder: &str) -> Message {
    Message::LeaseRelease(LeaseRelease {
        key: key.into(),
        holder: holder.into(),
    })
}

#[tokio::test]
async fn lease_cycle_conflicts_and_validation() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let ok = json!({"ok": true});
    let no = json!({"ok": false});
    let msg = |m: &str| json!({"ok": false, "message": m});
    let cases = vec![
        (acquire("job-1", "holder-a", 10), ok.clone()),
        (renew("job-1", "holder-a", 10), ok.clone()),
        (acquire("job-1", "holder-b", 10), no.clone()),
        (renew("job-1", "holder-b", 10), no.clone()),
        (release("job-1", "holder-b"), no.clone()),
        (acquire("job-1", "holder-a", 10), ok.clone()),
        (release("job-1", "holder-a"), ok.clone()),
        (release("job-1", "holder-a"), no.clone()),
        (release("never", "A"), no.clone()),
        (renew("never", "A", 5), no.clone()),
        (acquire("", "A", 5), msg("lease key must not be empty")),
        (acquire("k", "", 5), msg("lease holder must not be empty")),
        (acquire("k", "A", 0), msg("ttl_seconds must be positive")),
        (acquire("k", "A", -1), msg("ttl_seconds must be positive")),
        (
            acquire("k", "A", 86_401),
            msg("ttl_seconds exceeds maximum of 86400"),
        ),
        (acquire("k", "A", 86_400), ok.clone()),
        (renew("", "A", 5), msg("lease key must not be empty")),
        (renew("k", "A", 0), msg("ttl_seconds must be positive")),
        (release("", "A"), msg("lease key must not be empty")),
        (release("k", ""), msg("lease holder must not be empty")),
    ];
    for (m, want) in cases {
        assert_eq!(p.call(&m).await, [want, close()], "{m:?}");
    }
}

#[tokio::test]
async fn lease_expiry() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let ok = || vec![json!({"ok": true}), close()];
    let no = || vec![json!({"ok": false}), close()];
    assert_eq!(p.call(&acquire("e1", "A", 1)).await, ok());
    assert_eq!(p.call(&acquire("e1", "A", 1)).await, ok());
    assert_eq!(p.call(&acquire("e2", "A", 1)).await, ok());
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // e2: released after expiry with nothing in between: still there.
    assert_eq!(p.call(&release("e2", "A")).await, ok());
    assert_eq!(p.call(&renew("e1", "A", 1)).await, no());
    assert_eq!(p.call(&acquire("e1", "B", 5)).await, ok());
    assert_eq!(p.call(&renew("e1", "A", 5)).await, no());
    assert_eq!(p.call(&release("e1", "A")).await, no());
    assert_eq!(p.call(&release("e1", "B")).await, ok());
    // Renew extends the TTL.
    assert_eq!(p.call(&acquire("e3", "A", 1)).await, ok());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(p.call(&renew("e3", "A", 1)).await, ok());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(p.call(&acquire("e3", "B", 1)).await, no());
}

fn workers_req(id: Uuid, hb: i64) -> Message {
    Message::SubscribeWorkers(SubscribeWorkers {
        worker_id: id,
        metadata: [("zone".to_owned(), "b".to_owned())]
            .into_iter()
            .filter(|_| !id.is_nil())
            .collect(),
        heartbeat_interval_seconds: hb,
    })
}

/// Skip to the `mux::close` of `ch`.
async fn next_close(p: &mut Peer, ch: Uuid) -> Got {
    loop {
        let g = next_on(p, ch).await;
        if g.is_close() {
            return g;
        }
    }
}

fn decode_env(g: &Got) -> Message {
    Message::decode(g.frame.payload.as_deref().unwrap()).unwrap()
}

fn inventory(g: &Got) -> WorkerInventory {
    match decode_env(g) {
        Message::WorkerInventory(i) => i,
        other => panic!("not an inventory: {other:?}"),
    }
}

/// Next inventory on `ch`, skipping presence heartbeats.
async fn next_inventory(p: &mut Peer, ch: Uuid) -> WorkerInventory {
    loop {
        let g = next_on(p, ch).await;
        if let Message::WorkerInventory(i) = decode_env(&g) {
            return i;
        }
    }
}

#[tokio::test]
async fn worker_presence_observer_and_workers() {
    let (_d, node) = node();
    let mut obs = connect(&node).await;
    let och = Uuid::new_v4();
    obs.request(och, &workers_req(Uuid::nil(), 0)).await;
    let g = next_on(&mut obs, och).await;
    assert!(
        g.text().starts_with(
            r#"{"$type":"streamkit://api/v1/worker_inventory","content":{"workers":[],"timestamp":"#
        ),
        "{}",
        g.text()
    );

    // Two workers; the inventory is sorted by raw UUID bytes.
    let (w1, w2) = (Uuid::from_u128(0xff << 64), Uuid::from_u128(5));
    let mut wp = connect(&node).await;
    let ch1 = Uuid::new_v4();
    wp.request(ch1, &workers_req(w1, 1)).await;
    let inv = inventory(&next_on(&mut wp, ch1).await);
    assert_eq!(
        inv.workers.iter().map(|w| w.worker_id).collect::<Vec<_>>(),
        [w1]
    );
    assert_eq!(
        inv.workers[0].metadata.get("zone").map(String::as_str),
        Some("b")
    );
    match decode_env(&next_on(&mut wp, ch1).await) {
        Message::Presence(p) => assert!(p.heartbeat && p.worker_id == w1 && p.timestamp > 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(next_inventory(&mut obs, och).await.workers.len(), 1);
    let ch2 = Uuid::new_v4();
    wp.request(ch2, &workers_req(w2, 30)).await;
    let inv = next_inventory(&mut obs, och).await;
    assert_eq!(
        inv.workers.iter().map(|w| w.worker_id).collect::<Vec<_>>(),
        [w2, w1]
    );
    // Renewals update last_seen_at without a broadcast.
    wp.send_payload(
        ch1,
        Message::Presence(Presence {
            worker_id: w1,
            heartbeat: false,
            timestamp: 42,
        })
        .encode(),
    )
    .await;
    obs.silent_for(Duration::from_millis(200)).await;
    // Mismatched renewal.
    wp.send_payload(
        ch2,
        Message::Presence(Presence {
            worker_id: w1,
            heartbeat: false,
            timestamp: 1,
        })
        .encode(),
    )
    .await;
    assert_eq!(
        next_close(&mut wp, ch2).await.json(),
        close_err(&format!(
            "worker presence renew worker_id mismatch: expected {w2} got {w1}"
        ))
    );
    let inv = next_inventory(&mut obs, och).await;
    assert_eq!(inv.workers.len(), 1);
    assert_eq!(inv.workers[0].last_seen_at, 42);
    // Unexpected type.
    wp.send_payload(ch1, Message::Peek(Peek::default()).encode())
        .await;
    assert_eq!(
        next_close(&mut wp, ch1).await.json(),
        close_err("unexpected worker presence stream message type: *api.Peek")
    );
    assert!(next_inventory(&mut obs, och).await.workers.is_empty());
}

#[tokio::test]
async fn worker_takeover_closes_the_older_stream() {
    let (_d, node) = node();
    let mut p = connect(&node).await;
    let w = Uuid::new_v4();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    p.request(a, &workers_req(w, 30)).await;
    next_inventory(&mut p, a).await;
    p.request(b, &workers_req(w, 30)).await;
    assert_eq!(
        next_close(&mut p, a).await.json(),
        close_err("worker_id registered by another stream")
    );
    let inv = next_inventory(&mut p, b).await;
    assert_eq!(inv.workers.len(), 1);
    // The newer stream still owns the worker: closing it empties the inventory for observers.
    let o = Uuid::new_v4();
    p.request(o, &workers_req(Uuid::nil(), 0)).await;
    assert_eq!(next_inventory(&mut p, o).await.workers.len(), 1);
    p.close_channel(b).await;
    assert!(next_inventory(&mut p, o).await.workers.is_empty());
}
