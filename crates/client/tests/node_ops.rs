//! Every operation against the in-process node: listings, peek, every consume filter, produce
//! (split, contiguity, server errors), publish, error texts, metrics.

mod common;

use common::{Harness, WAIT, collect_seqs, produce, records};
use futures::StreamExt;
use skope_client::{
    Consume, ConsumeSegment, ConsumeSpace, ErrorKind, LexKey, MetricsRecorder, Operation,
    PRODUCE_SPLIT, Record,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::time::timeout;

#[tokio::test]
async fn listings_and_peek() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    assert!(c.get_spaces(s).await.expect("spaces").is_empty());
    produce(&c, s, "b", "x", records(1..=2))
        .await
        .expect("produce");
    produce(&c, s, "a", "s2", records(1..=1))
        .await
        .expect("produce");
    produce(&c, s, "a", "s1", records(1..=3))
        .await
        .expect("produce");
    assert_eq!(c.get_spaces(s).await.expect("spaces"), ["a", "b"]);
    assert_eq!(
        c.get_segments(s, "a").await.expect("segments"),
        ["s1", "s2"]
    );
    assert!(
        c.get_segments(s, "nope")
            .await
            .expect("segments")
            .is_empty()
    );
    let last = c.peek(s, "a", "s1").await.expect("peek");
    assert_eq!(
        (last.space.as_str(), last.segment.as_str(), last.sequence),
        ("a", "s1", 3)
    );
    assert_eq!(last.payload_bytes(), b"payload-3");
    let empty = c.peek(s, "a", "missing").await.expect("peek");
    assert_eq!(
        (empty.space.as_str(), empty.segment.as_str(), empty.sequence),
        ("a", "missing", 0)
    );
    c.close().await;
}

#[tokio::test]
async fn consume_segment_filters() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    // Five chunks: each gets its own timestamp (chunks are committed apart in time).
    for i in 1..=5 {
        produce(&c, s, "sp", "seg", records(i..=i))
            .await
            .expect("produce");
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let all = |req: ConsumeSegment| collect_seqs(c.consume_segment(s, req));
    let base = ConsumeSegment {
        space: "sp".into(),
        segment: "seg".into(),
        ..Default::default()
    };
    let seqs = |v: Vec<(String, u64)>| v.into_iter().map(|(_, q)| q).collect::<Vec<_>>();
    assert_eq!(seqs(all(base.clone()).await), [1, 2, 3, 4, 5]);
    assert_eq!(
        seqs(
            all(ConsumeSegment {
                min_sequence: 2,
                max_sequence: 4,
                ..base.clone()
            })
            .await
        ),
        [2, 3, 4]
    );
    assert_eq!(
        seqs(
            all(ConsumeSegment {
                limit: 1,
                ..base.clone()
            })
            .await
        ),
        [1]
    );
    assert_eq!(
        seqs(
            all(ConsumeSegment {
                limit: u64::MAX,
                ..base.clone()
            })
            .await
        ),
        [1, 2, 3, 4, 5]
    );
    assert!(
        all(ConsumeSegment {
            min_sequence: 3,
            max_sequence: 1,
            ..base.clone()
        })
        .await
        .is_empty()
    );
    let entries: Vec<_> = c.consume_segment(s, base.clone()).collect::<Vec<_>>().await;
    let ts: Vec<i64> = entries
        .into_iter()
        .map(|e| e.expect("entry").timestamp)
        .collect();
    assert_eq!(
        seqs(
            all(ConsumeSegment {
                min_timestamp: ts[1],
                ..base.clone()
            })
            .await
        ),
        [3, 4, 5]
    );
    assert_eq!(
        seqs(
            all(ConsumeSegment {
                max_timestamp: ts[3],
                ..base.clone()
            })
            .await
        ),
        [1, 2, 3, 4]
    );
    assert!(
        all(ConsumeSegment {
            min_timestamp: skope_proto::now_ms() + 3_600_000,
            ..base.clone()
        })
        .await
        .is_empty()
    );
    assert!(
        all(ConsumeSegment {
            segment: "missing".into(),
            ..base.clone()
        })
        .await
        .is_empty()
    );
    c.close().await;
}

#[tokio::test]
async fn consume_space_and_multi_space() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    produce(&c, s, "s0", "a", records(1..=2))
        .await
        .expect("produce");
    produce(&c, s, "s1", "x", records(1..=1))
        .await
        .expect("produce");
    produce(&c, s, "s0", "b", records(1..=2))
        .await
        .expect("produce");
    produce(&c, s, "s1", "x", records(2..=2))
        .await
        .expect("produce");
    let space: Vec<_> = collect_seqs(c.consume_space(
        s,
        ConsumeSpace {
            space: "s0".into(),
            ..Default::default()
        },
    ))
    .await;
    assert_eq!(
        space,
        [
            ("a".into(), 1),
            ("a".into(), 2),
            ("b".into(), 1),
            ("b".into(), 2)
        ]
    );
    // Offset is exclusive: resume after the second entry.
    let first_two: Vec<_> = c
        .consume_space(
            s,
            ConsumeSpace {
                space: "s0".into(),
                limit: 2,
                ..Default::default()
            },
        )
        .collect::<Vec<_>>()
        .await;
    let offset = first_two[1].as_ref().expect("entry").space_offset();
    let rest = collect_seqs(c.consume_space(
        s,
        ConsumeSpace {
            space: "s0".into(),
            offset,
            ..Default::default()
        },
    ))
    .await;
    assert_eq!(rest, [("b".into(), 1), ("b".into(), 2)]);
    // Multi-space: merged by timestamp, limit on the total.
    let offsets: BTreeMap<String, LexKey> = [
        ("s0".to_owned(), LexKey::default()),
        ("s1".to_owned(), LexKey::default()),
    ]
    .into();
    let merged: Vec<_> = c
        .consume(
            s,
            Consume {
                offsets: offsets.clone(),
                ..Default::default()
            },
        )
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(|e| e.expect("entry"))
        .collect();
    assert_eq!(merged.len(), 6);
    assert!(merged.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let limited = collect_seqs(c.consume(
        s,
        Consume {
            offsets: offsets.clone(),
            limit: 3,
            ..Default::default()
        },
    ))
    .await;
    assert_eq!(limited.len(), 3);
    assert!(
        collect_seqs(c.consume(s, Consume::default()))
            .await
            .is_empty()
    );
    c.close().await;
}

#[tokio::test]
async fn produce_splits_large_inputs_and_lands_them_in_order() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    const N: u64 = 30_000;
    let statuses = produce(&c, s, "big", "seg", records(1..=N))
        .await
        .expect("produce");
    assert!(
        statuses.len() >= 8,
        "one status per split at least: {}",
        statuses.len()
    );
    assert!(
        statuses
            .windows(2)
            .all(|w| w[0].last_sequence < w[1].last_sequence)
    );
    assert_eq!(statuses.last().map(|s| s.last_sequence), Some(N));
    let mut stream = c.consume_segment(
        s,
        ConsumeSegment {
            space: "big".into(),
            segment: "seg".into(),
            ..Default::default()
        },
    );
    let mut next = 1;
    while let Some(e) = timeout(WAIT, stream.next()).await.expect("in time") {
        let e = e.expect("entry");
        assert_eq!(e.sequence, next);
        assert_eq!(e.payload_bytes(), format!("payload-{next}").as_bytes());
        next += 1;
    }
    assert_eq!(next, N + 1);
    c.close().await;
}

#[tokio::test]
async fn produce_reads_a_stream_no_further_than_its_end() {
    // `unfold` panics when polled after its end: an input ending inside a batch must all land.
    let h = Harness::new();
    let c = h.client();
    const N: u64 = PRODUCE_SPLIT as u64 + 10;
    let records = futures::stream::unfold(1u64, |i| async move {
        (i <= N).then(|| (Record::new(i, format!("payload-{i}").into_bytes()), i + 1))
    });
    let statuses: Vec<_> = c.produce(h.store, "sp", "unfold", records).collect().await;
    assert!(statuses.iter().all(Result::is_ok), "{statuses:?}");
    assert_eq!(
        statuses
            .last()
            .and_then(|s| s.as_ref().ok())
            .map(|s| s.last_sequence),
        Some(N)
    );
    c.close().await;
}

#[tokio::test]
async fn a_live_input_gets_each_status_while_it_is_quiet() {
    // The input stays open: a batch committed while it waits for more is reported at once.
    let h = Harness::new();
    let c = h.client();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let mut statuses = c.produce(h.store, "sp", "live", rx);
    for round in 0..2_u64 {
        for i in 1..=10 {
            tx.unbounded_send(Record::new(round * 10 + i, b"x".to_vec()))
                .expect("send");
        }
        let status = timeout(WAIT, statuses.next())
            .await
            .expect("the status while the input is still open")
            .expect("a status")
            .expect("committed");
        assert_eq!(status.last_sequence, round * 10 + 10);
    }
    drop(tx);
    assert!(timeout(WAIT, statuses.next()).await.expect("end").is_none());
    c.close().await;
}

#[tokio::test]
async fn a_producer_that_panics_ends_with_an_error_not_a_quiet_end() {
    let h = Harness::new();
    let c = h.client();
    let mut n = 0u64;
    let records = futures::stream::poll_fn(move |_| {
        n += 1;
        assert!(n <= 3, "input source failed");
        std::task::Poll::Ready(Some(Record::new(n, b"x".to_vec())))
    });
    let statuses: Vec<_> = c.produce(h.store, "sp", "panics", records).collect().await;
    let last = statuses
        .last()
        .map(|s| s.as_ref().map_err(ToString::to_string));
    assert_eq!(
        last,
        Some(Err("produce failed: the producer task panicked".to_owned()))
    );
    c.close().await;
}

#[tokio::test]
async fn produce_assigns_missing_sequences_after_the_tail() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    produce(&c, s, "sp", "seg", records(1..=3))
        .await
        .expect("produce");
    let recs: Vec<Record> = (0..3).map(|_| Record::new(0, b"auto".to_vec())).collect();
    let statuses = produce(&c, s, "sp", "seg", recs).await.expect("produce");
    assert_eq!(statuses.last().map(|s| s.last_sequence), Some(6));
    c.close().await;
}

#[tokio::test]
async fn contiguity_error_writes_nothing() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    let mut recs = records(1..=100);
    recs[50].sequence = 500;
    let err = produce(&c, s, "sp", "seg", recs)
        .await
        .expect_err("not contiguous");
    assert_eq!(err.kind(), ErrorKind::NotContiguous);
    assert_eq!(
        err.to_string(),
        "records are not contiguous: sequence 500 follows 50"
    );
    assert!(!err.is_retryable());
    assert_eq!(c.peek(s, "sp", "seg").await.expect("peek").sequence, 0);
    assert!(c.get_spaces(s).await.expect("spaces").is_empty());
    c.close().await;
}

#[tokio::test]
async fn server_errors_surface_with_go_texts() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    produce(&c, s, "sp", "seg", records(1..=6))
        .await
        .expect("produce");
    let err = produce(&c, s, "sp", "seg", records(100..=101))
        .await
        .expect_err("gap");
    assert_eq!(
        err.to_string(),
        "remote closed stream: sequence gap: expected 7, got 100"
    );
    assert_eq!(err.kind(), ErrorKind::RemoteClosed);
    assert!(!err.is_retryable());
    let err = produce(&c, s, "sp", "", records(1..=1))
        .await
        .expect_err("empty name");
    assert_eq!(
        err.to_string(),
        "remote closed stream: invalid produce args"
    );
    let err = c
        .acquire_lease(s, "", std::time::Duration::from_secs(5))
        .await
        .expect_err("empty key");
    assert_eq!(
        err.to_string(),
        "lease not acquired: lease key must not be empty"
    );
    assert_eq!(err.kind(), ErrorKind::LeaseNotAcquired);
    c.close().await;
}

#[tokio::test]
async fn publish_appends_and_serializes_concurrent_publishers() {
    let h = Harness::new();
    let c = h.client();
    let s = h.store;
    let meta: skope_client::Metadata = [("k".to_owned(), "v".to_owned())].into();
    let st = c
        .publish(s, "sp", "seg", b"one".to_vec(), meta.clone())
        .await
        .expect("publish");
    assert_eq!(st.last_sequence, 1);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                c.publish(
                    s,
                    "sp",
                    "seg",
                    format!("n{i}").into_bytes(),
                    Default::default(),
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        timeout(WAIT, t)
            .await
            .expect("in time")
            .expect("join")
            .expect("publish");
    }
    let last = c.peek(s, "sp", "seg").await.expect("peek");
    assert_eq!(last.sequence, 11);
    let first = collect_seqs(c.consume_segment(
        s,
        ConsumeSegment {
            space: "sp".into(),
            segment: "seg".into(),
            limit: 1,
            ..Default::default()
        },
    ))
    .await;
    assert_eq!(first, [("seg".into(), 1)]);
    let e = c
        .consume_segment(
            s,
            ConsumeSegment {
                space: "sp".into(),
                segment: "seg".into(),
                limit: 1,
                ..Default::default()
            },
        )
        .next()
        .await
        .expect("one")
        .expect("entry");
    assert_eq!(e.metadata, meta);
    c.close().await;
}

#[tokio::test]
async fn metrics_recorder_counts_operations() {
    let h = Harness::new();
    let m = Arc::new(MetricsRecorder::new());
    let c = h.builder().metrics(m.clone()).build();
    let s = h.store;
    c.get_spaces(s).await.expect("spaces");
    c.publish(s, "sp", "seg", b"x".to_vec(), Default::default())
        .await
        .expect("publish");
    let _ = collect_seqs(c.consume_segment(
        s,
        ConsumeSegment {
            space: "sp".into(),
            segment: "seg".into(),
            ..Default::default()
        },
    ))
    .await;
    let snap = m.snapshot();
    assert_eq!(snap.operation(Operation::GetSpaces).ok, 1);
    assert_eq!(snap.operation(Operation::Publish).ok, 1);
    assert!(snap.operation(Operation::Peek).ok >= 1);
    assert_eq!(snap.operation(Operation::ConsumeSegment).ok, 1);
    assert_eq!(snap.reconnects, 0);
    c.close().await;
}
