//! Failures injected for real (`Node::disconnect_all`, a connector that refuses to dial):
//! consume resume, follow across reconnects, subscriptions re-established, leases lost both
//! ways, worker presence, handler accounting.

mod common;

use common::{Harness, WAIT, produce, records};
use futures::StreamExt;
use skope_client::{
    Consume, ConsumeSegment, ConsumeSpace, LexKey, MetricsRecorder, SegmentStatus,
    SubscriptionState, WorkerInventory, WorkerOptions,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("open")
}

#[tokio::test]
async fn consume_segment_resumes_after_disconnect_without_gap_or_duplicate() {
    let h = Harness::new();
    let m = Arc::new(MetricsRecorder::new());
    let c = h.builder().metrics(m.clone()).build();
    let s = h.store;
    const N: u64 = 12_000;
    produce(&c, s, "sp", "seg", records(1..=N))
        .await
        .expect("produce");
    let mut stream = c.consume_segment(
        s,
        ConsumeSegment {
            space: "sp".into(),
            segment: "seg".into(),
            limit: N - 1_000,
            ..Default::default()
        },
    );
    let mut next = 1;
    while let Some(e) = timeout(WAIT, stream.next()).await.expect("in time") {
        assert_eq!(e.expect("entry").sequence, next);
        if next == 3_000 {
            h.node.disconnect_all();
        }
        next += 1;
    }
    assert_eq!(next, N - 1_000 + 1, "limit honoured across the resume");
    assert!(
        m.snapshot()
            .operation(skope_client::Operation::ConsumeSegment)
            .resumes
            >= 1
    );
    assert!(m.snapshot().reconnects >= 1);
    c.close().await;
}

#[tokio::test]
async fn consume_space_and_multi_resume_after_disconnect() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    for seg in ["a", "b", "c"] {
        produce(&c, s, "s0", seg, records(1..=3_000))
            .await
            .expect("produce");
        produce(&c, s, "s1", seg, records(1..=1_000))
            .await
            .expect("produce");
    }
    let expected: Vec<_> = c
        .consume_space(
            s,
            ConsumeSpace {
                space: "s0".into(),
                ..Default::default()
            },
        )
        .map(|e| e.map(|e| (e.segment, e.sequence)).expect("entry"))
        .collect()
        .await;
    let mut got = Vec::new();
    let mut stream = c.consume_space(
        s,
        ConsumeSpace {
            space: "s0".into(),
            ..Default::default()
        },
    );
    while let Some(e) = timeout(WAIT, stream.next()).await.expect("in time") {
        let e = e.expect("entry");
        got.push((e.segment, e.sequence));
        if got.len() == 4_000 {
            h.node.disconnect_all();
        }
    }
    assert_eq!(got, expected);

    let offsets = [
        ("s0".to_owned(), LexKey::default()),
        ("s1".to_owned(), LexKey::default()),
    ]
    .into();
    let mut stream = c.consume(
        s,
        Consume {
            offsets,
            ..Default::default()
        },
    );
    let mut seen = std::collections::HashSet::new();
    let mut count = 0;
    while let Some(e) = timeout(WAIT, stream.next()).await.expect("in time") {
        let e = e.expect("entry");
        assert!(
            seen.insert((e.space.clone(), e.segment.clone(), e.sequence)),
            "duplicate {e:?}"
        );
        count += 1;
        if count == 5_000 {
            h.node.disconnect_all();
        }
    }
    assert_eq!(count, 3 * 3_000 + 3 * 1_000);
    c.close().await;
}

#[tokio::test]
async fn follow_segment_tails_across_reconnects() {
    let h = Harness::new();
    let c = h.client();
    let writer = h.client();
    let s = h.store;
    produce(&writer, s, "sp", "seg", records(1..=5))
        .await
        .expect("produce");
    let mut tail = c.follow_segment(
        s,
        ConsumeSegment {
            space: "sp".into(),
            segment: "seg".into(),
            ..Default::default()
        },
    );
    let mut next = 1;
    let mut take = |n: u64| {
        let want = next..next + n;
        next += n;
        want
    };
    for want in take(5) {
        assert_eq!(
            timeout(WAIT, tail.next())
                .await
                .expect("in time")
                .expect("item")
                .expect("entry")
                .sequence,
            want
        );
    }
    produce(&writer, s, "sp", "seg", records(6..=8))
        .await
        .expect("produce");
    for want in take(3) {
        assert_eq!(
            timeout(WAIT, tail.next())
                .await
                .expect("in time")
                .expect("item")
                .expect("entry")
                .sequence,
            want
        );
    }
    h.node.disconnect_all();
    produce(&writer, s, "sp", "seg", records(9..=12))
        .await
        .expect("produce");
    for want in take(4) {
        assert_eq!(
            timeout(WAIT, tail.next())
                .await
                .expect("in time")
                .expect("item")
                .expect("entry")
                .sequence,
            want
        );
    }
    // Nothing more until something is written.
    assert!(
        timeout(Duration::from_millis(200), tail.next())
            .await
            .is_err()
    );
    writer
        .publish(s, "sp", "seg", b"13".to_vec(), Default::default())
        .await
        .expect("publish");
    let e = timeout(WAIT, tail.next())
        .await
        .expect("in time")
        .expect("item")
        .expect("entry");
    assert_eq!((e.sequence, e.payload_bytes()), (13, &b"13"[..]));
    drop(tail);
    c.close().await;
    writer.close().await;
}

#[tokio::test]
async fn follow_space_sees_new_segments() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    let mut tail = c.follow_space(
        s,
        ConsumeSpace {
            space: "sp".into(),
            ..Default::default()
        },
    );
    let writer = h.client();
    produce(&writer, s, "sp", "one", records(1..=2))
        .await
        .expect("produce");
    produce(&writer, s, "sp", "two", records(1..=1))
        .await
        .expect("produce");
    let mut got = Vec::new();
    while got.len() < 3 {
        let e = timeout(WAIT, tail.next())
            .await
            .expect("in time")
            .expect("item")
            .expect("entry");
        got.push((e.segment, e.sequence));
    }
    assert_eq!(
        got,
        [("one".into(), 1), ("one".into(), 2), ("two".into(), 1)]
    );
    c.close().await;
    writer.close().await;
}

fn status_channel() -> (
    skope_client::StatusHandler,
    mpsc::UnboundedReceiver<SegmentStatus>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(move |s| drop(tx.send(s))), rx)
}

#[tokio::test]
async fn subscription_snapshot_then_live_then_resubscribed_after_disconnect() {
    let h = Harness::new();
    let c = h.client();
    let writer = h.client();
    let s = h.store;
    produce(&writer, s, "sp", "seg", records(1..=3))
        .await
        .expect("produce");
    let (handler, mut rx) = status_channel();
    let sub = c
        .subscribe_to_segment(s, "sp", "seg", handler)
        .await
        .expect("subscribe");
    let snap = recv(&mut rx).await;
    assert_eq!((snap.segment.as_str(), snap.last_sequence), ("seg", 3));
    produce(&writer, s, "sp", "seg", records(4..=5))
        .await
        .expect("produce");
    let live = recv(&mut rx).await;
    assert_eq!((live.first_sequence, live.last_sequence), (1, 5));
    // Another segment of the space never shows up here.
    produce(&writer, s, "sp", "other", records(1..=1))
        .await
        .expect("produce");

    h.node.disconnect_all();
    // Re-established: a fresh snapshot (last 5), then live updates.
    let again = recv(&mut rx).await;
    assert_eq!((again.segment.as_str(), again.last_sequence), ("seg", 5));
    produce(&writer, s, "sp", "seg", records(6..=6))
        .await
        .expect("produce");
    assert_eq!(recv(&mut rx).await.last_sequence, 6);
    let st = c.subscription_status(sub.id()).expect("registered");
    assert_eq!(st.state, SubscriptionState::Active);
    assert!(st.reconnects >= 1);
    assert!(st.failure_count >= 1);
    assert_eq!(st.last_sequence, 6);
    assert_eq!(st.updates_delivered, 4);
    assert!(st.last_error.is_some());
    sub.unsubscribe().await;
    c.close().await;
    writer.close().await;
}

#[tokio::test]
async fn space_subscription_and_permanent_failure_removes_it() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    produce(&c, s, "sp", "a", records(1..=1))
        .await
        .expect("produce");
    produce(&c, s, "sp", "b", records(1..=2))
        .await
        .expect("produce");
    let (handler, mut rx) = status_channel();
    let sub = c
        .subscribe_to_space(s, "sp", handler)
        .await
        .expect("subscribe");
    let mut snapshot = vec![recv(&mut rx).await.segment, recv(&mut rx).await.segment];
    snapshot.sort();
    assert_eq!(snapshot, ["a", "b"]);
    produce(&c, s, "sp", "c", records(1..=1))
        .await
        .expect("produce");
    assert_eq!(recv(&mut rx).await.segment, "c");
    let id = sub.id().to_owned();
    // The server goes away for good: retries run out, the subscription fails and leaves.
    h.set_down(true);
    h.node.disconnect_all();
    let gone = async {
        while c.subscription_status(&id).is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(WAIT, gone)
        .await
        .expect("removed after permanent failure");
    drop(sub);
    c.close().await;
}

#[tokio::test]
async fn handler_timeouts_and_coalescing_are_counted() {
    let h = Harness::new();
    let c = h
        .builder()
        .handler_timeout(Some(Duration::from_millis(800)))
        .max_concurrent_handlers(1)
        .build();
    let s = h.store;
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = std::sync::Mutex::new(release_rx);
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let n = calls.clone();
    let handler: skope_client::StatusHandler = Arc::new(move |_st: SegmentStatus| {
        if n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            // The first call blocks past the timeout, until the test releases it.
            let rx = release_rx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = rx.recv_timeout(Duration::from_secs(10));
        }
    });
    let sub = c
        .subscribe_to_space(s, "sp", handler)
        .await
        .expect("subscribe");
    for i in 1..=4 {
        produce(&c, s, "sp", "seg", records(i..=i))
            .await
            .expect("produce");
    }
    // Status 1 blocks; 2 is parked; 3 and 4 replace it (same segment).
    let parked = async {
        loop {
            let st = c.subscription_status(sub.id()).expect("registered");
            if st.coalesced_updates == 2 && st.pending_updates == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    timeout(WAIT, parked).await.expect("coalesced");
    // The watchdog gives up on the first call; the newest status (4) runs next.
    let done = async {
        loop {
            let st = c.subscription_status(sub.id()).expect("registered");
            if st.handler_timeouts == 1
                && st.pending_updates == 0
                && calls.load(std::sync::atomic::Ordering::SeqCst) == 2
            {
                return st;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let st = timeout(WAIT, done).await.expect("timeout counted");
    assert_eq!(st.last_sequence, 4);
    assert_eq!(st.updates_delivered, 2);
    let _ = release_tx.send(());
    sub.unsubscribe().await;
    c.close().await;
}

#[tokio::test]
async fn handler_panics_are_caught_and_counted() {
    let h = Harness::new();
    let m = Arc::new(MetricsRecorder::new());
    let c = h.builder().metrics(m.clone()).build();
    let s = h.store;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler: skope_client::StatusHandler = Arc::new(move |st: SegmentStatus| {
        assert!(st.last_sequence != 1, "handler panic for the test");
        let _ = tx.send(st.last_sequence);
    });
    let sub = c
        .subscribe_to_segment(s, "sp", "seg", handler)
        .await
        .expect("subscribe");
    produce(&c, s, "sp", "seg", records(1..=1))
        .await
        .expect("produce");
    produce(&c, s, "sp", "seg", records(2..=2))
        .await
        .expect("produce");
    assert_eq!(
        recv(&mut rx).await,
        2,
        "the subscription survives a panicking handler"
    );
    let st = c.subscription_status(sub.id()).expect("registered");
    assert_eq!(st.handler_panics, 1);
    assert_eq!(m.snapshot().handler_panics, 1);
    sub.unsubscribe().await;
    c.close().await;
}

#[tokio::test]
async fn lease_is_exclusive_and_with_lease_releases() {
    let h = Harness::new();
    let a = h.client();
    let b = h.client();
    let s = h.store;
    let ttl = Duration::from_secs(5);
    let guard = a.acquire_lease(s, "leader", ttl).await.expect("acquire");
    assert_eq!(guard.ttl(), ttl);
    let err = b.acquire_lease(s, "leader", ttl).await.expect_err("held");
    assert!(err.to_string().starts_with("lease not acquired: "), "{err}");
    assert!(guard.release().await.expect("release"));
    let out = b
        .with_lease(s, "leader", ttl, |token| async move {
            assert!(!token.is_cancelled());
            42
        })
        .await
        .expect("with_lease");
    assert_eq!(out, 42);
    // Released on return: available again at once.
    a.acquire_lease(s, "leader", ttl)
        .await
        .expect("free again")
        .release()
        .await
        .expect("release");
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn lease_lost_when_the_server_refuses_a_renewal() {
    let h = Harness::new();
    let a = h.client();
    let admin = h.client();
    let s = h.store;
    let guard = a
        .acquire_lease(s, "job", Duration::from_secs(2))
        .await
        .expect("acquire");
    // Someone else clears it: the next renewal (1 s) is answered ok:false.
    assert!(
        admin
            .release_lease(s, "job", guard.holder())
            .await
            .expect("release")
    );
    let other = admin
        .acquire_lease(s, "job", Duration::from_secs(30))
        .await
        .expect("take over");
    timeout(WAIT, guard.lost()).await.expect("lost in time");
    assert!(
        guard
            .loss_reason()
            .unwrap_or_default()
            .starts_with("lease renewal refused"),
        "{:?}",
        guard.loss_reason()
    );
    drop(guard);
    other.release().await.expect("release");
    a.close().await;
    admin.close().await;
}

#[tokio::test]
async fn lease_lost_when_renewals_keep_failing() {
    let h = Harness::new();
    let a = h.client();
    let s = h.store;
    let started = std::time::Instant::now();
    // When the token was cancelled (not when `with_lease` returns: its release afterwards waits
    // for the paced redial of a server that is gone, bounded by the 10 s release timeout).
    let took = a
        .with_lease(s, "job", Duration::from_secs(2), |token| {
            let h = &h;
            async move {
                // The node becomes unreachable: renewals cannot get through.
                h.set_down(true);
                h.node.disconnect_all();
                timeout(WAIT, token.cancelled())
                    .await
                    .ok()
                    .map(|()| started.elapsed())
            }
        })
        .await
        .expect("acquired")
        .expect("token cancelled");
    assert!(
        took >= Duration::from_millis(1_900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    a.close().await;
}

#[tokio::test]
async fn worker_presence_observer_and_worker() {
    let h = Harness::new();
    let observer_client = h.client();
    let worker_client = h.client();
    let s = h.store;
    let (tx, mut rx) = mpsc::unbounded_channel::<WorkerInventory>();
    let observer = observer_client
        .subscribe_workers(
            s,
            WorkerOptions::observer(),
            Arc::new(move |inv| drop(tx.send(inv))),
        )
        .await
        .expect("observe");
    assert!(recv(&mut rx).await.workers.is_empty());
    let id = skope_client::Uuid::new_v4();
    let meta: skope_client::Metadata = [("zone".to_owned(), "b".to_owned())].into();
    let worker = worker_client
        .subscribe_workers(
            s,
            WorkerOptions::worker(id)
                .with_metadata(meta.clone())
                .with_heartbeat_interval(Duration::from_secs(1)),
            Arc::new(|_| {}),
        )
        .await
        .expect("register");
    let inv = loop {
        let inv = recv(&mut rx).await;
        if !inv.workers.is_empty() {
            break inv;
        }
    };
    assert_eq!(inv.workers[0].worker_id, id);
    assert_eq!(inv.workers[0].metadata, meta);
    worker.unsubscribe().await;
    loop {
        if recv(&mut rx).await.workers.is_empty() {
            break;
        }
    }
    let st = observer_client
        .subscription_status(observer.id())
        .expect("registered");
    assert!(st.updates_delivered >= 3);
    observer.unsubscribe().await;
    observer_client.close().await;
    worker_client.close().await;
}

#[tokio::test]
async fn close_stops_subscriptions_and_leases() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    let (handler, _rx) = status_channel();
    let sub = c
        .subscribe_to_segment(s, "sp", "seg", handler)
        .await
        .expect("subscribe");
    let id = sub.detach();
    let guard = c
        .acquire_lease(s, "k", Duration::from_secs(10))
        .await
        .expect("lease");
    timeout(WAIT, c.close()).await.expect("close in time");
    timeout(WAIT, c.close())
        .await
        .expect("second close in time");
    assert!(c.subscription_status(&id).is_none());
    assert!(guard.is_lost());
    assert_eq!(guard.loss_reason().as_deref(), Some("client closed"));
}

#[tokio::test]
async fn follow_spaces_merges_live_spaces() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    produce(&c, s, "x", "a", records(1..=1))
        .await
        .expect("produce");
    let offsets = [
        ("x".to_owned(), LexKey::default()),
        ("y".to_owned(), LexKey::default()),
    ]
    .into();
    let mut tail = c.follow_spaces(
        s,
        Consume {
            offsets,
            ..Default::default()
        },
    );
    let first = timeout(WAIT, tail.next())
        .await
        .expect("in time")
        .expect("item")
        .expect("entry");
    assert_eq!((first.space.as_str(), first.sequence), ("x", 1));
    produce(&c, s, "y", "b", records(1..=2))
        .await
        .expect("produce");
    h.node.disconnect_all();
    produce(&c, s, "x", "a", records(2..=2))
        .await
        .expect("produce");
    let mut got = Vec::new();
    while got.len() < 3 {
        let e = timeout(WAIT, tail.next())
            .await
            .expect("in time")
            .expect("item")
            .expect("entry");
        got.push((e.space, e.sequence));
    }
    got.sort();
    assert_eq!(got, [("x".into(), 2), ("y".into(), 1), ("y".into(), 2)]);
    c.close().await;
}
