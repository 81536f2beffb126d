//! Produce N records of 100 bytes through the client into an in-process node on a temp dir,
//! consume them back, check count, order and bytes, print records/s for both.
//!
//! `cargo bench -p skope-client --bench throughput` (N defaults to 1 000 000; override with
//! `SKOPE_BENCH_RECORDS`).

use futures::StreamExt;
use skope_client::{BoxIo, Client, ConsumeSegment, DuplexConnector, Record};
use std::time::Instant;

fn payload(i: u64) -> Vec<u8> {
    let mut p = format!("{i:020}").into_bytes();
    p.resize(100, b'x');
    p
}

fn main() {
    let n: u64 = std::env::var("SKOPE_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let node = skope_node::Node::open(dir.path()).expect("node");
        let n2 = node.clone();
        let client = Client::new(DuplexConnector::new(move || -> BoxIo {
            Box::new(n2.connect_in_process())
        }));
        let store = skope_client::Uuid::new_v4();

        let start = Instant::now();
        let records = futures::stream::iter((1..=n).map(|i| Record::new(i, payload(i))));
        let mut statuses = client.produce(store, "bench", "seg", records);
        let mut last = 0;
        while let Some(st) = statuses.next().await {
            last = st.expect("status").last_sequence;
        }
        let produce = start.elapsed();
        assert_eq!(last, n, "every record committed");
        println!(
            "produce: {n} records x 100 B in {:.2} s = {:.0} records/s",
            produce.as_secs_f64(),
            n as f64 / produce.as_secs_f64()
        );

        let start = Instant::now();
        let mut entries = client.consume_segment(
            store,
            ConsumeSegment {
                space: "bench".into(),
                segment: "seg".into(),
                ..Default::default()
            },
        );
        let mut next = 1;
        while let Some(e) = entries.next().await {
            let e = e.expect("entry");
            assert_eq!(e.sequence, next, "order");
            assert_eq!(e.payload_bytes(), payload(next).as_slice(), "bytes");
            next += 1;
        }
        let consume = start.elapsed();
        assert_eq!(next - 1, n, "count");
        println!(
            "consume: {n} records x 100 B in {:.2} s = {:.0} records/s",
            consume.as_secs_f64(),
            n as f64 / consume.as_secs_f64()
        );
        client.close().await;
    });
}
