//! Logs go to a file, never to stdout (stdout belongs to JSON lines and the TUI).

use color_eyre::eyre::{Result, WrapErr};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The log file, once logging started (error messages point at it).
static FILE: OnceLock<PathBuf> = OnceLock::new();

/// The log file, when there is one.
#[must_use]
pub fn file() -> Option<&'static Path> {
    FILE.get().map(PathBuf::as_path)
}

/// Start file logging; keep the guard alive until exit so buffered lines are flushed.
pub fn init(file: Option<&Path>, filter: &str) -> Result<Option<WorkerGuard>> {
    let Some(path) = file else { return Ok(None) };
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .wrap_err_with(|| format!("cannot open log file {}", path.display()))?;
    let _ = FILE.set(std::path::absolute(path).unwrap_or_else(|_| path.to_owned()));
    let (writer, guard) = tracing_appender::non_blocking(f);
    let filter = EnvFilter::try_new(filter).wrap_err("bad --log-level filter")?;
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    Ok(Some(guard))
}
