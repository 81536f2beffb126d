//! `skope demo`: a fresh embedded store with sample data and live traffic, tailed as text.
//! (The TUI replaces the tail once it exists.)

use super::Out;
use crate::cli::Global;
use crate::{connect, demo};
use color_eyre::eyre::{Result, WrapErr};
use futures::StreamExt;
use skope_proto::{Consume, LexKey};
use std::process::ExitCode;

/// History written into each demo segment before the live producer starts.
const HISTORY: u64 = 25;

pub async fn run(mut global: Global) -> Result<ExitCode> {
    // A fresh store every time unless the user names a data dir.
    let tmp = match global.data_dir {
        Some(_) => None,
        None => {
            let t = tempfile::Builder::new()
                .prefix("skope-demo-")
                .tempdir()
                .wrap_err("temp dir")?;
            global.data_dir = Some(t.path().to_path_buf());
            Some(t)
        }
    };
    let session = connect::open(&global)?;
    demo::seed(&session.client, session.store, HISTORY).await?;
    let producer = tokio::spawn(demo::live(session.client.clone(), session.store));
    eprintln!(
        "skope demo: live traffic into {} (Ctrl-C to stop)",
        demo::SPACES
            .iter()
            .map(|s| s.0)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let offsets = demo::SPACES
        .iter()
        .map(|(s, _)| ((*s).to_owned(), LexKey::default()))
        .collect();
    let mut tail = session.client.follow_spaces(
        session.store,
        Consume {
            offsets,
            ..Consume::default()
        },
    );
    let mut out = Out::new(true);
    let ctrl_c = tokio::signal::ctrl_c();
    let mut ctrl_c = std::pin::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            e = tail.next() => match e {
                Some(Ok(e)) => if !out.line(&super::read::text_line(&e))? { break },
                Some(Err(e)) => return Err(e.into()),
                None => break,
            }
        }
    }
    producer.abort();
    session.client.close().await;
    drop(tmp);
    Ok(ExitCode::SUCCESS)
}
