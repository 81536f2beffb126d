//! Produce (PROTOCOL §4.1, §8.2): records are validated as they arrive, buffered into chunks
//! of up to 10 000 and committed one chunk at a time on a blocking thread while the next
//! chunk is being read. One `SegmentStatus` per committed chunk, then `close`.

use super::channel::{ChannelIo, Finish, Inbound};
use super::hub::{SegmentTicket, StoreHub};
use crate::storage::{Committed, ProduceError};
use skope_proto::errors::text;
use skope_proto::{Produce, Record, encode_bare};
use std::sync::Arc;
use tokio::task::JoinHandle;

/// Records per committed chunk (Pebble's `ChunkByCount(records, 10_000)`).
pub(crate) const CHUNK_RECORDS: usize = 10_000;
/// Records read ahead while a commit is in flight (keeps the ingress backlog short).
const MAX_BUFFERED: usize = 5 * CHUNK_RECORDS;

type CommitTask = JoinHandle<Result<Vec<Committed>, ProduceError>>;

/// `ticket`: the stream's place in the segment's queue, taken by the muxer for every produce
/// with both names (so `None` means a name is missing).
pub(crate) async fn run(
    hub: &Arc<StoreHub>,
    io: &mut ChannelIo,
    p: Produce,
    ticket: Option<SegmentTicket>,
) -> Finish {
    let Some(ticket) = ticket.filter(|_| !p.space.is_empty() && !p.segment.is_empty()) else {
        let _ = io.close_err(text::INVALID_PRODUCE_ARGS).await;
        return Finish::Forget;
    };
    let _turn = ticket.wait().await;
    let store = hub.store.clone();
    let (space, segment) = (p.space.clone(), p.segment.clone());
    let tail = tokio::task::spawn_blocking(move || store.segment_status(&space, &segment)).await;
    let mut expected = match tail {
        Ok(Ok(s)) => s.map_or(0, |s| s.last_sequence) + 1,
        Ok(Err(e)) => {
            let _ = io.close_err(&format!("peek failed: {e}")).await;
            return Finish::Forget;
        }
        Err(e) => {
            let _ = io.close_err(&format!("peek failed: {e}")).await;
            return Finish::Forget;
        }
    };
    let mut buf: Vec<Record> = Vec::with_capacity(CHUNK_RECORDS);
    let mut inflight: Option<CommitTask> = None;
    let mut input_done = false;
    loop {
        if inflight.is_none() && (buf.len() >= CHUNK_RECORDS || (input_done && !buf.is_empty())) {
            // Every complete chunk buffered (plus the final partial one) in one transaction.
            let n = if input_done {
                buf.len()
            } else {
                buf.len() - buf.len() % CHUNK_RECORDS
            };
            let rest = buf.split_off(n);
            let batch = std::mem::replace(&mut buf, rest);
            let store = hub.store.clone();
            let (space, segment) = (p.space.clone(), p.segment.clone());
            inflight = Some(tokio::task::spawn_blocking(move || {
                let chunks: Vec<&[Record]> = batch.chunks(CHUNK_RECORDS).collect();
                store.commit_chunks(&space, &segment, &chunks)
            }));
        }
        if input_done && inflight.is_none() && buf.is_empty() {
            let _ = io.close().await;
            return Finish::Forget;
        }
        let can_read = !input_done && buf.len() < MAX_BUFFERED;
        tokio::select! {
            res = async {
                match inflight.as_mut() {
                    Some(t) => t.await,
                    None => std::future::pending().await,
                }
            }, if inflight.is_some() => {
                inflight = None;
                match res {
                    Ok(Ok(done)) => {
                        if !report(hub, io, done).await {
                            return Finish::Forget;
                        }
                    }
                    Ok(Err(e)) => {
                        let _ = io.close_err(&e.to_string()).await;
                        return Finish::Tombstone;
                    }
                    Err(e) => {
                        let _ = io.close_err(&format!("failed to commit batch: {e}")).await;
                        return Finish::Tombstone;
                    }
                }
            }
            inbound = io.rx.recv(), if can_read => match inbound {
                // Killed, the connection is gone or the server shuts down: the chunks not yet
                // committed are dropped; a commit in flight completes and reports its status
                // (when the socket still works) so the client learns what was written.
                None => {
                    if let Some(t) = inflight.take()
                        && let Ok(Ok(done)) = t.await
                    {
                        report(hub, io, done).await;
                    }
                    return Finish::Forget;
                }
                // `mux::close` (with or without err) and `mux::error` all end the input.
                Some(Inbound::Control(c)) => {
                    tracing::trace!(channel = %io.channel_id, err = ?c.err, "produce input ended");
                    input_done = true;
                }
                Some(Inbound::Data(bytes)) => {
                    let record: Record = match Record::decode(&bytes) {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = io.close_err(&e.to_string()).await;
                            return Finish::Tombstone;
                        }
                    };
                    if record.sequence != expected {
                        // The chunk in flight is complete and valid: its status comes first.
                        if let Some(t) = inflight.take()
                            && let Ok(Ok(done)) = t.await
                        {
                            report(hub, io, done).await;
                        }
                        let _ = io.close_err(&text::sequence_gap(expected, record.sequence)).await;
                        return Finish::Tombstone;
                    }
                    expected += 1;
                    buf.push(record);
                }
            },
        }
    }
}

/// Publish the committed chunks' statuses to subscribers and send them to the producer;
/// `false` when the channel can no longer send.
async fn report(hub: &Arc<StoreHub>, io: &ChannelIo, done: Vec<Committed>) -> bool {
    let mut sent = true;
    for c in done {
        hub.subs.publish(&c.status);
        if sent && io.send(encode_bare(&c.status)).await.is_err() {
            sent = false;
        }
    }
    sent
}
