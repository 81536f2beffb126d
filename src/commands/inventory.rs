//! `skope spaces`, `skope segments SPACE`.

use super::Out;
use crate::connect::Session;
use color_eyre::eyre::Result;
use serde::Serialize;
use skope_proto::SegmentStatus;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long `segments` waits for the status snapshot before falling back to peeks.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(2);

pub async fn spaces(s: &Session) -> Result<ExitCode> {
    let mut out = Out::new(false);
    for name in s.client.get_spaces(s.store).await? {
        if !out.line(&serde_json::to_string(&name)?)? {
            break;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct SegmentLine<'a> {
    name: &'a str,
    first_sequence: u64,
    first_timestamp: i64,
    last_sequence: u64,
    last_timestamp: i64,
}

pub async fn segments(s: &Session, space: &str) -> Result<ExitCode> {
    let names = s.client.get_segments(s.store, space).await?;
    let statuses = snapshot(s, space, &names).await?;
    let mut out = Out::new(false);
    for name in &names {
        let st = match statuses.get(name) {
            Some(st) => st.clone(),
            // Not in the snapshot (yet): the segment's last entry still gives its tail.
            None => {
                let e = s.client.peek(s.store, space, name).await?;
                SegmentStatus {
                    last_sequence: e.sequence,
                    last_timestamp: e.timestamp,
                    ..SegmentStatus::default()
                }
            }
        };
        let line = SegmentLine {
            name,
            first_sequence: st.first_sequence,
            first_timestamp: st.first_timestamp,
            last_sequence: st.last_sequence,
            last_timestamp: st.last_timestamp,
        };
        if !out.line(&serde_json::to_string(&line)?)? {
            break;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Statuses of `names` from a space subscription's snapshot (the protocol has no status call).
async fn snapshot(
    s: &Session,
    space: &str,
    names: &[String],
) -> Result<BTreeMap<String, SegmentStatus>> {
    if names.is_empty() {
        return Ok(BTreeMap::new());
    }
    let seen: Arc<Mutex<BTreeMap<String, SegmentStatus>>> = Arc::default();
    let notify = Arc::new(tokio::sync::Notify::new());
    let (seen2, notify2) = (seen.clone(), notify.clone());
    let sub = s
        .client
        .subscribe_to_space(
            s.store,
            space,
            Arc::new(move |st: SegmentStatus| {
                if let Ok(mut m) = seen2.lock() {
                    m.insert(st.segment.clone(), st);
                }
                notify2.notify_one();
            }),
        )
        .await?;
    let deadline = tokio::time::Instant::now() + SNAPSHOT_WAIT;
    loop {
        let complete = seen
            .lock()
            .map(|m| names.iter().all(|n| m.contains_key(n)))
            .unwrap_or(true);
        if complete
            || tokio::time::timeout_at(deadline, notify.notified())
                .await
                .is_err()
        {
            break;
        }
    }
    sub.unsubscribe().await;
    let map = seen.lock().map(|m| m.clone()).unwrap_or_default();
    Ok(map)
}
