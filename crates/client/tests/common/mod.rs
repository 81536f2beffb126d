//! Shared harness: an in-process node on a temp dir and clients wired to it.

#![allow(dead_code)]

use async_trait::async_trait;
use futures::StreamExt;
use skope_client::{
    BoxIo, Client, ClientBuilder, Connector, DuplexConnector, Error, ErrorKind, Record,
    RetryPolicy, SegmentStatus, WsStream,
};
use skope_node::Node;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Harness {
    pub node: Node,
    pub store: skope_client::Uuid,
    pub down: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

/// Dials the node unless `down` is set (then: `connection refused`).
pub struct Switchable {
    inner: DuplexConnector,
    down: Arc<AtomicBool>,
}

#[async_trait]
impl Connector for Switchable {
    async fn connect(&self) -> skope_client::Result<WsStream> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::new(ErrorKind::Connect, "connection refused"));
        }
        self.inner.connect().await
    }
}

/// A fast retry policy for tests (same shape as the default).
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        multiplier: 2.0,
        jitter: true,
    }
}

impl Harness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let node = Node::open(dir.path()).expect("node");
        Harness {
            node,
            store: skope_client::Uuid::new_v4(),
            down: Arc::new(AtomicBool::new(false)),
            _dir: dir,
        }
    }

    pub fn builder(&self) -> ClientBuilder {
        let node = self.node.clone();
        let inner = DuplexConnector::new(move || -> BoxIo { Box::new(node.connect_in_process()) });
        Client::builder(Switchable {
            inner,
            down: self.down.clone(),
        })
        .retry_policy(fast_policy())
    }

    pub fn client(&self) -> Client {
        self.builder().build()
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

pub fn records(range: std::ops::RangeInclusive<u64>) -> Vec<Record> {
    range
        .map(|i| Record::new(i, format!("payload-{i}").into_bytes()))
        .collect()
}

/// Produce `recs` and collect the statuses.
pub async fn produce(
    client: &Client,
    store: skope_client::Uuid,
    space: &str,
    segment: &str,
    recs: Vec<Record>,
) -> skope_client::Result<Vec<SegmentStatus>> {
    let stream = client.produce(store, space, segment, futures::stream::iter(recs));
    let statuses: Vec<_> = tokio::time::timeout(WAIT, stream.collect::<Vec<_>>())
        .await
        .expect("produce in time");
    statuses.into_iter().collect()
}

pub async fn collect_seqs(stream: skope_client::EntryStream) -> Vec<(String, u64)> {
    let items: Vec<_> = tokio::time::timeout(WAIT, stream.collect::<Vec<_>>())
        .await
        .expect("consume in time");
    items
        .into_iter()
        .map(|e| e.expect("entry"))
        .map(|e| (e.segment, e.sequence))
        .collect()
}
