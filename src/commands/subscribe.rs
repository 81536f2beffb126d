//! `skope subscribe SPACE [SEGMENT]`: status updates as JSON lines until Ctrl-C.

use super::Out;
use crate::connect::Session;
use crate::jsonl;
use color_eyre::eyre::Result;
use skope_client::SubscriptionState;
use skope_proto::SegmentStatus;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Statuses waiting to be printed; a slow terminal coalesces in the client, not here.
const QUEUE: usize = 1024;
/// How often the subscription's health is checked.
const HEALTH_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

pub async fn run(s: &Session, space: &str, segment: Option<&str>) -> Result<ExitCode> {
    let (tx, mut rx) = mpsc::channel::<SegmentStatus>(QUEUE);
    let handler = Arc::new(move |st: SegmentStatus| {
        // Full queue: the oldest pending lines win; the next update carries the newer state.
        let _ = tx.try_send(st);
    });
    let sub = match segment {
        Some(seg) => {
            s.client
                .subscribe_to_segment(s.store, space, seg, handler)
                .await?
        }
        None => s.client.subscribe_to_space(s.store, space, handler).await?,
    };
    let mut out = Out::new(true);
    let ctrl_c = tokio::signal::ctrl_c();
    let mut ctrl_c = std::pin::pin!(ctrl_c);
    let mut health = tokio::time::interval(HEALTH_CHECK);
    let id = sub.id().to_owned();
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            st = rx.recv() => match st {
                Some(st) => if !out.line(&jsonl::status_line(&st))? { break },
                None => break,
            },
            _ = health.tick() => {
                // A permanent failure removes the subscription: say why instead of hanging.
                let status = s.client.subscription_status(&id);
                if status.as_ref().is_none_or(|st| st.state == SubscriptionState::Failed) {
                    let why = status
                        .and_then(|st| st.last_error)
                        .map_or_else(|| "the subscription ended".to_owned(), |e| e.to_string());
                    color_eyre::eyre::bail!("subscription failed: {why}");
                }
            }
        }
    }
    sub.unsubscribe().await;
    Ok(ExitCode::SUCCESS)
}
