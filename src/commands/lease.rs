//! `skope lease KEY --ttl 30s [-- CMD...]`.
//!
//! Exit codes (documented in `--help` and the README): 0 released normally or CMD exited 0;
//! CMD's own code when it failed; 3 the lease is held by someone else; 4 the lease was lost
//! (CMD was stopped); 1 any other error.

use super::Out;
use crate::cli::LeaseArgs;
use crate::connect::Session;
use color_eyre::eyre::{Result, WrapErr, bail};
use std::process::ExitCode;
use std::time::Duration;

pub const EXIT_NOT_ACQUIRED: u8 = 3;
pub const EXIT_LOST: u8 = 4;

/// How long CMD gets to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

pub async fn run(s: &Session, a: LeaseArgs) -> Result<ExitCode> {
    s.check_writable("acquire a lease")?;
    let lease = match s.client.acquire_lease(s.store, &a.key, a.ttl).await {
        Ok(l) => l,
        Err(e) if e.kind() == skope_client::ErrorKind::LeaseNotAcquired => {
            eprintln!("skope: {e}");
            return Ok(ExitCode::from(EXIT_NOT_ACQUIRED));
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = Out::new(true);
    out.line(&serde_json::json!({"key": a.key, "holder": lease.holder(), "ttl_seconds": lease.ttl().as_secs(), "state": "acquired"}).to_string())?;
    let lost = lease.token();
    let code = if a.command.is_empty() {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
            () = lost.cancelled() => {
                eprintln!("skope: lease {:?} lost", a.key);
                ExitCode::from(EXIT_LOST)
            }
        }
    } else {
        run_command(&a, lost).await?
    };
    let _ = lease.release().await;
    Ok(code)
}

async fn run_command(a: &LeaseArgs, lost: tokio_util::sync::CancellationToken) -> Result<ExitCode> {
    let Some((program, args)) = a.command.split_first() else {
        bail!("empty command")
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .spawn()
        .wrap_err_with(|| format!("cannot run {program}"))?;
    tokio::select! {
        status = child.wait() => {
            let status = status.wrap_err("waiting for the command")?;
            Ok(match status.code() {
                Some(0) => ExitCode::SUCCESS,
                Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
                None => ExitCode::FAILURE,
            })
        }
        () = lost.cancelled() => {
            eprintln!("skope: lease {:?} lost: stopping {program}", a.key);
            stop(&mut child).await;
            Ok(ExitCode::from(EXIT_LOST))
        }
    }
}

/// SIGTERM, a grace period, then SIGKILL.
async fn stop(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        if tokio::time::timeout(STOP_GRACE, child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.kill().await;
}
