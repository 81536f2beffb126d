//! `skope demo`: a fresh embedded store with sample data and live traffic, in the TUI.

use crate::cli::Global;
use crate::tui::{self, TuiArgs, TuiOptions};
use crate::{connect, demo};
use color_eyre::eyre::{Result, WrapErr};
use std::process::ExitCode;

/// History written into each demo segment before the live producer starts.
const HISTORY: u64 = 25;

pub async fn run(
    mut global: Global,
    tui_args: &TuiArgs,
    settings: crate::config::TuiSettings,
) -> Result<ExitCode> {
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
    let client = session.client.clone();
    let result = tui::run(session, TuiOptions::from_args(tui_args, &global, settings)).await;
    producer.abort();
    client.close().await;
    drop(tmp);
    result.map(|()| ExitCode::SUCCESS)
}
