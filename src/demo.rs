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

/// How often the live producer writes.
pub const TICK: Duration = Duration::from_millis(400);

fn payload(space: &str, segment: &str, n: u64) -> Vec<u8> {
    let status =
        ["created", "paid", "shipped", "failed", "refunded"][usize::try_from(n % 5).unwrap_or(0)];
    serde_json::json!({
        "id": format!("{space}-{segment}-{n}"),
        "status": status,
        "amount_cents": (n * 731) % 10_000,
    })
    .to_string()
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

/// Publish forever, round-robin over the demo segments; returns on the first error.
pub async fn live(client: Client, store: Uuid) -> skope_client::Error {
    let mut tick = tokio::time::interval(TICK);
    let all: Vec<(&str, &str)> = SPACES
        .iter()
        .flat_map(|(sp, segs)| segs.iter().map(move |s| (*sp, *s)))
        .collect();
    let mut i: u64 = 0;
    loop {
        tick.tick().await;
        let (space, segment) = all[usize::try_from(i).unwrap_or(0) % all.len()];
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
