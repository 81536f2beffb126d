//! Storage behaviour: commits, validation, reads and their filters.

use skope_node::storage::{ProduceError, SegmentQuery, SpaceQuery, Storage, Store};
use skope_proto::{Entry, Record, Uuid};
use std::sync::Arc;

fn store() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Storage::open(dir.path()).expect("open");
    let s = st.store(Uuid::from_u128(1)).expect("store");
    (dir, s)
}

fn recs(from: u64, to: u64) -> Vec<Record> {
    (from..=to)
        .map(|i| Record::new(i, format!("p{i}")))
        .collect()
}

fn seqs(
    it: impl Iterator<Item = Result<Entry, skope_node::storage::StorageError>>,
) -> Vec<(String, u64)> {
    it.map(|e| e.expect("entry"))
        .map(|e| (e.segment, e.sequence))
        .collect()
}

#[test]
fn commit_peek_status_and_inventory() {
    let (_d, s) = store();
    assert_eq!(s.peek("a", "x").expect("peek"), Entry::empty("a", "x"));
    let c1 = s.commit_chunk("a", "x", &recs(1, 3)).expect("commit");
    assert_eq!((c1.status.first_sequence, c1.status.last_sequence), (1, 3));
    assert_eq!(c1.trx.number, 1);
    let c2 = s.commit_chunk("a", "x", &recs(4, 5)).expect("commit");
    assert_eq!((c2.status.first_sequence, c2.status.last_sequence), (1, 5));
    assert_eq!(c2.status.first_timestamp, c1.timestamp);
    assert!(c2.timestamp >= c1.timestamp);
    assert_eq!(c2.trx.number, 2);
    let p = s.peek("a", "x").expect("peek");
    assert_eq!((p.sequence, p.trx, p.timestamp), (5, c2.trx, c2.timestamp));
    assert_eq!(p.payload.as_deref(), Some(b"p5".as_slice()));
    assert_eq!(
        s.segment_status("a", "x").expect("status"),
        Some(c2.status.clone())
    );
    assert_eq!(s.segment_status("a", "nope").expect("status"), None);
    s.commit_chunk("b", "S1", &recs(1, 1)).expect("commit");
    s.commit_chunk("B", "s10", &recs(1, 1)).expect("commit");
    s.commit_chunk("a", "s10", &recs(1, 1)).expect("commit");
    s.commit_chunk("a0", "s", &recs(1, 1)).expect("commit");
    assert_eq!(s.list_spaces().expect("spaces"), ["B", "a", "a0", "b"]);
    assert_eq!(s.list_segments("a").expect("segs"), ["s10", "x"]);
    assert!(s.list_segments("nope").expect("segs").is_empty());
    // Exact names: a/s1 is not a/s10.
    assert_eq!(s.peek("a", "s1").expect("peek"), Entry::empty("a", "s1"));
}

#[test]
fn sequence_gap_writes_nothing() {
    let (_d, s) = store();
    s.commit_chunk("a", "x", &recs(1, 6)).expect("commit");
    let mut bad = recs(7, 9);
    bad[2].sequence = 100;
    let e = s.commit_chunk("a", "x", &bad).expect_err("gap");
    assert_eq!(e.to_string(), "sequence gap: expected 9, got 100");
    let e = s.commit_chunk("a", "x", &recs(1, 1)).expect_err("dup");
    assert_eq!(e.to_string(), "sequence gap: expected 7, got 1");
    assert_eq!(s.peek("a", "x").expect("peek").sequence, 6);
    assert!(matches!(
        s.commit_chunk("", "x", &recs(1, 1)),
        Err(ProduceError::InvalidArgs)
    ));
    assert_eq!(
        s.commit_chunk("a", "", &recs(1, 1))
            .expect_err("args")
            .to_string(),
        "invalid produce args"
    );
    assert!(matches!(
        s.commit_chunk("a", "y", &[]),
        Err(ProduceError::EmptyChunk)
    ));
    assert!(s.list_segments("a").expect("segs") == ["x"]);
}

#[test]
fn empty_payload_reads_back_empty() {
    let (_d, s) = store();
    let r = vec![Record {
        sequence: 1,
        payload: None,
        metadata: Default::default(),
    }];
    s.commit_chunk("a", "x", &r).expect("commit");
    let e = s.peek("a", "x").expect("peek");
    assert_eq!(e.payload, Some(Vec::new()));
    assert!(
        String::from_utf8(skope_proto::encode_bare(&e))
            .expect("utf8")
            .contains(r#""payload":"""#)
    );
}

fn seg_q(
    min_sequence: u64,
    max_sequence: u64,
    min_timestamp: i64,
    max_timestamp: i64,
    limit: u64,
) -> SegmentQuery {
    SegmentQuery {
        space: "a".into(),
        segment: "x".into(),
        min_sequence,
        max_sequence,
        min_timestamp,
        max_timestamp,
        limit,
    }
}

#[test]
fn segment_scan_filters() {
    let (_d, s) = store();
    let mut ts = Vec::new();
    for i in 1..=5 {
        ts.push(
            s.commit_chunk("a", "x", &recs(i, i))
                .expect("commit")
                .timestamp,
        );
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    s.commit_chunk("a", "x1", &recs(1, 2)).expect("commit");
    let q = |q: SegmentQuery| -> Vec<u64> {
        seqs(s.scan_segment(&q).expect("scan"))
            .into_iter()
            .map(|x| x.1)
            .collect()
    };
    assert_eq!(q(seg_q(0, 0, 0, 0, 0)), [1, 2, 3, 4, 5]);
    assert_eq!(q(seg_q(2, 4, 0, 0, 0)), [2, 3, 4]);
    assert_eq!(q(seg_q(3, 1, 0, 0, 0)), Vec::<u64>::new());
    assert_eq!(q(seg_q(0, 0, 0, 0, 1)), [1]);
    assert_eq!(q(seg_q(0, 0, 0, 0, u64::MAX)), [1, 2, 3, 4, 5]);
    assert_eq!(q(seg_q(0, 0, ts[1], 0, 0)), [3, 4, 5]);
    assert_eq!(q(seg_q(0, 0, 0, ts[3], 0)), [1, 2, 3, 4]);
    assert_eq!(
        q(seg_q(0, 0, skope_proto::now_ms() + 3_600_000, 0, 0)),
        Vec::<u64>::new()
    );
    assert_eq!(q(seg_q(2, 0, ts[2], ts[3], 0)), [4]);
}

#[test]
fn space_scan_order_offset_and_filters() {
    let (_d, s) = store();
    let mut ts = Vec::new();
    for i in 1..=3 {
        ts.push(
            s.commit_chunk("sp", "b", &recs(2 * i - 1, 2 * i))
                .expect("commit")
                .timestamp,
        );
        s.commit_chunk("sp", "a", &recs(i, i)).expect("commit");
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    s.commit_chunk("sp0", "a", &recs(1, 1)).expect("commit");
    let q = |offset: Vec<u8>, min_timestamp: i64, max_timestamp: i64, limit: u64| {
        seqs(
            s.scan_space(&SpaceQuery {
                space: "sp".into(),
                offset,
                min_timestamp,
                max_timestamp,
                limit,
            })
            .expect("scan"),
        )
    };
    let all = q(Vec::new(), 0, 0, 0);
    assert_eq!(all.len(), 9);
    let entries: Vec<Entry> = s
        .scan_space(&SpaceQuery {
            space: "sp".into(),
            ..Default::default()
        })
        .expect("scan")
        .map(|e| e.expect("entry"))
        .collect();
    for w in entries.windows(2) {
        assert!(w[0].space_offset() < w[1].space_offset(), "space order");
    }
    // Offset: exclusive, from every position.
    for (i, e) in entries.iter().enumerate() {
        let rest = q(e.space_offset().0, 0, 0, 0);
        assert_eq!(rest, all[i + 1..].to_vec(), "after {i}");
    }
    // Offset in the middle of a chunk: b/1 -> b/2 next.
    let b1 = entries
        .iter()
        .find(|e| e.segment == "b" && e.sequence == 1)
        .expect("b1");
    assert_eq!(q(b1.space_offset().0, 0, 0, 1), [("b".to_owned(), 2)]);
    // Offset of another space before/after this one.
    assert_eq!(
        q(skope_proto::space_offset("a", 0, "x", 1).0, 0, 0, 0).len(),
        9
    );
    assert!(q(skope_proto::space_offset("zz", 0, "x", 1).0, 0, 0, 0).is_empty());
    assert!(
        q(b"garbage".to_vec(), 0, 0, 0).len() == 9 || q(b"garbage".to_vec(), 0, 0, 0).is_empty()
    );
    // Timestamps: min exclusive, max inclusive, also combined with an offset.
    let count = |f: &dyn Fn(&Entry) -> bool| entries.iter().filter(|e| f(e)).count();
    assert_eq!(
        q(Vec::new(), ts[0], 0, 0).len(),
        count(&|e| e.timestamp > ts[0])
    );
    assert_eq!(
        q(Vec::new(), 0, ts[0], 0).len(),
        count(&|e| e.timestamp <= ts[0])
    );
    assert_eq!(
        q(Vec::new(), ts[0], ts[1], 0).len(),
        count(&|e| e.timestamp > ts[0] && e.timestamp <= ts[1])
    );
    assert_eq!(
        q(b1.space_offset().0, 0, ts[1], 0).len(),
        count(&|e| e.space_offset() > b1.space_offset() && e.timestamp <= ts[1])
    );
    assert_eq!(q(Vec::new(), 0, 0, 4).len(), 4);
    assert!(
        seqs(
            s.scan_space(&SpaceQuery {
                space: "nope".into(),
                ..Default::default()
            })
            .expect("scan")
        )
        .is_empty()
    );
    assert!(
        seqs(
            s.scan_space(&SpaceQuery {
                space: String::new(),
                ..Default::default()
            })
            .expect("scan")
        )
        .is_empty()
    );
}

#[test]
fn reopen_keeps_data_and_lists_stores() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let st = Storage::open(dir.path()).expect("open");
        st.store(Uuid::from_u128(7))
            .expect("store")
            .commit_chunk("a", "x", &recs(1, 3))
            .expect("commit");
        st.store(Uuid::from_u128(9)).expect("store");
    }
    let st = Storage::open(dir.path()).expect("open");
    assert_eq!(
        st.stores().expect("stores"),
        [Uuid::from_u128(7), Uuid::from_u128(9)]
    );
    assert_eq!(
        st.store(Uuid::from_u128(7))
            .expect("store")
            .peek("a", "x")
            .expect("peek")
            .sequence,
        3
    );
}

#[test]
fn several_chunks_in_one_transaction() {
    let (_d, s) = store();
    s.commit_chunk("a", "x", &recs(1, 2)).expect("commit");
    let (c1, c2) = (recs(3, 5), recs(6, 6));
    let done = s.commit_chunks("a", "x", &[&c1, &c2]).expect("commit");
    assert_eq!(done.len(), 2);
    assert_eq!((done[0].trx.number, done[1].trx.number), (2, 3));
    assert_ne!(done[0].trx.id, done[1].trx.id);
    assert_eq!(
        (done[0].status.first_sequence, done[0].status.last_sequence),
        (1, 5)
    );
    assert_eq!(done[1].status.last_sequence, 6);
    let e: Vec<Entry> = s
        .scan_segment(&SegmentQuery {
            space: "a".into(),
            segment: "x".into(),
            ..Default::default()
        })
        .expect("scan")
        .map(|e| e.expect("entry"))
        .collect();
    assert_eq!(
        e.iter().map(|e| e.trx.number).collect::<Vec<_>>(),
        [1, 1, 2, 2, 2, 3]
    );
    // A gap in the second chunk writes nothing of either.
    let (c3, mut c4) = (recs(7, 7), recs(8, 9));
    c4[1].sequence = 10;
    let err = s.commit_chunks("a", "x", &[&c3, &c4]).expect_err("gap");
    assert_eq!(err.to_string(), "sequence gap: expected 9, got 10");
    assert_eq!(s.peek("a", "x").expect("peek").sequence, 6);
}
