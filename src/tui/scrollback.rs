//! Scroll-back: reading the page of entries just before the entry window's first one (the
//! state asks with `Effect::FetchOlder`, the app loop runs [`fetch`] in a task).
//!
//! A segment is read by sequence (`first - page ..= first - 1`). Spaces are ordered by time
//! and have no backwards read, so the page is searched for: read the span of time that ends
//! at the window's first entry, keep the newest `page` entries before it, and widen the span
//! (×8) while it holds fewer and something older exists. Memory stays at one page whatever the
//! span holds.

use super::state::{OlderPage, OlderRead, OlderRequest, read_position};
use futures::{Stream, StreamExt, TryStreamExt};
use skope_client::{Client, Consume, ConsumeSpace, Entry, LexKey, Uuid};
use std::collections::VecDeque;

/// How much wider each further search over time reaches.
const WIDEN: i64 = 8;

/// Read the page `request` asks for.
///
/// # Errors
/// The read failed (the client's text).
pub async fn fetch(
    client: &Client,
    store: Uuid,
    request: OlderRequest,
) -> Result<OlderPage, String> {
    match request.read {
        OlderRead::Segment(c) => {
            let from = c.min_sequence;
            let entries: Vec<Entry> = client
                .consume_segment(store, c)
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            let at_start = from <= 1 || entries.is_empty();
            Ok(OlderPage { entries, at_start })
        }
        OlderRead::Time { spaces, span_ms } => {
            by_time(
                client,
                store,
                &spaces,
                &request.before,
                request.page,
                span_ms,
            )
            .await
        }
    }
}

/// Entries of `spaces` with `min < timestamp <= max` (`limit` 0: all), in read order.
fn read(
    client: &Client,
    store: Uuid,
    spaces: &[String],
    min: i64,
    max: i64,
    limit: u64,
) -> impl Stream<Item = Result<Entry, String>> + use<> {
    let stream = match spaces {
        [space] => client.consume_space(
            store,
            ConsumeSpace {
                space: space.clone(),
                min_timestamp: min,
                max_timestamp: max,
                limit,
                ..ConsumeSpace::default()
            },
        ),
        _ => client.consume(
            store,
            Consume {
                min_timestamp: min,
                max_timestamp: max,
                offsets: spaces
                    .iter()
                    .map(|s| (s.clone(), LexKey::default()))
                    .collect(),
                limit,
            },
        ),
    };
    stream.map_err(|e| e.to_string())
}

async fn by_time(
    client: &Client,
    store: Uuid,
    spaces: &[String],
    before: &Entry,
    page: usize,
    span_ms: i64,
) -> Result<OlderPage, String> {
    let page = page.max(1);
    let end = read_position(before);
    let t = before.timestamp;
    let mut span = span_ms.max(1);
    loop {
        // `min_timestamp` is exclusive and 0 means "from the start".
        let lo = t.saturating_sub(span).max(0);
        let mut kept = Keep::new(page);
        let mut entries = std::pin::pin!(read(client, store, spaces, lo, t, 0));
        while let Some(e) = entries.next().await {
            let e = e?;
            if read_position(&e) >= end {
                break;
            }
            kept.push(e);
        }
        if kept.full() {
            return Ok(kept.page(false));
        }
        if lo == 0 {
            return Ok(kept.page(true));
        }
        let older = std::pin::pin!(read(client, store, spaces, 0, lo, 1))
            .next()
            .await
            .transpose()?;
        if older.is_none() {
            return Ok(kept.page(true));
        }
        span = span.saturating_mul(WIDEN);
    }
}

/// The newest `cap` entries pushed, and whether any were dropped.
struct Keep {
    cap: usize,
    entries: VecDeque<Entry>,
    dropped: bool,
}

impl Keep {
    fn new(cap: usize) -> Self {
        Keep {
            cap,
            entries: VecDeque::with_capacity(cap.min(4096)),
            dropped: false,
        }
    }

    fn push(&mut self, e: Entry) {
        if self.entries.len() == self.cap {
            self.entries.pop_front();
            self.dropped = true;
        }
        self.entries.push_back(e);
    }

    fn full(&self) -> bool {
        self.entries.len() == self.cap
    }

    fn page(self, at_start: bool) -> OlderPage {
        OlderPage {
            at_start: at_start && !self.dropped,
            entries: self.entries.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skope_client::{BoxIo, DuplexConnector, Metadata};

    /// Entries of an in-process node: orders/a every round, orders/b every 2nd, payments/p
    /// every 3rd; `check` gets a client on it.
    fn on_a_node<F: std::future::Future<Output = ()>>(check: impl FnOnce(Client) -> F) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("dir");
        rt.block_on(async move {
            let node = skope_node::Node::open(dir.path()).expect("node");
            let client = Client::new(DuplexConnector::new(move || -> BoxIo {
                Box::new(node.connect_in_process())
            }));
            for i in 1..=120_u64 {
                for (space, segment, every) in
                    [("orders", "a", 1), ("orders", "b", 2), ("payments", "p", 3)]
                {
                    if i % every == 0 {
                        let payload = format!("{{\"i\":{i}}}").into_bytes();
                        client
                            .publish(STORE, space, segment, payload, Metadata::new())
                            .await
                            .expect("publish");
                    }
                }
            }
            check(client.clone()).await;
            client.close().await;
        });
    }

    const STORE: Uuid = Uuid::from_u128(1);

    fn seqs(entries: &[Entry]) -> Vec<(String, u64)> {
        entries
            .iter()
            .map(|e| (format!("{}/{}", e.space, e.segment), e.sequence))
            .collect()
    }

    async fn all(client: &Client, spaces: &[&str]) -> Vec<Entry> {
        let spaces: Vec<String> = spaces.iter().map(|s| (*s).to_owned()).collect();
        read(client, STORE, &spaces, 0, 0, 0)
            .try_collect()
            .await
            .expect("read all")
    }

    fn time_request(spaces: &[&str], before: &Entry, page: usize) -> OlderRequest {
        OlderRequest {
            id: 1,
            before: before.clone(),
            page,
            // The narrowest start: the search has to widen to find a page.
            read: OlderRead::Time {
                spaces: spaces.iter().map(|s| (*s).to_owned()).collect(),
                span_ms: 1,
            },
        }
    }

    #[test]
    fn pages_are_exactly_the_entries_before_the_window() {
        on_a_node(|client| async move {
            // A segment, by sequence.
            let segment = |from, to| OlderRequest {
                id: 1,
                before: Entry::default(),
                page: 0,
                read: OlderRead::Segment(skope_client::ConsumeSegment {
                    space: "orders".into(),
                    segment: "a".into(),
                    min_sequence: from,
                    max_sequence: to,
                    ..skope_client::ConsumeSegment::default()
                }),
            };
            let p = fetch(&client, STORE, segment(70, 99)).await.expect("page");
            assert!(p.entries.iter().map(|e| e.sequence).eq(70..=99));
            assert!(!p.at_start);
            let p = fetch(&client, STORE, segment(1, 9)).await.expect("page");
            assert!(p.entries.iter().map(|e| e.sequence).eq(1..=9));
            assert!(p.at_start);

            // A space, by time: the newest `page` entries before `before`, in read order.
            let orders = all(&client, &["orders"]).await;
            assert_eq!(orders.len(), 180);
            let p = fetch(&client, STORE, time_request(&["orders"], &orders[150], 40))
                .await
                .expect("page");
            assert_eq!(seqs(&p.entries), seqs(&orders[110..150]));
            assert!(!p.at_start);
            let p = fetch(
                &client,
                STORE,
                time_request(&["orders"], &orders[150], 1000),
            )
            .await
            .expect("page");
            assert_eq!(seqs(&p.entries), seqs(&orders[..150]));
            assert!(p.at_start);

            // Several spaces, merged by time.
            let both = all(&client, &["orders", "payments"]).await;
            assert_eq!(both.len(), 220);
            let spaces = ["orders", "payments"];
            let p = fetch(&client, STORE, time_request(&spaces, &both[170], 25))
                .await
                .expect("page");
            assert_eq!(seqs(&p.entries), seqs(&both[145..170]));
            let p = fetch(&client, STORE, time_request(&spaces, &both[170], 1000))
                .await
                .expect("page");
            assert_eq!(seqs(&p.entries), seqs(&both[..170]));
            assert!(p.at_start);
            let p = fetch(&client, STORE, time_request(&spaces, &both[0], 10))
                .await
                .expect("page");
            assert!(p.entries.is_empty() && p.at_start);
        });
    }

    #[test]
    fn keep_holds_the_newest() {
        let mut k = Keep::new(2);
        for i in 1..=3 {
            k.push(Entry {
                sequence: i,
                ..Entry::default()
            });
        }
        assert!(k.full());
        let p = k.page(true);
        assert_eq!(
            p.entries.iter().map(|e| e.sequence).collect::<Vec<_>>(),
            [2, 3]
        );
        assert!(
            !p.at_start,
            "an entry was dropped: the start is not in the page"
        );
    }
}
