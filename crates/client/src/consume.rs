//! Reading: `consume*` (finite, resumable) and `follow*` (endless tails).
//!
//! Every read keeps a cursor of what it delivered. When the stream fails with a retryable error
//! (the connection dropped, say) it re-opens from that cursor: a segment read with
//! `min_sequence = last + 1`, a space read with `offset = last.space_offset()`, a multi-space
//! read with each space's own last offset; `limit` shrinks by what was delivered. So a resumed
//! read has no gap and no duplicate. Resumes per failure are bounded by the retry policy (the
//! budget refills whenever an entry is delivered).

use crate::client::{Client, decode_entry, decode_payload};
use crate::error::{Error, Result};
use crate::metrics::Operation;
use crate::mux::Channel;
use crate::retry::Backoff;
use futures::Stream;
use skope_proto::{
    Consume, ConsumeSegment, ConsumeSpace, Entry, Message, SegmentStatus, SubscribeToSegmentStatus,
    Uuid,
};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

/// A stream of entries. Lazy: nothing is sent until it is first polled. Dropping it closes the
/// channel (`mux::close`). Cancel-safe: dropping it between polls loses nothing that was
/// yielded.
#[must_use = "streams do nothing unless polled"]
pub struct EntryStream {
    inner: Pin<Box<dyn Stream<Item = Result<Entry>> + Send>>,
}

impl std::fmt::Debug for EntryStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EntryStream")
    }
}

impl Stream for EntryStream {
    type Item = Result<Entry>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// What a read asks for, updated as entries are delivered.
#[derive(Debug, Clone)]
pub(crate) enum Cursor {
    Segment(ConsumeSegment),
    Space(ConsumeSpace),
    Multi(Consume),
}

impl Cursor {
    fn op(&self) -> Operation {
        match self {
            Cursor::Segment(_) => Operation::ConsumeSegment,
            Cursor::Space(_) => Operation::ConsumeSpace,
            Cursor::Multi(_) => Operation::Consume,
        }
    }

    fn limit(&self) -> u64 {
        match self {
            Cursor::Segment(c) => c.limit,
            Cursor::Space(c) => c.limit,
            Cursor::Multi(c) => c.limit,
        }
    }

    fn request(&self, remaining: Option<u64>) -> Message {
        match self {
            Cursor::Segment(c) => {
                let mut c = c.clone();
                c.limit = remaining.unwrap_or(c.limit);
                Message::ConsumeSegment(c)
            }
            Cursor::Space(c) => {
                let mut c = c.clone();
                c.limit = remaining.unwrap_or(c.limit);
                Message::ConsumeSpace(c)
            }
            Cursor::Multi(c) => {
                let mut c = c.clone();
                c.limit = remaining.unwrap_or(c.limit);
                Message::Consume(c)
            }
        }
    }

    /// Whether `entry` belongs to what was asked (drops the Go server's name-prefix leak).
    fn accepts(&self, entry: &Entry) -> bool {
        match self {
            Cursor::Segment(c) => entry.space == c.space && entry.segment == c.segment,
            Cursor::Space(c) => entry.space == c.space,
            Cursor::Multi(c) => c.offsets.contains_key(&entry.space),
        }
    }

    fn advance(&mut self, entry: &Entry) {
        match self {
            Cursor::Segment(c) => c.min_sequence = entry.sequence.saturating_add(1),
            Cursor::Space(c) => c.offset = entry.space_offset(),
            Cursor::Multi(c) => {
                c.offsets.insert(entry.space.clone(), entry.space_offset());
            }
        }
    }

    /// Nothing more can ever match (segment past `max_sequence`).
    fn exhausted(&self) -> bool {
        match self {
            Cursor::Segment(c) => c.max_sequence != 0 && c.min_sequence > c.max_sequence,
            _ => false,
        }
    }

    fn max_timestamp(&self) -> i64 {
        match self {
            Cursor::Segment(c) => c.max_timestamp,
            Cursor::Space(c) => c.max_timestamp,
            Cursor::Multi(c) => c.max_timestamp,
        }
    }

    fn labels(&self) -> (String, String) {
        match self {
            Cursor::Segment(c) => (c.space.clone(), c.segment.clone()),
            Cursor::Space(c) => (c.space.clone(), String::new()),
            Cursor::Multi(c) => (
                c.offsets.keys().cloned().collect::<Vec<_>>().join(","),
                String::new(),
            ),
        }
    }
}

/// One resumable read.
pub(crate) struct Reader {
    client: Client,
    store: Uuid,
    pub(crate) cursor: Cursor,
    /// Entries still allowed (`None` = unlimited).
    remaining: Option<u64>,
    channel: Option<Channel>,
    /// The current scan ended (cleanly).
    scan_done: bool,
    /// No more entries, ever (limit reached, error, exhausted).
    finished: bool,
    resume: Option<Backoff>,
    /// A tail: retryable failures are retried without a limit (see `Backoff::endless`).
    endless: bool,
    opened_at: Option<Instant>,
}

impl Reader {
    pub(crate) fn new(client: Client, store: Uuid, cursor: Cursor) -> Self {
        let limit = cursor.limit();
        let remaining = (limit != 0 && limit != u64::MAX).then_some(limit);
        Reader {
            client,
            store,
            cursor,
            remaining,
            channel: None,
            scan_done: false,
            finished: false,
            resume: None,
            endless: false,
            opened_at: None,
        }
    }

    /// The next entry of the current scan; `None` when the scan ended (see `finished`).
    pub(crate) async fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            if self.finished || self.scan_done {
                return None;
            }
            if self.cursor.exhausted() {
                self.finished = true;
                return None;
            }
            let op = self.cursor.op();
            if self.channel.is_none() {
                let start = Instant::now();
                let request = self.cursor.request(self.remaining);
                let opened = self.client.open(op, self.store, &request).await;
                self.client
                    .metrics()
                    .record_operation(op, opened.is_ok(), start.elapsed());
                match opened {
                    Ok(ch) => {
                        self.channel = Some(ch);
                        self.opened_at.get_or_insert(start);
                    }
                    // A tail waits for the server to come back (the open's own retries ran
                    // out, but the error says trying again may work).
                    Err(e) if self.endless && self.pause_before_retry(&e).await => continue,
                    Err(e) => {
                        self.finished = true;
                        return Some(Err(e));
                    }
                }
            }
            let channel = self.channel.as_mut()?;
            match channel.recv().await {
                Some(Ok(bytes)) => {
                    let entry = match decode_entry(&bytes) {
                        Ok(e) if e.is_valid_consumed() => e,
                        _ => {
                            self.finished = true;
                            self.channel = None;
                            return Some(Err(Error::invalid_entry()));
                        }
                    };
                    if !self.cursor.accepts(&entry) {
                        continue;
                    }
                    if let Some(t) = self.opened_at.take() {
                        let (space, segment) = self.cursor.labels();
                        self.client
                            .metrics()
                            .record_consume_latency(&space, &segment, t.elapsed());
                    }
                    self.cursor.advance(&entry);
                    self.resume = None;
                    if let Some(r) = self.remaining.as_mut() {
                        *r -= 1;
                        if *r == 0 {
                            self.finished = true;
                            self.channel = None;
                        }
                    }
                    return Some(Ok(entry));
                }
                None => {
                    self.scan_done = true;
                    self.channel = None;
                    return None;
                }
                Some(Err(e)) => {
                    self.channel = None;
                    if self.pause_before_retry(&e).await {
                        self.client.metrics().record_resume(op);
                        continue;
                    }
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// After a failure: when it may be retried (retryable, client open, and the resume
    /// schedule — endless for a tail — not spent), sleep the next backoff and say `true`.
    async fn pause_before_retry(&mut self, e: &Error) -> bool {
        if !e.is_retryable() || self.client.is_closed() {
            return false;
        }
        let policy = &self.client.inner.policy;
        let endless = self.endless;
        let schedule = self.resume.get_or_insert_with(|| {
            let b = policy.backoff();
            if endless { b.endless() } else { b }
        });
        let Some(sleep) = schedule.next() else {
            return false;
        };
        tracing::debug!(error = %e, ?sleep, "read failed; resuming from the cursor");
        let shutdown = self.client.inner.shutdown.clone();
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(sleep) => {}
        }
        true
    }

    /// Start another scan from the cursor.
    fn rescan(&mut self) {
        self.scan_done = false;
    }
}

fn finite(reader: Reader) -> EntryStream {
    let s = futures::stream::unfold(reader, |mut r| async move {
        let item = r.next().await?;
        Some((item, r))
    });
    EntryStream { inner: Box::pin(s) }
}

/// Change counter fed by segment-status subscriptions (one per space).
#[derive(Debug, Clone, Default)]
struct Changes {
    updates: u64,
    error: Option<Error>,
}

/// Keep a segment-status subscription open (re-opening it after retryable failures) and count
/// every status and every (re)subscription into `tx`.
async fn watch_statuses(
    client: Client,
    store: Uuid,
    space: String,
    segment: String,
    tx: watch::Sender<Changes>,
    stop: CancellationToken,
) {
    let request = Message::SubscribeToSegmentStatus(SubscribeToSegmentStatus {
        space: space.clone(),
        segment: segment.clone(),
        heartbeat_interval_seconds: 0,
    });
    // A tail waits out server restarts: retryable failures are retried without a limit.
    let mut sleeps = client.inner.policy.backoff().endless();
    loop {
        let opened = tokio::select! {
            () = stop.cancelled() => return,
            r = client.open(Operation::Subscribe, store, &request) => r,
        };
        let mut channel = match opened {
            Ok(ch) => ch,
            Err(e) if e.is_retryable() && !client.is_closed() => {
                let sleep = sleeps.next().unwrap_or(client.inner.policy.max_backoff);
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(sleep) => {}
                }
                continue;
            }
            Err(e) => {
                tx.send_modify(|c| c.error = Some(e));
                return;
            }
        };
        // A (re)subscription may have missed updates: count it as a change.
        tx.send_modify(|c| c.updates += 1);
        let mut progressed = false;
        let err = loop {
            let item = tokio::select! {
                () = stop.cancelled() => {
                    let _ = channel.tx.close_send(Some("context canceled")).await;
                    return;
                }
                item = channel.recv() => item,
            };
            match item {
                Some(Ok(bytes)) => {
                    progressed = true;
                    let Ok(status) = decode_payload::<SegmentStatus>(&bytes, "segment status")
                    else {
                        continue;
                    };
                    let matches =
                        status.space == space && (segment == "*" || status.segment == segment);
                    if !status.heartbeat && matches {
                        tx.send_modify(|c| c.updates += 1);
                    }
                }
                Some(Err(e)) => break e,
                None => break Error::muxer_closed(),
            }
        };
        if progressed {
            sleeps = client.inner.policy.backoff().endless();
        }
        if !err.is_retryable() || client.is_closed() {
            tx.send_modify(|c| c.error = Some(err));
            return;
        }
        let Some(sleep) = sleeps.next() else {
            tx.send_modify(|c| c.error = Some(err));
            return;
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(sleep) => {}
        }
    }
}

struct Follow {
    reader: Reader,
    changes: watch::Receiver<Changes>,
    seen: u64,
    _stop: DropGuard,
}

impl Follow {
    async fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            if let Some(item) = self.reader.next().await {
                return Some(item);
            }
            if self.reader.finished {
                return None;
            }
            let max_ts = self.reader.cursor.max_timestamp();
            if max_ts != 0 && skope_proto::now_ms() > max_ts {
                return None;
            }
            // The scan ended: wait for a change seen after the scan started.
            loop {
                let state = self.changes.borrow_and_update().clone();
                if let Some(e) = state.error {
                    self.reader.finished = true;
                    return Some(Err(e));
                }
                if state.updates != self.seen {
                    self.seen = state.updates;
                    break;
                }
                if self.changes.changed().await.is_err() {
                    self.reader.finished = true;
                    return Some(Err(Error::closed()));
                }
            }
            self.reader.rescan();
        }
    }
}

impl Client {
    /// Read entries of several spaces merged by timestamp (`offsets`: space → exclusive
    /// resume offset, empty = from the start). Resumes after retryable failures.
    #[tracing::instrument(skip(self, request), fields(store = %store, spaces = request.offsets.len()))]
    pub fn consume(&self, store: Uuid, request: Consume) -> EntryStream {
        finite(Reader::new(self.clone(), store, Cursor::Multi(request)))
    }

    /// Read every segment of one space in (timestamp, segment, sequence) order. Resumes after
    /// retryable failures.
    #[tracing::instrument(skip(self, request), fields(store = %store, space = %request.space))]
    pub fn consume_space(&self, store: Uuid, request: ConsumeSpace) -> EntryStream {
        finite(Reader::new(self.clone(), store, Cursor::Space(request)))
    }

    /// Read one segment in sequence order. Resumes after retryable failures.
    #[tracing::instrument(skip(self, request), fields(store = %store, space = %request.space, segment = %request.segment))]
    pub fn consume_segment(&self, store: Uuid, request: ConsumeSegment) -> EntryStream {
        finite(Reader::new(self.clone(), store, Cursor::Segment(request)))
    }

    /// Tail a segment: read to the end, wait for the segment's next status update (or a
    /// re-subscription after a reconnect), read on from the cursor; endless unless `limit`,
    /// `max_sequence` or `max_timestamp` bound it. No gap, no duplicate across reconnects.
    #[tracing::instrument(skip(self, request), fields(store = %store, space = %request.space, segment = %request.segment))]
    pub fn follow_segment(&self, store: Uuid, request: ConsumeSegment) -> EntryStream {
        let watches = vec![(request.space.clone(), request.segment.clone())];
        self.follow(store, Cursor::Segment(request), watches)
    }

    /// Tail a space (every segment), like [`Client::follow_segment`].
    #[tracing::instrument(skip(self, request), fields(store = %store, space = %request.space))]
    pub fn follow_space(&self, store: Uuid, request: ConsumeSpace) -> EntryStream {
        let watches = vec![(request.space.clone(), "*".to_owned())];
        self.follow(store, Cursor::Space(request), watches)
    }

    /// Tail several spaces merged by timestamp, like [`Client::follow_segment`].
    #[tracing::instrument(skip(self, request), fields(store = %store, spaces = request.offsets.len()))]
    pub fn follow_spaces(&self, store: Uuid, request: Consume) -> EntryStream {
        let watches = request
            .offsets
            .keys()
            .map(|s| (s.clone(), "*".to_owned()))
            .collect();
        self.follow(store, Cursor::Multi(request), watches)
    }

    fn follow(&self, store: Uuid, cursor: Cursor, watches: Vec<(String, String)>) -> EntryStream {
        let client = self.clone();
        let s = futures::stream::once(async move {
            let stop = client.inner.shutdown.child_token();
            let (tx, rx) = watch::channel(Changes::default());
            for (space, segment) in watches {
                let task = watch_statuses(
                    client.clone(),
                    store,
                    space,
                    segment,
                    tx.clone(),
                    stop.clone(),
                );
                client.inner.tasks.spawn(task);
            }
            let follow = Follow {
                reader: Reader {
                    endless: true,
                    ..Reader::new(client, store, cursor)
                },
                changes: rx,
                seen: 0,
                _stop: stop.drop_guard(),
            };
            futures::stream::unfold(follow, |mut f| async move {
                let item = f.next().await?;
                Some((item, f))
            })
        });
        EntryStream {
            inner: Box::pin(futures::StreamExt::flatten(s)),
        }
    }
}
