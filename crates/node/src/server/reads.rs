//! Reads (PROTOCOL §4.3–4.6): peek, listings and the three consume operations. Scans run on
//! a blocking thread that encodes frames in batches into a small bounded queue; the handler
//! forwards them and stops early when the client closes its side.

use super::channel::{ChannelIo, Finish, Inbound};
use super::hub::StoreHub;
use crate::storage::{SegmentQuery, SpaceQuery, StorageError, effective_limit};
use skope_proto::{
    Consume, ConsumeSegment, ConsumeSpace, Entry, Frame, GetSegments, Peek, Uuid, encode_bare,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Entries per batch handed from the scan thread to the handler.
const BATCH: usize = 256;
/// Batches queued between the scan thread and the handler.
const BATCH_QUEUE: usize = 4;

enum Batch {
    Frames(Vec<String>),
    Failed(String),
}

/// The scan thread's side: encode entries into frames and push them in batches.
struct Pump {
    tx: mpsc::Sender<Batch>,
    store_id: Uuid,
    channel_id: Uuid,
    batch: Vec<String>,
}

impl Pump {
    /// Queue one entry; `false` when the handler is gone (stop scanning).
    fn push(&mut self, e: &Entry) -> bool {
        self.batch
            .push(Frame::data(self.store_id, self.channel_id, e.encode()).encode());
        if self.batch.len() >= BATCH {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let b = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx.blocking_send(Batch::Frames(b)).is_ok()
    }

    fn fail(mut self, e: &StorageError) {
        if self.flush() {
            let _ = self.tx.blocking_send(Batch::Failed(e.to_string()));
        }
    }

    /// Pump a whole scan.
    fn run(
        mut self,
        scan: Result<impl Iterator<Item = Result<Entry, StorageError>>, StorageError>,
    ) {
        let scan = match scan {
            Ok(s) => s,
            Err(e) => return self.fail(&e),
        };
        for e in scan {
            match e {
                Ok(e) => {
                    if !self.push(&e) {
                        return;
                    }
                }
                Err(e) => return self.fail(&e),
            }
        }
        self.flush();
    }
}

/// Run `work` on a blocking thread and forward its frames; end with `close` / `close(E)`.
async fn stream<W>(io: &mut ChannelIo, work: W) -> Finish
where
    W: FnOnce(Pump) + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel(BATCH_QUEUE);
    let pump = Pump {
        tx,
        store_id: io.store_id,
        channel_id: io.channel_id,
        batch: Vec::with_capacity(BATCH),
    };
    tokio::task::spawn_blocking(move || work(pump));
    let mut watch_input = true;
    loop {
        tokio::select! {
            biased;
            inbound = io.rx.recv(), if watch_input => match inbound {
                None => return Finish::Forget,
                Some(Inbound::Control(_)) => {
                    // The client closed its side: stop the stream (unlike Go, which keeps
                    // sending everything).
                    drop(rx);
                    let _ = io.close().await;
                    return Finish::Forget;
                }
                Some(other) => {
                    // Not for this read (e.g. a second envelope): leave it and everything after
                    // it to the muxer once this request is done.
                    io.unread.push(other);
                    watch_input = false;
                }
            },
            batch = rx.recv() => match batch {
                None => {
                    let _ = io.close().await;
                    return Finish::Forget;
                }
                Some(Batch::Frames(frames)) => {
                    for f in frames {
                        if io.send_text(f).await.is_err() {
                            return Finish::Forget;
                        }
                    }
                }
                Some(Batch::Failed(e)) => {
                    let _ = io.close_err(&e).await;
                    return Finish::Forget;
                }
            },
        }
    }
}

/// Run a short storage call on a blocking thread.
async fn blocking<T, F>(f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StorageError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) async fn peek(hub: &Arc<StoreHub>, io: &mut ChannelIo, p: Peek) -> Finish {
    let store = hub.store.clone();
    match blocking(move || store.peek(&p.space, &p.segment)).await {
        Ok(e) => {
            if io.send(e.encode()).await.is_ok() {
                let _ = io.close().await;
            }
        }
        Err(e) => {
            let _ = io.close_err(&format!("peek failed: {e}")).await;
        }
    }
    Finish::Forget
}

async fn names(io: &mut ChannelIo, list: Result<Vec<String>, String>) -> Finish {
    match list {
        Ok(names) => {
            for n in names {
                if io.send(encode_bare(&n)).await.is_err() {
                    return Finish::Forget;
                }
            }
            let _ = io.close().await;
        }
        Err(e) => {
            let _ = io.close_err(&e).await;
        }
    }
    Finish::Forget
}

pub(crate) async fn get_spaces(hub: &Arc<StoreHub>, io: &mut ChannelIo) -> Finish {
    let store = hub.store.clone();
    let list = blocking(move || store.list_spaces()).await;
    names(io, list).await
}

pub(crate) async fn get_segments(
    hub: &Arc<StoreHub>,
    io: &mut ChannelIo,
    q: GetSegments,
) -> Finish {
    let store = hub.store.clone();
    let list = blocking(move || store.list_segments(&q.space)).await;
    names(io, list).await
}

pub(crate) async fn consume_segment(
    hub: &Arc<StoreHub>,
    io: &mut ChannelIo,
    q: ConsumeSegment,
) -> Finish {
    let store = hub.store.clone();
    let q = SegmentQuery {
        space: q.space,
        segment: q.segment,
        min_sequence: q.min_sequence,
        max_sequence: q.max_sequence,
        min_timestamp: q.min_timestamp,
        max_timestamp: q.max_timestamp,
        limit: q.limit,
    };
    stream(io, move |pump| pump.run(store.scan_segment(&q))).await
}

pub(crate) async fn consume_space(
    hub: &Arc<StoreHub>,
    io: &mut ChannelIo,
    q: ConsumeSpace,
) -> Finish {
    let store = hub.store.clone();
    let q = SpaceQuery {
        space: q.space,
        offset: q.offset.0,
        min_timestamp: q.min_timestamp,
        max_timestamp: q.max_timestamp,
        limit: q.limit,
    };
    stream(io, move |pump| pump.run(store.scan_space(&q))).await
}

/// Consume over several spaces: per-space scans merged by timestamp (ties: the space that
/// sorts first), `limit` on the merged total. A failing space just ends its contribution.
pub(crate) async fn consume(hub: &Arc<StoreHub>, io: &mut ChannelIo, q: Consume) -> Finish {
    let store = hub.store.clone();
    stream(io, move |mut pump| {
        let mut scans = Vec::new();
        for (space, offset) in q.offsets {
            let sq = SpaceQuery {
                space,
                offset: offset.0,
                min_timestamp: q.min_timestamp,
                max_timestamp: q.max_timestamp,
                limit: q.limit,
            };
            match store.scan_space(&sq) {
                Ok(s) => scans.push(s),
                Err(e) => {
                    tracing::debug!(error = %e, space = %sq.space, "consume: space scan failed")
                }
            }
        }
        let mut heads: Vec<Option<Entry>> = Vec::with_capacity(scans.len());
        let mut heap = BinaryHeap::new();
        for (i, s) in scans.iter_mut().enumerate() {
            let head = s.next().and_then(Result::ok);
            if let Some(e) = &head {
                heap.push(Reverse((e.timestamp, i)));
            }
            heads.push(head);
        }
        let mut remaining = effective_limit(q.limit);
        while remaining > 0 {
            let Some(Reverse((_, i))) = heap.pop() else {
                break;
            };
            let Some(e) = heads[i].take() else { continue };
            if !pump.push(&e) {
                return;
            }
            remaining -= 1;
            if let Some(next) = scans[i].next().and_then(Result::ok) {
                heap.push(Reverse((next.timestamp, i)));
                heads[i] = Some(next);
            }
        }
        pump.flush();
    })
    .await
}
