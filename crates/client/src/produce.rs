//! Produce: records in, segment statuses out, split over several produce streams.
//!
//! A streamkit server kills a produce stream whose receive backlog passes 8192 frames, so the
//! input is cut into batches of at most [`PRODUCE_SPLIT`] records, each written on its own
//! produce stream (request, records, `mux::close`). Up to [`PRODUCE_DEPTH`] batches are on the
//! wire at once, so the next batch streams in while the server commits the previous one; the
//! server serializes produce streams per segment, and the statuses of every batch flow out in
//! order. A server that takes a later batch first refuses its first record (`sequence gap`),
//! writing nothing of it: that batch is sent again once its predecessor is committed.
//!
//! Sequences: a record with `sequence == 0` gets the next sequence (the segment's last + 1 for
//! the first record, found with a peek; the previous record's + 1 after that). A record with an
//! explicit sequence must follow the previous record exactly; the first record's explicit
//! sequence is checked by the server.
//!
//! **Guarantee on a contiguity error**: each batch is checked completely before its stream is
//! opened, so nothing of the offending batch is sent. Batches before it are completed first
//! (their statuses are yielded). The first batch holds the first [`PRODUCE_SPLIT`] records — or
//! fewer, if the input pauses for [`PRODUCE_LINGER`] — so for inputs up to that size a
//! contiguity error means nothing at all was written. Memory: [`PRODUCE_DEPTH`] + 1 batches.

use crate::client::{Client, decode_payload};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::Operation;
use crate::mux::encode_data;
use futures::{Stream, StreamExt};
use skope_proto::errors::text;
use skope_proto::{MAX_PAYLOAD_BYTES, Message, Produce, Record, SegmentStatus, Uuid, encode_bare};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

/// Records per produce stream (well under the server's 8192-frame backlog limit).
pub const PRODUCE_SPLIT: usize = 4096;
/// Batches on the wire at once: the next one streams while the server commits the previous.
/// Both fit the server's 8192-frame backlog together.
pub const PRODUCE_DEPTH: usize = 2;
/// A batch is cut early when the input yields nothing for this long.
pub const PRODUCE_LINGER: Duration = Duration::from_millis(50);

/// Statuses of a produce, one per committed chunk, then the end (or an error). Dropping it
/// cancels the produce (records already sent on the current stream are committed by the
/// server when it sees the stream close).
#[must_use = "streams do nothing unless polled"]
pub struct StatusStream {
    rx: mpsc::Receiver<Result<SegmentStatus>>,
    task: tokio::task::JoinHandle<()>,
    /// The end was reported (after a failed task, as an error).
    ended: bool,
}

impl std::fmt::Debug for StatusStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusStream")
    }
}

impl Stream for StatusStream {
    type Item = Result<SegmentStatus>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(None) => {}
            other => return other,
        }
        // The producer is gone: a quiet end only if it finished; a panic must not read as
        // "everything landed".
        let joined = std::pin::Pin::new(&mut self.task).poll(cx);
        match joined {
            Poll::Pending => Poll::Pending,
            Poll::Ready(r) => {
                self.ended = true;
                match r {
                    Err(e) if e.is_panic() => Poll::Ready(Some(Err(Error::new(
                        ErrorKind::Closed,
                        "produce failed: the producer task panicked",
                    )))),
                    _ => Poll::Ready(None),
                }
            }
        }
    }
}

impl Drop for StatusStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Assign missing sequences and check contiguity of one batch, continuing from `prev`.
///
/// # Errors
/// `records are not contiguous: sequence N follows M`.
pub fn check_contiguous(batch: &mut [Record], prev: &mut Option<u64>) -> Result<()> {
    for r in batch.iter_mut() {
        match *prev {
            Some(p) if r.sequence == 0 => r.sequence = p + 1,
            Some(p) if r.sequence != p.wrapping_add(1) => {
                return Err(Error::new(
                    ErrorKind::NotContiguous,
                    format!(
                        "records are not contiguous: sequence {} follows {p}",
                        r.sequence
                    ),
                ));
            }
            _ => {}
        }
        *prev = Some(r.sequence);
    }
    Ok(())
}

/// Read up to `PRODUCE_SPLIT` records; cut early after a `PRODUCE_LINGER` pause.
async fn next_batch<S: Stream<Item = Record> + Unpin>(records: &mut S) -> Vec<Record> {
    let mut batch = Vec::new();
    while batch.len() < PRODUCE_SPLIT {
        let next = if batch.is_empty() {
            records.next().await
        } else {
            match tokio::time::timeout(PRODUCE_LINGER, records.next()).await {
                Ok(r) => r,
                Err(_) => break,
            }
        };
        match next {
            Some(r) => batch.push(r),
            None => break,
        }
    }
    batch
}

struct Producer {
    client: Client,
    store: Uuid,
    space: String,
    segment: String,
    out: mpsc::Sender<Result<SegmentStatus>>,
}

/// One batch ready to send: `(sequence, encoded record)` pairs.
type Payloads = Arc<Vec<(u64, Vec<u8>)>>;

/// A batch whose first stream is running in its own task.
struct Inflight {
    payloads: Payloads,
    /// Whether another batch was still unsettled when this one was sent (it may then have
    /// reached the server first; see [`Producer::settle`]).
    behind: bool,
    task: AbortOnDropHandle<Attempt>,
}

/// The outcome of one produce stream: the statuses it brought, and how it ended.
struct Attempt {
    statuses: Vec<SegmentStatus>,
    result: Result<()>,
}

impl Producer {
    async fn run<S: Stream<Item = Record> + Send + 'static>(self, records: S) {
        let start = Instant::now();
        let r = self.drive(records).await;
        let ok = r.is_ok();
        if let Err(e) = r {
            let _ = self.out.send(Err(e)).await;
        }
        self.client
            .metrics()
            .record_operation(Operation::Produce, ok, start.elapsed());
    }

    /// Read, check and encode the next batch while up to [`PRODUCE_DEPTH`] earlier ones are on
    /// the wire; settle batches strictly in order.
    async fn drive<S: Stream<Item = Record> + Send + 'static>(&self, records: S) -> Result<()> {
        // Fused: a batch cut by the end of the input is followed by one more read, and a
        // stream polled after its end may panic (`unfold` does).
        let mut records = std::pin::pin!(records.fuse());
        let mut prev: Option<u64> = None;
        let mut inflight: VecDeque<Inflight> = VecDeque::with_capacity(PRODUCE_DEPTH);
        loop {
            // While the input is quiet, a batch on the wire that ends is settled at once (its
            // statuses or its error reach the caller now, not with the next record). The read
            // is kept across those turns: records it took are not lost.
            let batch = {
                let mut next = std::pin::pin!(next_batch(&mut records));
                loop {
                    let Some(oldest) = inflight.front_mut() else {
                        break next.await;
                    };
                    tokio::select! {
                        batch = &mut next => break batch,
                        joined = &mut oldest.task => {
                            if let Some(oldest) = inflight.pop_front() {
                                self.settle_joined(oldest, joined).await?;
                            }
                        }
                    }
                }
            };
            if batch.is_empty() {
                break;
            }
            let payloads = match self.prepare(batch, &mut prev).await {
                Ok(p) => p,
                Err(e) => {
                    // The batches before the offending one complete first (see module docs).
                    while let Some(oldest) = inflight.pop_front() {
                        self.settle(oldest).await?;
                    }
                    return Err(e);
                }
            };
            while inflight.len() >= PRODUCE_DEPTH {
                if let Some(oldest) = inflight.pop_front() {
                    self.settle(oldest).await?;
                }
            }
            let payloads = Arc::new(payloads);
            // Opened here, in batch order (the request frame is sent): a server that serves a
            // segment's streams in the order they open (skope serve) then never sees a batch
            // ahead of its predecessor. Only the records are streamed in the task.
            let this = self.stream_sender();
            let opened = this.open().await;
            let task = {
                let payloads = payloads.clone();
                AbortOnDropHandle::new(tokio::spawn(async move {
                    this.send_on(opened, &payloads).await
                }))
            };
            inflight.push_back(Inflight {
                payloads,
                behind: !inflight.is_empty(),
                task,
            });
        }
        while let Some(oldest) = inflight.pop_front() {
            self.settle(oldest).await?;
        }
        Ok(())
    }

    /// Number (when needed), check and encode one batch.
    async fn prepare(
        &self,
        mut batch: Vec<Record>,
        prev: &mut Option<u64>,
    ) -> Result<Vec<(u64, Vec<u8>)>> {
        if prev.is_none() && batch[0].sequence == 0 {
            *prev = Some(
                self.client
                    .peek(self.store, &self.space, &self.segment)
                    .await?
                    .sequence,
            );
        }
        check_contiguous(&mut batch, prev)?;
        batch
            .iter()
            .map(|r| {
                let p = encode_bare(r);
                if p.len() > MAX_PAYLOAD_BYTES {
                    Err(Error::payload_too_large())
                } else {
                    Ok((r.sequence, p))
                }
            })
            .collect()
    }

    /// Wait for a batch's first stream (every earlier batch is settled), forward its statuses,
    /// and finish the batch when that stream failed in a way a new stream can mend:
    /// - the connection dropped (retryable): resume from the segment tail;
    /// - it was sent `behind` another batch and the server took it first (`sequence gap:
    ///   expected E, got G` with E < G = its first sequence, or `sequence mismatch`; nothing of
    ///   it was written, as its first record was refused): once its predecessor is committed
    ///   the tail must be just before it (else another writer got there: the error stands);
    ///   then it is sent again.
    async fn settle(&self, mut batch: Inflight) -> Result<()> {
        let joined = (&mut batch.task).await;
        self.settle_joined(batch, joined).await
    }

    /// [`Self::settle`] once the batch's task has ended with `joined`.
    async fn settle_joined(
        &self,
        batch: Inflight,
        joined: std::result::Result<Attempt, tokio::task::JoinError>,
    ) -> Result<()> {
        let attempt = match joined {
            Ok(a) => a,
            Err(e) => Attempt {
                statuses: Vec::new(),
                result: Err(Error::new(
                    ErrorKind::Closed,
                    format!("produce task failed: {e}"),
                )),
            },
        };
        for status in attempt.statuses {
            if self.out.send(Ok(status)).await.is_err() {
                return Err(Error::cancelled());
            }
        }
        let err = match attempt.result {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let first = batch.payloads.first().map_or(0, |(seq, _)| *seq);
        let overtaken = batch.behind && refused_as_early(&err, first);
        if !overtaken && (!err.is_retryable() || self.client.is_closed()) {
            return Err(err);
        }
        if overtaken {
            tracing::debug!(
                first,
                "produce batch reached the server before its predecessor; resending"
            );
            // Its predecessor is settled: the tail must be just before this batch. Anything
            // else is another writer, a real conflict (a resend would take its records for
            // ours).
            let tail = self.tail().await?;
            if tail + 1 != first {
                return Err(err);
            }
            return self.send_split(&batch.payloads, err, Some(tail)).await;
        }
        self.send_split(&batch.payloads, err, None).await
    }

    async fn tail(&self) -> Result<u64> {
        Ok(self
            .client
            .peek(self.store, &self.space, &self.segment)
            .await?
            .sequence)
    }

    /// Finish a batch whose stream failed with `err`: a peek tells which records landed (the
    /// server validates sequences, so nothing can land twice) and the rest is sent on a new
    /// stream, bounded by the retry policy. `tail`: the segment's tail, just read (send at once);
    /// without it, sleep a backoff step and peek first.
    async fn send_split(
        &self,
        payloads: &[(u64, Vec<u8>)],
        err: Error,
        mut tail: Option<u64>,
    ) -> Result<()> {
        let mut sleeps: Option<crate::retry::Backoff> = None;
        let mut err = err;
        loop {
            if tail.is_none() {
                let policy = &self.client.inner.policy;
                let Some(sleep) = sleeps.get_or_insert_with(|| policy.backoff()).next() else {
                    return Err(err);
                };
                tracing::debug!(error = %err, ?sleep, "produce stream failed; resuming from the segment tail");
                self.client.metrics().record_resume(Operation::Produce);
                tokio::time::sleep(sleep).await;
            }
            let tail = match tail.take() {
                Some(t) => t,
                None => self.tail().await?,
            };
            let from = payloads
                .iter()
                .position(|(seq, _)| *seq > tail)
                .unwrap_or(payloads.len());
            if from == payloads.len() {
                return Ok(());
            }
            let attempt = self.stream_sender().send_once(&payloads[from..]).await;
            for status in attempt.statuses {
                if self.out.send(Ok(status)).await.is_err() {
                    return Err(Error::cancelled());
                }
            }
            err = match attempt.result {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if !err.is_retryable() || self.client.is_closed() {
                return Err(err);
            }
        }
    }

    fn stream_sender(&self) -> StreamSender {
        StreamSender {
            client: self.client.clone(),
            store: self.store,
            space: self.space.clone(),
            segment: self.segment.clone(),
        }
    }
}

/// Whether `err` may be a server refusing a batch whose first sequence `first` came before
/// its predecessor was committed: Pebble's `sequence gap: expected E, got G` with E < G =
/// `first`, or Azure's `sequence mismatch` (no numbers: the tail read before the resend must
/// be just before `first`, so a real conflict still fails).
fn refused_as_early(err: &Error, first: u64) -> bool {
    let text = err.message();
    text.ends_with(skope_proto::errors::ERR_SEQUENCE_MISMATCH.1)
        || matches!(text::parse_sequence_gap(text), Some((e, g)) if g == first && e < g)
}

/// What one produce stream needs (owned, so a stream can run in its own task).
struct StreamSender {
    client: Client,
    store: Uuid,
    space: String,
    segment: String,
}

impl StreamSender {
    /// One produce stream: request, records, half-close; the statuses it brought.
    async fn send_once(&self, payloads: &[(u64, Vec<u8>)]) -> Attempt {
        self.send_on(self.open().await, payloads).await
    }

    /// Open a produce stream (its request frame is sent; no answer is awaited).
    async fn open(&self) -> Result<crate::mux::Channel> {
        let request = Message::Produce(Produce {
            space: self.space.clone(),
            segment: self.segment.clone(),
        });
        self.client
            .open(Operation::Produce, self.store, &request)
            .await
    }

    /// The records and the half-close on a stream `open` gave.
    async fn send_on(
        &self,
        opened: Result<crate::mux::Channel>,
        payloads: &[(u64, Vec<u8>)],
    ) -> Attempt {
        let mut statuses = Vec::new();
        let result = match opened {
            Ok(channel) => self.exchange(channel, payloads, &mut statuses).await,
            Err(e) => Err(e),
        };
        Attempt { statuses, result }
    }

    async fn exchange(
        &self,
        channel: crate::mux::Channel,
        payloads: &[(u64, Vec<u8>)],
        statuses: &mut Vec<SegmentStatus>,
    ) -> Result<()> {
        let start = Instant::now();
        let (tx, mut rx) = (channel.tx, channel.rx);
        let (store, id) = tx.frame_ids();
        let send = async {
            for (_, p) in payloads {
                tx.send_encoded(encode_data(store, id, p)?).await?;
            }
            tx.close_send(None).await
        };
        let recv = async {
            while let Some(item) = rx.recv().await {
                statuses.push(decode_payload::<SegmentStatus>(&item?, "segment status")?);
            }
            Ok(())
        };
        futures::future::try_join(send, recv).await?;
        // From the first record to the last status: with batches pipelined this includes the
        // server's turn for the batch before it.
        self.client
            .metrics()
            .record_produce_latency(&self.space, &self.segment, start.elapsed());
        Ok(())
    }
}

impl Client {
    /// Write `records` to a segment, yielding the server's statuses (one per committed chunk).
    /// Large inputs are split over consecutive produce streams; see the module docs for the
    /// sequence rules and the exact guarantee on contiguity errors. Server sequence errors are
    /// permanent and end the stream.
    #[tracing::instrument(skip(self, records), fields(store = %store))]
    pub fn produce<S>(&self, store: Uuid, space: &str, segment: &str, records: S) -> StatusStream
    where
        S: Stream<Item = Record> + Send + 'static,
    {
        let (out, rx) = mpsc::channel(64);
        let producer = Producer {
            client: self.clone(),
            store,
            space: space.to_owned(),
            segment: segment.to_owned(),
            out,
        };
        let task = tokio::spawn(producer.run(records));
        StatusStream {
            rx,
            task,
            ended: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn recs(seqs: &[u64]) -> Vec<Record> {
        seqs.iter()
            .map(|s| Record::new(*s, b"x".to_vec()))
            .collect()
    }

    #[test]
    fn contiguity() {
        let mut prev = None;
        let mut b = recs(&[5, 6, 7]);
        assert!(check_contiguous(&mut b, &mut prev).is_ok());
        assert_eq!(prev, Some(7));
        let mut b = recs(&[8, 0, 0]);
        assert!(check_contiguous(&mut b, &mut prev).is_ok());
        assert_eq!(b.iter().map(|r| r.sequence).collect::<Vec<_>>(), [8, 9, 10]);
        let mut b = recs(&[11, 13]);
        let e = check_contiguous(&mut b, &mut prev).err();
        assert_eq!(
            e.map(|e| (e.kind(), e.to_string())),
            Some((
                ErrorKind::NotContiguous,
                "records are not contiguous: sequence 13 follows 11".into()
            ))
        );
        let mut prev = Some(0);
        let mut b = recs(&[0, 0]);
        assert!(check_contiguous(&mut b, &mut prev).is_ok());
        assert_eq!(b[1].sequence, 2);
    }

    proptest! {
        #[test]
        fn contiguous_runs_pass_and_gaps_fail(start in 1u64..1_000_000, len in 1usize..200, gap_at in 0usize..200, gap in 2u64..5) {
            let seqs: Vec<u64> = (0..len as u64).map(|i| start + i).collect();
            let mut prev = None;
            prop_assert!(check_contiguous(&mut recs(&seqs), &mut prev).is_ok());
            if gap_at > 0 && gap_at < len {
                let mut bad = seqs.clone();
                for s in &mut bad[gap_at..] { *s += gap - 1; }
                let mut prev = None;
                prop_assert!(check_contiguous(&mut recs(&bad), &mut prev).is_err());
            }
        }
    }

    #[test]
    fn early_refusals_are_told_from_real_conflicts() {
        let closed = |t: &str| {
            Error::new(
                ErrorKind::RemoteClosed,
                format!("remote closed stream: {t}"),
            )
        };
        assert!(refused_as_early(
            &closed("sequence gap: expected 1, got 4097"),
            4097
        ));
        assert!(refused_as_early(&closed("sequence mismatch"), 4097));
        // Someone else wrote past us, or the gap is not at this batch's start.
        assert!(!refused_as_early(
            &closed("sequence gap: expected 5000, got 4097"),
            4097
        ));
        assert!(!refused_as_early(
            &closed("sequence gap: expected 1, got 4098"),
            4097
        ));
        assert!(!refused_as_early(
            &closed("sequence number mismatch, the node is ahead"),
            1
        ));
        assert!(!refused_as_early(&closed("invalid produce args"), 1));
    }

    #[tokio::test(start_paused = true)]
    async fn batches_split_and_linger() {
        let mut s = futures::stream::iter((1..=10_000u64).map(|i| Record::new(i, vec![])));
        assert_eq!(next_batch(&mut s).await.len(), PRODUCE_SPLIT);
        assert_eq!(next_batch(&mut s).await.len(), PRODUCE_SPLIT);
        assert_eq!(next_batch(&mut s).await.len(), 10_000 - 2 * PRODUCE_SPLIT);
        assert!(next_batch(&mut s).await.is_empty());
        let (tx, rx) = mpsc::channel(4);
        let mut s = tokio_stream_from(rx);
        tx.send(Record::new(1, vec![])).await.ok();
        tx.send(Record::new(2, vec![])).await.ok();
        let handle = tokio::spawn(async move { next_batch(&mut s).await.len() });
        tokio::time::sleep(PRODUCE_LINGER * 3).await;
        assert_eq!(handle.await.ok(), Some(2));
        drop(tx);
    }

    fn tokio_stream_from(mut rx: mpsc::Receiver<Record>) -> impl Stream<Item = Record> + Unpin {
        Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
    }
}
