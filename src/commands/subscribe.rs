//! `skope subscribe SPACE [SEGMENT]`: status updates as JSON lines until Ctrl-C.

use super::Out;
use crate::connect::Session;
use crate::jsonl;
use color_eyre::eyre::Result;
use skope_proto::SegmentStatus;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Statuses waiting to be printed; a slow terminal coalesces in the client, not here.
const QUEUE: usize = 1024;

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
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            st = rx.recv() => match st {
                Some(st) => if !out.line(&jsonl::status_line(&st))? { break },
                None => break,
            }
        }
    }
    sub.unsubscribe().await;
    Ok(ExitCode::SUCCESS)
}
