//! Demo data: a few spaces with history and a live producer, so a newcomer sees motion at once.

use futures::StreamExt;
use skope_client::Client;
use skope_proto::{Metadata, Record};
use std::time::Duration;
use uuid::Uuid;

/// Spaces and their segments.
pub const SPACES: &[(&str, &[&str])] = &[
    ("orders", &["eu-1", "eu-2", "us-1"]),
    ("payments", &["card", "sepa"]),
    ("inventory", &["warehouse-a", "warehouse-b"]),
];

/// How often the live producer writes (about ten entries a second in all).
pub const TICK: Duration = Duration::from_millis(100);

/// The live producer's round: busier segments appear more often, so the sparklines differ.
const ROUND: &[(&str, &str)] = &[
    ("orders", "eu-1"),
    ("payments", "card"),
    ("orders", "eu-2"),
    ("orders", "eu-1"),
    ("inventory", "warehouse-a"),
    ("orders", "us-1"),
    ("orders", "eu-1"),
    ("payments", "card"),
    ("orders", "eu-2"),
    ("payments", "sepa"),
    ("orders", "eu-1"),
    ("inventory", "warehouse-b"),
    ("orders", "us-1"),
];

fn payload(space: &str, segment: &str, n: u64) -> Vec<u8> {
    let status =
        ["created", "paid", "shipped", "failed", "refunded"][usize::try_from(n % 5).unwrap_or(0)];
    // Written by hand so the fields keep this order (a list's preview shows id and status).
    format!(
        r#"{{"id":"{space}-{segment}-{n}","status":"{status}","amount_cents":{},"currency":"EUR","customer":"c-{}"}}"#,
        (n * 731) % 10_000,
        1000 + (n * 37) % 900,
    )
    .into_bytes()
}

/// Write `per_segment` entries of history into every demo segment.
///
/// # Errors
/// Any client error.
pub async fn seed(
    client: &Client,
    store: Uuid,
    per_segment: u64,
) -> Result<(), skope_client::Error> {
    for (space, segments) in SPACES {
        for segment in *segments {
            let start = client.peek(store, space, segment).await?.sequence;
            let records: Vec<Record> = (start + 1..=start + per_segment)
                .map(|n| {
                    let mut meta = Metadata::new();
                    meta.insert("source".into(), "demo".into());
                    Record::new(n, payload(space, segment, n)).with_metadata(meta)
                })
                .collect();
            let mut statuses =
                client.produce(store, space, segment, futures::stream::iter(records));
            while let Some(s) = statuses.next().await {
                s?;
            }
        }
    }
    Ok(())
}

/// Publish forever over the demo segments ([`ROUND`]); returns on the first error.
pub async fn live(client: Client, store: Uuid) -> skope_client::Error {
    let mut tick = tokio::time::interval(TICK);
    let mut i: u64 = 0;
    loop {
        tick.tick().await;
        let (space, segment) = ROUND[usize::try_from(i).unwrap_or(0) % ROUND.len()];
        i += 1;
        let mut meta = Metadata::new();
        meta.insert("source".into(), "demo-live".into());
        if let Err(e) = client
            .publish(store, space, segment, payload(space, segment, i), meta)
            .await
        {
            return e;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_json() {
        let p: serde_json::Value =
            serde_json::from_slice(&payload("orders", "eu-1", 7)).unwrap_or_default();
        assert_eq!(p["id"], "orders-eu-1-7");
        assert_eq!(p["status"], "shipped");
        assert_eq!(p["currency"], "EUR");
    }

    #[test]
    fn the_live_round_writes_every_demo_segment() {
        for (space, segments) in SPACES {
            for segment in *segments {
                assert!(
                    ROUND.contains(&(*space, *segment)),
                    "{space}/{segment} never written live"
                );
            }
        }
        assert!(
            ROUND
                .iter()
                .all(|(sp, seg)| SPACES.iter().any(|(s, segs)| s == sp && segs.contains(seg)))
        );
    }
}
