//! `skope serve`: the embedded store on streamkit's WebSocket protocol.
//!
//! Takes the data dir's lock like every skope process (and shares the node with later local
//! skope commands over `<data_dir>/skope.sock`), binds the listener, prints one JSON line
//! `{"listening":"HOST:PORT"}`, and serves until Ctrl-C / SIGTERM, then shuts down
//! gracefully and exits 0.

use crate::cli::{Global, ServeArgs};
use crate::{connect, local};
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use skope_node::auth::TokenCheck;
use skope_node::{Auth, Node, Server};
use std::io::Write;
use std::process::ExitCode;

pub async fn run(global: &Global, args: ServeArgs) -> Result<ExitCode> {
    let auth = auth(&args)?;
    let dir = connect::data_dir(global)?;
    let Some(_lock) = local::try_lock_dir(&dir)? else {
        bail!(
            "data dir {} is in use by another skope process; stop it or pass another --data-dir",
            dir.display()
        );
    };
    let node =
        Node::open(&dir).wrap_err_with(|| format!("cannot open the store in {}", dir.display()))?;
    let server = Server::bind(&args.listen, node.clone(), auth)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", args.listen))?;
    let addr = server.local_addr()?;
    let sharing = local::share(&dir, &node);
    tracing::info!(%addr, dir = %dir.display(), "serving");
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{}",
            serde_json::json!({ "listening": addr.to_string() })
        )?;
        out.flush()?;
    }
    let stop = stop_signal()?;
    server.run(stop).await;
    sharing.abort();
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn auth(args: &ServeArgs) -> Result<Auth> {
    if let Some(secret) = &args.jwt_secret {
        return Ok(Auth::Token(TokenCheck::hs256(secret.0.as_bytes())));
    }
    if let Some(path) = &args.jwt_public_key {
        let pem = std::fs::read(path)
            .wrap_err_with(|| format!("cannot read --jwt-public-key {}", path.display()))?;
        let check = TokenCheck::public_pem(&pem)
            .map_err(|e| eyre!("--jwt-public-key {}: {e}", path.display()))?;
        return Ok(Auth::Token(check));
    }
    if args.allow_anonymous {
        return Ok(Auth::Anonymous);
    }
    bail!(
        "refusing to serve without authentication: pass --jwt-secret (or SKOPE_JWT_SECRET), --jwt-public-key, or --allow-anonymous"
    )
}

/// Completes on the first Ctrl-C (SIGINT) or SIGTERM.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).wrap_err("cannot watch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).wrap_err("cannot watch SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down"),
        }
    })
}
